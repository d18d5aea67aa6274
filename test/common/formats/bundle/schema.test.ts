// EvidenceBundleSchema (common/formats/bundle/bundle.ts): a valid bundle round-trips through JSON;
// unknown keys, bad hex lengths, missing fields and inconsistent times are refused with a
// message naming the field.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { fromHex } from "../../../../common/bytes.ts";
import {
  BUNDLE_FORMAT,
  BundleFormatError,
  EvidenceBundleSchema,
  effectiveAnchor,
  parseBundle,
  parseBundleJson,
  type BundleErrorCode,
} from "../../../../common/formats/bundle/bundle.ts";
import { EvidenceKind, encodeLeaf } from "../../../../common/formats/leaf/leaf.ts";
import { hashLeaf } from "../../../../common/formats/merkle/rfc9162.ts";
import { toHex } from "../../../../common/bytes.ts";
import { verifyOffline } from "../../../../common/formats/bundle/verify.ts";
import { DOCUMENT_DIGEST, clone, sampleBundle, sha256Hex } from "../../../support/bundle.fixture.ts";

type Json = Record<string, unknown>;

/** The bundle as plain JSON, edited by `edit`, then parsed; returns the error message. */
function rejection(edit: (b: Json) => void, code: BundleErrorCode = "BUNDLE_INVALID"): string {
  const json = JSON.parse(JSON.stringify(sampleBundle())) as Json;
  edit(json);
  let caught: unknown;
  try {
    parseBundle(json);
  } catch (e) {
    caught = e;
  }
  expect(caught, "expected a BundleFormatError").to.be.instanceOf(BundleFormatError);
  expect((caught as BundleFormatError).code).to.equal(code);
  return (caught as BundleFormatError).message;
}

const at = (b: Json, path: string): Json => path.split(".").reduce((o, k) => o[k] as Json, b);

