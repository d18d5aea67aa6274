// Early settlement in full (提前结清), as the ledger computes it (JointLoanLedger.settle /
// settlementOwed, LoanTermsVerifier.owed): interest accrued to the day, not all future interest.
// On day `day`, counting from the loan's progress:
//   - every installment due by then (due day ≤ day) in full: its unpaid interest and principal,
//     and its penalty accrued to the day exactly as the ledger accrues it (penalty due so far plus
//     ⌊unpaid principal × penalty rate × whole days since last accrued or since due / 3,650,000⌋);
//   - the installment in progress (the first due after `day`): its unpaid principal and its
//     interest accrued pro rata by days, round_half_up(interest × (day − period start) / (due day −
//     period start)), less what was paid of it; the period starts at the previous installment's
//     due day (or the start day), and one not begun yet (an earlier installment paid ahead) has
//     accrued nothing;
//   - every later installment: its principal only.
// Example (SCHEDULE.md, "Early settlement"): 10,000 yuan at 24% for 12 months from 2026-01-15,
// settled on 2026-01-16, owes 10,000 yuan and round(200 × 1/31) = 6.45 yuan of interest.
import { divRoundHalfUp } from "./money.ts";

export type SettlementInstallment = { dueDay: number; principal: bigint; interest: bigint };

/** IJointLoanLedger.Progress: where repayment stands (the ledger's `progress(loanId)`). */
export type SettlementProgress = {
  nextInstallment: number;
  currentPrincipalPaid: bigint;
  currentInterestPaid: bigint;
  penaltyDue: bigint;
  penaltyAccruedDay: number;
};

export type SettlementInput = {
  schedule: readonly SettlementInstallment[];
  startDay: number;
  progress: SettlementProgress;
  /** The loan's effective penalty rate: min(governed penalty rate, cap − contract rate), ≥ 0. */
  penaltyAprBps: number;
  /** Shanghai day number of the settlement. */
  day: number;
};

export type SettlementOwed = { penaltyFen: bigint; interestFen: bigint; principalFen: bigint; totalFen: bigint };

export function settlementOwed(input: SettlementInput): SettlementOwed {
  const { schedule, startDay, progress, day } = input;
  const rate = BigInt(input.penaltyAprBps);
  let penaltyFen = 0n;
  let interestFen = 0n;
  let principalFen = 0n;
  const next = progress.nextInstallment;
  // the start of the period in progress; null once that installment is counted
  let periodStart: number | null = next === 0 ? startDay : schedule[next - 1]!.dueDay;
  for (let i = next; i < schedule.length; i++) {
    const inst = schedule[i]!;
    const current = i === next;
    const principalPaid = current ? progress.currentPrincipalPaid : 0n;
    const interestPaid = current ? progress.currentInterestPaid : 0n;
    const unpaid = inst.principal - principalPaid;
    principalFen += unpaid;
    if (inst.dueDay <= day) {
      const due = current ? progress.penaltyDue : 0n;
      const accruedDay = current ? progress.penaltyAccruedDay : 0;
      const from = Math.max(accruedDay, inst.dueDay);
      penaltyFen += day <= from ? due : due + (unpaid * rate * BigInt(day - from)) / 3_650_000n;
      interestFen += inst.interest - interestPaid;
      periodStart = inst.dueDay;
    } else if (periodStart !== null) {
      const elapsed = day > periodStart ? day - periodStart : 0;
      const accrued = divRoundHalfUp(inst.interest * BigInt(elapsed), BigInt(inst.dueDay - periodStart));
      if (accrued > interestPaid) interestFen += accrued - interestPaid;
      periodStart = null;
    }
  }
  return { penaltyFen, interestFen, principalFen, totalFen: penaltyFen + interestFen + principalFen };
}
