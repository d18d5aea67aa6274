// The disposable demo's consortium on its chain's clock. The overdue scenario moves the chain
// weeks ahead; production never does. So that intake receipts, TSA tokens, witnesses' cosignatures,
// signed requests and block times agree as they would in production, every process of the
// disposable consortium reads the time as the chain's: this process through moveClock(), each child
// service through clock-preload.ts (NODE_OPTIONS --import), which follows the milliseconds-ahead
// figure the demo writes to the file named by JL_DEMO_CLOCK_FILE. The persistent consortium is
// started without it and its clock is never moved.
import { readFileSync, renameSync, unwatchFile, watchFile, writeFileSync } from "node:fs";

export const CLOCK_FILE_VARIABLE = "JL_DEMO_CLOCK_FILE";
/** How often a child looks at the file; the demo waits a few of these after each move. */
export const CLOCK_POLL_MS = 100;

const RealDate = Date;
const realNow = Date.now.bind(Date);
let aheadMs = 0;

/** The machine's own clock, whatever offset this process reads the time with. */
export const wallNow = (): number => realNow();
let installed = false;

/**
 * Date.now(), `new Date()` and `Date()` read the wall clock plus the current offset; every other
 * use of Date (and instanceof) is the real Date's.
 */
function install(): void {
  if (installed) return;
  installed = true;
  const now = () => realNow() + aheadMs;
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args: unknown[], newTarget: NewableFunction) =>
      Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget) as object,
    apply: () => new RealDate(now()).toString(),
    get: (target, property, receiver: unknown) =>
      property === "now" ? now : (Reflect.get(target, property, receiver) as unknown),
  });
}

/** The offset in `file` (ms ahead of the wall clock); 0 while the file is missing or unreadable. */
function readAhead(file: string): number {
  try {
    const value = Number(readFileSync(file, "utf8").trim());
    return Number.isSafeInteger(value) ? value : aheadMs;
  } catch {
    return aheadMs;
  }
}

/** This process's clock follows `file` from now on (the preload's job in each child). */
export function followClockFile(file: string): void {
  install();
  aheadMs = readAhead(file);
  watchFile(file, { interval: CLOCK_POLL_MS, persistent: false }, () => {
    aheadMs = readAhead(file);
  });
}

/**
 * This process's clock `ms` ahead of the wall clock at once, and `file` rewritten (whole, by
 * rename) for the children, which follow it within CLOCK_POLL_MS.
 */
export function moveClock(file: string, ms: number): void {
  install();
  aheadMs = Math.round(ms);
  writeFileSync(`${file}.tmp`, `${aheadMs}\n`);
  renameSync(`${file}.tmp`, file);
}

/** This process back on the wall clock (e.g. a test process after the disposable consortium stopped). */
export function wallClock(file?: string): void {
  if (file !== undefined) unwatchFile(file);
  aheadMs = 0;
  if (installed) globalThis.Date = RealDate;
  installed = false;
}

/** The environment that puts a child service on the clock `file` holds (given to startLocalConsortium's env). */
export function chainClockEnv(file: string): Record<string, string> {
  const preload = new URL("./clock-preload.ts", import.meta.url).href;
  writeFileSync(file, `${aheadMs}\n`);
  return {
    [CLOCK_FILE_VARIABLE]: file,
    NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import ${preload}`].filter((o) => o).join(" "),
  };
}
