// 对账: a day's books against the chain's flows of the day. One fixture exercises every outcome;
// smaller cases pin the edges (duplicates, serial keys, bad rows, bad input, determinism).
import { expect } from "chai";
import { ChannelError } from "../../../nodes/src/channels/errors.ts";
import { parseCsv } from "../../../nodes/src/channels/csv.ts";
import { ReconcileError } from "../../../nodes/src/reconcile/errors.ts";
import {
  type ChainFlow,
  type ReconcileReport,
  REPORT_CSV_COLUMNS,
  parseBooksCsv,
  reconcileDay,
  reportToJson,
  serialKey,
  toCsv,
} from "../../../nodes/src/reconcile/reconcile.ts";

const DAY = "2026-11-22";
const L1 = `0x${"11".repeat(32)}`;
const L2 = `0x${"22".repeat(32)}`;
const L3 = `0x${"33".repeat(32)}`;
const ACCOUNT = "622202******1234";

const HEADER = "serial,loan_id,type,amount,value_date,account_masked";
const line = (
  serial: string,
  loanId: string,
  type: string,
  amount: string,
  date = DAY,
  account = ACCOUNT,
): string => [serial, loanId, type, amount, date, account].join(",");

const BOOKS = [
  HEADER,
  line("JL20261122000001", L1, "disbursement", "50000.00"), // row 2: matched (chain gives the human serial)
  line("JL20261122000002", L1, "repayment", "4583.33"), // row 3: matched (chain gives the key)
  line("JL20261122000003", L2, "repayment", "1200.00"), // row 4: amount mismatch
  line("JL20261122000004", L2, "disbursement", "300"), // row 5: type mismatch
  line("JL20261122000005", L3, "repayment", "88.80"), // row 6: missing on chain
  line("JL20261122000006", L3, "repayment", "10.00"), // row 7: duplicate serial
  line(" JL20261122000006 ", L3, "repayment", "10.00"), // row 8: the same serial (cells are trimmed)
  line("JL20261122000007", L3, "repayment", "10.005"), // row 9: more than two decimals
  line("JL20261122000009", L1, "repayment", "66.00"), // row 10: loan mismatch
  line("JL20261122000010", L1, "repayment", "1.00", "2026-11-21"), // row 11: another day
  line("JL20261122000011", L1, "repayment", "1.00", DAY, "6222021001123456789"), // row 12: full account number
].join("\r\n");

const flow = (serial: string, loanId: string, type: ChainFlow["type"], amountFen: bigint): ChainFlow => ({
  serial,
  loanId,
  type,
  amountFen,
  day: DAY,
});

const CHAIN: ChainFlow[] = [
  flow("JL20261122000001", L1, "disbursement", 5_000_000n),
  flow(serialKey("JL20261122000002"), L1.toUpperCase().replace("0X", "0x"), "repayment", 458_333n),
  flow("JL20261122000003", L2, "repayment", 120_001n),
  flow("JL20261122000004", L2, "repayment", 30_000n),
  flow("JL20261122000006", L3, "repayment", 1_000n),
  flow(serialKey("JL20261122000008"), L3, "disbursement", 700_000n),
  flow("JL20261122000009", L2, "repayment", 6_600n),
];

const key = serialKey;
/** A books row's place in a discrepancy: its row number, its serial and the serial's key. */
const bookRow = (row: number, serial: string) => ({ row, serial, serialKey: key(serial) });

