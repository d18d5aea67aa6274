// The evidence leaf: a versioned record, ABI-encoded so the Solidity side decodes it with
// `abi.decode` and the TypeScript side with ethers, byte for byte the same. Spec and test
// vectors: LEAF.md next to this file. Changing anything here is a format change: read
// "Versioning" in LEAF.md first.
import { hash as nodeHash, randomBytes } from "node:crypto";
import { toHex } from "../../bytes.ts";
import { hashLeaf } from "../merkle/rfc9162.ts";
import { CodedError } from "../../errors.ts";

export const LEAF_VERSION = 1;

/** 7 static ABI words; no dynamic fields, so the length alone tells a v1 leaf apart. */
export const LEAF_LENGTH = 7 * 32;

/** What the document is. Numbers are part of the format: append, never renumber or reuse. */
export const EvidenceKind = Object.freeze({
  Contract: 1,
  Consent: 2, // the borrower's credit-query authorization (授权书)
  CreditQuery: 3,
  FundFlowVoucher: 4,
  Ruling: 5,
  LifecycleNotice: 6,
  Document: 7,
  CreditDecision: 8, // a credit decision record or a version of the credit policy (授信决策)
} as const);
export type EvidenceKind = (typeof EvidenceKind)[keyof typeof EvidenceKind];

/** How `digest` was computed; both give 32 bytes. Append-only, like EvidenceKind. */
export const DigestAlgorithm = Object.freeze({
  Sha256: 1,
  Sm3: 2,
} as const);
export type DigestAlgorithm = (typeof DigestAlgorithm)[keyof typeof DigestAlgorithm];

export type EvidenceRecord = {
  version: typeof LEAF_VERSION;
  kind: EvidenceKind;
  digestAlgorithm: DigestAlgorithm;
  /** 0x-prefixed 32-byte hex; decodeLeaf returns lowercase. */
  digest: string;
  /** 32 random bytes (newSalt), so a short document cannot be confirmed by guessing. */
  salt: string;
  /** Consortium member id, 1..2^32-1. */
  submitter: number;
  /** For example a loan id; bytes32 zero means "no subject". */
  subject: string;
};

export type LeafErrorCode =
  | "LEAF_BAD_LENGTH"
  | "LEAF_UNKNOWN_VERSION"
  | "LEAF_UNKNOWN_KIND"
  | "LEAF_UNKNOWN_ALGORITHM"
  | "LEAF_BAD_SUBMITTER"
  | "LEAF_NON_CANONICAL"
  | "LEAF_BAD_DIGEST"
  | "LEAF_BAD_SALT"
  | "LEAF_BAD_SUBJECT";

/** Thrown for any leaf or record that is not a valid v1 leaf; callers branch on `code`. */
export class LeafFormatError extends CodedError<LeafErrorCode> {}

/** The ABI types of the seven words, in order (for other ABI tooling; encodeLeaf writes them by hand). */
export const LEAF_TYPES = ["uint8", "uint8", "uint8", "bytes32", "bytes32", "uint32", "bytes32"] as const;
const KINDS: ReadonlySet<number> = new Set(Object.values(EvidenceKind));
const ALGORITHMS: ReadonlySet<number> = new Set(Object.values(DigestAlgorithm));
const MAX_SUBMITTER = 0xffff_ffff;
const BYTES32_HEX = /^0x[0-9a-fA-F]{64}$/;

// Byte offsets of each word; a uintN sits right-aligned in its word, the rest must be zero.
const WORD = 32;
const OFFSET = {
  version: 0 * WORD,
  kind: 1 * WORD,
  digestAlgorithm: 2 * WORD,
  digest: 3 * WORD,
  salt: 4 * WORD,
  submitter: 5 * WORD,
  subject: 6 * WORD,
} as const;

