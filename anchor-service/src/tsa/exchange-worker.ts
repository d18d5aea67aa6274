// The TSA exchanges on a thread of their own. Parsing and checking an RFC 3161 reply (pkijs and
// asn1js: the response, the token, its CMS signature and certificate chain) costs tens of
// milliseconds of JavaScript per head, and a saturated service commits several heads a second:
// on the event loop that was a fifth of its time, taken from intake. Here the loop only posts the
// message and receives the token; the code run is client.ts's exchangeTimestamp, unchanged.
// The thread itself is exchange-thread.ts.
import { Worker } from "node:worker_threads";
import type { TimestampExchange } from "./client.ts";

export type TsaThreadSetup = { trustAnchorFiles: readonly string[]; timeoutMs: number };
export type TsaAsk = { id: number; tsa: string; message: Uint8Array };
export type TsaAnswer = { id: number; token: Uint8Array; genTime: string } | { id: number; error: string };
type Waiting = {
  resolve: (value: { token: Uint8Array; genTime: Date }) => void;
  reject: (error: Error) => void;
};

export class TsaExchangeWorker {
  readonly #setup: TsaThreadSetup;
  #worker: Worker | undefined;
  #next = 0;
  readonly #waiting = new Map<number, Waiting>();
  #closed = false;

  /** `trustAnchorFiles`: PEM roots a token must chain to (none: tokens are only parsed). */
  constructor(setup: TsaThreadSetup) {
    this.#setup = setup;
  }

  /**
   * Starts the thread now: loading pkijs and the roots there takes a second or two on a busy
   * machine, which the first head would otherwise wait for.
   */
  start(): void {
    if (!this.#closed) this.#thread();
  }

  /** The stamper's exchange (StamperDeps.exchange). */
  readonly exchange: TimestampExchange = (tsa, message) => {
    if (this.#closed) return Promise.reject(new Error("the TSA worker is closed"));
    const worker = this.#thread();
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      worker.postMessage({ id, tsa, message } satisfies TsaAsk);
    });
  };

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  #thread(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(new URL("./exchange-thread.ts", import.meta.url), { workerData: this.#setup });
    worker.unref(); // an idle worker never keeps the process alive
    worker.on("message", (answer: TsaAnswer) => {
      const waiting = this.#waiting.get(answer.id);
      if (waiting === undefined) return;
      this.#waiting.delete(answer.id);
      if ("error" in answer) waiting.reject(new Error(answer.error));
      else waiting.resolve({ token: answer.token, genTime: new Date(answer.genTime) });
    });
    const fail = (error: Error) => {
      if (this.#worker === worker) this.#worker = undefined; // the next exchange starts a new one
      for (const waiting of this.#waiting.values()) waiting.reject(error);
      this.#waiting.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the TSA worker exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }
}
