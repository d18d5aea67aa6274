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
//   - every later installment: its principal only;
//   - interest and principal together at most the all-in allowance (`settlementAllowance`, when
//     the loan's cap and headroom are given): what keeps the realised all-in cost, fees included,
//     within the cap; the excess comes off the interest, then the principal.
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
  /**
   * The all-in cap and the loan's headroom under it at registration (the ledger's
   * `loan(loanId).allInSlack`), and whether it is a bullet; without them no allowance applies.
   */
  allIn?: { capBps: number; slackFen: bigint; bullet: boolean };
};

export type SettlementOwed = {
  penaltyFen: bigint;
  interestFen: bigint;
  principalFen: bigint;
  totalFen: bigint;
};

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
  if (input.allIn) {
    const allowance = settlementAllowance(input, input.allIn);
    const due = interestFen + principalFen;
    if (due > allowance) {
      const cut = due - allowance;
      const fromInterest = cut < interestFen ? cut : interestFen;
      interestFen -= fromInterest;
      principalFen -= cut - fromInterest;
    }
  }
  return { penaltyFen, interestFen, principalFen, totalFen: penaltyFen + interestFen + principalFen };
}

const FP = 1n << 64n;

type AllIn = { capBps: number; slackFen: bigint; bullet: boolean };

/**
 * The most an early settlement may take besides penalty (Settlement._settlementAllowance in
 * contracts/libraries/Settlement.sol, SCHEDULE.md "Early settlement"): the headroom plus the
 * present value at the cap, as of the start day, of the installments still unpaid, less what was
 * paid of the next one (at its due day, rounded up: what of it was paid before that day was
 * charged to the headroom then), grown at the cap to the day — whole months compounded, the month
 * in progress linearly by days (30-day months after the last due day); a bullet by simple interest
 * from the start. Fixed point 2^64, every step rounded down (up for what was paid).
 */
export function settlementAllowance(input: SettlementInput, allIn: AllIn): bigint {
  const { schedule, startDay, progress, day } = input;
  const cap = BigInt(allIn.capBps);
  const next = progress.nextInstallment;
  const v = allIn.slackFen * FP + presentValue(schedule, startDay, allIn, next, false);
  let q = (progress.currentPrincipalPaid + progress.currentInterestPaid) * FP;
  if (allIn.bullet) q = ceilDiv(q * 3_650_000n, 3_650_000n + cap * BigInt(schedule[0]!.dueDay - startDay));
  else for (let k = 0; k <= next; k++) q = ceilDiv(q * 120_000n, 120_000n + cap);
  return grow({ schedule, startDay, allIn }, day, v > q ? v - q : 0n) / FP;
}

export function ceilDiv(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a - 1n) / b + 1n;
}

/**
 * The present value at the cap, as of the start day, of installments `from`… of `schedule`,
 * scaled by 2^64, rounded down or `up` (Settlement._presentValue).
 */
export function presentValue(
  schedule: readonly SettlementInstallment[],
  startDay: number,
  allIn: AllIn,
  from: number,
  up: boolean,
): bigint {
  const cap = BigInt(allIn.capBps);
  if (allIn.bullet) {
    if (from !== 0) return 0n;
    const only = schedule[0]!;
    const grown = 3_650_000n + cap * BigInt(only.dueDay - startDay);
    const amount = (only.principal + only.interest) * FP * 3_650_000n;
    return up ? ceilDiv(amount, grown) : amount / grown;
  }
  const x = 120_000n + cap;
  let v = 0n;
  for (let k = schedule.length; k !== 0; k--) {
    if (k - 1 >= from) v += (schedule[k - 1]!.principal + schedule[k - 1]!.interest) * FP;
    v = up ? ceilDiv(v * 120_000n, x) : (v * 120_000n) / x;
  }
  return v;
}

/** How many due days fall on or before `day`, the last of them (or the start day), and the period after it. */
function position(
  schedule: readonly SettlementInstallment[],
  startDay: number,
  day: number,
): [number, number, bigint] {
  let months = 0;
  while (months < schedule.length && schedule[months]!.dueDay <= day) months++;
  const from = months === 0 ? startDay : schedule[months - 1]!.dueDay;
  const period = BigInt(months < schedule.length ? schedule[months]!.dueDay - from : 30);
  return [months, from, period];
}

/** numerator, denominator */
type Fraction = [bigint, bigint];

/** A loan's schedule, start day and all-in terms: what growing or discounting at the cap needs. */
export type CapTerms = { schedule: readonly SettlementInstallment[]; startDay: number; allIn: AllIn };

/**
 * Growth at the cap from the start day to `day` as fractions: `months` whole months of
 * month[0] / month[1] each, then the month in progress, part[0] / part[1] (linear by days); a
 * bullet has no months, only simple interest from the start.
 */
function growthAtCap(
  { schedule, startDay, allIn }: CapTerms,
  day: number,
): { months: number; month: Fraction; part: Fraction } {
  const cap = BigInt(allIn.capBps);
  if (allIn.bullet) {
    const part: Fraction = [3_650_000n + cap * BigInt(day > startDay ? day - startDay : 0), 3_650_000n];
    return { months: 0, month: [1n, 1n], part };
  }
  const [months, from, period] = position(schedule, startDay, day);
  return {
    months,
    month: [120_000n + cap, 120_000n],
    part: [120_000n * period + cap * BigInt(day - from), 120_000n * period],
  };
}

/** `v` (start-day value) grown at the cap to `day`, rounded down (Settlement._grow). */
export function grow(terms: CapTerms, day: number, v: bigint): bigint {
  const { months, month, part } = growthAtCap(terms, day);
  for (let k = 0; k < months; k++) v = (v * month[0]) / month[1];
  return (v * part[0]) / part[1];
}

/** `v` paid on `day` discounted at the cap to the start day, rounded up (Settlement._discountUp). */
export function discountUp(terms: CapTerms, day: number, v: bigint): bigint {
  const { months, month, part } = growthAtCap(terms, day);
  v = ceilDiv(v * part[1], part[0]);
  for (let k = 0; k < months; k++) v = ceilDiv(v * month[1], month[0]);
  return v;
}

/**
 * What paying ahead of the schedule costs under the cap (Settlement.earlyCharge, the ledger's
 * `repay`): `amounts[i]` paid of installment i on `day` counts amounts[i] × (the discount at the cap
 * from `day` − from installment i's due day), start-day values scaled by 2^64; the ledger takes it
 * from the loan's headroom (`LedgerPaymentAheadAboveCap` beyond it).
 */
export function earlyCharge(
  schedule: readonly SettlementInstallment[],
  startDay: number,
  allIn: AllIn,
  day: number,
  amounts: readonly bigint[],
): bigint {
  const cap = BigInt(allIn.capBps);
  const today = discountUp({ schedule, startDay, allIn }, day, FP);
  if (allIn.bullet) {
    const atDue = (FP * 3_650_000n) / (3_650_000n + cap * BigInt(schedule[0]!.dueDay - startDay));
    return today > atDue ? amounts[0]! * (today - atDue) : 0n;
  }
  let v = FP;
  let charge = 0n;
  for (let i = 0; i < amounts.length; i++) {
    v = (v * 120_000n) / (120_000n + cap);
    if (amounts[i] !== 0n && today > v) charge += amounts[i]! * (today - v);
  }
  return charge;
}
