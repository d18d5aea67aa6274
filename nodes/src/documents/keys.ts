// The document store's sublevels, with their key and value layout. The node creates them (its
// own keys.ts lists them under "documents") and passes them in; documentSublevels() creates
// them with the right encodings under one parent. Numeric keys are big-endian and fixed width.
//
//   blobs             documentId (32)                → sealed document: version ‖ IV ‖ AES-256-GCM
//                                                      ciphertext ‖ tag (../privacy/crypto-box.ts; aad = documentId)
//   records           documentId (32)                → JSON DocumentRecord: kind, owner, loanId, caseId,
//                                                      sha256 and size of the plaintext, createdAt, meta
//                                                      (no personal data; never the bytes)
//   byLoan            loanId (32) ‖ documentId (32)  → empty; a loan's documents
//   accessLog         seq (6 bytes)                  → JSON AccessLogEntry, one per read attempt, granted
//                                                      or not, in the order they happened
//   accessByDocument  documentId (32) ‖ seq (6)      → empty; a document's access-log entries
//
// A document's blob, record and loan index are written in one batch; so is every access-log
// entry with its index entry. Nothing is ever half-written.
import { readUintBE, uintBE } from "../../../common/bytes.ts";
import type { LevelRoot, Sublevel } from "../../../common/level.ts";
import { concat } from "../indexer/keys.ts";

export const ID_BYTES = 32;
export const SEQ_BYTES = 6;

export type BytesSublevel = Sublevel<Uint8Array, Uint8Array>;
export type JsonSublevel<V> = Sublevel<Uint8Array, V>;

export type DocumentSublevels = {
  blobs: BytesSublevel;
  records: JsonSublevel<unknown>;
  byLoan: BytesSublevel;
  accessLog: JsonSublevel<unknown>;
  accessByDocument: BytesSublevel;
};

const bytes = { keyEncoding: "view", valueEncoding: "view" } as const;
const json = { keyEncoding: "view", valueEncoding: "json" } as const;

/** Each sublevel's name and encodings. */
export const DOCUMENT_SUBLEVELS = {
  blobs: bytes,
  records: json,
  byLoan: bytes,
  accessLog: json,
  accessByDocument: bytes,
} as const;

/** Creates the store's sublevels under `parent.sublevel(name)` (default "documents"). */
export function documentSublevels(parent: LevelRoot, name = "documents"): DocumentSublevels {
  const docs = parent.sublevel<Uint8Array, Uint8Array>(name, bytes);
  return {
    blobs: docs.sublevel<Uint8Array, Uint8Array>("blobs", DOCUMENT_SUBLEVELS.blobs),
    records: docs.sublevel<Uint8Array, unknown>("records", DOCUMENT_SUBLEVELS.records),
    byLoan: docs.sublevel<Uint8Array, Uint8Array>("byLoan", DOCUMENT_SUBLEVELS.byLoan),
    accessLog: docs.sublevel<Uint8Array, unknown>("accessLog", DOCUMENT_SUBLEVELS.accessLog),
    accessByDocument: docs.sublevel<Uint8Array, Uint8Array>(
      "accessByDocument",
      DOCUMENT_SUBLEVELS.accessByDocument,
    ),
  };
}

export function seqKey(seq: number): Uint8Array {
  return uintBE(seq, SEQ_BYTES);
}

export function readSeq(bytes: Uint8Array, offset = 0): number {
  return readUintBE(bytes, SEQ_BYTES, offset);
}

/** Keys of several parts (loanId ‖ documentId, documentId ‖ seq): the indexer's concatenation. */
export const concatKey = concat;

/** Bounds of the keys `prefix ‖ rest` with a fixed-width rest: prefix ‖ 00… to prefix ‖ ff…, inclusive. */
export function prefixRange(prefix: Uint8Array, restBytes: number): { gte: Uint8Array; lte: Uint8Array } {
  return {
    gte: concatKey(prefix, new Uint8Array(restBytes)),
    lte: concatKey(prefix, new Uint8Array(restBytes).fill(0xff)),
  };
}
