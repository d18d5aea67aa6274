// A daily batch file taken in: checked whole (csv.ts), stored durably with its rows, then each
// row recorded as a flow (its voucher anchored and its chain write queued in the outbox, by the
// caller's `record`) many at once, a loan's rows in file order, resumed after a restart where it
// stopped. Progress and the result are read from the outbox: each row confirmed with its
// transaction and block, failed with the ledger's error, refused by the node before it was
// queued, or still on its way. The
// same file uploaded again is the same batch (its id is the file's hash); a row's serial is its
// flow's serial, so a row already recorded is never recorded twice.
//
// Layout, under the sublevel the node passes in: `batches` (id → the batch's header: kind,
// uploader, size, `next`), `rows` (id/row index → the row, written once with the header),
// `refused` (id/row index → the node's refusal). A progress mark writes the header and the
// refusals since the last mark, so its cost does not grow with the file; progress itself is
// counted in memory from the outbox's changes (BatchTally), not re-read row by row.
import { createHash } from "node:crypto";
import type { AbstractBatchOperation } from "abstract-level";
import type { LevelRoot, Sublevel } from "../../../common/level.ts";
import type { OutboxEntry } from "../outbox/entry.ts";
import type { Outbox } from "../outbox/outbox.ts";
import { safeCsvCell } from "../reconcile/safe-csv.ts";
import { type BatchKind, type BatchRow, parseBatchFile } from "./csv.ts";
import { BatchFileError } from "../errors.ts";
import type { QueueTurn } from "../servicing.ts";

/**
 * Records one row as a flow, on behalf of the file's uploader (FundFlows.record at the node);
 * throws a coded error to refuse it. It may check and anchor at once, but queues the flow only
 * once `turn.after` has resolved (the loan's previous row queued or refused; a rejection — that
 * row could not be taken — is the row's own failure), and calls `turn.queued()` as soon as its
 * enqueue is called (the outbox's order is taken at the call), so the next row may follow.
 */
export type RowRecorder = (
  kind: BatchKind,
  row: BatchRow,
  uploadedBy: string,
  turn: QueueTurn,
) => Promise<unknown>;

type StoredRow = { line: number; serial: string; loanId: string; amountFen: string; accountHash?: string };
/** A row the node refused before queueing it: the error's code and message. */
type Refusal = { code: string; message: string };

type BatchHeader = {
  id: string;
  kind: BatchKind;
  uploadedBy: string;
  createdAt: string;
  /** Rows in the file (stored under `rows`). */
  size: number;
  /** Every row before this index has been recorded or refused (later ones may have been too). */
  next: number;
};

/** A batch stored before rows had their own keys: rows and refusals inside the one record. */
type LegacyBatch = Omit<BatchHeader, "size"> & { rows: StoredRow[]; refused: Record<string, Refusal> };

/** A batch in memory: its header, rows and refusals (by row index). */
type Batch = { header: BatchHeader; rows: StoredRow[]; refused: Map<number, Refusal> };

export type RowOutcome = "pending" | "confirmed" | "failed" | "refused";

type RowResult = {
  line: number;
  serial: string;
  outcome: RowOutcome;
  txHash?: string;
  blockNumber?: number;
  error?: string;
};

export type BatchProgress = {
  id: string;
  kind: BatchKind;
  uploadedBy: string;
  createdAt: string;
  rows: number;
  /** Rows handed to the node so far (queued in the outbox, or refused). */
  taken: number;
  counts: Record<RowOutcome, number>;
  /** Every row has its final outcome. */
  done: boolean;
};

type BatchOp = AbstractBatchOperation<LevelRoot, string, unknown>;

/** Rows recorded between two durable progress marks (a restart re-records at most these, idempotently). */
const MARK_EVERY = 50;
/** Rows being recorded at once (a loan's rows anchored together, queued one after another). */
export const ROWS_IN_FLIGHT = 64;
/** Wait before taking up a batch again after a row could not be taken (not refused: failed to record). */
const RETRY_MS = 2_000;
/** Batches whose progress is counted in memory at once (the least recently asked is dropped first). */
const TALLIES = 8;

const OUTCOMES: readonly RowOutcome[] = ["pending", "confirmed", "failed", "refused"];
const PENDING = 0;
const REFUSED = 3;

