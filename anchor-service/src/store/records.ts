// Evidence records by sequence number, their lookup by leaf hash, and the intake batches that
// hold their receipts' signatures (a stored record's receipt is re-issued from here: reads never
// go through the intake). Records are packed (102 bytes, common/formats/leaf/packed.ts) into aligned blocks of 256, one
// LevelDB key a block: an intake write puts one key per 256 records instead of one per record,
// and a proof's few low-level leaves are one read. The leaf hash is never stored per record: it
// is recomputed from the record (224-byte encoding, one SHA-256).
import type { EvidenceRecord } from "../../../common/formats/leaf/leaf.ts";
import { encodeLeaf } from "../../../common/formats/leaf/leaf.ts";
import { RECORD_BYTES, leafHashOfPackedInto, unpackRecord } from "../../../common/formats/leaf/packed.ts";
import { hashLeaf, inclusionProof } from "../../../common/formats/merkle/rfc9162.ts";
import type { Receipt } from "../../../common/formats/receipt/receipts.ts";
import { isoSeconds, receiptBatchPart } from "../../../common/formats/receipt/receipts.ts";
import { BoundedMap } from "../../../common/bounded-map.ts";
import { BatchTree } from "../../../common/formats/receipt/batch-tree.ts";
import { toHex } from "../../../common/bytes.ts";
import type { AbstractBatchOperation } from "abstract-level";
import type { LevelRoot } from "../../../common/level.ts";
import type { AnchorDb, StoredBatch } from "./db.ts";
import { submissionProofOf, type SubmissionProof } from "../../../common/formats/receipt/submission.ts";
import { INDEX_PREFIX_BYTES, SEQ_BYTES, indexKey, readSeq, seqKey } from "./keys.ts";
import type { LeafFilter } from "./leaf-filter.ts";

export type StoredRecord = { seq: number; record: EvidenceRecord; leafHash: Uint8Array };

const LAYOUT_KEY = "recordLayout";
const BLOCK_LAYOUT = "blocks-256";
/** Records moved per batch by upgradeLayout: whole blocks. */
const UPGRADE_RUN = 16 * 256;

/** Records are stored in aligned blocks of this many (keys.ts): one key per block, not per record. */
export const BLOCK_RECORDS = 256;
const BLOCK_BYTES = BLOCK_RECORDS * RECORD_BYTES;

/** A block key (and the LevelDB put) for block `block` holding `bytes` (whole records from the block's start). */
export type BlockPut = { key: Uint8Array; value: Uint8Array };

type BatchTreeEntry = { tree: BatchTree };
/** Batch trees kept for bundles being built at once (about 200 bytes a record each). */
const BATCH_TREES_KEPT = 8;
/**
 * Records whose receipt batches (and trees, 64 bytes a record) the intake hands over once durable
 * are kept for: about the last five seconds at full intake, so a client asking for its bundle as
 * soon as its records are anchored, witnessed and time-stamped finds the batch in memory.
 */
export const RECENT_BATCH_RECORDS = 262_144;
/**
 * And at most this many batches: a batch costs about 1.7 kB besides its tree's 64 bytes a record
 * (its signatures as strings, the tree's arrays and objects), so a record bound alone lets small
 * requests — nodes send one to a few records each — keep 262,144 batches, some 440 MB. 4,096 small
 * batches are well over five seconds of the intake (each request's two signature recoveries on one
 * worker) in about 7 MB.
 */
export const RECENT_BATCHES_KEPT = 4_096;

/** A receipt batch the intake wrote, with the tree it signed. */
type RecentBatch = { firstSequence: number; batch: StoredBatch; tree: Promise<BatchTreeEntry> };

/** The leaf hashes of a batch tree (views of its bottom level). */
function leafHashesOf(tree: BatchTree): Uint8Array[] {
  const leaves = tree.levels[0]!;
  return Array.from({ length: tree.count }, (_, i) => leaves.subarray(32 * i, 32 * i + 32));
}

export class RecordStore {
  readonly db: AnchorDb;
  /** Which leaf hashes are certainly not stored (lookups skip those reads); none: read them all. */
  filter: LeafFilter | undefined;

  constructor(db: AnchorDb) {
    this.db = db;
  }

