// Calendar dates of the lending business, in Asia/Shanghai (UTC+8 all year: China has had no
// daylight saving time since 1991). A date is 'YYYY-MM-DD'; a day is the integer count of
// Shanghai days since 1970-01-01, so day differences are exact day counts (actual/365 interest,
// days past due). Pure integer arithmetic on the proleptic Gregorian calendar, no Date object,
// so results do not depend on the host time zone. On chain times are Unix seconds:
// shanghaiDay maps a block time to its day and dueTimestamp maps a due day back.
import { CodedError } from "../errors.ts";

export type DateErrorCode = "DATE_BAD_FORMAT" | "DATE_OUT_OF_RANGE" | "DATE_BAD_TIME";

export class DateError extends CodedError<DateErrorCode> {}

/** `f()`, a DateError it throws turned into the caller's own error (`as` builds it from the message). */
export function withDateErrors<T>(f: () => T, as: (message: string) => Error): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DateError) throw as(e.message);
    throw e;
  }
}

/** Asia/Shanghai is UTC+08:00. */
export const SHANGHAI_OFFSET_SECONDS = 8 * 3600;
export const SECONDS_PER_DAY = 86_400;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MIN_YEAR = 1;
const MAX_YEAR = 9999;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The Shanghai calendar day a Unix time falls on: floor((t + 8·3600) / 86400). */
export function shanghaiDay(unixSeconds: number): number {
  if (typeof unixSeconds !== "number" || !Number.isFinite(unixSeconds)) {
    throw new DateError("DATE_BAD_TIME", `not a Unix time: ${String(unixSeconds)}`);
  }
  return Math.floor((unixSeconds + SHANGHAI_OFFSET_SECONDS) / SECONDS_PER_DAY);
}

/**
 * Unix seconds of the last second of `day` in Shanghai (23:59:59+08:00). An installment due on
 * `day` is paid on time by a block with timestamp <= dueTimestamp(day), and late from the next
 * second on (equivalently: late iff shanghaiDay(t) > day).
 */
export function dueTimestamp(day: number): number {
  checkDay(day);
  return (day + 1) * SECONDS_PER_DAY - SHANGHAI_OFFSET_SECONDS - 1;
}

/** 'YYYY-MM-DD' → days since 1970-01-01; rejects anything but a real date in years 0001..9999. */
export function dateToDay(date: string): number {
  const { year, month, day } = parseDate(date);
  return daysFromCivil(year, month, day);
}

/** Days since 1970-01-01 → 'YYYY-MM-DD'. */
export function dayToDate(day: number): string {
  checkDay(day);
  const { year, month, day: dom } = civilFromDays(day);
  return formatDate(year, month, dom);
}

/**
 * The same day of the month `n` months later (or earlier, n < 0), clamped to the month's end:
 * 2026-01-31 + 1 → 2026-02-28, 2028-01-31 + 1 → 2028-02-29. Clamping does not carry over: a
 * schedule computes addMonths(start, k) for each k, never chains addMonths(previous, 1).
 */
export function addMonths(date: string, n: number): string {
  const { year, month, day } = parseDate(date);
  if (!Number.isSafeInteger(n))
    throw new DateError("DATE_OUT_OF_RANGE", `month count must be an integer, got ${n}`);
  const monthIndex = year * 12 + (month - 1) + n;
  const newYear = Math.floor(monthIndex / 12);
  const newMonth = monthIndex - newYear * 12 + 1;
  if (newYear < MIN_YEAR || newYear > MAX_YEAR) {
    throw new DateError(
      "DATE_OUT_OF_RANGE",
      `${date} + ${n} months is outside years ${MIN_YEAR}..${MAX_YEAR}`,
    );
  }
  return formatDate(newYear, newMonth, Math.min(day, daysInMonth(newYear, newMonth)));
}

function parseDate(date: string): { year: number; month: number; day: number } {
  const match = typeof date === "string" ? DATE.exec(date) : null;
  if (match === null) throw new DateError("DATE_BAD_FORMAT", `not a YYYY-MM-DD date: ${String(date)}`);
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < MIN_YEAR || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new DateError("DATE_BAD_FORMAT", `no such date: ${date}`);
  }
  return { year, month, day };
}

function formatDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

// Days of 0001-01-01 and 9999-12-31: the range where 'YYYY-MM-DD' is unambiguous.
const MIN_DAY = daysFromCivil(MIN_YEAR, 1, 1);
const MAX_DAY = daysFromCivil(MAX_YEAR, 12, 31);

function checkDay(day: number): void {
  if (!Number.isSafeInteger(day) || day < MIN_DAY || day > MAX_DAY) {
    throw new DateError("DATE_OUT_OF_RANGE", `day must be an integer in ${MIN_DAY}..${MAX_DAY}, got ${day}`);
  }
}

// H. Hinnant's days_from_civil / civil_from_days: years start in March so the leap day is last;
// an era is 400 years = 146097 days; 719468 is the day number of 1970-01-01 from 0000-03-01.
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}
