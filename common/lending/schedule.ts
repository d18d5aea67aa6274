// Repayment schedules in integer fen. Spec and worked example: SCHEDULE.md next to this file.
//
// Rounding rule: every fen amount derived from a rate is computed exactly as a rational number
// with bigint numerator and denominator and rounded once, half up (divRoundHalfUp). The monthly
// rate is r = aprBps / 120000 exactly.
//   EqualInstallment (等额本息): payment A = round(P·r·(1+r)^n / ((1+r)^n − 1)). Period k:
//     interest_k = round(remaining·r), principal_k = A − interest_k. The last period takes
//     principal = remaining (principals sum to P exactly) and interest = round(remaining·r), so
//     only its total may differ from A (by a few fen). aprBps = 0: P split evenly, floor, the
//     remainder on the last installment.
//   InterestFirst (先息后本): interest = round(P·r) every month; principal P with the last.
//   Bullet (一次性还本付息): one installment; interest = round(P·aprBps·days / (10000·365)),
//     days = dueDay − startDay (actual/365).
// Due date of installment k (1-based) = addMonths(startDate, k), clamped to the month's end;
// a Bullet with termDays is due on startDay + termDays.
import { addMonths, dateToDay, dayToDate, withDateErrors } from "./dates.ts";
import { divRoundHalfUp } from "./money.ts";
import { CodedError } from "../errors.ts";

/** Repayment method, numbered as the chain's enum (order is part of the format: append only). */
export const RepaymentMethod = Object.freeze({
  EqualInstallment: 0, // 等额本息
  InterestFirst: 1, // 先息后本: monthly interest, principal at the end
  Bullet: 2, // 一次性还本付息: one installment
} as const);
export type RepaymentMethod = (typeof RepaymentMethod)[keyof typeof RepaymentMethod];

export type Installment = {
  /** 1-based. */
  index: number;
  /** 'YYYY-MM-DD', Asia/Shanghai; late after dueTimestamp(dueDay). */
  dueDate: string;
  /** dateToDay(dueDate). */
  dueDay: number;
  principalFen: bigint;
  interestFen: bigint;
  /** principalFen + interestFen. */
  totalFen: bigint;
};

export type ScheduleInput = {
  principalFen: bigint;
  /** Annual rate in basis points, a non-negative integer (2400 = 24%). */
  aprBps: number;
  method: RepaymentMethod;
  /** Disbursement date, 'YYYY-MM-DD' Asia/Shanghai. */
  startDate: string;
  /** EqualInstallment and InterestFirst: 1..36. Bullet: this or termDays. */
  termMonths?: number;
  /** Bullet only: 7..1096. */
  termDays?: number;
};

export type ScheduleTotals = { principalFen: bigint; interestFen: bigint; totalFen: bigint };

export type ScheduleErrorCode =
  | "SCHEDULE_BAD_PRINCIPAL"
  | "SCHEDULE_BAD_RATE"
  | "SCHEDULE_BAD_METHOD"
  | "SCHEDULE_BAD_DATE"
  | "SCHEDULE_TERM_OUT_OF_RANGE"
  | "SCHEDULE_WRONG_TERM_KIND";

/** Thrown for any input generateSchedule refuses; callers branch on `code`. */
export class ScheduleError extends CodedError<ScheduleErrorCode> {}

export const MIN_TERM_MONTHS = 1;
export const MAX_TERM_MONTHS = 36;
export const MIN_TERM_DAYS = 7;
export const MAX_TERM_DAYS = 1096; // 36 months including one leap day

/** r = aprBps / MONTHLY_RATE_DENOMINATOR: 12 months × 10000 bps. */
const MONTHLY_RATE_DENOMINATOR = 120_000n;
/** Bullet interest: aprBps · days / (10000 bps · 365 days). */
const DAILY_RATE_DENOMINATOR = 3_650_000n;

const METHODS: ReadonlySet<number> = new Set(Object.values(RepaymentMethod));

