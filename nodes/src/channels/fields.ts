// Field converters shared by the adapters. Each takes the value and the name of the field in the
// channel's own shape, and throws a ChannelError naming that field, so a platform is told what to
// fix in its terms ("daikuan.jine", not "loan.principalFen"). Exact arithmetic only: money is
// bigint fen, rates are whole basis points, and a value that does not convert exactly is refused
// rather than rounded (rounding a rate silently changes what the borrower is charged).
import { MoneyFormatError, parseYuan } from "../../../common/lending/money.ts";
import {
  MAX_TERM_DAYS,
  MAX_TERM_MONTHS,
  MIN_TERM_DAYS,
  MIN_TERM_MONTHS,
} from "../../../common/lending/schedule.ts";
import {
  type IdType,
  compactIdNumber,
  idNumberProblem,
  isMainlandRegionCode,
  normalizeAccount,
  normalizeMobile,
  regionOfResidentId,
} from "./identity.ts";
import { formatShanghaiIso, isPlausibleInstant, parseCompactShanghai, parseIsoWithOffset } from "./times.ts";
import { ChannelError, fieldError } from "./errors.ts";
import { type CanonicalFee, type FeeDue, MAX_APR_BPS, termProblem } from "./canonical.ts";

/** A decimal string as the platforms write it: digits, optionally a point and more digits. */
export const DECIMAL = /^\d+(\.\d+)?$/;

// --- money ---

/** "12000.50" yuan → 1200050n fen; more than two decimals → NODE_ERR_MONEY_PRECISION. */
export function yuanToFen(value: string, field: string): bigint {
  try {
    return parseYuan(value);
  } catch (e) {
    if (e instanceof MoneyFormatError && e.code === "MONEY_TOO_MANY_DECIMALS") {
      fieldError("NODE_ERR_MONEY_PRECISION", field, `at most two decimals of yuan (whole fen), got ${value}`);
    }
    return fieldError(
      "NODE_ERR_CHANNEL_VALIDATION",
      field,
      `a yuan amount like "12000.50", got ${JSON.stringify(value)}`,
    );
  }
}

/** An amount already in fen: a digit string or a safe integer number; fractions are refused. */
export function fenOf(value: string | number, field: string): bigint {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0)
      fieldError("NODE_ERR_CHANNEL_VALIDATION", field, `a whole number of fen, got ${value}`);
    return BigInt(value);
  }
  if (!/^\d+$/.test(value))
    fieldError(
      "NODE_ERR_CHANNEL_VALIDATION",
      field,
      `a whole number of fen as digits, got ${JSON.stringify(value)}`,
    );
  return BigInt(value);
}

export function positiveFen(fen: bigint, field: string): bigint {
  if (fen <= 0n) fieldError("NODE_ERR_CHANNEL_VALIDATION", field, "must be more than zero");
  return fen;
}

// --- rates ---

/** value × scale when that is a whole number, else undefined: "18.25" × 100 → 1825n. */
export function scaleDecimal(value: string, scale: bigint): bigint | undefined {
  const m = DECIMAL.exec(value);
  if (m === null) return undefined;
  const [whole, frac = ""] = value.split(".") as [string, string?];
  const denominator = 10n ** BigInt(frac.length);
  const numerator = BigInt(whole + frac) * scale;
  return numerator % denominator === 0n ? numerator / denominator : undefined;
}

function checkBps(bps: bigint | number, field: string, original: string): number {
  if (BigInt(bps) > BigInt(MAX_APR_BPS))
    fieldError("NODE_ERR_CHANNEL_VALIDATION", field, `rate ${original} is above ${MAX_APR_BPS} bps a year`);
  return Number(bps);
}

/** Annual rate in percent, "18.25" → 1825 bps; a rate that is not whole bps is refused. */
export function percentToBps(value: string, field: string): number {
  if (!DECIMAL.test(value))
    fieldError(
      "NODE_ERR_CHANNEL_VALIDATION",
      field,
      `an annual rate in percent like "18.25", got ${JSON.stringify(value)}`,
    );
  const bps = scaleDecimal(value, 100n);
  if (bps === undefined)
    fieldError(
      "NODE_ERR_CHANNEL_VALIDATION",
      field,
      `${value}% is not a whole number of basis points (at most two decimals)`,
    );
  return checkBps(bps, field, `${value}%`);
}

/**
 * Monthly rate in per mille (月息 ‰), "12.5" → 12.5‰ × 12 = 15% = 1500 bps (1‰ a month = 120 bps a
 * year, the same r = aprBps / 120000 the schedule charges). Refused unless that is whole bps.
 */
export function monthlyPermilleToBps(value: string, field: string): number {
  if (!DECIMAL.test(value))
    fieldError(
      "NODE_ERR_CHANNEL_VALIDATION",
      field,
      `a monthly rate in per mille like "12.5", got ${JSON.stringify(value)}`,
    );
  const bps = scaleDecimal(value, 120n);
  if (bps === undefined) {
    fieldError(
      "NODE_ERR_CHANNEL_VALIDATION",
      field,
      `${value}‰ a month is not a whole number of basis points a year`,
    );
  }
  return checkBps(bps, field, `${value}‰ a month`);
}

