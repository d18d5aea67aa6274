// 征信报送: the month's credit-reporting file for this member's loans, as they stood at the end of
// that month (23:59:59 Asia/Shanghai on its last day), whatever day it is built: a loan's balance
// is what was disbursed less the principal repaid by then (from the indexed fund flows), its days
// overdue are counted at the month's last day from the schedule and what had been paid by then,
// and a loan settled or registered after the month's end is reported as it then was (or not at
// all). Before a loan is first reported overdue, the borrower is notified (征信业管理条例 Art. 15)
// through the notice service. The file's format: reconcile/credit-report.ts.
import type { JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import { daysInMonth, dateToDay, dayToDate, dueTimestamp } from "../../common/lending/dates.ts";
import type { Actor } from "./actor.ts";
import type { LedgerModel, Loan } from "./indexer/model.ts";
import type { KeeperNotices } from "./keeper/keeper.ts";
import { buildCreditReport, type CreditLoan } from "./reconcile/credit-report.ts";
import { ReconcileError } from "./reconcile/errors.ts";
import { Room } from "./room.ts";

export type CreditReportingDeps = {
  memberId: number;
  model: LedgerModel;
  /** JointLoanLedger (read-only): each loan's schedule. */
  ledger: JointLoanLedger;
  /** Notices to borrowers (absent: no negative-data pre-notice is sent). */
  notices?: KeeperNotices;
};

/** The last day of `month` ('YYYY-MM') and the last second of it, Asia/Shanghai. */
export function monthEnd(month: string): { day: number; cutoff: number } {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  const year = Number(m?.[1]);
  const mon = Number(m?.[2]);
  if (m === null || mon < 1 || mon > 12 || year < 1970)
    throw new ReconcileError("NODE_ERR_CREDIT_REPORT_INPUT", `month: YYYY-MM, got ${JSON.stringify(month)}`, [
      { field: "month", message: "YYYY-MM" },
    ]);
  const day = dateToDay(`${month}-${String(daysInMonth(year, mon)).padStart(2, "0")}`);
  return { day, cutoff: dueTimestamp(day) };
}

/** 五级分类 by days overdue (正常 / 关注 / 次级 / 可疑 / 损失), the usual retail-loan mapping. */
export function fiveLevelClass(daysOverdue: number): "正常" | "关注" | "次级" | "可疑" | "损失" {
  if (daysOverdue <= 0) return "正常";
  if (daysOverdue <= 90) return "关注";
  if (daysOverdue <= 180) return "次级";
  if (daysOverdue <= 360) return "可疑";
  return "损失";
}

export class CreditReporting extends Room<CreditReportingDeps> {
  async creditReport(_actor: Actor, month: string): Promise<string> {
    const { day: endDay, cutoff } = monthEnd(month);
    const rows: CreditLoan[] = [];
    for (const l of await this.deps.model.loansByBranch(this.deps.memberId)) {
      if (l.state === "None" || l.registeredAt > cutoff) continue; // not yet registered at the month's end
      const row = await this.#atMonthEnd(l, endDay, cutoff);
      rows.push(row);
      if (row.daysOverdue > 0) await this.#preNotify(l, row.daysOverdue, endDay);
    }
    return buildCreditReport(month, rows).csv;
  }

  /** The loan as it stood at `cutoff`. */
  async #atMonthEnd(l: Loan, endDay: number, cutoff: number): Promise<CreditLoan> {
    const base = { loanId: l.loanId, borrowerKey: l.borrowerKey, principalFen: l.principalFen };
    const flows = (await this.deps.model.flowsByLoan(l.loanId)).filter((f) => f.timestamp <= cutoff);
    const disbursed = flows.filter((f) => f.type === "disbursement").reduce((s, f) => s + f.amountFen, 0n);
    const repayments = flows.filter((f) => f.type === "repayment");
    const principalRepaid = repayments.reduce((s, f) => s + f.principalFen, 0n);
    if (l.settled !== undefined && l.settled.timestamp <= cutoff)
      return { ...base, outstandingFen: 0n, state: "Settled", daysOverdue: 0, nextDueDay: null };
    if (disbursed === 0n) {
      // never disbursed by then: registered, or already cancelled or expired
      const state = l.state === "Cancelled" ? "Cancelled" : "Registered";
      return { ...base, outstandingFen: 0n, state, daysOverdue: 0, nextDueDay: null };
    }
    // what the borrower had paid towards the schedule (interest and principal; penalty apart)
    let paid = repayments.reduce((s, f) => s + f.interestFen + f.principalFen, 0n);
    let daysOverdue = 0;
    let nextDueDay: number | null = null;
    // the earliest installment not paid in full by then: its due day, and how late it was
    for (const i of await this.deps.ledger.schedule(l.loanId)) {
      const due = i.principal + i.interest;
      if (paid >= due) {
        paid -= due;
        continue;
      }
      nextDueDay = Number(i.dueDay);
      daysOverdue = Math.max(0, endDay - nextDueDay);
      break;
    }
    return {
      ...base,
      outstandingFen: disbursed - principalRepaid,
      state: "Active",
      daysOverdue,
      nextDueDay,
    };
  }

  /** 征信业管理条例 Art. 15: the borrower hears before the first negative report (once per loan). */
  async #preNotify(l: Loan, daysOverdue: number, endDay: number): Promise<void> {
    await this.deps.notices?.deliver({
      noticeId: `credit-negative:${l.loanId}`,
      loanId: l.loanId,
      borrowerKey: l.borrowerKey,
      templateId: "credit-negative.v1",
      params: { loanRef: l.loanId.slice(2, 10), daysPastDue: daysOverdue, deadline: dayToDate(endDay + 10) },
    });
  }
}