export function generateSchedule(input: ScheduleInput): Installment[] {
  const { principalFen, aprBps, method, startDate } = input;
  if (typeof principalFen !== "bigint" || principalFen <= 0n) {
    throw new ScheduleError(
      "SCHEDULE_BAD_PRINCIPAL",
      `principal must be a positive bigint of fen, got ${String(principalFen)}`,
    );
  }
  if (!Number.isSafeInteger(aprBps) || aprBps < 0) {
    throw new ScheduleError(
      "SCHEDULE_BAD_RATE",
      `aprBps must be a non-negative integer, got ${String(aprBps)}`,
    );
  }
  if (!METHODS.has(method)) {
    throw new ScheduleError("SCHEDULE_BAD_METHOD", `unknown repayment method ${String(method)}`);
  }
  const startDay = withDateErrors(() => dateToDay(startDate), badDate);
  const term = checkTerm(method, input.termMonths, input.termDays);
  const apr = BigInt(aprBps);

  if (method === RepaymentMethod.Bullet) {
    const dueDay =
      term.kind === "days"
        ? startDay + term.count
        : withDateErrors(() => dateToDay(addMonths(startDate, term.count)), badDate);
    const days = BigInt(dueDay - startDay);
    const interest = divRoundHalfUp(principalFen * apr * days, DAILY_RATE_DENOMINATOR);
    return [
      installment(
        1,
        withDateErrors(() => dayToDate(dueDay), badDate),
        principalFen,
        interest,
      ),
    ];
  }

  const n = term.count;
  const dueDates = Array.from({ length: n }, (_, i) =>
    withDateErrors(() => addMonths(startDate, i + 1), badDate),
  );
  const monthlyInterest = (amount: bigint): bigint => divRoundHalfUp(amount * apr, MONTHLY_RATE_DENOMINATOR);

  if (method === RepaymentMethod.InterestFirst) {
    const interest = monthlyInterest(principalFen);
    return dueDates.map((date, i) => installment(i + 1, date, i === n - 1 ? principalFen : 0n, interest));
  }

  // EqualInstallment.
  if (apr === 0n) {
    const share = principalFen / BigInt(n);
    return dueDates.map((date, i) =>
      installment(i + 1, date, i === n - 1 ? principalFen - share * BigInt(n - 1) : share, 0n),
    );
  }
  const payment = annuityPayment(principalFen, apr, n);
  let remaining = principalFen;
  return dueDates.map((date, i) => {
    const interest = monthlyInterest(remaining);
    let principal = i === n - 1 ? remaining : payment - interest;
    // Rounding errors compound by (1+r) a period, so for a principal of a few yuan the rounded
    // payment can repay more than is left before the last period; remaining never goes negative.
    // Not reached for ordinary loans (SCHEDULE.md, "Limits").
    if (principal > remaining) principal = remaining;
    remaining -= principal;
    return installment(i + 1, date, principal, interest);
  });
}

/**
 * round_half_up(P·r·(1+r)^n / ((1+r)^n − 1)) with r = a/D, exactly: multiplying through by D^n
 * gives P·a·(D+a)^n / (D·((D+a)^n − D^n)).
 */
export function annuityPayment(principalFen: bigint, aprBps: bigint, n: number): bigint {
  const d = MONTHLY_RATE_DENOMINATOR;
  const growth = (d + aprBps) ** BigInt(n);
  return divRoundHalfUp(principalFen * aprBps * growth, d * (growth - d ** BigInt(n)));
}

export function scheduleTotals(installments: readonly Installment[]): ScheduleTotals {
  let principalFen = 0n;
  let interestFen = 0n;
  for (const i of installments) {
    principalFen += i.principalFen;
    interestFen += i.interestFen;
  }
  return { principalFen, interestFen, totalFen: principalFen + interestFen };
}

function installment(index: number, dueDate: string, principalFen: bigint, interestFen: bigint): Installment {
  return {
    index,
    dueDate,
    dueDay: dateToDay(dueDate),
    principalFen,
    interestFen,
    totalFen: principalFen + interestFen,
  };
}

function checkTerm(
  method: RepaymentMethod,
  termMonths: number | undefined,
  termDays: number | undefined,
): { kind: "months" | "days"; count: number } {
  const hasMonths = termMonths !== undefined;
  const hasDays = termDays !== undefined;
  if (method !== RepaymentMethod.Bullet && hasDays) {
    throw new ScheduleError("SCHEDULE_WRONG_TERM_KIND", "monthly methods take termMonths, not termDays");
  }
  if (hasMonths === hasDays) {
    throw new ScheduleError(
      "SCHEDULE_WRONG_TERM_KIND",
      method === RepaymentMethod.Bullet
        ? "Bullet takes exactly one of termMonths and termDays"
        : "termMonths is required",
    );
  }
  if (hasMonths) {
    if (!Number.isSafeInteger(termMonths) || termMonths < MIN_TERM_MONTHS || termMonths > MAX_TERM_MONTHS) {
      throw new ScheduleError(
        "SCHEDULE_TERM_OUT_OF_RANGE",
        `termMonths must be an integer in ${MIN_TERM_MONTHS}..${MAX_TERM_MONTHS}, got ${String(termMonths)}`,
      );
    }
    return { kind: "months", count: termMonths };
  }
  const days = termDays as number;
  if (!Number.isSafeInteger(days) || days < MIN_TERM_DAYS || days > MAX_TERM_DAYS) {
    throw new ScheduleError(
      "SCHEDULE_TERM_OUT_OF_RANGE",
      `termDays must be an integer in ${MIN_TERM_DAYS}..${MAX_TERM_DAYS}, got ${String(termDays)}`,
    );
  }
  return { kind: "days", count: days };
}

/** A date out of the calendar's range, as this module's error (withDateErrors). */
const badDate = (message: string) => new ScheduleError("SCHEDULE_BAD_DATE", message);
