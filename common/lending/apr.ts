// All-in annual cost of a loan (年化综合资金成本): interest and every fee, as the rate cap (all-in
// annual rate ≤ cap) requires, quoted the way banks and regulators quote it. Spec and worked
// examples: SCHEDULE.md, "All-in APR". The repayment method picks the convention, because it is
// the convention the schedule itself charges interest by:
//
//   monthly-irr (EqualInstallment, InterestFirst): installment k is period k (k = 1..n, one
//     month each, whatever the month's length); a fee paid with installment k is period k; a fee
//     due on the disbursement day is period 0, i.e. it reduces the cash received (砍头息). The
//     monthly IRR i solves  Σ CF_k / (1+i)^k = cash received;  APR = 12·i.
//   simple (Bullet): APR = (repaid + fees − cash received) / cash received × 365 / days, with
//     days = due day − start day, the actual/365 rule bullet interest is charged by.
//
// Both are reported in bps rounded UP, so `exceedsCap` errs against the lender, after one
// allowance: each installment counts half a fen less, the most that rounding its interest half
// up to the fen can have added. Without it the IRR of a fee-free 24% schedule is 2400 plus or
// minus a few hundredths of a bps depending on how its fen rounding fell, and rounding up would
// make about half of all plain 24% loans 2401. With it a fee-free schedule is never above its
// nominal rate, and exactly that rate for ordinary principals (SCHEDULE.md, "Rounding": from
// 3,000 yuan for monthly methods); a lender gains at most half a fen an installment.
//
// The result is decided in integers: it is the smallest integer R such that, at the rate R bps,
// the present value of what the borrower pays does not exceed the cash received, found by
// bisection on R. The monthly present value is evaluated in 2^-128 fixed point rounded up at every
// step, the very procedure the ledger runs once at the cap on chain, so `exceedsCap(allInAprBps(x),
// cap)` and the chain's decision agree for every schedule. No floating point, no tolerance.

import { CodedError } from "../errors.ts";
import { addMonths, dateToDay, dayToDate, withDateErrors } from "./dates.ts";
import { RepaymentMethod } from "./schedule.ts";

export type AprCashflow = { dueDay: number; totalFen: bigint };
export type AprFee = { dueDay: number; amountFen: bigint };

export type AprConvention = "monthly-irr" | "simple";

export type AllInAprInput = {
  /** How the loan repays; picks the convention (`aprConvention`) and what the installments
   *  must look like: on the monthly due dates for monthly methods, exactly one for Bullet. */
  method: RepaymentMethod;
  principalFen: bigint;
  /** Cash actually paid to the borrower; defaults to principalFen. Less than principal models a
   *  fee or interest deducted up front (砍头息), which raises the APR. */
  disbursedFen?: bigint;
  /** What the borrower repays and when: generateSchedule's installments fit as they are. */
  installments: readonly AprCashflow[];
  /** Extra payments by the borrower (service, guarantee, platform fees). Monthly methods: due on
   *  the disbursement day or on an installment's due day. Bullet: from the disbursement day to
   *  the repayment day. Zero fees are ignored. */
  fees: readonly AprFee[];
  /** Disbursement day (dateToDay of the start date). */
  startDay: number;
};

export type AprErrorCode =
  | "APR_BAD_AMOUNT"
  | "APR_BAD_DAY"
  | "APR_BAD_METHOD"
  | "APR_BAD_SCHEDULE"
  | "APR_NO_CASHFLOWS"
  | "APR_OUT_OF_RANGE";

export class AprError extends CodedError<AprErrorCode> {}

/** Monthly rate per bps of APR: i = R / (12 months · 10000 bps). */
const MONTHLY_DENOMINATOR = 120_000n;
/** Simple annual rate in bps: excess / received · 365 days · 10000 bps / days. */
const SIMPLE_NUMERATOR = 3_650_000n;
const MAX_BPS = BigInt(Number.MAX_SAFE_INTEGER);

/** The convention a repayment method's all-in APR is measured by. */
export function aprConvention(method: RepaymentMethod): AprConvention {
  switch (method) {
    case RepaymentMethod.EqualInstallment:
    case RepaymentMethod.InterestFirst:
      return "monthly-irr";
    case RepaymentMethod.Bullet:
      return "simple";
    default:
      throw new AprError("APR_BAD_METHOD", `unknown repayment method ${String(method)}`);
  }
}

