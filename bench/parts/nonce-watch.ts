// Part 2's clock: when each of some accounts' transactions was mined, from their mined nonces
// polled every 20 ms.
import { performance } from "node:perf_hooks";
import { HttpClient } from "./http.ts";

export const NONCE_POLL_MS = 20;
/** A poll with no reply by then is dropped: one stalled request would otherwise hold every later poll. */
const POLL_TIMEOUT_MS = 5_000;

/** One JSON-RPC batch asking each address's mined transaction count (ids are the indexes). */
export function transactionCountRequests(addresses: readonly string[]): object[] {
  return addresses.map((address, id) => ({
    jsonrpc: "2.0",
    id,
    method: "eth_getTransactionCount",
    params: [address, "latest"],
  }));
}

/** The counts of a `transactionCountRequests` reply, in the addresses' order (a batch reply may come in any order). */
export function transactionCounts(replyText: string, expected: number): number[] {
  const replies = JSON.parse(replyText) as unknown;
  if (!Array.isArray(replies) || replies.length !== expected)
    throw new Error(`a batch of ${expected} transaction counts answered ${replyText.slice(0, 200)}`);
  const counts = new Array<number | undefined>(expected).fill(undefined);
  for (const r of replies as Array<{ id: number; result?: string; error?: { message: string } }>) {
    if (r.result === undefined)
      throw new Error(`eth_getTransactionCount ${r.id}: ${r.error?.message ?? "no result"}`);
    counts[r.id] = Number(r.result);
  }
  if (counts.includes(undefined))
    throw new Error(`a batch of transaction counts without every id: ${replyText.slice(0, 200)}`);
  return counts as number[];
}

/**
 * Watches accounts' mined nonces ("latest" transaction counts) and notes when each nonce was mined.
 * One JSON-RPC batch request a poll for every account, on one kept-alive connection, parsed as
 * plain JSON: the watch runs in the benchmark's process, which shares the cores it measures, so it
 * costs as little as it can (a provider's request and formatting per account per poll cost the
 * benchmark a few milliseconds of CPU per flow).
 */
export class NonceWatch {
  readonly minedAt = new Map<string, number>(); // `${address}:${nonce}` → performance.now()
  readonly #rpc: HttpClient;
  readonly #counts = new Map<string, number>();
  #addresses: string[] = [];
  #body = Buffer.alloc(0);
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #waiters: Array<() => void> = [];

  constructor(rpcUrl: string) {
    this.#rpc = new HttpClient(rpcUrl, 1, { timeoutMs: POLL_TIMEOUT_MS });
  }

  async start(addresses: string[]): Promise<void> {
    this.#addresses = [...addresses];
    this.#body = Buffer.from(JSON.stringify(transactionCountRequests(this.#addresses)));
    for (const [i, n] of (await this.#read()).entries()) this.#counts.set(this.#addresses[i]!, n);
    this.#timer = setInterval(() => void this.#poll(), NONCE_POLL_MS);
  }

  count(address: string): number {
    return this.#counts.get(address)!;
  }

  async #read(): Promise<number[]> {
    const reply = await this.#rpc.request(
      "POST",
      "/",
      { "content-type": "application/json" },
      this.#body,
      true,
    );
    if (reply.status !== 200) throw new Error(`eth_getTransactionCount: HTTP ${reply.status}`);
    return transactionCounts(reply.text!, this.#addresses.length);
  }

  async #poll(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const counts = await this.#read();
      const at = performance.now();
      for (const [i, now] of counts.entries()) {
        const address = this.#addresses[i]!;
        const before = this.#counts.get(address)!;
        for (let n = before; n < now; n++) this.minedAt.set(`${address}:${n}`, at);
        if (now > before) this.#counts.set(address, now);
      }
    } catch {
      // a missed poll only delays the observation
    } finally {
      this.#busy = false;
      for (const wake of this.#waiters.splice(0)) wake();
    }
  }

  /** Resolves once each address has mined `targets[address]` transactions; the moment it saw the last. */
  async until(
    targets: Map<string, number>,
    timeoutMs: number,
    describe: () => Promise<string>,
  ): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ([...targets].every(([a, n]) => this.count(a) >= n)) {
        return Math.max(
          ...[...targets].map(([a, n]) => this.minedAt.get(`${a}:${n - 1}`) ?? performance.now()),
        );
      }
      if (Date.now() > deadline)
        throw new Error(`not all transactions mined after ${timeoutMs / 1000} s: ${await describe()}`);
      // the counts change only when a poll ends; the deadline is looked at each second even when
      // no poll ends
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, Math.min(1_000, Math.max(0, deadline - Date.now()) + 1));
        this.#waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    for (const wake of this.#waiters.splice(0)) wake();
    this.#rpc.close();
  }
}
