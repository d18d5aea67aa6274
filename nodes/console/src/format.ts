// Amounts and times as the back office reads them: fen (decimal strings, as the node sends
// bigints) shown as yuan exact to the fen, never through a float; instants in Beijing time.

/** "5000000" → "50,000.00" (yuan, exact); negative amounts keep their sign. */
export function yuan(fen: string | number | bigint): string {
  const value = BigInt(fen);
  const sign = value < 0n ? "-" : "";
  const abs = value < 0n ? -value : value;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}${whole}.${(abs % 100n).toString().padStart(2, "0")}`;
}

/** "50,000.00" or "50000.5" (yuan as typed) → "5000050" fen; undefined when it is not an amount to the fen. */
export function yuanToFen(text: string): string | undefined {
  const match = /^\s*(\d{1,13})(?:\.(\d{1,2}))?\s*$/.exec(text.replaceAll(",", ""));
  if (match === null) return undefined;
  return (BigInt(match[1]!) * 100n + BigInt((match[2] ?? "").padEnd(2, "0"))).toString();
}

const SHANGHAI_OFFSET_MS = 8 * 3600_000;

/** An instant (ms or ISO text) in Beijing time: "2026-12-06 21:59:15". */
export function beijingTime(at: number | string): string {
  const ms = typeof at === "number" ? at : Date.parse(at);
  return new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 19).replace("T", " ");
}

/** A chain day number (days since 1970-01-01, Asia/Shanghai) as YYYY-MM-DD. */
export function chainDay(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** Basis points as a percentage: 1825 → "18.25%". */
export function percent(bps: number | null | undefined): string {
  if (bps === null || bps === undefined) return "—";
  return `${(bps / 100).toFixed(2)}%`;
}

/** An instant in unix seconds (as block times are) in Beijing time to the minute: "2026-12-06 21:59"; null as "—". */
export function beijingMinute(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  return beijingTime(seconds * 1000).slice(0, 16);
}