export function allInAprBps(input: AllInAprInput): number {
  const { method, principalFen, installments, fees, startDay } = input;
  const convention = aprConvention(method);
  const disbursedFen = input.disbursedFen ?? principalFen;
  if (typeof principalFen !== "bigint" || principalFen <= 0n) {
    throw new AprError(
      "APR_BAD_AMOUNT",
      `principal must be a positive bigint of fen, got ${String(principalFen)}`,
    );
  }
  if (typeof disbursedFen !== "bigint" || disbursedFen <= 0n || disbursedFen > principalFen) {
    throw new AprError(
      "APR_BAD_AMOUNT",
      `disbursed must be in 1..principal fen, got ${String(disbursedFen)}`,
    );
  }
  if (!Number.isSafeInteger(startDay))
    throw new AprError("APR_BAD_DAY", `startDay must be an integer, got ${startDay}`);

  const check = (dueDay: number, fen: bigint, what: string): void => {
    if (typeof fen !== "bigint" || fen < 0n)
      throw new AprError("APR_BAD_AMOUNT", `${what} must be a bigint >= 0, got ${String(fen)}`);
    if (!Number.isSafeInteger(dueDay) || dueDay < startDay) {
      throw new AprError("APR_BAD_DAY", `${what} is due on day ${dueDay}, before the start day ${startDay}`);
    }
  };
  installments.forEach((i, n) => check(i.dueDay, i.totalFen, `installment ${n + 1}`));
  fees.forEach((f, n) => check(f.dueDay, f.amountFen, `fee ${n + 1}`));
  const paysLater =
    installments.some((i) => i.dueDay > startDay && i.totalFen > 0n) ||
    fees.some((f) => f.dueDay > startDay && f.amountFen > 0n);
  if (!paysLater) throw new AprError("APR_NO_CASHFLOWS", "nothing is repaid after the start day");

  // A fee due on the disbursement day does not depend on the rate: it only reduces the cash received.
  let received = disbursedFen;
  for (const f of fees) if (f.dueDay === startDay) received -= f.amountFen;

  return convention === "monthly-irr"
    ? monthlyIrrBps(installments, fees, startDay, received)
    : simpleBps(installments, fees, startDay, received);
}

/** True when an all-in APR is above the cap; equal to the cap is allowed (all-in rate ≤ cap). */
export function exceedsCap(aprBps: number, capBps: number): boolean {
  if (!Number.isSafeInteger(aprBps) || !Number.isSafeInteger(capBps)) {
    throw new AprError("APR_OUT_OF_RANGE", `rates must be integer bps, got ${aprBps} and ${capBps}`);
  }
  return aprBps > capBps;
}

function monthlyIrrBps(
  installments: readonly AprCashflow[],
  fees: readonly AprFee[],
  startDay: number,
  received: bigint,
): number {
  // Installment k must fall on addMonths(start, k), as generateSchedule puts it; anything else
  // is not a monthly schedule (or not this loan's), and periods would be guesses.
  const startDate = withDateErrors(() => dayToDate(startDay), badDay);
  const periodOf = new Map<number, number>();
  installments.forEach((inst, index) => {
    const k = index + 1;
    const due = withDateErrors(() => addMonths(startDate, k), badDay);
    if (inst.dueDay !== dateToDay(due)) {
      throw new AprError(
        "APR_BAD_SCHEDULE",
        `installment ${k} is due on day ${inst.dueDay}, but a monthly schedule from ${startDate} has it on ${due}`,
      );
    }
    periodOf.set(inst.dueDay, k);
  });

  // Doubled cash flows per period (twice the fen, so the half-fen allowance is an integer).
  const doubled: bigint[] = Array.from({ length: installments.length + 1 }, () => 0n);
  let paid = 0n;
  installments.forEach((inst, index) => {
    if (inst.totalFen === 0n) return;
    doubled[index + 1]! += 2n * inst.totalFen - 1n;
    paid += inst.totalFen;
  });
  fees.forEach((f, n) => {
    if (f.amountFen === 0n || f.dueDay === startDay) return;
    const k = periodOf.get(f.dueDay);
    if (k === undefined) {
      throw new AprError(
        "APR_BAD_SCHEDULE",
        `fee ${n + 1} is due on day ${f.dueDay}: a monthly loan's fees are due on the disbursement day or with an installment`,
      );
    }
    doubled[k]! += 2n * f.amountFen;
    paid += f.amountFen;
  });
  if (received <= 0n)
    throw new AprError("APR_OUT_OF_RANGE", "payments due at disbursement use up all the cash received");
  // Paying back exactly the cash received costs nothing: exactly 0, whatever the allowance says.
  if (paid === received) return 0;

  while (doubled[doubled.length - 1] === 0n) doubled.pop(); // trailing empty periods
  // At R bps the monthly rate is R/D and the discount factor D/x with x = D + R > 0. The present
  // value Σ a_k·(D/x)^k is evaluated backwards in fixed point (PV_SCALE), every division rounded
  // up, exactly as the ledger does on chain (contracts/libraries/AllInCost.sol), so the chain's
  // one evaluation at the cap and this bisection decide identically (SCHEDULE.md, "The cap on
  // chain"). Rounding up only overstates PV (by < 2^-128 half-fen a period: against the lender), and PV
  // is non-increasing in R, so once true coversAt stays true as R grows.
  const coversAt = (bps: bigint): boolean =>
    monthlyPresentValueUp(doubled, MONTHLY_DENOMINATOR + bps) <= 2n * received * PV_SCALE;

  // Bisection on integer bps, lo failing and hi holding; lo = −D is a rate of −100% a month.
  let lo = -MONTHLY_DENOMINATOR;
  let hi = 0n;
  if (!coversAt(hi)) {
    hi = 1n;
    while (!coversAt(hi)) {
      lo = hi;
      hi *= 2n;
      if (hi > 2n * MAX_BPS)
        throw new AprError("APR_OUT_OF_RANGE", "the all-in rate is too large to report in bps");
    }
  }
  while (hi - lo > 1n) {
    const mid = lo + (hi - lo) / 2n;
    if (coversAt(mid)) hi = mid;
    else lo = mid;
  }
  return toBps(hi);
}

