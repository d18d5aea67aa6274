// Working days (工作日) in mainland China for case deadlines: Monday to Friday, less the public
// holidays, plus the weekend days declared working days (调休上班), from the State Council's
// yearly notice — one data file per year under calendar/, naming its source. A year without its
// file is refused rather than guessed: the notice for it has to be added first. A year whose
// notice is not out yet may ship the statutory holidays of 《全国年节及纪念日放假办法》 alone,
// marked `provisional` (its substitute days off and weekend working days follow the notice).
import { readFileSync } from "node:fs";
import { dateToDay, dayToDate } from "../../../common/lending/dates.ts";
import { nodeError } from "../errors.ts";

export type YearCalendar = {
  year: number;
  source: { title: string; issuer: string; issued: string; published: string };
  holidays: string[];
  workdays: string[];
  /** Why the year is not final yet (the statutory holidays only, the notice pending). */
  provisional?: string;
};

const years = new Map<number, YearCalendar | null>();

function calendarOf(year: number): YearCalendar {
  if (!years.has(year)) {
    try {
      const text = readFileSync(new URL(`./calendar/${year}.json`, import.meta.url), "utf8");
      years.set(year, JSON.parse(text) as YearCalendar);
    } catch {
      years.set(year, null);
    }
  }
  const c = years.get(year);
  if (c === null || c === undefined)
    throw nodeError(
      "NODE_ERR_NOT_FOUND",
      `no working-day calendar for ${year}: add calendar/${year}.json from that year's State Council notice`,
    );
  return c;
}

/** Is the Asia/Shanghai date ('YYYY-MM-DD') a working day? */
export function isWorkingDay(date: string): boolean {
  const c = calendarOf(Number(date.slice(0, 4)));
  if (c.holidays.includes(date)) return false;
  if (c.workdays.includes(date)) return true;
  // day 0 (1970-01-01) was a Thursday
  const weekday = (((dateToDay(date) + 4) % 7) + 7) % 7; // 0 = Sunday
  return weekday !== 0 && weekday !== 6;
}

/** The `n`th working day after `date` (the day itself not counted). */
export function addWorkingDays(date: string, n: number): string {
  let day = dateToDay(date);
  for (let left = n; left > 0;) {
    day += 1;
    if (isWorkingDay(dayToDate(day))) left -= 1;
  }
  return dayToDate(day);
}

/** The source of a year's calendar, for a deadline's explanation, and why it is provisional if it is. */
export function calendarSource(year: number): YearCalendar["source"] & { provisional?: string } {
  const c = calendarOf(year);
  return c.provisional === undefined ? c.source : { ...c.source, provisional: c.provisional };
}
