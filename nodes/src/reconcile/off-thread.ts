// Reconciliation off the event loop. A day's books file of a large branch is tens of MiB and
// reconciling it is seconds of CPU (a keccak256 per serial, a CSV tokenizer, the report): run on
// the node's event loop, a 15.5 MiB file of 142,296 rows stalled every other request, the
// indexer and the outbox for 5.9 s. A file above `inlineMaxChars` is therefore reconciled in a
// worker thread (./worker-entry.ts) and only the rendered report comes back; a small one is
// reconciled inline, where it costs less than starting a worker (milliseconds, not seconds).
// Either way the result is renderReconciliation's, byte for byte.
import { Worker } from "node:worker_threads";
import { ChannelError, type ChannelErrorCode, type ChannelErrorDetail } from "../channels/errors.ts";
import { ReconcileError, type ReconcileErrorCode, type ReconcileErrorDetail } from "./errors.ts";
import { renderReconciliation, type ChainFlow, type RenderedReconciliation } from "./reconcile.ts";

/** Books files up to this many UTF-16 code units (~1,000 rows, a few ms) are reconciled inline. */
export const INLINE_MAX_CHARS = 128 * 1024;
/** Reconciliations running in worker threads at once; more wait their turn (each holds its file and report). */
export const MAX_RECONCILE_WORKERS = 2;
// A 32 MiB file (the route's default body limit) peaks well under this; a runaway input stops
// its worker (a 500), never the node.
const WORKER_HEAP_MB = 1536;

type WorkerReply =
  | { ok: true; result: RenderedReconciliation }
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
  if (error.name === "ReconcileError") return new ReconcileError(error.code as ReconcileErrorCode, error.message, error.details as ReconcileErrorDetail[]);
  if (error.name === "ChannelError") return new ChannelError(error.code as ChannelErrorCode, error.message, error.details as ChannelErrorDetail[]);
  return new Error(`reconciliation failed in its worker thread: ${error.message}`);
}

function inWorker(day: string, booksCsv: string, chain: readonly ChainFlow[]): Promise<RenderedReconciliation> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./worker-entry.ts", import.meta.url), {
      workerData: { day, booksCsv, chain },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    let settled = false;
    worker.once("message", (reply: WorkerReply) => {
      settled = true;
      if (reply.ok) resolve(reply.result);
      else reject(rethrown(reply.error));
    });
    worker.once("error", (error) => {
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

/**
 * renderReconciliation without blocking the event loop for long: inline up to `inlineMaxChars`,
 * in a worker thread above (at most MAX_RECONCILE_WORKERS at once). Throws what
 * renderReconciliation throws (ReconcileError, ChannelError NODE_ERR_CSV).
 */
export async function reconcileOffLoop(
  day: string,
  booksCsv: string,
  chain: readonly ChainFlow[],
  options: { inlineMaxChars?: number } = {},
): Promise<RenderedReconciliation> {
  if (booksCsv.length <= (options.inlineMaxChars ?? INLINE_MAX_CHARS)) return renderReconciliation(day, booksCsv, chain);
  const release = await slot();
  try {
    return await inWorker(day, booksCsv, chain);
  } finally {
    release();
  }
}
