// Times and sizes as the page shows them. Evidence times are block times (Unix seconds); a
// court in China reads them in Beijing time, and UTC is shown beside it so nothing depends on
// the clerk's computer clock or zone.

function wallClock(unixSeconds, timeZone) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(unixSeconds * 1000));
  const get = (type) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}:${get("second")}`;
}

/** "2026-01-01 08:00:00" in Asia/Shanghai (UTC+8, no daylight saving). */
export function beijingTime(unixSeconds) {
  return wallClock(unixSeconds, "Asia/Shanghai");
}

/** "2026-01-01 00:00:00" in UTC. */
export function utcTime(unixSeconds) {
  return wallClock(unixSeconds, "UTC");
}

export function isoToUnix(iso) {
  return Math.floor(Date.parse(iso) / 1000);
}

export function fileSize(bytes, lang) {
  const unit = lang === "zh" ? "字节" : "bytes";
  return `${bytes.toLocaleString(lang === "zh" ? "zh-CN" : "en-US")} ${unit}`;
}

/** 0x1234…cdef: long hashes in running text; the full value is shown where it matters. */
export function shortHash(hex) {
  return hex.length > 20 ? `${hex.slice(0, 10)}…${hex.slice(-8)}` : hex;
}
