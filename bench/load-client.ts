// The benchmark's HTTP clients, in a worker thread so they do not share the service's event loop
// (a real member calls from another machine; here both share the same cores, which the report
// says). It pre-signs every request, then on "go" runs C concurrent clients that each POST signed
// 1,000-record requests back to back, while a sampler polls GET /v1/leaves/:hash for one record
// of every request until it reads "anchored" (with `proof: "witnessed"`: until it says the
// record's bundle carries a witnessed checkpoint and a TSA token, and the bundle then fetched
// holds both). On "light" it measures the same latency at a light load; on "lookups" it times
// random proof lookups.
import { randomBytes } from "node:crypto";
import http from "node:http";
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import { Wallet } from "ethers";
import { requestDomain, signRequest } from "../common/auth/request-signing.ts";
import { fromHex } from "../common/bytes.ts";
import { verifyInclusion } from "../common/formats/merkle/rfc9162.ts";
import { asBuffer, leafHashHex, submittedRecord, type PreparedSubmission } from "./data.ts";
import { submissionHeaders } from "../common/anchor/client.ts";

export type LoadClientInit = {
  url: string;
  seeds: Uint8Array;
  records: number;
  perRequest: number;
  concurrency: number;
  privateKey: string;
  chainId: string;
  registry: string;
  /** The EvidenceLog and log the records go to (the submission signature's domain and message). */
  evidenceLog: string;
  logId: string;
  submitter: number;
  ttlSeconds: number;
  pollMs: number;
  /**
   * When a record's proof counts as ready: "anchored" (GET /v1/leaves says so; the default), or
   * "witnessed" (GET /v1/leaves says its bundle carries the cosigned checkpoint and a time-stamp token,
   * and GET /v1/bundles, asked then, gives that bundle).
   */
  proof?: "anchored" | "witnessed";
};

export type LoadClientMessage =
  | { type: "ready"; requests: number; presignMs: number; bodyBytes: number }
  | { type: "progress"; records: number; elapsedMs: number }
  | {
      type: "ingested";
      records: number;
      requests: number;
      elapsedMs: number;
      resigned: number;
      responseBytes: number;
      requestLatencies: number[];
    }
  | { type: "latency"; samples: number[]; unanchored: number }
  | { type: "light"; samples: number[]; unanchored: number }
  | { type: "lookups"; latencies: number[]; verified: number; failures: string[] }
  | { type: "error"; message: string };

const init = workerData as LoadClientInit;
const seeds = asBuffer(init.seeds);
const target = new URL(init.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: init.concurrency + 2 });
const post = (m: LoadClientMessage) => parentPort!.postMessage(m);

type Response = { status: number; head: string; bytes: number; text?: string };

