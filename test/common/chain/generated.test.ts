// The hand-kept ABIs in common/chain/abi.ts must match the compiled contracts exactly: every
// fragment must exist in the artifact with the same signature and outputs.
import { expect } from "chai";
import { Interface } from "ethers";
import { readFile } from "node:fs/promises";
import { CONSORTIUM_REGISTRY_ABI, EVIDENCE_LOG_ABI, EVIDENCE_REGISTRY_ABI } from "../../common/chain/abi.ts";

async function artifactInterface(path: string, name: string): Promise<Interface> {
  const artifact = JSON.parse(await readFile(`artifacts/contracts/${path}/${name}.json`, "utf8")) as { abi: unknown[] };
  return new Interface(artifact.abi as never);
}

describe("hand-kept ABIs match the compiled contracts", function () {
  const cases: Array<[string, string, readonly string[]]> = [
    ["evidence/EvidenceLog.sol", "EvidenceLog", EVIDENCE_LOG_ABI],
    ["consortium/ConsortiumRegistry.sol", "ConsortiumRegistry", CONSORTIUM_REGISTRY_ABI],
    ["evidence/EvidenceRegistry.sol", "EvidenceRegistry", EVIDENCE_REGISTRY_ABI],
  ];
  for (const [path, name, abi] of cases) {
    it(`${name}: every fragment exists with the same signature and outputs`, async function () {
      const compiled = await artifactInterface(path, name);
      const mine = new Interface(abi as never);
      mine.forEachFunction((f) => {
        const theirs = compiled.getFunction(f.selector);
        expect(theirs, `${name}.${f.format()}`).to.not.equal(null);
        expect(theirs!.outputs.map((o) => o.format()), f.format()).to.deep.equal(f.outputs.map((o) => o.format()));
      });
      mine.forEachEvent((e) => {
        const theirs = compiled.getEvent(e.topicHash);
        expect(theirs, e.format()).to.not.equal(null);
        // the topic hash ignores `indexed`; compare it too (ethers: null in human-readable ABIs, false in JSON)
        expect(theirs!.inputs.map((i) => i.indexed === true), e.format()).to.deep.equal(e.inputs.map((i) => i.indexed === true));
      });
      mine.forEachError((e) => expect(compiled.getError(e.selector), e.format()).to.not.equal(null));
    });
  }
});
