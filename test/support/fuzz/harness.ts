// Route fuzzing harness: drives one route of a Fastify app (app.inject, no socket) with
// fast-check-generated requests, seeded and repeatable, and checks every reply:
//   - status < 500 (a 5xx is a bug: bad input must be a 4xx),
//   - the process saw no uncaught exception or unhandled rejection, and /healthz still answers,
//   - a 4xx carries the error envelope { error: { code, message } } with a code of the service's catalogue,
//     and a 429 says when to retry (Retry-After),
//   - a rejected request wrote nothing: no write reached the service's root LevelDB while it ran
//     (the root's 'write' event), and a digest of every key and value of the root equals the one
//     taken before it.
// It counts requests per route and histograms of statuses and error codes.
import { expect } from "chai";
import { createHash } from "node:crypto";
import fc from "fast-check";
import type { FastifyInstance, InjectOptions } from "fastify";

/** The seed of the bounded run inside `npm test`: fixed, so CI replays the same requests every time. */
export const DEFAULT_SEED = 0x5eed2026;

/**
 * The seed of this run: FUZZ_SEED to replay one; otherwise DEFAULT_SEED for the bounded run in
 * `npm test`, and a fresh one for a long run (FUZZ_HTTP_RUNS set, as `npm run test:fuzz` does).
 * Printed either way.
 */
