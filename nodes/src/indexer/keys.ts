// Every sublevel of the indexer's read model, with its key and value layout. Numeric keys are
// big-endian and fixed width, so LevelDB's byte order is numeric order; ids and hashes are their
// raw 32 bytes. Index sublevels hold empty values (or the record's key) and are written in the
// same batch as the record they point to.
//
//   loans             loanId (32)                                → Loan (JSON, fen as decimal strings)
//   loansByState      state (1) ‖ loanId (32)                    → empty (state: LOAN_STATES index)
//   loansByBranch     branch (4) ‖ loanId (32)                   → empty
//   loansByPlatform   platform (4) ‖ loanId (32)                 → empty (the platform that brought
//                                                                  the loan, joint or assisted)
//   loansByBorrower   borrowerKey (32) ‖ loanId (32)             → empty
//   exposure          borrowerKey (32)                           → outstanding principal, fen (JSON
//                                                                  decimal string); absent = 0
//   flows             serial (32)                                → FundFlow (JSON)
//   flowsByDay        day (4) ‖ block (6) ‖ logIndex (4)         → serial (32); day = Shanghai day number
//   flowsByLoan       loanId (32) ‖ block (6) ‖ logIndex (4)     → serial (32)
//   stages            loanId (32) ‖ block (6) ‖ logIndex (4)     → StageChange (JSON): the dispute history
//   cases             caseId (32)                                → ArbitrationCase (JSON)
//   evidence          leafHash (32)                              → Evidence (JSON, with its lifecycle records)
//   evidenceBySubject subject (32) ‖ leafHash (32)               → empty (subject: e.g. a loan id)
//   whitelist         member (4) ‖ accountHash (32)              → empty: a settlement account the
//                                                                  ledger whitelists for the member
//   meta              utf8 name                                  → JSON: "cursor" (last indexed block
//                                                                  and its hash), "chain" (genesis hash,
//                                                                  contract addresses, fromBlock)
//
// Everything but `meta` is the read model: wiped together on a chain reset and covered by
// digest(). A page of blocks, its effects on every sublevel and the new cursor are one batch.
import { readUintBE, uintBE } from "../../../common/bytes.ts";

export const MODEL_SUBLEVELS = [
  "loans",
  "loansByState",
  "loansByBranch",
  "loansByPlatform",
  "loansByBorrower",
  "exposure",
  "flows",
  "flowsByDay",
  "flowsByLoan",
  "stages",
  "cases",
  "evidence",
  "evidenceBySubject",
  "whitelist",
] as const;
export type ModelSublevel = (typeof MODEL_SUBLEVELS)[number];

/** Sublevels whose values are JSON records; the others are key-only indexes (bytes). */
export const JSON_SUBLEVELS: ReadonlySet<ModelSublevel> = new Set([
  "loans",
  "exposure",
  "flows",
  "stages",
  "cases",
  "evidence",
]);

export const META_CURSOR = "cursor";
export const META_CHAIN = "chain";

export const BLOCK_BYTES = 6;
export const LOG_INDEX_BYTES = 4;

/** `value` as `width` big-endian bytes (unsigned; throws if it does not fit). */
export function uintBytes(value: number, width: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0 || value >= 2 ** (8 * width)) {
    throw new RangeError(`${value} does not fit in ${width} unsigned bytes`);
  }
  return uintBE(value, width);
}

export function readUint(bytes: Uint8Array, offset: number, width: number): number {
  return readUintBE(bytes, width, offset);
}

/** A 0x-prefixed 32-byte hex id as its raw bytes. */
export function id32(hex: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new RangeError(`not a 32-byte hex value: ${hex}`);
  return new Uint8Array(Buffer.from(hex.slice(2), "hex"));
}

export function hex32(bytes: Uint8Array, offset = 0): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset + offset, 32).toString("hex")}`;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Where a log sits in the chain: block (6) ‖ logIndex (4), so index entries sort chronologically. */
export function positionKey(blockNumber: number, logIndex: number): Uint8Array {
  return concat(uintBytes(blockNumber, BLOCK_BYTES), uintBytes(logIndex, LOG_INDEX_BYTES));
}

export const loanKey = (loanId: string): Uint8Array => id32(loanId);
export const stateKey = (state: number, loanId: string): Uint8Array =>
  concat(uintBytes(state, 1), id32(loanId));
export const memberLoanKey = (memberId: number, loanId: string): Uint8Array =>
  concat(uintBytes(memberId, 4), id32(loanId));
export const borrowerLoanKey = (borrowerKey: string, loanId: string): Uint8Array =>
  concat(id32(borrowerKey), id32(loanId));
export const dayFlowKey = (day: number, blockNumber: number, logIndex: number): Uint8Array =>
  concat(uintBytes(day, 4), positionKey(blockNumber, logIndex));
export const loanPositionKey = (loanId: string, blockNumber: number, logIndex: number): Uint8Array =>
  concat(id32(loanId), positionKey(blockNumber, logIndex));
export const subjectKey = (subject: string, leafHash: string): Uint8Array =>
  concat(id32(subject), id32(leafHash));
export const whitelistKey = (memberId: number, accountHash: string): Uint8Array =>
  concat(uintBytes(memberId, 4), id32(accountHash));

/** [gte, lt) bounds of every key that starts with `prefix`. */
export function prefixRange(prefix: Uint8Array): { gte: Uint8Array; lt: Uint8Array } {
  const lt = prefix.slice();
  for (let i = lt.length - 1; i >= 0; i--) {
    if (lt[i]! < 255) {
      lt[i] = lt[i]! + 1;
      return { gte: prefix, lt: lt.slice(0, i + 1) };
    }
  }
  // all 0xff: no upper bound shorter than the prefix; a longer all-0xff bound covers it
  return { gte: prefix, lt: new Uint8Array(prefix.length + 64).fill(255) };
}
