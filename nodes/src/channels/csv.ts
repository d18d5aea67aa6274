// A small RFC 4180 reader and writer (no CSV library: the format is small and its edge cases are
// exactly where money files go wrong, so they are spelled out and tested here).
//
// Reading: an optional UTF-8 BOM is dropped; records end with CRLF or LF (a bare CR outside quotes
// is refused); a field is either plain text without quotes, or wrapped in double quotes, where
// "" stands for one quote and commas, CR and LF are literal. Quotes inside a plain field, text
// after a closing quote and an unterminated quote are errors (NODE_ERR_CSV with row and column).
// Blank lines are skipped. A record's `row` is the 1-based line it starts on, so the header is
// row 1 and an error points at the line an editor shows.
//
// Writing: CRLF after every record; a field is quoted when it holds a comma, quote, CR or LF, or
// starts or ends with white space.
import { ChannelError, type ChannelErrorDetail } from "./errors.ts";

export type CsvRecord = { row: number; fields: string[] };

function csvError(message: string, detail: ChannelErrorDetail): never {
  throw new ChannelError(
    "NODE_ERR_CSV",
    `CSV row ${detail.row}${detail.column === undefined ? "" : `, column ${detail.column}`}: ${message}`,
    [detail],
  );
}

/** Every record of `text`, blank lines skipped. Throws ChannelError NODE_ERR_CSV. */
export function parseCsv(text: string): CsvRecord[] {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false; // inside a quoted field
  let closed = false; // a quoted field's closing quote has been read
  let started = false; // the current record has a character (so an empty line is blank)
  let line = 1;
  let recordRow = 1;

  const fail = (message: string): never =>
    csvError(message, {
      row: recordRow,
      column: fields.length + 1,
      field: `column ${fields.length + 1}`,
      message,
    });
  const endField = (): void => {
    fields.push(field);
    field = "";
    closed = false;
  };
  const endRecord = (): void => {
    if (started) {
      endField();
      records.push({ row: recordRow, fields });
    }
    fields = [];
    field = "";
    closed = false;
    started = false;
    line += 1;
    recordRow = line;
  };

  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i += 1;
        } else {
          quoted = false;
          closed = true;
        }
      } else {
        if (c === "\n") line += 1;
        field += c;
      }
      continue;
    }
    if (c === ",") {
      started = true;
      endField();
    } else if (c === "\n") {
      endRecord();
    } else if (c === "\r") {
      if (s[i + 1] !== "\n") fail("a bare CR outside quotes; end lines with CRLF or LF");
      i += 1;
      endRecord();
    } else if (c === '"') {
      if (field !== "" || closed)
        fail('a quote inside an unquoted field; quote the whole field and double the quote ("")');
      started = true;
      quoted = true;
    } else {
      if (closed) fail("text after a closing quote; a quoted field ends at its closing quote");
      started = true;
      field += c;
    }
  }
  if (quoted) fail("a quoted field is not closed before the end of the file");
  if (started) endRecord();
  return records;
}

function formatField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Records → RFC 4180 text with CRLF line ends (and one after the last record). */
export function formatCsv(records: readonly (readonly string[])[]): string {
  return records.map((r) => `${r.map(formatField).join(",")}\r\n`).join("");
}

export type CsvTable = {
  header: string[];
  rows: Array<{ row: number; values: Map<string, string> }>;
};

/**
 * A CSV with a header row: header names must be unique and each `allowed(name)`, every `required`
 * column present, every record as many fields as the header. Header names are trimmed.
 */
export function parseCsvTable(
  text: string,
  options: { required: readonly string[]; allowed: (name: string) => boolean },
): CsvTable {
  const records = parseCsv(text);
  const head = records[0];
  if (head === undefined)
    csvError("the file is empty; the first row must be the header", {
      row: 1,
      field: "(header)",
      message: "empty file",
    });
  const header = head.fields.map((h) => h.trim());
  const seen = new Set<string>();
  header.forEach((name, i) => {
    const at = { row: head.row, column: i + 1, field: name };
    if (!options.allowed(name))
      csvError(`unknown column ${JSON.stringify(name)}`, { ...at, message: "unknown column" });
    if (seen.has(name))
      csvError(`column ${JSON.stringify(name)} appears twice`, { ...at, message: "duplicate column" });
    seen.add(name);
  });
  for (const name of options.required) {
    if (!seen.has(name))
      csvError(`required column ${JSON.stringify(name)} is missing`, {
        row: head.row,
        field: name,
        message: "missing column",
      });
  }
  const rows = records.slice(1).map(({ row, fields }) => {
    if (fields.length !== header.length) {
      csvError(`${fields.length} fields, the header has ${header.length}`, {
        row,
        field: "(row)",
        message: `expected ${header.length} fields, got ${fields.length}`,
      });
    }
    return { row, values: new Map(header.map((name, i) => [name, fields[i]!])) };
  });
  return { header, rows };
}
