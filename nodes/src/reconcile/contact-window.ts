// Reminders and collection contacts only from 08:00 to 21:00 Asia/Shanghai (borrowers may not be
// contacted between 21:00 and 08:00). The window is [08:00:00, 21:00:00): 20:59:59 is the last
// allowed second, 21:00:00 the first refused one. Shanghai is UTC+8 all year (no DST), so this is
// integer arithmetic on Unix seconds; the host time zone never matters.
import { SECONDS_PER_DAY, SHANGHAI_OFFSET_SECONDS } from "../../../common/lending/dates.ts";
import { ReconcileError } from "./errors.ts";

/** Seconds after Shanghai midnight: the first allowed second, and the first refused one after it. */
export const CONTACT_WINDOW_START = 8 * 3600;
export const CONTACT_WINDOW_END = 21 * 3600;

function shanghaiSplit(unixSeconds: number): { day: number; secondOfDay: number } {
  if (!Number.isSafeInteger(unixSeconds)) {
    throw new ReconcileError(
      "NODE_ERR_BAD_TIME",
      `a Unix time in whole seconds, got ${String(unixSeconds)}`,
      [{ field: "unixSeconds", message: "an integer" }],
    );
  }
  const local = unixSeconds + SHANGHAI_OFFSET_SECONDS;
  const day = Math.floor(local / SECONDS_PER_DAY);
  return { day, secondOfDay: local - day * SECONDS_PER_DAY };
}

/** May the borrower be contacted at this instant? */
export function isContactAllowed(unixSeconds: number): boolean {
  const { secondOfDay } = shanghaiSplit(unixSeconds);
  return secondOfDay >= CONTACT_WINDOW_START && secondOfDay < CONTACT_WINDOW_END;
}

/** The first allowed instant at or after `unixSeconds`: itself, or 08:00 Shanghai the same or the next day. */
export function nextContactTime(unixSeconds: number): number {
  const { day, secondOfDay } = shanghaiSplit(unixSeconds);
  if (secondOfDay >= CONTACT_WINDOW_START && secondOfDay < CONTACT_WINDOW_END) return unixSeconds;
  const startDay = secondOfDay < CONTACT_WINDOW_START ? day : day + 1;
  return startDay * SECONDS_PER_DAY + CONTACT_WINDOW_START - SHANGHAI_OFFSET_SECONDS;
}
