// Money is integer fen (分) as bigint; yuan appear only as decimal strings at the edges
// (DOMAIN.md, "Money and time"). divRoundHalfUp is the single rounding rule every fen amount
// derived from a rate goes through, so schedules computed anywhere agree to the fen.
import { CodedError } from "../errors.ts";

export type MoneyErrorCode = "MONEY_BAD_FORMAT" | "MONEY_TOO_MANY_DECIMALS";

/** Thrown by parseYuan for a string that is not a plain yuan amount; callers branch on `code`. */
export class MoneyFormatError extends CodedError<MoneyErrorCode> {}

const FEN_PER_YUAN = 100n;
// Digits, then optionally a point and at least one digit: no sign, exponent, spaces, "1." or ".5".
const YUAN = /^(\d+)(?:\.(\d+))?$/;

/** "1234.5" → 123450n. At most two decimals; "1.230" is refused rather than silently trimmed. */
export function parseYuan(s: string): bigint {
  const match = typeof s === "string" ? YUAN.exec(s) : null;
  if (match === null) {
    throw new MoneyFormatError("MONEY_BAD_FORMAT", `not a yuan amount: ${JSON.stringify(s) ?? String(s)}`);
  }
  const whole = match[1]!;
  const decimals = match[2] ?? "";
  if (decimals.length > 2) {
    throw new MoneyFormatError("MONEY_TOO_MANY_DECIMALS", `at most two decimals (fen), got ${s}`);
  }
  return BigInt(whole) * FEN_PER_YUAN + BigInt(decimals.padEnd(2, "0"));
}

/** 123450n → "1234.50": always two decimals, no grouping; negative amounts get a leading "-". */
export function formatYuan(fen: bigint): string {
  const sign = fen < 0n ? "-" : "";
  const abs = fen < 0n ? -fen : fen;
  return `${sign}${abs / FEN_PER_YUAN}.${(abs % FEN_PER_YUAN).toString().padStart(2, "0")}`;
}

/** round_half_up(n / d) for n >= 0, d > 0: exact halves go up (5/10 → 1, 25/10 → 3). */
export function divRoundHalfUp(n: bigint, d: bigint): bigint {
  if (n < 0n || d <= 0n) throw new RangeError(`divRoundHalfUp needs n >= 0 and d > 0, got ${n}/${d}`);
  return (2n * n + d) / (2n * d);
}