export function bpsOf(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0)
    fieldError("NODE_ERR_CHANNEL_VALIDATION", field, `whole basis points, got ${value}`);
  return checkBps(value, field, `${value} bps`);
}

// --- people ---

/** Trimmed, inner runs of white space collapsed to one space. */
export function textOf(value: string, field: string, max = 200): string {
  const text = value.trim().replace(/\s+/g, " ");
  if (text.length === 0) fieldError("NODE_ERR_CHANNEL_VALIDATION", field, "must not be empty");
  if (text.length > max) fieldError("NODE_ERR_CHANNEL_VALIDATION", field, `at most ${max} characters`);
  return text;
}

export function nameOf(value: string, field: string): string {
  return textOf(value, field, 64);
}

/** Normalized (upper-case, no spaces or hyphens) and checked; a bad number → NODE_ERR_BAD_ID_NUMBER. */
export function idNumberOf(idType: IdType, raw: string, field: string): string {
  const idNumber = compactIdNumber(raw);
  const problem = idNumberProblem(idType, idNumber);
  if (problem !== undefined) fieldError("NODE_ERR_BAD_ID_NUMBER", field, problem);
  return idNumber;
}

export function mobileOf(raw: string, field: string): string {
  const phone = normalizeMobile(raw);
  if (phone === undefined)
    fieldError("NODE_ERR_CHANNEL_VALIDATION", field, "an 11-digit mainland mobile number (+86 allowed)");
  return phone;
}

export function accountOf(raw: string, field: string): string {
  const account = normalizeAccount(raw);
  if (account === undefined)
    fieldError(
      "NODE_ERR_CHANNEL_VALIDATION",
      field,
      "a bank account of 8-32 digits (spaces and hyphens allowed)",
    );
  return account;
}

/**
 * The region code given by the platform, or else the one the resident ID was issued in. A given
 * code wins: people move, and the branch is chosen by where the borrower lives now.
 */
export function regionOf(
  given: string | number | undefined,
  idType: IdType,
  idNumber: string,
  field: string,
): number {
  if (given !== undefined) {
    const code = typeof given === "number" ? given : /^\d{6}$/.test(given) ? Number(given) : Number.NaN;
    if (!isMainlandRegionCode(code))
      fieldError(
        "NODE_ERR_CHANNEL_VALIDATION",
        field,
        `a six-digit GB/T 2260 code of a mainland region, got ${String(given)}`,
      );
    return code;
  }
  const derived = idType === "RESIDENT_ID" ? regionOfResidentId(idNumber) : undefined;
  if (derived === undefined) {
    fieldError(
      "NODE_ERR_CHANNEL_VALIDATION",
      field,
      "required: the ID number does not name a mainland region (not a mainland resident ID)",
    );
  }
  return derived;
}

/** A value of the channel's payload with the name of its field there (what an error names). */
export type Given<T> = readonly [value: T, field: string];

/** A field of a flat payload (a CSV row, a flat JSON object) as a Given: its value and its own name. */
export function givenField<T, K extends keyof T & string>(payload: T, field: K): Given<T[K]> {
  return [payload[field], field];
}

/**
 * The canonical borrower from the channel's own values: name, ID number (checked for its type),
 * mobile, region (given, or else from the resident ID) and bank account, in that order of checks
 * after the ID number, each refusal naming the channel's field.
 */
export function borrowerOf(
  idType: IdType,
  given: {
    name: Given<string>;
    idNumber: Given<string>;
    phone: Given<string>;
    region: Given<string | number | undefined>;
    account: Given<string>;
  },
) {
  const idNumber = idNumberOf(idType, ...given.idNumber);
  return {
    name: nameOf(...given.name),
    idType,
    idNumber,
    phone: mobileOf(...given.phone),
    regionCode: regionOf(given.region[0], idType, idNumber, given.region[1]),
    bankAccount: accountOf(...given.account),
  };
}

/** One fee as the canonical list holds it; a zero fee is no fee (an empty list). */
export function feeOf(name: Given<string>, amountFen: bigint, due: FeeDue): CanonicalFee[] {
  if (amountFen === 0n) return [];
  return [{ name: textOf(name[0], name[1], 64), amountFen, due }];
}

// --- times and digests ---

function instant(ms: number | undefined, field: string, expected: string, value: unknown): number {
  if (ms === undefined)
    fieldError("NODE_ERR_CHANNEL_VALIDATION", field, `${expected}, got ${JSON.stringify(value)}`);
  if (!isPlausibleInstant(ms))
    fieldError(
      "NODE_ERR_CHANNEL_VALIDATION",
      field,
      `${JSON.stringify(value)} is not between 2000 and 2100; check the unit`,
    );
  return ms;
}

