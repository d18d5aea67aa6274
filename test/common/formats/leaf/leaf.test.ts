// The v1 evidence leaf (common/formats/leaf/LEAF.md): layout, vectors, round trips and every
// rejection code. Expected bytes are assembled by hand with Buffer writes and hashed with
// node:crypto, independently of ethers and of the module under test.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { AbiCoder } from "ethers";
import { bytesEqual, fromHex, toHex } from "../../../../common/bytes.ts";
import {
  DigestAlgorithm,
  EvidenceKind,
  LEAF_LENGTH,
  LEAF_VERSION,
  LeafFormatError,
  decodeLeaf,
  encodeLeaf,
  leafHashOf,
  newSalt,
  type EvidenceRecord,
  type LeafErrorCode,
} from "../../../../common/formats/leaf/leaf.ts";
import { hashLeaf } from "../../../../common/formats/merkle/rfc9162.ts";
import { expectCode as expectErrorCode } from "../../../support/expect-error.ts";

const sha256Hex = (...parts: Uint8Array[]): string => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return `0x${h.digest("hex")}`;
};

/** The 224 bytes written field by field at the offsets LEAF.md gives. */
function handEncode(r: EvidenceRecord): Uint8Array {
  const b = Buffer.alloc(224);
  b.writeUInt8(r.version, 31);
  b.writeUInt8(r.kind, 63);
  b.writeUInt8(r.digestAlgorithm, 95);
  Buffer.from(r.digest.slice(2), "hex").copy(b, 96);
  Buffer.from(r.salt.slice(2), "hex").copy(b, 128);
  b.writeUInt32BE(r.submitter, 188);
  Buffer.from(r.subject.slice(2), "hex").copy(b, 192);
  return new Uint8Array(b);
}

/** RFC 9162 leaf hash, by hand. */
const handLeafHash = (leaf: Uint8Array): string => sha256Hex(Uint8Array.of(0x00), leaf);

const expectCode = (fn: () => unknown, code: LeafErrorCode, label = ""): void =>
  void expectErrorCode(fn, LeafFormatError, code, label);

const ZERO32 = `0x${"00".repeat(32)}`;

const SAMPLE: EvidenceRecord = {
  version: 1,
  kind: EvidenceKind.FundFlowVoucher,
  digestAlgorithm: DigestAlgorithm.Sha256,
  digest: sha256Hex(Buffer.from("voucher DV-0001")),
  salt: `0x${"5a".repeat(32)}`,
  submitter: 7,
  subject: sha256Hex(Buffer.from("loan LN-2025-0042")),
};

/** A valid leaf with one byte set; for building malformed inputs. */
function withByte(leaf: Uint8Array, index: number, value: number): Uint8Array {
  const copy = leaf.slice();
  copy[index] = value;
  return copy;
}

// Vectors as LEAF.md publishes them; their hashes are pinned here too, since v1 is frozen and an
// edit to the document alone must not be able to move them.
type Vector = { name: string; record: EvidenceRecord; leaf: string; leafHash: string };
const leafMd = readFileSync(new URL("../../../../common/formats/leaf/LEAF.md", import.meta.url), "utf8");
const jsonBlock = /```json\n([\s\S]*?)\n```/.exec(leafMd);
const VECTORS: Vector[] = jsonBlock ? (JSON.parse(jsonBlock[1]!) as Vector[]) : [];
const PINNED_HASHES = [
  "0x597cb205d742231f7ff0dbeae7da0b1942077f43fa35a1596a8885f8edf4bab6",
  "0x576061295d37fd90f0cc6292f9da046cb5293676ee0a9740583e11e6a3d7c357",
  "0x55aa03d22c3e4015639703e3b0af76c4e7893bc8b6c12d09d8bb745582de8ef6",
];

