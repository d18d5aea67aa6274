// The node's durable outbox: every chain write it makes, keyed by serial number, written to
// LevelDB (fsynced) before anything is sent, so a restart knows exactly what is pending and
// what may already be in flight. The OutboxSender (sender.ts) drains it; this class only stores,
// answers and orders. See README.md for the states and the exactly-once argument.
//
// Layout, under the sublevel the node passes in (the parent itself holds no keys):
//
//   entries  serial (utf8)                    → the entry (JSON, OutboxEntry)
//   order    seq (16-digit zero-padded)       → serial, for every entry: list() in creation order
//   pending  seq (16-digit zero-padded)       → serial, for queued and sent entries only: the
//                                               sender's work queue, in order
//   transactions  txHash                      → the signed transaction (JSON, TransactionRecord):
//                                               its bytes once, however many entries it carries
//
// An entry and its index keys are written in one synced batch; a signed transaction's record goes
// in the batch that makes its entries "sent", and is deleted in the batch after which no sent or
// confirmed entry names it any more. Enqueues are group-committed (as the anchor service's
// intake): requests arriving while a batch is being written go together into the next one, which
// is also what makes "same serial twice at once" create one entry.
// The one write not fsynced is a step to "confirmed" under the entry's own transaction (one that
// moves it off its transaction or lets a record go is fsynced): the chain holds what it records,
// so if a power cut loses it the entry is back where it was a moment before (sent, or queued),
// and the sender finds the flow on chain again from there (README.md, "Durability").
import type { AbstractBatchOperation, AbstractBatchOptions } from "abstract-level";
import type { LevelRoot, Sublevel } from "../../../common/level.ts";
import { OutboxError } from "../errors.ts";
import type { EnqueueInput, NormalizedEntry, OutboxEntry, OutboxState } from "./entry.ts";
import { normalizeEntry, OUTBOX_STATES } from "./entry.ts";
import { Lock } from "./lock.ts";

// The parent's own encodings do not matter: each child sublevel sets its own.
type Parent = LevelRoot;
type Sub<V> = Sublevel<string, V>;
type BatchOp = AbstractBatchOperation<Parent, string, unknown>;
// classic-level takes `sync` (fsync before the batch resolves); abstract-level's types do not list it
type BatchOptions = AbstractBatchOptions<string, unknown> & { sync?: boolean };

export type OutboxOptions = {
  /** fsync every write (default true; an in-memory level has nothing to sync). */
  sync?: boolean;
  /** Milliseconds since the epoch (tests pin it). */
  now?: () => number;
};

export type OutboxChangeListener = (entry: OutboxEntry) => void;

/** Fields the sender may change; `undefined` removes a field. */
export type OutboxPatch = Partial<
  Omit<OutboxEntry, "serial" | "kind" | "args" | "seq" | "createdAt" | "updatedAt">
>;

/**
 * A queued or sent entry as the sender's scan reads it: no signed bytes, no history. The outbox
 * keeps these in memory, in outbox order, so a scan costs no database reads however long the
 * queue behind it is.
 */
export type PendingSummary = Pick<OutboxEntry, "serial" | "kind" | "args" | "state" | "seq">;

/**
 * A signed transaction of the sender's, kept once: a batch's entries each name it by `txHash`
 * instead of each holding its bytes (~55 kB of hex for a batch of registrations). `serials`: the
 * entries it was recorded for, the only ones that can name it.
 */
export type TransactionRecord = { rawTx: string; serials: string[] };

/** A signed transaction to record with the entries it makes "sent" (updateMany). */
export type SignedRecord = TransactionRecord & { txHash: string };

type PendingEnqueue = {
  entry: NormalizedEntry;
  resolve: (e: OutboxEntry) => void;
  reject: (e: unknown) => void;
};

const SEQ_DIGITS = 16;
const FINAL: ReadonlySet<OutboxState> = new Set(["confirmed", "failed"]);

export function seqKey(seq: number): string {
  return String(seq).padStart(SEQ_DIGITS, "0");
}

/** JSON with object keys sorted: two argument sets are the same iff their canonical forms are. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function summaryOf(entry: OutboxEntry): PendingSummary {
  return { serial: entry.serial, kind: entry.kind, args: entry.args, state: entry.state, seq: entry.seq };
}

/**
 * Whether an entry needs its transaction's bytes: a sent one (re-broadcast on resume, gap repair) or
 * a confirmed one (sent again should the chain lose its block). A failed entry is final, and a
 * requeue drops its hash.
 */
