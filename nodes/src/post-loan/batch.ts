// The nightly post-loan batch (贷后风险预警, 夜间批量): for every active loan the member services
// (or, at the union, every active loan), the signals — days past due from the chain, the
// borrower's consortium-wide exposure grown since the last run, new loans at other branches, an
// entry on a court enforcement list — become an early-warning entry with a level and its reasons.
// The run is resumable: loans are taken in loan-id order in chunks, and each chunk's warnings and
// the run's cursor are written in one batch, so a run cut short by a crash carries on from its
// last chunk and never counts a loan twice. Warnings carry ids, amounts and reasons only.
import type { Sublevel } from "../../../common/level.ts";
import type { LedgerModel, Loan, LoanState } from "../indexer/model.ts";
import { formatSafeCsv } from "../reconcile/safe-csv.ts";
import type { EnforcementList } from "./enforcement.ts";

export type WarningLevel = "red" | "orange" | "yellow";
export const WARNING_LEVELS: readonly WarningLevel[] = ["red", "orange", "yellow"];

export type EarlyWarning = {
  loanId: string;
  branch: number;
  level: WarningLevel;
  reasons: string[];
  daysPastDue: number;
  exposureFen: string;
  exposureBeforeFen: string | null;
  newLoansElsewhere: number;
};

export type BatchRun = {
  runId: string;
  startedAt: number;
  finishedAt: number | null;
  /** The last loan id of the last chunk written. */
  cursor: string | null;
  scanned: number;
  warnings: Record<WarningLevel, number>;
  /** How many times the run was picked up again after stopping short. */
  resumed: number;
};

export type BatchPolicy = {
  /** Exposure growth since the last run that is a warning, in basis points of the earlier exposure. */
  exposureGrowthBps: number;
  /** Days past due from which a loan is red. */
  redDays: number;
  chunk: number;
};

export const DEFAULT_BATCH_POLICY: BatchPolicy = { exposureGrowthBps: 5_000, redDays: 30, chunk: 500 };

/** What the batch reads of a loan (the index's Loan has these and more). */
export type WatchedLoan = Pick<Loan, "loanId" | "branch" | "borrowerKey" | "registeredAt">;

type Stored = BatchRun | EarlyWarning | { exposureFen: string; at: number };

export type BatchDeps = {
  /** The member whose loans are watched; undefined: every active loan (the union). */
  branch?: number;
  model: {
    loansByState(state: LoanState): Promise<WatchedLoan[]>;
    loansByBorrower(borrowerKey: string): Promise<WatchedLoan[]>;
    borrowerExposure: LedgerModel["borrowerExposure"];
  };
  /** Days past due now, from the chain. */
  daysPastDue: (loanId: string) => Promise<number>;
  enforcement: EnforcementList;
  /**
   * `run!<runId>` → BatchRun, `w!<runId>!<loanId>` → EarlyWarning, `x!<borrowerKey>` → the
   * exposure last seen (JSON).
   */
  store: Sublevel<string, Stored>;
  policy?: BatchPolicy;
  /** Unix seconds. */
  now: () => number;
};

export class PostLoanBatch {
  readonly deps: BatchDeps;
  readonly policy: BatchPolicy;

  constructor(deps: BatchDeps) {
    this.deps = deps;
    this.policy = deps.policy ?? DEFAULT_BATCH_POLICY;
  }