/** Key of a batch's row `index` in the `rows` and `refused` sublevels: in file order. */
const rowKey = (id: string, index: number): string => `${id}/${String(index).padStart(8, "0")}`;

/** The outcome an outbox entry gives its row (an index into OUTCOMES). */
function entryOutcome(entry: Pick<OutboxEntry, "state"> | undefined): number {
  if (entry?.state === "confirmed") return 1;
  if (entry?.state === "failed") return 2;
  return PENDING;
}

/**
 * A batch's counts kept in step with the outbox: built once from the store, then each outbox
 * change of one of its rows' serials moves one row from one count to another. Polling progress
 * is then constant work however long the file, where reading every row's entry each time made a
 * file's cost grow with the square of its length.
 */
class BatchTally {
  readonly batch: Batch;
  readonly #index = new Map<string, number>();
  /** Each row's outcome from its outbox entry (a refusal, kept in the batch, overrides it). */
  readonly #fromEntry: Uint8Array;
  readonly counts = [0, 0, 0, 0];

  constructor(batch: Batch, entries: ReadonlyArray<Pick<OutboxEntry, "state"> | undefined>) {
    this.batch = batch;
    this.#fromEntry = new Uint8Array(batch.rows.length);
    batch.rows.forEach((row, i) => {
      this.#index.set(row.serial, i);
      this.#fromEntry[i] = entryOutcome(entries[i]);
      this.counts[this.outcome(i)]!++;
    });
  }

  outcome(i: number): number {
    return this.batch.refused.has(i) ? REFUSED : this.#fromEntry[i]!;
  }

  /** An outbox entry changed: its row's outcome, if it is one of this batch's. */
  entry(entry: Pick<OutboxEntry, "serial" | "state">): void {
    const i = this.#index.get(entry.serial);
    if (i === undefined) return;
    this.#move(i, () => (this.#fromEntry[i] = entryOutcome(entry)));
  }

  /** Row `i` refused by the node, or (undefined) taken after all. */
  refusal(i: number, refusal: Refusal | undefined): void {
    this.#move(i, () => {
      if (refusal === undefined) this.batch.refused.delete(i);
      else this.batch.refused.set(i, refusal);
    });
  }

  #move(i: number, change: () => void): void {
    this.counts[this.outcome(i)]!--;
    change();
    this.counts[this.outcome(i)]!++;
  }
}

export class BatchFiles {
  readonly #db: LevelRoot;
  readonly #batches: Sublevel<string, BatchHeader | LegacyBatch>;
  readonly #rows: Sublevel<string, StoredRow>;
  readonly #refused: Sublevel<string, Refusal>;
  readonly #outbox: Outbox;
  readonly #record: RowRecorder;
  readonly #now: () => number;
  readonly #running = new Map<string, Promise<void>>();
  /**
   * Batches in memory with their counts, least recently asked first (a Map keeps insertion
   * order): the one copy of a batch that its taking, its progress and its result all use.
   */
  readonly #tallies = new Map<string, Promise<BatchTally>>();
  /** The tallies built: each outbox change goes to them at once. */
  readonly #built = new Set<BatchTally>();
  #stopping = false;

