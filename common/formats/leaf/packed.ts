// The evidence leaf's packed form, the fast path beside leaf.ts: the six fields a v1 leaf carries
// (the version is implied) in 102 bytes instead of the leaf's seven 32-byte words. The anchor
// service parses requests straight into it, stores it (in blocks, anchor-service/src/store/) and
// hashes it to the leaf hash without unpacking. packed.test.ts checks every function here against
// encodeLeaf / hashLeaf, for random records.
import type { EvidenceRecord, EvidenceRecordBytes } from "./leaf.ts";
import { LEAF_LENGTH, LEAF_VERSION } from "./leaf.ts";
import { HEX_VALUE } from "../../bytes.ts";
import { sha256Into } from "../merkle/sha256.ts";

/** kind (1) ‖ digestAlgorithm (1) ‖ digest (32) ‖ salt (32) ‖ submitter (4, BE) ‖ subject (32). */
export const RECORD_BYTES = 102;
/** Where the document digest starts in a packed record (the digests index keys its first 8 bytes). */
export const PACKED_DIGEST_AT = 2;

export function packRecord(record: EvidenceRecord): Uint8Array {
  const out = new Uint8Array(RECORD_BYTES);
  out[0] = record.kind;
  out[1] = record.digestAlgorithm;
  out.set(Buffer.from(record.digest.slice(2), "hex"), 2);
  out.set(Buffer.from(record.salt.slice(2), "hex"), 34);
  new DataView(out.buffer).setUint32(66, record.submitter);
  out.set(Buffer.from(record.subject.slice(2), "hex"), 70);
  return out;
}

/** Decodes "0x" + 64 hex digits (either case) into out[at..at+32); false (out partly written) if it is not that. */
function decodeBytes32Hex(hex: unknown, out: Uint8Array, at: number): boolean {
  if (typeof hex !== "string" || hex.length !== 66 || hex.charCodeAt(0) !== 48 || hex.charCodeAt(1) !== 120)
    return false;
  for (let i = 0; i < 32; i++) {
    const hi = hex.charCodeAt(2 + 2 * i);
    const lo = hex.charCodeAt(3 + 2 * i);
    const h = hi < 256 ? HEX_VALUE[hi]! : 255;
    const l = lo < 256 ? HEX_VALUE[lo]! : 255;
    if ((h | l) === 255) return false;
    out[at + i] = (h << 4) | l;
  }
  return true;
}

/**
 * packRecord for the hot path: the same bytes, decoded straight from the hex, or undefined when a
 * bytes32 field is not "0x" + 64 hex digits (the caller then lets encodeLeaf report it). The
 * numeric fields are written as given: check them (encodeLeafBytes does) before storing.
 */
export function packRecordChecked(record: EvidenceRecord): Uint8Array | undefined {
  const out = new Uint8Array(RECORD_BYTES);
  if (
    !decodeBytes32Hex(record.digest, out, 2) ||
    !decodeBytes32Hex(record.salt, out, 34) ||
    !decodeBytes32Hex(record.subject, out, 70)
  )
    return undefined;
  out[0] = record.kind;
  out[1] = record.digestAlgorithm;
  const s = record.submitter;
  out[66] = Math.floor(s / 0x100_0000) & 0xff;
  out[67] = (s >>> 16) & 0xff;
  out[68] = (s >>> 8) & 0xff;
  out[69] = s & 0xff;
  return out;
}

// 0x00 ‖ leaf (LEAF.md: seven 32-byte words), reused: every byte that is not
// constant zero padding is rewritten for each record, and hashing is synchronous
const LEAF_INPUT = new Uint8Array(1 + LEAF_LENGTH);
LEAF_INPUT[32] = LEAF_VERSION;

/**
 * The RFC 9162 leaf hash of the packed record at packed[at..at+102), hashLeaf(encodeLeaf(record))
 * without unpacking it, written to out[outAt..outAt+32). The record must be valid (kind,
 * algorithm and submitter in range, as the intake's parsers guarantee).
 */
export function leafHashOfPackedInto(packed: Uint8Array, at: number, out: Uint8Array, outAt: number): void {
  const b = LEAF_INPUT;
  b[64] = packed[at]!; // kind: word 1
  b[96] = packed[at + 1]!; // digestAlgorithm: word 2
  // byte loops rather than set(subarray(…)): no view objects on this path
  for (let k = 0; k < 64; k++) b[97 + k] = packed[at + 2 + k]!; // digest, salt: words 3 and 4
  b[189] = packed[at + 66]!; // submitter: last 4 bytes of word 5
  b[190] = packed[at + 67]!;
  b[191] = packed[at + 68]!;
  b[192] = packed[at + 69]!;
  for (let k = 0; k < 32; k++) b[193 + k] = packed[at + 70 + k]!; // subject: word 6
  sha256Into(b, out, outAt);
}

/** leafHashOfPackedInto, as a new 32-byte array. */
export function leafHashOfPacked(packed: Uint8Array, at: number): Uint8Array {
  const out = new Uint8Array(32);
  leafHashOfPackedInto(packed, at, out, 0);
  return out;
}

/** The record fields of a packed record as bytes (views into `packed`), for encodeLeafBytes. */
export function packedRecordBytes(
  packed: Uint8Array,
  record: Pick<EvidenceRecord, "version" | "kind" | "digestAlgorithm" | "submitter">,
): EvidenceRecordBytes {
  return {
    version: record.version,
    kind: record.kind,
    digestAlgorithm: record.digestAlgorithm,
    digest: packed.subarray(2, 34),
    salt: packed.subarray(34, 66),
    submitter: record.submitter,
    subject: packed.subarray(70, 102),
  };
}

export function unpackRecord(bytes: Uint8Array): EvidenceRecord {
  const hex = (from: number, to: number) => `0x${Buffer.from(bytes.subarray(from, to)).toString("hex")}`;
  return {
    version: 1,
    kind: bytes[0] as EvidenceRecord["kind"],
    digestAlgorithm: bytes[1] as EvidenceRecord["digestAlgorithm"],
    digest: hex(2, 34),
    salt: hex(34, 66),
    submitter: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(66),
    subject: hex(70, 102),
  };
}
