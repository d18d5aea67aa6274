// The fast path of POST /v1/leaves: reads the raw JSON body straight into packed records (the
// 102-byte layout of common/formats/leaf/packed.ts), without JSON.parse's objects, zod's copies or hex strings.
// It accepts only the plain form clients send — `{"records":[{…},…]}`, each record's fields once,
// bytes32 values as "0x" + 64 hex digits, integers in plain digits, no escapes — and answers
// undefined for anything else, which then goes the general way (JSON.parse, then the zod schema
// in schemas/leaves.ts), so every error keeps its code and message. What it accepts, the general
// way accepts too, with the same values: the tests check the two agree.
//
// Duplicate keys: JSON.parse keeps the last of a repeated key, so `"kind":7,"kind":1` would be
// stored as kind 1 while another reader of the same signed bytes may see 7. The fast path declines
// any repeated field (it goes the general way), and the general way refuses a body in which any
// object repeats a key (duplicateKeyIn, run only off the hot path).
import { DigestAlgorithm, EvidenceKind } from "../../../common/formats/leaf/leaf.ts";
import { RECORD_BYTES } from "../../../common/formats/leaf/packed.ts";
import { HEX_VALUE } from "../../../common/bytes.ts";

// the general way's duplicate-key check lives in common/ (the node refuses repeated keys too)
export { duplicateKeyIn } from "../../../common/json/duplicate-keys.ts";

/** A parsed submission: records packed back to back; the submitter is written by withSubmitter. */
export class PackedSubmission {
  readonly count: number;
  /** count × RECORD_BYTES; bytes 66..70 of each record (the submitter) are zero until withSubmitter. */
  readonly packed: Uint8Array;
  /** Each record's "submitter" as sent, 0 where it was left out. */
  readonly submitters: Float64Array;

  constructor(count: number, packed: Uint8Array, submitters: Float64Array) {
    this.count = count;
    this.packed = packed;
    this.submitters = submitters;
  }

  /** The index of the first record that names a submitter other than `memberId`, or -1. */
  mismatch(memberId: number): number {
    for (let i = 0; i < this.count; i++) {
      const s = this.submitters[i]!;
      if (s !== 0 && s !== memberId) return i;
    }
    return -1;
  }

  /** Writes `memberId` as every record's submitter; returns the packed records. */
  withSubmitter(memberId: number): Uint8Array {
    const b0 = Math.floor(memberId / 0x100_0000) & 0xff;
    const b1 = (memberId >>> 16) & 0xff;
    const b2 = (memberId >>> 8) & 0xff;
    const b3 = memberId & 0xff;
    for (let o = 66; o < this.packed.length; o += RECORD_BYTES) {
      this.packed[o] = b0;
      this.packed[o + 1] = b1;
      this.packed[o + 2] = b2;
      this.packed[o + 3] = b3;
    }
    return this.packed;
  }
}

const KINDS = new Set<number>(Object.values(EvidenceKind));
const ALGORITHMS = new Set<number>(Object.values(DigestAlgorithm));
const MAX_SUBMITTER = 0xffff_ffff;

// field bits
const VERSION = 1;
const KIND = 2;
const ALGORITHM = 4;
const DIGEST = 8;
const SALT = 16;
const SUBMITTER = 32;
const SUBJECT = 64;
const REQUIRED = KIND | ALGORITHM | DIGEST | SALT;

/** Whether b[at..] is `name` followed by the closing quote. */
function isName(b: Uint8Array, at: number, end: number, name: string): boolean {
  if (at + name.length >= end || b[at + name.length] !== 34) return false;
  for (let i = 0; i < name.length; i++) if (b[at + i] !== name.charCodeAt(i)) return false;
  return true;
}

/** The field a key names (its bit), 0 for none. `at` is the byte after the opening quote. */
function fieldAt(b: Uint8Array, at: number, end: number): number {
  switch (b[at]) {
    case 118: // v
      return isName(b, at, end, "version") ? VERSION : 0;
    case 107: // k
      return isName(b, at, end, "kind") ? KIND : 0;
    case 100: // d
      return isName(b, at, end, "digestAlgorithm") ? ALGORITHM : isName(b, at, end, "digest") ? DIGEST : 0;
    case 115: // s
      return isName(b, at, end, "salt")
        ? SALT
        : isName(b, at, end, "submitter")
          ? SUBMITTER
          : isName(b, at, end, "subject")
            ? SUBJECT
            : 0;
    default:
      return 0;
  }
}

/** What separator() found. */
const MORE = 1;
const CLOSED = 0;
const OTHER = -1;

const NAME_LENGTH: Record<number, number> = {
  [VERSION]: 7,
  [KIND]: 4,
  [ALGORITHM]: 15,
  [DIGEST]: 6,
  [SALT]: 4,
  [SUBMITTER]: 9,
  [SUBJECT]: 7,
};

