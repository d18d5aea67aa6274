// 征信报送: status buckets at every boundary, the exact CSV, deterministic order, and the borrower
// column refusing anything but an HMAC key.
import { expect } from "chai";
import { dateToDay } from "../../../common/lending/dates.ts";
import {
  CREDIT_REPORT_COLUMNS,
  type CreditLoan,
  buildCreditReport,
  loanStateName,
  overdueStatus,
  summaryToJson,
} from "../../../nodes/src/reconcile/credit-report.ts";
import { ReconcileError } from "../../../nodes/src/reconcile/errors.ts";

const id = (byte: string): string => `0x${byte.repeat(32)}`;
const KEY_A = id("aa");
const KEY_B = id("bb");
/** The export's fixed columns, as the bureau's file format names them. */
const HEADER = "month,loan_id,borrower_key,principal,balance,status,days_overdue,next_due_date";

function loan(over: Partial<CreditLoan> & { loanId: string }): CreditLoan {
  return {
    borrowerKey: KEY_A,
    principalFen: 5_000_000n,
    outstandingFen: 4_200_000n,
    state: "Active",
    daysOverdue: 0,
    nextDueDay: dateToDay("2026-12-05"),
    ...over,
  };
}

function reconcileError(fn: () => unknown): ReconcileError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ReconcileError) return e;
    throw e;
  }
  return expect.fail("expected a ReconcileError");
}

describe("credit report: overdue buckets", () => {
  const boundaries: Array<[number, string]> = [
    [0, "N"],
    [1, "1"],
    [30, "1"],
    [31, "2"],
    [60, "2"],
    [61, "3"],
    [90, "3"],
    [91, "4"],
    [120, "4"],
    [121, "5"],
    [150, "5"],
    [151, "6"],
    [180, "6"],
    [181, "7"],
    [365, "7"],
    [100_000, "7"],
  ];
  for (const [days, status] of boundaries) {
    it(`${days} days overdue → ${status}`, () => {
      expect(overdueStatus(days)).to.equal(status);
      const report = buildCreditReport("2026-11", [loan({ loanId: id("01"), daysOverdue: days })]);
      expect(report.rows[0]!.status).to.equal(status);
    });
  }

  it("refuses negative or fractional days", () => {
    for (const days of [-1, 1.5, Number.NaN])
      expect(reconcileError(() => overdueStatus(days)).code).to.equal("NODE_ERR_CREDIT_REPORT_INPUT");
  });
});

describe("credit report: export", () => {
  const loans: CreditLoan[] = [
    loan({
      loanId: id("03"),
      borrowerKey: KEY_B,
      daysOverdue: 45,
      outstandingFen: 1_000_050n,
      nextDueDay: dateToDay("2026-10-01"),
    }),
    loan({ loanId: id("01") }),
    loan({ loanId: id("05"), state: "Registered" }),
    loan({ loanId: id("02"), state: "Settled", outstandingFen: 0n, nextDueDay: null }),
    loan({ loanId: id("04"), state: "Cancelled" }),
    loan({
      loanId: id("06").toUpperCase().replace("0X", "0x"),
      principalFen: 300_000n,
      outstandingFen: 300_000n,
      daysOverdue: 181,
      nextDueDay: dateToDay("2026-05-01"),
    }),
  ];

  it("the fixed-column CSV, sorted by loan id, yuan with two decimals, settled as C", () => {
    const report = buildCreditReport("2026-11", loans);
    expect(report.csv).to.equal(
      [
        HEADER,
        `2026-11,${id("01")},${KEY_A},50000.00,42000.00,N,0,2026-12-05`,
        `2026-11,${id("02")},${KEY_A},50000.00,0.00,C,0,`,
        `2026-11,${id("03")},${KEY_B},50000.00,10000.50,2,45,2026-10-01`,
        `2026-11,${id("06")},${KEY_A},3000.00,3000.00,7,181,2026-05-01`,
        "",
      ].join("\r\n"),
    );
    expect(CREDIT_REPORT_COLUMNS).to.deep.equal(HEADER.split(","));
  });

  it("the summary: counts by status, balances, exclusions", () => {
    const { summary } = buildCreditReport("2026-11", loans);
    expect(summary).to.deep.equal({
      month: "2026-11",
      reported: 4,
      byStatus: { N: 1, "1": 0, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0, "7": 1, C: 1 },
      principalFen: 15_300_000n,
      balanceFen: 4_200_000n + 1_000_050n + 300_000n,
      overdueBalanceFen: 1_000_050n + 300_000n,
      excluded: { Registered: 1, Cancelled: 1 },
    });
    expect(JSON.parse(summaryToJson(summary))).to.deep.include({
      balanceFen: "5500050",
      overdueBalanceFen: "1300050",
    });
  });

  it("deterministic: any input order gives the same bytes", () => {
    const a = buildCreditReport("2026-11", loans);
    const b = buildCreditReport("2026-11", [...loans].reverse());
    expect(b.csv).to.equal(a.csv);
    expect(summaryToJson(b.summary)).to.equal(summaryToJson(a.summary));
  });

  it("an empty month is the header alone", () => {
    expect(buildCreditReport("2026-11", []).csv).to.equal(`${CREDIT_REPORT_COLUMNS.join(",")}\r\n`);
  });

  it("chain LoanState values map to names", () => {
    expect([1, 2, 3, 4].map(loanStateName)).to.deep.equal(["Registered", "Active", "Settled", "Cancelled"]);
    expect(loanStateName(2n)).to.equal("Active");
    expect(reconcileError(() => loanStateName(0)).code).to.equal("NODE_ERR_CREDIT_REPORT_INPUT");
  });
});

describe("credit report: refused input", () => {
  const cases: Array<[string, Partial<CreditLoan>, string]> = [
    ["an ID number as borrower key", { borrowerKey: "11010519491231002X" }, "borrowerKey"],
    ["a borrower key of the wrong length", { borrowerKey: "0xabcd" }, "borrowerKey"],
    ["a bad loan id", { loanId: "42" }, "loanId"],
    ["more outstanding than principal", { outstandingFen: 5_000_001n }, "outstandingFen"],
    ["a settled loan with a balance", { state: "Settled", outstandingFen: 1n }, "state"],
    ["a settled loan overdue", { state: "Settled", outstandingFen: 0n, daysOverdue: 3 }, "state"],
    ["an active loan without a next due day", { nextDueDay: null }, "nextDueDay"],
    ["negative days overdue", { daysOverdue: -1 }, "daysOverdue"],
    ["an unknown state", { state: "Overdue" as CreditLoan["state"] }, "state"],
  ];
  for (const [label, over, field] of cases) {
    it(`NODE_ERR_CREDIT_REPORT_INPUT for ${label}`, () => {
      const e = reconcileError(() =>
        buildCreditReport("2026-11", [loan({ loanId: id("01") }), loan({ loanId: id("02"), ...over })]),
      );
      expect(e.code).to.equal("NODE_ERR_CREDIT_REPORT_INPUT");
      expect(e.details[0]).to.deep.include({ index: 1, field });
      expect(e.message.includes("11010519491231002X")).to.equal(false);
    });
  }

  it("the same loan twice, and a bad month", () => {
    expect(
      reconcileError(() =>
        buildCreditReport("2026-11", [loan({ loanId: id("01") }), loan({ loanId: id("01") })]),
      ).details[0],
    ).to.deep.include({
      index: 1,
      field: "loanId",
    });
    for (const month of ["2026-13", "2026-1", "202611", "2026-00"]) {
      expect(reconcileError(() => buildCreditReport(month, [])).details[0]).to.deep.include({
        field: "month",
      });
    }
  });
});
