// The node's only way to the credit bureau: wraps any CreditBureau with
// - a per-call timeout (an AbortController the bureau must honour, and a race in case it does not);
// - retries for transient errors only (timeout, unavailable), with exponential backoff and jitter;
// - a circuit breaker, so a bureau in trouble gets a rest instead of a retry storm:
//     closed ──N consecutive transient failures──▶ open ──cool-down──▶ half-open (one trial call)
//     half-open ──trial succeeds──▶ closed;  half-open ──trial fails──▶ open (cool-down again)
// Time (now, sleep) and randomness are injected so tests run the policy on a fake clock.
import type { BureauQuery, BureauReport, CreditBureau } from "./bureau.ts";
import { BureauError, bureauError, isTransientBureauError } from "./bureau.ts";
import type { Now, Sleep } from "./timers.ts";
import { systemNow, systemSleep } from "./timers.ts";

export type BreakerState = "closed" | "open" | "half-open";

/** One counter increment for the metrics plugin (Prometheus counters keyed by `type`). */
export type BureauClientEvent =
  /** A query() call began. */
  | { type: "call" }
  /** One try reached the bureau. */
  | { type: "attempt"; attempt: number }
  | { type: "success"; attempts: number; durationMs: number }
  /** A try failed; `code` is the BureauError code, or "UNEXPECTED" for anything else. */
  | { type: "failure"; code: string; transient: boolean }
  | { type: "retry"; attempt: number; delayMs: number }
  /** The breaker refused the call without sending it. */
  | { type: "rejected" }
  | { type: "state"; from: BreakerState; to: BreakerState };

export type BureauClientOptions = {
  /** Per-try timeout; default 10 000 ms. */
  timeoutMs?: number;
  /** Retries after the first try, transient errors only; default 2. */
  retries?: number;
  /** Backoff before retry n (1-based): cap = min(maxMs, baseMs·2^(n−1)), delay in [cap/2, cap]. Defaults 200 / 2 000 ms. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Consecutive transient failures that open the breaker; default 5. */
  failureThreshold?: number;
  /** How long the breaker stays open before a trial call; default 30 000 ms. */
  coolDownMs?: number;
  now?: Now;
  sleep?: Sleep;
  /** [0, 1); default Math.random. */
  random?: () => number;
  onEvent?: (event: BureauClientEvent) => void;
};

/** A permission to send one try; `trial` marks the half-open state's single trial call. */
type Permit = { trial: boolean };

export class BureauClient implements CreditBureau {
  readonly #bureau: CreditBureau;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #failureThreshold: number;
  readonly #coolDownMs: number;
  readonly #now: Now;
  readonly #sleep: Sleep;
  readonly #random: () => number;
  readonly #onEvent: (event: BureauClientEvent) => void;
  #state: BreakerState = "closed";
  #consecutiveFailures = 0;
  #openedAt = 0;
  #trialInFlight = false;

