// The worker thread's side of ./off-thread.ts: one reconciliation, its report in the format asked
// for encoded here and posted back once, transferred (the main thread neither decodes the books nor
// encodes or copies the report). A coded error goes back by name, code, message and details, so
// the caller can rethrow it as the same catalogued error; anything else goes back as a message (a
// 500 on the caller's side).
import { parentPort, workerData } from "node:worker_threads";
import type { ChainFlow } from "./reconcile.ts";
import { renderReport, type ReportFormat } from "./off-thread.ts";

const { day, books, chain, format } = workerData as {
  day: string;
  books: Uint8Array;
  chain: ChainFlow[];
  format: ReportFormat;
};
try {
  const report = renderReport(
    day,
    Buffer.from(books.buffer, books.byteOffset, books.byteLength).toString("utf8"),
    chain,
    format,
  );
  parentPort!.postMessage({ ok: true, report }, [report.buffer as ArrayBuffer]);
} catch (error) {
  const e = error as { name?: unknown; code?: unknown; message?: unknown; details?: unknown };
  parentPort!.postMessage({
    ok: false,
    error: {
      name: String(e.name),
      code: typeof e.code === "string" ? e.code : undefined,
      message: String(e.message),
      details: e.details,
    },
  });
}