  async run(runId: string, opts: { stopAfterChunks?: number } = {}): Promise<BatchRun> {
    const existing = (await this.deps.store.get(`run!${runId}`)) as BatchRun | undefined;
    if (existing?.finishedAt != null) return existing;
    const run: BatchRun = existing
      ? { ...existing, resumed: existing.resumed + 1 }
      : {
          runId,
          startedAt: this.deps.now(),
          finishedAt: null,
          cursor: null,
          scanned: 0,
          warnings: { red: 0, orange: 0, yellow: 0 },
          resumed: 0,
        };
    const loans = (await this.deps.model.loansByState("Active"))
      .filter((l) => this.deps.branch === undefined || l.branch === this.deps.branch)
      .sort((a, b) => (a.loanId < b.loanId ? -1 : a.loanId > b.loanId ? 1 : 0));
    const start = run.cursor === null ? 0 : loans.findIndex((l) => l.loanId > run.cursor!);
    let chunks = 0;
    for (let i = start < 0 ? loans.length : start; i < loans.length; i += this.policy.chunk) {
      if (opts.stopAfterChunks !== undefined && chunks >= opts.stopAfterChunks) return run;
      const ops: Array<{ type: "put"; key: string; value: Stored }> = [];
      for (const loan of loans.slice(i, i + this.policy.chunk)) {
        const { warning, exposure } = await this.#assess(loan);
        run.scanned++;
        ops.push({ type: "put", key: `x!${loan.borrowerKey}`, value: exposure });
        if (warning === undefined) continue;
        run.warnings[warning.level]++;
        ops.push({ type: "put", key: `w!${runId}!${loan.loanId}`, value: warning });
      }
      run.cursor = loans[Math.min(i + this.policy.chunk, loans.length) - 1]!.loanId;
      ops.push({ type: "put", key: `run!${runId}`, value: run });
      // the chunk's warnings and the cursor together: a crash leaves the run at a chunk boundary
      await this.deps.store.batch(ops);
      chunks++;
    }
    run.finishedAt = this.deps.now();
    await this.deps.store.put(`run!${runId}`, run);
    return run;
  }

  async warnings(runId: string): Promise<EarlyWarning[]> {
    const prefix = `w!${runId}!`;
    const out: EarlyWarning[] = [];
    for await (const value of this.deps.store.values({ gte: prefix, lt: `${prefix}\xff` }))
      out.push(value as EarlyWarning);
    const rank = (w: EarlyWarning) => WARNING_LEVELS.indexOf(w.level);
    return out.sort((a, b) => rank(a) - rank(b) || b.daysPastDue - a.daysPastDue);
  }

  async csv(runId: string): Promise<string> {
    const rows = (await this.warnings(runId)).map((w) => [
      w.loanId,
      String(w.branch),
      w.level,
      String(w.daysPastDue),
      w.exposureFen,
      w.exposureBeforeFen ?? "",
      String(w.newLoansElsewhere),
      w.reasons.join("; "),
    ]);
    return formatSafeCsv([
      [
        "loan_id",
        "branch",
        "level",
        "days_past_due",
        "exposure_fen",
        "exposure_before_fen",
        "new_loans_elsewhere",
        "reasons",
      ],
      ...rows,
    ]);
  }

  async #assess(loan: WatchedLoan) {
    const now = this.deps.now();
    const before = (await this.deps.store.get(`x!${loan.borrowerKey}`)) as
      { exposureFen: string; at: number } | undefined;
    const exposure = await this.deps.model.borrowerExposure(loan.borrowerKey);
    const days = await this.deps.daysPastDue(loan.loanId);
    const listed = await this.deps.enforcement.status(loan.borrowerKey);
    const since = before?.at ?? loan.registeredAt;
    const newElsewhere = (await this.deps.model.loansByBorrower(loan.borrowerKey)).filter(
      (l) => l.loanId !== loan.loanId && l.branch !== loan.branch && l.registeredAt > since,
    ).length;
    const reasons: string[] = [];
    let level: WarningLevel | undefined;
    const raise = (to: WarningLevel, reason: string) => {
      reasons.push(reason);
      if (level === undefined || WARNING_LEVELS.indexOf(to) < WARNING_LEVELS.indexOf(level)) level = to;
    };
    if (listed.listed) raise("red", `on the court ${listed.list} list`);
    if (days >= this.policy.redDays) raise("red", `${days} days past due`);
    else if (days > 0) raise("orange", `${days} days past due`);
    const earlier = before === undefined ? null : BigInt(before.exposureFen);
    if (
      earlier !== null &&
      earlier > 0n &&
      exposure * 10_000n > earlier * BigInt(10_000 + this.policy.exposureGrowthBps)
    )
      raise("yellow", `consortium-wide exposure grew from ${earlier} to ${exposure} fen`);
    if (newElsewhere > 0) raise("yellow", `${newElsewhere} new loan(s) at other branches`);
    const warning: EarlyWarning | undefined =
      level === undefined
        ? undefined
        : {
            loanId: loan.loanId,
            branch: loan.branch,
            level,
            reasons,
            daysPastDue: days,
            exposureFen: exposure.toString(),
            exposureBeforeFen: earlier === null ? null : earlier.toString(),
            newLoansElsewhere: newElsewhere,
          };
    return { warning, exposure: { exposureFen: exposure.toString(), at: now } };
  }
}
