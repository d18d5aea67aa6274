// A credit bureau that runs inside the node, for development, tests and demos: it behaves like
// the real one in everything the node depends on (latency, timeouts, outages, people without a
// credit file, inquiry counts that grow) while every answer is reproducible from a seed.
//
// - A borrower's file (score, loans, overdue history) is derived from HMAC-SHA256(seed, key): the
//   same key always has the same file, different seeds give different populations.
// - Whether a key has a file at all is decided by the same hash, not by chance: the keys without
//   a file are a fixed subset, and raising notFoundRate only adds keys to it.
// - Each served query is remembered per key, so queriesLast6Months grows as the real count does.
// - Latency jitter and injected timeouts come from a seeded stream: the same seed and the same
//   sequence of calls give the same delays.
import { createHmac } from "node:crypto";
import type { BureauQuery, BureauReport, CreditBureau, IdentityResolver } from "./bureau.ts";
import { bureauError, checkBureauQuery } from "./bureau.ts";
import { canonicalJson } from "./canonical-json.ts";
import type { Now, Sleep } from "./timers.ts";
import { systemNow, systemSleep } from "./timers.ts";

export type SimulatorMode =
  /** Answers after latencyMs. */
  | "normal"
  /** Refuses every call at once with NODE_ERR_BUREAU_UNAVAILABLE, in-flight calls included. */
  | "outage"
  /** Answers, but slowFactor times slower: enough to trip the client's per-call timeout. */
  | "slow";

export type BureauSimulatorOptions = {
  /** Fixed latency, or [min, max] drawn uniformly per call from the seeded stream. */
  latencyMs: number | readonly [number, number];
  /** Share of calls (0–1) that hang for gatewayTimeoutMs and then fail with NODE_ERR_BUREAU_TIMEOUT. */
  timeoutRate?: number;
  /** Share of borrower keys (0–1) with no credit file (NODE_ERR_BUREAU_NOT_FOUND), chosen by the key's hash. */
  notFoundRate?: number;
  mode?: SimulatorMode;
  /** Seeds both the population of files and the latency/timeout stream. */
  seed: string | number;
  /** Latency multiplier in "slow" mode; default 20. */
  slowFactor?: number;
  /** How long a timing-out call hangs before the bureau's gateway gives up; default 30 000 ms. */
  gatewayTimeoutMs?: number;
  /**
   * Plays the production adapter's identity lookup: when given, the report bytes carry the
   * person's name and ID number as a real report does (so tests can prove they stay in the node).
   */
  identities?: IdentityResolver;
  now?: Now;
  sleep?: Sleep;
};

export type SimulatorStats = {
  /** Calls received (valid or not). */
  received: number;
  served: number;
  notFound: number;
  timeouts: number;
  unavailable: number;
  aborted: number;
};

/** Derived once per key: the part of the file that does not change between queries. */
type CreditFile = {
  score: number;
  loansFen: bigint[];
  overdueAccounts: number;
  worstOverdueDays: number;
  /** Inquiries by other institutions before the simulator started. */
  priorQueries: number;
};

const SIX_MONTHS_MS = 183 * 24 * 60 * 60 * 1000;
const ACTIVE_LOANS = [0, 0, 1, 1, 1, 2, 3, 5] as const;
const OVERDUE_DAYS = [3, 15, 31, 45, 62, 91, 120, 181] as const;
export const SIMULATED_REPORT_FORMAT = "jointledger.bureau-simulator.report/1";

