// Money, Shanghai dates and repayment schedules (common/lending/SCHEDULE.md). Expected values
// come from outside the module under test: the float closed-form annuity, bigint arithmetic
// written out here, Date.parse / toISOString for the calendar, and hand-computed cases.
import { expect } from "chai";
import {
  DateError,
  addMonths,
  dateToDay,
  dayToDate,
  dueTimestamp,
  shanghaiDay,
  type DateErrorCode,
} from "../../common/lending/dates.ts";
import {
  MoneyFormatError,
  divRoundHalfUp,
  formatYuan,
  parseYuan,
  type MoneyErrorCode,
} from "../../common/lending/money.ts";
import {
  RepaymentMethod,
  ScheduleError,
  generateSchedule,
  scheduleTotals,
  type Installment,
  type ScheduleErrorCode,
  type ScheduleInput,
} from "../../common/lending/schedule.ts";
import { expectCode } from "../support/expect-error.ts";

/** 2026-01-31 and the end of each of the next 12 months, written out by hand. */
const MONTH_ENDS_FROM_JAN_31 = [
  "2026-01-31",
  "2026-02-28",
  "2026-03-31",
  "2026-04-30",
  "2026-05-31",
  "2026-06-30",
  "2026-07-31",
  "2026-08-31",
  "2026-09-30",
  "2026-10-31",
  "2026-11-30",
  "2026-12-31",
  "2027-01-31",
];

// Written out independently of divRoundHalfUp: floor((n + d/2) / d) with the half kept exact.
const roundHalfUp = (n: bigint, d: bigint): bigint => (n * 2n + d) / (d * 2n);
const fen = (yuan: string): bigint => parseYuan(yuan);

describe("common/lending/money", () => {
  it("parseYuan reads plain decimal yuan into exact fen", () => {
    const cases: [string, bigint][] = [
      ["0", 0n],
      ["0.01", 1n],
      ["1", 100n],
      ["1.5", 150n],
      ["1.05", 105n],
      ["1234.50", 123_450n],
      ["007.10", 710n],
      ["200000", 20_000_000n],
      ["123456789012345678.99", 12_345_678_901_234_567_899n], // beyond 2^53: no float on the way
    ];
    for (const [s, want] of cases) expect(parseYuan(s), s).to.equal(want);
  });

  it("parseYuan refuses signs, exponents, spaces and half numbers with MONEY_BAD_FORMAT", () => {
    for (const s of [
      "",
      " 1",
      "1 ",
      "-1",
      "+1",
      "1e3",
      "1.",
      ".5",
      "1,000",
      "1.2.3",
      "0x10",
      "NaN",
      "１",
      "1_000",
    ]) {
      expectCode(() => parseYuan(s), MoneyFormatError, "MONEY_BAD_FORMAT" satisfies MoneyErrorCode, s);
    }
    expectCode(() => parseYuan(12 as unknown as string), MoneyFormatError, "MONEY_BAD_FORMAT", "a number");
  });

  it("parseYuan refuses a third decimal, even a zero, with MONEY_TOO_MANY_DECIMALS", () => {
    for (const s of ["1.234", "0.001", "1.230", "5.000"]) {
      expectCode(() => parseYuan(s), MoneyFormatError, "MONEY_TOO_MANY_DECIMALS" satisfies MoneyErrorCode, s);
    }
  });

  it("formatYuan writes two decimals and round-trips with parseYuan", () => {
    expect(formatYuan(123_450n)).to.equal("1234.50");
    expect(formatYuan(0n)).to.equal("0.00");
    expect(formatYuan(5n)).to.equal("0.05");
    expect(formatYuan(100n)).to.equal("1.00");
    expect(formatYuan(-5n)).to.equal("-0.05");
    expect(formatYuan(12_345_678_901_234_567_899n)).to.equal("123456789012345678.99");
    for (let f = 0n; f < 2_000n; f += 7n) expect(parseYuan(formatYuan(f))).to.equal(f);
  });

  it("divRoundHalfUp is the nearest integer with exact halves rounded up", () => {
    expect(divRoundHalfUp(5n, 10n)).to.equal(1n);
    expect(divRoundHalfUp(15n, 10n)).to.equal(2n);
    expect(divRoundHalfUp(25n, 10n)).to.equal(3n);
    expect(divRoundHalfUp(14n, 10n)).to.equal(1n);
    expect(divRoundHalfUp(4n, 10n)).to.equal(0n);
    expect(divRoundHalfUp(0n, 7n)).to.equal(0n);
    // Characterisation: q = round_half_up(n/d) iff -1/2 <= n/d - q < 1/2, i.e. -d <= 2(n - q·d) < d.
    for (let d = 1n; d <= 24n; d++) {
      for (let n = 0n; n <= 300n; n++) {
        const q = divRoundHalfUp(n, d);
        const twiceRest = 2n * (n - q * d);
        expect(twiceRest >= -d && twiceRest < d, `${n}/${d} → ${q}`).to.equal(true);
      }
    }
    expect(() => divRoundHalfUp(1n, 0n)).to.throw(RangeError);
    expect(() => divRoundHalfUp(-1n, 3n)).to.throw(RangeError);
  });
});

