// Durable intake with group commit. Requests queue up while a synced LevelDB batch is being
// written; the next write takes every queued request at once (one fsync for all of them), so
// throughput grows with concurrency instead of being capped by the disk's sync rate. A reply
// (the receipts) is released only after the batch holding its records is durable.
import type { ReceiptDomain, Receipt, SignedReceiptBatch } from "../../../common/auth/receipts.ts";
import { receiptsOf, signReceiptBatch } from "../../../common/auth/receipts.ts";
import type { TypedDataSigner } from "../../../common/auth/eip712.ts";
import type { EvidenceRecord } from "../../../common/evidence/leaf.ts";
import { encodeLeaf } from "../../../common/evidence/leaf.ts";
import { hashLeaf } from "../../../common/merkle/rfc9162.ts";
import { anchorError } from "../errors.ts";
import type { MerkleStore } from "../log/merkle-store.ts";
import type { AnchorDb } from "../store/db.ts";
import { INDEX_PREFIX_BYTES, seqKey } from "../store/keys.ts";
import type { RecordStore } from "../store/records.ts";

export type IntakeRequest = {
  /** The authenticated member account and its member id (records must be submitted as it). */
  signer: string;
  memberId: number;
  /** Replay protection: remembered until `expiresAt`. */
  nonceKey: Uint8Array;
  expiresAt: number;
  records: EvidenceRecord[];
};

export type IntakeDeps = {
  db: AnchorDb;
  records: RecordStore;
  merkle: MerkleStore;
  receiptSigner: TypedDataSigner;
  /** The receipts' EIP-712 domain; undefined until the chain's id is known. */
  receiptDomain: () => ReceiptDomain | undefined;
  logId: string;
  maxMergeDelaySeconds: number;
  /** Unix seconds. */
  now: () => number;
  /** Called after each durable write with the number of new leaves (metrics, committer nudge). */
  onAppended?: (newLeaves: number, requests: number) => void;
};

type Pending = { request: IntakeRequest; resolve: (r: Receipt[]) => void; reject: (e: unknown) => void };

/** Where a leaf's receipt comes from: a batch written in this group, or an earlier one. */
type Origin = { seq: number; group?: { index: number } };

export class Intake {
  readonly deps: IntakeDeps;
  #queue: Pending[] = [];
  #writing = false;
  #closed = false;
  #idle: Array<() => void> = [];

  constructor(deps: IntakeDeps) {
    this.deps = deps;
  }

