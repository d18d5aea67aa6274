// Shared fixtures of the bureau tests: a fake clock, borrower keys, and fakes for the anchor
// service and the encrypted document store that record every call.
import { createHash, createHmac } from "node:crypto";
import { toHex } from "../../../common/bytes.ts";
import type {
  AnchorEvidence,
  AnchorReceipt,
  EncryptedDocumentStore,
  EvidenceRecordInput,
} from "../../../nodes/src/bureau/consent.ts";
import type { BureauQuery, BureauReport, CreditBureau } from "../../../nodes/src/bureau/bureau.ts";
import { BureauClient, type BureauClientOptions } from "../../../nodes/src/bureau/client.ts";

/** The consortium's HMAC key for borrower keys (test value). */
const CONSORTIUM_KEY = Buffer.from("jointledger test consortium key", "utf8");

/** borrowerKey = HMAC-SHA256(consortium key, normalized ID number), written out here independently of nodes/src/privacy/borrower-key.ts. */
export function borrowerKeyOf(idNumber: string): string {
  return toHex(createHmac("sha256", CONSORTIUM_KEY).update(idNumber.trim().toUpperCase()).digest());
}

/** A borrower key for test number n (no real person behind it). */
export function keyN(n: number): string {
  return borrowerKeyOf(`11010119900307${String(n).padStart(4, "0")}`);
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return toHex(createHash("sha256").update(bytes).digest());
}

type Timer = { at: number; seq: number; resolve: () => void };

/**
 * Fake time: sleep() registers a timer; advance() moves time and fires due timers in order;
 * run(p) advances from timer to timer until p settles, so retry/backoff/timeout code runs
 * deterministically and instantly.
 */
export class FakeClock {
  t: number;
  #timers: Timer[] = [];
  #seq = 0;
  /** Every sleep requested, in ms (timeouts and backoffs alike). */
  readonly sleeps: number[] = [];

  constructor(start = Date.parse("2025-06-01T02:00:00Z")) {
    this.t = start;
  }

  now = (): number => this.t;

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      this.sleeps.push(ms);
      if (signal?.aborted) return reject(signal.reason);
      const timer: Timer = { at: this.t + ms, seq: this.#seq++, resolve: () => {} };
      const onAbort = (): void => {
        this.#timers = this.#timers.filter((x) => x !== timer);
        reject(signal!.reason);
      };
      timer.resolve = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#timers.push(timer);
    });

  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Let every queued promise callback run. */
  async flush(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
  }

  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    await this.flush();
    for (;;) {
      const next = this.#next();
      if (next === undefined || next.at > target) break;
      this.#fire(next);
      await this.flush();
    }
    this.t = target;
    await this.flush();
  }

  /** Runs fake time forward, timer by timer, until the promise settles. */
  async run<T>(promise: Promise<T>): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    watched.catch(() => {});
    for (;;) {
      await this.flush();
      if (settled) return watched;
      const next = this.#next();
      if (next === undefined)
        throw new Error("FakeClock.run: the promise waits on something other than a timer");
      this.#fire(next);
    }
  }

  #next(): Timer | undefined {
    return [...this.#timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
  }

  #fire(timer: Timer): void {
    this.#timers = this.#timers.filter((x) => x !== timer);
    this.t = Math.max(this.t, timer.at);
    timer.resolve();
  }
}

/**
 * A BureauClient on the fake `clock` with jitter fixed at its middle (random 0.5): 1 s per try, the
 * breaker opening after 3 failures for 30 s; `options` set the retries, the backoff and the rest.
 */
export function clientOnClock(
  bureau: CreditBureau,
  clock: FakeClock,
  options: BureauClientOptions,
): BureauClient {
  return new BureauClient(bureau, {
    timeoutMs: 1_000,
    failureThreshold: 3,
    coolDownMs: 30_000,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
    ...options,
  });
}

/** A fake anchor service: records every call; `failWith` makes the next calls reject. */
export class FakeAnchor {
  readonly calls: EvidenceRecordInput[][] = [];
  failWith: Error | undefined;
  #sequence = 0;
  /** Shared with other fakes to check the order of side effects. */
  readonly events: string[];

  constructor(events: string[] = []) {
    this.events = events;
  }

  anchor: AnchorEvidence = async (records) => {
    this.calls.push(records.map((r) => ({ ...r })));
    if (this.failWith !== undefined) {
      this.events.push(`anchor-failed:${records.map((r) => r.kind).join(",")}`);
      throw this.failWith;
    }
    this.events.push(`anchor:${records.map((r) => r.kind).join(",")}`);
    return records.map((r): AnchorReceipt => ({
      leafHash: sha256Hex(`${r.kind}|${r.digest}|${r.salt}|${r.subject}`),
      sequence: this.#sequence++,
    }));
  };
}

/** A fake encrypted document store: keeps what it was given, so tests can look. */
export class FakeDocuments implements EncryptedDocumentStore {
  readonly puts: { kind: string; bytes: Uint8Array; meta: Record<string, string>; id: string }[] = [];
  readonly events: string[];

  constructor(events: string[] = []) {
    this.events = events;
  }

  async put(kind: string, bytes: Uint8Array, meta: Record<string, string>): Promise<string> {
    const id = `doc-${this.puts.length + 1}`;
    this.puts.push({ kind, bytes: new Uint8Array(bytes), meta: { ...meta }, id });
    this.events.push(`documents:${kind}`);
    return id;
  }
}

/** Wraps a bureau and records each query reaching it. */
export class RecordingBureau implements CreditBureau {
  readonly inner: CreditBureau;
  readonly queries: BureauQuery[] = [];
  readonly events: string[];

  constructor(inner: CreditBureau, events: string[] = []) {
    this.inner = inner;
    this.events = events;
  }

  query(request: BureauQuery, options: { signal?: AbortSignal }): Promise<BureauReport> {
    this.queries.push({ ...request });
    this.events.push("bureau:query");
    return this.inner.query(request, options);
  }
}

/** Awaits a rejection and returns the error, failing if the promise resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection, but the promise resolved");
}

/** The `code` of a rejection (undefined if the error has none). */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await rejectionOf(promise);
  return (error as { code?: string }).code;
}