describe("common/lending/dates", () => {
  const isoDate = (day: number): string => new Date(day * 86_400_000).toISOString().slice(0, 10);
  const shanghaiEpoch = (isoWithOffset: string): number => Date.parse(isoWithOffset) / 1000;

  it("dayToDate and dateToDay agree with the JavaScript calendar for every day of 1900..2100", () => {
    expect(dateToDay("1970-01-01")).to.equal(0);
    expect(dateToDay("2026-01-01")).to.equal(20_454);
    for (let day = dateToDay("1900-01-01"); day <= dateToDay("2100-12-31"); day++) {
      const date = isoDate(day);
      if (dayToDate(day) !== date || dateToDay(date) !== day) {
        expect.fail(`day ${day}: got ${dayToDate(day)} / ${dateToDay(date)}, want ${date}`);
      }
    }
  });

  it("handles the far ends of the four-digit calendar", () => {
    expect(dayToDate(dateToDay("0001-01-01"))).to.equal("0001-01-01");
    expect(dayToDate(dateToDay("9999-12-31"))).to.equal("9999-12-31");
    expectCode(
      () => dayToDate(dateToDay("9999-12-31") + 1),
      DateError,
      "DATE_OUT_OF_RANGE" satisfies DateErrorCode,
    );
    expectCode(() => dayToDate(1.5), DateError, "DATE_OUT_OF_RANGE");
  });

  it("dateToDay refuses anything but a real YYYY-MM-DD date", () => {
    for (const s of [
      "2026-02-29",
      "2100-02-29",
      "2026-13-01",
      "2026-00-10",
      "2026-04-31",
      "2026-1-1",
      "20260101",
      "2026/01/01",
      "0000-01-01",
      " 2026-01-01",
      "",
    ]) {
      expectCode(() => dateToDay(s), DateError, "DATE_BAD_FORMAT" satisfies DateErrorCode, s);
    }
    expect(dayToDate(dateToDay("2000-02-29"))).to.equal("2000-02-29");
    expect(dayToDate(dateToDay("2028-02-29"))).to.equal("2028-02-29");
  });

  it("shanghaiDay changes at midnight +08:00, not at midnight UTC", () => {
    const midnight = shanghaiEpoch("2026-01-01T00:00:00+08:00");
    expect(shanghaiDay(midnight)).to.equal(dateToDay("2026-01-01"));
    expect(shanghaiDay(midnight - 1)).to.equal(dateToDay("2025-12-31"));
    // 2026-01-01T00:00:00Z is 08:00 in Shanghai: still the same day as the hour before.
    expect(shanghaiDay(shanghaiEpoch("2026-01-01T00:00:00Z"))).to.equal(dateToDay("2026-01-01"));
    expect(shanghaiDay(shanghaiEpoch("2025-12-31T15:59:59Z"))).to.equal(dateToDay("2025-12-31"));
    expect(shanghaiDay(-1)).to.equal(0);
    expect(shanghaiDay(-28_801)).to.equal(-1);
    expectCode(() => shanghaiDay(Number.NaN), DateError, "DATE_BAD_TIME" satisfies DateErrorCode);
  });

  it("dueTimestamp is 23:59:59+08:00 of the due day, and the next second is the next day", () => {
    for (const date of ["1970-01-01", "2026-01-31", "2026-02-28", "2028-02-29", "2026-12-31", "2038-01-19"]) {
      const day = dateToDay(date);
      const due = dueTimestamp(day);
      expect(due, date).to.equal(shanghaiEpoch(`${date}T23:59:59+08:00`));
      expect(shanghaiDay(due), date).to.equal(day);
      expect(shanghaiDay(due + 1), date).to.equal(day + 1);
    }
    for (let day = 20_000; day < 21_000; day++) {
      expect(shanghaiDay(dueTimestamp(day))).to.equal(day);
      expect(shanghaiDay(dueTimestamp(day) + 1)).to.equal(day + 1);
    }
  });

  it("addMonths clamps to the month's end without carrying the clamp forward", () => {
    const fromJan31 = Array.from({ length: 13 }, (_, k) => addMonths("2026-01-31", k));
    expect(fromJan31).to.deep.equal(MONTH_ENDS_FROM_JAN_31);
    expect(addMonths("2028-01-31", 1)).to.equal("2028-02-29");
    expect(addMonths("2028-01-29", 1)).to.equal("2028-02-29");
    expect(addMonths("2027-01-29", 1)).to.equal("2027-02-28");
    expect(addMonths("2028-02-29", 12)).to.equal("2029-02-28");
    expect(addMonths("2028-02-29", 48)).to.equal("2032-02-29");
    expect(addMonths("2000-01-31", 1)).to.equal("2000-02-29");
    expect(addMonths("2100-01-31", 1)).to.equal("2100-02-28");
    expect(addMonths("2026-12-15", 1)).to.equal("2027-01-15");
    expect(addMonths("2026-01-15", -1)).to.equal("2025-12-15");
    expect(addMonths("2026-03-31", -1)).to.equal("2026-02-28");
    expect(addMonths("2026-05-20", 0)).to.equal("2026-05-20");
    expectCode(() => addMonths("9999-12-01", 1), DateError, "DATE_OUT_OF_RANGE");
    expectCode(() => addMonths("2026-02-30", 1), DateError, "DATE_BAD_FORMAT");
  });
});

