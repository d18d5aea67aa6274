// Gas of the hot paths on chain, compared with the committed snapshot (gas/snapshot.json, written
// by `npm run gas:snapshot`). Gas is deterministic for a given compiler and settings, so any
// change shows up here and must be accepted deliberately by re-running the snapshot.
import { expect } from "chai";
import { readFile } from "node:fs/promises";
import { network } from "hardhat";
import { COMMIT_HEAD_GAS_BUDGET, measureCommitHeadGas } from "../../scripts/ops/gas/commit-head.ts";
import { ledgerBudgetFor, measureLedgerGas } from "../../scripts/ops/gas/ledger.ts";

type Snapshot = { commitHead: Record<string, number>; ledger: Record<string, number> };
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
});
