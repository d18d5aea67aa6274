// 征信报送: the month's credit-reporting file for this member's loans, with days overdue and the
// next due day read from the ledger (the file's format: reconcile/credit-report.ts).
import type { JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import type { Actor } from "./actor.ts";
import type { LedgerModel } from "./indexer/model.ts";
import { buildCreditReport, type CreditLoan } from "./reconcile/credit-report.ts";

export type CreditReportingDeps = {
  memberId: number;
  model: LedgerModel;
  /** JointLoanLedger (read-only): days overdue, schedule, progress. */
  ledger: JointLoanLedger;
};

export class CreditReporting {
  readonly deps: CreditReportingDeps;

  constructor(deps: CreditReportingDeps) {
    this.deps = deps;
  }

  async creditReport(_actor: Actor, month: string): Promise<string> {
    const loans = await this.deps.model.loansByBranch(this.deps.memberId);
    const rows: CreditLoan[] = [];
    for (const l of loans) {
      if (l.state === "None") continue; // never indexed as such: a registered loan is at least Registered
      const open = l.state === "Registered" || l.state === "Active";
      let daysOverdue = 0;
      let nextDueDay: number | null = null;
      if (l.state === "Active") {
        const [days] = await this.deps.ledger.overdue(l.loanId);
        const schedule = await this.deps.ledger.schedule(l.loanId);
        const progress = await this.deps.ledger.progress(l.loanId);
        daysOverdue = Number(days);
        nextDueDay = Number(schedule[Number(progress.nextInstallment)]?.dueDay ?? 0) || null;
      }
      rows.push({
        loanId: l.loanId,
        borrowerKey: l.borrowerKey,
        principalFen: l.principalFen,
        outstandingFen: open ? l.disbursedFen - l.principalRepaidFen : 0n,
        state: l.state,
        daysOverdue,
        nextDueDay,
      });
    }
    return buildCreditReport(month, rows).csv;
  }
}
