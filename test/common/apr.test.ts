// All-in APR (common/lending/SCHEDULE.md, "All-in APR"): 12 × the monthly IRR for monthly
// methods, simple annualisation for bullets, each installment counted half a fen less, in bps
// rounded up. Expected values come from the nominal rate of fee-free schedules, from closed forms
// in bigint written out here, and otherwise from a float Newton solver written here,
// independent of the module's exact integer bisection.
import { expect } from "chai";
import {
  AprError,
  allInAprBps,
  aprConvention,
  exceedsCap,
  type AllInAprInput,
  type AprErrorCode,
} from "../../common/lending/apr.ts";
import { addMonths, dateToDay, dayToDate } from "../../common/lending/dates.ts";
import { parseYuan } from "../../common/lending/money.ts";
import { RepaymentMethod, generateSchedule, type Installment } from "../../common/lending/schedule.ts";
import { expectCode as expectErrorCode } from "../support/expect-error.ts";

const expectCode = (fn: () => unknown, code: AprErrorCode, label = ""): void =>
  void expectErrorCode(fn, AprError, code, label);

/** Newton's method on Σ amount·(1+x)^-period = received; returns the rate per period. */
function newtonRate(flows: { period: number; amount: number }[], received: number): number {
  let x = 0.001;
  for (let step = 0; step < 200; step++) {
    let f = -received;
    let df = 0;
    for (const { period, amount } of flows) {
      f += amount * (1 + x) ** -period;
      df += -period * amount * (1 + x) ** (-period - 1);
    }
    const dx = f / df;
    x -= dx;
    if (Math.abs(dx) < 1e-15) return x; // float noise near the root is ~1e-16
  }
  throw new Error("Newton did not converge");
}

/** 12 × monthly IRR in bps, unrounded: installment k at period k, fees at the period of the
 *  installment sharing their day or deducted at day 0; `allowance` fen off each installment. */
function monthlyIrrBps(input: AllInAprInput, allowance: number): number {
  let received = Number(input.disbursedFen ?? input.principalFen);
  const flows = input.installments.map((i, k) => ({ period: k + 1, amount: Number(i.totalFen) - allowance }));
  for (const f of input.fees) {
    if (f.dueDay === input.startDay) received -= Number(f.amountFen);
    else
      flows.push({
        period: input.installments.findIndex((i) => i.dueDay === f.dueDay) + 1,
        amount: Number(f.amountFen),
      });
  }
  return newtonRate(flows, received) * 120_000;
}

/** ceil of the independent monthly-irr APR, after checking it is not within reach of an integer. */
function expectedMonthlyBps(input: AllInAprInput): number {
  const bps = monthlyIrrBps(input, 0.5);
  expect(
    Math.abs(bps - Math.round(bps)),
    `independent APR ${bps} is too close to an integer to test ceil`,
  ).to.be.greaterThan(1e-6);
  return Math.ceil(bps);
}

/** ⌈a / b⌉ in bigint, b > 0. */
const ceilDiv = (a: bigint, b: bigint): bigint => (a > 0n ? (a + b - 1n) / b : a / b);

/** An APR input built from generateSchedule, keeping the installments' full type. */
type ScheduleApr = AllInAprInput & { installments: readonly Installment[] };

const P = parseYuan("10000");
const START = "2026-01-15";

function schedule(
  method: RepaymentMethod,
  aprBps: number,
  term: { termMonths: number } | { termDays: number },
  startDate = START,
  principalFen = P,
): ScheduleApr {
  const installments = generateSchedule({ principalFen, aprBps, method, startDate, ...term });
  return { method, principalFen, installments, fees: [], startDay: dateToDay(startDate) };
}
const equalInstallment = (months: number, aprBps = 2400, startDate = START, principalFen = P): ScheduleApr =>
  schedule(RepaymentMethod.EqualInstallment, aprBps, { termMonths: months }, startDate, principalFen);
const interestFirst = (months: number, aprBps = 2400, startDate = START, principalFen = P): ScheduleApr =>
  schedule(RepaymentMethod.InterestFirst, aprBps, { termMonths: months }, startDate, principalFen);
const bullet = (days: number, aprBps = 2400, startDate = START, principalFen = P): ScheduleApr =>
  schedule(RepaymentMethod.Bullet, aprBps, { termDays: days }, startDate, principalFen);

