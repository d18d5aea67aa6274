// Parts 3 and 4: for each log size, a fresh Anvil and a fresh anchor service (its own process,
// production defaults, LevelDB on disk) filled over HTTP with signed 1,000-record requests from
// C concurrent clients, while its committer anchors heads on chain. Measured: the ingest rate
// (and how it moves as the log grows), submit → anchored latency, then — with every leaf
// anchored — proof lookups over HTTP and offline verification of bundles, and finally the bytes
// the service stored per leaf, before and after LevelDB's compactRange.
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Level } from "level";
import { requestDomain, signRequest } from "../../common/auth/request-signing.ts";
import { fromHex } from "../../common/bytes.ts";
import { parseBundleJson } from "../../common/formats/bundle/bundle.ts";
import { verifyOffline } from "../../common/formats/bundle/verify.ts";
import { verifyInclusion } from "../../common/formats/merkle/rfc9162.ts";
import { MEMBERS, UNION_LOG, startConsortiumChain } from "../../test/support/consortium-chain.ts";
import { submissionHeaders } from "../../common/anchor/client.ts";
import { SEED_BYTES, leafHashHex, submittedRecord, type PreparedSubmission } from "../data.ts";
import { latency, rateOverProgress } from "../report/stats.ts";
import type { ScalingResult, ScalingRun } from "../report/types.ts";
import { anchorProcess } from "./anchor-process.ts";
import { HttpClient } from "./http.ts";

type Log = (line: string) => void;

export type ScalingOptions = {
  sizes: number[];
  concurrency: number;
  perRequest: number;
  lookups: number;
  verifications: number;
  log: Log;
};
/** Raw samples for the charts (not in the report's JSON). */
export type ScalingSamples = { leaves: number; anchoredMs: number[]; lookupMs: number[]; verifyMs: number[] };

const TTL_SECONDS = 290; // the service accepts at most 300
const HEAD_POLL_MS = 50;
const ANCHOR_TIMEOUT_MS = 180_000;

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await dirBytes(p);
    else if (entry.isFile()) total += (await stat(p)).size;
  }
  return total;
}

/** Heads as GET /v1/heads lists them, followed incrementally: the anchored tree size. */
class HeadFollower {
  anchored = 0;
  heads = 0;
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  async poll(): Promise<void> {
    for (;;) {
      const { heads } = await this.#client.json<{ heads: Array<{ treeSize: number }> }>(
        `/v1/heads?from=${this.anchored + 1}&limit=1000`,
      );
      for (const h of heads) {
        this.anchored = Math.max(this.anchored, h.treeSize);
        this.heads++;
      }
      if (heads.length < 1000) return;
    }
  }
}

