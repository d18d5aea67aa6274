// Partial prepayment (提前部分还款), as the ledger computes it (IJointLoanLedger.prepay /
// prepaymentOwed, contracts/libraries/Settlement.sol `prepayment`); SCHEDULE.md "Partial
// prepayment". On day `day`, with installment k in progress (nothing paid of it, not late) and
// `open` the principal still open, prepaying `principal` (0 < principal < open):
//   - interest to the day on what is prepaid: round_half_up(interest_k × principal × (day − period
//     start) / (open × (due_k − period start))), none before the period began;
//   - the rest of the schedule, the borrower's choice: LowerInstallments scales the principal of
//     installments k… cumulatively by open′ / open (half up), ShortenTerm keeps each installment's
//     total and ends once the principal is repaid; either way each installment's interest is scaled
//     by its new balance over its old (half up);
//   - within the all-in cap: what fits today is the loan's headroom plus the old unpaid
//     installments less the new ones (present values at the cap), grown to the day; a fee above
//     what is left of it is refused, and without a fee what does not fit comes off the interest,
//     then the principal paid (forgiven, as in an early settlement).
import { CodedError } from "../errors.ts";
import {
  type SettlementInstallment,
  type SettlementProgress,
  discountUp,
  grow,
  presentValue,
} from "./settlement.ts";

/** IJointLoanLedger.PrepaymentMode: keep each later installment's total and end sooner (缩短期限), or keep the term and lower the installments (减少月供). */
export const PrepaymentMode = { ShortenTerm: 0, LowerInstallments: 1 } as const;
export type PrepaymentMode = (typeof PrepaymentMode)[keyof typeof PrepaymentMode];

export type PrepaymentErrorCode =
  /** 0 or at least the principal open (LedgerBadPrepayment); all of it is an early settlement. */
  | "PREPAYMENT_BAD_PRINCIPAL"
  /** The installment in progress is partly paid, owes penalty or is late (LedgerInstallmentOpen). */
  | "PREPAYMENT_INSTALLMENT_OPEN"
  /** The fee would take the all-in cost above the cap (LedgerPrepaymentFeeAboveCap); see `maxFeeFen`. */
  | "PREPAYMENT_FEE_ABOVE_CAP";

export class PrepaymentError extends CodedError<PrepaymentErrorCode> {
  /** The figure the refusal names: the principal open, the installment, or the most fee allowed. */
  readonly limit: bigint;

  constructor(code: PrepaymentErrorCode, message: string, limit: bigint) {
    super(code, message);
    this.limit = limit;
  }
}

export type PrepaymentInput = {
  schedule: readonly SettlementInstallment[];
  startDay: number;
  progress: SettlementProgress;
  /** Shanghai day number of the prepayment. */
  day: number;
  principalFen: bigint;
  mode: PrepaymentMode;
  feeFen: bigint;
  /** The ledger's cap (`params().aprCapBps`), the loan's headroom (`loan().allInSlack`) and whether it is a bullet. */
  allIn: { capBps: number; slackFen: bigint; bullet: boolean };
};

export type PrepaymentOwed = {
  interestFen: bigint;
  /** The principal paid: `principalFen` unless the cap forgives part of it. */
  principalPaidFen: bigint;
  feeFen: bigint;
  /** interest + principal paid + fee: what `prepay` takes as `amount`. */
  totalFen: bigint;
  /** The largest prepayment fee the cap allows today. */
  maxFeeFen: bigint;
  /** The loan's headroom under the cap afterwards (`loan().allInSlack`). */
  slackFen: bigint;
  /** The whole new schedule (`schedule(loanId)` afterwards); installments from `fromInstallment` changed. */
  schedule: SettlementInstallment[];
  fromInstallment: number;
};

const FP = 1n << 64n;
const U32 = (1n << 32n) - 1n;