export class BureauSimulator implements CreditBureau {
  readonly #latency: readonly [number, number];
  readonly #timeoutRate: number;
  readonly #notFoundRate: number;
  readonly #slowFactor: number;
  readonly #gatewayTimeoutMs: number;
  readonly #seedKey: Buffer;
  readonly #identities: IdentityResolver | undefined;
  readonly #now: Now;
  readonly #sleep: Sleep;
  #mode: SimulatorMode;
  #draws = 0;
  #serial = 0;
  /** Times (ms) of the queries served per borrower key, for queriesLast6Months. */
  readonly #history = new Map<string, number[]>();
  readonly #stats: SimulatorStats = {
    received: 0,
    served: 0,
    notFound: 0,
    timeouts: 0,
    unavailable: 0,
    aborted: 0,
  };

  constructor(options: BureauSimulatorOptions) {
    const latency: readonly [number, number] =
      typeof options.latencyMs === "number" ? [options.latencyMs, options.latencyMs] : options.latencyMs;
    if (!(latency[0] >= 0 && latency[1] >= latency[0] && Number.isFinite(latency[1]))) {
      throw new RangeError(
        `latencyMs must be a number ≥ 0 or [min, max] with 0 ≤ min ≤ max, got ${JSON.stringify(options.latencyMs)}`,
      );
    }
    this.#latency = latency;
    this.#timeoutRate = rate(options.timeoutRate, "timeoutRate");
    this.#notFoundRate = rate(options.notFoundRate, "notFoundRate");
    this.#slowFactor = options.slowFactor ?? 20;
    if (!(this.#slowFactor >= 1)) throw new RangeError(`slowFactor must be ≥ 1, got ${this.#slowFactor}`);
    this.#gatewayTimeoutMs = options.gatewayTimeoutMs ?? 30_000;
    if (!(this.#gatewayTimeoutMs >= 0))
      throw new RangeError(`gatewayTimeoutMs must be ≥ 0, got ${this.#gatewayTimeoutMs}`);
    this.#seedKey = Buffer.from(`jointledger/bureau-simulator/${String(options.seed)}`, "utf8");
    this.#identities = options.identities;
    this.#now = options.now ?? systemNow;
    this.#sleep = options.sleep ?? systemSleep;
    this.#mode = options.mode ?? "normal";
  }

  get mode(): SimulatorMode {
    return this.#mode;
  }

  /** Switch behaviour at runtime (a test flips the bureau into an outage and back). */
  setMode(mode: SimulatorMode): void {
    this.#mode = mode;
  }

  get stats(): Readonly<SimulatorStats> {
    return { ...this.#stats };
  }

  /** Whether the key has a credit file under this seed and notFoundRate (no query is recorded). */
  hasFile(borrowerKey: string): boolean {
    return this.#unit(this.#hash("file", borrowerKey.toLowerCase()), 0) >= this.#notFoundRate;
  }

  async query(request: BureauQuery, options: { signal?: AbortSignal } = {}): Promise<BureauReport> {
    this.#stats.received++;
    const { signal } = options;
    try {
      signal?.throwIfAborted();
      checkBureauQuery(request);
      const key = request.borrowerKey.toLowerCase();

      if (this.#inOutage()) {
        // A refused connection fails fast, but still asynchronously.
        await this.#sleep(0, signal);
        throw this.#unavailable();
      }
      if (this.#draw("timeout") < this.#timeoutRate) {
        await this.#sleep(this.#gatewayTimeoutMs, signal);
        this.#stats.timeouts++;
        throw bureauError(
          "NODE_ERR_BUREAU_TIMEOUT",
          `the credit bureau's gateway timed out after ${this.#gatewayTimeoutMs} ms`,
        );
      }
      const [min, max] = this.#latency;
      const latency = Math.round(min + (max - min) * this.#draw("latency"));
      await this.#sleep(this.#mode === "slow" ? latency * this.#slowFactor : latency, signal);
      // An outage that began while the call was in flight takes the call down with it.
      if (this.#inOutage()) throw this.#unavailable();

      if (!this.hasFile(key)) {
        this.#stats.notFound++;
        throw bureauError(
          "NODE_ERR_BUREAU_NOT_FOUND",
          `the credit bureau has no credit file for borrower ${key}`,
        );
      }
      const identity = this.#identities === undefined ? undefined : await this.#identities(key);
      if (this.#identities !== undefined && identity === undefined) {
        throw bureauError(
          "NODE_ERR_BUREAU_BAD_REQUEST",
          `no identity on record in this node for borrower ${key}`,
        );
      }
      signal?.throwIfAborted();
      return this.#serve(key, request, identity);
    } catch (error) {
      if (signal?.aborted && error === signal.reason) this.#stats.aborted++;
      throw error;
    }
  }

  #serve(
    key: string,
    request: BureauQuery,
    identity: { name: string; idNumber: string } | undefined,
  ): BureauReport {
    const file = this.#file(key);
    const now = this.#now();
    const history = (this.#history.get(key) ?? []).filter((t) => t > now - SIX_MONTHS_MS);
    history.push(now);
    this.#history.set(key, history);
    this.#stats.served++;

    const serial = ++this.#serial;
    const generatedAt = new Date(now).toISOString();
    const reportId = `SIM${generatedAt.slice(0, 10).replaceAll("-", "")}${this.#hash("report", key, String(serial)).toString("hex").slice(0, 16).toUpperCase()}`;
    const totalOutstandingFen = file.loansFen.reduce((sum, fen) => sum + fen, 0n);
    const queriesLast6Months = file.priorQueries + history.length;
    const raw = new TextEncoder().encode(
      canonicalJson({
        format: SIMULATED_REPORT_FORMAT,
        reportId,
        generatedAt,
        borrowerKey: key,
        ...(identity === undefined ? {} : { subject: { name: identity.name, idNumber: identity.idNumber } }),
        query: { institution: request.institution, purpose: request.purpose },
        summary: {
          score: file.score,
          activeLoans: file.loansFen.length,
          totalOutstandingFen: totalOutstandingFen.toString(),
          overdueAccounts: file.overdueAccounts,
          worstOverdueDays: file.worstOverdueDays,
          queriesLast6Months,
        },
        accounts: file.loansFen.map((fen, i) => ({ account: i + 1, outstandingFen: fen.toString() })),
        inquiries: history.map((t) => new Date(t).toISOString()),
      }),
    );
    return {
      reportId,
      borrowerKey: key,
      generatedAt,
      score: file.score,
      activeLoans: file.loansFen.length,
      totalOutstandingFen,
      overdueAccounts: file.overdueAccounts,
      worstOverdueDays: file.worstOverdueDays,
      queriesLast6Months,
      raw,
    };
  }

  /** The borrower's file, a pure function of (seed, key). */
  #file(key: string): CreditFile {
    const h = this.#hash("profile", key);
    // Sum of three uniform bytes: a bell-ish spread around 600 rather than a flat one.
    const score = 300 + Math.round((600 * (h[0]! + h[1]! + h[2]!)) / (3 * 255));
    const loans = ACTIVE_LOANS[h[3]! % ACTIVE_LOANS.length]!;
    const loansFen: bigint[] = [];
    for (let i = 0; i < loans; i++) {
      // 3,000 – 200,000 yuan per loan, to the fen (the consortium's product range).
      const yuan = 3_000 + ((h.readUInt16BE(4 + 2 * i) * 7) % 197_001);
      loansFen.push(BigInt(yuan) * 100n + BigInt(h[16 + i]! % 100));
    }
    const overdueAccounts =
      score >= 700 ? 0 : score >= 600 ? h[24]! % 2 : score >= 500 ? h[24]! % 3 : 1 + (h[24]! % 4);
    const severity = score < 500 ? 4 : score < 600 ? 2 : 0;
    const worstOverdueDays = overdueAccounts === 0 ? 0 : OVERDUE_DAYS[Math.min(7, (h[25]! % 4) + severity)]!;
    const priorQueries = (h[26]! % 5) + (score < 550 ? h[27]! % 6 : 0);
    return { score, loansFen, overdueAccounts, worstOverdueDays, priorQueries };
  }

  /** Read afresh each time: setMode may run while a call sleeps. */
  #inOutage(): boolean {
    return this.#mode === "outage";
  }

  #unavailable(): Error {
    this.#stats.unavailable++;
    return bureauError(
      "NODE_ERR_BUREAU_UNAVAILABLE",
      "the credit bureau refused the connection (outage or maintenance window)",
    );
  }

  /** Next value in [0, 1) of the seeded call stream. */
  #draw(label: string): number {
    return this.#unit(this.#hash("stream", label, String(this.#draws++)), 0);
  }

  #unit(bytes: Buffer, offset: number): number {
    return bytes.readUIntBE(offset, 6) / 2 ** 48;
  }

  #hash(...parts: string[]): Buffer {
    return createHmac("sha256", this.#seedKey).update(parts.join("\u0000")).digest();
  }
}

function rate(value: number | undefined, name: string): number {
  const r = value ?? 0;
  if (!(r >= 0 && r <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${String(value)}`);
  return r;
}
