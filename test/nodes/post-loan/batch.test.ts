// The nightly post-loan batch over a stub index: each signal gives its level and reason, a run
// stopped after its first chunk carries on from its cursor to the same result as an uncut run,
// and the early-warning list comes out as CSV, red first.
import { expect } from "chai";
import { MemoryLevel } from "memory-level";
import type { Sublevel } from "../../../common/level.ts";
import { PostLoanBatch, type BatchDeps } from "../../../nodes/src/post-loan/batch.ts";
import { SimulatedEnforcementList } from "../../../nodes/src/post-loan/enforcement.ts";

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
      "loan_id,branch,level,days_past_due,exposure_fen,exposure_before_fen,new_loans_elsewhere,reasons",
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
});
