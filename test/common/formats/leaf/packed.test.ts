// The leaf's fast forms against its reference: for any valid record, the packed 102-byte form,
// the hash computed from it and the bytes-based encoder give exactly what encodeLeaf and hashLeaf
// give; the hot path's hex decoding accepts exactly what encodeLeaf accepts as hex.
import { expect } from "chai";
import fc from "fast-check";
import { HEX_DIGITS, HEX_VALUE, toHex } from "../../../../common/bytes.ts";
import type { EvidenceRecord } from "../../../../common/formats/leaf/leaf.ts";
import {
  DigestAlgorithm,
  EvidenceKind,
  encodeLeaf,
  encodeLeafBytes,
  leafHashOf,
  leafHashOfBytes,
} from "../../../../common/formats/leaf/leaf.ts";
import {
  PACKED_DIGEST_AT,
  RECORD_BYTES,
  leafHashOfPacked,
  leafHashOfPackedInto,
  packRecord,
  packRecordChecked,
  packedRecordBytes,
  unpackRecord,
} from "../../../../common/formats/leaf/packed.ts";
import { hashLeaf } from "../../../../common/formats/merkle/rfc9162.ts";

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex);
const record: fc.Arbitrary<EvidenceRecord> = fc.record({
  version: fc.constant(1 as const),
  kind: fc.constantFrom(...Object.values(EvidenceKind)),
  digestAlgorithm: fc.constantFrom(...Object.values(DigestAlgorithm)),
  digest: bytes32,
  salt: bytes32,
  submitter: fc.oneof(fc.integer({ min: 1, max: 0xffff_ffff }), fc.constantFrom(1, 0xff, 0x100, 0xffff_ffff)),
  subject: fc.oneof(bytes32, fc.constant(`0x${"00".repeat(32)}`)),
});

describe("common/formats/leaf: the packed form agrees with the reference encoder", () => {
  it("packRecord, packRecordChecked, unpackRecord, leafHashOfPacked, leafHashOfBytes and encodeLeafBytes agree with encodeLeaf / hashLeaf", () => {
    fc.assert(
      fc.property(record, (r) => {
        const reference = hashLeaf(encodeLeaf(r));
        const packed = packRecord(r);
        expect(packed.length).to.equal(RECORD_BYTES);
        expect(packRecordChecked(r)).to.deep.equal(packed);
        expect(unpackRecord(packed)).to.deep.equal(r);
        expect(toHex(packed.subarray(PACKED_DIGEST_AT, PACKED_DIGEST_AT + 32))).to.equal(r.digest);
        expect(leafHashOfPacked(packed, 0)).to.deep.equal(reference);
        expect(leafHashOf(r)).to.deep.equal(reference);
        expect(leafHashOfBytes(packedRecordBytes(packed, r))).to.deep.equal(reference);
        expect(encodeLeafBytes(packedRecordBytes(packed, r))).to.deep.equal(encodeLeaf(r));
      }),
      { numRuns: 500 },
    );
  });

  it("leafHashOfPackedInto reads a record anywhere in a run of records and writes its hash where asked", () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), (rs) => {
        const run = new Uint8Array(rs.length * RECORD_BYTES);
        rs.forEach((r, i) => run.set(packRecord(r), i * RECORD_BYTES));
        const out = new Uint8Array(rs.length * 32 + 7);
        rs.forEach((_, i) => leafHashOfPackedInto(run, i * RECORD_BYTES, out, 7 + i * 32));
        rs.forEach((r, i) =>
          expect(out.subarray(7 + i * 32, 7 + i * 32 + 32)).to.deep.equal(hashLeaf(encodeLeaf(r))),
        );
      }),
      { numRuns: 200 },
    );
  });

  it("packRecordChecked accepts upper-case hex as packRecord does, and declines what is not 0x + 64 hex digits (which encodeLeaf refuses)", () => {
    fc.assert(
      fc.property(
        record,
        fc.integer({ min: 0, max: 63 }),
        fc.constantFrom("g", "G", " ", "x", "ā", "١", "\u0130", "/", ":", "@", "`"),
        (r, at, bad) => {
          const upper = { ...r, salt: `0x${r.salt.slice(2).toUpperCase()}` };
          expect(packRecordChecked(upper)).to.deep.equal(packRecord(r));
          const body = r.digest.slice(2);
          const broken = { ...r, digest: `0x${body.slice(0, at)}${bad}${body.slice(at + 1)}` };
          expect(packRecordChecked(broken)).to.equal(undefined);
          expect(() => encodeLeaf(broken)).to.throw();
        },
      ),
      { numRuns: 300 },
    );
    for (const digest of [
      "",
      "0x",
      `0x${"ab".repeat(31)}`,
      `0x${"ab".repeat(33)}`,
      `0X${"ab".repeat(32)}`,
      `00${"ab".repeat(32)}`,
    ]) {
      expect(packRecordChecked({ ...recordOf(), digest })).to.equal(undefined);
    }
  });

  it("the one hex table: HEX_VALUE and HEX_DIGITS agree with parseInt and toString(16) for every char code and byte", () => {
    for (let c = 0; c < 256; c++) {
      const ch = String.fromCharCode(c);
      const expected = /^[0-9a-fA-F]$/.test(ch) ? parseInt(ch, 16) : 255;
      expect(HEX_VALUE[c], `char code ${c}`).to.equal(expected);
    }
    for (let b = 0; b < 256; b++) {
      expect(String.fromCharCode(HEX_DIGITS[2 * b]!, HEX_DIGITS[2 * b + 1]!)).to.equal(
        b.toString(16).padStart(2, "0"),
      );
    }
  });
});

function recordOf(): EvidenceRecord {
  return {
    version: 1,
    kind: EvidenceKind.Contract,
    digestAlgorithm: DigestAlgorithm.Sha256,
    digest: `0x${"11".repeat(32)}`,
    salt: `0x${"22".repeat(32)}`,
    submitter: 7,
    subject: `0x${"00".repeat(32)}`,
  };
}
