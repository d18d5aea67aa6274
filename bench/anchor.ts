// `npm run bench:anchor`: the anchor service against the baseline a team would write today, in
// one run on one machine with the same data. See bench/README.md for what each number means.
//
//   (a) the service end to end over HTTP with durable (fsynced) writes, Anvil as the chain:
//       ingest records/s, submit-to-anchored latency, proof lookup latency
//   (b) the baseline: OpenZeppelin StandardMerkleTree per 1,000-record batch, all proofs, LevelDB
//       synced batch, in-process
//   (c) gas per anchored leaf vs one transaction per document
//   (d) bytes per leaf on disk at 1,000,000 leaves
//
// Environment (defaults in brackets): BENCH_RECORDS [200000], BENCH_CONCURRENCY [8],
// BENCH_RECORDS_PER_REQUEST [1000], BENCH_LOOKUPS [2000], BENCH_COMMIT_INTERVAL_MS [the service
// default, 1000], BENCH_BASELINE_RECORDS [BENCH_RECORDS], BENCH_BASELINE_SECONDS [60],
// BENCH_STORAGE_RECORDS [1000000], BENCH_SKIP_STORAGE, BENCH_SKIP_GAS, BENCH_KEEP_DATA,
// BENCH_REPORT [bench/anchor-report.md], BENCH_WITNESSED (also run (a) with the court's and the
// union's witnesses, 2 of 2, and a TSA on, on a chain of its own: ingest and submit → witnessed,
// timestamped proof, printed beside the run with them off).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ChainIdentity } from "../anchor-service/src/chain/evidence-log-client.ts";
import { ConfigSchema, type Config } from "../anchor-service/src/config.ts";
import { createAnchorService, type AnchorService } from "../anchor-service/src/service.ts";
import { encodeLeaf } from "../common/formats/leaf/leaf.ts";
import {
  MEMBERS,
  UNION_LOG,
  startConsortiumChain,
  type ConsortiumChain,
} from "../test/support/consortium-chain.ts";
import { startAllocationSampling } from "./alloc.ts";
import { runBaseline, type BaselineResult } from "./baseline.ts";
import { evidenceRecord, leafHashHex, percentile } from "./data.ts";
import { cpuBetween, cpuSnapshot, threadCpuBetween, threadCpuByName } from "./cpu.ts";
import { dirBytes } from "./disk.ts";
import { flag, int } from "./env.ts";
import { measureGas, type GasResult } from "./gas.ts";
import type { LoadClientInit, LoadClientMessage } from "./load-client.ts";
import { measureStorage, type StorageResult } from "./storage.ts";
import { startWitnessedSetting } from "./witnessed.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
process.chdir(ROOT); // Anvil and the artifacts are found relative to the repository

const env = process.env;
const SERVICE_DEFAULTS = {
  commitIntervalMs: ConfigSchema.shape.commitIntervalMs.parse(undefined),
  commitLeaves: ConfigSchema.shape.commitLeaves.parse(undefined),
  membershipCacheMs: ConfigSchema.shape.membershipCacheMs.parse(undefined),
};

const N = int("BENCH_RECORDS", 200_000);
const C = int("BENCH_CONCURRENCY", 8);
const PER_REQUEST = int("BENCH_RECORDS_PER_REQUEST", 1_000);
const LOOKUPS = int("BENCH_LOOKUPS", 2_000);
const COMMIT_INTERVAL_MS = int("BENCH_COMMIT_INTERVAL_MS", SERVICE_DEFAULTS.commitIntervalMs);
const BASELINE_RECORDS = Math.min(N, int("BENCH_BASELINE_RECORDS", N));
const BASELINE_SECONDS = int("BENCH_BASELINE_SECONDS", 60);
const BASELINE_MIN = Math.min(BASELINE_RECORDS, 20_000);
const STORAGE_RECORDS = int("BENCH_STORAGE_RECORDS", 1_000_000);
const SKIP_STORAGE = flag("BENCH_SKIP_STORAGE");
const SKIP_GAS = flag("BENCH_SKIP_GAS");
const KEEP_DATA = flag("BENCH_KEEP_DATA");
const WITNESSED = flag("BENCH_WITNESSED");
const REPORT = env.BENCH_REPORT ?? "bench/anchor-report.md";
const LIGHT_REQUESTS = int("BENCH_LIGHT_REQUESTS", 30);
const LIGHT_INTERVAL_MS = int("BENCH_LIGHT_INTERVAL_MS", 300);
const POLL_MS = 50;
const REQUEST_TTL_SECONDS = 290; // the service refuses more than maxRequestTtlSeconds (300)

const TARGETS = { ingest: 50_000, ratio: 15, anchoredP99Ms: 2_000, lookupP99Ms: 5, bytesPerLeaf: 200 };

