// A daily batch file taken in: checked whole (csv.ts), stored durably with its rows, then each
// row recorded as a flow (its voucher anchored and its chain write queued in the outbox, by the
// caller's `record`) many at once, a loan's rows in file order, resumed after a restart where it
// stopped. Progress and the result are read from the outbox: each row confirmed with its
// transaction and block, failed with the ledger's error, refused by the node before it was
// queued, or still on its way. The
// same file uploaded again is the same batch (its id is the file's hash); a row's serial is its
// flow's serial, so a row already recorded is never recorded twice.
import { createHash } from "node:crypto";
import type { LevelRoot, Sublevel } from "../../../common/level.ts";
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

type StoredBatch = {
  id: string;
  kind: BatchKind;
  uploadedBy: string;
  createdAt: string;
  rows: StoredRow[];
  /** Every row before this index has been recorded or refused (later ones may have been too). */
  next: number;
  refused: Record<string, Refusal>;
};

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

/** Rows recorded between two durable progress marks (a restart re-records at most these, idempotently). */
const MARK_EVERY = 50;
/** Rows being recorded at once (a loan's rows anchored together, queued one after another). */
export const ROWS_IN_FLIGHT = 64;
/** Wait before taking up a batch again after a row could not be taken (not refused: failed to record). */
const RETRY_MS = 2_000;

export class BatchFiles {
  readonly #batches: Sublevel<string, StoredBatch>;
  readonly #outbox: Outbox;
  readonly #record: RowRecorder;
  readonly #now: () => number;
  readonly #running = new Map<string, Promise<void>>();
  #stopping = false;

  constructor(options: { db: LevelRoot; outbox: Outbox; record: RowRecorder; now?: () => number }) {
    this.#batches = options.db.sublevel<string, StoredBatch>("batches", { valueEncoding: "json" });
    this.#outbox = options.outbox;
    this.#record = options.record;
    this.#now = options.now ?? Date.now;
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
      const batch: StoredBatch = {
        id,
        kind,
        uploadedBy,
        createdAt: new Date(this.#now()).toISOString(),
        rows: rows.map((r) => ({
          line: r.line,
          serial: r.serial,
          loanId: r.loanId,
          amountFen: r.amountFen.toString(),
          ...(r.accountHash === undefined ? {} : { accountHash: r.accountHash }),
        })),
        next: 0,
        refused: {},
      };
      await this.#batches.put(id, batch, { sync: true });
    }
    this.#run(id);
    return this.progress(id);
  }

  /** After a restart: carry on with every batch whose rows were not all taken. */
  async resume(): Promise<void> {
    for await (const batch of this.#batches.values()) if (batch.next < batch.rows.length) this.#run(batch.id);
  }

  /** Where a batch stands. */
  async progress(id: string): Promise<BatchProgress> {
    const { batch, outcomes } = await this.#outcomes(id);
    const counts: Record<RowOutcome, number> = { pending: 0, confirmed: 0, failed: 0, refused: 0 };
    for (const o of outcomes) counts[o.outcome]++;
    return {
      id,
      kind: batch.kind,
      uploadedBy: batch.uploadedBy,
      createdAt: batch.createdAt,
      rows: batch.rows.length,
      taken: batch.next,
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

  async #outcomes(id: string): Promise<{ batch: StoredBatch; outcomes: RowResult[] }> {
    const batch = await this.#batches.get(id);
    if (batch === undefined)
      throw new BatchFileError("NODE_ERR_BATCH_NOT_FOUND", `no batch ${id} at this node`);
    const entries = await this.#outbox.entries.getMany(batch.rows.map((r) => r.serial));
    const outcomes = batch.rows.map((row, i): RowResult => {
      const refusal = batch.refused[row.serial];
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
    const batch = (await this.#batches.get(id))!;
    const done = new Set<number>();
    /** Per loan: settles once its last row handed out is queued or refused (rejects: not taken). */
    const lastOfLoan = new Map<string, Promise<void>>();
    const running = new Set<Promise<void>>();
    let stoppedBy: { error: unknown } | undefined;
    let marked = batch.next;
    const advance = () => {
      while (done.delete(batch.next)) batch.next++;
    };
    for (let i = batch.next; i < batch.rows.length; i++) {
      while (running.size >= ROWS_IN_FLIGHT) await Promise.race(running);
      advance();
      if (batch.next - marked >= MARK_EVERY) {
        marked = batch.next;
        await this.#batches.put(id, batch, { sync: true });
      }
      if (this.#stopping || stoppedBy !== undefined) break;
      const row = batch.rows[i]!;
      const before = lastOfLoan.get(row.loanId) ?? Promise.resolve();
      let settle!: { queued: () => void; notTaken: (error: unknown) => void };
      const queued = new Promise<void>((queued, notTaken) => (settle = { queued, notTaken }));
      // a later row of the loan learns of a failure through its own turn
      queued.catch(() => undefined);
      const task: Promise<void> = (async () => {
        try {
          await this.#takeRow(batch, row, { after: before, queued: () => settle.queued() });
          // refused before its turn: still after the loan's earlier rows
          await before;
        } catch (error) {
          // a row of a loan whose earlier row could not be taken waits for the next run
          settle.notTaken(error);
          throw error;
        }
        settle.queued();
        done.add(i);
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
    await this.#batches.put(id, batch, { sync: true });
    if (stoppedBy !== undefined) throw stoppedBy.error;
  }

  /** One row to `record`: recorded, or refused with the node's coded error (kept in the batch). */
  async #takeRow(batch: StoredBatch, row: StoredRow, turn: QueueTurn): Promise<void> {
    try {
      await this.#record(
        batch.kind,
        {
          line: row.line,
          serial: row.serial,
          loanId: row.loanId,
          amountFen: BigInt(row.amountFen),
          ...(row.accountHash === undefined ? {} : { accountHash: row.accountHash }),
        },
        batch.uploadedBy,
        turn,
      );
      // taken again after a restart: an earlier run's refusal no longer stands
      delete batch.refused[row.serial];
    } catch (error) {
      const coded = error as { code?: unknown; message?: unknown };
      // a coded refusal is the node's answer for this row; anything else (the anchor service
      // down, say) stops the batch, to be taken up again from its first row not done
      if (typeof coded.code !== "string" || !coded.code.startsWith("NODE_ERR_")) throw error;
      batch.refused[row.serial] = {
        code: coded.code,
        message: typeof coded.message === "string" ? coded.message : "",
      };
    }
  }
}

/** A cell of the result file: no commas or line breaks. */
function csvSafe(text: string): string {
  return text.replace(/[,\r\n]+/g, " ").slice(0, 300);
}
