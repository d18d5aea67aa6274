// Anvil's state JSON without its call traces (chain.ts says why they go), and the same in a worker
// thread: a parse and a stringify of the whole state, which on the launcher's own thread stalled
// its event loop (and a soak driver's, sharing the process) for about a second a dump at 40 MB.
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

/**
 * Above this a state file is not parsed by the launcher (neither at start nor in the dumps): one
 * string of it would cost the launcher too much memory and time, and past 512 MB V8 cannot hold it.
 */
export const STATE_PARSE_LIMIT_BYTES = 256 * 2 ** 20;

export type AnvilBlock = { header?: { number?: string; timestamp?: string } };
type AnvilTransaction = { info?: { traces?: unknown[] } };
export type AnvilState = { blocks?: AnvilBlock[]; transactions?: AnvilTransaction[] };

/** Empties every transaction's call trace; true if there was one. */
export function dropCallTraces(state: AnvilState): boolean {
  let dropped = false;
  for (const tx of state.transactions ?? []) {
    if (tx.info?.traces === undefined || tx.info.traces.length === 0) continue;
    tx.info.traces = [];
    dropped = true;
  }
  return dropped;
}

/** The dump (Anvil's state JSON) with every transaction's call trace emptied (above). */
export function withoutCallTraces(json: Buffer): Buffer {
  if (json.length > STATE_PARSE_LIMIT_BYTES) return json; // written as Anvil made it
  const state = JSON.parse(json.toString("utf8")) as AnvilState;
  return dropCallTraces(state) ? Buffer.from(JSON.stringify(state)) : json;
}

const JOB = "jointledger:without-call-traces";

/** withoutCallTraces in a worker thread of its own; the launcher's thread only copies the bytes. */
export function withoutCallTracesOffThread(json: Buffer): Promise<Buffer> {
  if (json.length > STATE_PARSE_LIMIT_BYTES) return Promise.resolve(json);
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { job: JOB, json } });
    worker.once("message", (out: Uint8Array) =>
      resolve(Buffer.from(out.buffer, out.byteOffset, out.byteLength)),
    );
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`the call-trace worker exited with code ${code}`));
    });
  });
}

if (!isMainThread && (workerData as { job?: string } | null)?.job === JOB) {
  const { json } = workerData as { json: Uint8Array };
  const out = withoutCallTraces(Buffer.from(json.buffer, json.byteOffset, json.byteLength));
  const copy = new Uint8Array(out); // its own buffer, handed over without another copy
  parentPort!.postMessage(copy, [copy.buffer]);
}