  /**
   * Moves a database written before records were kept in blocks (one key per record: seq → 102
   * bytes) to blocks of BLOCK_RECORDS, once; a new database is just marked (meta "recordLayout").
   * Runs of UPGRADE_RUN records (whole blocks) each go in one synced batch that deletes their
   * keys and puts their blocks, the last run with the mark: after a crash part way, the full
   * blocks come first, then the records not yet moved, and the next start carries on from there.
   * Block keys (seq / 256) stay below the keys not yet moved (seq), so the two never meet.
   * Returns the number of records moved.
   */
  async upgradeLayout(): Promise<number> {
    const { root, records, meta } = this.db;
    if ((await meta.get(LAYOUT_KEY)) === BLOCK_LAYOUT) return 0;
    const mark = { type: "put" as const, sublevel: meta, key: LAYOUT_KEY, value: BLOCK_LAYOUT };
    // the records moved already: full blocks from key 0
    let moved = 0;
    for await (const [key, value] of records.iterator()) {
      if (value.length !== BLOCK_BYTES || readSeq(key) !== moved / BLOCK_RECORDS) break;
      moved += BLOCK_RECORDS;
    }
    let end = moved; // one past the last record not yet moved
    for await (const [key, value] of records.iterator({ reverse: true, limit: 1 })) {
      if (value.length === RECORD_BYTES && readSeq(key) >= moved) end = readSeq(key) + 1;
    }
    let total = 0;
    for (let from = moved; from < end || total === 0; from += UPGRADE_RUN) {
      const to = Math.min(end, from + UPGRADE_RUN);
      const packed = new Uint8Array((to - from) * RECORD_BYTES);
      const ops: Array<AbstractBatchOperation<LevelRoot, Uint8Array | string, Uint8Array | string>> = [];
      let seq = from;
      if (to > from) {
        for await (const [key, value] of records.iterator({ gte: seqKey(from), lt: seqKey(to) })) {
          if (readSeq(key) !== seq || value.length !== RECORD_BYTES)
            throw new Error(`record ${seq} is missing from the old layout, or not a record`);
          packed.set(value, (seq - from) * RECORD_BYTES);
          ops.push({ type: "del", sublevel: records, key });
          seq++;
        }
        if (seq !== to) throw new Error(`records ${seq}..${to} are missing from the old layout`);
        // the deletes come first in the batch: from 0, a block's key (seq / 256) is also the key of
        // a record of this run, and the put after the delete is what stays
        for (const put of RecordStore.blockPuts(from, undefined, packed))
          ops.push({ type: "put", sublevel: records, key: put.key, value: put.value });
      }
      if (to >= end) ops.push(mark);
      await root.batch(ops, { sync: this.db.durable });
      total += to - from;
      if (to >= end) break;
    }
    return total;
  }

  /** Number of durable records: the last block's start plus its records. */
  async count(): Promise<number> {
    for await (const [key, value] of this.db.records.iterator({ reverse: true, limit: 1 }))
      return readSeq(key) * BLOCK_RECORDS + value.length / RECORD_BYTES;
    return 0;
  }

  /**
   * The packed records (102 bytes each, views) of the given sequence numbers, undefined where not
   * stored: each block read once, synchronously where the store allows (no thread-pool hop).
   */
  async packedMany(seqs: readonly number[]): Promise<(Uint8Array | undefined)[]> {
    const blocks = [...new Set(seqs.map((s) => Math.floor(s / BLOCK_RECORDS)))];
    const records = this.db.records;
    const keys = blocks.map(seqKey);
    const values =
      (records.supports as { getSync?: boolean }).getSync === true
        ? keys.map((k) => records.getSync(k))
        : await records.getMany(keys);
    const byBlock = new Map<number, Uint8Array | undefined>(blocks.map((b, i) => [b, values[i]]));
    return seqs.map((s) => {
      const block = byBlock.get(Math.floor(s / BLOCK_RECORDS));
      const at = (s % BLOCK_RECORDS) * RECORD_BYTES;
      return block !== undefined && at + RECORD_BYTES <= block.length
        ? block.subarray(at, at + RECORD_BYTES)
        : undefined;
    });
  }

  async get(seq: number): Promise<StoredRecord | undefined> {
    const [value] = await this.packedMany([seq]);
    if (value === undefined) return undefined;
    const record = unpackRecord(value);
    return { seq, record, leafHash: hashLeaf(encodeLeaf(record)) };
  }

