// The TypeScript RFC 9162 implementation (common/formats/merkle) and the Solidity one (MerkleLog, as
// deployed inside EvidenceLog and a test harness) must agree on every vector: proofs generated
// in TypeScript verify on chain, corrupted ones are refused on chain, and leaf encodings decode
// to the same fields.
import { expect } from "chai";
import { createHash } from "node:crypto";
import type { Contract } from "ethers";
import { fromHex, toHex } from "../../common/bytes.ts";
import {
  decodeLeaf,
  DigestAlgorithm,
  EvidenceKind,
  encodeLeaf,
  LeafFormatError,
  leafHashOf,
  newSalt,
  type EvidenceRecord,
} from "../../common/formats/leaf/leaf.ts";
import {
  consistencyProof,
  hashChildren,
  hashLeaf,
  inclusionProof,
  memoRangeHasher,
  rootFromLeafHashes,
} from "../../common/formats/merkle/rfc9162.ts";
import { deployConsortium, UNION, UNION_LOG, type Consortium } from "./consortium.fixture.ts";

const MAX_SIZE = 64;
const leafBytes = (i: number) => new Uint8Array([i & 0xff, (i >> 8) & 0xff]);
const hexes = (proof: Uint8Array[]) => proof.map(toHex);

describe("Merkle vectors: TypeScript and Solidity agree", function () {
  let c: Consortium;
  let harness: Contract;
  const leafHashes = Array.from({ length: MAX_SIZE }, (_, i) => hashLeaf(leafBytes(i)));
  const range = memoRangeHasher(leafHashes);
  const roots = [
    new Uint8Array(32),
    ...Array.from({ length: MAX_SIZE }, (_, n) => rootFromLeafHashes(leafHashes.slice(0, n + 1))),
  ];

  before(async function () {
    c = await deployConsortium();
    harness = (await c.ethers.deployContract("MerkleLogHarness")) as unknown as Contract;
  });

  it("hashes leaves and nodes identically", async function () {
    for (const leaf of [new Uint8Array(0), leafBytes(1), new Uint8Array(300).fill(7)]) {
      expect(await harness.getFunction("hashLeaf")(leaf)).to.equal(toHex(hashLeaf(leaf)));
    }
    const [a, b] = [leafHashes[0]!, leafHashes[1]!];
    expect(await harness.getFunction("hashChildren")(a, b)).to.equal(toHex(hashChildren(a, b)));
    // and both equal the RFC definition computed directly
    const direct = createHash("sha256")
      .update(Buffer.from([1]))
      .update(a)
      .update(b)
      .digest();
    expect(toHex(hashChildren(a, b))).to.equal(toHex(direct));
  });

  it("commits heads 1..64 to EvidenceLog with TypeScript consistency proofs, one leaf at a time", async function () {
    const log = c.evidenceLog.connect(c.signers.unionAnchor) as Contract;
    for (let n = 1; n <= MAX_SIZE; n++) {
      const proof = n === 1 ? [] : hexes(consistencyProof(n - 1, n, range));
      await (await log.getFunction("commitHead")(UNION_LOG, n, toHex(roots[n]!), proof)).wait();
    }
    expect(await c.evidenceLog.getFunction("headCount")(UNION_LOG)).to.equal(BigInt(MAX_SIZE));
  });

  it("verifies every TypeScript inclusion proof for every (leaf, size ≤ 64) against the committed heads", async function () {
    let checked = 0;
    for (let n = 1; n <= MAX_SIZE; n++) {
      for (let i = 0; i < n; i++) {
        const proof = hexes(inclusionProof(i, n, range));
        const ok = await c.evidenceLog.getFunction("verifyInclusion")(
          UNION_LOG,
          n,
          i,
          toHex(leafHashes[i]!),
          proof,
        );
        expect(ok, `leaf ${i} in ${n}`).to.equal(true);
        checked++;
      }
    }
    expect(checked).to.equal((MAX_SIZE * (MAX_SIZE + 1)) / 2);
  });

  it("accepts every TypeScript consistency proof for 0 < m < n ≤ 64 on chain, and refuses it with a corrupted element", async function () {
    const verify = harness.getFunction("verifyConsistency");
    for (let n = 2; n <= MAX_SIZE; n++) {
      for (let m = 1; m < n; m++) {
        const proof = consistencyProof(m, n, range);
        expect(await verify(m, n, toHex(roots[m]!), toHex(roots[n]!), hexes(proof)), `${m}→${n}`).to.equal(
          true,
        );
        // corrupt one byte of one element, rotating through positions so all are exercised
        const bad = proof.map((p) => p.slice());
        const element = (m * 7 + n) % bad.length;
        bad[element]![(m + n) % 32]! ^= 0x01;
        expect(
          await verify(m, n, toHex(roots[m]!), toHex(roots[n]!), hexes(bad)),
          `corrupted ${m}→${n}`,
        ).to.equal(false);
      }
    }
  });

  it("refuses a head whose proof is for another tree, with EvidenceLogInconsistent", async function () {
    const other = Array.from({ length: MAX_SIZE + 1 }, (_, i) =>
      i === 3 ? hashLeaf(leafBytes(999)) : (leafHashes[i] ?? hashLeaf(leafBytes(i))),
    );
    const otherRange = memoRangeHasher(other);
    const newRoot = rootFromLeafHashes(other);
    const proof = hexes(consistencyProof(MAX_SIZE, MAX_SIZE + 1, otherRange));
    const log = c.evidenceLog.connect(c.signers.unionAnchor) as Contract;
    await expect(log.getFunction("commitHead")(UNION_LOG, MAX_SIZE + 1, toHex(newRoot), proof))
      .to.be.revertedWithCustomError(c.evidenceLog, "EvidenceLogInconsistent")
      .withArgs(UNION_LOG, MAX_SIZE, toHex(roots[MAX_SIZE]!), MAX_SIZE + 1, toHex(newRoot));
  });

  it("decodes TypeScript-encoded leaves to the same fields and hash on chain", async function () {
    const record: EvidenceRecord = {
      version: 1,
      kind: EvidenceKind.Consent,
      digestAlgorithm: DigestAlgorithm.Sm3,
      digest: toHex(createHash("sha256").update("authorization letter").digest()),
      salt: newSalt(),
      submitter: UNION,
      subject: toHex(new Uint8Array(32).fill(0xab)),
    };
    const leaf = encodeLeaf(record);
    const decoded = await harness.getFunction("decodeLeaf")(leaf);
    expect(Number(decoded.version)).to.equal(1);
    expect(Number(decoded.kind)).to.equal(record.kind);
    expect(Number(decoded.digestAlgorithm)).to.equal(record.digestAlgorithm);
    expect(decoded.digest).to.equal(record.digest);
    expect(decoded.salt).to.equal(record.salt);
    expect(Number(decoded.submitter)).to.equal(record.submitter);
    expect(decoded.subject).to.equal(record.subject);
    expect(await harness.getFunction("hashLeaf")(leaf)).to.equal(toHex(leafHashOf(record)));
  });

  it("every kind the TypeScript side knows decodes on chain (CreditDecision, 8, too); the next number is refused on both sides", async function () {
    const record = (kind: number) =>
      ({
        version: 1,
        kind,
        digestAlgorithm: DigestAlgorithm.Sha256,
        digest: toHex(new Uint8Array(32).fill(1)),
        salt: newSalt(),
        submitter: 2,
        subject: toHex(new Uint8Array(32)),
      }) as EvidenceRecord;
    const kinds = Object.values(EvidenceKind);
    for (const kind of kinds)
      expect(Number((await harness.getFunction("decodeLeaf")(encodeLeaf(record(kind)))).kind)).to.equal(kind);
    const next = Math.max(...kinds) + 1;
    const leaf = encodeLeaf(record(1));
    leaf[63] = next;
    expect(() => decodeLeaf(leaf)).to.throw(LeafFormatError);
    await expect(harness.getFunction("decodeLeaf")(leaf))
      .to.be.revertedWithCustomError(harness, "EvidenceLeafUnknownKind")
      .withArgs(next);
  });

  it("rejects on chain what the TypeScript decoder rejects", async function () {
    const leaf = encodeLeaf({
      version: 1,
      kind: EvidenceKind.Contract,
      digestAlgorithm: DigestAlgorithm.Sha256,
      digest: toHex(new Uint8Array(32).fill(1)),
      salt: newSalt(),
      submitter: 2,
      subject: toHex(new Uint8Array(32)),
    });
    const dirty = leaf.slice();
    dirty[30] = 1; // high byte of the version word
    await expect(harness.getFunction("decodeLeaf")(dirty))
      .to.be.revertedWithCustomError(harness, "EvidenceLeafNonCanonical")
      .withArgs(0);
    const noSubmitter = leaf.slice();
    noSubmitter.fill(0, 160, 192);
    await expect(harness.getFunction("decodeLeaf")(noSubmitter)).to.be.revertedWithCustomError(
      harness,
      "EvidenceLeafBadSubmitter",
    );
    await expect(harness.getFunction("decodeLeaf")(leaf.slice(0, 223)))
      .to.be.revertedWithCustomError(harness, "EvidenceLeafBadLength")
      .withArgs(223);
    expect(fromHex(toHex(leaf))).to.deep.equal(leaf);
  });
});
