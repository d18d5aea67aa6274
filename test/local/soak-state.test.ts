// The local chain's state file without Anvil's call traces (scripts/ops/local/chain.ts
// withoutCallTraces): the launcher's dumps and the start's check of Anvil's own dump leave every
// transaction's trace out, the file shrinks, and a chain loaded from it answers the same block
// hashes, receipts and logs for its old blocks as the chain that made it: what the verifier, the
// nodes' indexers and the anchor service read.
import { expect } from "chai";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import type { JsonRpcProvider } from "ethers";
import {
  guardStateFile,
  startStateDumps,
  stateFile,
  withoutCallTraces,
} from "../../scripts/ops/local/chain.ts";
import { anvilSuite, startAnvil } from "../support/anvil.ts";

// init code returning a runtime that emits one LOG0 per call: PUSH1 0 PUSH1 0 LOG0 STOP
const LOGGER_INIT = "0x6006600c60003960066000f360006000a000";

type Dump = { transactions: Array<{ info: { traces: unknown[] } }> };

/** Each block's hash, each transaction's receipt and every log, as a verifier reads them. */
async function history(provider: JsonRpcProvider, head: number) {
  const blocks: string[] = [];
  const receipts: unknown[] = [];
  for (let n = 0; n <= head; n++) {
    const block = (await provider.send("eth_getBlockByNumber", [`0x${n.toString(16)}`, false])) as {
      hash: string;
      transactions: string[];
    };
    blocks.push(block.hash);
    for (const tx of block.transactions)
      receipts.push(await provider.send("eth_getTransactionReceipt", [tx]));
  }
  const logs = await provider.send("eth_getLogs", [{ fromBlock: "0x0", toBlock: `0x${head.toString(16)}` }]);
  return { blocks, receipts, logs: logs as unknown[] };
}

describe("local chain: the state file without call traces", function () {
  this.timeout(120_000);
  const local = anvilSuite("soak-state-");

  it("dumps without traces, smaller, and a reloaded chain answers the same blocks, receipts and logs", async function () {
    await mkdir(path.dirname(stateFile(local.dir)), { recursive: true });
    const wallet = local.anvil.wallet(1);
    const deployed = await (await wallet.sendTransaction({ data: LOGGER_INIT })).wait();
    const logger = deployed!.contractAddress!;
    for (let i = 0; i < 20; i++) await (await wallet.sendTransaction({ to: logger, data: "0x" })).wait();
    const head = await local.anvil.provider.getBlockNumber();
    const before = await history(local.anvil.provider, head);
    expect(before.logs).to.have.length(20);

    // Anvil's own dump holds a trace per transaction: what the launcher's leaves out
    const raw = gunzipSync(
      Buffer.from(((await local.anvil.provider.send("anvil_dumpState", [])) as string).slice(2), "hex"),
    );
    const anvils = JSON.parse(raw.toString("utf8")) as Dump;
    expect(anvils.transactions).to.have.length(21);
    expect(anvils.transactions.every((t) => t.info.traces.length > 0)).to.equal(true);

    const dumps = startStateDumps({ provider: local.anvil.provider, dataDir: local.dir, intervalMs: 60_000 });
    try {
      expect(await dumps.dumpNow()).to.equal(head);
    } finally {
      await dumps.stop();
    }
    const file = stateFile(local.dir);
    const ours = JSON.parse(await readFile(file, "utf8")) as Dump;
    expect(ours.transactions).to.have.length(21);
    expect(ours.transactions.every((t) => t.info.traces.length === 0)).to.equal(true);
    expect((await stat(file)).size).to.be.below(raw.length);

    const reloaded = await startAnvil({ args: ["--load-state", file] });
    try {
      expect(await reloaded.provider.getBlockNumber()).to.equal(head);
      expect(await history(reloaded.provider, head)).to.deep.equal(before);
    } finally {
      await reloaded.stop();
    }
  });

  it("leaves out the traces of Anvil's own dump at the next start, keeping the genesis time", async function () {
    const raw = gunzipSync(
      Buffer.from(((await local.anvil.provider.send("anvil_dumpState", [])) as string).slice(2), "hex"),
    );
    const dir = path.join(local.dir, "anvil-dumped");
    await mkdir(path.dirname(stateFile(dir)), { recursive: true });
    await writeFile(stateFile(dir), raw);
    const genesis = await local.anvil.provider.getBlock(0);
    const status = await guardStateFile(dir);
    expect(status).to.deep.equal({ state: "loaded", genesisTimestamp: genesis!.timestamp });
    const kept = JSON.parse(await readFile(stateFile(dir), "utf8")) as Dump;
    expect(kept.transactions.length).to.be.greaterThan(0);
    expect(kept.transactions.every((t) => t.info.traces.length === 0)).to.equal(true);
    // a dump without traces is written as it is
    const stripped = await readFile(stateFile(dir));
    expect(withoutCallTraces(stripped)).to.equal(stripped);
  });
});