// ---- Schedules ------------------------------------------------------------------------------

const D = 120_000n; // monthly rate r = aprBps / 120000

function monthly(
  principalFen: bigint,
  aprBps: number,
  termMonths: number,
  startDate = "2026-01-15",
): ScheduleInput {
  return { principalFen, aprBps, method: RepaymentMethod.EqualInstallment, startDate, termMonths };
}

/** Checks what every schedule must satisfy, whatever the method. */
function checkShape(s: Installment[], principalFen: bigint): void {
  expect(s.map((i) => i.index)).to.deep.equal(s.map((_, k) => k + 1));
  let sum = 0n;
  for (const i of s) {
    expect(i.dueDay).to.equal(dateToDay(i.dueDate));
    expect(i.totalFen).to.equal(i.principalFen + i.interestFen);
    expect(i.principalFen >= 0n && i.interestFen >= 0n, `installment ${i.index}`).to.equal(true);
    sum += i.principalFen;
  }
  for (let k = 1; k < s.length; k++) expect(s[k]!.dueDay > s[k - 1]!.dueDay).to.equal(true);
  expect(sum).to.equal(principalFen);
}

describe("common/lending/schedule: equal installment (等额本息)", () => {
  // [principal in yuan, aprBps, months]
  const table: [string, number, number][] = [
    ["10000.00", 2400, 12],
    ["100000", 720, 36],
    ["3000", 1800, 6],
    ["200000", 365, 24],
    ["50000", 1200, 24],
    ["12345.67", 1499, 18],
    ["8888.88", 2400, 36],
    ["150000", 435, 12],
    ["3000", 1, 36],
    ["200000", 2400, 1],
    ["76543.21", 999, 7],
    ["30000", 3600, 36],
  ];

  for (const [yuan, aprBps, n] of table) {
    it(`${yuan} yuan at ${aprBps} bps over ${n} months matches the closed-form annuity`, () => {
      const P = fen(yuan);
      const s = generateSchedule(monthly(P, aprBps, n));
      expect(s).to.have.length(n);
      checkShape(s, P);

      // Independent float closed form, in fen.
      const r = aprBps / 120_000;
      const g = (1 + r) ** n;
      const closedForm = (Number(P) * r * g) / (g - 1);
      const payment = s[0]!.totalFen;
      // plain comparison: Hardhat's chai matchers read at.most/closeTo arguments as bigint
      expect(Math.abs(Number(payment) - closedForm) <= 1, `payment ${payment} vs ${closedForm}`).to.equal(
        true,
      );

      // Every installment but the last pays exactly the payment; interest is round(remaining·r).
      const a = BigInt(aprBps);
      let remaining = P;
      for (const i of s) {
        expect(i.interestFen, `interest ${i.index}`).to.equal(roundHalfUp(remaining * a, D));
        if (i.index < n) {
          expect(i.totalFen, `total ${i.index}`).to.equal(payment);
          expect(i.principalFen).to.equal(payment - i.interestFen);
        } else {
          expect(i.principalFen, "last principal").to.equal(remaining);
        }
        remaining -= i.principalFen;
      }
      expect(remaining).to.equal(0n);

      // The last total differs from the payment only by compounded rounding: rounding errors of
      // at most 1 fen a period grow by (1+r) a period (SCHEDULE.md, "Limits").
      const last = s[n - 1]!.totalFen;
      const bound = n * (1 + r) ** (n - 1) + 1;
      expect(Math.abs(Number(last - payment)), `last ${last} vs payment ${payment}`).to.be.at.most(bound);

      // Due dates: the start's day of month, k months on.
      expect(s.map((i) => i.dueDate)).to.deep.equal(s.map((_, k) => addMonths("2026-01-15", k + 1)));
    });
  }

  it("10,000.00 yuan at 24% over 12 months pays 945.60 a month (the textbook figure)", () => {
    const s = generateSchedule(monthly(fen("10000"), 2400, 12));
    expect(formatYuan(s[0]!.totalFen)).to.equal("945.60");
    // First month by hand: interest 10000 × 2% = 200.00, principal 745.60.
    expect(s[0]!.interestFen).to.equal(20_000n);
    expect(s[0]!.principalFen).to.equal(74_560n);
    // Second month: 9254.40 × 2% = 185.088 → 185.09.
    expect(s[1]!.interestFen).to.equal(18_509n);
  });

  it("one month is principal plus one month's interest", () => {
    const s = generateSchedule(monthly(fen("200000"), 2400, 1));
    expect(s).to.have.length(1);
    expect(s[0]!.principalFen).to.equal(fen("200000"));
    expect(s[0]!.interestFen).to.equal(fen("4000"));
  });

  it("0% splits the principal evenly with the remainder on the last installment", () => {
    const s = generateSchedule(monthly(1_000_000n, 0, 7));
    expect(s.map((i) => i.principalFen)).to.deep.equal([...Array<bigint>(6).fill(142_857n), 142_858n]);
    expect(s.every((i) => i.interestFen === 0n)).to.equal(true);
    checkShape(s, 1_000_000n);
  });

  it("principals sum exactly and never go negative, even for principals of a few fen", () => {
    let clamped = 0;
    for (let p = 1n; p <= 600n; p++) {
      for (const [aprBps, n] of [
        [2400, 36],
        [1200, 24],
        [3600, 36],
        [1, 36],
      ] as const) {
        const s = generateSchedule(monthly(p, aprBps, n));
        // Plain comparisons in the loop (chai per installment would dominate the run time).
        const sum = s.reduce((acc, i) => acc + i.principalFen, 0n);
        const bad = s.find(
          (i) => i.principalFen < 0n || i.interestFen < 0n || i.totalFen !== i.principalFen + i.interestFen,
        );
        if (sum !== p || bad !== undefined)
          expect.fail(`${p} fen at ${aprBps} bps, ${n} months: sum ${sum}, bad ${bad?.index}`);
        const payment = s[0]!.totalFen;
        if (s.slice(0, -1).some((i) => i.totalFen !== payment)) clamped++;
      }
    }
    // The clamp path (payment repays more than is left) is exercised, not just present.
    expect(clamped).to.be.greaterThan(0);
  });

  it("monthly due dates from a month's end clamp each month: 2026-01-31 → 02-28, 03-31, …", () => {
    const s = generateSchedule(monthly(fen("3000"), 1800, 12, "2026-01-31"));
    expect(s.map((i) => i.dueDate)).to.deep.equal(MONTH_ENDS_FROM_JAN_31.slice(1));
    const leap = generateSchedule(monthly(fen("3000"), 1800, 4, "2027-11-30"));
    expect(leap.map((i) => i.dueDate)).to.deep.equal([
      "2027-12-30",
      "2028-01-30",
      "2028-02-29",
      "2028-03-30",
    ]);
  });
});

