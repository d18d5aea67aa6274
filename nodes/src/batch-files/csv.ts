// A branch's daily batch file from core banking (代扣 repayments, disbursement bursts), read and
// validated row by row before anything is queued: every bad row is reported with its line and
// field, and a file with any bad row is refused whole (README.md has the format).
import { BatchFileError } from "../errors.ts";

export const BATCH_KINDS = ["repayment", "disbursement"] as const;
export type BatchKind = (typeof BATCH_KINDS)[number];

/** The header line each kind's file starts with, in this order. */
export const BATCH_COLUMNS = {
  repayment: ["serial", "loanId", "amountFen"],
  disbursement: ["serial", "loanId", "amountFen", "accountHash"],
} as const satisfies Record<BatchKind, readonly string[]>;

export type BatchRow = {
  /** Line number in the file (the header is line 1). */
  line: number;
  serial: string;
  loanId: string;
  amountFen: bigint;
  /** Disbursements: the funder's own settlement account (salted hash) the money leaves. */
  accountHash?: string;
};

export type RowProblem = { line: number; field: string; message: string };

/** Rows per file at most: a branch's day, with room (a 10,000-row file is the expected size). */
export const MAX_ROWS = 50_000;
/** Bytes per file at most (a 50,000-row disbursement file is about 7 MB). */
export const MAX_BYTES = 16 * 1024 * 1024;
/** Problems listed at most; the count says how many there were. */
const MAX_PROBLEMS = 200;

// the same rules as the single-flow API (FlowBody): serials are keys in LevelDB and in the banks'
// own systems, printable ASCII without spaces (nor commas, the separator here)
const SERIAL = /^[\x21-\x2b\x2d-\x7e]{1,64}$/;
const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const FEN = /^[1-9][0-9]{0,18}$/;

/**
 * The rows of a batch file of `kind`, or BatchFileError NODE_ERR_BATCH_FILE_INVALID listing every
 * bad row (line, field, message; the first 200, with the total) — never some of the rows.
 * Hex is returned in lower case.
 */
export function parseBatchFile(kind: BatchKind, text: string): BatchRow[] {
  if (Buffer.byteLength(text, "utf8") > MAX_BYTES)
    throw new BatchFileError(
      "NODE_ERR_BATCH_FILE_TOO_LARGE",
      `a batch file holds at most ${MAX_BYTES} bytes`,
    );
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  // one trailing newline (or several) ends the file; an empty line inside it is an error
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const columns: readonly string[] = BATCH_COLUMNS[kind];
  const problems: RowProblem[] = [];
  let total = 0;
  const problem = (line: number, field: string, message: string) => {
    total++;
    if (problems.length < MAX_PROBLEMS) problems.push({ line, field, message });
  };
  const header = lines[0]?.split(",").map((h) => h.trim());
  if (header === undefined || header.join(",") !== columns.join(",")) {
    problem(1, "header", `the first line must be exactly ${columns.join(",")}`);
    throw invalid(kind, problems, total);
  }
  if (lines.length - 1 > MAX_ROWS)
    throw new BatchFileError("NODE_ERR_BATCH_FILE_TOO_LARGE", `a batch file holds at most ${MAX_ROWS} rows`, {
      rows: lines.length - 1,
    });
  if (lines.length === 1) {
    problem(1, "rows", "the file has a header and no rows");
    throw invalid(kind, problems, total);
  }
  const rows: BatchRow[] = [];
  const firstLineOf = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    const cells = lines[i]!.split(",");
    if (cells.length !== columns.length) {
      problem(line, "row", `expected ${columns.length} fields (${columns.join(",")}), found ${cells.length}`);
      continue;
    }
    const [serial, loanId, amount, accountHash] = cells.map((c) => c.trim()) as [
      string,
      string,
      string,
      string,
    ];
    const before = total;
    if (!SERIAL.test(serial))
      problem(line, "serial", "1 to 64 printable ASCII characters, no spaces or commas");
    else if (firstLineOf.has(serial))
      problem(line, "serial", `the serial is used on line ${firstLineOf.get(serial)} of this file already`);
    else firstLineOf.set(serial, line);
    if (!HEX32.test(loanId)) problem(line, "loanId", "0x followed by 64 hex digits");
    if (!FEN.test(amount)) problem(line, "amountFen", "a whole number of fen, 1 or more, as digits");
    if (kind === "disbursement" && !HEX32.test(accountHash))
      problem(
        line,
        "accountHash",
        "0x followed by 64 hex digits (the salted hash of the settlement account)",
      );
    if (total !== before) continue;
    rows.push({
      line,
      serial,
      loanId: loanId.toLowerCase(),
      amountFen: BigInt(amount),
      ...(kind === "disbursement" ? { accountHash: accountHash.toLowerCase() } : {}),
    });
  }
  if (total > 0) throw invalid(kind, problems, total);
  return rows;
}

function invalid(kind: BatchKind, rows: RowProblem[], total: number): BatchFileError {
  const first = rows[0]!;
  return new BatchFileError(
    "NODE_ERR_BATCH_FILE_INVALID",
    `the ${kind} file has ${total} problem(s), nothing was queued; first: line ${first.line}, ${first.field}: ${first.message}`,
    { rows, total },
  );
}
