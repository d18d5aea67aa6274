// Per-member intake quotas: records per second (a token bucket holding one second's worth) and
// records per UTC day. The limits are governed (ConsortiumRegistry parameters, read through the
// chain client) with the service's configured defaults where governance left them unset. A
// member over either quota is refused with ANCHOR_ERR_QUOTA_EXCEEDED (429) and a Retry-After,
// before anything is stored — so one member flooding the intake cannot take the group commits
// (and the other members' latency) for itself.
//
// Three steps: `admits` before the body is read (a member already out of records is turned away
// for the cost of its headers); `reserve` once the signature holds, before the body is parsed
// (it sets aside what the member's last refused request needed, 1 record otherwise); `charge`
// once the records are counted (the reservation returned, the count taken or refused). A member
// refused by `charge` is turned away by `admits` and `reserve` until its bucket holds what that
// request needed, and the reservation lets only as many of its concurrent requests be parsed as
// the bucket can take: a flood of large requests costs one parse per refill, not one per request. Every record of a signed request counts, whether new, a re-submission or refused
// later (a replay): what a member sends is what loads the service.
import { anchorError, type AnchorError } from "../errors.ts";

export type QuotaLimits = { recordsPerSecond: number; recordsPerDay: number };

const DAY_SECONDS = 86_400;

/**
 * One member's state: the bucket (records, may be negative after a large request), what its
 * last refused request needed (1 once one is taken), and the day's count.
 */
type Usage = { tokens: number; atMs: number; need: number; day: number; used: number };

export class IntakeQuotas {
  readonly #usage = new Map<number, Usage>();
  /** A monotonic millisecond clock (the per-second bucket). */
  readonly nowMs: () => number;
  /** The service's unix clock in seconds (the day window). */
  readonly nowSeconds: () => number;

  constructor(nowMs: () => number, nowSeconds: () => number) {
    this.nowMs = nowMs;
    this.nowSeconds = nowSeconds;
  }

  /** The member's usage with the bucket refilled to now and the day rolled over if it changed. */
  #usageOf(memberId: number, limits: QuotaLimits): Usage {
    const now = this.nowMs();
    const day = Math.floor(this.nowSeconds() / DAY_SECONDS);
    let u = this.#usage.get(memberId);
    if (u === undefined) {
      u = { tokens: limits.recordsPerSecond, atMs: now, need: 1, day, used: 0 };
      this.#usage.set(memberId, u);
      return u;
    }
    if (now > u.atMs) {
      u.tokens = Math.min(
        limits.recordsPerSecond,
        u.tokens + ((now - u.atMs) * limits.recordsPerSecond) / 1000,
      );
      u.atMs = now;
    }
    if (day !== u.day) {
      u.day = day;
      u.used = 0;
    }
    return u;
  }

  /** Before the body: refused if the member has no record left this second or this day. */
  admits(memberId: number, limits: QuotaLimits): AnchorError | undefined {
    const u = this.#usageOf(memberId, limits);
    if (u.used >= limits.recordsPerDay) return this.#overDay(memberId, limits, u);
    const need = Math.min(u.need, limits.recordsPerSecond);
    if (u.tokens < need) return this.#overSecond(memberId, limits, u, need);
    return undefined;
  }

  /** Once the signature holds, before parsing: sets aside what the member needs now (returned), or refuses. */
  reserve(memberId: number, limits: QuotaLimits): number | AnchorError {
    const refused = this.admits(memberId, limits);
    if (refused !== undefined) return refused;
    const u = this.#usage.get(memberId)!;
    const need = Math.min(u.need, limits.recordsPerSecond);
    u.tokens -= need;
    return need;
  }

  /** Gives back a reservation no charge used (the body was refused before its records were counted). */
  release(memberId: number, reserved: number, limits: QuotaLimits): void {
    const u = this.#usageOf(memberId, limits);
    u.tokens = Math.min(limits.recordsPerSecond, u.tokens + reserved);
  }

  /**
   * Counts `records` against the member's quotas, or refuses them (nothing counted); `reserved`
   * (from reserve) is returned to the bucket first. A request larger than one second's worth is
   * taken when the bucket is full and paid back over time.
   */
  charge(memberId: number, records: number, limits: QuotaLimits, reserved = 0): AnchorError | undefined {
    const u = this.#usageOf(memberId, limits);
    // the reservation was part of the bucket: returned, it cannot lift the bucket past one second's worth
    u.tokens = Math.min(limits.recordsPerSecond, u.tokens + reserved);
    if (u.used + records > limits.recordsPerDay) return this.#overDay(memberId, limits, u);
    const needed = Math.min(records, limits.recordsPerSecond);
    if (u.tokens < needed) {
      u.need = needed;
      return this.#overSecond(memberId, limits, u, needed);
    }
    u.need = 1;
    u.tokens -= records;
    u.used += records;
    return undefined;
  }

  #overSecond(memberId: number, limits: QuotaLimits, u: Usage, needed: number): AnchorError {
    const retryAfterSeconds = Math.max(1, Math.ceil((needed - u.tokens) / limits.recordsPerSecond));
    return anchorError(
      "ANCHOR_ERR_QUOTA_EXCEEDED",
      `member ${memberId} is over its intake quota of ${limits.recordsPerSecond} records per second; retry after ${retryAfterSeconds} s`,
      {
        quota: "recordsPerSecond",
        limit: limits.recordsPerSecond,
        retryAfterSeconds,
      },
    );
  }

  #overDay(memberId: number, limits: QuotaLimits, u: Usage): AnchorError {
    const retryAfterSeconds = Math.max(1, (u.day + 1) * DAY_SECONDS - this.nowSeconds());
    return anchorError(
      "ANCHOR_ERR_QUOTA_EXCEEDED",
      `member ${memberId} has used ${u.used} of its ${limits.recordsPerDay} records for this UTC day; retry after ${retryAfterSeconds} s`,
      {
        quota: "recordsPerDay",
        limit: limits.recordsPerDay,
        used: u.used,
        retryAfterSeconds,
      },
    );
  }
}

/** The limits in force: the governed parameters where set (non-zero), else the configured defaults. */
export function quotaLimits(governed: Partial<QuotaLimits> | undefined, defaults: QuotaLimits): QuotaLimits {
  return {
    recordsPerSecond:
      governed?.recordsPerSecond !== undefined && governed.recordsPerSecond > 0
        ? governed.recordsPerSecond
        : defaults.recordsPerSecond,
    recordsPerDay:
      governed?.recordsPerDay !== undefined && governed.recordsPerDay > 0
        ? governed.recordsPerDay
        : defaults.recordsPerDay,
  };
}