describe("common/lending/schedule: interest first (先息后本)", () => {
  it("100,000 yuan at 7.2% for 12 months: 600.00 a month, principal with the last", () => {
    const P = fen("100000");
    const s = generateSchedule({
      principalFen: P,
      aprBps: 720,
      method: RepaymentMethod.InterestFirst,
      startDate: "2026-01-31",
      termMonths: 12,
    });
    expect(s).to.have.length(12);
    checkShape(s, P);
    for (const i of s.slice(0, -1)) {
      expect(i.interestFen).to.equal(60_000n);
      expect(i.principalFen).to.equal(0n);
    }
    expect(s[11]!.principalFen).to.equal(P);
    expect(s[11]!.totalFen).to.equal(P + 60_000n);
    expect(s[0]!.dueDate).to.equal("2026-02-28");
    expect(s[11]!.dueDate).to.equal("2027-01-31");
    expect(scheduleTotals(s)).to.deep.equal({
      principalFen: P,
      interestFen: 720_000n,
      totalFen: P + 720_000n,
    });
  });

  it("rounds the monthly interest half up, once, on the whole principal", () => {
    const interestOf = (principalFen: bigint, aprBps: number): bigint =>
      generateSchedule({
        principalFen,
        aprBps,
        method: RepaymentMethod.InterestFirst,
        startDate: "2026-03-01",
        termMonths: 3,
      })[0]!.interestFen;
    expect(interestOf(1_234_550n, 1200)).to.equal(12_346n); // 12345.5 fen → up
    expect(interestOf(1_234_549n, 1200)).to.equal(12_345n); // 12345.49 fen → down
    expect(interestOf(333_333n, 1850)).to.equal(5_139n); // 5138.88375 fen
    expect(interestOf(333_333n, 1200)).to.equal(3_333n); // 3333.33 fen
    expect(interestOf(333_333n, 0)).to.equal(0n);
  });
});

