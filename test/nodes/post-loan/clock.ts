// Unix seconds of a wall-clock time in Asia/Shanghai (UTC+8 all year) on a ledger day.
import { SECONDS_PER_DAY, SHANGHAI_OFFSET_SECONDS } from "../../../common/lending/dates.ts";

export function shanghaiTime(day: number, hour: number, minute = 0): number {
  return day * SECONDS_PER_DAY - SHANGHAI_OFFSET_SECONDS + hour * 3600 + minute * 60;
}