/** ISO 8601 with an offset or Z → Unix ms. */
export function isoInstant(value: string, field: string): number {
  return instant(
    parseIsoWithOffset(value),
    field,
    "ISO 8601 with an offset like 2026-11-22T10:00:00+08:00",
    value,
  );
}

/** yyyyMMddHHmmss in Asia/Shanghai → Unix ms. */
export function compactInstant(value: string, field: string): number {
  return instant(
    parseCompactShanghai(value),
    field,
    "yyyyMMddHHmmss Beijing time like 20261122100000",
    value,
  );
}

/** Unix milliseconds (an integer; seconds are refused as implausible). */
export function unixMsInstant(value: number, field: string): number {
  return instant(Number.isSafeInteger(value) ? value : undefined, field, "Unix time in milliseconds", value);
}

/** A SHA-256 digest with or without 0x, any case → "0x" + 64 lower-case hex digits. */
export function digestOf(value: string, field: string): string {
  const hex = value.startsWith("0x") || value.startsWith("0X") ? value.slice(2) : value;
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    fieldError("NODE_ERR_CHANNEL_VALIDATION", field, "a SHA-256 digest: 64 hex digits, 0x optional");
  return `0x${hex.toLowerCase()}`;
}

// --- the node's side ---

export type ChannelContext = {
  /** The platform's consortium member id, from the authenticated request (never the payload). */
  platformMemberId: number;
  /** When the node received the application, ISO 8601 with offset. */
  receivedAt: string;
};

export type CheckedContext = { platformMemberId: number; receivedAt: string; receivedAtMs: number };

/** Clock skew tolerated between the platform's signing time and the node's receipt time. */
export const CONSENT_CLOCK_SKEW_MS = 5 * 60 * 1000;

export function checkContext(context: ChannelContext): CheckedContext {
  const { platformMemberId, receivedAt } = context;
  if (!Number.isSafeInteger(platformMemberId) || platformMemberId < 1 || platformMemberId > 2 ** 32 - 1) {
    throw new ChannelError(
      "NODE_ERR_CHANNEL_VALIDATION",
      "context.platformMemberId: a member id in 1..2^32-1",
      [{ field: "context.platformMemberId", message: "a member id in 1..2^32-1" }],
    );
  }
  const receivedAtMs = isoInstant(receivedAt, "context.receivedAt");
  return { platformMemberId, receivedAt: formatShanghaiIso(receivedAtMs), receivedAtMs };
}

/**
 * The canonical consent: the letter's signing time (a letter signed after the application arrived
 * is refused) and its SHA-256 digest.
 */
export function consentOf(
  signedAtMs: Given<number>,
  digest: Given<string>,
  context: CheckedContext,
): { signedAt: string; documentDigest: string } {
  const [ms, field] = signedAtMs;
  if (ms > context.receivedAtMs + CONSENT_CLOCK_SKEW_MS) {
    fieldError(
      "NODE_ERR_CHANNEL_VALIDATION",
      field,
      "the authorization was signed after the application was received",
    );
  }
  return { signedAt: formatShanghaiIso(ms), documentDigest: digestOf(...digest) };
}

/**
 * The term as the canonical form holds it, checked in the channel's field names: exactly one of
 * months and days, days only for Bullet.
 */
export function termOf(
  method: number,
  months: number | undefined,
  days: number | undefined,
  fields: { months: string; days: string },
): { termMonths: number } | { termDays: number } {
  // the canonical rule (one of months and days, days only for Bullet), in the channel's field names
  const problem = termProblem(method, months, days);
  if (problem !== undefined)
    fieldError(
      "NODE_ERR_CHANNEL_VALIDATION",
      problem.field === "termMonths" ? fields.months : fields.days,
      problem.message,
    );
  if (days !== undefined) {
    if (!Number.isSafeInteger(days) || days < MIN_TERM_DAYS || days > MAX_TERM_DAYS) {
      fieldError(
        "NODE_ERR_CHANNEL_VALIDATION",
        fields.days,
        `${MIN_TERM_DAYS} to ${MAX_TERM_DAYS} days, got ${days}`,
      );
    }
    return { termDays: days };
  }
  const termMonths = months!;
  if (!Number.isSafeInteger(termMonths) || termMonths < MIN_TERM_MONTHS || termMonths > MAX_TERM_MONTHS) {
    fieldError(
      "NODE_ERR_CHANNEL_VALIDATION",
      fields.months,
      `${MIN_TERM_MONTHS} to ${MAX_TERM_MONTHS} months, got ${termMonths}`,
    );
  }
  return { termMonths };
}

/** termOf for a channel that gives one count and its unit in one field. */
export function termIn(
  method: number,
  count: number,
  unit: "months" | "days",
  field: string,
): { termMonths: number } | { termDays: number } {
  const fields = { months: field, days: field };
  return unit === "months"
    ? termOf(method, count, undefined, fields)
    : termOf(method, undefined, count, fields);
}
