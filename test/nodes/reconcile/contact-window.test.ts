// The contact window, 08:00–21:00 Asia/Shanghai, at every boundary. Instants are written as ISO
// 8601 with offset and converted with Date.parse, independently of the code under test.
import { expect } from "chai";
import { isContactAllowed, nextContactTime } from "../../../nodes/src/reconcile/contact-window.ts";
import { ReconcileError } from "../../../nodes/src/reconcile/errors.ts";

const at = (iso: string): number => Date.parse(iso) / 1000;

describe("contact window", () => {
  // instants in the window: contact allowed now, so the next allowed instant is the instant itself
  const open = [
    "2026-11-22T08:00:00+08:00",
    "2026-11-22T08:00:01+08:00",
    "2026-11-22T12:00:00+08:00",
    "2026-11-22T20:59:59+08:00",
    // the UTC day changes at 08:00 Shanghai: the window starts exactly at UTC midnight
    "2026-11-23T00:00:00Z",
    "2026-11-22T12:59:59Z",
    "1969-12-31T12:59:59Z", // before 1970: a negative Unix time
  ];
  // instants outside the window, grouped by the instant it opens again
  const closed: Array<[next: string, instants: string[]]> = [
    ["2026-11-22T08:00:00+08:00", ["2026-11-22T07:59:59+08:00"]],
    [
      "2026-11-23T08:00:00+08:00",
      [
        "2026-11-22T21:00:00+08:00",
        "2026-11-22T23:59:59+08:00",
        "2026-11-23T00:00:00+08:00",
        "2026-11-23T03:30:00+08:00",
      ],
    ],
    [
      "2026-11-23T00:00:00Z",
      [
        "2026-11-22T23:59:59Z",
        "2026-11-22T13:00:00Z",
        "2026-11-22T15:59:59Z", // 23:59:59 Shanghai
        "2026-11-22T16:00:00Z", // midnight Shanghai, same UTC day
      ],
    ],
    // month, year and leap-day ends
    ["2027-01-01T08:00:00+08:00", ["2026-12-31T21:00:00+08:00"]],
    ["2028-02-29T08:00:00+08:00", ["2028-02-28T22:15:00+08:00"]],
    ["2028-03-01T08:00:00+08:00", ["2028-02-29T21:00:00+08:00"]],
    // before 1970: negative Unix times
    ["1970-01-01T00:00:00Z", ["1969-12-31T23:59:59Z"]],
  ];
  const cases: Array<[instant: string, allowed: boolean, next: string]> = [
    ...open.map((instant): [string, boolean, string] => [instant, true, instant]),
    ...closed.flatMap(([next, instants]) =>
      instants.map((instant): [string, boolean, string] => [instant, false, next]),
    ),
  ];
  for (const [instant, allowed, next] of cases) {
    it(`${instant}: ${allowed ? "allowed" : `not allowed, next ${next}`}`, () => {
      expect(isContactAllowed(at(instant))).to.equal(allowed);
      expect(nextContactTime(at(instant))).to.equal(at(next));
    });
  }

  it("agrees with a wall-clock reference for every minute of two days, and next is the first allowed second", () => {
    const start = at("2026-11-21T00:00:00+08:00");
    for (let t = start; t < start + 2 * 86_400; t += 60) {
      const hour = new Date((t + 8 * 3600) * 1000).getUTCHours();
      const expected = hour >= 8 && hour < 21;
      expect(isContactAllowed(t), String(t)).to.equal(expected);
      const next = nextContactTime(t);
      expect(isContactAllowed(next)).to.equal(true);
      expect(next >= t).to.equal(true);
      if (next > t) expect(isContactAllowed(next - 1)).to.equal(false);
      expect(next - t <= 11 * 3600).to.equal(true); // the longest gap: 21:00 → 08:00
    }
  });

  it("NODE_ERR_BAD_TIME for anything but whole seconds", () => {
    for (const t of [1.5, Number.NaN, Number.POSITIVE_INFINITY, Date.now() * 1000 * 1000]) {
      let caught: unknown;
      try {
        isContactAllowed(t);
      } catch (e) {
        caught = e;
      }
      expect(caught, String(t)).to.be.instanceOf(ReconcileError);
      expect((caught as ReconcileError).code).to.equal("NODE_ERR_BAD_TIME");
    }
  });
});