const RATES = [0, 1, 365, 720, 1800, 2400, 3600]; // 0, 0.01%, 3.65%, 7.2%, 18%, 24%, 36%
const PRINCIPALS = ["3000", "10000", "200000"].map(parseYuan);

describe("common/lending/apr: the method picks the convention", () => {
  it("monthly methods are monthly-irr, Bullet is simple, anything else is refused", () => {
    expect(aprConvention(RepaymentMethod.EqualInstallment)).to.equal("monthly-irr");
    expect(aprConvention(RepaymentMethod.InterestFirst)).to.equal("monthly-irr");
    expect(aprConvention(RepaymentMethod.Bullet)).to.equal("simple");
    expectCode(() => aprConvention(3 as RepaymentMethod), "APR_BAD_METHOD");
  });

  it("one month at 24% is 2400 charged monthly (2%) and 2400 charged as a 28-day bullet (24%·28/365)", () => {
    const monthly = equalInstallment(1, 2400, "2026-01-31");
    const single = schedule(RepaymentMethod.Bullet, 2400, { termMonths: 1 }, "2026-01-31");
    expect(monthly.installments[0]!.dueDay).to.equal(single.installments[0]!.dueDay); // both 2026-02-28
    expect(monthly.installments[0]!.interestFen).to.equal(20_000n);
    expect(single.installments[0]!.interestFen).to.equal(18_411n); // 1,000,000 × 24% × 28/365 = 18410.96
    expect(allInAprBps(monthly)).to.equal(2400);
    expect(allInAprBps(single)).to.equal(2400);
    // Each is measured by its own rule: 2% for a 28-day month is a 26.07% simple rate, and the
    // method, not the caller, says which rule applies.
    expect(allInAprBps({ ...monthly, method: RepaymentMethod.Bullet })).to.equal(2608);
  });
});

