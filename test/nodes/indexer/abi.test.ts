// The indexer's hand-kept ABIs (nodes/src/indexer/abi.ts) must match the compiled contracts:
// every fragment exists with the same signature (events: the same indexed parameters, since those
// decide topics versus data), and every event the contracts can emit is in the indexer's ABI, so a
// new event fails here instead of being skipped at run time.
import { expect } from "chai";
import { Interface, type ParamType } from "ethers";
import { readFile } from "node:fs/promises";
import { DISPUTE_RESOLUTION_ABI, EVIDENCE_REGISTRY_EVENTS_ABI, JOINT_LOAN_LEDGER_ABI } from "../../../nodes/src/indexer/abi.ts";

async function artifactInterface(path: string, name: string): Promise<Interface> {
  const artifact = JSON.parse(await readFile(`artifacts/contracts/${path}/${name}.json`, "utf8")) as { abi: unknown[] };
  return new Interface(artifact.abi as never);
}

/** An output's type with its components' names (what the indexer reads by name), not its own name. */
function shape(p: ParamType): string {
  return p.format("full").replace(/\s[A-Za-z_$][\w$]*$/, "");
}

describe("nodes/indexer: hand-kept ABIs match the compiled contracts", function () {
  const cases: Array<[string, string, readonly string[]]> = [
    ["lending/JointLoanLedger.sol", "JointLoanLedger", JOINT_LOAN_LEDGER_ABI],
    ["lending/DisputeResolution.sol", "DisputeResolution", DISPUTE_RESOLUTION_ABI],
    ["evidence/EvidenceRegistry.sol", "EvidenceRegistry", EVIDENCE_REGISTRY_EVENTS_ABI],
  ];
  for (const [path, name, abi] of cases) {
    it(`${name}: every fragment exists with the same signature, indexed parameters and outputs`, async function () {
      const compiled = await artifactInterface(path, name);
      const mine = new Interface(abi as never);
      let fragments = 0;
      mine.forEachFunction((f) => {
        const theirs = compiled.getFunction(f.selector);
        expect(theirs, `${name}.${f.format()}`).to.not.equal(null);
        expect(theirs!.outputs.map(shape), f.format()).to.deep.equal(f.outputs.map(shape));
        expect(theirs!.stateMutability, f.format()).to.equal(f.stateMutability);
        fragments++;
      });
      mine.forEachEvent((e) => {
        const theirs = compiled.getEvent(e.topicHash);
        expect(theirs, e.format()).to.not.equal(null);
        expect(theirs!.inputs.map((p) => [p.name, p.indexed === true]), e.format("full")).to.deep.equal(e.inputs.map((p) => [p.name, p.indexed === true]));
        expect(theirs!.anonymous).to.equal(false);
        fragments++;
      });
      mine.forEachError((e) => {
        expect(compiled.getError(e.selector), e.format()).to.not.equal(null);
        fragments++;
      });
      expect(fragments).to.equal(abi.length);
    });

    it(`${name}: every event the contract emits is in the indexer's ABI`, async function () {
      const compiled = await artifactInterface(path, name);
      const mine = new Interface(abi as never);
      const missing: string[] = [];
      compiled.forEachEvent((e) => {
        if (mine.getEvent(e.topicHash) === null) missing.push(e.format());
      });
      expect(missing).to.deep.equal([]);
    });
  }
});
