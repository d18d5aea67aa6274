// Durable intake with group commit. Requests queue up while a synced LevelDB batch is being
// written; the next write takes every queued request at once (one fsync for all of them), so
// throughput grows with concurrency instead of being capped by the disk's sync rate. A reply
// (the receipts) is released only after the batch holding its records is durable.
import type { ReceiptDomain, Receipt } from "../../../common/formats/receipt/receipts.ts";
import { signReceiptBatchRoot } from "../../../common/formats/receipt/receipts.ts";
import type { TypedDataSigner } from "../../../common/auth/eip712.ts";
import type { EvidenceRecord } from "../../../common/formats/leaf/leaf.ts";
import { encodeLeaf, leafHashOfBytes } from "../../../common/formats/leaf/leaf.ts";
import { hashLeaf } from "../../../common/formats/merkle/rfc9162.ts";
import { anchorError } from "../errors.ts";
import type { MerkleStore, PreparedAppend } from "../log/merkle-store.ts";
import {
  RECORD_BYTES,
  leafHashOfPackedInto,
  packRecord,
  packRecordChecked,
  packedRecordBytes,
} from "../../../common/formats/leaf/packed.ts";
import { BatchTree } from "../../../common/formats/receipt/batch-tree.ts";
import { BatchReceipts, IssuedReceipts } from "../../../common/formats/receipt/receipt-json.ts";
import type { AnchorDb } from "../store/db.ts";
import { GroupBatch } from "../store/group-batch.ts";
import { INDEX_PREFIX_BYTES } from "../store/keys.ts";
import type { RecordStore } from "../store/records.ts";
import { HashTable } from "./hash-table.ts";
import { recoverSubmitter, type SubmissionDomain } from "../../../common/formats/receipt/submission.ts";
import { toHex } from "../../../common/bytes.ts";
import type { StoredBatch, StoredSubmission } from "../store/db.ts";

export type IntakeRequest = {
  /** The authenticated member account and its member id (records must be submitted as it). */
  signer: string;
  memberId: number;
  /** Replay protection: remembered until `expiresAt`. */
  nonceKey: Uint8Array;
  expiresAt: number;
  /** The records, or the same packed back to back (common/formats/leaf/packed.ts layout, submitter written, valid). */
  records: EvidenceRecord[] | Uint8Array;
  /**
   * The signer's EIP-712 EvidenceSubmission(logId, batchRoot) signature, batchRoot the RFC 9162
   * root of the records' leaf hashes in request order (common/formats/receipt/submission.ts),
   * checked and stored with the receipt batch. POST /v1/leaves refuses a request without one;
   * in-process callers (tests, the storage benchmark) may leave it out, and their leaves' bundles
   * then fail submitterMembership.
   */
  submissionSignature?: string;
};

/** A request's records packed back to back, and their leaf hashes. */
function packAndHash(records: EvidenceRecord[] | Uint8Array): Prepared {
  if (records instanceof Uint8Array) {
    // every hash in one array, each a view of its 32 bytes
    const count = records.length / RECORD_BYTES;
    const all = new Uint8Array(count * 32);
    const hashes = new Array<Uint8Array>(count);
    for (let j = 0; j < count; j++) {
      leafHashOfPackedInto(records, j * RECORD_BYTES, all, j * 32);
      hashes[j] = all.subarray(j * 32, j * 32 + 32);
    }
    return { packed: records, hashes };
  }
  const packed = new Uint8Array(records.length * RECORD_BYTES);
  const hashes = new Array<Uint8Array>(records.length);
  for (let j = 0; j < records.length; j++) {
    const record = records[j]!;
    let p = packRecordChecked(record);
    if (p === undefined) {
      // not the canonical hex form: encodeLeaf reports the fault (or, if it accepts the record,
      // hashes it exactly as before)
      hashes[j] = hashLeaf(encodeLeaf(record));
      p = packRecord(record);
    } else {
      hashes[j] = leafHashOfBytes(packedRecordBytes(p, record)); // checks the numeric fields
    }
    packed.set(p, j * RECORD_BYTES);
  }
  return { packed, hashes };
}

