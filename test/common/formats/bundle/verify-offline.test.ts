// verifyOffline and overall (common/formats/bundle/verify.ts): a valid bundle passes the three offline
// checks, and every single corruption makes exactly the expected checks fail.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { toHex } from "../../../../common/bytes.ts";
import { buildBundle, type EvidenceBundle } from "../../../../common/formats/bundle/bundle.ts";
import { leafHashOf } from "../../../../common/formats/leaf/leaf.ts";
import {
  CHECK_IDS,
  OFFLINE_REASON,
  overall,
  verifyOffline,
  type CheckId,
  type CheckResult,
} from "../../../../common/formats/bundle/verify.ts";
import {
  inclusionProof,
  memoRangeHasher,
  rootFromLeafHashes,
} from "../../../../common/formats/merkle/rfc9162.ts";
import {
  DOCUMENT_DIGEST,
  LEAF_INDEX,
  clone,
  flipHex,
  recordFor,
  sampleBundle,
  sha256Hex,
  signedSubmission,
} from "../../../support/bundle.fixture.ts";

const CHAIN_CHECKS: CheckId[] = [
  "headOnChain",
  "blockAndTime",
  "finality",
  "submitterMembership",
  "lifecycle",
];

const failing = (results: readonly CheckResult[]): CheckId[] =>
  results.filter((r) => r.outcome === "fail").map((r) => r.id);
const byId = (results: readonly CheckResult[], id: CheckId): CheckResult => results.find((r) => r.id === id)!;

