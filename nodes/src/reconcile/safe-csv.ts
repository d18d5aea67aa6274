// Every CSV the node writes (the 对账 report, the 征信报送 file) goes through formatSafeCsv: the
// files are opened in spreadsheets, and a cell that starts with =, +, -, @, tab or CR is run as a
// formula there (CSV injection: =HYPERLINK(…) exfiltrating the sheet, =cmd|… on old Excel). A
// books serial is free text the uploader chose, so it can be one.
//
// Per OWASP's CSV injection guidance such a cell is prefixed with a single quote (the sheet shows
// text) and always quoted. A plain decimal number is left as it is, sign included: a negative
// amount stays a number a spreadsheet can add up. Everything else is written by the RFC 4180
// writer (../channels/csv.ts), so readers of today's files see the same bytes.
import { formatCsv } from "../channels/csv.ts";

/** -12, 0.50, 1200.00: what a spreadsheet reads as a number and nothing else. */
const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?$/;
/** The first characters a spreadsheet treats as the start of a formula (OWASP). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** Would a spreadsheet run `value` as a formula? A plain number (even negative) is not one. */
export function isFormulaCell(value: string): boolean {
  return FORMULA_START.test(value) && !PLAIN_NUMBER.test(value);
}

/**
 * One cell as CSV text: a formula-like cell as `"'=…"` (quote prefix, wrapped in double quotes,
 * inner quotes doubled); any other cell as the RFC 4180 writer writes it.
 */
export function safeCsvCell(value: string): string {
  if (isFormulaCell(value)) return `"'${value.replace(/"/g, '""')}"`;
  return formatCsv([[value]]).slice(0, -2);
}

/** Records → CSV text with CRLF line ends, every cell through safeCsvCell. */
export function formatSafeCsv(records: readonly (readonly string[])[]): string {
  return records.map((record) => `${record.map(safeCsvCell).join(",")}\r\n`).join("");
}