export function encodeLeaf(record: EvidenceRecord): Uint8Array {
  checkRecord(record);
  // Written byte by byte rather than through ethers' AbiCoder: the layout is seven static words
  // (LEAF.md), and the anchor service encodes tens of thousands of leaves a second. The tests
  // check it against AbiCoder and the published vectors.
  const out = new Uint8Array(LEAF_LENGTH);
  out[OFFSET.version + WORD - 1] = record.version;
  out[OFFSET.kind + WORD - 1] = record.kind;
  out[OFFSET.digestAlgorithm + WORD - 1] = record.digestAlgorithm;
  out.set(Buffer.from(record.digest.slice(2), "hex"), OFFSET.digest);
  out.set(Buffer.from(record.salt.slice(2), "hex"), OFFSET.salt);
  new DataView(out.buffer).setUint32(OFFSET.submitter + WORD - 4, record.submitter);
  out.set(Buffer.from(record.subject.slice(2), "hex"), OFFSET.subject);
  return out;
}

/**
 * Strict inverse of encodeLeaf: anything encodeLeaf could not have produced is rejected, so
 * encodeLeaf(decodeLeaf(x)) is x and one record has exactly one leaf hash.
 */
export function decodeLeaf(bytes: Uint8Array): EvidenceRecord {
  if (!(bytes instanceof Uint8Array) || bytes.length !== LEAF_LENGTH) {
    const got = bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes;
    throw new LeafFormatError("LEAF_BAD_LENGTH", `leaf must be ${LEAF_LENGTH} bytes, got ${got}`);
  }
  // All padding before any value check, in word order, as EvidenceLeaf.sol does: a leaf with
  // several faults gets the same error code on both sides.
  const version = readUint(bytes, OFFSET.version, 1, "version");
  const kind = readUint(bytes, OFFSET.kind, 1, "kind");
  const digestAlgorithm = readUint(bytes, OFFSET.digestAlgorithm, 1, "digestAlgorithm");
  const submitter = readUint(bytes, OFFSET.submitter, 4, "submitter");
  const record = {
    version,
    kind,
    digestAlgorithm,
    digest: toHex(bytes.subarray(OFFSET.digest, OFFSET.digest + WORD)),
    salt: toHex(bytes.subarray(OFFSET.salt, OFFSET.salt + WORD)),
    submitter,
    subject: toHex(bytes.subarray(OFFSET.subject, OFFSET.subject + WORD)),
  };
  checkRecord(record);
  return record;
}

/** An evidence record whose three bytes32 fields are already bytes (32 each). */
export type EvidenceRecordBytes = {
  version: typeof LEAF_VERSION;
  kind: EvidenceKind;
  digestAlgorithm: DigestAlgorithm;
  digest: Uint8Array;
  salt: Uint8Array;
  submitter: number;
  subject: Uint8Array;
};

/**
 * encodeLeaf for a record whose digest, salt and subject are 32-byte arrays rather than hex:
 * the same bytes, the same checks (a field that is not 32 bytes fails with that field's code),
 * without the hex round trip. For hot paths that already hold the bytes.
 */
export function encodeLeafBytes(record: EvidenceRecordBytes): Uint8Array {
  const out = new Uint8Array(LEAF_LENGTH);
  writeLeafBytes(record, out, 0);
  return out;
}

/** RFC 9162 leaf hash of encodeLeafBytes(record), without copying the leaf again to hash it. */
export function leafHashOfBytes(record: EvidenceRecordBytes): Uint8Array {
  // 0x00 ‖ leaf, as hashLeaf builds it, in one reused buffer: every byte but the constant zero
  // padding is rewritten each time, and hashing is synchronous
  writeLeafBytes(record, HASH_INPUT, 1);
  return new Uint8Array(nodeHash("sha256", HASH_INPUT, "buffer"));
}

const HASH_INPUT = new Uint8Array(1 + LEAF_LENGTH);