export type IntakeDeps = {
  db: AnchorDb;
  records: RecordStore;
  merkle: MerkleStore;
  receiptSigner: TypedDataSigner;
  /** The receipts' EIP-712 domain; undefined until the chain's id is known. */
  receiptDomain: () => ReceiptDomain | undefined;
  /** The submission signatures' EIP-712 domain; undefined until the chain's id is known (needed only by requests that carry one). */
  submissionDomain?: () => SubmissionDomain | undefined;
  /** Recovers a submission signature's signer (on the crypto worker); default: here, on the event loop. */
  recoverSubmission?: (
    domain: SubmissionDomain,
    logId: string,
    batchRoot: string,
    signature: string,
  ) => Promise<string>;
  logId: string;
  maxMergeDelaySeconds: number;
  /** The service's SM2 key when receipts are SM2-signed too (ANCHOR_RECEIPT_SIGNATURES=eip712,sm2). */
  receiptSm2Key?: Uint8Array | undefined;
  /** Unix seconds. */
  now: () => number;
  /** Called after each durable write with the number of new leaves (metrics, committer nudge). */
  onAppended?: (newLeaves: number, requests: number) => void;
};

/** The sequence number a staged group gave (or found for) a leaf hash, if it holds that hash. */
function seqIn(staged: StagedGroup, leafHash: Uint8Array): number | undefined {
  const id = staged.leaves.find(leafHash);
  return id < 0 || staged.origin[id]! < 0 ? undefined : staged.origin[id]!;
}

/** The leafIndex entry a staged group writes for a leaf hash's 8-byte prefix, if it writes one. */
function entryIn(staged: StagedGroup, leafHash: Uint8Array): Uint8Array | undefined {
  const p = staged.prefixes.find(leafHash);
  return p < 0 ? undefined : staged.indexEntries[p];
}

/**
 * Replays: a request whose nonce is stored (or stored by the group being written), or used twice
 * in this group, is refused in `results`. Returns the others' indexes and the nonces they store (hex).
 */
function refuseReplays(
  requests: readonly IntakeRequest[],
  stored: ReadonlyArray<Uint8Array | undefined>,
  before: StagedGroup | undefined,
  results: Array<IssuedReceipts | Error>,
): { live: number[]; seenNonces: Set<string> } {
  const seenNonces = new Set<string>();
  const live: number[] = [];
  requests.forEach((r, i) => {
    const key = Buffer.from(r.nonceKey).toString("hex");
    if (stored[i] !== undefined || seenNonces.has(key) || before?.nonces.has(key) === true) {
      results[i] = anchorError(
        "ANCHOR_ERR_REPLAY",
        "this request's nonce was used before; sign the request again with a new nonce",
      );
    } else {
      seenNonces.add(key);
      live.push(i);
    }
  });
  return { live, seenNonces };
}

/**
 * Each distinct leaf hash's sequence number once known (stored before, in the group being
 * written, or given in this group; -1: not yet), and the current index entry of each 8-byte
 * prefix a new leaf hash has (to append to on a prefix collision; the group being written's,
 * where it wrote one).
 */
function knownLeaves(
  distinct: HashTable,
  existing: { seqs: ReadonlyArray<number | undefined>; entries: ReadonlyArray<Uint8Array | undefined> },
  before: StagedGroup | undefined,
): {
  origin: Float64Array;
  prefixes: HashTable;
  prefixOf: Int32Array;
  indexEntries: Array<Uint8Array | undefined>;
} {
  const origin = new Float64Array(distinct.keys.length).fill(-1);
  const prefixes = new HashTable(INDEX_PREFIX_BYTES, distinct.keys.length);
  const prefixOf = new Int32Array(distinct.keys.length);
  const indexEntries: Array<Uint8Array | undefined> = [];
  for (let i = 0; i < distinct.keys.length; i++) {
    const key = distinct.keys[i]!;
    const seq = existing.seqs[i] ?? (before === undefined ? undefined : seqIn(before, key));
    if (seq !== undefined) {
      origin[i] = seq;
      continue;
    }
    const p = prefixes.intern(key);
    prefixOf[i] = p;
    if (p === indexEntries.length)
      indexEntries.push(
        before === undefined ? existing.entries[i] : (entryIn(before, key) ?? existing.entries[i]),
      );
  }
  return { origin, prefixes, prefixOf, indexEntries };
}

/** A request's records packed back to back, and their leaf hashes. */
type Prepared = { packed: Uint8Array; hashes: Uint8Array[] };

/** A request's own tree (its leaf hashes in request order) and the submission signature over its root. */
type Submitted = { tree: BatchTree; signature: string; signer: string };

type Pending = {
  request: IntakeRequest;
  prepared: Prepared;
  submitted: Submitted | undefined;
  resolve: (r: IssuedReceipts) => void;
  reject: (e: unknown) => void;
};