const started = performance.now();
const LOAD_AT_START = os.loadavg();
let CODE_VERSION = "commit unknown";
const log = (line: string) =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number) => (n >= 100 ? `${fmt(n)} ms` : n >= 10 ? `${fmt(n, 1)} ms` : `${fmt(n, 2)} ms`);
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

const REQUIRED_ARTIFACTS = [
  "consortium/ConsortiumRegistry.sol/ConsortiumRegistry.json",
  "consortium/ConsortiumGovernor.sol/ConsortiumGovernor.json",
  "evidence/EvidenceLog.sol/EvidenceLog.json",
  "evidence/EvidenceRegistry.sol/EvidenceRegistry.json",
];

// ---------------------------------------------------------------------------------------------
// (a) the service over HTTP

type ServiceResult = {
  records: number;
  requests: number;
  elapsedMs: number;
  recordsPerSecond: number;
  presignMs: number;
  resigned: number;
  requestP50Ms: number;
  requestP99Ms: number;
  responseBytesPerRecord: number;
  requestBytesPerRecord: number;
  anchored: number[];
  unanchored: number;
  light: number[];
  lightUnanchored: number;
  /** Main thread (the service's event loop) busy fraction, and the process's CPU in cores, during the ingest. */
  eventLoopUtilization: number;
  /** CPU time of the service's main thread during the ingest, per record (µs). */
  mainCpuPerRecordUs: number;
  /** CPU per record (µs) of the process's threads during the ingest, by thread name. */
  threadCpuPerRecordUs: Array<[string, number, number]>;
  processCores: number;
  /** Cores used by other processes on the machine during the ingest (Linux), if known. */
  otherCores: number | undefined;
  lookups: number[];
  lookupsVerified: number;
  lookupFailures: string[];
  heads: {
    count: number;
    minLeaves: number;
    medianLeaves: number;
    maxLeaves: number;
    totalGas: number;
    gasPerLeaf: number;
  };
  dbBytesPerLeaf: number;
  dbLeaves: number;
  identity: ChainIdentity;
};

class WorkerChannel {
  readonly worker: Worker;
  #waiting = new Map<string, (m: LoadClientMessage) => void>();
  #arrived = new Map<string, LoadClientMessage>();
  #failed: Error | undefined;
  #onFail: Array<(e: Error) => void> = [];

  constructor(worker: Worker, onProgress: (m: Extract<LoadClientMessage, { type: "progress" }>) => void) {
    this.worker = worker;
    worker.on("message", (m: LoadClientMessage) => {
      if (m.type === "progress") return onProgress(m);
      if (m.type === "error") return this.#fail(new Error(`load client: ${m.message}`));
      const waiter = this.#waiting.get(m.type);
      if (waiter !== undefined) {
        this.#waiting.delete(m.type);
        waiter(m);
      } else this.#arrived.set(m.type, m);
    });
    worker.on("error", (e) => this.#fail(e));
  }

  #fail(e: Error): void {
    this.#failed = e;
    for (const f of this.#onFail.splice(0)) f(e);
  }

  next<T extends LoadClientMessage["type"]>(type: T): Promise<Extract<LoadClientMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      if (this.#failed !== undefined) return reject(this.#failed);
      const arrived = this.#arrived.get(type);
      if (arrived !== undefined) {
        this.#arrived.delete(type);
        return resolve(arrived as Extract<LoadClientMessage, { type: T }>);
      }
      this.#waiting.set(type, (m) => resolve(m as Extract<LoadClientMessage, { type: T }>));
      this.#onFail.push(reject);
    });
  }
}

/** (a) with witnesses and TSAs on: their configuration; the proof counts as ready once witnessed and stamped. */
type Variant = { config: Partial<Config>; describe: string };

