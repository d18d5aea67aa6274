// The nightly post-loan batch over a stub index: each signal gives its level and reason, a run
// stopped after its first chunk carries on from its cursor to the same result as an uncut run,
// and the early-warning list comes out as CSV, red first.
import { expect } from "chai";
import { MemoryLevel } from "memory-level";
import type { Sublevel } from "../../../common/level.ts";
import { PostLoanBatch, type BatchDeps } from "../../../nodes/src/post-loan/batch.ts";
import { SimulatedEnforcementList } from "../../../nodes/src/post-loan/enforcement.ts";
import { postLoanBatchMetrics } from "../../../nodes/src/post-loan/metrics.ts";
import { secondsUntilShanghaiHour } from "../../../nodes/src/wiring/post-loan.ts";
import { metricsRegistry } from "../../../common/service/metrics.ts";
import { shanghaiTime } from "./clock.ts";

const id = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;
const key = (n: number) => `0x${(1000 + n).toString(16).padStart(64, "0")}`;

function world(count: number) {
  const loans = Array.from({ length: count }, (_, i) => ({
    loanId: id(i + 1),
    branch: 2,
    borrowerKey: key(i + 1),
    registeredAt: 1_000,
    state: "Active",
  }));
  const exposure = new Map(loans.map((l) => [l.borrowerKey, 100_000n]));
  const elsewhere: Array<{ loanId: string; branch: number; borrowerKey: string; registeredAt: number }> = [];
  const days = new Map<string, number>([
    [id(3), 45],
    [id(7), 2],
  ]);
  let clock = 2_000;
  const deps = (db: MemoryLevel): BatchDeps =>
    ({
      branch: 2,
      model: {
        loansByState: async () => loans,
        loansByBorrower: async (k: string) => [
          ...loans.filter((l) => l.borrowerKey === k),
          ...elsewhere.filter((l) => l.borrowerKey === k),
        ],
        borrowerExposure: async (k: string) => exposure.get(k) ?? 0n,
      },
      daysPastDue: async (loanId: string) => days.get(loanId) ?? 0,
      enforcement: new SimulatedEnforcementList({ [key(5)]: "dishonest" }),
      store: db.sublevel("post-loan", { valueEncoding: "json" }) as Sublevel<string, never>,
      policy: { exposureGrowthBps: 5_000, redDays: 30, chunk: 4 },
      now: () => clock,
    }) as never;
  return { loans, exposure, elsewhere, deps, tick: (s: number) => void (clock += s) };
}

/** The world's policy with re-queries: loans with a signal or 1+ days past due, once in 30 days. */
const REQUERY_POLICY = {
  exposureGrowthBps: 5_000,
  redDays: 30,
  chunk: 4,
  requeryDaysPastDue: 1,
  requeryIntervalDays: 30,
};