  /**
   * A batch's leaf hashes and tree, the last few kept (as promises, so that concurrent askers share
   * one computation): a bundle asks for its receipt and its submission proof at once, both from the
   * same batch, while other bundles are being built (stored records never change).
   */
  #batchTree(batch: StoredBatch): Promise<BatchTreeEntry> {
    const recent = this.#recentBatch(batch.firstSequence);
    if (recent !== undefined && recent.batch.count === batch.count) return recent.tree;
    const key = `${batch.firstSequence}:${batch.count}`;
    const cached = this.#batchTrees.get(key);
    if (cached !== undefined) return cached;
    const entry = this.leafHashes(batch.firstSequence, batch.firstSequence + batch.count).then(
      (leafHashes) => ({ tree: new BatchTree(leafHashes) }),
    );
    this.#batchTrees.set(key, entry);
    entry.catch(() => this.#batchTrees.delete(key)); // a failed read is not remembered
    return entry;
  }

  readonly #batchTrees = new BoundedMap<string, Promise<BatchTreeEntry>>(BATCH_TREES_KEPT);

  /** Receipt batches the intake wrote last, by first sequence number, oldest first (rememberBatch). */
  readonly #recent: RecentBatch[] = [];
  #recentRecords = 0;

  /**
   * Keeps a receipt batch the intake has just made durable, with the tree it signed, so that its
   * records' receipts and submission proofs are re-issued without reading and hashing the batch
   * again (bundles are mostly asked for records submitted moments before). Only for a batch on
   * disk: a batch whose write failed never reaches here, and its sequence numbers go to the next.
   * The tree must be the one over the batch's leaf hashes; receiptOf still checks it against the
   * signed root.
   */
  rememberBatch(batch: StoredBatch, tree: BatchTree): void {
    const last = this.#recent[this.#recent.length - 1];
    // batches arrive in sequence order; anything else (a test replaying a write) starts afresh
    if (last !== undefined && batch.firstSequence < last.firstSequence + last.batch.count)
      this.forgetBatches();
    if (tree.count !== batch.count)
      throw new RangeError(`batch of ${batch.count} records, tree of ${tree.count}`);
    this.#recent.push({ firstSequence: batch.firstSequence, batch, tree: Promise.resolve({ tree }) });
    this.#recentRecords += batch.count;
    while (
      (this.#recentRecords > RECENT_BATCH_RECORDS && this.#recent.length > 1) ||
      this.#recent.length > RECENT_BATCHES_KEPT
    )
      this.#recentRecords -= this.#recent.shift()!.batch.count;
  }

  /** The receipt batches remembered now and their records (bounded: RECENT_BATCH_RECORDS, RECENT_BATCHES_KEPT). */
  get remembered(): { batches: number; records: number } {
    return { batches: this.#recent.length, records: this.#recentRecords };
  }

  /** Drops the remembered batches (they are read from storage again). */
  forgetBatches(): void {
    this.#recent.length = 0;
    this.#recentRecords = 0;
  }

  /** The remembered batch holding record `seq`, if any. */
  #recentBatch(seq: number): RecentBatch | undefined {
    const recent = this.#recent;
    let lo = 0;
    let hi = recent.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (recent[mid]!.firstSequence <= seq) lo = mid + 1;
      else hi = mid;
    }
    const found = recent[lo - 1];
    return found !== undefined && seq < found.firstSequence + found.batch.count ? found : undefined;
  }