async function runSize(
  leaves: number,
  opts: ScalingOptions,
): Promise<{ run: ScalingRun; samples: ScalingSamples }> {
  const { log } = opts;
  const dir = await mkdtemp(path.join(tmpdir(), `bench-scale-${leaves}-`));
  const chain = await startConsortiumChain();
  const dataDir = path.join(dir, "anchor");
  const { process: service, url } = await anchorProcess(chain, dataDir, path.join(dir, "anchor.log"));
  let client: HttpClient | undefined;
  let headPoller: NodeJS.Timeout | undefined;
  try {
    await service.start();
    client = new HttpClient(url, opts.concurrency + 2);
    const http = client;
    log(
      `scaling ${leaves.toLocaleString("en-US")}: anchor service on ${url} (fresh Anvil and data directory)`,
    );

    // pre-sign every request (branch A's key) before the clock starts
    const seeds = randomBytes(leaves * SEED_BYTES);
    const wallet = chain.wallets.branchA;
    const domain = requestDomain(chain.chainId, chain.deployment.addresses.consortiumRegistry);
    // the member's submission signature does not expire: a re-signed request keeps it
    const sign = async (body: Buffer, submission: Record<string, string>) => {
      const h = await signRequest(
        wallet,
        domain,
        { method: "POST", path: "/v1/leaves", body },
        { ttlSeconds: TTL_SECONDS },
      );
      return {
        headers: { "content-type": "application/json", ...h, ...submission },
        expiresAt: Number(h["x-jl-expires-at"]),
      };
    };
    const info = {
      chainId: chain.chainId.toString(),
      evidenceLog: chain.deployment.addresses.evidenceLog,
      logId: UNION_LOG,
    };
    const signStarted = performance.now();
    const requests: PreparedSubmission[] = [];
    for (let first = 0; first < leaves; first += opts.perRequest) {
      const count = Math.min(opts.perRequest, leaves - first);
      const records = Array.from({ length: count }, (_, k) => submittedRecord(seeds, first + k));
      const body = Buffer.from(JSON.stringify({ records }), "utf8");
      const submission = await submissionHeaders(wallet, info, MEMBERS.branchA, records);
      requests.push({ body, submission, ...(await sign(body, submission)), count });
    }
    log(
      `scaling ${leaves.toLocaleString("en-US")}: ${requests.length} requests signed in ${((performance.now() - signStarted) / 1000).toFixed(1)} s; ingest with ${opts.concurrency} clients…`,
    );

    // ingest, sampling the acknowledged count for the rate-over-size curve
    const follower = new HeadFollower(http);
    const pending: Array<{ lastSeq: number; sentAt: number }> = [];
    const anchoredMs: number[] = [];
    let acknowledged = 0;
    let next = 0;
    let resigned = 0;
    // warm-up: a fresh process runs its first requests cold (JIT, first chain reads); the first
    // 1–4 requests go one at a time before the clock starts. They are part of the log.
    const warmRequests = Math.min(
      requests.length - 1,
      Math.max(1, Math.min(4, Math.floor(requests.length / 10))),
    );
    for (const r of requests.slice(0, warmRequests)) {
      const reply = await http.request("POST", "/v1/leaves", r.headers, r.body);
      if (reply.status !== 200)
        throw new Error(`POST /v1/leaves (warm-up): ${reply.status} ${reply.head.slice(0, 300)}`);
      acknowledged += r.count;
    }
    next = warmRequests;
    const warmupRecords = acknowledged;
    const completions: Array<[number, number]> = []; // [when, records acknowledged by then]
    const started = performance.now();
    let lastSendAt = started;
    let polling = false;
    const settle = () => {
      const now = performance.now();
      for (let i = pending.length - 1; i >= 0; i--) {
        if (pending[i]!.lastSeq < follower.anchored) {
          anchoredMs.push(now - pending[i]!.sentAt);
          pending.splice(i, 1);
        }
      }
    };
    headPoller = setInterval(() => {
      if (polling) return;
      polling = true;
      follower
        .poll()
        .then(settle, () => undefined)
        .finally(() => (polling = false));
    }, HEAD_POLL_MS);
    let lastProgress = started;
    const worker = async () => {
      while (next < requests.length) {
        const r = requests[next++]!;
        if (r.expiresAt - Date.now() / 1000 < 20) {
          Object.assign(r, await sign(r.body, r.submission));
          resigned++;
        }
        const sentAt = performance.now();
        lastSendAt = sentAt;
        const reply = await http.request("POST", "/v1/leaves", r.headers, r.body);
        if (reply.status !== 200)
          throw new Error(`POST /v1/leaves: ${reply.status} ${reply.head.slice(0, 300)}`);
        const m = /"sequence":(\d+)/g;
        let lastSeq = -1;
        for (let hit = m.exec(reply.tail); hit !== null; hit = m.exec(reply.tail))
          lastSeq = Math.max(lastSeq, Number(hit[1]));
        if (lastSeq < 0) throw new Error("POST /v1/leaves: no receipt sequence in the reply's tail");
        pending.push({ lastSeq, sentAt });
        acknowledged += r.count;
        completions.push([performance.now(), acknowledged]);
        if (performance.now() - lastProgress > 5_000) {
          lastProgress = performance.now();
          log(
            `scaling ${leaves.toLocaleString("en-US")}: ${acknowledged.toLocaleString("en-US")} records durable, ${Math.round(acknowledged / ((lastProgress - started) / 1000)).toLocaleString("en-US")} records/s; anchored ${follower.anchored.toLocaleString("en-US")}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const elapsed = performance.now() - started;
    // The curve: windows of at least one request per client (and at most ~25 points a run), over
    // the steady part only — up to the last send; after it the clients drain and the last
    // replies, of work begun earlier, would read as a burst. A run too short for one window
    // gets its average at its size.
    const steady = completions
      .filter(([at]) => at <= lastSendAt)
      .map(([at, done]): [number, number] => [at, done - warmupRecords]);
    const windowed = rateOverProgress(
      steady,
      started,
      Math.max(opts.concurrency * opts.perRequest, leaves / 25),
    ).map(([done, r]): [number, number] => [done + warmupRecords, r]);
    const perSecond = (leaves - warmupRecords) / (elapsed / 1000);
    log(
      `scaling ${leaves.toLocaleString("en-US")}: ingested in ${(elapsed / 1000).toFixed(2)} s = ${Math.round(perSecond).toLocaleString("en-US")} records/s${resigned > 0 ? ` (${resigned} requests re-signed near expiry)` : ""}; waiting until every leaf is anchored…`,
    );
    const deadline = Date.now() + ANCHOR_TIMEOUT_MS;
    while (pending.length > 0 || follower.anchored < leaves) {
      if (Date.now() > deadline)
        throw new Error(
          `after ${ANCHOR_TIMEOUT_MS / 1000} s the anchored tree size is ${follower.anchored} of ${leaves}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
    clearInterval(headPoller);
    while (polling) await new Promise((r) => setTimeout(r, 10));
    await follower.poll();

    // proof lookups over HTTP, one at a time, each proof checked afterwards
    log(
      `scaling ${leaves.toLocaleString("en-US")}: ${follower.heads} heads; ${opts.lookups} proof lookups, ${opts.verifications} offline bundle verifications…`,
    );
    const pick = () => Math.floor(Math.random() * leaves);
    const lookupMs: number[] = [];
    const answers: Array<{ leafHash: string; text: string }> = [];
    for (let k = 0; k < opts.lookups; k++) {
      const leafHash = leafHashHex(seeds, pick(), MEMBERS.branchA);
      const t0 = performance.now();
      const r = await http.request("GET", `/v1/leaves/${leafHash}`, {}, undefined, true);
      lookupMs.push(r.doneAt - t0);
      if (r.status !== 200)
        throw new Error(`GET /v1/leaves/${leafHash}: ${r.status} ${r.text?.slice(0, 300)}`);
      answers.push({ leafHash, text: r.text! });
    }
    let lookupsVerified = 0;
    for (const a of answers) {
      const v = JSON.parse(a.text) as {
        status: string;
        sequence: number;
        head?: { treeSize: number; rootHash: string };
        inclusionProof?: string[];
      };
      if (
        v.status === "anchored" &&
        v.head !== undefined &&
        v.inclusionProof !== undefined &&
        verifyInclusion(
          v.sequence,
          v.head.treeSize,
          fromHex(a.leafHash),
          v.inclusionProof.map(fromHex),
          fromHex(v.head.rootHash),
        )
      )
        lookupsVerified++;
    }
    // offline verification: a bundle fetched (not timed), then parsed and checked without a chain
    const verifyMs: number[] = [];
    let bundlesVerified = 0;
    for (let k = 0; k < opts.verifications; k++) {
      const leafHash = leafHashHex(seeds, pick(), MEMBERS.branchA);
      const r = await http.request("GET", `/v1/bundles/${leafHash}`, {}, undefined, true);
      if (r.status !== 200)
        throw new Error(`GET /v1/bundles/${leafHash}: ${r.status} ${r.text?.slice(0, 300)}`);
      const t0 = performance.now();
      const checks = verifyOffline(parseBundleJson(r.text!));
      verifyMs.push(performance.now() - t0);
      if (
        ["leafEncoding", "merklePath"].every((id) => checks.find((c) => c.id === id)?.outcome === "pass") &&
        !checks.some((c) => c.outcome === "fail")
      )
        bundlesVerified++;
    }

    // bytes on disk: as the service left them, then compacted
    client.close();
    client = undefined;
    await service.stop();
    const bytesBeforeCompaction = await dirBytes(dataDir);
    const db = new Level<Uint8Array, Uint8Array>(dataDir, {
      keyEncoding: "view",
      valueEncoding: "view",
    }) as unknown as {
      open(): Promise<void>;
      close(): Promise<void>;
      compactRange(a: Uint8Array, b: Uint8Array): Promise<void>;
    };
    await db.open();
    await db.compactRange(new Uint8Array([0x00]), new Uint8Array(64).fill(0xff));
    await db.close();
    const bytesAfterCompaction = await dirBytes(dataDir);
    const run: ScalingRun = {
      leaves,
      warmupRecords,
      seconds: elapsed / 1000,
      perSecond,
      rateOverSize: windowed.length > 0 ? windowed : [[leaves, perSecond]],
      anchoredMs: latency(anchoredMs),
      bytesBeforeCompaction,
      bytesAfterCompaction,
      heads: follower.heads,
      lookupMs: latency(lookupMs),
      verifyMs: latency(verifyMs),
      lookupsVerified,
      bundlesVerified,
    };
    log(
      `scaling ${leaves.toLocaleString("en-US")}: submit → anchored p99 ${run.anchoredMs.p99.toFixed(0)} ms; lookup p50/p99 ${run.lookupMs.p50.toFixed(2)}/${run.lookupMs.p99.toFixed(2)} ms (${lookupsVerified} proofs verified); offline verification p99 ${run.verifyMs.p99.toFixed(2)} ms; ${(bytesAfterCompaction / leaves).toFixed(1)} bytes/leaf compacted (${(bytesBeforeCompaction / leaves).toFixed(1)} as left)`,
    );
    return { run, samples: { leaves, anchoredMs, lookupMs, verifyMs } };
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\n--- anchor service log (${path.join(dir, "anchor.log")}):\n${await service.logTail(15)}`,
      { cause: error },
    );
  } finally {
    clearInterval(headPoller);
    client?.close();
    await service.stop();
    await chain.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runScaling(
  opts: ScalingOptions,
): Promise<{ result: ScalingResult; samples: ScalingSamples[] }> {
  const runs: ScalingRun[] = [];
  const samples: ScalingSamples[] = [];
  for (const size of opts.sizes) {
    const { run, samples: s } = await runSize(size, opts);
    runs.push(run);
    samples.push(s);
  }
  return {
    result: { mode: "http", concurrency: opts.concurrency, perRequest: opts.perRequest, runs },
    samples,
  };
}