  constructor(bureau: CreditBureau, options: BureauClientOptions = {}) {
    this.#bureau = bureau;
    this.#timeoutMs = positive(options.timeoutMs ?? 10_000, "timeoutMs");
    this.#retries = options.retries ?? 2;
    if (!Number.isInteger(this.#retries) || this.#retries < 0)
      throw new RangeError(`retries must be an integer ≥ 0, got ${this.#retries}`);
    this.#baseMs = positive(options.backoff?.baseMs ?? 200, "backoff.baseMs");
    this.#maxMs = positive(options.backoff?.maxMs ?? 2_000, "backoff.maxMs");
    this.#failureThreshold = options.failureThreshold ?? 5;
    if (!Number.isInteger(this.#failureThreshold) || this.#failureThreshold < 1) {
      throw new RangeError(`failureThreshold must be an integer ≥ 1, got ${this.#failureThreshold}`);
    }
    this.#coolDownMs = positive(options.coolDownMs ?? 30_000, "coolDownMs");
    this.#now = options.now ?? systemNow;
    this.#sleep = options.sleep ?? systemSleep;
    this.#random = options.random ?? Math.random;
    this.#onEvent = options.onEvent ?? (() => {});
  }

  /** The breaker's state as of the last call (open turns half-open lazily, on the next call). */
  get state(): BreakerState {
    return this.#state;
  }

  async query(request: BureauQuery, options: { signal?: AbortSignal } = {}): Promise<BureauReport> {
    const { signal } = options;
    const started = this.#now();
    this.#emit({ type: "call" });
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const permit = this.#acquire();
      if (permit === undefined) {
        this.#emit({ type: "rejected" });
        throw bureauError(
          "NODE_ERR_BUREAU_CIRCUIT_OPEN",
          `the credit bureau failed ${this.#failureThreshold} times in a row; queries are paused until ${new Date(this.#openedAt + this.#coolDownMs).toISOString()}`,
        );
      }
      this.#emit({ type: "attempt", attempt });
      let report: BureauReport;
      try {
        report = await this.#try(request, signal);
      } catch (error) {
        if (signal?.aborted) {
          // The caller gave up: says nothing about the bureau's health.
          this.#release(permit);
          throw signal.reason;
        }
        const transient = isTransientBureauError(error);
        this.#emit({
          type: "failure",
          code: error instanceof BureauError ? error.code : "UNEXPECTED",
          transient,
        });
        if (transient) this.#recordFailure(permit);
        else if (error instanceof BureauError)
          this.#recordSuccess(permit); // it answered: healthy
        else this.#release(permit); // an adapter bug, not the bureau's health
        // Stop retrying once the breaker opens: the caller gets the real error, later callers CIRCUIT_OPEN.
        if (!transient || attempt > this.#retries || this.#state === "open") throw error;
        const delayMs = this.#backoff(attempt);
        this.#emit({ type: "retry", attempt, delayMs });
        await this.#sleep(delayMs, signal);
        continue;
      }
      this.#recordSuccess(permit);
      this.#emit({ type: "success", attempts: attempt, durationMs: this.#now() - started });
      return report;
    }
  }

  /** One try with its own timeout. The race covers an adapter that ignores the abort. */
  async #try(request: BureauQuery, outer: AbortSignal | undefined): Promise<BureauReport> {
    const controller = new AbortController();
    const stopTimer = new AbortController();
    const onOuterAbort = (): void => controller.abort(outer!.reason);
    outer?.addEventListener("abort", onOuterAbort, { once: true });
    const timeout = new Promise<never>((_, reject) => {
      this.#sleep(this.#timeoutMs, stopTimer.signal).then(
        () => {
          const error = bureauError(
            "NODE_ERR_BUREAU_TIMEOUT",
            `no answer from the credit bureau within ${this.#timeoutMs} ms`,
          );
          controller.abort(error);
          reject(error);
        },
        () => {}, // cancelled: the try settled first
      );
    });
    try {
      return await Promise.race([this.#bureau.query(request, { signal: controller.signal }), timeout]);
    } catch (error) {
      // Whatever the bureau rejected with after our timeout fired, the cause is the timeout.
      if (controller.signal.aborted && controller.signal.reason instanceof BureauError)
        throw controller.signal.reason;
      throw error;
    } finally {
      stopTimer.abort();
      outer?.removeEventListener("abort", onOuterAbort);
    }
  }

  /** Equal jitter: half the capped exponential delay is guaranteed, the other half random. */
  #backoff(attempt: number): number {
    const cap = Math.min(this.#maxMs, this.#baseMs * 2 ** (attempt - 1));
    return Math.round(cap / 2 + (this.#random() * cap) / 2);
  }

  #acquire(): Permit | undefined {
    if (this.#state === "open") {
      if (this.#now() - this.#openedAt < this.#coolDownMs) return undefined;
      this.#transition("half-open");
    }
    if (this.#state === "half-open") {
      if (this.#trialInFlight) return undefined;
      this.#trialInFlight = true;
      return { trial: true };
    }
    return { trial: false };
  }

  #release(permit: Permit): void {
    if (permit.trial) this.#trialInFlight = false;
  }

  #recordSuccess(permit: Permit): void {
    this.#release(permit);
    this.#consecutiveFailures = 0;
    if (this.#state !== "closed") this.#transition("closed");
  }

  #recordFailure(permit: Permit): void {
    this.#release(permit);
    this.#consecutiveFailures++;
    if (permit.trial || (this.#state === "closed" && this.#consecutiveFailures >= this.#failureThreshold)) {
      this.#openedAt = this.#now();
      this.#transition("open");
    }
  }

  #transition(to: BreakerState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#emit({ type: "state", from, to });
  }

  #emit(event: BureauClientEvent): void {
    try {
      this.#onEvent(event);
    } catch {
      // Metrics must never break a query.
    }
  }
}

function positive(value: number, name: string): number {
  if (!(value > 0 && Number.isFinite(value)))
    throw new RangeError(`${name} must be a positive number of ms, got ${value}`);
  return value;
}