  /** Leaf hashes of records [from, to), in order (the MerkleStore's LeafSource). */
  async leafHashes(from: number, to: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    if (to <= from) return out;
    const firstBlock = Math.floor(from / BLOCK_RECORDS);
    const lastBlock = Math.floor((to - 1) / BLOCK_RECORDS);
    const take = (block: number, value: Uint8Array) => {
      const start = Math.max(from, block * BLOCK_RECORDS);
      const end = Math.min(to, block * BLOCK_RECORDS + value.length / RECORD_BYTES);
      for (let s = start; s < end; s++) {
        const h = new Uint8Array(32);
        leafHashOfPackedInto(value, (s - block * BLOCK_RECORDS) * RECORD_BYTES, h, 0);
        out.push(h);
      }
    };
    if (lastBlock - firstBlock < 4) {
      // short ranges (proofs' low levels: one block, almost always): read directly, synchronously
      // where the store allows — the thread pool's queue behind intake writes was the lookups' tail
      const blocks = Array.from({ length: lastBlock - firstBlock + 1 }, (_, i) => firstBlock + i);
      const keys = blocks.map(seqKey);
      const records = this.db.records;
      const values =
        (records.supports as { getSync?: boolean }).getSync === true
          ? keys.map((k) => records.getSync(k))
          : await records.getMany(keys);
      values.forEach((value, i) => {
        if (value !== undefined) take(blocks[i]!, value);
      });
    } else {
      for await (const [key, value] of this.db.records.iterator({
        gte: seqKey(firstBlock),
        lte: seqKey(lastBlock),
      }))
        take(readSeq(key), value);
    }
    if (out.length !== to - from)
      throw new Error(`records ${from}..${to} are not all stored (found ${out.length})`);
    return out;
  }

  /**
   * The puts that store records [first, first + packed.length / RECORD_BYTES), given packed back
   * to back, when `first` is the number of records stored: the block holding `first` is rewritten
   * with its stored records (`tail`: that block's current value, if any) and the new ones, and
   * blocks after it are written whole (the last one possibly partly filled).
   */
  static blockPuts(first: number, tail: Uint8Array | undefined, packed: Uint8Array): BlockPut[] {
    const puts: BlockPut[] = [];
    let block = Math.floor(first / BLOCK_RECORDS);
    const held = (first % BLOCK_RECORDS) * RECORD_BYTES;
    if (held > 0 && (tail === undefined || tail.length !== held)) {
      throw new Error(`internal: block ${block} holds ${tail?.length ?? 0} bytes, expected ${held}`);
    }
    let at = 0;
    let room = BLOCK_BYTES - held;
    while (at < packed.length) {
      const n = Math.min(room, packed.length - at);
      const value = new Uint8Array((room === BLOCK_BYTES ? 0 : held) + n);
      if (room !== BLOCK_BYTES) value.set(tail!, 0);
      value.set(packed.subarray(at, at + n), value.length - n);
      puts.push({ key: seqKey(block), value });
      at += n;
      block++;
      room = BLOCK_BYTES;
    }
    return puts;
  }

  /** The stored part of the block that record `count` (the number stored) goes into; undefined if it starts a block. */
  async tailBlock(count: number): Promise<Uint8Array | undefined> {
    if (count % BLOCK_RECORDS === 0) return undefined;
    return this.db.records.get(seqKey(Math.floor(count / BLOCK_RECORDS)));
  }

  /**
   * Sequence numbers of the given leaf hashes where stored (undefined where not): one getMany for
   * the index, one read of the candidate records' blocks, each candidate confirmed by recomputing its hash.
   */
  async lookup(leafHashes: readonly Uint8Array[]): Promise<(number | undefined)[]> {
    return (await this.lookupEntries(leafHashes)).seqs;
  }

  /**
   * lookup, plus what it read on the way: each leaf hash's current index entry (what
   * indexEntries would return) and, where stored, its record. `hex` (optional) is each leaf
   * hash's lowercase hex without "0x", if the caller has it already.
   */
  async lookupEntries(
    leafHashes: readonly Uint8Array[],
    hex?: readonly string[],
  ): Promise<{
    seqs: (number | undefined)[];
    entries: (Uint8Array | undefined)[];
    records: (StoredRecord | undefined)[];
  }> {
    // read on the root with the sublevel's prefix already on each key: the same entries, without
    // the sublevel re-prefixing (and re-allocating) every key
    const prefix = this.db.leafIndex.prefixKey(new Uint8Array(0), "view");
    const filter = this.filter;
    const asked: number[] = []; // the leaf hashes that may be stored: only those are read
    const keys: Uint8Array[] = [];
    leafHashes.forEach((h, i) => {
      if (filter !== undefined && !filter.mayHold(h)) return;
      const key = new Uint8Array(prefix.length + INDEX_PREFIX_BYTES);
      key.set(prefix, 0);
      key.set(h.subarray(0, INDEX_PREFIX_BYTES), prefix.length);
      asked.push(i);
      keys.push(key);
    });
    const read: (Uint8Array | undefined)[] =
      keys.length === 0
        ? []
        : await this.db.root.getMany(keys, { keyEncoding: "view", valueEncoding: "view" });
    const entries = new Array<Uint8Array | undefined>(leafHashes.length).fill(undefined);
    asked.forEach((i, j) => {
      entries[i] = read[j];
    });
    const candidates: number[] = [];
    for (const entry of entries)
      if (entry !== undefined)
        for (let o = 0; o < entry.length; o += SEQ_BYTES) candidates.push(readSeq(entry, o));
    if (candidates.length === 0)
      return { seqs: leafHashes.map(() => undefined), entries, records: leafHashes.map(() => undefined) };
    const values = await this.packedMany(candidates);
    const bySeqHash = new Map<string, StoredRecord>();
    values.forEach((value, i) => {
      if (value === undefined) return;
      const record = unpackRecord(value);
      const leafHash = hashLeaf(encodeLeaf(record));
      bySeqHash.set(Buffer.from(leafHash).toString("hex"), { seq: candidates[i]!, record, leafHash });
    });
    const found = leafHashes.map((h, i) => bySeqHash.get(hex?.[i] ?? Buffer.from(h).toString("hex")));
    return { seqs: found.map((f) => f?.seq), entries, records: found };
  }