describe("evidence bundle schema", function () {
  it("accepts the sample bundle and survives a JSON round trip unchanged", function () {
    const bundle = sampleBundle();
    expect(bundle.format).to.equal(BUNDLE_FORMAT);
    expect(parseBundleJson(JSON.stringify(bundle))).to.deep.equal(bundle);
    expect(EvidenceBundleSchema.safeParse(bundle).success).to.equal(true);
  });

  it("matches the example in BUNDLE.md, which verifies offline with the document", function () {
    const spec = readFileSync(
      new URL("../../../../common/formats/bundle/BUNDLE.md", import.meta.url),
      "utf8",
    );
    const json = /```json\n([\s\S]*?)\n```/.exec(spec)?.[1];
    expect(json, "BUNDLE.md has a json block").to.be.a("string");
    const example = parseBundleJson(json!);
    expect(example).to.deep.equal(sampleBundle());
    const results = verifyOffline(example, { documentDigest: DOCUMENT_DIGEST });
    expect(results.slice(0, 3).map((r) => r.outcome)).to.deep.equal(["pass", "pass", "pass"]);
    for (const r of results) expect(spec, r.id).to.include(r.reason);
  });

  it("builds the leaf, its hash and the ISO anchor time from the record and block", function () {
    const bundle = sampleBundle();
    const encoded = encodeLeaf(bundle.leaf.record);
    expect(bundle.leaf.encoded).to.equal(toHex(encoded));
    expect(bundle.leaf.leafHash).to.equal(toHex(hashLeaf(fromHex(bundle.leaf.encoded))));
    expect(bundle.anchor.anchoredAt).to.equal("2026-01-01T00:00:00.000Z");
    expect(bundle.anchor.chainId).to.equal("20251");
    expect(bundle).to.not.have.property("receipt");
  });

  it("passes any receipt through untouched", function () {
    const json = JSON.parse(JSON.stringify(sampleBundle())) as Json;
    json.receipt = { anything: [1, "two", { three: null }] };
    expect(parseBundle(json).receipt).to.deep.equal({ anything: [1, "two", { three: null }] });
  });

  for (const path of ["", "leaf", "leaf.record", "log", "head", "anchor", "status"]) {
    it(`refuses an unknown key in ${path || "the top level"}`, function () {
      const message = rejection((b) => {
        (path ? at(b, path) : b).extra = 1;
      });
      expect(message).to.include(["bundle", ...(path ? [path] : [])].join("."));
      expect(message).to.include('"extra"');
    });
  }

  it("refuses an unknown key in a recommit", function () {
    const message = rejection((b) => {
      const a = b.anchor as Json;
      b.recommits = [
        {
          at: "2026-01-02T00:00:00Z",
          reason: "chain restored",
          transactionHash: a.transactionHash,
          blockNumber: 9,
          blockHash: a.blockHash,
          blockTimestamp: 1,
          note: "x",
        },
      ];
    });
    expect(message).to.include("bundle.recommits.0");
  });

  const badHex: Array<[string, string, string]> = [
    ["leaf.record", "digest", `0x${"ab".repeat(31)}`],
    ["leaf.record", "salt", `0x${"ab".repeat(33)}`],
    ["leaf.record", "subject", `${"ab".repeat(32)}`],
    ["leaf", "encoded", `0x${"00".repeat(223)}`],
    ["leaf", "leafHash", `0x${"zz".repeat(32)}`],
    ["log", "logId", "0x"],
    ["head", "rootHash", `0x${"a".repeat(63)}`],
    ["anchor", "evidenceLog", `0x${"11".repeat(19)}`],
    ["anchor", "consortiumRegistry", `0x${"11".repeat(32)}`],
    ["anchor", "blockHash", `0x${"ab".repeat(20)}`],
    ["anchor", "transactionHash", `0x${"ab".repeat(31)}ag`],
    ["status", "replacement", `0x${"ab".repeat(16)}`],
  ];
  for (const [parent, field, value] of badHex) {
    it(`refuses ${parent}.${field} = ${value.slice(0, 12)}… (bad hex or length)`, function () {
      const message = rejection((b) => {
        at(b, parent)[field] = value;
      });
      expect(message).to.include(`bundle.${parent}.${field}:`);
      expect(message).to.match(/hex digits/);
    });
  }

  it("refuses a proof element of the wrong length and names its position", function () {
    const message = rejection((b) => {
      (b.inclusionProof as string[])[1] = `0x${"ab".repeat(33)}`;
    });
    expect(message).to.include("bundle.inclusionProof.1:");
  });

  for (const field of [
    "format",
    "leaf",
    "log",
    "head",
    "inclusionProof",
    "anchor",
    "recommits",
    "status",
    "generatedAt",
  ]) {
    it(`refuses a bundle without ${field}`, function () {
      expect(rejection((b) => delete b[field])).to.include(`bundle.${field}:`);
    });
  }

  for (const [parent, field] of [
    ["leaf.record", "salt"],
    ["anchor", "blockHash"],
    ["status", "checkedAtBlock"],
    ["log", "leafIndex"],
  ] as const) {
    it(`refuses a bundle without ${parent}.${field}`, function () {
      expect(rejection((b) => delete at(b, parent)[field])).to.include(`bundle.${parent}.${field}:`);
    });
  }

  it("refuses values outside the format: kind, algorithm, submitter 0, zero-size tree, fractional numbers", function () {
    // the first number past the last defined kind
    const unknownKind = Math.max(...Object.values(EvidenceKind)) + 1;
    expect(rejection((b) => (at(b, "leaf.record").kind = unknownKind))).to.include("bundle.leaf.record.kind");
    expect(rejection((b) => (at(b, "leaf.record").digestAlgorithm = 3))).to.include(
      "bundle.leaf.record.digestAlgorithm",
    );
    expect(rejection((b) => (at(b, "leaf.record").version = 2))).to.include("bundle.leaf.record.version");
    expect(rejection((b) => (at(b, "leaf.record").submitter = 0))).to.include("bundle.leaf.record.submitter");
    expect(rejection((b) => (at(b, "head").treeSize = 0))).to.include("bundle.head.treeSize");
    expect(rejection((b) => (at(b, "log").leafIndex = 1.5))).to.include("bundle.log.leafIndex");
    expect(rejection((b) => (at(b, "anchor").blockNumber = -1))).to.include("bundle.anchor.blockNumber");
    expect(rejection((b) => (b.format = "jointledger.evidence-bundle/2"))).to.include("bundle.format");
    expect(rejection((b) => (at(b, "status").state = "Deleted"))).to.include("bundle.status.state");
  });

  it("wants the chain id as a decimal string", function () {
    expect(rejection((b) => (at(b, "anchor").chainId = 20251))).to.include("bundle.anchor.chainId");
    expect(rejection((b) => (at(b, "anchor").chainId = "0x4f1b"))).to.include("bundle.anchor.chainId");
    expect(rejection((b) => (at(b, "anchor").chainId = "020251"))).to.include("bundle.anchor.chainId");
  });

  it("wants anchoredAt to be blockTimestamp in ISO 8601 UTC", function () {
    expect(rejection((b) => (at(b, "anchor").anchoredAt = "2026-01-01T00:00:01.000Z"))).to.include(
      "bundle.anchor.anchoredAt",
    );
    expect(rejection((b) => (at(b, "anchor").anchoredAt = "2026-01-01T08:00:00+08:00"))).to.include(
      "bundle.anchor.anchoredAt",
    );
    const ok = JSON.parse(JSON.stringify(sampleBundle())) as Json;
    at(ok, "anchor").anchoredAt = "2026-01-01T00:00:00Z";
    expect(parseBundle(ok).anchor.anchoredAt).to.equal("2026-01-01T00:00:00Z");
  });

  it("accepts lowercase and checksummed addresses, refuses a bad checksum", function () {
    const ok = JSON.parse(JSON.stringify(sampleBundle())) as Json;
    at(ok, "anchor").evidenceLog = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    expect(() => parseBundle(ok)).to.not.throw();
    expect(
      rejection((b) => (at(b, "anchor").evidenceLog = "0x5FBDB2315678afecb367f032d93F642f64180aa3")),
    ).to.include("bundle.anchor.evidenceLog: bad EIP-55 checksum");
  });

  it("reports text that is not JSON with BUNDLE_NOT_JSON", function () {
    let caught: unknown;
    try {
      parseBundleJson("{ not json");
    } catch (e) {
      caught = e;
    }
    expect((caught as BundleFormatError).code).to.equal("BUNDLE_NOT_JSON");
  });

  it("lists every bad field in one message", function () {
    const message = rejection((b) => {
      delete b.generatedAt;
      at(b, "head").rootHash = "0x12";
    });
    expect(message).to.include("bundle.generatedAt:").and.include("bundle.head.rootHash:");
  });

  it("takes the transaction and block of the last recommit as effective", function () {
    const bundle = sampleBundle();
    expect(effectiveAnchor(bundle)).to.deep.equal({
      transactionHash: bundle.anchor.transactionHash,
      blockNumber: 1234,
      blockHash: bundle.anchor.blockHash,
      blockTimestamp: bundle.anchor.blockTimestamp,
      source: "anchor",
    });
    const recommitted = clone(bundle);
    const entry = (n: number) => ({
      at: `2026-01-0${n}T00:00:00.000Z`,
      reason: `restored chain ${n}`,
      transactionHash: sha256Hex(`tx ${n}`),
      blockNumber: 1000 + n,
      blockHash: sha256Hex(`block ${n}`),
      blockTimestamp: 1_767_225_600 + n,
    });
    recommitted.recommits = [entry(2), entry(3)];
    const effective = effectiveAnchor(parseBundle(recommitted));
    expect(effective.blockNumber).to.equal(1003);
    expect(effective.source).to.equal("recommit 2");
  });
});
