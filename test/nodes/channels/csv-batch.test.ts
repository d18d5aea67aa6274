// Batch files of applications: a good file converts row by row to the expected canonical
// applications; a file with any bad row yields nothing and lists every bad row with its number.
import { expect } from "chai";
import { parseApplicationsCsv } from "../../../nodes/src/channels/csv-batch.ts";
import type { CanonicalApplication } from "../../../nodes/src/channels/canonical.ts";
import {
  DIGEST,
  context,
  jiedaibaoExpected,
  receivedAt,
  rongyitongExpected,
} from "../../support/channel-fixtures.ts";
import { channelError } from "./helpers.ts";

const HEADER =
  "application_id,borrower_name,id_type,id_number,phone,region_code,bank_account,principal_yuan,term_months,term_days,apr_percent,method,purpose,consent_signed_at,consent_digest,fee1_name,fee1_yuan,fee1_due,fee2_name,fee2_yuan,fee2_due";

const ROWS = [
  `B-001,张伟,RESIDENT_ID,11010519491231002X,13800138000,,6222021001123456789,50000.00,12,,18.25,equal-installment,"装修, 含""软装""",2026-11-22T10:00:00+08:00,${DIGEST},担保费,300.50,with-first-installment,,,`,
  `B-002,李娜,RESIDENT_ID,330106198805121536,+86 139 1234 5678,330110,6217000010001234567,30000,6,,15,interest-first,经营周转,2026-11-22T01:30:15Z,0x${DIGEST},服务费,90,monthly,担保费,1200,upfront`,
  `B-003,Alice Chen,PASSPORT,e1234 5678,15912345678,350102,6228480402564890018,15000.5,,90,7.2,bullet,"购买
化肥",2026-11-22T08:15:42.250+08:00,${DIGEST},,,,,,`,
];

const file = (rows: string[], eol = "\r\n"): string => `\uFEFF${[HEADER, ...rows].join(eol)}${eol}`;

const base = (id: string) => ({ channel: "csv-batch", applicationId: id, platformMemberId: 7, receivedAt });

const EXPECTED: CanonicalApplication[] = [
  // the jiedaibao fixture's application, with another purpose
  { ...jiedaibaoExpected, ...base("B-001"), loan: { ...jiedaibaoExpected.loan, purpose: '装修, 含"软装"' } },
  // the rongyitong fixture's application, with a second fee
  {
    ...rongyitongExpected,
    ...base("B-002"),
    loan: {
      ...rongyitongExpected.loan,
      fees: [...rongyitongExpected.loan.fees, { name: "担保费", amountFen: 120_000n, due: "upfront" }],
    },
  },
  {
    ...base("B-003"),
    borrower: {
      name: "Alice Chen",
      idType: "PASSPORT",
      idNumber: "E12345678",
      phone: "15912345678",
      regionCode: 350102,
      bankAccount: "6228480402564890018",
    },
    loan: { principalFen: 1_500_050n, termDays: 90, aprBps: 720, method: 2, purpose: "购买 化肥", fees: [] },
    consent: { signedAt: "2026-11-22T08:15:42.250+08:00", documentDigest: `0x${DIGEST}` },
  },
];

describe("channels: CSV batch files", () => {
  it("a good file (BOM, CRLF, quoted fields, a field across lines) converts in file order", () => {
    expect(parseApplicationsCsv(file(ROWS), context)).to.deep.equal(EXPECTED);
  });

  it("LF line ends and columns in another order give the same applications", () => {
    const records = [HEADER, ...ROWS.slice(0, 2)].map((line) => line.split(","));
    // swap two columns without quoted commas in them: application_id and phone
    const swapped = records.map((r) => [r[4]!, ...r.slice(1, 4), r[0]!, ...r.slice(5)].join(","));
    expect(parseApplicationsCsv(`${swapped.join("\n")}\n`, context)).to.deep.equal(EXPECTED.slice(0, 2));
  });

  it("a bad row: nothing is returned, the error names row, column, field and the row's own code", () => {
    const bad = [ROWS[0]!, ROWS[1]!.replace(",30000,", ",30000.001,"), ROWS[2]!];
    const e = channelError(() => parseApplicationsCsv(file(bad), context));
    expect(e.code).to.equal("NODE_ERR_CSV");
    expect(e.details).to.deep.equal([
      {
        row: 3,
        column: 8,
        field: "principal_yuan",
        code: "NODE_ERR_MONEY_PRECISION",
        message: "at most two decimals of yuan (whole fen), got 30000.001",
      },
    ]);
    expect(e.message).to.include("rows 3");
    expect(e.message).to.include("nothing was imported");
  });

  it("every bad row is listed; rows are counted by lines, so one after a multi-line field is right", () => {
    const bad = [
      ROWS[0]!.replace("11010519491231002X", "110105194912310021"), // row 2: check digit
      ROWS[1]!,
      ROWS[2]!, // rows 4-5: its purpose spans two lines
      ROWS[1]!.replace("B-002", "B-004").replace(",interest-first,", ",daily,"), // row 6: method
      ROWS[1]!, // row 7: B-002 again
    ];
    const e = channelError(() => parseApplicationsCsv(file(bad), context));
    expect(e.code).to.equal("NODE_ERR_CSV");
    expect(e.details.map((d) => [d.row, d.field, d.code])).to.deep.equal([
      [2, "id_number", "NODE_ERR_BAD_ID_NUMBER"],
      [6, "method", "NODE_ERR_CHANNEL_VALIDATION"],
      [7, "application_id", "NODE_ERR_CHANNEL_VALIDATION"],
    ]);
    expect(e.details[2]!.message).to.equal("the same application_id is on row 3");
    expect(e.message.includes("110105194912310021")).to.equal(false);
  });

  it("a broken file: the structural error with its row and column", () => {
    const e = channelError(() => parseApplicationsCsv(file([ROWS[0]!, 'B-009,"unterminated']), context));
    expect(e.code).to.equal("NODE_ERR_CSV");
    expect(e.details[0]).to.deep.include({ row: 3, column: 2 });
  });

  it("header problems and an empty batch", () => {
    expect(
      channelError(() => parseApplicationsCsv(`${HEADER},note\r\n`, context)).details[0],
    ).to.deep.include({ row: 1, field: "note" });
    expect(
      channelError(() => parseApplicationsCsv(HEADER.replace("consent_digest,", ""), context)).details[0],
    ).to.deep.include({
      field: "consent_digest",
    });
    expect(channelError(() => parseApplicationsCsv(`${HEADER}\r\n`, context)).code).to.equal("NODE_ERR_CSV");
  });

  it("a fee needs its name, amount and due together", () => {
    const e = channelError(() =>
      parseApplicationsCsv(file([ROWS[0]!.replace(",with-first-installment,", ",,")]), context),
    );
    expect(e.details.map((d) => [d.row, d.column, d.field])).to.deep.equal([[2, 18, "fee1_due"]]);
  });
});