describe("verifyOffline", function () {
  it("reports every check once, in the stable order", function () {
    const results = verifyOffline(sampleBundle(), { documentDigest: DOCUMENT_DIGEST });
    expect(results.map((r) => r.id)).to.deep.equal([...CHECK_IDS]);
    // the order courts read them in: BUNDLE.md's numbered table of checks, 1, 2, 3, … in turn
    const spec = readFileSync(
      new URL("../../../../common/formats/bundle/BUNDLE.md", import.meta.url),
      "utf8",
    );
    const table = spec.slice(spec.indexOf("## The checks"), spec.indexOf("**Overall.**"));
    const rows = [...table.matchAll(/^\| (\d+) \| `(\w+)` \|/gm)];
    expect(rows.map((r) => Number(r[1]))).to.deep.equal(rows.map((_, i) => i + 1));
    expect(CHECK_IDS).to.deep.equal(rows.map((r) => r[2]));
  });

  it("passes digest, leaf encoding and Merkle path of a valid bundle; chain checks are indeterminate", function () {
    const results = verifyOffline(sampleBundle(), { documentDigest: DOCUMENT_DIGEST });
    for (const id of ["digest", "leafEncoding", "merklePath"] as const) {
      expect(byId(results, id).outcome, `${id}: ${byId(results, id).reason}`).to.equal("pass");
    }
    for (const id of CHAIN_CHECKS) {
      expect(byId(results, id)).to.deep.equal({ id, outcome: "indeterminate", reason: OFFLINE_REASON });
    }
    expect(byId(results, "merklePath").reason).to.include("index 5").and.include("7 leaves");
    // Offline can never prove the head is on the chain, so never an overall pass.
    expect(overall(results)).to.equal("indeterminate");
  });

  it("compares the document digest case-insensitively", function () {
    const results = verifyOffline(sampleBundle(), {
      documentDigest: DOCUMENT_DIGEST.toUpperCase().replace("0X", "0x"),
    });
    expect(byId(results, "digest").outcome).to.equal("pass");
  });

  it("fails the digest check, and only it, for another document", function () {
    const other = sha256Hex("loan contract LN-2025-0002");
    const results = verifyOffline(sampleBundle(), { documentDigest: other });
    expect(failing(results)).to.deep.equal(["digest"]);
    expect(byId(results, "digest").reason).to.include(other).and.include(DOCUMENT_DIGEST);
    expect(overall(results)).to.equal("fail");
  });

  it("leaves the digest indeterminate without a document, or with a malformed digest", function () {
    expect(byId(verifyOffline(sampleBundle()), "digest").outcome).to.equal("indeterminate");
    expect(byId(verifyOffline(sampleBundle(), { documentDigest: "0x1234" }), "digest").outcome).to.equal(
      "indeterminate",
    );
  });

  describe("single corruptions", function () {
    const corruptions: Array<[string, (b: EvidenceBundle) => void, CheckId[]]> = [
      [
        "record digest",
        (b) => (b.leaf.record.digest = flipHex(b.leaf.record.digest)),
        ["digest", "leafEncoding"],
      ],
      ["record salt", (b) => (b.leaf.record.salt = flipHex(b.leaf.record.salt)), ["leafEncoding"]],
      ["record subject", (b) => (b.leaf.record.subject = flipHex(b.leaf.record.subject)), ["leafEncoding"]],
      ["record submitter", (b) => (b.leaf.record.submitter = 3), ["leafEncoding"]],
      ["record kind", (b) => (b.leaf.record.kind = 2), ["leafEncoding"]],
      ["encoded leaf", (b) => (b.leaf.encoded = flipHex(b.leaf.encoded)), ["leafEncoding"]],
      [
        "leaf hash",
        (b) => (b.leaf.leafHash = flipHex(b.leaf.leafHash)),
        ["leafEncoding", "merklePath", "submitterMembership"],
      ],
      ["root hash", (b) => (b.head.rootHash = flipHex(b.head.rootHash)), ["merklePath"]],
      ["submission signature removed", (b) => delete b.submission, ["submitterMembership"]],
      [
        "submission signer renamed",
        (b) => (b.submission!.signer = "0x5fbdb2315678afecb367f032d93f642f64180aa3"),
        ["submitterMembership"],
      ],
      [
        "submission root",
        (b) => (b.submission!.batchRoot = flipHex(b.submission!.batchRoot)),
        ["submitterMembership"],
      ],
      ["leaf index 5 → 4", (b) => (b.log.leafIndex = 4), ["merklePath"]],
      ["leaf index 5 → 7 (beyond the tree)", (b) => (b.log.leafIndex = 7), ["merklePath"]],
      ["tree size 7 → 6", (b) => (b.head.treeSize = 6), ["merklePath"]],
      ["tree size 7 → 16", (b) => (b.head.treeSize = 16), ["merklePath"]],
      ["proof: one element dropped", (b) => b.inclusionProof.pop(), ["merklePath"]],
      ["proof: one element added", (b) => b.inclusionProof.push(b.inclusionProof[0]!), ["merklePath"]],
      ["proof: two elements swapped", (b) => b.inclusionProof.reverse(), ["merklePath"]],
    ];
    for (let i = 0; i < 3; i++) {
      corruptions.push([
        `proof element ${i}`,
        (b) => (b.inclusionProof[i] = flipHex(b.inclusionProof[i]!)),
        ["merklePath"],
      ]);
    }
    for (const [name, corrupt, expected] of corruptions) {
      it(`${name} → ${expected.join(" + ")} fail`, function () {
        const bundle = clone(sampleBundle());
        corrupt(bundle);
        const results = verifyOffline(bundle, { documentDigest: DOCUMENT_DIGEST });
        expect(failing(results), JSON.stringify(results, null, 1)).to.deep.equal(expected);
        expect(overall(results)).to.equal("fail");
      });
    }

    it("names the field whose bytes differ and which hash is wrong", function () {
      const salted = clone(sampleBundle());
      salted.leaf.record.salt = flipHex(salted.leaf.record.salt);
      expect(byId(verifyOffline(salted), "leafEncoding").reason)
        .to.include("field salt")
        .and.not.include("leafHash");
      const hashed = clone(sampleBundle());
      hashed.leaf.leafHash = flipHex(hashed.leaf.leafHash);
      expect(byId(verifyOffline(hashed), "leafEncoding").reason)
        .to.include("leaf.leafHash")
        .and.not.include("field");
      const encoded = clone(sampleBundle());
      encoded.leaf.encoded = flipHex(encoded.leaf.encoded);
      expect(byId(verifyOffline(encoded), "leafEncoding").reason)
        .to.include("field subject")
        .and.include("leaf.leafHash");
    });

    it("cannot see a tree size of the same proof shape (7 → 8): the hashes do not bind the size (LOG.md)", function () {
      // Leaf 5's path in 7 and in 8 leaves has the same left/right pattern, so the same proof
      // verifies for both sizes; only the chain (headOnChain: no head of size 8) catches this.
      const bundle = clone(sampleBundle());
      bundle.head.treeSize = 8;
      expect(failing(verifyOffline(bundle, { documentDigest: DOCUMENT_DIGEST }))).to.deep.equal([]);
    });
  });

  it("fails rather than throws on a bundle that bypassed the schema", function () {
    const bundle = clone(sampleBundle());
    bundle.inclusionProof[0] = "0xnot hex";
    bundle.leaf.encoded = "0x12";
    const results = verifyOffline(bundle, { documentDigest: DOCUMENT_DIGEST });
    expect(failing(results)).to.deep.equal(["leafEncoding", "merklePath"]);
    expect(byId(results, "merklePath").reason).to.include("could not be checked");
  });

  it("passes every leaf of every tree up to 17 leaves", function () {
    for (let size = 1; size <= 17; size++) {
      const records = Array.from({ length: size }, (_, i) =>
        recordFor(`leaf ${size}/${i}`, sha256Hex(`doc ${i}`)),
      );
      const hashes = records.map(leafHashOf);
      const hasher = memoRangeHasher(hashes);
      const root = toHex(rootFromLeafHashes(hashes));
      for (let index = 0; index < size; index++) {
        const base = sampleBundle();
        const bundle = buildBundle({
          anchor: base.anchor,
          status: base.status,
          record: records[index]!,
          log: { ...base.log, leafIndex: index },
          head: { treeSize: size, rootHash: root, headIndex: 0 },
          inclusionProof: inclusionProof(index, size, hasher),
          submission: signedSubmission(hashes, index),
        });
        const results = verifyOffline(bundle, { documentDigest: sha256Hex(`doc ${index}`) });
        expect(failing(results), `size ${size}, index ${index}`).to.deep.equal([]);
        expect(results.slice(0, 3).every((r) => r.outcome === "pass")).to.equal(true);
      }
    }
  });
});

