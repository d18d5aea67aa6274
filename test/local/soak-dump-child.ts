// The launcher's periodic state dumps (scripts/ops/local/chain.ts startStateDumps) in a process of
// their own, back to back, for the SIGKILL test (soak-dumps.test.ts), which kills it at random
// moments: while mining is paused, during anvil_dumpState, while the file is written. It starts
// only when run as a program: Hardhat's mocha runner also imports every .ts file under test/.
import { JsonRpcProvider } from "ethers";
import { startStateDumps } from "../../scripts/ops/local/chain.ts";

if (import.meta.main) {
  const provider = new JsonRpcProvider(process.env.DUMP_RPC_URL, undefined, {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  const dumps = startStateDumps({ provider, dataDir: process.env.DUMP_DATA_DIR!, intervalMs: 60_000 });
  for (;;) {
    const head = await dumps.dumpNow();
    if (head !== undefined) console.log(`dumped ${head}`);
    else await new Promise((r) => setTimeout(r, 5));
  }
}
