// The three ways platforms send an instant, all turned into one canonical form: ISO 8601 in
// Asia/Shanghai, "2026-11-22T10:00:00+08:00" (".123" only when there are milliseconds). Pure
// integer arithmetic over common/lending/dates.ts, so the host time zone never matters.
import { SHANGHAI_OFFSET_SECONDS, dateToDay, dayToDate } from "../../../common/lending/dates.ts";

const ISO = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|([+-])(\d{2}):(\d{2}))$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

// Instants a loan application can plausibly carry: [2000-01-01, 2100-01-01) UTC. Outside it is
// almost always a unit mistake (seconds sent as milliseconds, or the reverse).
export const EARLIEST_MS = Date.UTC(2000, 0, 1);
export const LATEST_MS = Date.UTC(2100, 0, 1);

function secondsOfDay(h: string, m: string, s: string): number | undefined {
  const hour = Number(h);
  const minute = Number(m);
  const second = Number(s);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  return hour * 3600 + minute * 60 + second;
}

function dayOf(date: string): number | undefined {
  try {
    return dateToDay(date);
  } catch {
    return undefined;
  }
}

/** "2026-11-22T10:00:00+08:00" (offset or Z required, up to milliseconds) → Unix ms, or undefined. */
export function parseIsoWithOffset(value: string): number | undefined {
  const m = ISO.exec(value);
  if (m === null) return undefined;
  const day = dayOf(m[1]!);
  const sod = secondsOfDay(m[2]!, m[3]!, m[4]!);
  if (day === undefined || sod === undefined) return undefined;
  let offset = 0;
  if (m[6] !== "Z") {
    const oh = Number(m[8]);
    const om = Number(m[9]);
    if (oh > 14 || om > 59) return undefined;
    offset = (m[7] === "-" ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const ms = Number((m[5] ?? "").padEnd(3, "0"));
  return (day * 86_400 + sod - offset) * 1000 + ms;
}

/** "20261122100000" (yyyyMMddHHmmss, Asia/Shanghai wall time) → Unix ms, or undefined. */
export function parseCompactShanghai(value: string): number | undefined {
  const m = COMPACT.exec(value);
  if (m === null) return undefined;
  const day = dayOf(`${m[1]}-${m[2]}-${m[3]}`);
  const sod = secondsOfDay(m[4]!, m[5]!, m[6]!);
  if (day === undefined || sod === undefined) return undefined;
  return (day * 86_400 + sod - SHANGHAI_OFFSET_SECONDS) * 1000;
}

/** Unix ms → "2026-11-22T10:00:00+08:00" (".123" appended to the seconds when ms ≠ 0). */
export function formatShanghaiIso(unixMs: number): string {
  const ms = ((unixMs % 1000) + 1000) % 1000;
  const local = (unixMs - ms) / 1000 + SHANGHAI_OFFSET_SECONDS;
  const day = Math.floor(local / 86_400);
  const sod = local - day * 86_400;
  const hh = String(Math.floor(sod / 3600)).padStart(2, "0");
  const mm = String(Math.floor((sod % 3600) / 60)).padStart(2, "0");
  const ss = String(sod % 60).padStart(2, "0");
  const frac = ms === 0 ? "" : `.${String(ms).padStart(3, "0")}`;
  return `${dayToDate(day)}T${hh}:${mm}:${ss}${frac}+08:00`;
}

export function isPlausibleInstant(unixMs: number): boolean {
  return Number.isSafeInteger(unixMs) && unixMs >= EARLIEST_MS && unixMs < LATEST_MS;
}