/** One HTTP exchange; keeps only the first few KB of a 200 reply (receipts are ~1 MB a request). */
function exchange(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
  keepAll = false,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        method,
        path,
        headers: body === undefined ? headers : { ...headers, "content-length": String(body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        let bytes = 0;
        res.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
          if (keepAll || res.statusCode !== 200 || kept < 4096) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            head: text.slice(0, 4096),
            bytes,
            ...(keepAll || res.statusCode !== 200 ? { text } : {}),
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

type Prepared = PreparedSubmission & { sampleIndex: number; sampleHash: string };

const wallet = new Wallet(init.privateKey);
const domain = requestDomain(BigInt(init.chainId), init.registry);

/** The member's submission signature over a request's records (it does not expire: a re-signed request keeps it). */
const submissionOf = (records: Parameters<typeof submissionHeaders>[3]) =>
  submissionHeaders(
    wallet,
    { chainId: init.chainId, evidenceLog: init.evidenceLog, logId: init.logId },
    init.submitter,
    records,
  );

async function sign(
  body: Buffer,
  submission: Record<string, string>,
): Promise<{ headers: Record<string, string>; expiresAt: number }> {
  const signed = await signRequest(
    wallet,
    domain,
    { method: "POST", path: "/v1/leaves", body },
    { ttlSeconds: init.ttlSeconds },
  );
  return {
    headers: { "content-type": "application/json", ...signed, ...submission },
    expiresAt: Number(signed["x-jl-expires-at"]),
  };
}

async function prepare(): Promise<Prepared[]> {
  const out: Prepared[] = [];
  for (let first = 0; first < init.records; first += init.perRequest) {
    const count = Math.min(init.perRequest, init.records - first);
    const records = [];
    for (let i = first; i < first + count; i++) records.push(submittedRecord(seeds, i));
    const body = Buffer.from(JSON.stringify({ records }), "utf8");
    const sampleIndex = count - 1; // the request's last record
    const submission = await submissionOf(records);
    out.push({
      body,
      submission,
      ...(await sign(body, submission)),
      count,
      sampleIndex,
      sampleHash: leafHashHex(seeds, first + sampleIndex, init.submitter),
    });
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- submit-to-anchored sampler --------------------------------------------------------------
// Anchoring is monotone in sequence number (a head covers a prefix of the log), so the sampler
// keeps the samples sorted by sequence and, every tick, asks about the lowest pending one; when it
// reads "anchored", it asks at once (in parallel) about every pending sample its head covers, then
// about the next one. Each sample's anchored moment is still observed by its own GET, at a
// fraction of the polling load of asking about every sample every tick.
type Sample = { seq: number; hash: string; sentAt: number };
/** Whether a record's proof is ready, and the size of the head that holds it. */
type ProofView = { ready: boolean; treeSize?: number; status: string };

async function proofOf(hash: string): Promise<ProofView> {
  const r = await exchange("GET", `/v1/leaves/${hash}`, {}, undefined, true);
  if (r.status !== 200) throw new Error(`GET /v1/leaves/${hash}: ${r.status} ${r.text}`);
  const view = JSON.parse(r.text!) as {
    status: string;
    head?: { treeSize: number };
    bundle?: { witnessed: boolean; trustedTime: boolean };
  };
  const anchored = view.status === "anchored";
  const treeSize = view.head === undefined ? {} : { treeSize: view.head.treeSize };
  if (init.proof !== "witnessed") return { ready: anchored, status: view.status, ...treeSize };
  // the leaf view says when the bundle carries the cosigned checkpoint and the tokens; the
  // bundle is then fetched once, as a court's client would, and the sample is ready only when
  // the client holds it
  if (!anchored || view.bundle?.witnessed !== true || view.bundle.trustedTime !== true)
    return { ready: false, status: anchored ? "anchored" : view.status, ...treeSize };
  const b = await exchange("GET", `/v1/bundles/${hash}`, {}, undefined, true);
  if (b.status === 409 || b.status === 503)
    return { ready: false, status: `bundle ${b.status}`, ...treeSize };
  if (b.status !== 200) throw new Error(`GET /v1/bundles/${hash}: ${b.status} ${b.text}`);
  const bundle = JSON.parse(b.text!) as {
    head: { treeSize: number };
    witnessed?: unknown;
    trustedTime?: unknown;
  };
  const ready = bundle.witnessed !== undefined && bundle.trustedTime !== undefined;
  return { ready, treeSize: bundle.head.treeSize, status: ready ? "witnessed and stamped" : "anchored" };
}

class Sampler {
  readonly pending: Sample[] = [];
  readonly latencies: number[] = [];
  /** Set once no more samples will be added. */
  closed = false;

  add(s: Sample): void {
    let lo = 0;
    let hi = this.pending.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.pending[mid]!.seq < s.seq) lo = mid + 1;
      else hi = mid;
    }
    this.pending.splice(lo, 0, s);
  }

  /** Polls until closed and every sample reads anchored (or 120 s after closing). */
  async run(): Promise<{ samples: number[]; unanchored: number }> {
    const { pending, latencies } = this;
    let closedAt: number | undefined;
    for (;;) {
      while (pending.length > 0) {
        const s = pending[0]!;
        const view = await proofOf(s.hash);
        if (!view.ready) break;
        latencies.push(performance.now() - s.sentAt);
        pending.shift();
        // The head that anchored it covers every pending sample below its size: ask about each of
        // those in parallel (each still timed by its own reply), not one round trip at a time.
        const covered: Sample[] = [];
        while (pending.length > 0 && pending[0]!.seq < view.treeSize!) covered.push(pending.shift()!);
        await Promise.all(
          covered.map(async (c) => {
            const v = await proofOf(c.hash);
            if (v.ready) return void latencies.push(performance.now() - c.sentAt);
            // a witnessed checkpoint of a larger head may come before this head's TSA token: ask again later
            if (init.proof === "witnessed") return this.add(c);
            throw new Error(
              `${c.hash} (sequence ${c.seq}) reads ${v.status} although head ${view.treeSize} covers it`,
            );
          }),
        );
      }
      if (this.closed) {
        closedAt ??= performance.now();
        if (pending.length === 0 || performance.now() - closedAt > 120_000)
          return { samples: latencies, unanchored: pending.length };
      }
      await sleep(init.pollMs);
    }
  }
}

// ---- ingest ----------------------------------------------------------------------------------
async function ingest(requests: Prepared[], sampler: Sampler): Promise<void> {
  let next = 0;
  let records = 0;
  let resigned = 0;
  let responseBytes = 0;
  const requestLatencies: number[] = [];
  const started = performance.now();
  const progress = setInterval(
    () => post({ type: "progress", records, elapsedMs: performance.now() - started }),
    2000,
  );
  const client = async () => {
    for (;;) {
      const r = next++;
      if (r >= requests.length) return;
      const p = requests[r]!;
      // a request pre-signed long ago would be refused as expired: sign it again (counted)
      if (Date.now() / 1000 > p.expiresAt - 15) {
        Object.assign(p, await sign(p.body, p.submission));
        resigned++;
      }
      const sentAt = performance.now();
      const res = await exchange("POST", "/v1/leaves", p.headers, p.body);
      requestLatencies.push(performance.now() - sentAt);
      if (res.status !== 200)
        throw new Error(`POST /v1/leaves (request ${r}): ${res.status} ${res.text?.slice(0, 500)}`);
      responseBytes += res.bytes;
      const first = /"firstSequence":(\d+)/.exec(res.head);
      if (first === null)
        throw new Error(`request ${r}: no firstSequence in the reply: ${res.head.slice(0, 300)}`);
      sampler.add({ seq: Number(first[1]) + p.sampleIndex, hash: p.sampleHash, sentAt });
      records += p.count;
    }
  };
  try {
    await Promise.all(Array.from({ length: init.concurrency }, client));
  } finally {
    clearInterval(progress);
  }
  const elapsedMs = performance.now() - started;
  sampler.closed = true;
  post({
    type: "ingested",
    records,
    requests: requests.length,
    elapsedMs,
    resigned,
    responseBytes,
    requestLatencies,
  });
}

// ---- light load: submit-to-anchored when the service is not saturated --------------------------
// One request of `perRequest` fresh records every `intervalMs` (open loop: not waiting for the
// previous reply), each signed just before it is sent; one sample per request as above.
async function light(requests: number, intervalMs: number): Promise<void> {
  const sampler = new Sampler();
  const polling = sampler.run();
  const inFlight: Promise<void>[] = [];
  for (let k = 0; k < requests; k++) {
    const seedsK = randomBytes(init.perRequest * 96);
    const records = Array.from({ length: init.perRequest }, (_, i) => submittedRecord(seedsK, i));
    const body = Buffer.from(JSON.stringify({ records }), "utf8");
    const { headers } = await sign(body, await submissionOf(records));
    const sentAt = performance.now();
    inFlight.push(
      exchange("POST", "/v1/leaves", headers, body).then((res) => {
        if (res.status !== 200)
          throw new Error(`POST /v1/leaves (light ${k}): ${res.status} ${res.text?.slice(0, 500)}`);
        const first = /"firstSequence":(\d+)/.exec(res.head);
        if (first === null) throw new Error(`light ${k}: no firstSequence in the reply`);
        sampler.add({
          seq: Number(first[1]) + init.perRequest - 1,
          hash: leafHashHex(seedsK, init.perRequest - 1, init.submitter),
          sentAt,
        });
      }),
    );
    await sleep(Math.max(0, intervalMs - (performance.now() - sentAt)));
  }
  await Promise.all(inFlight);
  sampler.closed = true;
  const result = await polling;
  post({ type: "light", ...result });
}

// ---- proof lookups ---------------------------------------------------------------------------
async function lookups(count: number): Promise<void> {
  const times: number[] = [];
  const failures: string[] = [];
  let verified = 0;
  for (let k = 0; k < count; k++) {
    const i = Math.floor(Math.random() * init.records);
    const hash = leafHashHex(seeds, i, init.submitter);
    const t = performance.now();
    const r = await exchange("GET", `/v1/leaves/${hash}`, {}, undefined, true);
    times.push(performance.now() - t);
    // outside the timing: the answer must be an anchored leaf whose proof verifies
    const view = JSON.parse(r.text!) as {
      status: string;
      sequence: number;
      head?: { treeSize: number; rootHash: string };
      inclusionProof?: string[];
    };
    if (r.status !== 200 || view.status !== "anchored" || view.head === undefined) {
      if (failures.length < 5) failures.push(`${hash}: ${r.status} ${view.status}`);
      continue;
    }
    if (
      verifyInclusion(
        view.sequence,
        view.head.treeSize,
        fromHex(hash),
        view.inclusionProof!.map(fromHex),
        fromHex(view.head.rootHash),
      )
    )
      verified++;
    else if (failures.length < 5) failures.push(`${hash}: inclusion proof does not verify`);
  }
  post({ type: "lookups", latencies: times, verified, failures });
}

async function main(): Promise<void> {
  const t = performance.now();
  const requests = await prepare();
  post({
    type: "ready",
    requests: requests.length,
    presignMs: performance.now() - t,
    bodyBytes: requests.reduce((a, p) => a + p.body.length, 0),
  });
  parentPort!.on("message", (m: { type: string; count?: number; intervalMs?: number }) => {
    let run: Promise<unknown> = Promise.resolve();
    if (m.type === "go") {
      const sampler = new Sampler();
      run = Promise.all([
        ingest(requests, sampler),
        sampler.run().then((r) => post({ type: "latency", ...r })),
      ]);
    } else if (m.type === "light") run = light(m.count!, m.intervalMs!);
    else if (m.type === "lookups") run = lookups(m.count!);
    run.catch((e: unknown) =>
      post({ type: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
    );
    if (m.type === "close") agent.destroy();
  });
}

main().catch((e: unknown) =>
  post({ type: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
);
