// `npm run bench:anchor-heap`: the anchor service's memory under a node-like load. The service
// runs as its own process (server.ts, with the witnesses and the TSA of BENCH_WITNESSED), members
// submit a few records a request, poll the leaf until anchored and fetch each record's bundle, as
// the nodes do. At each mark (requests answered) the service's heap is measured after a forced GC
// over the inspector, beside its resident memory, and a heap snapshot written (compare two with
// any heap-snapshot viewer: what the service keeps as its log grows).
//
// Environment: HEAP_MARKS [2000,6000,10000] (requests answered), HEAP_CONCURRENCY [128] (members'
// requests in flight), HEAP_RECORDS_PER_REQUEST [2] (about the nodes' mean in the soak),
// HEAP_DIR [a fresh temporary directory: the snapshots, the service's log, marks.txt],
// HEAP_SNAPSHOTS [1] (0: the figures only).
import { mkdtemp, writeFile } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { AnchorClient, type RecordInput } from "../common/anchor/client.ts";
import { typedDataSignerOf } from "../common/auth/eip712.ts";
import { freePort } from "../test/support/anvil.ts";
import { MEMBERS, recordFor, startConsortiumChain } from "../test/support/consortium-chain.ts";
import { HOST, REPO_ROOT, anchorProcess } from "./parts/anchor-process.ts";
import { int, list } from "./env.ts";
import { startWitnessedSetting } from "./witnessed.ts";

process.chdir(REPO_ROOT);
const env = process.env;
const MARKS = list("HEAP_MARKS", [2_000, 6_000, 10_000]);
const CONCURRENCY = int("HEAP_CONCURRENCY", 128);
const PER_REQUEST = int("HEAP_RECORDS_PER_REQUEST", 2);
const SNAPSHOTS = env.HEAP_SNAPSHOTS !== "0";
const dir = env.HEAP_DIR ?? (await mkdtemp(path.join(os.tmpdir(), "anchor-heap-")));
const started = performance.now();
const say = (line: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${line}`);

const chain = await startConsortiumChain();
const witnessed = await startWitnessedSetting(dir);
const w = witnessed.config;
const inspectPort = await freePort();
const { process: service, url } = await anchorProcess(
  chain,
  path.join(dir, "anchor"),
  path.join(dir, "anchor.log"),
  {
    nodeArgs: ["--expose-gc", `--inspect=${HOST}:${inspectPort}`],
    env: {
      ANCHOR_CHECKPOINT_ORIGIN: w.checkpointOrigin!,
      ANCHOR_CHECKPOINT_KEY: w.checkpointKey!,
      ANCHOR_WITNESS_URLS: w.witnessUrls!.join(","),
      ANCHOR_WITNESS_POLICY_FILE: w.witnessPolicyFile!,
      ANCHOR_TSA_URLS: w.tsaUrls!.join(","),
      ANCHOR_TSA_TRUST_ANCHOR_FILES: w.tsaTrustAnchorFiles!.join(","),
    },
  },
);
await service.start();
say(`anchor service at ${url}, inspector ${inspectPort}, files in ${dir}`);

// --- the inspector: forced GC, memory figures, heap snapshots
const target = (await (await fetch(`http://${HOST}:${inspectPort}/json/list`)).json()) as {
  webSocketDebuggerUrl: string;
}[];
const ws = new WebSocket(target[0]!.webSocketDebuggerUrl);
await new Promise((resolve, reject) => {
  ws.onopen = resolve;
  ws.onerror = reject;
});
let nextId = 1;
const replies = new Map<number, (r: { result?: unknown; error?: unknown }) => void>();
let chunkSink: ((chunk: string) => void) | undefined;
ws.onmessage = (event: MessageEvent) => {
  const msg = JSON.parse(String(event.data)) as {
    id?: number;
    method?: string;
    params?: { chunk: string };
    result?: unknown;
    error?: unknown;
  };
  if (msg.id !== undefined) replies.get(msg.id)?.(msg);
  else if (msg.method === "HeapProfiler.addHeapSnapshotChunk") chunkSink?.(msg.params!.chunk);
};
const cdp = (method: string, params: object = {}) =>
  new Promise<unknown>((resolve, reject) => {
    const id = nextId++;
    replies.set(id, (r) =>
      r.error === undefined ? resolve(r.result) : reject(new Error(JSON.stringify(r.error))),
    );
    ws.send(JSON.stringify({ id, method, params }));
  });
/** process.memoryUsage() in the service right after two full collections. */
const memoryAfterGc = async () => {
  const r = (await cdp("Runtime.evaluate", {
    expression: "gc(); gc(); JSON.stringify(process.memoryUsage())",
    returnByValue: true,
  })) as { result: { value: string } };
  return JSON.parse(r.result.value) as NodeJS.MemoryUsage;
};
const snapshot = async (file: string) => {
  const out = createWriteStream(file);
  chunkSink = (c) => out.write(c);
  await cdp("HeapProfiler.takeHeapSnapshot", { reportProgress: false, captureNumericValue: false });
  chunkSink = undefined;
  await new Promise((resolve) => out.end(resolve));
};

// --- the load
const submitters = [
  { wallet: chain.wallets.branchA, id: MEMBERS.branchA },
  { wallet: chain.wallets.branchB, id: MEMBERS.branchB },
  { wallet: chain.wallets.platform, id: MEMBERS.platform },
  { wallet: chain.wallets.unionOps, id: MEMBERS.union },
];
const clients = submitters.map((m) => new AnchorClient(url, typedDataSignerOf(m.wallet), m.id));
let records = 0;
let requests = 0;
let polls = 0;
let bundles = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let stopping = false;
const member = async (i: number) => {
  const client = clients[i % clients.length]!;
  while (!stopping) {
    const batch = Array.from({ length: PER_REQUEST }, () => recordFor(randomBytes(16))) as RecordInput[];
    const receipts = await client.submit(batch);
    records += receipts.length;
    requests++;
    // the leaf's view until anchored (a node's pending anchoring), then each record's bundle
    for (;;) {
      polls++;
      const view = (await (await fetch(`${url}/v1/leaves/${receipts[0]!.leafHash}`)).json()) as {
        status?: string;
      };
      if (view.status === "anchored") break;
      await sleep(250);
    }
    for (const r of receipts) {
      const reply = await fetch(`${url}/v1/bundles/${r.leafHash}`);
      await reply.arrayBuffer();
      if (reply.status === 200) bundles++;
    }
  }
};
const loops = Array.from({ length: CONCURRENCY }, (_, i) => member(i));
const rows: string[] = [];
const MB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const mark = async (label: string) => {
  const m = await memoryAfterGc();
  const line = `${label}: ${requests} requests (${records} records), ${polls} leaf views, ${bundles} bundles; after GC: heapUsed ${MB(m.heapUsed)}, heapTotal ${MB(m.heapTotal)}, external ${MB(m.external)} (arrayBuffers ${MB(m.arrayBuffers)}), RSS ${MB(m.rss)}`;
  say(line);
  rows.push(line);
  if (SNAPSHOTS) {
    const file = path.join(dir, `${label}.heapsnapshot`);
    await snapshot(file);
    say(`snapshot ${file}`);
  }
};
await sleep(3000);
await mark("start");
for (const at of MARKS) {
  while (requests < at) await sleep(500);
  await mark(`at-${at}`);
}
stopping = true;
await Promise.allSettled(loops);
await writeFile(path.join(dir, "marks.txt"), rows.join("\n") + "\n");
ws.close();
await service.stop();
await witnessed.close();
await chain.stop();
say("done");