describe("reconcile: serial keys", () => {
  it("keccak256 of the UTF-8 bytes (known vectors); a key passes through lower-cased", () => {
    expect(serialKey("")).to.equal("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    expect(serialKey("abc")).to.equal("0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    const k = serialKey("JL20261122000001");
    expect(serialKey(k)).to.equal(k);
    expect(serialKey(k.toUpperCase().replace("0X", "0x"))).to.equal(k);
    expect(serialKey("流水号-1")).to.not.equal(serialKey("流水号-2"));
  });
});

describe("reconcile: a day with every kind of discrepancy", () => {
  let report: ReconcileReport;
  before(() => {
    report = reconcileDay(DAY, BOOKS, CHAIN);
  });

  it("matched counts serials that agree in loan, type and amount, whichever serial form the chain gave", () => {
    expect(report.matched).to.equal(2);
    expect(report.booksRows).to.equal(11);
    expect(report.chainFlows).to.equal(7);
    expect(report.balanced).to.equal(false);
  });

  it("missing on either side", () => {
    expect(report.missingOnChain).to.deep.equal([
      {
        ...bookRow(6, "JL20261122000005"),
        loanId: L3,
        type: "repayment",
        amountFen: 8_880n,
      },
    ]);
    expect(report.missingInBooks).to.deep.equal([
      {
        serial: key("JL20261122000008"),
        serialKey: key("JL20261122000008"),
        loanId: L3,
        type: "disbursement",
        amountFen: 700_000n,
      },
    ]);
  });

  it("amount, type and loan mismatches", () => {
    expect(report.amountMismatch).to.deep.equal([
      {
        ...bookRow(4, "JL20261122000003"),
        loanId: L2,
        books: 120_000n,
        chain: 120_001n,
      },
    ]);
    expect(report.typeMismatch).to.deep.equal([
      {
        ...bookRow(5, "JL20261122000004"),
        loanId: L2,
        books: "disbursement",
        chain: "repayment",
      },
    ]);
    expect(report.loanMismatch).to.deep.equal([{ ...bookRow(10, "JL20261122000009"), books: L1, chain: L2 }]);
  });

  it("duplicated serials are error rows, not merged; their chain flow is not reported missing", () => {
    expect(report.errors.map((e) => [e.row, e.serial, e.code, e.onChain])).to.deep.equal([
      [7, "JL20261122000006", "DUPLICATE_SERIAL", true],
      [8, "JL20261122000006", "DUPLICATE_SERIAL", true],
      [9, "JL20261122000007", "AMOUNT_PRECISION", false],
      [11, "JL20261122000010", "OTHER_DAY", false],
      [12, "JL20261122000011", "UNMASKED_ACCOUNT", false],
    ]);
    expect(report.errors[0]!.message).to.include("rows 7, 8");
    expect(report.errors[4]!.message.includes("6222021001123456789")).to.equal(false);
    expect(report.missingInBooks.map((m) => m.serialKey)).to.not.include(key("JL20261122000006"));
  });

  it("totals of the readable books rows and of the chain", () => {
    expect(report.totals).to.deep.equal({
      books: { disbursementFen: 5_000_000n + 30_000n, repaymentFen: 458_333n + 120_000n + 8_880n + 6_600n },
      chain: {
        disbursementFen: 5_000_000n + 700_000n,
        repaymentFen: 458_333n + 120_001n + 30_000n + 1_000n + 6_600n,
      },
    });
  });

  it("toCsv lists every discrepancy, yuan with two decimals, and parses back", () => {
    const csv = toCsv(report);
    const records = parseCsv(csv).map((r) => r.fields);
    expect(records[0]).to.deep.equal([...REPORT_CSV_COLUMNS]);
    const col = (name: (typeof REPORT_CSV_COLUMNS)[number]) => REPORT_CSV_COLUMNS.indexOf(name);
    expect(
      records
        .slice(1)
        .map((r) => [r[col("kind")], r[col("row")], r[col("books_amount")], r[col("chain_amount")]]),
    ).to.deep.equal([
      ["error", "7", "", ""],
      ["error", "8", "", ""],
      ["error", "9", "", ""],
      ["error", "11", "", ""],
      ["error", "12", "", ""],
      ["missing_on_chain", "6", "88.80", ""],
      ["missing_in_books", "", "", "7000.00"],
      ["amount_mismatch", "4", "1200.00", "1200.01"],
      ["type_mismatch", "5", "", ""],
      ["loan_mismatch", "10", "", ""],
    ]);
    expect(
      records.slice(1).every((r) => r[col("day")] === DAY && r.length === REPORT_CSV_COLUMNS.length),
    ).to.equal(true);
    expect(csv.endsWith("\r\n")).to.equal(true);
  });

  it("deterministic: the JSON does not depend on the order of the chain flows", () => {
    const json = reportToJson(report);
    expect(reportToJson(reconcileDay(DAY, BOOKS, [...CHAIN].reverse()))).to.equal(json);
    const parsed = JSON.parse(json);
    expect(Object.keys(parsed)).to.deep.equal([
      "day",
      "balanced",
      "booksRows",
      "chainFlows",
      "matched",
      "totals",
      "missingOnChain",
      "missingInBooks",
      "amountMismatch",
      "typeMismatch",
      "loanMismatch",
      "errors",
    ]);
    expect(parsed.amountMismatch[0]).to.deep.equal({
      ...bookRow(4, "JL20261122000003"),
      loanId: L2,
      books: "120000",
      chain: "120001",
    });
  });
});

describe("reconcile: edges", () => {
  it("a balanced day: everything matched, the CSV is the header alone", () => {
    const books = [
      HEADER,
      line("S-1", L1, "disbursement", "3000"),
      line("S-2", L1, "repayment", "0.01"),
    ].join("\n");
    const report = reconcileDay(DAY, books, [
      flow("S-1", L1, "disbursement", 300_000n),
      flow(key("S-2"), L1, "repayment", 1n),
    ]);
    expect(report.matched).to.equal(2);
    expect(report.balanced).to.equal(true);
    expect(toCsv(report)).to.equal(`${REPORT_CSV_COLUMNS.join(",")}\r\n`);
  });

  it("an empty day on both sides is balanced", () => {
    const report = reconcileDay(DAY, `\uFEFF${HEADER}\r\n`, []);
    expect(report).to.deep.include({ matched: 0, booksRows: 0, chainFlows: 0, balanced: true });
  });

  it("a serial on both a type and an amount mismatch is reported in both lists and not matched", () => {
    const report = reconcileDay(DAY, [HEADER, line("S-1", L1, "disbursement", "10")].join("\n"), [
      flow("S-1", L1, "repayment", 999n),
    ]);
    expect(report.matched).to.equal(0);
    expect(report.typeMismatch).to.have.length(1);
    expect(report.amountMismatch).to.have.length(1);
  });

  it("unreadable rows are error rows with a code each", () => {
    const books = [
      HEADER,
      line("", L1, "repayment", "1"),
      line("S-2", "0x1234", "repayment", "1"),
      line("S-3", L1, "refund", "1"),
      line("S-4", L1, "repayment", "-1"),
      line("S-5", L1, "repayment", "0.00"),
      line("S-6", L1, "repayment", "1", "2026-02-30"),
      line("S-7", L1, "repayment", "1", DAY, "6222 **** **** 1234"),
    ].join("\n");
    const books1 = parseBooksCsv(books, DAY);
    expect(books1.errors.map((e) => [e.row, e.code])).to.deep.equal([
      [2, "BAD_SERIAL"],
      [3, "BAD_LOAN_ID"],
      [4, "BAD_TYPE"],
      [5, "BAD_AMOUNT"],
      [6, "BAD_AMOUNT"],
      [7, "BAD_DATE"],
    ]);
    expect(books1.entries.map((e) => [e.row, e.serial, e.accountMasked])).to.deep.equal([
      [8, "S-7", "6222 **** **** 1234"],
    ]);
  });

  it("a books file that is not a readable CSV fails with NODE_ERR_CSV", () => {
    for (const text of [
      "serial,loan_id,type,amount,value_date\n",
      `${HEADER}\nS-1,"${L1}"x,repayment,1,${DAY},${ACCOUNT}\n`,
    ]) {
      let caught: unknown;
      try {
        reconcileDay(DAY, text, []);
      } catch (e) {
        caught = e;
      }
      expect(caught).to.be.instanceOf(ChannelError);
      expect((caught as ChannelError).code).to.equal("NODE_ERR_CSV");
    }
  });

  it("bad chain input fails with NODE_ERR_RECONCILE_INPUT, naming the flow and field", () => {
    const cases: Array<[ChainFlow[], number, string]> = [
      [[{ ...flow("S-1", L1, "repayment", 1n), day: "2026-11-21" }], 0, "day"],
      [[flow("S-1", L1, "repayment", 1n), flow(key("S-1"), L2, "repayment", 2n)], 1, "serial"],
      [[flow("S-1", L1, "repayment", 0n)], 0, "amountFen"],
      [[flow("S-1", "0xabc", "repayment", 1n)], 0, "loanId"],
      [[flow("S-1", L1, "refund" as ChainFlow["type"], 1n)], 0, "type"],
    ];
    for (const [chain, index, field] of cases) {
      let caught: unknown;
      try {
        reconcileDay(DAY, `${HEADER}\n`, chain);
      } catch (e) {
        caught = e;
      }
      expect(caught, field).to.be.instanceOf(ReconcileError);
      expect((caught as ReconcileError).code).to.equal("NODE_ERR_RECONCILE_INPUT");
      expect((caught as ReconcileError).details[0]).to.deep.include({ index, field });
    }
    expect(() => reconcileDay("2026-11-31", `${HEADER}\n`, [])).to.throw(ReconcileError);
  });
});