  /** Queue a request; resolves with one receipt per record, in order, once durable. */
  submit(request: IntakeRequest): Promise<Receipt[]> {
    if (this.#closed) return Promise.reject(anchorError("ANCHOR_ERR_SHUTTING_DOWN", "the service is shutting down; retry shortly"));
    if (this.deps.receiptDomain() === undefined) {
      return Promise.reject(anchorError("ANCHOR_ERR_CHAIN_UNAVAILABLE", "the service has not reached the chain yet, so it cannot sign receipts; retry shortly"));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  /** Number of requests waiting for the next group write. */
  get queueDepth(): number {
    return this.#queue.length;
  }

  /** Stop accepting; resolves when the write in flight (if any) is done. */
  async close(): Promise<void> {
    this.#closed = true;
    if (!this.#writing) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue;
        this.#queue = [];
        try {
          const receipts = await this.#writeGroup(group.map((p) => p.request));
          group.forEach((p, i) => {
            const r = receipts[i]!;
            if (r instanceof Error) p.reject(r);
            else p.resolve(r);
          });
        } catch (error) {
          for (const p of group) p.reject(error);
        }
      }
    } finally {
      this.#writing = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** Write one group in a single synced batch; returns receipts or an error per request. */
  async #writeGroup(requests: IntakeRequest[]): Promise<Array<Receipt[] | Error>> {
    const { db, records, merkle } = this.deps;
    const results: Array<Receipt[] | Error> = requests.map(() => []);

    // replays: a nonce seen before (stored) or twice in this group
    const nonces = await db.nonces.getMany(requests.map((r) => r.nonceKey));
    const seenNonces = new Set<string>();
    const live: number[] = [];
    requests.forEach((r, i) => {
      const key = Buffer.from(r.nonceKey).toString("hex");
      if (nonces[i] !== undefined || seenNonces.has(key)) {
        results[i] = anchorError("ANCHOR_ERR_REPLAY", "this request's nonce was used before; sign the request again with a new nonce");
      } else {
        seenNonces.add(key);
        live.push(i);
      }
    });

    // leaf hashes, and which are stored already
    const hashes = live.map((i) => requests[i]!.records.map((record) => hashLeaf(encodeLeaf(record))));
    const unique = new Map<string, Uint8Array>();
    for (const list of hashes) for (const h of list) unique.set(Buffer.from(h).toString("hex"), h);
    const uniqueHashes = [...unique.values()];
    const existingSeqs = await records.lookup(uniqueHashes);
    const origin = new Map<string, Origin>();
    uniqueHashes.forEach((h, i) => {
      const seq = existingSeqs[i];
      if (seq !== undefined) origin.set(Buffer.from(h).toString("hex"), { seq });
    });

    // new records get contiguous sequence numbers, request by request
    const ops: Array<{ type: "put"; key: Uint8Array; value: unknown; sublevel: unknown }> = [];
    const newHashes: Uint8Array[] = [];
    const indexEntries = new Map<string, Uint8Array | undefined>();
    const candidates = uniqueHashes.filter((h) => !origin.has(Buffer.from(h).toString("hex")));
    const currentEntries = await records.indexEntries(candidates);
    candidates.forEach((h, i) => indexEntries.set(Buffer.from(h.subarray(0, INDEX_PREFIX_BYTES)).toString("hex"), currentEntries[i]));
    let next = merkle.size;
    const groupBatches: Array<{ firstSequence: number; hashes: Uint8Array[] } | undefined> = [];
    live.forEach((requestIndex, l) => {
      const request = requests[requestIndex]!;
      const first = next;
      const batchHashes: Uint8Array[] = [];
      request.records.forEach((record, j) => {
        const h = hashes[l]![j]!;
        const hex = Buffer.from(h).toString("hex");
        if (origin.has(hex)) return;
        origin.set(hex, { seq: next, group: { index: l } });
        const prefix = Buffer.from(h.subarray(0, INDEX_PREFIX_BYTES)).toString("hex");
        const put = records.recordOps(next, record, h, indexEntries.get(prefix));
        indexEntries.set(prefix, put[1]!.value);
        ops.push(...put);
        batchHashes.push(h);
        newHashes.push(h);
        next++;
      });
      groupBatches.push(batchHashes.length > 0 ? { firstSequence: first, hashes: batchHashes } : undefined);
    });

    // sign one receipt batch per request with new records
    const receivedAt = this.deps.now();
    const signed: Array<{ batch: SignedReceiptBatch; receipts: Receipt[] } | undefined> = await Promise.all(
      groupBatches.map((b) =>
        b === undefined
          ? undefined
          : signReceiptBatch(this.deps.receiptSigner, this.deps.receiptDomain()!, {
              logId: this.deps.logId,
              firstSequence: b.firstSequence,
              leafHashes: b.hashes,
              receivedAt,
              maxMergeDelaySeconds: this.deps.maxMergeDelaySeconds,
            }),
      ),
    );
    signed.forEach((s) => {
      if (s !== undefined) ops.push({ type: "put", sublevel: db.batches, key: seqKey(s.batch.firstSequence), value: s.batch });
    });
    live.forEach((i) => {
      const expires = new Uint8Array(6);
      let v = requests[i]!.expiresAt;
      for (let k = 5; k >= 0; k--) {
        expires[k] = v % 256;
        v = Math.floor(v / 256);
      }
      ops.push({ type: "put", sublevel: db.nonces, key: requests[i]!.nonceKey, value: expires });
    });

    const append = newHashes.length > 0 ? merkle.prepareAppend(newHashes) : undefined;
    if (append !== undefined) for (const op of append.ops) ops.push({ ...op, sublevel: db.nodes } as never);
    try {
      await db.root.batch(ops as never, { sync: db.durable } as never);
    } catch (error) {
      append?.abort(); // nothing was written: the log stays at its size for the next group
      throw error;
    }
    append?.commit();
    this.deps.onAppended?.(newHashes.length, live.length);

    // receipts: this group's from its signed batches, earlier ones re-issued from storage
    const fresh = new Map<string, Receipt>();
    for (const s of signed) if (s !== undefined) for (const r of s.receipts) fresh.set(r.leafHash.toLowerCase(), r);
    const reissued = new Map<number, Receipt>();
    for (const [l, requestIndex] of live.entries()) {
      const out: Receipt[] = [];
      for (const h of hashes[l]!) {
        const hex = Buffer.from(h).toString("hex");
        const made = fresh.get(`0x${hex}`);
        if (made !== undefined) {
          out.push(made);
          continue;
        }
        const seq = origin.get(hex)!.seq;
        let receipt = reissued.get(seq);
        if (receipt === undefined) {
          receipt = await this.receiptFor(seq);
          reissued.set(seq, receipt);
        }
        out.push(receipt);
      }
      results[requestIndex] = out;
    }
    return results;
  }

  /** The original receipt of stored record `seq`, re-issued from its batch. */
  async receiptFor(seq: number): Promise<Receipt> {
    const found = await this.deps.records.batchOf(seq);
    if (found === undefined) throw new Error(`record ${seq} has no receipt batch`);
    const { batch } = found;
    const leafHashes = await this.deps.records.leafHashes(batch.firstSequence, batch.firstSequence + batch.count);
    const receipts = receiptsOf(batch, leafHashes);
    return receipts[seq - batch.firstSequence]!;
  }
}