function simpleBps(
  installments: readonly AprCashflow[],
  fees: readonly AprFee[],
  startDay: number,
  received: bigint,
): number {
  if (installments.length !== 1) {
    throw new AprError(
      "APR_BAD_SCHEDULE",
      `a bullet loan repays in one installment, got ${installments.length}`,
    );
  }
  const repayment = installments[0]!;
  const days = repayment.dueDay - startDay;
  if (days <= 0)
    throw new AprError("APR_BAD_SCHEDULE", "a bullet loan's repayment is due after the start day");
  let paid = repayment.totalFen;
  fees.forEach((f, n) => {
    if (f.amountFen === 0n || f.dueDay === startDay) return;
    if (f.dueDay > repayment.dueDay) {
      throw new AprError(
        "APR_BAD_SCHEDULE",
        `fee ${n + 1} is due on day ${f.dueDay}, after the repayment on day ${repayment.dueDay}`,
      );
    }
    paid += f.amountFen;
  });
  if (received <= 0n)
    throw new AprError("APR_OUT_OF_RANGE", "payments due at disbursement use up all the cash received");
  const excess = paid - received;
  if (excess === 0n) return 0;
  // ceil((excess − ½·[one rounded installment]) · 3650000 / (received · days)), doubled to stay integer.
  const allowance = repayment.totalFen > 0n ? 1n : 0n;
  return toBps(ceilDiv((2n * excess - allowance) * SIMPLE_NUMERATOR, 2n * received * BigInt(days)));
}

/** Fixed-point scale of the monthly present value (as AllInCost.SCALE on chain). */
const PV_SCALE = 1n << 128n;

/**
 * V_{n+1} = 0, V_k = a_k·SCALE + ⌈V_{k+1}·D / x⌉, PV = ⌈V_1·D / x⌉ (a_0 is not used): the
 * present value of the doubled period payments at discount factor D/x, scaled and rounded up.
 */
function monthlyPresentValueUp(doubled: readonly bigint[], x: bigint): bigint {
  let v = 0n;
  for (let k = doubled.length - 1; k >= 1; k--)
    v = doubled[k]! * PV_SCALE + ceilDiv(v * MONTHLY_DENOMINATOR, x);
  return ceilDiv(v * MONTHLY_DENOMINATOR, x);
}

/** ⌈a / b⌉ for b > 0 (bigint division truncates towards zero). */
function ceilDiv(a: bigint, b: bigint): bigint {
  return a > 0n ? (a + b - 1n) / b : a / b;
}

function toBps(bps: bigint): number {
  if (bps > MAX_BPS || bps < -MAX_BPS)
    throw new AprError("APR_OUT_OF_RANGE", "the all-in rate is too large to report in bps");
  return Number(bps);
}

/** A day out of the calendar's range, as this module's error (withDateErrors). */
const badDay = (message: string) => new AprError("APR_BAD_DAY", message);
