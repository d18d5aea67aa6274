// Opens the anchor service's database: a real LevelDB directory, or an in-memory level for
// tests (same code paths, same sublevels; see keys.ts for the layout).
import type { AbstractLevel, AbstractSublevel } from "abstract-level";
import { Level } from "level";
import { MemoryLevel } from "memory-level";
import type { SignedReceiptBatch } from "../../../common/formats/receipt/receipts.ts";
import { fenceWrites } from "./write-fence.ts";

// The root's own key/value types do not matter: each sublevel sets its own encodings.
type Root = AbstractLevel<any, any, any>;
export type BytesSublevel = AbstractSublevel<Root, any, Uint8Array, Uint8Array>;
export type JsonSublevel<V> = AbstractSublevel<Root, any, Uint8Array, V>;

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
  meta: AbstractSublevel<Root, any, string, unknown>;
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

const bytes = { keyEncoding: "view", valueEncoding: "view" } as const;
const json = { keyEncoding: "view", valueEncoding: "json" } as const;

export async function openDb(dir: string | null): Promise<AnchorDb> {
  const root: Root = dir === null ? new MemoryLevel() : new Level(dir);
  await root.open();
  const fence = dir === null ? { failure: () => undefined } : fenceWrites(root);
  return {
    root,
    records: root.sublevel("records", bytes) as BytesSublevel,
    leafIndex: root.sublevel("leafIndex", bytes) as BytesSublevel,
    digests: root.sublevel("digests", bytes) as BytesSublevel,
    batches: root.sublevel("batches", json) as JsonSublevel<StoredBatch>,
    nodes: root.sublevel("nodes", bytes) as BytesSublevel,
    heads: root.sublevel("heads", json) as JsonSublevel<StoredHead>,
    nonces: root.sublevel("nonces", bytes) as BytesSublevel,
    meta: root.sublevel("meta", { keyEncoding: "utf8", valueEncoding: "json" }) as AbstractSublevel<Root, any, string, unknown>,
    durable: dir !== null,
    writeFailure: fence.failure,
  };
}
