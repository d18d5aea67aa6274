// The RFC 4180 reader and writer, edge case by edge case.
import { expect } from "chai";
import { formatCsv, parseCsv, parseCsvTable } from "../../../nodes/src/channels/csv.ts";
import { channelError } from "./helpers.ts";

const fields = (text: string): string[][] => parseCsv(text).map((r) => r.fields);
const rows = (text: string): number[] => parseCsv(text).map((r) => r.row);

function expectCsvError(text: string, row: number, column: number): void {
  const e = channelError(() => parseCsv(text));
  expect(e.code).to.equal("NODE_ERR_CSV");
  expect(e.details[0]).to.deep.include({ row, column });
  expect(e.message).to.include(`row ${row}, column ${column}`);
}

describe("channels: CSV reader (RFC 4180)", () => {
  it("plain fields, LF or CRLF, with or without a final line end", () => {
    const expected = [
      ["a", "b"],
      ["1", "2"],
    ];
    expect(fields("a,b\n1,2\n")).to.deep.equal(expected);
    expect(fields("a,b\r\n1,2\r\n")).to.deep.equal(expected);
    expect(fields("a,b\r\n1,2")).to.deep.equal(expected);
    expect(fields("a,b\n1,2\r\n")).to.deep.equal(expected);
  });

  it("a UTF-8 BOM is dropped, only at the start", () => {
    expect(fields("\uFEFFserial,amount\n")).to.deep.equal([["serial", "amount"]]);
    expect(fields("a,\uFEFFb\n")).to.deep.equal([["a", "\uFEFFb"]]);
  });

  it("quoted fields: commas, doubled quotes, CR and LF are literal", () => {
    expect(fields('"a,b","say ""hi""","x\r\ny","line1\nline2",""\n')).to.deep.equal([
      ["a,b", 'say "hi"', "x\r\ny", "line1\nline2", ""],
    ]);
    expect(fields('""""\n')).to.deep.equal([['"']]);
  });

  it("empty fields, trailing commas, white space kept", () => {
    expect(fields(",a,,\n")).to.deep.equal([["", "a", "", ""]]);
    expect(fields(" a , b \n")).to.deep.equal([[" a ", " b "]]);
    expect(fields('""\n')).to.deep.equal([[""]]);
  });

  it("blank lines are skipped; a record's row is the line it starts on", () => {
    expect(fields("a\n\n\r\nb\n")).to.deep.equal([["a"], ["b"]]);
    expect(rows('h1,h2\n"multi\nline",x\n\nlast,y\n')).to.deep.equal([1, 2, 5]);
    expect(fields("")).to.deep.equal([]);
  });

  it("refuses a quote inside a plain field", () => {
    expectCsvError('a,b"c\n', 1, 2);
    expectCsvError('ok\nx,"y"z\n', 2, 2);
  });

  it("refuses text after a closing quote", () => {
    expectCsvError('"a" ,b\n', 1, 1);
    expectCsvError('h\n"a"b\n', 2, 1);
  });

  it("refuses an unterminated quote, pointing at the row it starts on", () => {
    expectCsvError('h\nx,"never closed\nmore\n', 2, 2);
  });

  it("refuses a bare CR outside quotes", () => {
    expectCsvError("a,b\rc\n", 1, 2);
  });

  it("the writer quotes what needs quoting, CRLF line ends, and round-trips", () => {
    const records = [
      ["serial", "note"],
      ["JL-1", 'a, "b"'],
      ["JL-2", "two\nlines"],
      ["JL-3", " padded"],
      ["", "张三"],
    ];
    const text = formatCsv(records);
    expect(text).to.equal(
      'serial,note\r\nJL-1,"a, ""b"""\r\nJL-2,"two\nlines"\r\nJL-3," padded"\r\n,张三\r\n',
    );
    expect(fields(text)).to.deep.equal(records);
  });
});

describe("channels: CSV tables", () => {
  const options = { required: ["a", "b"], allowed: (n: string) => ["a", "b", "c"].includes(n) };

  it("rows keyed by trimmed header names", () => {
    const table = parseCsvTable(" a ,b\r\n1,2\r\n", options);
    expect(table.header).to.deep.equal(["a", "b"]);
    expect(table.rows.map((r) => [r.row, Object.fromEntries(r.values)])).to.deep.equal([
      [2, { a: "1", b: "2" }],
    ]);
  });

  const cases: Array<[string, string, number, string]> = [
    ["an unknown column", "a,b,d\n", 1, "d"],
    ["a duplicate column", "a,b,a\n", 1, "a"],
    ["a missing required column", "a,c\n", 1, "b"],
    ["a short row", "a,b\n1,2\n3\n", 3, "(row)"],
    ["a long row", "a,b\n1,2,3\n", 2, "(row)"],
    ["an empty file", "\uFEFF", 1, "(header)"],
  ];
  for (const [label, text, row, field] of cases) {
    it(`NODE_ERR_CSV for ${label}`, () => {
      const e = channelError(() => parseCsvTable(text, options));
      expect(e.code).to.equal("NODE_ERR_CSV");
      expect(e.details[0]).to.deep.include({ row, field });
    });
  }
});