/** The index of the batch (of this group's, by first sequence) that holds sequence `seq`. */
function groupBatchOf(
  batches: ReadonlyArray<{ firstSequence: number; hashes: Uint8Array[] } | undefined>,
  seq: number,
): number {
  for (let g = batches.length - 1; g >= 0; g--) {
    const b = batches[g];
    if (b !== undefined && seq >= b.firstSequence) return g;
  }
  throw new Error(`internal: sequence ${seq} is in none of this group's batches`);
}

/**
 * A group prepared for its write: the batch holding all its puts, and what the receipts need
 * once it is durable. While it is being written, the next group is prepared against it as if
 * it were stored already (`size`, `tail`, `leaves`, `prefixes`, `nonces`).
 */
type StagedGroup = {
  group: Pending[];
  /** Per request: receipts to fill in, or the error it was refused with (a replay). */
  results: Array<IssuedReceipts | Error>;
  batch: GroupBatch;
  append: PreparedAppend | undefined;
  newHashes: Uint8Array[];
  live: number[];
  seqsOf: Float64Array[];
  batchOf: Int32Array[];
  signed: Array<BatchReceipts | undefined>;
  /** The receipt batches the write stores, with their trees (kept by the record store once durable). */
  receiptBatches: Array<{ batch: StoredBatch; tree: BatchTree }>;
  /** Log size once written, and the stored part of the block that size falls into (undefined: it starts one). */
  size: number;
  tail: Uint8Array | undefined;
  /** Every distinct leaf hash of the group and its sequence number (origin[id]). */
  leaves: HashTable;
  origin: Float64Array;
  /** The leafIndex entry the group writes for each 8-byte prefix it touches. */
  prefixes: HashTable;
  indexEntries: Array<Uint8Array | undefined>;
  /** The nonces it stores (hex). */
  nonces: Set<string>;
};

/** A staged group whose write was issued: `written` settles once it is durable and its append committed. */
type InFlight = {
  staged: StagedGroup;
  written: Promise<void>;
  settled: boolean;
  failure?: { error: unknown };
};

export class Intake {
  readonly deps: IntakeDeps;
  #queue: Pending[] = [];
  #writing = false;
  #closed = false;
  #idle: Array<() => void> = [];
  /** Wakes the drain loop waiting on a write when a request is queued. */
  #arrived: (() => void) | undefined;
  /** Replies being built for durable groups (close() waits for them). */
  readonly #replying = new Set<Promise<void>>();

  constructor(deps: IntakeDeps) {
    this.deps = deps;
  }

  /** Queue a request; resolves with one receipt per record, in order, once durable. */
  async submit(request: IntakeRequest): Promise<Receipt[]> {
    return (await this.submitIssued(request)).list();
  }