export function prepaymentOwed(input: PrepaymentInput): PrepaymentOwed {
  const { schedule, startDay, progress, day, principalFen: principal, allIn } = input;
  const k = progress.nextInstallment;
  const current = schedule[k]!;
  if (
    progress.currentPrincipalPaid !== 0n ||
    progress.currentInterestPaid !== 0n ||
    progress.penaltyDue !== 0n ||
    progress.penaltyAccruedDay !== 0 ||
    day > current.dueDay
  ) {
    throw new PrepaymentError(
      "PREPAYMENT_INSTALLMENT_OPEN",
      `installment ${k} is partly paid or late: repay it first`,
      BigInt(k),
    );
  }
  const open = schedule.slice(k).reduce((sum, i) => sum + i.principal, 0n);
  if (principal <= 0n || principal >= open) {
    throw new PrepaymentError(
      "PREPAYMENT_BAD_PRINCIPAL",
      `prepay more than 0 and less than the ${open} fen open`,
      open,
    );
  }
  const periodStart = k === 0 ? startDay : schedule[k - 1]!.dueDay;
  const elapsed = BigInt(day > periodStart ? day - periodStart : 0);
  const period = BigInt(current.dueDay - periodStart);
  let interest = (2n * current.interest * principal * elapsed + open * period) / (2n * open * period);

  const next = reschedule(schedule, k, open, open - principal, input.mode === PrepaymentMode.ShortenTerm);
  let budget = allIn.slackFen * FP + presentValue(schedule, startDay, allIn, k, false);
  const remaining = presentValue(next, startDay, allIn, k, true);
  budget = budget > remaining ? budget - remaining : 0n;
  const allowed = grow({ schedule, startDay, allIn }, day, budget) / FP;
  const due = interest + principal;
  const maxFee = allowed > due ? allowed - due : 0n;
  if (input.feeFen > maxFee) {
    throw new PrepaymentError(
      "PREPAYMENT_FEE_ABOVE_CAP",
      `a prepayment fee of at most ${maxFee} fen fits under the cap today`,
      maxFee,
    );
  }
  let principalPaid = principal;
  if (due > allowed) {
    const cut = due - allowed;
    const fromInterest = cut < interest ? cut : interest;
    interest -= fromInterest;
    principalPaid -= cut - fromInterest;
  }
  const paid = discountUp({ schedule, startDay, allIn }, day, (interest + principalPaid + input.feeFen) * FP);
  return {
    interestFen: interest,
    principalPaidFen: principalPaid,
    feeFen: input.feeFen,
    totalFen: interest + principalPaid + input.feeFen,
    maxFeeFen: maxFee,
    slackFen: (budget > paid ? budget - paid : 0n) / FP,
    schedule: next,
    fromInstallment: k,
  };
}

/** The schedule after the principal open goes from `open` to `newOpen` at installment `from` (Settlement._reschedule). */
function reschedule(
  schedule: readonly SettlementInstallment[],
  from: number,
  open: bigint,
  newOpen: bigint,
  shorten: boolean,
): SettlementInstallment[] {
  const result = schedule.slice(0, from).map((i) => ({ ...i }));
  let balance = open;
  let newBalance = newOpen;
  let cumulative = 0n;
  let newCumulative = 0n;
  for (let i = from; i < schedule.length; i++) {
    const { dueDay, principal, interest } = schedule[i]!;
    const newInterest = balance === 0n ? 0n : (2n * interest * newBalance + balance) / (2n * balance);
    let newPrincipal: bigint;
    if (shorten) {
      newPrincipal = principal + interest - newInterest;
      if (newPrincipal > newBalance || i + 1 === schedule.length) newPrincipal = newBalance;
      if (newPrincipal > U32) newPrincipal = U32;
    } else {
      cumulative += principal;
      const scaled = (2n * cumulative * newOpen + open) / (2n * open);
      newPrincipal = scaled - newCumulative;
      newCumulative = scaled;
    }
    result.push({ dueDay, principal: newPrincipal, interest: newInterest });
    balance -= principal;
    newBalance -= newPrincipal;
    if (shorten && newBalance === 0n) break;
  }
  return result;
}
