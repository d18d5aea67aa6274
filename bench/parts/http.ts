// A small keep-alive HTTP client for the benchmark: the status, the reply's head and tail (a
// POST /v1/leaves reply carries ~1.3 kB of receipts per record, read in full but not kept), or the
// whole body when asked for, and when the last byte arrived.
import http from "node:http";
import { performance } from "node:perf_hooks";

export type Reply = {
  status: number;
  bytes: number;
  head: string;
  tail: string;
  text?: string;
  doneAt: number;
};

const KEEP = 8192;

export class HttpClient {
  readonly #agent: http.Agent;
  readonly #host: string;
  readonly #port: number;
  readonly #timeoutMs: number | undefined;

  /** `timeoutMs`: a request with no reply by then fails (its socket destroyed) instead of waiting for ever. */
  constructor(url: string, sockets: number, options: { timeoutMs?: number } = {}) {
    const u = new URL(url);
    this.#host = u.hostname;
    this.#port = Number(u.port);
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
    this.#timeoutMs = options.timeoutMs;
  }

  request(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: Buffer,
    keepAll = false,
  ): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent: this.#agent,
          host: this.#host,
          port: this.#port,
          method,
          path,
          headers: body === undefined ? headers : { ...headers, "content-length": String(body.length) },
        },
        (res) => {
          const all: Buffer[] = [];
          let head = Buffer.alloc(0);
          let tail = Buffer.alloc(0);
          let bytes = 0;
          res.on("data", (chunk: Buffer) => {
            bytes += chunk.length;
            if (keepAll) all.push(chunk);
            if (head.length < KEEP) head = Buffer.concat([head, chunk.subarray(0, KEEP - head.length)]);
            tail = Buffer.concat([tail, chunk]);
            if (tail.length > KEEP) tail = tail.subarray(tail.length - KEEP);
          });
          res.on("end", () => {
            resolve({
              status: res.statusCode ?? 0,
              bytes,
              head: head.toString("utf8"),
              tail: tail.toString("utf8"),
              ...(keepAll ? { text: Buffer.concat(all).toString("utf8") } : {}),
              doneAt: performance.now(),
            });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      const timeoutMs = this.#timeoutMs;
      if (timeoutMs !== undefined)
        req.setTimeout(timeoutMs, () =>
          req.destroy(new Error(`${method} ${path}: no reply within ${timeoutMs} ms`)),
        );
      req.end(body);
    });
  }

  async json<T>(path: string): Promise<T> {
    const r = await this.request("GET", path, {}, undefined, true);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text?.slice(0, 300)}`);
    return JSON.parse(r.text!) as T;
  }

  close(): void {
    this.#agent.destroy();
  }
}
