// Benchmark data shared by the service run, the load client (a worker thread) and the baseline:
// record i is derived from 96 random "seed" bytes (digest ‖ salt ‖ subject), so every part of
// the benchmark works on exactly the same records and the same leaf hashes.
import { encodeLeaf, type EvidenceRecord } from "../common/formats/leaf/leaf.ts";
import { hashLeaf } from "../common/formats/merkle/rfc9162.ts";

export const SEED_BYTES = 96;

/** The record as a member submits it over HTTP (body of POST /v1/leaves). */
export type SubmittedRecord = {
  kind: number;
  digestAlgorithm: number;
  digest: string;
  salt: string;
  subject: string;
};

function hexAt(seeds: Buffer, offset: number): string {
  return `0x${seeds.toString("hex", offset, offset + 32)}`;
}

export function submittedRecord(seeds: Buffer, i: number): SubmittedRecord {
  const o = i * SEED_BYTES;
  return {
    kind: 1 + (i % 7),
    digestAlgorithm: 1,
    digest: hexAt(seeds, o),
    salt: hexAt(seeds, o + 32),
    subject: hexAt(seeds, o + 64),
  };
}

/** The stored evidence record (what the service derives from a submission by `submitter`). */
export function evidenceRecord(seeds: Buffer, i: number, submitter: number): EvidenceRecord {
  return { version: 1, ...submittedRecord(seeds, i), submitter } as EvidenceRecord;
}

export function leafHash(seeds: Buffer, i: number, submitter: number): Uint8Array {
  return hashLeaf(encodeLeaf(evidenceRecord(seeds, i, submitter)));
}

export function leafHashHex(seeds: Buffer, i: number, submitter: number): string {
  return `0x${Buffer.from(leafHash(seeds, i, submitter)).toString("hex")}`;
}

/** A signed POST /v1/leaves built before the clock starts: the body, its signed submission, headers, expiry and record count. */
export type PreparedSubmission = {
  body: Buffer;
  submission: Record<string, string>;
  headers: Record<string, string>;
  expiresAt: number;
  count: number;
};

/** Nearest-rank percentile of an ascending list (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