  /** submit, with the receipts as IssuedReceipts (their reply JSON is written without objects). */
  async submitIssued(request: IntakeRequest): Promise<IssuedReceipts> {
    if (this.#closed)
      return Promise.reject(
        anchorError("ANCHOR_ERR_SHUTTING_DOWN", "the service is shutting down; retry shortly"),
      );
    if (this.deps.receiptDomain() === undefined) {
      return Promise.reject(
        anchorError(
          "ANCHOR_ERR_CHAIN_UNAVAILABLE",
          "the service has not reached the chain yet, so it cannot sign receipts; retry shortly",
        ),
      );
    }
    // packed and hashed now, while it waits: the event loop is often idle during a group's fsync,
    // and the next group then starts with its hashes ready
    const prepared = packAndHash(request.records);
    const submitted = await this.#checkSubmission(request, prepared.hashes);
    if (this.#closed)
      throw anchorError("ANCHOR_ERR_SHUTTING_DOWN", "the service is shutting down; retry shortly");
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, prepared, submitted, resolve, reject });
      if (!this.#writing) void this.#drain();
      else this.#arrived?.();
    });
  }

  /**
   * The submitter's signature over its request must be the request signer's: it is what lets a
   * bundle show that the member, not just the log's operator, put the leaf in its name. The
   * request's tree is built here (the receipt batch reuses it when every record is new) and the
   * signature recovered on the crypto worker; nothing is written for a refused request.
   */
  async #checkSubmission(request: IntakeRequest, hashes: Uint8Array[]): Promise<Submitted | undefined> {
    const signature = request.submissionSignature;
    if (signature === undefined || hashes.length === 0) return undefined;
    const tree = new BatchTree(hashes);
    const batchRoot = toHex(tree.rightEdge(0));
    const domain = this.deps.submissionDomain?.();
    if (domain === undefined)
      throw anchorError(
        "ANCHOR_ERR_CHAIN_UNAVAILABLE",
        "the service has not reached the chain yet, so it cannot check submission signatures; retry shortly",
      );
    let signer: string;
    try {
      if (this.deps.recoverSubmission !== undefined) {
        signer = await this.deps.recoverSubmission(domain, this.deps.logId, batchRoot, signature);
      } else {
        const recovered = recoverSubmitter(domain, this.deps.logId, batchRoot, signature);
        if ("error" in recovered) throw new Error(recovered.error);
        signer = recovered.signer;
      }
    } catch (error) {
      throw anchorError(
        "ANCHOR_ERR_SUBMISSION_SIGNATURE",
        `x-jl-submission-signature: ${(error as Error).message}`,
      );
    }
    if (signer.toLowerCase() !== request.signer.toLowerCase()) {
      throw anchorError(
        "ANCHOR_ERR_SUBMISSION_SIGNATURE",
        `x-jl-submission-signature over batch root ${batchRoot} of log ${this.deps.logId} recovers to ${signer}, not to the request's signer ${request.signer}`,
      );
    }
    return { tree, signature, signer };
  }

  /** Number of requests waiting for the next group write. */
  get queueDepth(): number {
    return this.#queue.length;
  }

  /** Stop accepting; resolves when the writes in flight (if any) are done and replied to. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#writing) await new Promise<void>((resolve) => this.#idle.push(resolve));
    await Promise.all(this.#replying);
  }

  /**
   * Group commit, pipelined two deep: while one group's synced batch is being written, the
   * requests queued meanwhile are prepared as the next group (reads, sequence numbers, puts,
   * receipt signatures, Merkle nodes) against it; its write is issued the moment the one before
   * is durable. Writes themselves never overlap, so a crash leaves a prefix of the groups: the
   * next group's batch is only handed to LevelDB after the previous one is on disk.
   */
  async #drain(): Promise<void> {
    this.#writing = true;
    let inFlight: InFlight | undefined;
    try {
      for (;;) {
        if (this.#queue.length === 0) {
          if (inFlight === undefined) break;
          // until the write is durable or a request arrives (to be prepared while it is written)
          const arrived = new Promise<void>((resolve) => (this.#arrived = resolve));
          await Promise.race([inFlight.written, arrived]);
          this.#arrived = undefined;
          if (inFlight.settled) inFlight = undefined;
          continue;
        }
        const group = this.#queue;
        this.#queue = [];
        const before = inFlight;
        let staged: StagedGroup;
        try {
          staged = await this.#prepareGroup(group, before?.staged);
        } catch (error) {
          if (before !== undefined) await before.written;
          inFlight = undefined;
          for (const p of group) p.reject(error);
          continue;
        }
        if (before !== undefined) {
          await before.written;
          if (before.failure !== undefined) {
            // prepared against a group that never reached the disk (its append's abort forgot this one's)
            if (staged.append?.pending === true) staged.append.abort();
            await staged.batch.close();
            inFlight = undefined;
            for (const p of group) p.reject(before.failure.error);
            continue;
          }
        }
        inFlight = this.#write(staged);
      }
    } finally {
      this.#writing = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** Issues a staged group's write; once durable its append commits and its replies go out. */
  #write(staged: StagedGroup): InFlight {
    const { records } = this.deps;
    const flight: InFlight = { staged, written: Promise.resolve(), settled: false };
    const written = async (): Promise<void> => {
      try {
        await staged.batch.write();
      } catch (error) {
        if (staged.append?.pending === true) staged.append.abort(); // nothing was written: the log stays at its size
        flight.failure = { error };
        for (const p of staged.group) p.reject(error);
        return;
      }
      staged.append?.commit();
      for (const { batch, tree } of staged.receiptBatches) records.rememberBatch(batch, tree);
      const filter = records.filter;
      if (filter !== undefined) for (const h of staged.newHashes) filter.add(h);
      this.deps.onAppended?.(staged.newHashes.length, staged.live.length);
      // the replies do not hold up the next group's write
      const replying = this.#reply(staged).finally(() => this.#replying.delete(replying));
      this.#replying.add(replying);
    };
    flight.written = written().finally(() => {
      flight.settled = true;
    });
    return flight;
  }

  /** Receipts for a durable group: its own from its signed batches, earlier ones re-issued from storage. */
  async #reply(staged: StagedGroup): Promise<void> {
    const { group, results, live, seqsOf, batchOf, signed } = staged;
    try {
      const reissued = new Map<number, Receipt>();
      for (const [l, requestIndex] of live.entries()) {
        const seqs = seqsOf[l]!;
        const batches = batchOf[l]!;
        const out = new IssuedReceipts(seqs.length);
        for (let j = 0; j < seqs.length; j++) {
          const seq = seqs[j]!;
          const g = batches[j]!;
          if (g >= 0) {
            const s = signed[g]!;
            out.set(j, s, seq - s.batch.firstSequence);
            continue;
          }
          let receipt = reissued.get(seq);
          if (receipt === undefined) {
            receipt = await this.deps.records.receiptOf(seq);
            reissued.set(seq, receipt);
          }
          out.set(j, receipt);
        }
        results[requestIndex] = out;
      }
    } catch (error) {
      for (const p of group) p.reject(error);
      return;
    }
    group.forEach((p, i) => {
      const r = results[i]!;
      if (r instanceof Error) p.reject(r);
      else p.resolve(r);
    });
  }

  /** Signs one receipt batch per request with new records (its tree built here, signed on the worker). */
  #sign(
    groupBatches: ReadonlyArray<
      { firstSequence: number; hashes: Uint8Array[]; tree?: BatchTree } | undefined
    >,
  ): Promise<Array<BatchReceipts | undefined>> {
    const receivedAt = this.deps.now();
    return Promise.all(
      groupBatches.map(async (b) => {
        if (b === undefined) return undefined;
        const tree = b.tree ?? new BatchTree(b.hashes);
        const { batch } = await signReceiptBatchRoot(this.deps.receiptSigner, this.deps.receiptDomain()!, {
          logId: this.deps.logId,
          firstSequence: b.firstSequence,
          leafHashes: b.hashes,
          receivedAt,
          maxMergeDelaySeconds: this.deps.maxMergeDelaySeconds,
          rangeHash: tree.rangeHash,
          sm2PrivateKey: this.deps.receiptSm2Key,
        });
        return new BatchReceipts(batch, tree);
      }),
    );
  }

  /**
   * Prepares one group's single synced batch against the stored log, or against `before` (the
   * group being written, not yet durable) as if it were stored.
   */
  async #prepareGroup(group: Pending[], before: StagedGroup | undefined): Promise<StagedGroup> {
    const { db, records, merkle } = this.deps;
    const requests = group.map((p) => p.request);
    const results: Array<IssuedReceipts | Error> = requests.map(() => new IssuedReceipts(0));
    const base = before?.size ?? merkle.size;

    // the nonces (replays: a nonce seen before), which leaf hashes are stored already and the
    // block the group's first record goes into are read at once. Each request's records came
    // packed and hashed (at submit); each hash gets its number among the group's distinct ones.
    const noncesRead = db.nonces.getMany(requests.map((r) => r.nonceKey));
    noncesRead.catch(() => {}); // awaited below; an error before then must not leave it unhandled
    const hashes: Uint8Array[][] = [];
    const idsOf: Int32Array[] = [];
    const packs: Uint8Array[] = [];
    const distinct = new HashTable(
      32,
      group.reduce((n, p) => n + p.prepared.hashes.length, 0),
    );
    for (const { prepared } of group) {
      const hs = prepared.hashes;
      const ids = new Int32Array(hs.length);
      for (let j = 0; j < hs.length; j++) ids[j] = distinct.intern(hs[j]!);
      hashes.push(hs);
      idsOf.push(ids);
      packs.push(prepared.packed);
    }
    const [nonces, existing, tail] = await Promise.all([
      noncesRead,
      records.lookupEntries(distinct.keys),
      before !== undefined ? before.tail : records.tailBlock(base),
    ]);

    const { live, seenNonces } = refuseReplays(requests, nonces, before, results);
    const { origin, prefixes, prefixOf, indexEntries } = knownLeaves(distinct, existing, before);

    // new records get contiguous sequence numbers, request by request; their puts go into the
    // group's one batch (store/group-batch.ts, the layout of store/keys.ts). After the write only
    // each record's sequence number and batch are needed, kept in typed arrays.
    const batch = new GroupBatch(
      db,
      live.reduce((n, i) => n + hashes[i]!.length, 0),
    );
    const newHashes: Uint8Array[] = [];
    let next = base;
    const groupStart = next;
    // room for every record of the group, in sequence order (fewer if some are stored already)
    const newRecords = new Uint8Array(live.reduce((n, i) => n + packs[i]!.length, 0));
    const groupBatches: Array<
      | { firstSequence: number; hashes: Uint8Array[]; tree?: BatchTree; submission?: StoredSubmission }
      | undefined
    > = [];
    const seqsOf: Float64Array[] = [];
    const batchOf: Int32Array[] = []; // index into groupBatches, or -1 (stored before this group)
    let append: PreparedAppend | undefined;
    let signed: Array<BatchReceipts | undefined>;
    const receiptBatches: StagedGroup["receiptBatches"] = [];
    let tailAfter: typeof tail;
    try {
      live.forEach((requestIndex, l) => {
        const first = next;
        const batchHashes: Uint8Array[] = [];
        const hs = hashes[requestIndex]!;
        const ids = idsOf[requestIndex]!;
        const ps = packs[requestIndex]!;
        const seqs = new Float64Array(ids.length);
        const batches = new Int32Array(ids.length);
        for (let j = 0; j < ids.length; j++) {
          const id = ids[j]!;
          const known = origin[id]!;
          if (known >= 0) {
            seqs[j] = known;
            // this request's own batch (a record sent twice in it), an earlier request's of this group, or none
            batches[j] = known >= first ? l : known >= groupStart ? groupBatchOf(groupBatches, known) : -1;
            continue;
          }
          const h = hs[j]!;
          origin[id] = next;
          seqs[j] = next;
          batches[j] = l;
          const seq = batch.seq(next);
          const current = indexEntries[prefixOf[id]!];
          const entry = current === undefined ? seq : Buffer.concat([current, seq]);
          indexEntries[prefixOf[id]!] = entry;
          // byte loops: no view objects per record on this path
          const from = j * RECORD_BYTES;
          const to = (next - groupStart) * RECORD_BYTES;
          for (let k = 0; k < RECORD_BYTES; k++) newRecords[to + k] = ps[from + k]!;
          batch.putIndexes(h, entry, ps, from, seq);
          batchHashes.push(h);
          newHashes.push(h);
          next++;
        }
        // every record new: the receipt batch is the request, in order, and shares its tree;
        // else the request's sequences say which stored records its signed tree is over
        const submitted = group[requestIndex]!.submitted;
        const allNew = batchHashes.length === hs.length;
        let submission: StoredSubmission | undefined;
        if (submitted !== undefined) {
          const { signature, signer } = submitted;
          submission = allNew ? { signature, signer } : { signature, signer, sequences: Array.from(seqs) };
        }
        groupBatches.push(
          batchHashes.length > 0
            ? {
                firstSequence: first,
                hashes: batchHashes,
                ...(allNew && submitted !== undefined ? { tree: submitted.tree } : {}),
                ...(submission === undefined ? {} : { submission }),
              }
            : undefined,
        );
        seqsOf.push(seqs);
        batchOf.push(batches);
      });
      // the new records, in their blocks; what the last holds is the next group's tail
      tailAfter = batch.putRecords(
        groupStart,
        tail,
        newRecords.subarray(0, (next - groupStart) * RECORD_BYTES),
      );

      signed = await this.#sign(groupBatches);
      signed.forEach((s, g) => {
        const submission = groupBatches[g]?.submission;
        if (s === undefined) return;
        const stored: StoredBatch = submission === undefined ? s.batch : { ...s.batch, submission };
        batch.putReceiptBatch(stored);
        receiptBatches.push({ batch: stored, tree: s.tree });
      });
      for (const i of live) batch.putNonce(requests[i]!.nonceKey, requests[i]!.expiresAt);
      // after the group being written, if it appends (else it was the last to, and is committed)
      append =
        newHashes.length > 0
          ? merkle.prepareAppend(newHashes, before?.append?.pending === true ? before.append : undefined)
          : undefined;
      if (append !== undefined) batch.putNodes(append.ops);
    } catch (error) {
      if (append?.pending === true) append.abort();
      await batch.close();
      throw error;
    }
    return {
      group,
      results,
      batch,
      append,
      newHashes,
      live,
      seqsOf,
      batchOf,
      signed,
      receiptBatches,
      size: next,
      tail: tailAfter,
      leaves: distinct,
      origin,
      prefixes,
      indexEntries,
      nonces: seenNonces,
    };
  }
}