async function runService(
  chain: ConsortiumChain,
  seeds: Buffer,
  dirs: string[],
  variant?: Variant,
): Promise<ServiceResult> {
  const dataDir = await mkdtemp(join(os.tmpdir(), "bench-anchor-"));
  dirs.push(dataDir);
  const config = chain.config({
    dataDir,
    commitIntervalMs: COMMIT_INTERVAL_MS,
    membershipCacheMs: SERVICE_DEFAULTS.membershipCacheMs,
    ...variant?.config,
  });
  const service: AnchorService = await createAnchorService({ config, logger: false });
  await service.start();
  const url = await service.app.listen({ host: "127.0.0.1", port: 0 });
  log(
    `service listening on ${url}, LevelDB in ${dataDir}, commit every ${config.commitIntervalMs} ms or ${fmt(config.commitLeaves)} leaves`,
  );

  const branch = chain.wallets.branchA as unknown as { privateKey: string };
  const init: LoadClientInit = {
    url,
    seeds,
    records: N,
    perRequest: PER_REQUEST,
    concurrency: C,
    privateKey: branch.privateKey,
    chainId: chain.chainId.toString(),
    registry: chain.deployment.addresses.consortiumRegistry,
    evidenceLog: chain.deployment.addresses.evidenceLog,
    logId: UNION_LOG,
    submitter: MEMBERS.branchA,
    ttlSeconds: REQUEST_TTL_SECONDS,
    pollMs: POLL_MS,
    proof: variant === undefined ? "anchored" : "witnessed",
  };
  if (variant !== undefined) log(`witnesses and TSA on: ${variant.describe}`);
  const worker = new Worker(new URL("./load-client.ts", import.meta.url), { workerData: init });
  const channel = new WorkerChannel(worker, (m) => {
    const committed = service.merkle.size - service.committer.pendingLeaves();
    log(
      `ingest: ${fmt(m.records)} records acknowledged, ${fmt(m.records / (m.elapsedMs / 1000))} records/s; log size ${fmt(service.merkle.size)}, anchored ${fmt(committed)}`,
    );
  });
  try {
    log(
      `load client: pre-signing ${fmt(Math.ceil(N / PER_REQUEST))} requests of ${fmt(PER_REQUEST)} records (branch A's key, EIP-712) before timing…`,
    );
    const ready = await channel.next("ready");
    log(
      `load client: ${fmt(ready.requests)} requests signed in ${ms(ready.presignMs)} (${ms(ready.presignMs / ready.requests)} each), ${fmt(ready.bodyBytes / 1e6, 1)} MB of bodies`,
    );

    log(`ingest: ${C} concurrent clients, ${fmt(N)} records…`);
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const thread0 = process.threadCpuUsage();
    const threads0 = threadCpuByName();
    const anvilPid = chain.anvil.process.pid === undefined ? [] : [chain.anvil.process.pid];
    const snap0 = cpuSnapshot(anvilPid);
    const stopSampling =
      process.env.BENCH_ALLOC_PROFILE === undefined ? undefined : await startAllocationSampling();
    worker.postMessage({ type: "go" });
    const ingested = await channel.next("ingested");
    if (stopSampling !== undefined) {
      const sites = await stopSampling();
      const total = sites.reduce((a, [, b]) => a + b, 0);
      log(
        `allocation sampling (${process.env.BENCH_ALLOC_PROFILE}): ${fmt(total / ingested.records)} sampled bytes/record; top: ${sites
          .slice(0, 12)
          .map(([site, bytes]) => `${site} ${fmt((bytes / total) * 100)} %`)
          .join("; ")}`,
      );
    }
    const elu = performance.eventLoopUtilization(elu0).utilization;
    const cpu = process.cpuUsage(cpu0);
    const thread = process.threadCpuUsage(thread0);
    const threads = threadCpuBetween(threads0, threadCpuByName()).map(
      ([name, seconds, system]): [string, number, number] => [
        name,
        (seconds * 1e6) / ingested.records,
        (system * 1e6) / ingested.records,
      ],
    );
    const mainCpuPerRecordUs = (thread.user + thread.system) / ingested.records;
    const processCores = (cpu.user + cpu.system) / 1000 / ingested.elapsedMs;
    const machine = cpuBetween(snap0, cpuSnapshot(anvilPid));
    const rate = ingested.records / (ingested.elapsedMs / 1000);
    log(
      `ingest: ${fmt(ingested.records)} records durable and acknowledged in ${fmt(ingested.elapsedMs / 1000, 2)} s = ${fmt(rate)} records/s (service event loop ${fmt(elu * 100)} % busy, its CPU ${fmt(mainCpuPerRecordUs, 1)} µs/record, process CPU ${fmt(processCores, 2)} cores${machine === undefined ? "" : `, Anvil ${fmt(machine.children, 2)}, other processes ${fmt(machine.others, 2)} cores`})`,
    );
    log(
      `ingest: CPU per record by thread: ${threads.map(([name, us, sys]) => `${name} ${fmt(us, 1)} µs (system ${fmt(sys, 1)})`).join(", ")}`,
    );
    if (machine !== undefined && machine.others > 0.25)
      log(
        `WARNING: other processes used ${fmt(machine.others, 2)} cores during the ingest; the figures are lower than on a quiet machine`,
      );

    log(
      variant === undefined
        ? "anchoring: waiting until every sampled record reads anchored…"
        : "anchoring: waiting until every sampled record's bundle is witnessed (2 of 2) and time-stamped…",
    );
    const latency = await channel.next("latency");
    const deadline = Date.now() + 120_000;
    while (service.committer.pendingLeaves() > 0) {
      if (Date.now() > deadline)
        throw new Error(`${service.committer.pendingLeaves()} leaves still not anchored after 120 s`);
      await sleep(100);
    }
    const heads = await service.committer.heads(); // the run's N records only (light load comes later)
    log(`anchoring: all ${fmt(service.merkle.size)} leaves anchored in ${heads.length} heads`);

    const sortedSamples = [...latency.samples].sort((a, b) => a - b);
    log(
      `${variant === undefined ? "submit → anchored" : "submit → witnessed, time-stamped proof"}: p50 ${ms(percentile(sortedSamples, 50))}, p99 ${ms(percentile(sortedSamples, 99))}${latency.unanchored > 0 ? `, ${latency.unanchored} never ready` : ""}`,
    );

    // lookups and light load do not depend on the witnesses: measured in the run without them
    let lookups: Extract<LoadClientMessage, { type: "lookups" }> = {
      type: "lookups",
      latencies: [],
      verified: 0,
      failures: [],
    };
    let light: Extract<LoadClientMessage, { type: "light" }> = { type: "light", samples: [], unanchored: 0 };
    if (variant === undefined) {
      log(`proof lookups: ${fmt(LOOKUPS)} random GET /v1/leaves/:hash, one at a time…`);
      worker.postMessage({ type: "lookups", count: LOOKUPS });
      lookups = await channel.next("lookups");
      const sorted = [...lookups.latencies].sort((a, b) => a - b);
      log(
        `proof lookups: p50 ${ms(percentile(sorted, 50))}, p99 ${ms(percentile(sorted, 99))}, ${fmt(lookups.verified)}/${fmt(LOOKUPS)} proofs verified client-side`,
      );

      log(
        `light load: ${LIGHT_REQUESTS} requests of ${fmt(PER_REQUEST)} fresh records, one every ${LIGHT_INTERVAL_MS} ms, submit → anchored…`,
      );
      worker.postMessage({ type: "light", count: LIGHT_REQUESTS, intervalMs: LIGHT_INTERVAL_MS });
      light = await channel.next("light");
    }
    const sortedLookups = [...lookups.latencies].sort((a, b) => a - b);
    const sortedLight = [...light.samples].sort((a, b) => a - b);
    if (variant === undefined)
      log(
        `light load: submit → anchored p50 ${ms(percentile(sortedLight, 50))}, p99 ${ms(percentile(sortedLight, 99))}`,
      );

    // gas the service actually paid for its heads during the run
    const leavesPerHead: number[] = [];
    let totalGas = 0;
    let previous = 0;
    for (const head of heads) {
      const receipt = await chain.anvil.provider.getTransactionReceipt(head.commits[0]!.transactionHash);
      totalGas += Number(receipt!.gasUsed);
      leavesPerHead.push(head.treeSize - previous);
      previous = head.treeSize;
    }
    const sortedHeads = [...leavesPerHead].sort((a, b) => a - b);
    const identity = (await service.db.meta.get("chainIdentity")) as ChainIdentity;
    const sortedRequests = [...ingested.requestLatencies].sort((a, b) => a - b);
    worker.postMessage({ type: "close" });
    await worker.terminate();
    const finalSize = service.merkle.size;
    await service.close();
    const dbBytes = await dirBytes(dataDir);
    return {
      records: ingested.records,
      requests: ingested.requests,
      elapsedMs: ingested.elapsedMs,
      recordsPerSecond: rate,
      presignMs: ready.presignMs,
      resigned: ingested.resigned,
      requestP50Ms: percentile(sortedRequests, 50),
      requestP99Ms: percentile(sortedRequests, 99),
      responseBytesPerRecord: ingested.responseBytes / ingested.records,
      requestBytesPerRecord: ready.bodyBytes / N,
      anchored: sortedSamples,
      unanchored: latency.unanchored,
      light: sortedLight,
      lightUnanchored: light.unanchored,
      eventLoopUtilization: elu,
      mainCpuPerRecordUs,
      threadCpuPerRecordUs: threads,
      processCores,
      otherCores: machine?.others,
      lookups: sortedLookups,
      lookupsVerified: lookups.verified,
      lookupFailures: lookups.failures,
      heads: {
        count: heads.length,
        minLeaves: sortedHeads[0] ?? 0,
        medianLeaves: percentile(sortedHeads, 50),
        maxLeaves: sortedHeads[sortedHeads.length - 1] ?? 0,
        totalGas,
        gasPerLeaf: totalGas / previous,
      },
      dbBytesPerLeaf: dbBytes / finalSize,
      dbLeaves: finalSize,
      identity,
    };
  } catch (error) {
    await worker.terminate();
    await service.close().catch(() => {});
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// report

const yes = (ok: boolean) => (ok ? "**yes**" : "**no**");

function report(r: {
  machine: string;
  service: ServiceResult;
  /** The same run with the witnesses (2 of 2) and the TSA on (BENCH_WITNESSED). */
  witnessed: ServiceResult | undefined;
  baseline: BaselineResult;
  gas: GasResult | undefined;
  storage: StorageResult | undefined;
  totalSeconds: number;
}): string {
  const { service: s, baseline: b, gas, storage } = r;
  const ratio = s.recordsPerSecond / b.recordsPerSecond;
  const a50 = percentile(s.anchored, 50);
  const a99 = percentile(s.anchored, 99);
  const l50 = percentile(s.lookups, 50);
  const l99 = percentile(s.lookups, 99);
  const lines: string[] = [];
  lines.push("# Anchor service benchmark");
  lines.push("");
  lines.push(`${r.machine}`);
  lines.push(`Code: ${CODE_VERSION}.`);
  lines.push(
    `Run: ${new Date().toISOString()}, ${fmt(r.totalSeconds)} s in total. N = ${fmt(N)} records, C = ${C} concurrent clients, ${fmt(PER_REQUEST)} records per signed request, commit interval ${fmt(COMMIT_INTERVAL_MS)} ms (service default; a head is also committed as soon as ${fmt(SERVICE_DEFAULTS.commitLeaves)} leaves wait).`,
  );
  lines.push("");
  lines.push("| # | metric | this run | target | met |");
  lines.push("|---|---|---|---|---|");
  lines.push(
    `| a | durable ingest through HTTP (signed requests, fsynced LevelDB, receipts returned) | **${fmt(s.recordsPerSecond)} records/s** (${fmt(s.records)} records in ${fmt(s.elapsedMs / 1000, 2)} s) | ≥ ${fmt(TARGETS.ingest)} records/s | ${yes(s.recordsPerSecond >= TARGETS.ingest)} |`,
  );
  lines.push(
    `| b | baseline: OZ StandardMerkleTree per 1,000 + all proofs + LevelDB synced batch, in-process | **${fmt(b.recordsPerSecond)} records/s** (N = ${fmt(b.records)} of ${fmt(N)}, ${fmt(b.elapsedMs / 1000, 1)} s) | — | — |`,
  );
  lines.push(
    `| a/b | ratio service / baseline | **${fmt(ratio, 1)}×** | ≥ ${TARGETS.ratio}× | ${yes(ratio >= TARGETS.ratio)} |`,
  );
  lines.push(
    `| a | submit → anchored (GET says anchored), ${fmt(s.anchored.length)} samples during the ingest | p50 ${ms(a50)}, **p99 ${ms(a99)}**${s.unanchored > 0 ? `, ${s.unanchored} never anchored` : ""} | p99 ≤ ${fmt(TARGETS.anchoredP99Ms)} ms | ${yes(a99 <= TARGETS.anchoredP99Ms && s.unanchored === 0)} |`,
  );
  const w = r.witnessed;
  if (w !== undefined) {
    const w99 = percentile(w.anchored, 99);
    lines.push(
      `| a′ | durable ingest with the witnesses (court and union, 2 of 2) and a TSA on, beside the run with them off | **${fmt(w.recordsPerSecond)} records/s** (${fmt(w.records)} records in ${fmt(w.elapsedMs / 1000, 2)} s); off: ${fmt(s.recordsPerSecond)} records/s | ≥ ${fmt(TARGETS.ingest)} records/s | ${yes(w.recordsPerSecond >= TARGETS.ingest)} |`,
    );
    lines.push(
      `| a′ | submit → witnessed, time-stamped proof (the bundle carries the 2-of-2 cosigned checkpoint and the TSA's token), ${fmt(w.anchored.length)} samples during the ingest, beside submit → anchored with them off | p50 ${ms(percentile(w.anchored, 50))}, **p99 ${ms(w99)}**${w.unanchored > 0 ? `, ${w.unanchored} never ready` : ""}; off: p50 ${ms(a50)}, p99 ${ms(a99)} | p99 ≤ ${fmt(TARGETS.anchoredP99Ms)} ms | ${yes(w99 <= TARGETS.anchoredP99Ms && w.unanchored === 0)} |`,
    );
  }
  const g50 = percentile(s.light, 50);
  const g99 = percentile(s.light, 99);
  lines.push(
    `| a | submit → anchored at light load (${fmt(s.light.length)} requests, one every ${LIGHT_INTERVAL_MS} ms; for reference) | p50 ${ms(g50)}, p99 ${ms(g99)}${s.lightUnanchored > 0 ? `, ${s.lightUnanchored} never anchored` : ""} | (p99 ≤ ${fmt(TARGETS.anchoredP99Ms)} ms) | (${g99 <= TARGETS.anchoredP99Ms && s.lightUnanchored === 0 ? "yes" : "no"}) |`,
  );
  lines.push(
    `| a | proof lookup GET /v1/leaves/:hash, ${fmt(s.lookups.length)} random, sequential, all anchored | p50 ${ms(l50)}, **p99 ${ms(l99)}** (${fmt(s.lookupsVerified)} proofs verified) | p99 ≤ ${TARGETS.lookupP99Ms} ms | ${yes(l99 <= TARGETS.lookupP99Ms && s.lookupFailures.length === 0)} |`,
  );
  lines.push(
    `| c | gas per anchored leaf, the service's own heads in this run (${s.heads.count} heads, median ${fmt(s.heads.medianLeaves)} leaves) | **${fmt(s.heads.gasPerLeaf, 2)} gas/leaf** | — | — |`,
  );
  if (gas !== undefined) {
    const largest = Math.max(...gas.rows.map((x) => x.logSize));
    const at1k = gas.rows.find((g) => g.leaves === 1_000 && g.logSize === largest)!;
    const single = gas.rows.find((g) => g.leaves === 1 && g.logSize === largest)!;
    lines.push(
      `| c | one transaction per document: a plain tx carrying the 224-byte leaf as calldata (lower bound) / a size-1 head per document | **${fmt(gas.plainTx.gas)} gas/leaf** / ${fmt(single.gas)} gas/leaf — the plain tx is ${fmt(gas.plainTx.gas / s.heads.gasPerLeaf)}× this run's heads, ${fmt(gas.plainTx.gas / at1k.gasPerLeaf)}× a 1,000-leaf head | — | — |`,
    );
  }
  if (storage !== undefined) {
    const perLeaf = storage.bytesAfterCompaction / storage.leaves;
    lines.push(
      `| d | storage on disk at ${fmt(storage.leaves)} leaves, after compactRange | **${fmt(perLeaf, 1)} bytes/leaf** (${fmt(storage.bytesBeforeCompaction / storage.leaves, 1)} before compaction) | ≤ ${TARGETS.bytesPerLeaf} bytes/leaf | ${yes(perLeaf <= TARGETS.bytesPerLeaf)} |`,
    );
  } else {
    lines.push(
      `| d | storage on disk at 1,000,000 leaves | skipped (BENCH_SKIP_STORAGE) | ≤ ${TARGETS.bytesPerLeaf} bytes/leaf | — |`,
    );
  }
  lines.push("");
  lines.push("## Details");
  lines.push("");
  lines.push(
    `- Ingest: the service's event loop (main thread) was ${fmt(s.eventLoopUtilization * 100)} % busy and used ${fmt(s.mainCpuPerRecordUs, 1)} µs of CPU per record (all threads by name, µs/record, of which in the kernel: ${s.threadCpuPerRecordUs.map(([name, us, sys]) => `${name} ${fmt(us, 1)} (${fmt(sys, 1)})`).join(", ")}); the whole process (service, clients' worker thread, LevelDB and libuv threads) used ${fmt(s.processCores, 2)} of ${os.cpus().length} cores${s.otherCores === undefined ? "" : `; other processes on the machine used ${fmt(s.otherCores, 2)} cores${s.otherCores > 0.25 ? " (**a busy machine: these figures are low**)" : ""}`}. Load average at start: ${LOAD_AT_START.map((l) => l.toFixed(2)).join(", ")}.`,
  );
  lines.push(
    `- Ingest: ${fmt(s.requests)} requests; POST latency p50 ${ms(s.requestP50Ms)}, p99 ${ms(s.requestP99Ms)}; request body ${fmt(s.requestBytesPerRecord)} bytes/record, reply (signed receipts) ${fmt(s.responseBytesPerRecord)} bytes/record. Requests were pre-signed before timing (${ms(s.presignMs / s.requests)} each, ${fmt(s.presignMs / 1000, 1)} s in all)${s.resigned > 0 ? `; ${s.resigned} were re-signed during the run because they neared expiry` : ""}. Clients ran in a worker thread of the same process (own event loop, same cores).`,
  );
  lines.push(
    `- Submit → anchored: p50 ${ms(a50)}, p90 ${ms(percentile(s.anchored, 90))}, p99 ${ms(a99)}, max ${ms(s.anchored[s.anchored.length - 1] ?? Number.NaN)} (one sample per request, polled every ${POLL_MS} ms).`,
  );
  lines.push(
    `- Proof lookups: p50 ${ms(l50)}, p90 ${ms(percentile(s.lookups, 90))}, p99 ${ms(l99)}, max ${ms(s.lookups[s.lookups.length - 1] ?? Number.NaN)}${s.lookupFailures.length > 0 ? `; failures: ${s.lookupFailures.join("; ")}` : ""}.`,
  );
  lines.push(
    `- Heads committed by the service: ${s.heads.count} (leaves per head min ${fmt(s.heads.minLeaves)}, median ${fmt(s.heads.medianLeaves)}, max ${fmt(s.heads.maxLeaves)}), ${fmt(s.heads.totalGas)} gas in all = ${fmt(s.heads.gasPerLeaf, 2)} gas/leaf.`,
  );
  lines.push(
    `- Service database after the run (${fmt(s.dbLeaves)} leaves, not compacted): ${fmt(s.dbBytesPerLeaf, 1)} bytes/leaf.`,
  );
  lines.push(
    `- Baseline time split: tree build ${fmt((b.buildMs / b.elapsedMs) * 100)} %, proofs ${fmt((b.proofMs / b.elapsedMs) * 100)} %, LevelDB synced write ${fmt((b.writeMs / b.elapsedMs) * 100)} %; its database: ${fmt(b.bytesPerLeaf)} bytes/leaf. Its leaf values (the records' SHA-256 leaf hashes) were computed before timing.${baselineOthers === undefined ? "" : ` Other processes used ${fmt(baselineOthers, 2)} cores meanwhile.`}`,
  );
  if (runOthers !== undefined)
    lines.push(
      `- Other processes on the machine used ${fmt(runOthers, 2)} cores on average over the whole run.`,
    );
  if (gas !== undefined) {
    lines.push("");
    lines.push(
      `## Gas (measured on this Anvil${gas.hardfork === undefined ? "" : `, hardfork ${gas.hardfork}`}; scenarios from scripts/ops/gas/commit-head.ts)`,
    );
    lines.push("");
    lines.push("| scenario | leaves in head | gas | gas per leaf |");
    lines.push("|---|---|---|---|");
    for (const g of gas.rows)
      lines.push(
        `| ${g.name}${g.leaves === 1 ? " (a size-1 head per document)" : ""} | ${fmt(g.leaves)} | ${fmt(g.gas)} | ${fmt(g.gasPerLeaf, g.gasPerLeaf < 10 ? 2 : 1)} |`,
      );
    lines.push(
      `| plain transaction, 224-byte leaf as calldata to an EOA (${gas.plainTx.zeroBytes} zero bytes) | 1 | ${fmt(gas.plainTx.gas)} | ${fmt(gas.plainTx.gas)} |`,
    );
    lines.push(
      `| the service's own heads in this run (${s.heads.count} heads) | median ${fmt(s.heads.medianLeaves)} | ${fmt(s.heads.totalGas)} total | ${fmt(s.heads.gasPerLeaf, 2)} |`,
    );
  }
  if (storage !== undefined) {
    lines.push("");
    lines.push(`## Storage at ${fmt(storage.leaves)} leaves`);
    lines.push("");
    lines.push(
      `Filled in-process in ${fmt(storage.fillMs / 1000, 1)} s (${fmt(storage.leaves / (storage.fillMs / 1000))} leaves/s, 1,000 records per IntakeRequest, synced batches); compactRange took ${fmt(storage.compactionMs / 1000, 1)} s. After compaction: ${fmt(storage.bytesAfterCompaction)} bytes in ${storage.files.files} files (tables ${fmt(storage.files.tables)}, log ${fmt(storage.files.log)}, other ${fmt(storage.files.other)}).`,
    );
    lines.push("");
    lines.push("| sublevel | approx. bytes | bytes per leaf |");
    lines.push("|---|---|---|");
    for (const [name, bytes] of Object.entries(storage.sublevels))
      lines.push(`| ${name} | ${fmt(bytes)} | ${fmt(bytes / storage.leaves, 1)} |`);
    lines.push(
      `| **all files** | ${fmt(storage.bytesAfterCompaction)} | **${fmt(storage.bytesAfterCompaction / storage.leaves, 1)}** |`,
    );
  }
  lines.push("");
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------

/** The commit measured, and whether the service's code differs from it. */
function codeVersion(): string {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty =
      execFileSync("git", ["status", "--porcelain", "--", "anchor-service", "common", "contracts"], {
        encoding: "utf8",
      }).trim() !== "";
    return `commit ${commit}${dirty ? " with uncommitted changes in anchor-service/, common/ or contracts/" : ""}`;
  } catch {
    return "commit unknown (not a git checkout)";
  }
}

let baselineOthers: number | undefined;
let runOthers: number | undefined;

async function main(): Promise<void> {
  const missing = REQUIRED_ARTIFACTS.filter((a) => !existsSync(join("artifacts/contracts", a)));
  if (missing.length > 0) {
    console.error(
      `The contracts are not built (missing ${missing.map((m) => `artifacts/contracts/${m}`).join(", ")}).\nRun \`npx hardhat build\` (or \`npm run build\`) first, then \`npm run bench:anchor\` again.`,
    );
    process.exit(2);
  }
  CODE_VERSION = codeVersion();
  const cpus = os.cpus();
  const machine = `Machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown CPU"}), ${fmt(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}.`;
  log(machine);
  log(`code: ${CODE_VERSION}`);
  log(
    `records: ${fmt(N)} over HTTP, baseline up to ${fmt(BASELINE_RECORDS)} (≥ ${fmt(BASELINE_MIN)}, ~${BASELINE_SECONDS} s budget), storage ${SKIP_STORAGE ? "skipped" : fmt(STORAGE_RECORDS)}`,
  );
  const seeds = randomBytes(N * 96);
  const dirs: string[] = [];
  const runSnap = cpuSnapshot();
  let chain: ConsortiumChain | undefined;
  try {
    log("chain: starting Anvil, deploying the consortium contracts, opening the union's log…");
    chain = await startConsortiumChain();
    log(`chain: Anvil on ${chain.anvil.url}, chain id ${chain.chainId}`);

    // (a)
    const service = await runService(chain, seeds, dirs);
    // (a′) the same with the witnesses and a TSA, on a chain of its own (a log's heads belong to one service)
    let witnessed: ServiceResult | undefined;
    if (WITNESSED) {
      log("witnesses and TSA on: a second Anvil and consortium for the same run with them…");
      const settingDir = await mkdtemp(join(os.tmpdir(), "bench-witnessed-"));
      dirs.push(settingDir);
      const setting = await startWitnessedSetting(settingDir);
      const second = await startConsortiumChain();
      try {
        witnessed = await runService(second, seeds, dirs, setting);
      } finally {
        await second.stop();
        await setting.close();
      }
      log(
        `witnesses and TSA on: ${fmt(witnessed.recordsPerSecond)} records/s (off: ${fmt(service.recordsPerSecond)}); submit → witnessed, time-stamped proof p50 ${ms(percentile(witnessed.anchored, 50))}, p99 ${ms(percentile(witnessed.anchored, 99))} (off, submit → anchored: p50 ${ms(percentile(service.anchored, 50))}, p99 ${ms(percentile(service.anchored, 99))})`,
      );
    }

    // (b)
    log(`baseline: computing ${fmt(BASELINE_RECORDS)} leaf values (outside the timing)…`);
    const values: string[] = new Array(BASELINE_RECORDS);
    for (let i = 0; i < BASELINE_RECORDS; i++) values[i] = leafHashHex(seeds, i, MEMBERS.branchA);
    log(
      `baseline: StandardMerkleTree.of(values, ["bytes32"]) per ${fmt(PER_REQUEST)}, getProof(i) for every i, tree dump + proofs in one synced LevelDB batch…`,
    );
    const anvilPid = chain.anvil.process.pid === undefined ? [] : [chain.anvil.process.pid];
    const baseSnap = cpuSnapshot(anvilPid);
    const baseline = await runBaseline(values, {
      perBatch: PER_REQUEST,
      budgetMs: BASELINE_SECONDS * 1000,
      minRecords: BASELINE_MIN,
      keepData: KEEP_DATA,
      log,
    });
    const baseCpu = cpuBetween(baseSnap, cpuSnapshot(anvilPid));
    baselineOthers = baseCpu?.others;
    log(
      `baseline: ${fmt(baseline.records)} records in ${fmt(baseline.elapsedMs / 1000, 1)} s = ${fmt(baseline.recordsPerSecond)} records/s → ratio ${fmt(service.recordsPerSecond / baseline.recordsPerSecond, 1)}×`,
    );

    // (c)
    let gas: GasResult | undefined;
    if (!SKIP_GAS) {
      log(
        "gas: commitHead at 100 / 1,000 / 10,000 leaves per head (and 1, a head per document), logs of 200,000 and 1,000,000 leaves…",
      );
      const leaf = encodeLeaf(evidenceRecord(seeds, 0, MEMBERS.branchA));
      gas = await measureGas(
        chain.anvil.provider,
        chain.anvil.wallet(7),
        chain.anvil.wallet(8),
        chain.anvil.wallet(6).address,
        leaf,
        [200_000, 1_000_000],
        log,
      );
    }

    // (d)
    let storage: StorageResult | undefined;
    if (!SKIP_STORAGE) {
      log(`storage: filling a fresh service database to ${fmt(STORAGE_RECORDS)} leaves in-process…`);
      const c = chain;
      storage = await measureStorage({
        config: (dataDir) =>
          c.config({
            dataDir,
            commitIntervalMs: COMMIT_INTERVAL_MS,
            membershipCacheMs: SERVICE_DEFAULTS.membershipCacheMs,
          }),
        identity: service.identity,
        signer: chain.wallets.branchA.address,
        memberId: MEMBERS.branchA,
        total: STORAGE_RECORDS,
        perRequest: PER_REQUEST,
        inFlight: C,
        keepData: KEEP_DATA,
        log,
      });
      log(
        `storage: ${fmt(storage.bytesAfterCompaction / storage.leaves, 1)} bytes/leaf after compaction (${fmt(storage.bytesBeforeCompaction / storage.leaves, 1)} before)`,
      );
    }

    const totalSeconds = (performance.now() - started) / 1000;
    runOthers = cpuBetween(runSnap, cpuSnapshot(anvilPid))?.others;
    const text = report({ machine, service, witnessed, baseline, gas, storage, totalSeconds });
    await writeFile(REPORT, text);
    console.log(`\n${text}`);
    log(`report written to ${REPORT}; total ${fmt(totalSeconds, 1)} s`);
  } finally {
    await chain?.stop();
    if (!KEEP_DATA) for (const d of dirs) await rm(d, { recursive: true, force: true });
    else if (dirs.length > 0) log(`kept: ${dirs.join(", ")}`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