  /** The existing index entry for a leaf hash's prefix (to append to on a prefix collision). */
  async indexEntries(leafHashes: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.db.leafIndex.getMany(leafHashes.map(indexKey));
  }

  /**
   * The original receipt of stored record `seq`, re-issued from its batch: the batch's tree
   * (checked against its signed root) and this record's path alone — every bundle asks for one,
   * and building all of a 1,000-record batch's receipts for it cost milliseconds of the event loop.
   */
  async receiptOf(seq: number): Promise<Receipt> {
    const found = await this.batchOf(seq);
    if (found === undefined) throw new Error(`record ${seq} has no receipt batch`);
    const { batch } = found;
    const { tree } = await this.#batchTree(batch);
    if (toHex(tree.rangeHash(0, batch.count)) !== batch.root.toLowerCase())
      throw new RangeError(`leaf hashes do not hash to the batch root ${batch.root}`);
    const index = seq - batch.firstSequence;
    return {
      leafHash: toHex(tree.complete(0, index)),
      sequence: seq,
      logId: batch.logId,
      receivedAt: isoSeconds(batch.receivedAt),
      maxMergeDelaySeconds: batch.maxMergeDelaySeconds,
      batch: receiptBatchPart(batch),
      proof: inclusionProof(index, batch.count, tree.rangeHash).map(toHex),
      service: { address: batch.service },
    };
  }

  /**
   * The submitter's signature over the request that first stored record `seq`, with the record's
   * place in that request's tree (common/formats/receipt/submission.ts); undefined for a batch
   * stored without one.
   */
  async submissionOf(seq: number): Promise<SubmissionProof | undefined> {
    const found = await this.batchOf(seq);
    const submission = found?.batch.submission;
    if (found === undefined || submission === undefined) return undefined;
    const { batch } = found;
    const signed = { signature: submission.signature, signer: submission.signer };
    if (submission.sequences === undefined) {
      const { tree } = await this.#batchTree(batch);
      return submissionProofOf(leafHashesOf(tree), seq - batch.firstSequence, signed, tree.rangeHash);
    }
    // a request that repeated stored records: its tree is over each record's leaf hash in request order
    const leafHashes = await Promise.all(
      submission.sequences.map(async (s) => (await this.leafHashes(s, s + 1))[0]!),
    );
    return submissionProofOf(leafHashes, submission.sequences.indexOf(seq), signed);
  }

  /** The intake batch (request) that holds record `seq`'s receipt. */
  async batchOf(seq: number): Promise<{ firstSequence: number; batch: StoredBatch } | undefined> {
    const recent = this.#recentBatch(seq);
    if (recent !== undefined) return { firstSequence: recent.firstSequence, batch: recent.batch };
    for await (const [key, batch] of this.db.batches.iterator({
      lte: seqKey(seq),
      reverse: true,
      limit: 1,
    })) {
      const firstSequence = readSeq(key);
      if (seq < firstSequence + batch.count) return { firstSequence, batch };
    }
    return undefined;
  }
}
