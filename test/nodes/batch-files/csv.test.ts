// Daily batch files, read before anything is queued: a good file gives every row (hex in lower
// case, amounts as bigints, lines counted from the header); a file with any bad row is refused
// whole, naming each bad row's line and field; a wrong header, no rows, a serial used twice in
// the file, and a file past the size limits are refused with stable codes.
import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";
import { MAX_ROWS, parseBatchFile } from "../../../nodes/src/batch-files/csv.ts";
import { BatchFileError } from "../../../nodes/src/errors.ts";

const loan = (i: number) => keccak256(toUtf8Bytes(`loan ${i}`));
const account = keccak256(toUtf8Bytes("salted hash of branch A's settlement account"));

function refused(fn: () => unknown): BatchFileError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(BatchFileError);
    return error as BatchFileError;
  }
  throw new Error("expected the file to be refused");
}

describe("batch files: the CSV read row by row before anything is queued", function () {
  it("reads a repayment file (BOM, CRLF, trailing newline) into its rows", function () {
    const text = `\uFEFFserial,loanId,amountFen\r\nRPY-1,${loan(1).toUpperCase().replace("0X", "0x")},1200\r\nRPY-2,${loan(2)},35\r\n`;
    const rows = parseBatchFile("repayment", text);
    expect(rows).to.deep.equal([
      { line: 2, serial: "RPY-1", loanId: loan(1), amountFen: 1200n },
      { line: 3, serial: "RPY-2", loanId: loan(2), amountFen: 35n },
    ]);
  });

  it("reads a disbursement file with each funder's settlement account", function () {
    const rows = parseBatchFile(
      "disbursement",
      `serial,loanId,amountFen,accountHash\nDSB-1,${loan(1)},600000,${account}\n`,
    );
    expect(rows).to.deep.equal([
      { line: 2, serial: "DSB-1", loanId: loan(1), amountFen: 600_000n, accountHash: account },
    ]);
  });

  it("refuses the whole file when any row is bad, naming every bad row's line and field", function () {
    const text = [
      "serial,loanId,amountFen",
      `RPY-1,${loan(1)},100`,
      `RPY 2,${loan(2)},100`,
      `RPY-3,0x1234,100`,
      `RPY-4,${loan(4)},0`,
      `RPY-5,${loan(5)},12.50`,
      `RPY-1,${loan(6)},100`,
      `RPY-7,${loan(7)}`,
      "",
      `RPY-9,${loan(9)},100`,
    ].join("\n");
    const error = refused(() => parseBatchFile("repayment", text));
    expect(error.code).to.equal("NODE_ERR_BATCH_FILE_INVALID");
    const details = error.details as { rows: Array<{ line: number; field: string }>; total: number };
    expect(details.rows.map((r) => [r.line, r.field])).to.deep.equal([
      [3, "serial"],
      [4, "loanId"],
      [5, "amountFen"],
      [6, "amountFen"],
      [7, "serial"],
      [8, "row"],
      [9, "row"],
    ]);
    expect(details.total).to.equal(7);
  });

  it("refuses a wrong header, a file without rows and a disbursement without its account", function () {
    expect(
      refused(() => parseBatchFile("repayment", `serial,amountFen,loanId\nR,${loan(1)},1\n`)).details,
    ).to.deep.include({
      total: 1,
    });
    const header = refused(() => parseBatchFile("disbursement", "serial,loanId,amountFen\n"));
    expect((header.details as { rows: Array<{ field: string }> }).rows[0]!.field).to.equal("header");
    const empty = refused(() => parseBatchFile("repayment", "serial,loanId,amountFen\n"));
    expect((empty.details as { rows: Array<{ field: string }> }).rows[0]!.field).to.equal("rows");
    const noAccount = refused(() =>
      parseBatchFile("disbursement", `serial,loanId,amountFen,accountHash\nD,${loan(1)},5,not-a-hash\n`),
    );
    expect((noAccount.details as { rows: Array<{ line: number; field: string }> }).rows).to.deep.equal([
      {
        line: 2,
        field: "accountHash",
        message: (noAccount.details as { rows: Array<{ message: string }> }).rows[0]!.message,
      },
    ]);
  });

  it("refuses a file past the row limit with NODE_ERR_BATCH_FILE_TOO_LARGE", function () {
    const row = `S,${loan(1)},1`;
    const text = `serial,loanId,amountFen\n${Array.from({ length: MAX_ROWS + 1 }, () => row).join("\n")}\n`;
    expect(refused(() => parseBatchFile("repayment", text)).code).to.equal("NODE_ERR_BATCH_FILE_TOO_LARGE");
  });

  it("lists at most 200 problems of a very bad file, with their total", function () {
    const text = `serial,loanId,amountFen\n${Array.from({ length: 1_000 }, (_, i) => `S-${i},x,1`).join("\n")}\n`;
    const details = refused(() => parseBatchFile("repayment", text)).details as {
      rows: unknown[];
      total: number;
    };
    expect(details.rows).to.have.length(200);
    expect(details.total).to.equal(1_000);
  });
});