function holds(entry: OutboxEntry, txHash: string): boolean {
  return entry.txHash === txHash && (entry.state === "sent" || entry.state === "confirmed");
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export class Outbox {
  readonly db: Parent;
  readonly #batchOptions: BatchOptions;
  readonly entries: Sub<OutboxEntry>;
  readonly order: Sub<string>;
  readonly pending: Sub<string>;
  readonly transactions: Sub<TransactionRecord>;
  readonly #now: () => number;
  readonly #listeners = new Set<OutboxChangeListener>();
  #queue: PendingEnqueue[] = [];
  #groupScheduled = false;
  /** Every write runs under this lock: read-modify-write of an entry never races another. */
  readonly #lock = new Lock();
  #nextSeq: number | undefined;
  /**
   * seq → summary of every queued and sent entry, loaded from the pending index on first use and
   * then changed with each durable write (under the write lock, so it never lags the store).
   * A Map keeps insertion order: in seq order unless an entry came back to an earlier place.
   */
  #pendingIndex: Map<number, PendingSummary> | undefined;
  #pendingSorted = true;
  /** The highest seq ever put in the pending index (entries past it are appended in order). */
  #pendingTop = 0;
  /**
   * How many entries are in each state: walked from the store on first use (counts()), then changed
   * with each durable write under the write lock, so a metrics scrape reads no entry.
   */
  #counts: Record<OutboxState, number> | undefined;
  #closed = false;
  #sender: symbol | undefined;

  constructor(db: Parent, options: OutboxOptions = {}) {
    this.db = db;
    this.entries = db.sublevel<string, OutboxEntry>("entries", {
      keyEncoding: "utf8",
      valueEncoding: "json",
    }) as Sub<OutboxEntry>;
    this.order = db.sublevel<string, string>("order", {
      keyEncoding: "utf8",
      valueEncoding: "utf8",
    }) as Sub<string>;
    this.pending = db.sublevel<string, string>("pending", {
      keyEncoding: "utf8",
      valueEncoding: "utf8",
    }) as Sub<string>;
    this.transactions = db.sublevel<string, TransactionRecord>("transactions", {
      keyEncoding: "utf8",
      valueEncoding: "json",
    }) as Sub<TransactionRecord>;
    this.#batchOptions = { sync: options.sync ?? true };
    this.#now = options.now ?? Date.now;
  }

  /**
   * Add a chain write. Idempotent by serial: the same serial with the same kind and arguments
   * returns the stored entry (in whatever state it is now); with different ones it is refused
   * (NODE_ERR_OUTBOX_CONFLICT). Resolves once the entry is durable.
   */
  enqueue(input: EnqueueInput): Promise<OutboxEntry> {
    let entry: NormalizedEntry;
    try {
      entry = normalizeEntry(input);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#closed)
      return Promise.reject(
        new OutboxError("NODE_ERR_OUTBOX_CLOSED", "the outbox is closing; retry after the node restarts"),
      );
    return new Promise((resolve, reject) => {
      this.#queue.push({ entry, resolve, reject });
      if (!this.#groupScheduled) {
        this.#groupScheduled = true;
        void this.#lock.run(() => this.#writeGroup());
      }
    });
  }

  /**
   * Throws what enqueue would throw for `input` — a malformed entry, or its serial taken by an
   * entry of another kind or arguments (NODE_ERR_OUTBOX_CONFLICT) — without writing anything, so a
   * caller can refuse before it stores or anchors anything else. enqueue stays the authority.
   */
  async refuseConflict(input: EnqueueInput): Promise<void> {
    const entry = normalizeEntry(input);
    const existing = await this.entries.get(entry.serial);
    if (
      existing !== undefined &&
      !(existing.kind === entry.kind && canonicalJson(existing.args) === canonicalJson(entry.args))
    ) {
      throw new OutboxError(
        "NODE_ERR_OUTBOX_CONFLICT",
        `serial ${entry.serial} is already used by a ${existing.kind} entry with other arguments; a new flow needs a new serial`,
        { serial: entry.serial, existing: { kind: existing.kind, state: existing.state } },
      );
    }
  }

  /** The entry with this serial, or undefined. */
  async status(serial: string): Promise<OutboxEntry | undefined> {
    return this.entries.get(serial);
  }

  /**
   * The signed bytes of the transaction an entry names, to broadcast again: its record's, or the
   * entry's own `rawTx` where it keeps them (a store written before the records; an entry whose
   * flow another transaction carried: README.md, "Signed bytes"). Undefined when neither is kept.
   */
  async signedBytes(entry: Pick<OutboxEntry, "txHash" | "rawTx">): Promise<string | undefined> {
    if (entry.rawTx !== undefined) return entry.rawTx;
    if (entry.txHash === undefined) return undefined;
    return (await this.transactions.get(entry.txHash))?.rawTx;
  }

  /** Entries in creation order, optionally only those in `state`, at most `limit`. */
  async list(options: { state?: OutboxState; limit?: number } = {}): Promise<OutboxEntry[]> {
    const { state, limit = Infinity } = options;
    // queued and sent entries are all in the pending index: no need to walk the history
    const index = state === "queued" || state === "sent" ? this.pending : this.order;
    const out: OutboxEntry[] = [];
    for await (const serials of chunks(index.values(), 256)) {
      const found = await this.entries.getMany(serials);
      for (const e of found) {
        if (e === undefined || (state !== undefined && e.state !== state)) continue;
        out.push(e);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  /**
   * How many entries are in each state: from memory, after one walk of the store on the first call
   * (under the write lock, so no write is missed or counted twice), kept in step with every write.
   */
  async counts(): Promise<Record<OutboxState, number>> {
    const counts = this.#counts ?? (await this.#lock.run(() => this.#loadCounts()));
    return { ...counts };
  }

  /** Under the lock: every entry's state counted from the store, once. */
  async #loadCounts(): Promise<Record<OutboxState, number>> {
    if (this.#counts !== undefined) return this.#counts;
    const counts = Object.fromEntries(OUTBOX_STATES.map((s) => [s, 0])) as Record<OutboxState, number>;
    for await (const e of this.entries.values()) counts[e.state]++;
    this.#counts = counts;
    return counts;
  }

  /** After a durable write: an entry moved from one state to another (from none: created). */
  #count(from: OutboxState | undefined, to: OutboxState): void {
    if (this.#counts === undefined || from === to) return;
    if (from !== undefined) this.#counts[from]--;
    this.#counts[to]++;
  }

  /** The first queued or sent entry. */
  async nextPending(): Promise<OutboxEntry | undefined> {
    const [entry] = await this.pendingEntries(1);
    return entry;
  }

  /**
   * The first `limit` queued or sent entries' summaries, in outbox order, from memory (the first
   * call loads them): what the sender's scan walks, every time something changes.
   */
  async pendingSummaries(limit: number): Promise<PendingSummary[]> {
    const index = this.#pendingIndex ?? (await this.#lock.run(() => this.#loadPending()));
    if (!this.#pendingSorted) {
      const sorted = [...index].sort((a, b) => a[0] - b[0]);
      index.clear();
      for (const [seq, summary] of sorted) index.set(seq, summary);
      this.#pendingSorted = true;
    }
    const out: PendingSummary[] = [];
    for (const summary of index.values()) {
      if (out.length >= limit) break;
      out.push(summary);
    }
    return out;
  }

  /** How many entries are queued or sent. */
  async pendingCount(): Promise<number> {
    return (this.#pendingIndex ?? (await this.#lock.run(() => this.#loadPending()))).size;
  }

  /** Under the lock: the pending index read from the store, once. */
  async #loadPending(): Promise<Map<number, PendingSummary>> {
    if (this.#pendingIndex !== undefined) return this.#pendingIndex;
    const index = new Map<number, PendingSummary>();
    for await (const serials of chunks(this.pending.values(), 256)) {
      for (const e of await this.entries.getMany(serials))
        if (e !== undefined) index.set(e.seq, summaryOf(e));
    }
    this.#pendingIndex = index;
    this.#pendingSorted = true;
    // the pending index's keys are in seq order: the last one read is the highest
    for (const seq of index.keys()) this.#pendingTop = seq;
    return index;
  }

  /** After a durable write: the entry's place in the in-memory pending index. */
  #track(entry: OutboxEntry): void {
    const index = this.#pendingIndex;
    if (index === undefined) return;
    if (FINAL.has(entry.state)) {
      index.delete(entry.seq);
      return;
    }
    // a new entry goes at the end; one back at an earlier place (requeue, recheck) needs a sort
    if (!index.has(entry.seq)) {
      if (entry.seq < this.#pendingTop) this.#pendingSorted = false;
      else this.#pendingTop = entry.seq;
    }
    index.set(entry.seq, summaryOf(entry));
  }

  /** The first `limit` queued or sent entries, in outbox order: what the sender works on next. */
  async pendingEntries(limit: number): Promise<OutboxEntry[]> {
    const serials = await this.pending.values({ limit }).all();
    if (serials.length === 0) return [];
    const found = await this.entries.getMany(serials);
    return found.filter((e): e is OutboxEntry => e !== undefined);
  }

  /**
   * The entry once it is final (confirmed or failed), or as it stands after `timeoutMs` (still
   * queued or sent: the sender keeps working on it). NODE_ERR_OUTBOX_UNKNOWN if there is none.
   */
  async settled(serial: string, timeoutMs: number): Promise<OutboxEntry> {
    let wake: (() => void) | undefined;
    const unsubscribe = this.onChange((e) => {
      if (e.serial === serial && FINAL.has(e.state)) wake?.();
    });
    try {
      const changed = new Promise<void>((resolve) => (wake = resolve));
      const current = await this.entries.get(serial);
      if (current === undefined)
        throw new OutboxError("NODE_ERR_OUTBOX_UNKNOWN", `no outbox entry with serial ${serial}`);
      if (FINAL.has(current.state)) return current;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([changed, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      return (await this.entries.get(serial))!;
    } finally {
      unsubscribe();
    }
  }

  /** Called after every durable change of an entry (creation included), with the new entry. */
  onChange(listener: OutboxChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Change an entry's state and bookkeeping (the sender's use), keeping the pending index in
   * step, in one synced batch. Resolves with the entry as stored.
   */
  update(serial: string, patch: OutboxPatch): Promise<OutboxEntry> {
    return this.#lock.run(async () => {
      const current = await this.entries.get(serial);
      if (current === undefined)
        throw new OutboxError("NODE_ERR_OUTBOX_UNKNOWN", `no outbox entry with serial ${serial}`);
      return this.#write(current, patch);
    });
  }

  /**
   * Several entries' changes in one synced batch (the sender records a burst of signed
   * transactions at once, or the flows of one batched transaction): all of them are durable, or
   * none. `signed`: the transactions the changes make their entries "sent" with, recorded in the
   * same batch (each once, whatever number of entries name it). Only confirmations, like
   * update's, are written without an fsync of their own. Resolves with the entries as stored.
   */
  updateMany(
    changes: ReadonlyArray<{ serial: string; patch: OutboxPatch }>,
    signed: ReadonlyArray<SignedRecord> = [],
  ): Promise<OutboxEntry[]> {
    return this.#lock.run(async () => {
      const current = await this.entries.getMany(changes.map((c) => c.serial));
      const ops: BatchOp[] = signed.map(({ txHash, rawTx, serials }) => ({
        type: "put",
        sublevel: this.transactions,
        key: txHash,
        value: { rawTx, serials },
      }));
      const next = changes.map(({ serial, patch }, i) => {
        const entry = current[i];
        if (entry === undefined)
          throw new OutboxError("NODE_ERR_OUTBOX_UNKNOWN", `no outbox entry with serial ${serial}`);
        const { entry: changed, ops: entryOps } = this.#change(entry, patch);
        ops.push(...entryOps);
        return changed;
      });
      const released = await this.#released(current as OutboxEntry[], next, signed);
      ops.push(...released);
      await this.db.batch(
        ops,
        signed.length === 0 && Outbox.#plainConfirmations(current as OutboxEntry[], next, released)
          ? { sync: false }
          : this.#batchOptions,
      );
      // an entry changed twice in one batch moves on from its first change
      const was = new Map<string, OutboxState>();
      next.forEach((e, i) => {
        this.#count(was.get(e.serial) ?? current[i]!.state, e.state);
        was.set(e.serial, e.state);
      });
      for (const e of next) this.#track(e);
      for (const e of next) this.#emit(e);
      return next;
    });
  }

  /**
   * Operator action on a failed entry, once the cause is fixed (a raised limit, a whitelisted
   * account): queue it again at its original place. The sender checks the chain before sending,
   * as always. Prefer a new flow with a new serial when the business facts changed.
   *
   * `replacement`: the same serial and kind with other arguments, for a flow whose facts stand
   * but whose proof went stale (an evidence registration proved against a head the chain lost,
   * proved again against a head it holds).
   */
  requeue(
    serial: string,
    reason = "requeued by the operator",
    replacement?: EnqueueInput,
  ): Promise<OutboxEntry> {
    let args: NormalizedEntry["args"] | undefined;
    try {
      if (replacement !== undefined) {
        const normalized = normalizeEntry(replacement);
        if (normalized.serial !== serial)
          throw new OutboxError(
            "NODE_ERR_OUTBOX_BAD_ENTRY",
            `a replacement for ${serial} must keep its serial, not ${normalized.serial}`,
          );
        args = normalized.args;
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#lock.run(async () => {
      let current = await this.entries.get(serial);
      if (current === undefined)
        throw new OutboxError("NODE_ERR_OUTBOX_UNKNOWN", `no outbox entry with serial ${serial}`);
      if (current.state !== "failed") {
        throw new OutboxError(
          "NODE_ERR_OUTBOX_WRONG_STATE",
          `entry ${serial} is ${current.state}; only a failed entry can be requeued`,
        );
      }
      if (replacement !== undefined) {
        if (replacement.kind !== current.kind)
          throw new OutboxError(
            "NODE_ERR_OUTBOX_BAD_ENTRY",
            `a replacement for ${serial} must keep its kind ${current.kind}, not ${replacement.kind}`,
          );
        current = { ...current, args: args! };
      }
      const was = current.failure === undefined ? "" : ` (was ${current.failure.code})`;
      return this.#write(current, {
        state: "queued",
        failure: undefined,
        txHash: undefined,
        nonce: undefined,
        rawTx: undefined,
        reverts: undefined,
        blockNumber: undefined,
        lastError: `${reason}${was}`,
      });
    });
  }

  /** One sender per outbox: returns the release function, or throws if one is active. */
  acquireSender(): () => void {
    if (this.#sender !== undefined) {
      throw new OutboxError(
        "NODE_ERR_OUTBOX_SENDER_ACTIVE",
        "a sender is already draining this outbox; stop it first",
      );
    }
    const token = Symbol("sender");
    this.#sender = token;
    return () => {
      if (this.#sender === token) this.#sender = undefined;
    };
  }

  /** Refuse new entries and wait for writes in progress. The database stays open (the caller owns it). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#lock.run(async () => undefined);
  }

  async #write(current: OutboxEntry, patch: OutboxPatch): Promise<OutboxEntry> {
    const { entry, ops } = this.#change(current, patch);
    const released = await this.#released([current], [entry], []);
    ops.push(...released);
    await this.db.batch(
      ops,
      Outbox.#plainConfirmations([current], [entry], released) ? { sync: false } : this.#batchOptions,
    );
    this.#count(current.state, entry.state);
    this.#track(entry);
    this.#emit(entry);
    return entry;
  }

  /**
   * Whether a write may skip its fsync: a confirmation is derived from the chain (see the header),
   * and an fsync would hold this lock ~2.5 ms per flow, for every enqueue and signing behind it.
   * Not when an entry leaves its recorded transaction (confirmed by another) or a signed record
   * goes: a later synced write could then outlive it, and a recorded transaction lose its bytes.
   */
  static #plainConfirmations(current: OutboxEntry[], next: OutboxEntry[], released: BatchOp[]): boolean {
    return (
      released.length === 0 &&
      next.every((e, i) => e.state === "confirmed" && e.txHash === current[i]!.txHash)
    );
  }

  /** An entry patched, and the writes that store it with its pending index in step. */
  #change(current: OutboxEntry, patch: OutboxPatch): { entry: OutboxEntry; ops: BatchOp[] } {
    const next = withoutUndefined<OutboxEntry>({
      ...current,
      ...patch,
      updatedAt: new Date(this.#now()).toISOString(),
    });
    const ops: BatchOp[] = [{ type: "put", sublevel: this.entries, key: next.serial, value: next }];
    const wasPending = !FINAL.has(current.state);
    const isPending = !FINAL.has(next.state);
    if (wasPending && !isPending) ops.push({ type: "del", sublevel: this.pending, key: seqKey(next.seq) });
    if (!wasPending && isPending)
      ops.push({ type: "put", sublevel: this.pending, key: seqKey(next.seq), value: next.serial });
    return { entry: next, ops };
  }

  /**
   * The deletes of the transaction records no entry holds once `after` is written (`before`: the
   * same entries as stored; `signed`: records written in the same batch). Read only when an entry
   * lets go of its transaction (queued again, failed, or confirmed by another one): a record's
   * entries are the ones it was recorded for, so the others are read by serial.
   */
  async #released(
    before: readonly OutboxEntry[],
    after: readonly OutboxEntry[],
    signed: ReadonlyArray<SignedRecord>,
  ): Promise<BatchOp[]> {
    const left = new Set<string>();
    before.forEach((b, i) => {
      if (b.txHash !== undefined && !holds(after[i]!, b.txHash)) left.add(b.txHash);
    });
    if (left.size === 0) return [];
    // an entry changed twice in one batch is stored as its last change
    const latest = new Map(after.map((e) => [e.serial, e]));
    const ops: BatchOp[] = [];
    for (const txHash of left) {
      const record = signed.find((r) => r.txHash === txHash) ?? (await this.transactions.get(txHash));
      // an older store's entries keep their bytes themselves: no record to delete
      if (record === undefined) continue;
      const others = record.serials.filter((s) => !latest.has(s));
      const stored = others.length === 0 ? [] : await this.entries.getMany(others);
      const held = [...record.serials.map((s) => latest.get(s)), ...stored].some(
        (e) => e !== undefined && holds(e, txHash),
      );
      if (!held) ops.push({ type: "del", sublevel: this.transactions, key: txHash });
    }
    return ops;
  }

  async #writeGroup(): Promise<void> {
    this.#groupScheduled = false;
    const group = this.#queue.splice(0);
    if (group.length === 0) return;
    try {
      if (this.#nextSeq === undefined) {
        const [last] = await this.order.keys({ reverse: true, limit: 1 }).all();
        this.#nextSeq = last === undefined ? 1 : Number(last) + 1;
      }
      const serials = [...new Set(group.map((p) => p.entry.serial))];
      const stored = await this.entries.getMany(serials);
      const known = new Map<string, OutboxEntry>();
      serials.forEach((s, i) => {
        const e = stored[i];
        if (e !== undefined) known.set(s, e);
      });
      const created: OutboxEntry[] = [];
      const results: Array<OutboxEntry | OutboxError> = [];
      const at = new Date(this.#now()).toISOString();
      let seq = this.#nextSeq;
      for (const { entry } of group) {
        const existing = known.get(entry.serial);
        if (existing !== undefined) {
          const same =
            existing.kind === entry.kind && canonicalJson(existing.args) === canonicalJson(entry.args);
          results.push(
            same
              ? existing
              : new OutboxError(
                  "NODE_ERR_OUTBOX_CONFLICT",
                  `serial ${entry.serial} is already used by a ${existing.kind} entry with other arguments; a new flow needs a new serial`,
                  { serial: entry.serial, existing: { kind: existing.kind, state: existing.state } },
                ),
          );
          continue;
        }
        const fresh: OutboxEntry = {
          serial: entry.serial,
          kind: entry.kind,
          args: entry.args,
          state: "queued",
          seq: seq++,
          attempts: 0,
          createdAt: at,
          updatedAt: at,
        };
        known.set(entry.serial, fresh);
        created.push(fresh);
        results.push(fresh);
      }
      if (created.length > 0) {
        const ops: BatchOp[] = [];
        for (const e of created) {
          ops.push({ type: "put", sublevel: this.entries, key: e.serial, value: e });
          ops.push({ type: "put", sublevel: this.order, key: seqKey(e.seq), value: e.serial });
          ops.push({ type: "put", sublevel: this.pending, key: seqKey(e.seq), value: e.serial });
        }
        await this.db.batch(ops, this.#batchOptions);
        this.#nextSeq = seq;
        for (const e of created) {
          this.#count(undefined, e.state);
          this.#track(e);
        }
      }
      group.forEach((p, i) => {
        const r = results[i]!;
        if (r instanceof OutboxError) p.reject(r);
        else p.resolve(r);
      });
      for (const e of created) this.#emit(e);
    } catch (error) {
      // nothing of this group was written (one batch): every caller may simply retry
      for (const p of group) p.reject(error);
    }
  }

  #emit(entry: OutboxEntry): void {
    for (const listener of this.#listeners) {
      try {
        listener(entry);
      } catch {
        // a listener's bug must not break the outbox
      }
    }
  }
}

async function* chunks<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let chunk: T[] = [];
  for await (const item of source) {
    chunk.push(item);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
