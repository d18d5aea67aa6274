// Gas of the hot path on chain, compared with the committed snapshot (gas/snapshot.json, written
// by `npm run gas:snapshot`). Gas is deterministic for a given compiler and settings, so any
// change shows up here and must be accepted deliberately by re-running the snapshot.
import { expect } from "chai";
import { readFile } from "node:fs/promises";
import { network } from "hardhat";
import { COMMIT_HEAD_GAS_BUDGET, measureCommitHeadGas } from "../../scripts/gas/commit-head.ts";

type Snapshot = { commitHead: Record<string, number> };

describe("gas snapshot: EvidenceLog.commitHead", function () {
  this.timeout(120_000);

  it("matches gas/snapshot.json and stays within the 120,000 gas budget at a million leaves", async function () {
    const snapshot = JSON.parse(await readFile("gas/snapshot.json", "utf8")) as Snapshot;
    const { ethers } = await network.create();
    const measured = await measureCommitHeadGas(ethers as never);
    expect(measured, "gas moved: run `npm run gas:snapshot` and commit the new snapshot").to.deep.equal(snapshot.commitHead);
    for (const [name, gas] of Object.entries(measured)) {
      expect(gas, name).to.be.at.most(COMMIT_HEAD_GAS_BUDGET);
    }
  });
});
