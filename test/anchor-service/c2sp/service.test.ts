// The running anchor service's C2SP side: each committed head is checkpointed and sent to the
// court's and the union's witnesses over tlog-witness HTTP, /checkpoint serves it once both
// cosigned (2 of 2), and a client holding only tiles computes the same inclusion and
// consistency proofs as /v1/leaves and /v1/consistency answer.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { toHex } from "../../../common/bytes.ts";
import { parsePolicy, verifyCheckpoint } from "../../../common/formats/checkpoint/policy.ts";
import { parseEntryBundle, TileReader, tilePath } from "../../../common/formats/checkpoint/tiles.ts";
import { parseTlogProof, verifyTlogProof } from "../../../common/formats/checkpoint/proof.ts";
import { hashLeaf } from "../../../common/formats/merkle/rfc9162.ts";
import type { Config } from "../../../anchor-service/src/config.ts";
import { parseBundle } from "../../../common/formats/bundle/bundle.ts";
import { checkWitnesses } from "../../../common/formats/checkpoint/bundle-witnesses.ts";
import { anchorServiceSuite } from "../../support/anchor-suite.ts";
import { recordFor } from "../../support/consortium-chain.ts";
import { startWitnessPair, type WitnessPair } from "../../support/witnesses.ts";

describe("anchor service: witnessed C2SP checkpoints and tiles", function () {
  this.timeout(120_000);
  const config: Partial<Config> = { commitLeaves: 1_000_000 };
  let witnesses: WitnessPair;
  let policyText: string;
  let dir: string;

  before(async function () {
    // the two nodes' witness endpoints, as tlog-witness HTTP
    witnesses = await startWitnessPair();
    policyText = witnesses.policyText;
    dir = await mkdtemp(join(tmpdir(), "jl-c2sp-"));
    await writeFile(join(dir, "policy.txt"), policyText);
    Object.assign(config, {
      checkpointOrigin: witnesses.checkpointOrigin,
      checkpointKey: witnesses.checkpointKey,
      witnessUrls: witnesses.witnessUrls,
      witnessPolicyFile: join(dir, "policy.txt"),
    });
  });
  const suite = anchorServiceSuite({ config, settleFirstRound: true });
  after(async function () {
    await witnesses.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function submitAndCommit(count: number) {
    const records = Array.from({ length: count }, (_, i) => recordFor(`c2sp ${i} ${Math.random()}`));
    const res = await suite.postLeaves(JSON.stringify({ records }));
    expect(res.statusCode, res.body).to.equal(200);
    await suite.service.committer.runOnce();
    await suite.service.c2sp.settled();
    return (res.json() as { receipts: { leafHash: string }[] }).receipts.map((r) => r.leafHash);
  }

  it("publishes the cosigned checkpoint; tile proofs equal /v1/leaves' and /v1/consistency's", async function () {
    const first = await submitAndCommit(300);
    const firstCheckpoint = await suite.service.app.inject({ url: "/checkpoint" });
    expect(firstCheckpoint.statusCode, firstCheckpoint.body).to.equal(200);
    const firstSize = verifyCheckpoint(firstCheckpoint.body, parsePolicy(policyText)).checkpoint.treeSize;
    const second = await submitAndCommit(200);
    const served = await suite.service.app.inject({ url: "/checkpoint" });
    const verdict = verifyCheckpoint(served.body, parsePolicy(policyText));
    expect(verdict.quorum).to.equal(true);
    expect(verdict.cosigners.map((c) => c.name)).to.deep.equal(["court", "union"]);
    const size = verdict.checkpoint.treeSize;
    expect(size).to.be.greaterThan(firstSize);

    const reader = new TileReader(size, async (level, index, width) => {
      const reply = await suite.service.app.inject({ url: `/${tilePath(level, index, width)}` });
      expect(reply.statusCode, reply.body).to.equal(200);
      return new Uint8Array(reply.rawPayload);
    });
    expect(toHex(await reader.root())).to.equal(toHex(verdict.checkpoint.rootHash));
    for (const leafHash of [second[0]!, second[199]!]) {
      const leaf = (await suite.service.app.inject({ url: `/v1/leaves/${leafHash}` })).json() as {
        sequence: number;
        head: { treeSize: number };
        inclusionProof: string[];
      };
      expect(leaf.head.treeSize).to.equal(size);
      expect((await reader.inclusionProof(leaf.sequence)).map(toHex)).to.deep.equal(leaf.inclusionProof);
      expect(toHex(await reader.leafHash(leaf.sequence))).to.equal(leafHash);
    }
    const consistency = (
      await suite.service.app.inject({ url: `/v1/consistency?from=${firstSize}&to=${size}` })
    ).json() as { proof: string[] };
    expect((await reader.consistencyProof(firstSize)).map(toHex)).to.deep.equal(consistency.proof);

    // the bundle carries the witnessed checkpoint; the court checks it offline with its policy file
    const bundle0 = parseBundle((await suite.service.app.inject({ url: `/v1/bundles/${second[5]}` })).json());
    const evidence = { ...bundle0, leafHash: bundle0.leaf.leafHash, leafIndex: bundle0.log.leafIndex };
    const passed = checkWitnesses(evidence, parsePolicy(policyText));
    expect(passed.outcome, passed.reason).to.equal("pass");
    expect(passed.cosigners?.map((c) => c.name)).to.deep.equal(["court", "union"]);
    expect(checkWitnesses(evidence, undefined).outcome).to.equal("indeterminate");
    // the operator re-signs a forked root of the same size and keeps the witnesses' lines: flagged
    const note = bundle0.witnessed!.checkpoint;
    const forkedNote = note.replace(
      /\n([A-Za-z0-9+/]{43}=)\n/,
      `\n${Buffer.alloc(32, 7).toString("base64")}\n`,
    );
    const forked = checkWitnesses(
      { ...evidence, witnessed: { ...bundle0.witnessed!, checkpoint: forkedNote } },
      parsePolicy(policyText),
    );
    expect(forked.outcome).to.equal("fail");
    // and an anchored head that disagrees with the witnessed one of the same size
    const split = checkWitnesses(
      { ...evidence, head: { ...evidence.head, rootHash: `0x${"ab".repeat(32)}` } },
      parsePolicy(policyText),
    );
    expect(split.outcome).to.equal(bundle0.head.treeSize === size ? "fail" : "pass");

    // the same bundle as a C2SP tlog-proof file: verifies with only the file and the policy
    const proofReply = await suite.service.app.inject({ url: `/v1/bundles/${second[5]}/tlog-proof` });
    expect(proofReply.statusCode, proofReply.body).to.equal(200);
    const tlogProof = parseTlogProof(proofReply.body);
    const proofVerdict = verifyTlogProof(tlogProof, hashLeaf(tlogProof.extra!), parsePolicy(policyText));
    expect(proofVerdict.included && proofVerdict.quorum).to.equal(true);
    expect(toHex(hashLeaf(tlogProof.extra!))).to.equal(second[5]);
    const badHash = await suite.service.app.inject({ url: "/v1/bundles/0x12/tlog-proof" });
    expect(badHash.json().error.code).to.equal("ANCHOR_ERR_VALIDATION");

    // the entries are the evidence leaves: hashed, the first ones are the level-0 tile's hashes
    const bundle = await suite.service.app.inject({ url: `/${tilePath("entries", 0, Math.min(256, size))}` });
    const hashes = parseEntryBundle(new Uint8Array(bundle.rawPayload)).map((e) => toHex(hashLeaf(e)));
    expect(hashes).to.include(first[0]);
  });
});
