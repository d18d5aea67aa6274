// Reconciliation off the event loop. A day's books file of a large branch is tens of MiB and
// reconciling it is seconds of CPU (a keccak256 per serial, a CSV tokenizer, the report): run on
// the node's event loop, a 15.5 MiB file of 142,296 rows stalled every other request, the
// indexer and the outbox for 5.9 s. A file above `inlineMaxChars` is therefore reconciled in a
// worker thread (./worker-entry.ts); a small one is reconciled inline, where it costs less than
// starting a worker (milliseconds, not seconds). Either way the result is renderReconciliation's
// report in the format asked for, byte for byte, as UTF-8.
//
// What crosses between the threads is bytes, moved rather than copied: the books go to the worker
// as the request's bytes (transferred; decoded there), and only the one report asked for comes
// back, encoded there and transferred. Posting the books as a string and both reports back as
// strings cost the main thread a structured clone of each (tens of MiB) and the report's encoding
// for the reply: hundreds of ms of stalls for a full-size day.
import { Worker } from "node:worker_threads";
import { ChannelError, type ChannelErrorCode, type ChannelErrorDetail } from "../channels/errors.ts";
import { ReconcileError, type ReconcileErrorCode, type ReconcileErrorDetail } from "./errors.ts";
import { renderReconciliation, type ChainFlow } from "./reconcile.ts";

export type ReportFormat = "json" | "csv";

/** Books files up to this many bytes (~1,000 rows, a few ms) are reconciled inline. */
export const INLINE_MAX_CHARS = 128 * 1024;
/** Reconciliations running in worker threads at once; more wait their turn (each holds its file and report). */
export const MAX_RECONCILE_WORKERS = 2;
// A 32 MiB file (the route's default body limit) peaks well under this; a runaway input stops
// its worker (a 500), never the node.
const WORKER_HEAP_MB = 1536;

type WorkerReply =
  | { ok: true; report: Uint8Array }
  | { ok: false; error: { name: string; code?: string; message: string; details?: unknown } };

let running = 0;
const waiting: Array<() => void> = [];

async function slot(): Promise<() => void> {
  if (running >= MAX_RECONCILE_WORKERS) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  return () => {
    running -= 1;
    waiting.shift()?.();
  };
}

/** The worker's error as the error it was: a catalogued one keeps its class, code and details. */
function rethrown(error: { name: string; code?: string; message: string; details?: unknown }): Error {
  if (error.name === "ReconcileError")
    return new ReconcileError(
      error.code as ReconcileErrorCode,
      error.message,
      error.details as ReconcileErrorDetail[],
    );
  if (error.name === "ChannelError")
    return new ChannelError(
      error.code as ChannelErrorCode,
      error.message,
      error.details as ChannelErrorDetail[],
    );
  return new Error(`reconciliation failed in its worker thread: ${error.message}`);
}

function inWorker(
  day: string,
  books: Uint8Array,
  chain: readonly ChainFlow[],
  format: ReportFormat,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    // moved, not copied, when the bytes own their memory (a request body does: Fastify
    // concatenates it into a buffer of its own); a view into shared memory (Node's small-buffer
    // pool) is copied, since moving it would take the memory from the other buffers in it
    const owned =
      books.byteOffset === 0 &&
      books.byteLength === books.buffer.byteLength &&
      books.buffer instanceof ArrayBuffer
        ? books
        : new Uint8Array(books);
    const worker = new Worker(new URL("./worker-entry.ts", import.meta.url), {
      workerData: { day, books: owned, chain, format },
      transferList: [owned.buffer as ArrayBuffer],
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    let settled = false;
    worker.once("message", (reply: WorkerReply) => {
      settled = true;
      if (reply.ok) resolve(reply.report);
      else reject(rethrown(reply.error));
    });
    worker.once("error", (error: Error) => {
      if (settled) return;
      settled = true;
      reject(new Error(`reconciliation worker failed: ${error.message}`));
    });
    worker.once("exit", (code) => {
      if (settled) return;
      settled = true;
      reject(new Error(`reconciliation worker exited with code ${code} before answering`));
    });
  });
}

/** The report of renderReconciliation in `format`, as UTF-8. */
export function renderReport(
  day: string,
  booksCsv: string,
  chain: readonly ChainFlow[],
  format: ReportFormat,
): Uint8Array {
  const rendered = renderReconciliation(day, booksCsv, chain);
  return new TextEncoder().encode(format === "json" ? rendered.json : rendered.csv);
}

/**
 * renderReconciliation's report in `format` (UTF-8) without blocking the event loop for long:
 * inline up to `inlineMaxChars` bytes of books, in a worker thread above (at most
 * MAX_RECONCILE_WORKERS at once). `books` is the file as received (UTF-8 bytes) or as text;
 * bytes that own their whole ArrayBuffer are moved to the worker (the caller's view is emptied).
 * Throws what renderReconciliation throws (ReconcileError, ChannelError NODE_ERR_CSV).
 */
export async function reconcileOffLoop(
  day: string,
  books: Uint8Array | string,
  chain: readonly ChainFlow[],
  format: ReportFormat,
  options: { inlineMaxChars?: number } = {},
): Promise<Uint8Array> {
  if (books.length <= (options.inlineMaxChars ?? INLINE_MAX_CHARS)) {
    return renderReport(
      day,
      typeof books === "string"
        ? books
        : Buffer.from(books.buffer, books.byteOffset, books.byteLength).toString("utf8"),
      chain,
      format,
    );
  }
  const release = await slot();
  try {
    return await inWorker(
      day,
      typeof books === "string" ? new TextEncoder().encode(books) : books,
      chain,
      format,
    );
  } finally {
    release();
  }
}