describe("overall", function () {
  const all = (outcome: CheckResult["outcome"]): CheckResult[] =>
    CHECK_IDS.map((id) => ({ id, outcome, reason: "" }));
  const withOutcome = (results: CheckResult[], id: CheckId, outcome: CheckResult["outcome"]) =>
    results.map((r) => (r.id === id ? { ...r, outcome } : r));

  it("passes when nothing fails and encoding, path and head on chain pass", function () {
    expect(overall(all("pass"))).to.equal("pass");
    let r = all("indeterminate");
    for (const id of ["leafEncoding", "merklePath", "headOnChain"] as const) r = withOutcome(r, id, "pass");
    expect(overall(r)).to.equal("pass");
  });

  it("fails when any check fails, whatever the others say", function () {
    for (const id of CHECK_IDS) expect(overall(withOutcome(all("pass"), id, "fail")), id).to.equal("fail");
    expect(overall(withOutcome(all("indeterminate"), "lifecycle", "fail"))).to.equal("fail");
  });

  it("is indeterminate when a required check is indeterminate and nothing fails", function () {
    for (const id of ["leafEncoding", "merklePath", "headOnChain"] as const) {
      expect(overall(withOutcome(all("pass"), id, "indeterminate")), id).to.equal("indeterminate");
    }
    expect(overall(withOutcome(all("pass"), "finality", "indeterminate"))).to.equal("pass");
  });

  it("takes a stricter list of required checks", function () {
    const r = withOutcome(all("pass"), "digest", "indeterminate");
    expect(overall(r)).to.equal("pass");
    expect(overall(r, ["digest", "leafEncoding", "merklePath", "headOnChain"])).to.equal("indeterminate");
  });

  it("keeps a valid bundle's leaf at the fixture's index", function () {
    expect(sampleBundle().log.leafIndex).to.equal(LEAF_INDEX);
  });
});
