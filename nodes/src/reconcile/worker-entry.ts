// The worker thread's side of ./off-thread.ts: one reconciliation, rendered, posted back once.
// A coded error goes back by name, code, message and details, so the caller can rethrow it as the
// same catalogued error; anything else goes back as a message (a 500 on the caller's side).
import { parentPort, workerData } from "node:worker_threads";
import { renderReconciliation, type ChainFlow } from "./reconcile.ts";

const { day, booksCsv, chain } = workerData as { day: string; booksCsv: string; chain: ChainFlow[] };
try {
  parentPort!.postMessage({ ok: true, result: renderReconciliation(day, booksCsv, chain) });
} catch (error) {
  const e = error as { name?: unknown; code?: unknown; message?: unknown; details?: unknown };
  parentPort!.postMessage({ ok: false, error: { name: String(e.name), code: typeof e.code === "string" ? e.code : undefined, message: String(e.message), details: e.details } });
}