describe("common/lending/apr: fee-free loans are exactly their nominal rate", () => {
  for (const aprBps of RATES) {
    for (const [name, loan] of [
      ["equal installment", equalInstallment],
      ["interest first", interestFirst],
    ] as const) {
      it(`${name} at ${aprBps} bps, 1..36 months, 3,000 / 10,000 / 200,000 yuan`, () => {
        for (const principalFen of PRINCIPALS) {
          for (let n = 1; n <= 36; n++) {
            expect(
              allInAprBps(loan(n, aprBps, "2026-01-31", principalFen)),
              `${principalFen} fen, ${n} months`,
            ).to.equal(aprBps);
          }
        }
      });
    }

    it(`bullet at ${aprBps} bps, 10,000 yuan over 7, 30, 90, 365 and 1096 days`, () => {
      for (const days of [7, 30, 90, 365, 1096])
        expect(allInAprBps(bullet(days, aprBps)), `${days} days`).to.equal(aprBps);
    });
  }

  it("without the half-fen allowance, fen rounding puts about half of the 24% annuities above 2400", () => {
    // The raw IRR of a rounded schedule is 2400 ± a few hundredths of a bps: rounding it up would
    // fail ordinary loans at a 2400 cap. The 10,000-yuan 12-month example is one of them.
    const raw = monthlyIrrBps(equalInstallment(12), 0);
    expect(raw > 2400.006 && raw < 2400.007, `raw ${raw}`).to.equal(true);
    let above = 0;
    for (let n = 1; n <= 36; n++) {
      const input = equalInstallment(n);
      if (monthlyIrrBps(input, 0) > 2400 + 1e-6) above++;
      expect(allInAprBps(input), `${n} months`).to.equal(2400);
    }
    expect(above).to.be.within(10, 26);
  });

  it("does not depend on the start date: 24% from every day of 2026..2029, month ends included", () => {
    for (let day = dateToDay("2026-01-01"); day <= dateToDay("2029-12-31"); day++) {
      const start = dayToDate(day);
      expect(allInAprBps(equalInstallment(1, 2400, start)), start).to.equal(2400);
      expect(allInAprBps(equalInstallment(3, 2400, start)), start).to.equal(2400);
      expect(allInAprBps(equalInstallment(12, 2400, start)), start).to.equal(2400);
      expect(allInAprBps(interestFirst(3, 2400, start)), start).to.equal(2400);
    }
  });

  it("holds by construction, not by luck: 300 billion yuan, where one fen is ~1e-9 bps", () => {
    // A schedule's NPV at its own rate is Σ (rounding of interest_k)·v^k ≤ ½ fen·Σ v^k, exactly
    // what the allowance takes off (SCHEDULE.md), so the exact comparison lands on the rate.
    const huge = 30_000_000_000_000n;
    for (const n of [1, 7, 12, 36]) {
      expect(allInAprBps(equalInstallment(n, 2400, START, huge)), `${n} months`).to.equal(2400);
      expect(allInAprBps(interestFirst(n, 1800, START, huge)), `${n} months`).to.equal(1800);
    }
    expect(allInAprBps(bullet(1096, 2400, START, huge))).to.equal(2400);
  });

  it("bullet at 24% on 10,000 yuan, every term 7..1096 days: exactly 2400", () => {
    // Interest is rounded half up to the fen, which moves the raw ratio I/P × 365/days by at most
    // ½ fen × 3,650,000 / (1,000,000 × days) ≤ 0.27 bps: without the allowance ceil would give
    // 2401 for about half the terms (at most 1 bps off). With it every term is exact.
    let above = 0;
    for (let days = 7; days <= 1096; days++) {
      const input = bullet(days);
      const interest = input.installments[0]!.interestFen;
      const raw = (Number(interest) * 3_650_000) / (1_000_000 * days);
      expect(Math.abs(raw - 2400) < 0.27, `${days} days: raw ${raw}`).to.equal(true);
      if (raw > 2400) above++;
      expect(allInAprBps(input), `${days} days`).to.equal(2400);
    }
    expect(above).to.be.within(400, 700);
    // Where the interest is exact there is nothing to round: 365 days is 2,400.00 yuan.
    expect(bullet(365).installments[0]!.interestFen).to.equal(240_000n);
  });

  it("a 30-day bullet at 18% (interest 147.945 → 147.95 yuan) is 1800, not 1801", () => {
    const input = bullet(30, 1800, "2026-01-01");
    expect(input.installments[0]!.interestFen).to.equal(14_795n);
    // raw, above 1800 (plain comparisons: Hardhat's chai matchers read closeTo/within as bigint)
    const raw = (14_795 * 3_650_000) / (1_000_000 * 30);
    expect(Math.abs(raw - 1800.058) < 1e-3, `raw ${raw}`).to.equal(true);
    expect(allInAprBps(input)).to.equal(1800);
  });

  it("a bullet with a term in months counts the actual days, as its interest does", () => {
    for (const [start, months] of [
      ["2026-01-31", 1],
      ["2027-03-01", 12],
      ["2026-02-28", 36],
    ] as const) {
      expect(
        allInAprBps(schedule(RepaymentMethod.Bullet, 2400, { termMonths: months }, start)),
        start,
      ).to.equal(2400);
    }
  });
});

describe("common/lending/apr: closed forms and the independent solver", () => {
  it("one monthly period: ceil(((T − ½)/received − 1) × 120000), exactly", () => {
    const startDay = dateToDay("2026-03-01");
    const dueDay = dateToDay("2026-04-01");
    for (const [received, total] of [
      [P, 1_020_000n],
      [P, 1_020_001n],
      [P, 1_000_001n],
      [3_333_333n, 3_401_234n],
      [P, 1_500_000n],
    ] as const) {
      const apr = allInAprBps({
        method: RepaymentMethod.EqualInstallment,
        principalFen: received,
        installments: [{ dueDay, totalFen: total }],
        fees: [],
        startDay,
      });
      expect(apr, `${total}`).to.equal(
        Number(ceilDiv((2n * total - 1n - 2n * received) * 60_000n, received)),
      );
    }
  });

  it("simple: ceil((repaid + fees − received − ½) / received × 365 / days), exactly", () => {
    const startDay = dateToDay("2026-03-01");
    for (const [days, total, fee] of [
      [7, 1_004_603n, 0n],
      [90, 1_059_178n, 5_000n],
      [1096, 1_720_658n, 12_345n],
      [365, 1_000_001n, 0n],
    ] as const) {
      const apr = allInAprBps({
        method: RepaymentMethod.Bullet,
        principalFen: P,
        installments: [{ dueDay: startDay + days, totalFen: total }],
        fees: [{ dueDay: startDay + 1, amountFen: fee }],
        startDay,
      });
      const excess = total + fee - P;
      expect(apr, `${days} days`).to.equal(
        Number(ceilDiv((2n * excess - 1n) * 3_650_000n, 2n * P * BigInt(days))),
      );
    }
  });

  it("agrees with the independent solver for schedules with fees", () => {
    const cases: AllInAprInput[] = [];
    for (const [input, yuan] of [
      [equalInstallment(12, 2400), "100"],
      [equalInstallment(36, 720, "2026-03-10", parseYuan("100000")), "800"],
      [equalInstallment(6, 1800, "2026-06-30", parseYuan("3000")), "15.5"],
      [interestFirst(12, 1500, "2026-05-20"), "60"],
      [interestFirst(24, 365, "2027-11-30", parseYuan("200000")), "1000"],
    ] as const) {
      const n = input.installments.length;
      const fee = parseYuan(yuan);
      cases.push(
        { ...input, fees: [{ dueDay: input.installments[0]!.dueDay, amountFen: fee }] },
        { ...input, fees: [{ dueDay: input.installments[n - 1]!.dueDay, amountFen: fee }] },
        { ...input, fees: input.installments.map((i) => ({ dueDay: i.dueDay, amountFen: fee / BigInt(n) })) },
        { ...input, disbursedFen: input.principalFen - fee },
      );
    }
    for (const input of cases) expect(allInAprBps(input)).to.equal(expectedMonthlyBps(input));
  });
});

