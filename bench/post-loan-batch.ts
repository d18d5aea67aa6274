// The nightly post-loan batch (nodes/src/post-loan/batch.ts) over N active loans: one full run,
// then the same night cut after half its chunks and resumed in a new batch object, on a real
// LevelDB in a temporary directory. The index is synthetic and in memory (a third of the
// borrowers hold two loans, 1% of loans overdue, 0.1% of borrowers on an enforcement list) and
// days past due come from a stub, so the figure is the batch's own cost, not the chain's reads:
// a node asks the ledger once per loan on top. The post-loan credit re-queries the policy selects
// (the overdue and listed borrowers) answer from a stub after BENCH_REQUERY_MS (default 50 ms, a
// round trip to the union's node and its bureau cache), one at a time as the batch makes them.
//
//   node bench/post-loan-batch.ts                 # 100,000 loans
//   BENCH_LOANS=10000 node bench/post-loan-batch.ts  # small profile
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { PostLoanBatch, type BatchDeps } from "../nodes/src/post-loan/batch.ts";
import { SimulatedEnforcementList } from "../nodes/src/post-loan/enforcement.ts";

const N = Number(process.env.BENCH_LOANS ?? 100_000);
const REQUERY_MS = Number(process.env.BENCH_REQUERY_MS ?? 50);
const hex = (n: number, tag: number) => `0x${tag.toString(16)}${n.toString(16).padStart(63, "0")}`;

const loans = Array.from({ length: N }, (_, i) => ({
  loanId: hex(i + 1, 1),
  branch: 2 + (i % 3),
  borrowerKey: hex(i % Math.ceil((N * 2) / 3), 2),
  registeredAt: 1_000,
  state: "Active",
}));
const byBorrower = new Map<string, typeof loans>();
for (const l of loans) byBorrower.set(l.borrowerKey, [...(byBorrower.get(l.borrowerKey) ?? []), l]);
const listed: Record<string, "dishonest"> = {};
for (let i = 0; i < N; i += 1000) listed[loans[i]!.borrowerKey] = "dishonest";

const dir = await mkdtemp(join(tmpdir(), "post-loan-bench-"));
const db = new Level(dir);
const deps = (store: string): BatchDeps => ({
  model: {
    loansByState: async () => loans,
    loansByBorrower: async (k: string) => byBorrower.get(k) ?? [],
    borrowerExposure: async (k: string) => BigInt((byBorrower.get(k)?.length ?? 0) * 1_000_000),
  },
  daysPastDue: async (loanId: string) => (Number.parseInt(loanId.slice(-4), 16) % 100 === 0 ? 12 : 0),
  enforcement: new SimulatedEnforcementList(listed),
  store: db.sublevel(store, { valueEncoding: "json" }) as BatchDeps["store"],
  creditReport: async () => {
    await new Promise((resolve) => setTimeout(resolve, REQUERY_MS));
    return { score: 600, overdueAccounts: 1, worstOverdueDays: 12 };
  },
  now: () => 2_000,
});

try {
  let t = performance.now();
  const full = await new PostLoanBatch(deps("full")).run("night");
  const fullMs = performance.now() - t;
  const chunks = Math.ceil(N / 500);
  t = performance.now();
  const cut = await new PostLoanBatch(deps("cut")).run("night", { stopAfterChunks: Math.floor(chunks / 2) });
  const resumed = await new PostLoanBatch(deps("cut")).run("night");
  const cutMs = performance.now() - t;
  console.log(
    JSON.stringify(
      {
        loans: N,
        fullRun: {
          seconds: +(fullMs / 1000).toFixed(2),
          loansPerSecond: Math.round(N / (fullMs / 1000)),
          warnings: full.warnings,
          creditQueries: full.creditQueries,
          requeryMs: REQUERY_MS,
        },
        cutAndResumed: {
          seconds: +(cutMs / 1000).toFixed(2),
          scannedBeforeCut: cut.scanned,
          scanned: resumed.scanned,
          resumed: resumed.resumed,
          sameWarnings: JSON.stringify(resumed.warnings) === JSON.stringify(full.warnings),
        },
        target: "100,000 loans in ≤ 600 s",
      },
      null,
      2,
    ),
  );
} finally {
  await db.close();
  await rm(dir, { recursive: true, force: true });
}
