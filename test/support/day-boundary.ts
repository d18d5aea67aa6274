// The ledger disburses a loan only on its start day, the block time's day in Asia/Shanghai, and
// the tests take the chain's today as that start day: a loan approved before Shanghai midnight
// (16:00 UTC) and disbursed after it is refused (LedgerDisbursementDateMismatch). A test that owns
// its chain moves it (and its clocks) past a midnight that is near; one that does not waits it out.
import type { JsonRpcProvider } from "ethers";
import { SECONDS_PER_DAY, SHANGHAI_OFFSET_SECONDS, shanghaiDay } from "../../common/lending/dates.ts";

/** Closer than this to the next Shanghai midnight (seconds), a suite that owns its chain moves past it. */
export const MIDNIGHT_MARGIN_SECONDS = 900;
/** How far past that midnight it lands (seconds). */
export const PAST_MIDNIGHT_SECONDS = 60;

/** Unix seconds of the first Shanghai midnight after `now` (Unix seconds). */
export function nextShanghaiMidnight(now: number): number {
  return (shanghaiDay(now) + 1) * SECONDS_PER_DAY - SHANGHAI_OFFSET_SECONDS;
}

/**
 * Where to move a chain whose time is `now` (Unix seconds) so that the next `margin` seconds fall
 * on one Shanghai day: `past` seconds after the next midnight when that midnight is at most
 * `margin` away; undefined when there is no need.
 */
export function pastNearMidnight(
  now: number,
  margin: number = MIDNIGHT_MARGIN_SECONDS,
  past: number = PAST_MIDNIGHT_SECONDS,
): number | undefined {
  const midnight = nextShanghaiMidnight(now);
  return midnight - now <= margin ? midnight + past : undefined;
}

/**
 * The time the chain's next block gets (Unix seconds): the latest block's time, or this process's
 * clock when that is later (an idle Anvil's latest block may be minutes old).
 */
export async function chainNow(provider: JsonRpcProvider): Promise<number> {
  const latest = (await provider.getBlock("latest"))!.timestamp;
  return Math.max(latest, Math.floor(Date.now() / 1000));
}

/**
 * Moves the chain alone a minute past the next Shanghai midnight when that is near (a block
 * mined); for tests whose services do not compare the chain's time with their own clock.
 */
export async function chainPastNearMidnight(provider: JsonRpcProvider): Promise<void> {
  const target = pastNearMidnight(await chainNow(provider));
  if (target === undefined) return;
  await provider.send("evm_setNextBlockTimestamp", [target]);
  await provider.send("evm_mine", []);
}

/**
 * Until the chain's day can no longer change within `margin` seconds: when the next Shanghai
 * midnight is that near, `log` says so and this sleeps until `past` seconds after it. For tests
 * on a chain whose clock they must not move (a consortium whose services read the wall clock).
 */
export async function waitOutNearMidnight(
  provider: JsonRpcProvider,
  log: (line: string) => void,
  margin = 180,
  past = 5,
): Promise<void> {
  const now = await chainNow(provider);
  const target = pastNearMidnight(now, margin, past);
  if (target === undefined) return;
  log(`Shanghai midnight is ${nextShanghaiMidnight(now) - now} s away: waiting until just after it`);
  await new Promise((resolve) => setTimeout(resolve, (target - now) * 1000));
}