describe("common/formats/leaf", () => {
  describe("constants", () => {
    it("version, length and the numbering of kinds and algorithms are the spec's", () => {
      expect(LEAF_VERSION).to.equal(1);
      expect(LEAF_LENGTH).to.equal(224);
      expect(EvidenceKind).to.deep.equal({
        Contract: 1,
        Consent: 2,
        CreditQuery: 3,
        FundFlowVoucher: 4,
        Ruling: 5,
        LifecycleNotice: 6,
        Document: 7,
        CreditDecision: 8,
      });
      expect(DigestAlgorithm).to.deep.equal({ Sha256: 1, Sm3: 2 });
    });

    it("the kind and algorithm tables cannot be changed at run time", () => {
      expect(Object.isFrozen(EvidenceKind)).to.equal(true);
      expect(Object.isFrozen(DigestAlgorithm)).to.equal(true);
      expect(() => {
        (EvidenceKind as Record<string, number>).Contract = 9;
      }).to.throw(TypeError);
    });
  });

  describe("encoding", () => {
    it("is exactly 224 bytes and matches the hand-assembled layout", () => {
      const leaf = encodeLeaf(SAMPLE);
      expect(leaf).to.be.instanceOf(Uint8Array);
      expect(leaf.length).to.equal(224);
      expect(toHex(leaf)).to.equal(toHex(handEncode(SAMPLE)));
    });

    it("is what ethers decodes back as the spec's ABI tuple", () => {
      const types = ["uint8", "uint8", "uint8", "bytes32", "bytes32", "uint32", "bytes32"];
      const fields = AbiCoder.defaultAbiCoder().decode(types, encodeLeaf(SAMPLE));
      expect(fields.toArray()).to.deep.equal([
        1n,
        BigInt(SAMPLE.kind),
        BigInt(SAMPLE.digestAlgorithm),
        SAMPLE.digest,
        SAMPLE.salt,
        7n,
        SAMPLE.subject,
      ]);
    });

    it("leafHashOf is SHA-256(0x00 || leaf)", () => {
      const leaf = encodeLeaf(SAMPLE);
      expect(toHex(leafHashOf(SAMPLE))).to.equal(handLeafHash(leaf));
      expect(toHex(leafHashOf(SAMPLE))).to.equal(toHex(hashLeaf(leaf)));
    });

    it("accepts upper-case hex and encodes it like lower-case", () => {
      const upper = { ...SAMPLE, digest: `0x${SAMPLE.digest.slice(2).toUpperCase()}` };
      expect(toHex(encodeLeaf(upper))).to.equal(toHex(encodeLeaf(SAMPLE)));
      expect(decodeLeaf(encodeLeaf(upper)).digest).to.equal(SAMPLE.digest);
    });

    it("every field changes the leaf hash", () => {
      const base = toHex(leafHashOf(SAMPLE));
      const variants: EvidenceRecord[] = [
        { ...SAMPLE, kind: EvidenceKind.Ruling },
        { ...SAMPLE, digestAlgorithm: DigestAlgorithm.Sm3 },
        { ...SAMPLE, digest: sha256Hex(Buffer.from("voucher DV-0002")) },
        { ...SAMPLE, salt: `0x${"5b".repeat(32)}` },
        { ...SAMPLE, submitter: 8 },
        { ...SAMPLE, subject: ZERO32 },
      ];
      const hashes = variants.map((v) => toHex(leafHashOf(v)));
      expect(new Set([base, ...hashes]).size).to.equal(variants.length + 1);
    });
  });

  describe("LEAF.md test vectors", () => {
    it("LEAF.md publishes at least three vectors, with the pinned hashes", () => {
      expect(VECTORS.length).to.be.at.least(3);
      expect(VECTORS.map((v) => v.leafHash)).to.deep.equal(PINNED_HASHES);
    });

    it("encodeLeaf and leafHashOf reproduce every vector", () => {
      for (const v of VECTORS) {
        expect(toHex(encodeLeaf(v.record)), v.name).to.equal(v.leaf);
        expect(toHex(leafHashOf(v.record)), v.name).to.equal(v.leafHash);
      }
    });

    it("hand-assembled bytes and node:crypto reproduce every vector", () => {
      for (const v of VECTORS) {
        const leaf = handEncode(v.record);
        expect(toHex(leaf), v.name).to.equal(v.leaf);
        expect(handLeafHash(leaf), v.name).to.equal(v.leafHash);
      }
    });

    it("decodeLeaf returns every vector's record, and re-encodes it byte for byte", () => {
      for (const v of VECTORS) {
        const leaf = fromHex(v.leaf);
        expect(decodeLeaf(leaf), v.name).to.deep.equal(v.record);
        expect(toHex(encodeLeaf(decodeLeaf(leaf))), v.name).to.equal(v.leaf);
      }
    });

    it("the vectors' documented inputs are what they say", () => {
      const [v1, v2, v3] = VECTORS;
      expect(v1!.record.digest).to.equal(sha256Hex(Buffer.from("loan contract LN-2025-0001", "utf8")));
      expect(v2!.record.submitter).to.equal(2 ** 32 - 1);
      expect(v2!.record.subject).to.equal(ZERO32);
      expect(v3!.record.digest).to.equal(sha256Hex());
      expect(v3!.record.subject).to.equal(sha256Hex(Buffer.from("loan LN-2025-0001", "utf8")));
    });

    it("the word-by-word listing of vector 1 matches its leaf and the layout's offsets", () => {
      const block = /```text\n([\s\S]*?)\n```/.exec(leafMd);
      expect(block, "text block in LEAF.md").to.not.equal(null);
      const rows = block![1]!.split("\n").map((line) => line.trim().split(/\s+/));
      expect(rows.map((r) => r[1])).to.deep.equal([
        "version",
        "kind",
        "digestAlgorithm",
        "digest",
        "salt",
        "submitter",
        "subject",
      ]);
      expect(rows.map((r) => Number(r[0]))).to.deep.equal([0, 32, 64, 96, 128, 160, 192]);
      expect(`0x${rows.map((r) => r[2]).join("")}`).to.equal(VECTORS[0]!.leaf);
    });
  });

  describe("round trip", () => {
    it("decode(encode(r)) is r and encode(decode(x)) is x, for 300 random records", () => {
      const kinds = Object.values(EvidenceKind);
      const algorithms = Object.values(DigestAlgorithm);
      const random32 = (): string => newSalt(); // any 32 random bytes
      for (let i = 0; i < 300; i++) {
        const record: EvidenceRecord = {
          version: 1,
          kind: kinds[i % kinds.length]!,
          digestAlgorithm: algorithms[i % algorithms.length]!,
          digest: random32(),
          salt: newSalt(),
          submitter: [1, 2 ** 32 - 1, 1 + Math.floor(Math.random() * (2 ** 32 - 1))][i % 3]!,
          subject: i % 5 === 0 ? ZERO32 : random32(),
        };
        const leaf = encodeLeaf(record);
        expect(decodeLeaf(leaf)).to.deep.equal(record);
        expect(bytesEqual(encodeLeaf(decodeLeaf(leaf)), leaf)).to.equal(true);
        expect(bytesEqual(leaf, handEncode(record))).to.equal(true);
      }
    });

    it("decodeLeaf reads a leaf that is a view into a larger buffer", () => {
      const leaf = encodeLeaf(SAMPLE);
      const big = new Uint8Array(300);
      big.set(leaf, 40);
      expect(decodeLeaf(big.subarray(40, 264))).to.deep.equal(SAMPLE);
    });
  });

  describe("salt", () => {
    it("newSalt gives 32 fresh random bytes as 0x hex", () => {
      const salts = Array.from({ length: 200 }, newSalt);
      for (const s of salts) expect(s).to.match(/^0x[0-9a-f]{64}$/);
      expect(new Set(salts).size).to.equal(salts.length);
    });

    it("the same document gets a different leaf and leaf hash under two salts", () => {
      const a = { ...SAMPLE, salt: newSalt() };
      const b = { ...SAMPLE, salt: newSalt() };
      expect(a.salt).to.not.equal(b.salt);
      expect(toHex(encodeLeaf(a))).to.not.equal(toHex(encodeLeaf(b)));
      expect(toHex(leafHashOf(a))).to.not.equal(toHex(leafHashOf(b)));
    });
  });

  describe("decodeLeaf rejections", () => {
    const valid = encodeLeaf(SAMPLE);

    it("LEAF_BAD_LENGTH for anything but 224 bytes, including trailing bytes after a valid leaf", () => {
      for (const length of [0, 1, 32, 223, 225, 256]) {
        expectCode(() => decodeLeaf(new Uint8Array(length)), "LEAF_BAD_LENGTH", `${length} bytes`);
      }
      const trailing = new Uint8Array(256);
      trailing.set(valid);
      // abi.decode in Solidity would accept this; the spec does not.
      expectCode(() => decodeLeaf(trailing), "LEAF_BAD_LENGTH", "valid leaf + one word");
      expectCode(() => decodeLeaf(valid.subarray(0, 223)), "LEAF_BAD_LENGTH", "truncated");
      expectCode(() => decodeLeaf(toHex(valid) as unknown as Uint8Array), "LEAF_BAD_LENGTH", "hex string");
    });

    it("LEAF_NON_CANONICAL for every padding byte, in every integer word", () => {
      const padding = [
        ...range(0, 31), // version word
        ...range(32, 63), // kind word
        ...range(64, 95), // digestAlgorithm word
        ...range(160, 188), // submitter word
      ];
      expect(padding.length).to.equal(3 * 31 + 28);
      for (const i of padding) {
        expectCode(() => decodeLeaf(withByte(valid, i, 0x01)), "LEAF_NON_CANONICAL", `byte ${i}`);
        expectCode(() => decodeLeaf(withByte(valid, i, 0x80)), "LEAF_NON_CANONICAL", `byte ${i}`);
      }
    });

    it("bytes32 fields take any value", () => {
      for (const i of [...range(96, 160), ...range(192, 224)]) {
        const record = decodeLeaf(withByte(valid, i, valid[i]! ^ 0xff));
        expect(toHex(encodeLeaf(record)), `byte ${i}`).to.equal(toHex(withByte(valid, i, valid[i]! ^ 0xff)));
      }
    });

    it("LEAF_UNKNOWN_VERSION, LEAF_UNKNOWN_KIND, LEAF_UNKNOWN_ALGORITHM, LEAF_BAD_SUBMITTER", () => {
      for (const v of [0, 2, 255])
        expectCode(() => decodeLeaf(withByte(valid, 31, v)), "LEAF_UNKNOWN_VERSION", `version ${v}`);
      for (const k of [0, 9, 255])
        expectCode(() => decodeLeaf(withByte(valid, 63, k)), "LEAF_UNKNOWN_KIND", `kind ${k}`);
      for (const a of [0, 3, 255])
        expectCode(() => decodeLeaf(withByte(valid, 95, a)), "LEAF_UNKNOWN_ALGORITHM", `algorithm ${a}`);
      const zeroSubmitter = valid.slice();
      zeroSubmitter.fill(0, 188, 192);
      expectCode(() => decodeLeaf(zeroSubmitter), "LEAF_BAD_SUBMITTER", "submitter 0");
      // The lowest byte alone must not be mistaken for the whole id.
      const submitter256 = withByte(zeroSubmitter, 190, 1);
      expect(decodeLeaf(submitter256).submitter).to.equal(256);
    });

    it("with several faults, the first in EvidenceLeaf.sol's order wins", () => {
      let leaf = withByte(valid, 31, 2); // unknown version
      leaf = withByte(leaf, 40, 1); // dirty kind padding
      expectCode(() => decodeLeaf(leaf), "LEAF_NON_CANONICAL", "padding before version");
      leaf = withByte(withByte(valid, 31, 2), 63, 0);
      expectCode(() => decodeLeaf(leaf), "LEAF_UNKNOWN_VERSION", "version before kind");
      leaf = withByte(withByte(valid, 63, 9), 95, 0);
      expectCode(() => decodeLeaf(leaf), "LEAF_UNKNOWN_KIND", "kind before algorithm");
      leaf = withByte(valid, 95, 9);
      leaf.fill(0, 188, 192);
      expectCode(() => decodeLeaf(leaf), "LEAF_UNKNOWN_ALGORITHM", "algorithm before submitter");
      expectCode(() => decodeLeaf(withByte(leaf, 5, 1).subarray(0, 200)), "LEAF_BAD_LENGTH", "length first");
    });

    it("errors are LeafFormatError instances with a name and a code", () => {
      try {
        decodeLeaf(new Uint8Array(3));
        expect.fail("decodeLeaf accepted 3 bytes");
      } catch (e) {
        expect(e).to.be.instanceOf(Error);
        expect(e).to.be.instanceOf(LeafFormatError);
        expect((e as LeafFormatError).name).to.equal("LeafFormatError");
        expect((e as LeafFormatError).code).to.equal("LEAF_BAD_LENGTH");
      }
    });
  });

  describe("encodeLeaf rejections", () => {
    // Records also arrive as JSON, so the checks run at run time, past the type system.
    const bad = (patch: Record<string, unknown>): EvidenceRecord =>
      ({ ...SAMPLE, ...patch }) as EvidenceRecord;

    it("rejects unknown version, kind and algorithm", () => {
      for (const version of [0, 2, "1"])
        expectCode(() => encodeLeaf(bad({ version })), "LEAF_UNKNOWN_VERSION", String(version));
      for (const kind of [0, 9, 1.5, "1"])
        expectCode(() => encodeLeaf(bad({ kind })), "LEAF_UNKNOWN_KIND", String(kind));
      for (const digestAlgorithm of [0, 3, "1"]) {
        expectCode(
          () => encodeLeaf(bad({ digestAlgorithm })),
          "LEAF_UNKNOWN_ALGORITHM",
          String(digestAlgorithm),
        );
      }
    });

    it("rejects submitters outside 1..2^32-1", () => {
      for (const submitter of [0, -1, 1.5, 2 ** 32, Number.NaN, "7"]) {
        expectCode(() => encodeLeaf(bad({ submitter })), "LEAF_BAD_SUBMITTER", String(submitter));
      }
      expect(encodeLeaf(bad({ submitter: 2 ** 32 - 1 })).length).to.equal(224);
    });

    it("rejects digest, salt and subject that are not 0x and 64 hex digits", () => {
      const malformed = [
        SAMPLE.digest.slice(2), // no 0x
        SAMPLE.digest.slice(0, -2), // 31 bytes
        `${SAMPLE.digest}00`, // 33 bytes
        `0x${"zz".repeat(32)}`,
        `0X${SAMPLE.digest.slice(2)}`,
        "",
        undefined,
        42,
      ];
      for (const value of malformed) {
        expectCode(() => encodeLeaf(bad({ digest: value })), "LEAF_BAD_DIGEST", String(value));
        expectCode(() => encodeLeaf(bad({ salt: value })), "LEAF_BAD_SALT", String(value));
        expectCode(() => encodeLeaf(bad({ subject: value })), "LEAF_BAD_SUBJECT", String(value));
      }
    });
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe("encodeLeaf agrees with ethers' ABI encoder", () => {
  it("for 500 random records, byte for byte", async () => {
    const { AbiCoder, getBytes } = await import("ethers");
    const { randomBytes, randomInt } = await import("node:crypto");
    const { encodeLeaf: encode, LEAF_TYPES } = await import("../../../../common/formats/leaf/leaf.ts");
    const hex = (n: number) => `0x${randomBytes(n).toString("hex")}`;
    for (let i = 0; i < 500; i++) {
      const record = {
        version: 1 as const,
        kind: (1 + randomInt(7)) as 1,
        digestAlgorithm: (1 + randomInt(2)) as 1,
        digest: hex(32),
        salt: hex(32),
        submitter: 1 + randomInt(2 ** 32 - 1),
        subject: i % 5 === 0 ? `0x${"00".repeat(32)}` : hex(32),
      };
      const viaAbi = getBytes(
        AbiCoder.defaultAbiCoder().encode(LEAF_TYPES, [
          record.version,
          record.kind,
          record.digestAlgorithm,
          record.digest,
          record.salt,
          record.submitter,
          record.subject,
        ]),
      );
      expect(encode(record)).to.deep.equal(viaAbi);
    }
  });
});