describe("common/lending/schedule: bullet (一次性还本付息)", () => {
  const bullet = (
    principalFen: bigint,
    aprBps: number,
    startDate: string,
    term: { termDays: number } | { termMonths: number },
  ): Installment[] =>
    generateSchedule({ principalFen, aprBps, method: RepaymentMethod.Bullet, startDate, ...term });

  it("30 days at 18% on 10,000 yuan: 147.95 yuan (actual/365, 147.945… rounded half up)", () => {
    const s = bullet(fen("10000"), 1800, "2026-01-01", { termDays: 30 });
    expect(s).to.have.length(1);
    expect(s[0]).to.deep.equal({
      index: 1,
      dueDate: "2026-01-31",
      dueDay: dateToDay("2026-01-31"),
      principalFen: 1_000_000n,
      interestFen: 14_795n,
      totalFen: 1_014_795n,
    });
  });

  it("a term in months counts the actual days, including a leap day", () => {
    // 2027-03-01 → 2028-03-01 is 366 days: 1,000,000 × 1000 × 366 / 3,650,000 = 100273.97 fen.
    const s = bullet(fen("10000"), 1000, "2027-03-01", { termMonths: 12 });
    expect(s[0]!.dueDate).to.equal("2028-03-01");
    expect(s[0]!.dueDay - dateToDay("2027-03-01")).to.equal(366);
    expect(s[0]!.interestFen).to.equal(100_274n);
    // One month from Jan 31 is Feb 28: 28 days.
    const feb = bullet(fen("10000"), 3650, "2026-01-31", { termMonths: 1 });
    expect(feb[0]!.dueDate).to.equal("2026-02-28");
    expect(feb[0]!.interestFen).to.equal(28_000n); // 36.50% is 0.1% a day: 1,000,000 × 0.1% × 28
  });

  it("rounds an exact half fen up", () => {
    // 1825 × 1000 × 7 / 3,650,000 = 3.5
    expect(bullet(1_825n, 1000, "2026-05-01", { termDays: 7 })[0]!.interestFen).to.equal(4n);
    expect(bullet(1_824n, 1000, "2026-05-01", { termDays: 7 })[0]!.interestFen).to.equal(3n);
  });

  it("accepts the edges of the day range, 7 and 1096 days", () => {
    expect(bullet(fen("3000"), 2400, "2026-01-01", { termDays: 7 })[0]!.dueDate).to.equal("2026-01-08");
    const long = bullet(fen("3000"), 2400, "2026-01-01", { termDays: 1096 });
    expect(long[0]!.dueDate).to.equal("2029-01-01");
    expect(long[0]!.interestFen).to.equal(roundHalfUp(300_000n * 2400n * 1096n, 3_650_000n));
    expect(bullet(fen("3000"), 0, "2026-01-01", { termDays: 90 })[0]!.interestFen).to.equal(0n);
  });
});

