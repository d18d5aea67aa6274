// Opens the anchor service's database: a real LevelDB directory, or an in-memory level for
// tests (same code paths, same sublevels; see keys.ts for the layout).
import { Level } from "level";
import { MemoryLevel } from "memory-level";
import type { SignedReceiptBatch } from "../../../common/formats/receipt/receipts.ts";
import type { LevelRoot, Sublevel } from "../../../common/level.ts";
import { fenceWrites } from "./write-fence.ts";

// The root's own key/value types do not matter: each sublevel sets its own encodings.
type Root = LevelRoot;
export type BytesSublevel = Sublevel<Uint8Array, Uint8Array>;
export type JsonSublevel<V> = Sublevel<Uint8Array, V>;

export type AnchorDb = {
  root: Root;
  records: BytesSublevel;
  leafIndex: BytesSublevel;
  /** Document digest (prefix) → records (keys.ts). */
  digests: BytesSublevel;
  batches: JsonSublevel<StoredBatch>;
  nodes: BytesSublevel;
  heads: JsonSublevel<StoredHead>;
  nonces: BytesSublevel;
  meta: Sublevel<string, unknown>;
  /** Committed heads waiting for a TSA, and the tokens obtained (keys.ts; tsa/stamper.ts). */
  stampQueue: JsonSublevel<{ rootHash: string }>;
  timestamps: JsonSublevel<StoredTimestamps>;
  /** C2SP checkpoints of committed heads with their cosignatures (keys.ts; c2sp/). */
  checkpoints: JsonSublevel<StoredCheckpoint>;
  /** Whether writes are fsynced (real LevelDB) — in-memory tests have nothing to sync. */
  durable: boolean;
  /** A write the disk refused, after which writes are stopped until a restart (write-fence.ts). */
  writeFailure(): unknown;
};

/** One intake request's signed receipt batch (its leaf hashes are the records' own). */
/**
 * The submitter's EvidenceSubmission signature over its request (common/formats/receipt/submission.ts).
 * `sequences`: each request record's sequence number, in request order, when the request held
 * records stored before (then the signed tree is not the receipt batch's); absent otherwise.
 */
export type StoredSubmission = { signature: string; signer: string; sequences?: number[] };
export type StoredBatch = SignedReceiptBatch & { submission?: StoredSubmission };

/** One landing of a head on chain. */
export type HeadCommit = {
  chainIndex: number;
  transactionHash: string;
  blockNumber: number;
  blockHash: string;
  blockTimestamp: number;
  committedAt: string;
  /** Why this is a re-commit (absent on the first commit). */
  reason?: string;
};

/**
 * A tree head this service committed, keyed by tree size. `commits` lists every landing in
 * order; the last is the one on the chain now. `lost` is set while the chain no longer has it
 * (a chain restored from an older state) until it is committed again.
 */
export type StoredHead = {
  treeSize: number;
  rootHash: string;
  commits: HeadCommit[];
  lost?: { detectedAt: string; reason: string };
};

/** RFC 3161 tokens over one committed head, one per TSA that answered (tsa/stamper.ts). */
export type StoredTimestamps = {
  rootHash: string;
  tokens: { tsa: string; token: string; genTime: string }[];
};

/** A signed checkpoint note with the cosignatures gathered; published once the witness policy held. */
export type StoredCheckpoint = { note: string; published: boolean };

const bytes = { keyEncoding: "view", valueEncoding: "view" } as const;
const json = { keyEncoding: "view", valueEncoding: "json" } as const;

export async function openDb(dir: string | null): Promise<AnchorDb> {
  const root: Root = dir === null ? new MemoryLevel() : new Level(dir);
  await root.open();
  const fence = dir === null ? { failure: () => undefined } : fenceWrites(root);
  return {
    root,
    records: root.sublevel<Uint8Array, Uint8Array>("records", bytes),
    leafIndex: root.sublevel<Uint8Array, Uint8Array>("leafIndex", bytes),
    digests: root.sublevel<Uint8Array, Uint8Array>("digests", bytes),
    batches: root.sublevel<Uint8Array, StoredBatch>("batches", json),
    nodes: root.sublevel<Uint8Array, Uint8Array>("nodes", bytes),
    heads: root.sublevel<Uint8Array, StoredHead>("heads", json),
    nonces: root.sublevel<Uint8Array, Uint8Array>("nonces", bytes),
    meta: root.sublevel<string, unknown>("meta", { keyEncoding: "utf8", valueEncoding: "json" }),
    stampQueue: root.sublevel<Uint8Array, { rootHash: string }>("stampQueue", json),
    timestamps: root.sublevel<Uint8Array, StoredTimestamps>("timestamps", json),
    checkpoints: root.sublevel<Uint8Array, StoredCheckpoint>("checkpoints", json),
    durable: dir !== null,
    writeFailure: fence.failure,
  };
}
