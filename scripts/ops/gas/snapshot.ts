// npm run gas:snapshot — measure the hot paths' gas and write gas/snapshot.json.
// The gas test (test/contracts/gas.test.ts) fails when a change moves any figure, so update
// the snapshot deliberately and commit it with the change that caused it.
import { mkdir, writeFile } from "node:fs/promises";
import { network } from "hardhat";
import { COMMIT_HEAD_GAS_BUDGET, measureCommitHeadGas } from "./commit-head.ts";
import { measureBatchGas } from "./batch.ts";
import { LEDGER_GAS_BUDGET, measureLedgerGas } from "./ledger.ts";

const evidence = await network.create();
const commitHead = await measureCommitHeadGas(evidence.ethers, undefined, (line) => console.log(line));
const lending = await network.create();
const ledger = await measureLedgerGas(lending.ethers, lending.networkHelpers.time);
for (const [name, gas] of Object.entries(ledger)) console.log(`${name}: ${gas} gas`);
const batching = await network.create();
const batch = await measureBatchGas(batching.ethers, batching.networkHelpers.time);
for (const [name, gas] of Object.entries(batch)) console.log(`${name}: ${gas} gas`);
const snapshot = {
  solc: "0.8.28",
  optimizerRuns: 10_000,
  budget: { commitHead: COMMIT_HEAD_GAS_BUDGET, ...LEDGER_GAS_BUDGET },
  commitHead,
  ledger,
  batch,
};
await mkdir("gas", { recursive: true });
await writeFile("gas/snapshot.json", JSON.stringify(snapshot, null, 2) + "\n");
console.log("wrote gas/snapshot.json");