/**
 * Parses a body of the plain form into packed records, or undefined when the body is anything
 * else (the caller then parses and validates it the general way). At most `maxRecords` records.
 */
export function parseSubmitBody(b: Uint8Array, maxRecords: number): PackedSubmission | undefined {
  const end = b.length;
  let i = 0;
  const ws = () => {
    while (i < end) {
      const c = b[i]!;
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
  };
  const expect = (c: number): boolean => {
    ws();
    if (b[i] !== c) return false;
    i++;
    return true;
  };
  /** What follows a member or an element: a comma (MORE), the closing `close` (CLOSED), or anything else. */
  const separator = (close: number): number => {
    ws();
    const c = b[i];
    if (c !== 44 && c !== close) return OTHER;
    i++;
    return c === 44 ? MORE : CLOSED;
  };
  /** A plain JSON integer (no sign, fraction or exponent, no leading zero), at most 10 digits; -1 otherwise. */
  const integer = (): number => {
    ws();
    const start = i;
    let v = 0;
    while (i < end && b[i]! >= 48 && b[i]! <= 57 && i - start < 11) v = v * 10 + (b[i++]! - 48);
    const digits = i - start;
    if (digits === 0 || digits > 10 || (digits > 1 && b[start] === 48)) return -1;
    const c = b[i];
    if (c === 46 || c === 101 || c === 69) return -1; // a fraction or exponent: the general way
    return v;
  };
  /** A quoted "0x" + 64 hex digits, decoded into out[at..at+32); false otherwise. */
  const bytes32 = (out: Uint8Array, at: number): boolean => {
    ws();
    if (i + 68 > end || b[i] !== 34 || b[i + 1] !== 48 || b[i + 2] !== 120 || b[i + 67] !== 34) return false;
    let p = i + 3;
    for (let k = 0; k < 32; k++) {
      const h = HEX_VALUE[b[p]!]!;
      const l = HEX_VALUE[b[p + 1]!]!;
      if ((h | l) === 255) return false;
      out[at + k] = (h << 4) | l;
      p += 2;
    }
    i += 68;
    return true;
  };

  if (!expect(123)) return undefined; // {
  ws();
  if (i + 9 > end || b[i] !== 34 || b[i + 8] !== 34) return undefined;
  for (let k = 0; k < 7; k++) if (b[i + 1 + k] !== "records".charCodeAt(k)) return undefined;
  i += 9;
  if (!expect(58) || !expect(91)) return undefined; // : [

  // records are packed into a buffer that grows by doubling, then trimmed
  let capacity = 64;
  let packed = new Uint8Array(capacity * RECORD_BYTES);
  let submitters = new Float64Array(capacity);
  let count = 0;
  for (;;) {
    if (!expect(123)) return undefined; // { (an empty list, or anything else, goes the general way)
    if (count === maxRecords) return undefined;
    if (count === capacity) {
      capacity *= 2;
      const p = new Uint8Array(capacity * RECORD_BYTES);
      p.set(packed);
      packed = p;
      const s = new Float64Array(capacity);
      s.set(submitters);
      submitters = s;
    }
    const o = count * RECORD_BYTES;
    let seen = 0;
    for (;;) {
      ws();
      if (b[i] !== 34) return undefined;
      const field = fieldAt(b, i + 1, end);
      if (field === 0 || (seen & field) !== 0) return undefined; // unknown or repeated
      seen |= field;
      i += NAME_LENGTH[field]! + 2;
      if (!expect(58)) return undefined; // :
      switch (field) {
        case VERSION:
          if (integer() !== 1) return undefined;
          break;
        case KIND: {
          const v = integer();
          if (!KINDS.has(v)) return undefined;
          packed[o] = v;
          break;
        }
        case ALGORITHM: {
          const v = integer();
          if (!ALGORITHMS.has(v)) return undefined;
          packed[o + 1] = v;
          break;
        }
        case DIGEST:
          if (!bytes32(packed, o + 2)) return undefined;
          break;
        case SALT:
          if (!bytes32(packed, o + 34)) return undefined;
          break;
        case SUBMITTER: {
          const v = integer();
          if (v < 1 || v > MAX_SUBMITTER) return undefined;
          submitters[count] = v;
          break;
        }
        case SUBJECT:
          if (!bytes32(packed, o + 70)) return undefined;
          break;
      }
      const after = separator(125); // , or }
      if (after === MORE) continue;
      if (after === CLOSED) break;
      return undefined;
    }
    if ((seen & REQUIRED) !== REQUIRED) return undefined;
    count++; // an absent subject stays zero, its default
    const after = separator(93); // , or ]
    if (after === MORE) continue;
    if (after === CLOSED) break;
    return undefined;
  }
  if (!expect(125)) return undefined; // }
  ws();
  if (i !== end) return undefined;
  return new PackedSubmission(count, packed.subarray(0, count * RECORD_BYTES), submitters.subarray(0, count));
}
