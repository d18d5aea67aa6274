// The nightly post-loan batch (贷后风险预警, 夜间批量): for every active loan the member services
// (or, at the union, every active loan), the signals — days past due from the chain, the
// borrower's consortium-wide exposure grown since the last run, new loans at other branches, an
// entry on a court enforcement list, and for the loans the policy selects a post-loan credit
// re-query (the union's credit service, purpose POST_LOAN_MANAGEMENT, only where the borrower's
// consent covers it) — become an early-warning entry with a level, its reasons and the loan's
// five-level classification (五级分类) by days past due.
// The run is resumable: loans are taken in loan-id order in chunks, and each chunk's warnings and
// the run's cursor are written in one batch, so a run cut short by a crash carries on from its
// last chunk and never counts a loan twice. Warnings carry ids, amounts and reasons only.
import type { Sublevel } from "../../../common/level.ts";
import type { LedgerModel, Loan, LoanState } from "../indexer/model.ts";
import type { BureauReportSummary } from "../bureau/bureau.ts";
import { formatSafeCsv } from "../reconcile/safe-csv.ts";
import { fiveLevelClass } from "../reporting.ts";
import type { EnforcementList } from "./enforcement.ts";
import { PolicyService } from "./policy-service.ts";

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
  /** 五级分类 by days past due (正常 / 关注 / 次级 / 可疑 / 损失). */
  fiveLevel: ReturnType<typeof fiveLevelClass>;
  /** The post-loan re-query's figures, when this run made one for the borrower. */
  creditReport: CreditSignal | null;
};

/** What the batch reads of a post-loan credit report. */
export type CreditSignal = Pick<BureauReportSummary, "score" | "overdueAccounts" | "worstOverdueDays">;

/** A re-query's outcome: the report's figures, or why there is none. */
export type CreditRequery = CreditSignal | "out-of-scope";

export type BatchRun = {
  runId: string;
  startedAt: number;
  finishedAt: number | null;
  /** The last loan id of the last chunk written. */
  cursor: string | null;
  scanned: number;
  warnings: Record<WarningLevel, number>;
  /** Post-loan credit re-queries: made, refused as outside the borrower's consent, failed. */
  creditQueries: { made: number; outOfScope: number; failed: number };
  /** How many times the run was picked up again after stopping short. */
  resumed: number;
};

export type BatchPolicy = {
  /** Exposure growth since the last run that is a warning, in basis points of the earlier exposure. */
  exposureGrowthBps: number;
  /** Days past due from which a loan is red. */
  redDays: number;
  chunk: number;
  /**
   * Which loans get a post-loan credit re-query: those with another warning signal or at least
   * this many days past due (0: none), each borrower at most once per `requeryIntervalDays`.
   */
  requeryDaysPastDue: number;
  requeryIntervalDays: number;
};

export const DEFAULT_BATCH_POLICY: BatchPolicy = {
  exposureGrowthBps: 5_000,
  redDays: 30,
  chunk: 500,
  requeryDaysPastDue: 1,
  requeryIntervalDays: 30,
};

/** What the batch reads of a loan (the index's Loan has these and more). */
export type WatchedLoan = Pick<Loan, "loanId" | "branch" | "borrowerKey" | "registeredAt">;

type Stored = BatchRun | EarlyWarning | { exposureFen: string; at: number } | number;

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
   * The post-loan credit re-query of a borrower (the node: queryWithConsent, purpose
   * POST_LOAN_MANAGEMENT, through the union's node where configured); "out-of-scope" when no
   * consent in force covers that purpose, so nothing was asked. None: no re-queries.
   */
  creditReport?: (borrowerKey: string) => Promise<CreditRequery>;
  /** Told of each finished run and its wall-clock seconds (the node's Prometheus metrics). */
  onFinished?: (run: BatchRun, seconds: number) => void;
  /**
   * `run!<runId>` → BatchRun, `w!<runId>!<loanId>` → EarlyWarning, `x!<borrowerKey>` → the
   * exposure last seen (JSON), `q!<borrowerKey>` → when it was last re-queried (Unix seconds).
   */
  store: Sublevel<string, Stored>;
  policy?: BatchPolicy;
  /** Unix seconds. */
  now: () => number;
};

export class PostLoanBatch extends PolicyService<BatchPolicy, BatchDeps> {
  constructor(deps: BatchDeps) {
    super(deps, DEFAULT_BATCH_POLICY);
  }

  async run(runId: string, opts: { stopAfterChunks?: number } = {}): Promise<BatchRun> {
    const began = performance.now();
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
          creditQueries: { made: 0, outOfScope: 0, failed: 0 },
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
        const { warning, exposure, requeried } = await this.#assess(loan, run);
        run.scanned++;
        ops.push({ type: "put", key: `x!${loan.borrowerKey}`, value: exposure });
        if (requeried) ops.push({ type: "put", key: `q!${loan.borrowerKey}`, value: exposure.at });
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
    this.deps.onFinished?.(run, (performance.now() - began) / 1000);
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
      w.fiveLevel,
      String(w.daysPastDue),
      w.exposureFen,
      w.exposureBeforeFen ?? "",
      String(w.newLoansElsewhere),
      w.creditReport === null ? "" : String(w.creditReport.score),
      w.reasons.join("; "),
    ]);
    return formatSafeCsv([
      [
        "loan_id",
        "branch",
        "level",
        "five_level",
        "days_past_due",
        "exposure_fen",
        "exposure_before_fen",
        "new_loans_elsewhere",
        "credit_score",
        "reasons",
      ],
      ...rows,
    ]);
  }

  async #assess(loan: WatchedLoan, run: BatchRun) {
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
    const report = await this.#requery(loan.borrowerKey, days, level !== undefined, now, run);
    if (report !== null && report.overdueAccounts > 0 && report.worstOverdueDays > days)
      raise(
        "orange",
        `credit report: ${report.overdueAccounts} overdue account(s), worst ${report.worstOverdueDays} days`,
      );
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
            fiveLevel: fiveLevelClass(days),
            creditReport: report,
          };
    return {
      warning,
      exposure: { exposureFen: exposure.toString(), at: now },
      requeried: report !== null,
    };
  }

  /**
   * The post-loan re-query, for a loan the policy selects and a borrower not re-queried within
   * the interval; null when none was made (not selected, outside the consent, or it failed — the
   * batch goes on without it).
   */
  async #requery(
    borrowerKey: string,
    days: number,
    signalled: boolean,
    now: number,
    run: BatchRun,
  ): Promise<CreditSignal | null> {
    const { requeryDaysPastDue, requeryIntervalDays } = this.policy;
    if (this.deps.creditReport === undefined || requeryDaysPastDue <= 0) return null;
    if (!signalled && days < requeryDaysPastDue) return null;
    const last = (await this.deps.store.get(`q!${borrowerKey}`)) as number | undefined;
    if (last !== undefined && now - last < requeryIntervalDays * 86_400) return null;
    let outcome: CreditRequery;
    try {
      outcome = await this.deps.creditReport(borrowerKey);
    } catch {
      run.creditQueries.failed++;
      return null;
    }
    if (outcome === "out-of-scope") {
      run.creditQueries.outOfScope++;
      return null;
    }
    run.creditQueries.made++;
    return {
      score: outcome.score,
      overdueAccounts: outcome.overdueAccounts,
      worstOverdueDays: outcome.worstOverdueDays,
    };
  }
}