  constructor(options: { db: LevelRoot; outbox: Outbox; record: RowRecorder; now?: () => number }) {
    this.#db = options.db;
    this.#batches = options.db.sublevel<string, BatchHeader | LegacyBatch>("batches", {
      valueEncoding: "json",
    });
    this.#rows = options.db.sublevel<string, StoredRow>("rows", { valueEncoding: "json" });
    this.#refused = options.db.sublevel<string, Refusal>("refused", { valueEncoding: "json" });
    this.#outbox = options.outbox;
    this.#record = options.record;
    this.#now = options.now ?? Date.now;
    // for the outbox's lifetime: progress is still answered, and current, after stop()
    this.#outbox.onChange((entry) => {
      for (const tally of this.#built) tally.entry(entry);
    });
  }

  /**
   * Take a file in: every row checked first (a bad one refuses the file, nothing stored), then the
   * batch stored with all its rows (synced) and its rows recorded in the background. The same file
   * again answers the batch it already is.
   */
  async upload(kind: BatchKind, text: string, uploadedBy: string): Promise<BatchProgress> {
    const rows = parseBatchFile(kind, text);
    const id = createHash("sha256").update(`${kind}\n`).update(text).digest("hex");
    if ((await this.#batches.get(id)) === undefined) {
      const header: BatchHeader = {
        id,
        kind,
        uploadedBy,
        createdAt: new Date(this.#now()).toISOString(),
        size: rows.length,
        next: 0,
      };
      const ops: BatchOp[] = rows.map((r, i) => ({
        type: "put",
        sublevel: this.#rows,
        key: rowKey(id, i),
        value: {
          line: r.line,
          serial: r.serial,
          loanId: r.loanId,
          amountFen: r.amountFen.toString(),
          ...(r.accountHash === undefined ? {} : { accountHash: r.accountHash }),
        },
      }));
      // the header last in the same batch: a batch is either whole or not there
      ops.push({ type: "put", sublevel: this.#batches, key: id, value: header });
      await this.#db.batch(ops, { sync: true });
    }
    this.#run(id);
    return this.progress(id);
  }

  /** After a restart: carry on with every batch whose rows were not all taken. */
  async resume(): Promise<void> {
    for await (const stored of this.#batches.values()) {
      const size = "size" in stored ? stored.size : stored.rows.length;
      if (stored.next < size) this.#run(stored.id);
    }
  }

  /** Where a batch stands. */
  async progress(id: string): Promise<BatchProgress> {
    const tally = await this.#tally(id);
    const { header, rows } = tally.batch;
    const counts = Object.fromEntries(OUTCOMES.map((o, i) => [o, tally.counts[i]!])) as Record<
      RowOutcome,
      number
    >;
    return {
      id,
      kind: header.kind,
      uploadedBy: header.uploadedBy,
      createdAt: header.createdAt,
      rows: rows.length,
      taken: header.next,
      counts,
      done: counts.pending === 0,
    };
  }

  /**
   * The result file: the header `line,serial,outcome,txHash,blockNumber,error` and one line per
   * row in file order — confirmed with its transaction and block, failed with the ledger's error
   * (its name and arguments), refused with the node's error code, or pending.
   */
  async resultCsv(id: string): Promise<string> {
    const { outcomes } = await this.#outcomes(id);
    // a serial is the uploader's text and may look like a formula (`=HYPERLINK(…)`): every cell
    // goes through the node's CSV-injection guard, as its other files do
    const lines = outcomes.map((o) =>
      [o.line, o.serial, o.outcome, o.txHash ?? "", o.blockNumber ?? "", o.error ?? ""]
        .map((cell) => safeCsvCell(String(cell)))
        .join(","),
    );
    return `line,serial,outcome,txHash,blockNumber,error\n${lines.join("\n")}\n`;
  }

  /** Let the rows in hand finish; nothing more is started. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.allSettled([...this.#running.values()]);
  }

  /**
   * A stored batch with its rows and refusals, or NODE_ERR_BATCH_NOT_FOUND. A batch stored in one
   * record (before rows had keys of their own) is rewritten in the layout above first.
   */
  async #load(id: string): Promise<Batch> {
    const stored = await this.#batches.get(id);
    if (stored === undefined)
      throw new BatchFileError("NODE_ERR_BATCH_NOT_FOUND", `no batch ${id} at this node`);
    if ("size" in stored) {
      const range = { gte: `${id}/`, lt: `${id}0` }; // "0" follows "/": every key of this batch
      const rows = await this.#rows.values(range).all();
      const refused = new Map<number, Refusal>();
      for (const [key, value] of await this.#refused.iterator(range).all())
        refused.set(Number(key.slice(id.length + 1)), value);
      return { header: stored, rows, refused };
    }
    const { kind, uploadedBy, createdAt, next, rows } = stored;
    const header: BatchHeader = { id, kind, uploadedBy, createdAt, size: rows.length, next };
    const refused = new Map<number, Refusal>();
    const ops: BatchOp[] = rows.map((value, i) => ({
      type: "put",
      sublevel: this.#rows,
      key: rowKey(id, i),
      value,
    }));
    rows.forEach((row, i) => {
      const refusal = stored.refused[row.serial];
      if (refusal === undefined) return;
      refused.set(i, refusal);
      ops.push({ type: "put", sublevel: this.#refused, key: rowKey(id, i), value: refusal });
    });
    ops.push({ type: "put", sublevel: this.#batches, key: id, value: header });
    await this.#db.batch(ops, { sync: true });
    return { header, rows, refused };
  }

  /**
   * The batch in memory with its counts, built once: the outbox's changes during the build are
   * replayed after it, so none is lost between the store's read and the subscription.
   */
  #tally(id: string): Promise<BatchTally> {
    const known = this.#tallies.get(id);
    if (known !== undefined) {
      this.#tallies.delete(id);
      this.#tallies.set(id, known);
      return known;
    }
    const seen: Array<Pick<OutboxEntry, "serial" | "state">> = [];
    const unsubscribe = this.#outbox.onChange((e) => seen.push({ serial: e.serial, state: e.state }));
    const build = async (): Promise<BatchTally> => {
      try {
        const batch = await this.#load(id);
        const entries = await this.#outbox.entries.getMany(batch.rows.map((r) => r.serial));
        const tally = new BatchTally(batch, entries);
        for (const e of seen) tally.entry(e);
        // from here on the listener in the constructor keeps it current
        if (this.#tallies.get(id) === built) this.#built.add(tally);
        return tally;
      } finally {
        unsubscribe();
      }
    };
    const built = build();
    this.#tallies.set(id, built);
    built.catch(() => {
      // a batch that is not there (or could not be read) is not remembered
      if (this.#tallies.get(id) === built) this.#tallies.delete(id);
    });
    for (const old of [...this.#tallies.keys()]) {
      if (this.#tallies.size <= TALLIES) break;
      // a batch being taken keeps its one copy
      if (old === id || this.#running.has(old)) continue;
      const dropped = this.#tallies.get(old)!;
      this.#tallies.delete(old);
      dropped.then(
        (t) => this.#built.delete(t),
        () => undefined,
      );
    }
    return built;
  }

  async #outcomes(id: string): Promise<{ batch: Batch; outcomes: RowResult[] }> {
    const { batch } = await this.#tally(id);
    const entries = await this.#outbox.entries.getMany(batch.rows.map((r) => r.serial));
    const outcomes = batch.rows.map((row, i): RowResult => {
      const refusal = batch.refused.get(i);
      const entry = entries[i];
      const base = { line: row.line, serial: row.serial };
      if (refusal !== undefined)
        return {
          ...base,
          outcome: "refused" as const,
          error: csvSafe(`${refusal.code}: ${refusal.message}`),
        };
      if (entry?.state === "confirmed")
        return {
          ...base,
          outcome: "confirmed" as const,
          ...(entry.txHash === undefined ? {} : { txHash: entry.txHash }),
          ...(entry.blockNumber === undefined ? {} : { blockNumber: entry.blockNumber }),
        };
      if (entry?.state === "failed") {
        const f = entry.failure;
        return {
          ...base,
          outcome: "failed" as const,
          error: csvSafe(f === undefined ? "failed" : `${f.code}(${f.args.map(String).join(" ")})`),
        };
      }
      return { ...base, outcome: "pending" as const };
    });
    return { batch, outcomes };
  }

  #run(id: string): void {
    if (this.#running.has(id) || this.#stopping) return;
    const task = this.#take(id)
      .catch(() => {
        // the node could not take a row (its anchor service down, say): try again shortly
        if (!this.#stopping) setTimeout(() => this.#run(id), RETRY_MS).unref();
      })
      .finally(() => this.#running.delete(id));
    this.#running.set(id, task);
  }

  /**
   * Hand the batch's rows to `record`, up to ROWS_IN_FLIGHT at once (their vouchers share anchor
   * submissions, their flows are queued together), a loan's rows queued one after another in file
   * order (the outbox then books them in that order) while their vouchers are anchored together. `next` moves over the rows done without a gap and
   * is marked durably every few rows: a restart takes up at most the rows in flight and those
   * since the last mark again, which their serials make harmless.
   */
  async #take(id: string): Promise<void> {
    // the one copy of the batch: what the taking changes, progress reads
    const tally = await this.#tally(id);
    const { batch } = tally;
    const { header } = batch;
    const done = new Set<number>();
    /** Per loan: settles once its last row handed out is queued or refused (rejects: not taken). */
    const lastOfLoan = new Map<string, Promise<void>>();
    const running = new Set<Promise<void>>();
    /** Refusals given or withdrawn since the last mark, by row index. */
    const unmarked = new Set<number>();
    let stoppedBy: { error: unknown } | undefined;
    let marked = header.next;
    const advance = () => {
      while (done.delete(header.next)) header.next++;
    };
    const mark = async () => {
      const ops: BatchOp[] = [...unmarked].map((i) => {
        const refusal = batch.refused.get(i);
        return refusal === undefined
          ? { type: "del", sublevel: this.#refused, key: rowKey(id, i) }
          : { type: "put", sublevel: this.#refused, key: rowKey(id, i), value: refusal };
      });
      unmarked.clear();
      ops.push({
        type: "put",
        sublevel: this.#batches,
        key: id,
        value: { ...header, size: batch.rows.length },
      });
      await this.#db.batch(ops, { sync: true });
    };
    const refuse = (i: number, refusal: Refusal | undefined) => {
      if (refusal === undefined && !batch.refused.has(i)) return;
      unmarked.add(i);
      tally.refusal(i, refusal);
    };
    for (let i = header.next; i < batch.rows.length; i++) {
      while (running.size >= ROWS_IN_FLIGHT) await Promise.race(running);
      advance();
      if (header.next - marked >= MARK_EVERY) {
        marked = header.next;
        await mark();
      }
      if (this.#stopping || stoppedBy !== undefined) break;
      const row = batch.rows[i]!;
      const before = lastOfLoan.get(row.loanId) ?? Promise.resolve();
      let settle!: { queued: () => void; notTaken: (error: unknown) => void };
      const queued = new Promise<void>((queued, notTaken) => (settle = { queued, notTaken }));
      // a later row of the loan learns of a failure through its own turn
      queued.catch(() => undefined);
      const index = i;
      const task: Promise<void> = (async () => {
        try {
          await this.#takeRow(batch.header.kind, header.uploadedBy, row, index, refuse, {
            after: before,
            queued: () => settle.queued(),
          });
          // refused before its turn: still after the loan's earlier rows
          await before;
        } catch (error) {
          // a row of a loan whose earlier row could not be taken waits for the next run
          settle.notTaken(error);
          throw error;
        }
        settle.queued();
        done.add(index);
      })()
        .catch((error: unknown) => {
          stoppedBy ??= { error };
        })
        .finally(() => running.delete(task));
      running.add(task);
      lastOfLoan.set(row.loanId, queued);
    }
    await Promise.all(running);
    advance();
    await mark();
    if (stoppedBy !== undefined) throw stoppedBy.error;
  }

  /** One row to `record`: recorded, or refused with the node's coded error (kept in the batch). */
  async #takeRow(
    kind: BatchKind,
    uploadedBy: string,
    row: StoredRow,
    index: number,
    refuse: (i: number, refusal: Refusal | undefined) => void,
    turn: QueueTurn,
  ): Promise<void> {
    let refusal: Refusal;
    try {
      await this.#record(
        kind,
        {
          line: row.line,
          serial: row.serial,
          loanId: row.loanId,
          amountFen: BigInt(row.amountFen),
          ...(row.accountHash === undefined ? {} : { accountHash: row.accountHash }),
        },
        uploadedBy,
        turn,
      );
      // taken again after a restart: an earlier run's refusal no longer stands
      refuse(index, undefined);
      return;
    } catch (error) {
      const coded = error as { code?: unknown; message?: unknown };
      // a coded refusal is the node's answer for this row; anything else (the anchor service
      // down, say) stops the batch, to be taken up again from its first row not done
      if (typeof coded.code !== "string" || !coded.code.startsWith("NODE_ERR_")) throw error;
      refusal = { code: coded.code, message: typeof coded.message === "string" ? coded.message : "" };
    }
    refuse(index, refusal);
  }
}

/** A cell of the result file: no commas or line breaks. */
function csvSafe(text: string): string {
  return text.replace(/[,\r\n]+/g, " ").slice(0, 300);
}