describe("common/lending/apr: fees, up-front deductions and zero", () => {
  // The worked example of SCHEDULE.md: 10,000 yuan, 24%, 12 months from 2026-01-15.
  const base = equalInstallment(12);
  const first = base.installments[0]!.dueDay;
  const last = base.installments[11]!.dueDay;
  const fee = parseYuan("100"); // 1% of principal

  it("10,000 yuan at 24% over 12 months: 2400; +100 yuan with installment 1: 2593; 100 deducted: 2597", () => {
    const atFirst = { ...base, fees: [{ dueDay: first, amountFen: fee }] };
    const deducted = { ...base, disbursedFen: P - fee };
    expect(allInAprBps(base)).to.equal(2400);
    expect(allInAprBps(atFirst)).to.equal(expectedMonthlyBps(atFirst));
    expect(allInAprBps(atFirst)).to.equal(2593);
    expect(allInAprBps(deducted)).to.equal(expectedMonthlyBps(deducted));
    expect(allInAprBps(deducted)).to.equal(2597);
    expect(exceedsCap(allInAprBps(atFirst), 2400)).to.equal(true);
    expect(exceedsCap(allInAprBps(deducted), 2400)).to.equal(true);
  });

  it("a fee raises the APR, more the earlier it is paid, and a deduction at disbursement most", () => {
    const atLast = allInAprBps({ ...base, fees: [{ dueDay: last, amountFen: fee }] });
    const atFirst = allInAprBps({ ...base, fees: [{ dueDay: first, amountFen: fee }] });
    const deducted = allInAprBps({ ...base, disbursedFen: P - fee });
    expect(2400).to.be.below(atLast);
    expect(atLast).to.be.below(atFirst);
    expect(atFirst).to.be.below(deducted);
  });

  it("a fee due on the disbursement day is the same as deducting it (砍头息), in both conventions", () => {
    expect(allInAprBps({ ...base, fees: [{ dueDay: base.startDay, amountFen: fee }] })).to.equal(
      allInAprBps({ ...base, disbursedFen: P - fee }),
    );
    const b = bullet(90);
    const deducted = allInAprBps({ ...b, disbursedFen: P - fee });
    expect(allInAprBps({ ...b, fees: [{ dueDay: b.startDay, amountFen: fee }] })).to.equal(deducted);
    // (1,059,178 − 990,000 − ½) / 990,000 × 365 / 90 = 2833.9… bps
    expect(deducted).to.equal(2834);
  });

  it("a bullet's fee counts in full wherever it falls in the term", () => {
    const b = bullet(90);
    const mid = allInAprBps({ ...b, fees: [{ dueDay: b.startDay + 45, amountFen: fee }] });
    expect(allInAprBps({ ...b, fees: [{ dueDay: b.installments[0]!.dueDay, amountFen: fee }] })).to.equal(
      mid,
    );
    expect(mid).to.equal(Number(ceilDiv((2n * (59_178n + fee) - 1n) * 3_650_000n, 2n * P * 90n)));
  });

  it("a zero-interest loan with 1,000 yuan deducted costs what the independent solver says", () => {
    const deducted = { ...equalInstallment(12, 0), disbursedFen: P - parseYuan("1000") };
    const apr = allInAprBps(deducted);
    expect(apr).to.equal(expectedMonthlyBps(deducted));
    expect(apr).to.be.within(1900, 2100); // about 19.6%: a deduction alone can pass a 2400 cap
  });

  it("zero interest and no fees is exactly 0, for every method", () => {
    expect(allInAprBps(equalInstallment(12, 0))).to.equal(0);
    expect(allInAprBps(equalInstallment(36, 0, "2026-01-31", 100_003n))).to.equal(0);
    expect(allInAprBps(interestFirst(6, 0, "2026-02-10"))).to.equal(0);
    const b = bullet(7, 0, "2026-02-10");
    expect(allInAprBps({ ...b, fees: [{ dueDay: dateToDay("2026-02-12"), amountFen: 0n }] })).to.equal(0);
    // Repaying exactly what was received, split any way, is 0 whatever the allowance would say.
    const startDay = dateToDay("2026-02-10");
    const due = (k: number): number => dateToDay(addMonths("2026-02-10", k));
    expect(
      allInAprBps({
        method: RepaymentMethod.EqualInstallment,
        principalFen: P,
        disbursedFen: P - 300n,
        installments: [
          { dueDay: due(1), totalFen: P - 500n },
          { dueDay: due(2), totalFen: 100n },
        ],
        fees: [{ dueDay: due(2), amountFen: 100n }],
        startDay,
      }),
    ).to.equal(0);
  });

  it("repaying less than was received gives a negative rate, rounded up", () => {
    const startDay = dateToDay("2026-01-01");
    const monthly = allInAprBps({
      method: RepaymentMethod.EqualInstallment,
      principalFen: P,
      installments: [{ dueDay: dateToDay("2026-02-01"), totalFen: parseYuan("9900") }],
      fees: [],
      startDay,
    });
    expect(monthly).to.equal(-1200); // ((990,000 − ½)/1,000,000 − 1) × 120000 = −1200.06
    const simple = allInAprBps({
      method: RepaymentMethod.Bullet,
      principalFen: P,
      installments: [{ dueDay: startDay + 365, totalFen: parseYuan("9900") }],
      fees: [],
      startDay,
    });
    expect(simple).to.equal(-100); // (−10,000 − ½)/1,000,000 = −100.005 bps → −100
  });

  it("one fen more is at most one bps more, never less", () => {
    const startDay = dateToDay("2026-01-01");
    let previous = 0;
    for (let extra = 1n; extra <= 400n; extra++) {
      const apr = allInAprBps({
        method: RepaymentMethod.Bullet,
        principalFen: P,
        installments: [{ dueDay: startDay + 365, totalFen: P + extra }],
        fees: [],
        startDay,
      });
      expect(apr - previous, `${extra} fen`).to.be.within(0, 1);
      previous = apr;
    }
    expect(previous).to.equal(4); // 399.5 fen on 1,000,000 for a year: 3.995 bps
    const input = equalInstallment(12);
    previous = 2400;
    for (let extra = 1n; extra <= 200n; extra++) {
      const apr = allInAprBps({ ...input, fees: [{ dueDay: last, amountFen: extra }] });
      expect(apr - previous, `${extra} fen`).to.be.within(0, 1);
      previous = apr;
    }
    expect(previous).to.equal(expectedMonthlyBps({ ...input, fees: [{ dueDay: last, amountFen: 200n }] }));
  });
});

