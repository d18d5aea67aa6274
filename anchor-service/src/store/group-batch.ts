// One intake group's synced LevelDB batch, in the layout of keys.ts: the only place the intake's
// writes turn into keys and values. Puts go straight into a chained batch on the root with each
// key already prefixed by its sublevel (the same bytes on disk as a sublevel put, without the
// sublevel re-prefixing and re-allocating every key), keys and values carved from one PutArena.
// The per-record puts build no objects: byte loops, no views, no arrays.
import type { SignedReceiptBatch } from "../../../common/formats/receipt/receipts.ts";
import { PACKED_DIGEST_AT, RECORD_BYTES } from "../../../common/formats/leaf/packed.ts";
import type { AnchorDb, StoredSubmission } from "./db.ts";
import { INDEX_PREFIX_BYTES, SEQ_BYTES, seqKey } from "./keys.ts";
import { PutArena } from "./put-arena.ts";
import { BLOCK_RECORDS, RecordStore } from "./records.ts";

type Prefixes = {
  records: Uint8Array;
  leafIndex: Uint8Array;
  digests: Uint8Array;
  batches: Uint8Array;
  nodes: Uint8Array;
  nonces: Uint8Array;
};
const prefixCache = new WeakMap<AnchorDb, Prefixes>();

/** Each sublevel's key prefix on the root, as abstract-level writes it (prefixKey of an empty key). */
function prefixesOf(db: AnchorDb): Prefixes {
  let p = prefixCache.get(db);
  if (p === undefined) {
    const empty = new Uint8Array(0);
    const of = (sub: { prefixKey(key: Uint8Array, format: "view"): Uint8Array }) =>
      new Uint8Array(sub.prefixKey(empty, "view"));
    p = {
      records: of(db.records),
      leafIndex: of(db.leafIndex),
      digests: of(db.digests),
      batches: of(db.batches),
      nodes: of(db.nodes),
      nonces: of(db.nonces),
    };
    prefixCache.set(db, p);
  }
  return p;
}

const VIEW = { keyEncoding: "view", valueEncoding: "view" } as const;
/** Arena bytes a new record's puts take: its two index keys (sublevel prefix, 8 and 14 bytes) and its sequence number. */
const PUT_BYTES_PER_RECORD = 64;
const EMPTY = new Uint8Array(0);

export class GroupBatch {
  readonly #db: AnchorDb;
  readonly #batch: ReturnType<AnchorDb["root"]["batch"]>;
  readonly #arena: PutArena;
  readonly #prefix: Prefixes;

  /** `expectedRecords`: how many new records the group may put (sizes the arena; it grows past that). */
  constructor(db: AnchorDb, expectedRecords: number) {
    this.#db = db;
    this.#batch = db.root.batch();
    this.#arena = new PutArena(expectedRecords * PUT_BYTES_PER_RECORD);
    this.#prefix = prefixesOf(db);
  }

  /** seqKey(seq), in the group's arena: a record's index value, and the unit leafIndex entries are made of. */
  seq(seq: number): Uint8Array {
    const out = this.#arena.take(SEQ_BYTES);
    let v = seq;
    for (let k = SEQ_BYTES - 1; k >= 0; k--) {
      out[k] = v % 256;
      v = Math.floor(v / 256);
    }
    return out;
  }

  /**
   * A new record's two index entries: leafIndex leafHash[0..8) → `entry` (the prefix's stored
   * sequence numbers, this one's last), and digests digest[0..8) ‖ seq → nothing, the digest read
   * from the packed record at packed[at..at+102).
   */
  putIndexes(leafHash: Uint8Array, entry: Uint8Array, packed: Uint8Array, at: number, seq: Uint8Array): void {
    this.#batch.put(this.#key(this.#prefix.leafIndex, leafHash, 0, seq, 0), entry, VIEW);
    this.#batch.put(
      this.#key(this.#prefix.digests, packed, at + PACKED_DIGEST_AT, seq, SEQ_BYTES),
      EMPTY,
      VIEW,
    );
  }

  /**
   * Records [first, first + packed.length / 102), packed back to back, where `first` is the
   * number stored and `tail` the stored part of the block it falls into: their blocks of 256 (the
   * first rewritten with the records it holds). Returns the stored part of the block the next
   * record falls into (undefined: it starts one).
   */
  putRecords(first: number, tail: Uint8Array | undefined, packed: Uint8Array): Uint8Array | undefined {
    if (packed.length === 0) return tail;
    const blocks = RecordStore.blockPuts(first, tail, packed);
    for (const put of blocks)
      this.#batch.put(this.#arena.join(this.#prefix.records, put.key), put.value, VIEW);
    const next = first + packed.length / RECORD_BYTES;
    return next % BLOCK_RECORDS === 0 ? undefined : blocks[blocks.length - 1]!.value;
  }

  /** One request's signed receipt batch, keyed by its first sequence number (the batches sublevel's JSON: UTF-8 of JSON.stringify). */
  putReceiptBatch(batch: SignedReceiptBatch & { submission?: StoredSubmission }): void {
    this.#batch.put(
      this.#arena.join(this.#prefix.batches, seqKey(batch.firstSequence)),
      Buffer.from(JSON.stringify(batch), "utf8"),
      VIEW,
    );
  }

  /** A request's nonce, remembered until it expires (expiresAt, 6 bytes like a seq). */
  putNonce(nonceKey: Uint8Array, expiresAt: number): void {
    this.#batch.put(this.#arena.join(this.#prefix.nonces, nonceKey), this.seq(expiresAt), VIEW);
  }

  /** The Merkle nodes an append completes (MerkleStore.prepareAppend's ops). */
  putNodes(ops: ReadonlyArray<{ key: Uint8Array; value: Uint8Array }>): void {
    for (const op of ops)
      this.#batch.put(this.#arena.join(this.#prefix.nodes, op.key), this.#arena.join(EMPTY, op.value), VIEW);
  }

  /** Writes the batch, synced where the store is durable. */
  write(): Promise<void> {
    return this.#batch.write({ sync: this.#db.durable });
  }

  /** Drops the batch unwritten. */
  close(): Promise<void> {
    return this.#batch.close();
  }

  /** prefix ‖ src[at..at+INDEX_PREFIX_BYTES) ‖ seq[0..seqBytes): a sublevel key, in the group's arena. */
  #key(prefix: Uint8Array, src: Uint8Array, at: number, seq: Uint8Array, seqBytes: number): Uint8Array {
    const out = this.#arena.take(prefix.length + INDEX_PREFIX_BYTES + seqBytes);
    out.set(prefix, 0);
    const p = prefix.length;
    for (let k = 0; k < INDEX_PREFIX_BYTES; k++) out[p + k] = src[at + k]!;
    for (let k = 0; k < seqBytes; k++) out[p + INDEX_PREFIX_BYTES + k] = seq[k]!;
    return out;
  }
}