describe("common/lending/schedule: validation", () => {
  const ok: ScheduleInput = monthly(fen("10000"), 2400, 12);
  const cases: [string, Partial<ScheduleInput> & Record<string, unknown>, ScheduleErrorCode][] = [
    ["zero principal", { principalFen: 0n }, "SCHEDULE_BAD_PRINCIPAL"],
    ["negative principal", { principalFen: -1n }, "SCHEDULE_BAD_PRINCIPAL"],
    ["principal as a number", { principalFen: 100 as unknown as bigint }, "SCHEDULE_BAD_PRINCIPAL"],
    ["negative APR", { aprBps: -1 }, "SCHEDULE_BAD_RATE"],
    ["fractional APR", { aprBps: 1.5 }, "SCHEDULE_BAD_RATE"],
    ["NaN APR", { aprBps: Number.NaN }, "SCHEDULE_BAD_RATE"],
    ["unknown method", { method: 3 as RepaymentMethod }, "SCHEDULE_BAD_METHOD"],
    ["0 months", { termMonths: 0 }, "SCHEDULE_TERM_OUT_OF_RANGE"],
    ["37 months", { termMonths: 37 }, "SCHEDULE_TERM_OUT_OF_RANGE"],
    ["1.5 months", { termMonths: 1.5 }, "SCHEDULE_TERM_OUT_OF_RANGE"],
    [
      "bullet 6 days",
      { method: RepaymentMethod.Bullet, termMonths: undefined, termDays: 6 },
      "SCHEDULE_TERM_OUT_OF_RANGE",
    ],
    [
      "bullet 1097 days",
      { method: RepaymentMethod.Bullet, termMonths: undefined, termDays: 1097 },
      "SCHEDULE_TERM_OUT_OF_RANGE",
    ],
    ["bullet 37 months", { method: RepaymentMethod.Bullet, termMonths: 37 }, "SCHEDULE_TERM_OUT_OF_RANGE"],
    ["equal installment in days", { termMonths: undefined, termDays: 30 }, "SCHEDULE_WRONG_TERM_KIND"],
    [
      "interest-first in days",
      { method: RepaymentMethod.InterestFirst, termMonths: undefined, termDays: 30 },
      "SCHEDULE_WRONG_TERM_KIND",
    ],
    ["monthly with no term", { termMonths: undefined }, "SCHEDULE_WRONG_TERM_KIND"],
    [
      "bullet with both terms",
      { method: RepaymentMethod.Bullet, termMonths: 1, termDays: 30 },
      "SCHEDULE_WRONG_TERM_KIND",
    ],
    [
      "bullet with no term",
      { method: RepaymentMethod.Bullet, termMonths: undefined },
      "SCHEDULE_WRONG_TERM_KIND",
    ],
    ["no such date", { startDate: "2026-02-30" }, "SCHEDULE_BAD_DATE"],
    ["slashes", { startDate: "2026/01/01" }, "SCHEDULE_BAD_DATE"],
    ["due date past 9999", { startDate: "9999-06-01" }, "SCHEDULE_BAD_DATE"],
    [
      "bullet due past 9999",
      { method: RepaymentMethod.Bullet, termMonths: undefined, termDays: 400, startDate: "9999-06-01" },
      "SCHEDULE_BAD_DATE",
    ],
  ];

  for (const [label, patch, code] of cases) {
    it(`${label} → ${code}`, () => {
      expectCode(() => generateSchedule({ ...ok, ...patch } as ScheduleInput), ScheduleError, code, label);
    });
  }

  it("accepts the edges of the month range", () => {
    expect(generateSchedule({ ...ok, termMonths: 1 })).to.have.length(1);
    expect(generateSchedule({ ...ok, termMonths: 36 })).to.have.length(36);
    expect(generateSchedule({ ...ok, method: RepaymentMethod.Bullet, termMonths: 36 })).to.have.length(1);
  });

  it("RepaymentMethod numbers the methods in the chain's enum order", () => {
    expect(RepaymentMethod).to.deep.equal({ EqualInstallment: 0, InterestFirst: 1, Bullet: 2 });
    expect(Object.isFrozen(RepaymentMethod)).to.equal(true);
  });
});