describe("common/lending/apr: rounding up at an integer", () => {
  it("a root exactly on 2400 bps is 2400: one month, received 1,000,025 fen, repaid 1,020,026", () => {
    // (1,020,026 − ½) / 1,000,025 = 1.02 exactly. One fen more is above: 2401.
    const startDay = dateToDay("2026-01-01");
    const aprOf = (totalFen: bigint): number =>
      allInAprBps({
        method: RepaymentMethod.EqualInstallment,
        principalFen: 1_000_025n,
        installments: [{ dueDay: dateToDay("2026-02-01"), totalFen }],
        fees: [],
        startDay,
      });
    expect(aprOf(1_020_026n)).to.equal(2400);
    expect(aprOf(1_020_027n)).to.equal(2401);
    expect(aprOf(1_020_025n)).to.equal(2400);
  });

  // 300 billion yuan: one fen moves the rate by about 1e-9 bps, far below what a float bisection
  // on the rate resolves. The comparison is exact, so the neighbours still land on either side.
  const principalFen = 30_000_000_000_000n;

  it("12 equal payments around the exact 24% annuity: the rounded payment is 2400, one fen more 2401", () => {
    // Exact payment P·r·(1+r)^12 / ((1+r)^12 − 1) with r = 2400/120000, as a fraction.
    const growth = 122_400n ** 12n;
    const num = principalFen * 2400n * growth;
    const den = 120_000n * (growth - 120_000n ** 12n);
    const rounded = (2n * num + den) / (2n * den); // half up
    const fraction = Number(((num % den) * 1000n) / den) / 1000;
    expect(
      fraction > 0.1 && fraction < 0.9,
      `the exact payment is not near a half fen: ${fraction}`,
    ).to.equal(true);
    const startDay = dateToDay("2026-01-15");
    const aprOf = (payment: bigint): number =>
      allInAprBps({
        method: RepaymentMethod.EqualInstallment,
        principalFen,
        installments: Array.from({ length: 12 }, (_, k) => ({
          dueDay: dateToDay(addMonths("2026-01-15", k + 1)),
          totalFen: payment,
        })),
        fees: [],
        startDay,
      });
    expect(aprOf(rounded)).to.equal(2400);
    expect(aprOf(rounded + 1n)).to.equal(2401);
    expect(aprOf(rounded - 1n)).to.equal(2400);
    // A float solver on the rate sees all three as 2400 to within its own noise.
    for (const payment of [rounded - 1n, rounded, rounded + 1n]) {
      const input = {
        ...equalInstallment(12, 2400, "2026-01-15", principalFen),
        installments: Array.from({ length: 12 }, (_, k) => ({
          dueDay: dateToDay(addMonths("2026-01-15", k + 1)),
          totalFen: payment,
        })),
      };
      const raw = monthlyIrrBps(input, 0.5);
      expect(Math.abs(raw - 2400) < 1e-6, `raw ${raw}`).to.equal(true);
    }
    expect(exceedsCap(aprOf(rounded), 2400)).to.equal(false);
    expect(exceedsCap(aprOf(rounded + 1n), 2400)).to.equal(true);
  });

  it("a bullet of exactly 24% simple is 2400, one fen more 2401", () => {
    const startDay = dateToDay("2026-01-01");
    const aprOf = (totalFen: bigint): number =>
      allInAprBps({
        method: RepaymentMethod.Bullet,
        principalFen,
        installments: [{ dueDay: startDay + 365, totalFen }],
        fees: [],
        startDay,
      });
    const exact = (principalFen * 124n) / 100n;
    expect(aprOf(exact)).to.equal(2400);
    expect(aprOf(exact + 1n)).to.equal(2401);
    expect(aprOf(exact - 1n)).to.equal(2400);
  });
});

