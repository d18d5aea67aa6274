// Refused bearer tokens per source address, so a token cannot be guessed at request rate: the
// institution node's API tokens and both services' /metrics and /readyz tokens go behind one.
import { BoundedMap } from "../bounded-map.ts";

/**
 * Refused bearer tokens per source address, in a sliding window: after `maxFailures` refusals within
 * `windowMs` an address is refused (429) until the oldest of them leaves the window, valid token
 * or not, so a token cannot be guessed at request rate. Keyed by the socket's address (behind a
 * reverse proxy that is the proxy's: limit there). Memory is bounded to `maxAddresses`.
 */
export class FailedTokenLimiter {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly maxAddresses: number;
  readonly #now: () => number;
  /** Per address, the times of its recent refusals (at most maxFailures, oldest first). */
  readonly #failures: BoundedMap<string, number[]>;

  constructor(
    options: { maxFailures?: number; windowMs?: number; maxAddresses?: number; now?: () => number } = {},
  ) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxAddresses = options.maxAddresses ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#failures = new BoundedMap(this.maxAddresses);
  }

  /** Seconds until `address` may try again, or 0 when it may now. */
  retryAfterSeconds(address: string): number {
    const times = this.#recent(address);
    if (times.length < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((times[0]! + this.windowMs - this.#now()) / 1000));
  }

  /** Records a refused token from `address`; returns its refusals within the window. */
  fail(address: string): number {
    const times = this.#recent(address);
    times.push(this.#now());
    if (times.length > this.maxFailures) times.shift();
    // full: first drop the addresses whose refusals all left the window; the map then drops the
    // oldest address only if every one is still recent
    if (!this.#failures.has(address) && this.#failures.size >= this.maxAddresses) this.#prune();
    this.#failures.set(address, times);
    return times.length;
  }

  #recent(address: string): number[] {
    const since = this.#now() - this.windowMs;
    const times = (this.#failures.peek(address) ?? []).filter((t) => t > since);
    if (times.length === 0) this.#failures.delete(address);
    return times;
  }

  /** Drops addresses with no refusal in the window. */
  #prune(): void {
    for (const address of [...this.#failures.keys()]) this.#recent(address);
  }
}
