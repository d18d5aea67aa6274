// Gas of the hot paths on chain, compared with the committed snapshot (gas/snapshot.json, written
// by `npm run gas:snapshot`). Gas is deterministic for a given compiler and settings, so any
// change shows up here and must be accepted deliberately by re-running the snapshot.
import { expect } from "chai";
import { readFile } from "node:fs/promises";
import { network } from "hardhat";
import { COMMIT_HEAD_GAS_BUDGET, measureCommitHeadGas } from "../../scripts/ops/gas/commit-head.ts";
import { BATCH_SIZE, measureBatchGas } from "../../scripts/ops/gas/batch.ts";
import { ledgerBudgetFor, measureLedgerGas } from "../../scripts/ops/gas/ledger.ts";

type Snapshot = {
  commitHead: Record<string, number>;
  ledger: Record<string, number>;
  batch: Record<string, number>;
};
const UPDATE = "gas moved: run `npm run gas:snapshot` and commit the new snapshot";

describe("gas snapshot", function () {
  this.timeout(120_000);
  let snapshot: Snapshot;

  before(async function () {
    snapshot = JSON.parse(await readFile("gas/snapshot.json", "utf8")) as Snapshot;
  });

  it("EvidenceLog.commitHead matches the snapshot and stays within 120,000 gas at a million leaves", async function () {
    const { ethers } = await network.create();
    const measured = await measureCommitHeadGas(ethers as never);
    expect(measured, UPDATE).to.deep.equal(snapshot.commitHead);
    for (const [name, gas] of Object.entries(measured))
      expect(gas, name).to.be.at.most(COMMIT_HEAD_GAS_BUDGET);
  });

  it("ledger operations match the snapshot and stay within their budgets", async function () {
    const connection = await network.create();
    const measured = await measureLedgerGas(connection.ethers as never, connection.networkHelpers.time);
    expect(measured, UPDATE).to.deep.equal(snapshot.ledger);
    for (const [name, gas] of Object.entries(measured))
      expect(gas, name).to.be.at.most(ledgerBudgetFor(name));
  });

  it(`ledger flows batched ${BATCH_SIZE} at a time by a delegated account match the snapshot and cost less per flow than alone`, async function () {
    const connection = await network.create();
    const measured = await measureBatchGas(connection.ethers as never, connection.networkHelpers.time);
    expect(measured, UPDATE).to.deep.equal(snapshot.batch);
    for (const flow of ["registerLoan", "disburse", "repay"]) {
      const alone = measured[`${flow} alone`]!;
      expect(alone, flow).to.be.at.most(ledgerBudgetFor(flow));
      expect(measured[`${flow} per flow in a batch of ${BATCH_SIZE}`], flow).to.be.below(alone);
    }
  });
});