describe("common/lending/apr: exceedsCap and validation", () => {
  it("exceedsCap: equal to the cap is allowed", () => {
    expect(exceedsCap(2400, 2400)).to.equal(false);
    expect(exceedsCap(2401, 2400)).to.equal(true);
    expect(exceedsCap(2399, 2400)).to.equal(false);
    expectCode(() => exceedsCap(2400.5, 2400), "APR_OUT_OF_RANGE");
  });

  const Bullet = RepaymentMethod.Bullet;
  const EqualInstallment = RepaymentMethod.EqualInstallment;
  const startDay = dateToDay("2026-01-01");
  const one = [{ dueDay: startDay + 30, totalFen: P + 100n }];
  const monthly = equalInstallment(12, 2400, "2026-01-01");
  const cases: [string, AllInAprInput, AprErrorCode][] = [
    [
      "zero principal",
      { method: Bullet, principalFen: 0n, installments: one, fees: [], startDay },
      "APR_BAD_AMOUNT",
    ],
    [
      "disbursed above principal",
      { method: Bullet, principalFen: P, disbursedFen: P + 1n, installments: one, fees: [], startDay },
      "APR_BAD_AMOUNT",
    ],
    [
      "nothing disbursed",
      { method: Bullet, principalFen: P, disbursedFen: 0n, installments: one, fees: [], startDay },
      "APR_BAD_AMOUNT",
    ],
    [
      "negative fee",
      {
        method: Bullet,
        principalFen: P,
        installments: one,
        fees: [{ dueDay: startDay + 1, amountFen: -1n }],
        startDay,
      },
      "APR_BAD_AMOUNT",
    ],
    [
      "amount as a number",
      {
        method: Bullet,
        principalFen: P,
        installments: [{ dueDay: startDay + 30, totalFen: 5 as unknown as bigint }],
        fees: [],
        startDay,
      },
      "APR_BAD_AMOUNT",
    ],
    [
      "due before the start",
      {
        method: Bullet,
        principalFen: P,
        installments: [{ dueDay: startDay - 1, totalFen: P }],
        fees: [],
        startDay,
      },
      "APR_BAD_DAY",
    ],
    [
      "fractional start day",
      { method: Bullet, principalFen: P, installments: one, fees: [], startDay: 0.5 },
      "APR_BAD_DAY",
    ],
    [
      "a monthly due date past 9999",
      {
        ...monthly,
        installments: [{ dueDay: dateToDay("9999-12-31"), totalFen: P }],
        startDay: dateToDay("9999-12-15"),
      },
      "APR_BAD_DAY",
    ],
    [
      "no installments",
      { method: Bullet, principalFen: P, installments: [], fees: [], startDay },
      "APR_NO_CASHFLOWS",
    ],
    [
      "everything due at the start",
      {
        method: Bullet,
        principalFen: P,
        installments: [{ dueDay: startDay, totalFen: P }],
        fees: [],
        startDay,
      },
      "APR_NO_CASHFLOWS",
    ],
    [
      "everything due at the start (monthly)",
      {
        method: EqualInstallment,
        principalFen: P,
        installments: [{ dueDay: startDay, totalFen: P }],
        fees: [],
        startDay,
      },
      "APR_NO_CASHFLOWS",
    ],
    [
      "start-day fee uses up the loan",
      {
        method: Bullet,
        principalFen: P,
        installments: one,
        fees: [{ dueDay: startDay, amountFen: P }],
        startDay,
      },
      "APR_OUT_OF_RANGE",
    ],
    [
      "start-day fee uses up the loan (monthly)",
      { ...monthly, fees: [{ dueDay: startDay, amountFen: P }] },
      "APR_OUT_OF_RANGE",
    ],
    ["unknown method", { ...monthly, method: 3 as RepaymentMethod }, "APR_BAD_METHOD"],
    [
      "a bullet schedule as equal installment",
      { ...bullet(30, 2400, "2026-01-01"), method: EqualInstallment },
      "APR_BAD_SCHEDULE",
    ],
    ["an equal-installment schedule as a bullet", { ...monthly, method: Bullet }, "APR_BAD_SCHEDULE"],
    [
      "a month missing",
      { ...monthly, installments: monthly.installments.filter((_, k) => k !== 4) },
      "APR_BAD_SCHEDULE",
    ],
    [
      "installments out of order",
      { ...monthly, installments: [...monthly.installments].reverse() },
      "APR_BAD_SCHEDULE",
    ],
    [
      "monthly fee on no installment's day",
      { ...monthly, fees: [{ dueDay: startDay + 10, amountFen: 100n }] },
      "APR_BAD_SCHEDULE",
    ],
    [
      "monthly fee after the last installment",
      { ...monthly, fees: [{ dueDay: monthly.installments[11]!.dueDay + 1, amountFen: 100n }] },
      "APR_BAD_SCHEDULE",
    ],
    [
      "bullet fee after the repayment",
      {
        method: Bullet,
        principalFen: P,
        installments: one,
        fees: [{ dueDay: startDay + 31, amountFen: 100n }],
        startDay,
      },
      "APR_BAD_SCHEDULE",
    ],
    [
      "bullet repaid at the start, fee later",
      {
        method: Bullet,
        principalFen: P,
        installments: [{ dueDay: startDay, totalFen: P }],
        fees: [{ dueDay: startDay + 7, amountFen: 100n }],
        startDay,
      },
      "APR_BAD_SCHEDULE",
    ],
  ];
  for (const [label, input, code] of cases) {
    it(`${label} → ${code}`, () => expectCode(() => allInAprBps(input), code, label));
  }
});