export function fuzzSeed(): number {
  const fromEnv = process.env.FUZZ_SEED;
  if (fromEnv !== undefined && fromEnv !== "") {
    const seed = Number(fromEnv);
    if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got ${fromEnv}`);
    return seed;
  }
  const long = process.env.FUZZ_HTTP_RUNS !== undefined && process.env.FUZZ_HTTP_RUNS !== "";
  return long ? Math.floor(Math.random() * 0x7fffffff) : DEFAULT_SEED;
}

/** Requests per route: FUZZ_HTTP_RUNS (npm run test:fuzz sets 10,000), else `fallback` (bounded for npm test). */
export function fuzzRuns(fallback = 200): number {
  const fromEnv = process.env.FUZZ_HTTP_RUNS;
  if (fromEnv === undefined || fromEnv === "") return fallback;
  const runs = Number(fromEnv);
  if (!Number.isSafeInteger(runs) || runs < 1)
    throw new Error(`FUZZ_HTTP_RUNS must be a positive integer, got ${fromEnv}`);
  return runs;
}

/** FUZZ_ROUTES (comma-separated parts of route names) narrows a run to those routes; unset: all. */
export function selectedRoutes<T extends { route: string }>(all: T[]): T[] {
  const parts = (process.env.FUZZ_ROUTES ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  return parts.length === 0 ? all : all.filter((r) => parts.some((p) => r.route.includes(p)));
}

/** The route's own seed, derived from the run's seed and its name, so routes replay independently. */
export function routeSeed(seed: number, route: string): number {
  return createHash("sha256").update(`${seed}:${route}`).digest().readUInt32BE(0) & 0x7fffffff;
}

type Bytes = Uint8Array | string;

/** The part of an abstract-level database the harness needs (a root, not a sublevel). */
export type RootDb = {
  iterator(options: { keyEncoding: "view"; valueEncoding: "view" }): AsyncIterable<[Uint8Array, Uint8Array]>;
  on(event: "write", listener: (operations: Array<{ encodedKey?: Bytes; key?: unknown }>) => void): unknown;
  off(event: "write", listener: (...args: never[]) => void): unknown;
};

export type FuzzTarget = {
  /** e.g. "anchor service"; used in messages. */
  service: string;
  app: FastifyInstance;
  db: RootDb;
  /** The service's error catalogue (code → status): a 4xx must carry one of these codes. */
  catalogue: Readonly<Record<string, number>>;
  /**
   * Keys a refused request may legitimately write, given the error code it was refused with
   * (e.g. an access log that records refused reads); everything else must stay untouched.
   */
  mayWrite?: (key: Buffer, code: string) => boolean;
  /** Keys left out of the database digest (those `mayWrite` can allow). */
  unsnapshotted?: (key: Buffer) => boolean;
};

export type RouteFuzz<Case> = {
  /** "METHOD /path/template" — what the counts are reported under. */
  route: string;
  arbitrary: fc.Arbitrary<Case>;
  /** Turns a generated case into a request; signing and authentication happen here. */
  build: (c: Case) => Promise<InjectOptions> | InjectOptions;
  /** Cases run before the generated ones (e.g. one genuine request, so a route is shown to accept). */
  examples?: Case[];
  /** Optional per-route assertion on a reply (beyond the harness's own). */
  check?: (c: Case, reply: { statusCode: number; body: string }) => void;
};

export type RouteStats = {
  route: string;
  runs: number;
  seed: number;
  statuses: Map<number, number>;
  codes: Map<string, number>;
  accepted: number;
  rejected: number;
  /** Rejected requests whose database was compared key by key (digest before/after). */
  snapshotsCompared: number;
};

const MAX_SHOWN = 600;

function showRequest(request: InjectOptions): string {
  const payload =
    request.payload === undefined
      ? ""
      : Buffer.isBuffer(request.payload)
        ? `<${request.payload.length} bytes> ${request.payload.subarray(0, 200).toString("hex")}`
        : typeof request.payload === "string"
          ? request.payload
          : JSON.stringify(request.payload);
  const headers = JSON.stringify(request.headers ?? {});
  return `${request.method} ${(typeof request.url === "string" ? request.url : JSON.stringify(request.url)).slice(0, 300)} headers=${headers.slice(0, 400)} body(${payload.length})=${payload.slice(0, MAX_SHOWN)}`;
}

const toBuffer = (b: Bytes | undefined): Buffer =>
  b === undefined ? Buffer.alloc(0) : typeof b === "string" ? Buffer.from(b, "utf8") : Buffer.from(b);

/** SHA-256 over every (key, value) of the root, skipping keys `skip` names; and the count. */
export async function digestDb(db: RootDb, skip?: (key: Buffer) => boolean): Promise<string> {
  const hash = createHash("sha256");
  let n = 0;
  const len = Buffer.alloc(4);
  for await (const [key, value] of db.iterator({ keyEncoding: "view", valueEncoding: "view" })) {
    const k = Buffer.from(key);
    if (skip?.(k) === true) continue;
    len.writeUInt32BE(k.length);
    hash.update(len).update(k);
    len.writeUInt32BE(value.length);
    hash.update(len).update(value);
    n++;
  }
  return `${n}:${hash.digest("hex")}`;
}

/** Watches a target for writes and for process-level crashes while the fuzzer runs. */
export class Watch {
  readonly writes: Buffer[] = [];
  readonly crashes: string[] = [];
  readonly #target: FuzzTarget;
  readonly #onWrite = (operations: Array<{ encodedKey?: Bytes; key?: unknown }>) => {
    for (const op of operations)
      this.writes.push(toBuffer((op.encodedKey ?? (op.key as Bytes | undefined)) as Bytes | undefined));
  };
  readonly #onCrash = (error: unknown) => {
    this.crashes.push(
      error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ""}` : String(error),
    );
  };

  constructor(target: FuzzTarget) {
    this.#target = target;
    target.db.on("write", this.#onWrite);
    process.on("uncaughtException", this.#onCrash);
    process.on("unhandledRejection", this.#onCrash);
  }

  stop(): void {
    this.#target.db.off("write", this.#onWrite as never);
    process.off("uncaughtException", this.#onCrash);
    process.off("unhandledRejection", this.#onCrash);
  }
}

/**
 * Fuzzes one route with `runs` generated requests. Throws (with the seed to replay) on the first
 * request that breaks a rule; fast-check then shrinks it to a smaller failing request.
 */
/**
 * How often a rejected request's database is also compared key by key (digest before and after):
 * every one in bounded runs; every FUZZ_SNAPSHOT_EVERY-th (default 20) in runs above 1,000, where a
 * digest of the grown database costs more than the request. Every request's writes are watched
 * regardless.
 */
export function snapshotEvery(runs: number): number {
  const fromEnv = Number(process.env.FUZZ_SNAPSHOT_EVERY ?? "");
  if (Number.isSafeInteger(fromEnv) && fromEnv >= 1) return fromEnv;
  return runs > 1000 ? 20 : 1;
}

export async function fuzzRoute<Case>(
  target: FuzzTarget,
  spec: RouteFuzz<Case>,
  options: { runs: number; seed: number },
): Promise<RouteStats> {
  const seed = routeSeed(options.seed, spec.route);
  const stats: RouteStats = {
    route: spec.route,
    runs: 0,
    seed,
    statuses: new Map(),
    codes: new Map(),
    accepted: 0,
    rejected: 0,
    snapshotsCompared: 0,
  };
  const watch = new Watch(target);
  const every = snapshotEvery(options.runs);
  let baseline: string | undefined;
  let sinceHealth = 0;
  let requestNumber = 0;
  const property = fc.asyncProperty(spec.arbitrary, async (c) => {
    let request: InjectOptions;
    try {
      request = await spec.build(c);
    } catch (e) {
      throw new Error(
        `the fuzzer could not build a request for ${spec.route} (a bug in the test, not the service): ${(e as Error).stack}`,
      );
    }
    // writes since the baseline (an accepted request, a background task) make it stale
    if (watch.writes.length > 0) {
      watch.writes.length = 0;
      baseline = undefined;
    }
    const compare = requestNumber++ % every === 0;
    if (compare && baseline === undefined) baseline = await digestDb(target.db, target.unsnapshotted);
    const reply = await target.app.inject(request);
    const where = () =>
      `${target.service} ${spec.route} (FUZZ_SEED=${options.seed}, route seed ${seed}): ${showRequest(request)} → ${reply.statusCode} ${reply.body.slice(0, MAX_SHOWN)}`;
    stats.runs++;
    stats.statuses.set(reply.statusCode, (stats.statuses.get(reply.statusCode) ?? 0) + 1);
    if (watch.crashes.length > 0)
      throw new Error(`process-level error during ${where()}:\n${watch.crashes.join("\n")}`);
    if (reply.statusCode >= 500) throw new Error(`5xx for ${where()}`);
    if (reply.statusCode >= 400) {
      stats.rejected++;
      // a HEAD reply has no body by definition (RFC 9110 §9.3.2): only the status is checked
      const code = String(request.method).toUpperCase() === "HEAD" ? "(HEAD)" : errorCode(reply.body, where);
      stats.codes.set(code, (stats.codes.get(code) ?? 0) + 1);
      if (code !== "(HEAD)" && !(code in target.catalogue))
        throw new Error(`4xx with an uncatalogued error.code ${JSON.stringify(code)} for ${where()}`);
      if (reply.statusCode === 429 && reply.headers["retry-after"] === undefined)
        throw new Error(`429 without Retry-After for ${where()}`);
      const forbidden = watch.writes.filter((k) => target.mayWrite?.(k, code) !== true);
      if (forbidden.length > 0) {
        throw new Error(
          `a rejected request wrote ${forbidden.length} key(s) (${forbidden
            .slice(0, 5)
            .map((k) => JSON.stringify(k.toString("latin1").slice(0, 60)))
            .join(", ")}) for ${where()}`,
        );
      }
      if (compare) {
        const after = await digestDb(target.db, target.unsnapshotted);
        stats.snapshotsCompared++;
        if (after !== baseline)
          throw new Error(
            `a rejected request changed the database (digest ${baseline} → ${after}) for ${where()}`,
          );
      }
    } else {
      stats.accepted++;
    }
    spec.check?.(c, reply);
    // long runs (npm run test:fuzz) say where they are
    if (options.runs >= 5000 && stats.runs % 2500 === 0)
      console.log(`      … ${spec.route}: ${stats.runs} of ${options.runs}`);
    if (++sinceHealth >= 250) {
      sinceHealth = 0;
      await expectHealthy(target, where);
    }
  });
  try {
    await fc.assert(property, {
      seed,
      numRuns: options.runs,
      ...(spec.examples === undefined ? {} : { examples: spec.examples.map((e) => [e] as [Case]) }),
    });
    await expectHealthy(target, () => `${target.service} after ${spec.route}`);
  } catch (error) {
    // the rule that broke first (fast-check keeps it as the cause), then its shrunk counterexample
    const cause = (error as { cause?: unknown }).cause;
    const first = cause instanceof Error ? `${cause.message.slice(0, 4000)}\n` : "";
    const message = (error as Error).message;
    throw new Error(
      `${first}${message.length > 4000 ? `${message.slice(0, 4000)}…` : message}\nreplay: FUZZ_SEED=${options.seed}`,
    );
  } finally {
    watch.stop();
  }
  return stats;
}

/** error.code of a 4xx body, which must be the envelope { error: { code, message } }. */
function errorCode(body: string, where: () => string): string {
  let parsed: { error?: { code?: unknown; message?: unknown } };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch (e) {
    throw new Error(`4xx without the error envelope (${(e as Error).message}) for ${where()}`);
  }
  const code = parsed?.error?.code;
  if (typeof code !== "string" || typeof parsed.error?.message !== "string" || parsed.error.message === "") {
    throw new Error(`4xx without the error envelope { error: { code, message } } for ${where()}`);
  }
  return code;
}

async function expectHealthy(target: FuzzTarget, where: () => string): Promise<void> {
  const health = await target.app.inject({ method: "GET", url: "/healthz" });
  if (health.statusCode !== 200) throw new Error(`/healthz answered ${health.statusCode} after ${where()}`);
}

/** The routes an app's OpenAPI document (/docs/json) lists, as "METHOD /path/:param". */
export async function documentedRoutes(app: FastifyInstance): Promise<string[]> {
  const doc = (await app.inject({ method: "GET", url: "/docs/json" })).json() as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
  );
}

/** Fuzzes each selected route of `routes` in turn (at least `run.runs` requests each), adding its figures to `run.stats`. */
export async function fuzzEveryRoute(
  target: FuzzTarget,
  routes: Array<RouteFuzz<any>>,
  run: FuzzRun,
): Promise<void> {
  for (const spec of selectedRoutes(routes)) {
    const s = await fuzzRoute(target, spec, run);
    run.stats.push(s);
    expect(s.runs, spec.route).to.be.at.least(run.runs);
  }
}

/** One line per route: runs, accepted/rejected, status histogram, the most frequent error codes. */
export function formatStats(service: string, all: RouteStats[]): string {
  const lines = [`${service}: requests per route (status histogram; top error codes)`];
  const width = Math.max(...all.map((s) => s.route.length));
  for (const s of all) {
    const statuses = [...s.statuses.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([k, v]) => `${k}×${v}`)
      .join(" ");
    const codes = [...s.codes.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([k, v]) => `${k}×${v}`)
      .join(" ");
    lines.push(
      `  ${s.route.padEnd(width)}  ${String(s.runs).padStart(6)} runs  ${String(s.accepted).padStart(5)} ok  ${String(s.rejected).padStart(6)} rejected (${s.snapshotsCompared} db digests compared)  [${statuses}]  ${codes}`,
    );
  }
  const total = all.reduce((n, s) => n + s.runs, 0);
  lines.push(
    `  total ${total} requests over ${all.length} routes, 0 5xx, 0 crashes, 0 writes by rejected requests`,
  );
  return lines.join("\n");
}

/** One describe block's run: requests per route, the seed, and each fuzzed route's figures. */
export type FuzzRun = { runs: number; seed: number; stats: RouteStats[] };

/**
 * The describe block of one service's route fuzzing, titled with its requests per route and seed:
 * the seed is printed before the block's own hooks run (so a failure can be replayed) and every
 * fuzzed route's figures after it. `body` declares the block's suite, hooks and tests.
 */
export function describeFuzzing(title: string, service: string, body: (run: FuzzRun) => void): void {
  const run: FuzzRun = { runs: fuzzRuns(200), seed: fuzzSeed(), stats: [] };
  describe(`${title} (${run.runs} requests per route, FUZZ_SEED=${run.seed})`, function () {
    this.timeout(0);
    before(function () {
      console.log(
        `      ${service} route fuzzing seed ${run.seed} (replay with FUZZ_SEED=${run.seed}), ${run.runs} requests per route`,
      );
    });
    after(function () {
      if (run.stats.length > 0) console.log(formatStats(service, run.stats));
    });
    body(run);
  });
}

/** Each of `routes` that was fuzzed accepted some requests: its genuine example passed, so refusals were for what the fuzzer changed. */
export function expectAccepted(stats: RouteStats[], routes: string[]): void {
  for (const route of routes) {
    const s = stats.find((x) => x.route === route);
    if (s !== undefined) expect(s.accepted, `${route} accepted some requests`).to.be.greaterThan(0);
  }
}

/** A case's junk headers, its content type (when it has one) and `auth`. */
export const withBodyHeaders = (
  c: { headers: Record<string, string>; type: string | undefined },
  auth: Record<string, string> = {},
): Record<string, string> => ({
  ...c.headers,
  ...(c.type === undefined ? {} : { "content-type": c.type }),
  ...auth,
});

/** A case with a body as the request `method` sends it: its URL, body, junk headers, content type and `auth`. */
export const bodyRequest = (
  method: "POST" | "PUT",
  c: { url: string; body: string | Buffer; headers: Record<string, string>; type: string | undefined },
  auth: Record<string, string> = {},
): InjectOptions => ({ method, url: c.url, payload: c.body, headers: withBodyHeaders(c, auth) });