describe("post-loan nightly batch: early warnings, resumable", function () {
  it("levels and reasons: enforcement list and 30+ days red, days past due orange, exposure growth and new loans elsewhere yellow", async function () {
    const w = world(10);
    const batch = new PostLoanBatch(w.deps(new MemoryLevel()));
    const first = await batch.run("2026-11-01");
    expect(first).to.deep.include({ scanned: 10, warnings: { red: 2, orange: 1, yellow: 0 }, resumed: 0 });
    // the next night: borrower 8's exposure up 60%, borrower 9 took a loan at branch 3
    w.tick(86_400);
    w.exposure.set(key(8), 160_000n);
    w.elsewhere.push({ loanId: id(99), branch: 3, borrowerKey: key(9), registeredAt: 2_000 + 3_600 });
    await batch.run("2026-11-02");
    const list = await batch.warnings("2026-11-02");
    const of = (n: number) => list.find((x) => x.loanId === id(n));
    expect(of(5)).to.deep.include({ level: "red", reasons: ["on the court dishonest list"] });
    expect(of(3)).to.deep.include({ level: "red", reasons: ["45 days past due"] });
    expect(of(7)).to.deep.include({ level: "orange", reasons: ["2 days past due"] });
    expect(of(8)!.level).to.equal("yellow");
    expect(of(8)!.exposureBeforeFen).to.equal("100000");
    expect(of(9)).to.deep.include({ level: "yellow", newLoansElsewhere: 1 });
    expect(list.map((x) => x.level)).to.deep.equal(["red", "red", "orange", "yellow", "yellow"]);
    const csv = await batch.csv("2026-11-02");
    expect(csv.split("\r\n")[0]).to.equal(
      "loan_id,branch,level,five_level,days_past_due,exposure_fen,exposure_before_fen,new_loans_elsewhere,credit_score,reasons",
    );
    expect(csv.split("\r\n").filter((l) => l.length > 0)).to.have.length(6);
  });

  it("a run stopped after its first chunk resumes from its cursor: every loan once, the same warnings", async function () {
    const uncut = world(10);
    const clean = new PostLoanBatch(uncut.deps(new MemoryLevel()));
    await clean.run("night");
    const w = world(10);
    const db = new MemoryLevel();
    const cut = await new PostLoanBatch(w.deps(db)).run("night", { stopAfterChunks: 1 });
    expect(cut).to.deep.include({ scanned: 4, finishedAt: null, cursor: id(4) });
    // a new process picks the run up
    const resumed = await new PostLoanBatch(w.deps(db)).run("night");
    expect(resumed).to.deep.include({ scanned: 10, resumed: 1 });
    expect(resumed.finishedAt).to.not.equal(null);
    expect(resumed.warnings).to.deep.equal((await clean.run("night")).warnings);
    expect(await new PostLoanBatch(w.deps(db)).warnings("night")).to.deep.equal(
      await clean.warnings("night"),
    );
    // a finished run is not run again
    expect((await new PostLoanBatch(w.deps(db)).run("night")).resumed).to.equal(1);
  });

  it("re-queries the borrowers the policy selects, within their consent; five-level class and score in the list and CSV; metrics", async function () {
    const w = world(10);
    const asked: string[] = [];
    const registry = metricsRegistry();
    const batch = new PostLoanBatch({
      ...w.deps(new MemoryLevel()),
      policy: REQUERY_POLICY,
      creditReport: (borrowerKey) => {
        asked.push(borrowerKey);
        if (borrowerKey === key(7)) return Promise.resolve("out-of-scope");
        return Promise.resolve({ score: 520, overdueAccounts: 2, worstOverdueDays: 60 });
      },
      onFinished: postLoanBatchMetrics(registry),
    });
    const run = await batch.run("n1");
    // selected: 45 and 2 days past due, and the borrower on the enforcement list; the rest not
    expect([...asked].sort()).to.deep.equal([key(3), key(5), key(7)].sort());
    expect(run.creditQueries).to.deep.equal({ made: 2, outOfScope: 1, failed: 0 });
    const list = await batch.warnings("n1");
    const of = (n: number) => list.find((x) => x.loanId === id(n))!;
    expect(of(3)).to.deep.include({ fiveLevel: "关注", daysPastDue: 45 });
    expect(of(3).creditReport).to.deep.equal({ score: 520, overdueAccounts: 2, worstOverdueDays: 60 });
    expect(of(3).reasons).to.include("credit report: 2 overdue account(s), worst 60 days");
    expect(of(5)).to.deep.include({ level: "red", fiveLevel: "正常" });
    expect(of(7)).to.deep.include({ level: "orange", creditReport: null, fiveLevel: "关注" });
    const rows = (await batch.csv("n1")).split("\r\n");
    expect(
      rows
        .find((r) => r.startsWith(id(3)))!
        .split(",")
        .slice(2, 5),
    ).to.deep.equal(["red", "关注", "45"]);
    expect(rows.find((r) => r.startsWith(id(3)))).to.include(",520,");
    // the next night: borrowers re-queried within the interval are not asked again
    w.tick(86_400);
    asked.length = 0;
    const next = await batch.run("n2");
    expect(asked).to.deep.equal([key(7)]);
    expect(next.creditQueries).to.deep.equal({ made: 0, outOfScope: 1, failed: 0 });
    const text = await registry.metrics();
    expect(text).to.include("node_post_loan_loans_scanned_total 20");
    expect(text).to.include('node_post_loan_warnings_total{level="red"} 4');
    expect(text).to.include('node_post_loan_credit_requeries_total{outcome="made"} 2');
    expect(text).to.include("node_post_loan_batch_duration_seconds_count 2");
  });

  it("a re-query that fails is counted and the batch goes on without it", async function () {
    const w = world(10);
    const batch = new PostLoanBatch({
      ...w.deps(new MemoryLevel()),
      policy: REQUERY_POLICY,
      creditReport: () => Promise.reject(new Error("bureau unavailable")),
    });
    const run = await batch.run("n1");
    expect(run).to.deep.include({ scanned: 10, warnings: { red: 2, orange: 1, yellow: 0 } });
    expect(run.creditQueries).to.deep.equal({ made: 0, outOfScope: 0, failed: 3 });
  });

  it("the nightly timer waits until the configured hour, Asia/Shanghai", function () {
    const day = 20_000;
    expect(secondsUntilShanghaiHour(shanghaiTime(day, 1, 30), 2)).to.equal(1800);
    expect(secondsUntilShanghaiHour(shanghaiTime(day, 2, 0), 2)).to.equal(86_400);
    expect(secondsUntilShanghaiHour(shanghaiTime(day, 23, 0), 2)).to.equal(3 * 3600);
  });
});