function writeLeafBytes(record: EvidenceRecordBytes, out: Uint8Array, at: number): void {
  checkNumbers(record);
  checkBytes32Array(record.digest, "digest", "LEAF_BAD_DIGEST");
  checkBytes32Array(record.salt, "salt", "LEAF_BAD_SALT");
  checkBytes32Array(record.subject, "subject", "LEAF_BAD_SUBJECT");
  out[at + OFFSET.version + WORD - 1] = record.version;
  out[at + OFFSET.kind + WORD - 1] = record.kind;
  out[at + OFFSET.digestAlgorithm + WORD - 1] = record.digestAlgorithm;
  out.set(record.digest, at + OFFSET.digest);
  out.set(record.salt, at + OFFSET.salt);
  const s = record.submitter;
  const w = at + OFFSET.submitter + WORD - 4;
  out[w] = Math.floor(s / 0x100_0000) & 0xff;
  out[w + 1] = (s >>> 16) & 0xff;
  out[w + 2] = (s >>> 8) & 0xff;
  out[w + 3] = s & 0xff;
  out.set(record.subject, at + OFFSET.subject);
}

export function leafHashOf(record: EvidenceRecord): Uint8Array {
  return hashLeaf(encodeLeaf(record));
}

export function newSalt(): string {
  return toHex(randomBytes(32));
}

/** Reads a right-aligned uint of `width` bytes from a word whose leading bytes must be zero. */
function readUint(bytes: Uint8Array, offset: number, width: number, field: string): number {
  for (let i = offset; i < offset + WORD - width; i++) {
    if (bytes[i] !== 0) {
      throw new LeafFormatError(
        "LEAF_NON_CANONICAL",
        `${field} (word ${offset / WORD}): byte ${i} is ${bytes[i]}, but the word's padding must be zero`,
      );
    }
  }
  let value = 0;
  for (let i = offset + WORD - width; i < offset + WORD; i++) value = value * 256 + bytes[i]!;
  return value;
}

// Runtime checks as well as types: records also arrive as JSON from other members.
function checkRecord(record: {
  version: number;
  kind: number;
  digestAlgorithm: number;
  digest: string;
  salt: string;
  submitter: number;
  subject: string;
}): asserts record is EvidenceRecord {
  checkNumbers(record);
  checkBytes32(record.digest, "digest", "LEAF_BAD_DIGEST");
  checkBytes32(record.salt, "salt", "LEAF_BAD_SALT");
  checkBytes32(record.subject, "subject", "LEAF_BAD_SUBJECT");
}

function checkNumbers(record: {
  version: number;
  kind: number;
  digestAlgorithm: number;
  submitter: number;
}): void {
  if (record.version !== LEAF_VERSION) {
    throw new LeafFormatError("LEAF_UNKNOWN_VERSION", `unknown leaf version ${String(record.version)}`);
  }
  if (!KINDS.has(record.kind)) {
    throw new LeafFormatError("LEAF_UNKNOWN_KIND", `unknown evidence kind ${String(record.kind)}`);
  }
  if (!ALGORITHMS.has(record.digestAlgorithm)) {
    throw new LeafFormatError(
      "LEAF_UNKNOWN_ALGORITHM",
      `unknown digest algorithm ${String(record.digestAlgorithm)}`,
    );
  }
  if (!Number.isInteger(record.submitter) || record.submitter < 1 || record.submitter > MAX_SUBMITTER) {
    throw new LeafFormatError(
      "LEAF_BAD_SUBMITTER",
      `submitter must be a member id in 1..${MAX_SUBMITTER}, got ${String(record.submitter)}`,
    );
  }
}

function checkBytes32(value: unknown, field: string, code: LeafErrorCode): void {
  if (typeof value !== "string" || !BYTES32_HEX.test(value)) {
    throw new LeafFormatError(code, `${field} must be 0x followed by 64 hex digits, got ${String(value)}`);
  }
}

function checkBytes32Array(value: unknown, field: string, code: LeafErrorCode): void {
  if (!(value instanceof Uint8Array) || value.length !== WORD) {
    const got = value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
    throw new LeafFormatError(code, `${field} must be 32 bytes, got ${got}`);
  }
}
