// 对账: one day of an institution's core-banking fund flows (its books, a CSV export) against the
// chain's fund flows of that day (from the indexer). Every flow carries a serial number unique in
// the consortium; the books hold the human serial ("JL20261122000001"), the chain holds
// keccak256(utf8(serial)), and both are matched on that key.
//
// Books file: UTF-8 CSV with a header row, columns (any order)
//   serial, loan_id (0x + 64 hex, the chain loan id), type (disbursement | repayment),
//   amount (yuan, at most two decimals), value_date (YYYY-MM-DD), account_masked ("6222****1234").
// Cells are trimmed. A row that cannot be read, or whose serial appears more than once, is an
// error row of the report and takes no part in matching (duplicates are never merged); a chain
// flow whose serial is on an error row is not reported missing, the error row says it is on chain.
import { keccak256, toUtf8Bytes } from "ethers";
import { dateToDay } from "../../../common/lending/dates.ts";
import { MoneyFormatError, formatYuan, parseYuan } from "../../../common/lending/money.ts";
import { parseCsvTable } from "../channels/csv.ts";
import { ReconcileError, type ReconcileErrorDetail } from "./errors.ts";
import { formatSafeCsv } from "./safe-csv.ts";

export type FlowType = "disbursement" | "repayment";
const FLOW_TYPES: ReadonlySet<string> = new Set(["disbursement", "repayment"]);

/** A fund flow as the indexer has it: `serial` is the human serial or its 0x key. */
export type ChainFlow = { serial: string; loanId: string; type: FlowType; amountFen: bigint; day: string };

export type BooksEntry = {
  /** Line of the books file the record starts on (the header is row 1). */
  row: number;
  serial: string;
  serialKey: string;
  loanId: string;
  type: FlowType;
  amountFen: bigint;
  valueDate: string;
  accountMasked: string;
};

export type BooksProblem =
  | "DUPLICATE_SERIAL"
  | "BAD_SERIAL"
  | "BAD_LOAN_ID"
  | "BAD_TYPE"
  | "BAD_AMOUNT"
  | "AMOUNT_PRECISION"
  | "BAD_DATE"
  | "OTHER_DAY"
  | "UNMASKED_ACCOUNT";

export type BooksErrorRow = {
  row: number;
  serial: string;
  code: BooksProblem;
  message: string;
  onChain: boolean;
};

export type Books = { rows: number; entries: BooksEntry[]; errors: BooksErrorRow[] };

/** One flow as both sides name it: its serial (and 0x key), its loan. */
type FlowRef = Pick<BooksEntry, "serial" | "serialKey" | "loanId">;

export type MissingOnChain = Pick<
  BooksEntry,
  "row" | "serial" | "serialKey" | "loanId" | "type" | "amountFen"
>;
export type MissingInBooks = Omit<MissingOnChain, "row">;
/** A serial both sides have, with what each says of one field. */
type Mismatch<T> = FlowRef & { row: number; books: T; chain: T };
export type AmountMismatch = Mismatch<bigint>;
export type TypeMismatch = Mismatch<FlowType>;
export type LoanMismatch = Omit<Mismatch<string>, "loanId">;
export type FlowTotals = { disbursementFen: bigint; repaymentFen: bigint };

export type ReconcileReport = {
  day: string;
  /** Data rows in the books file, error rows included. */
  booksRows: number;
  chainFlows: number;
  /** Serials whose loan, type and amount agree on both sides. */
  matched: number;
  missingOnChain: MissingOnChain[];
  missingInBooks: MissingInBooks[];
  amountMismatch: AmountMismatch[];
  typeMismatch: TypeMismatch[];
  loanMismatch: LoanMismatch[];
  errors: BooksErrorRow[];
  /** Sums of the readable books rows and of the chain flows. */
  totals: { books: FlowTotals; chain: FlowTotals };
  /** Nothing to look at: no error row, nothing missing, nothing mismatched. */
  balanced: boolean;
};

export const BOOKS_COLUMNS = ["serial", "loan_id", "type", "amount", "value_date", "account_masked"] as const;

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const MAX_SERIAL_LENGTH = 64;

/**
 * The on-chain key of a serial: keccak256 of its UTF-8 bytes; a string that already is a key
 * (0x and 64 hex digits) is returned lower-cased, so either form can be passed.
 */
export function serialKey(serial: string): string {
  return BYTES32.test(serial) ? serial.toLowerCase() : keccak256(toUtf8Bytes(serial));
}

function serialProblem(serial: string): string | undefined {
  if (serial === "") return "the serial is empty";
  if (BYTES32.test(serial)) return undefined; // already a key
  if (serial.length > MAX_SERIAL_LENGTH) return `a serial has at most ${MAX_SERIAL_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  if (/[\u0000-\u001f\u007f]/.test(serial)) return "the serial contains a control character";
  return undefined;
}

function isDate(value: string): boolean {
  try {
    dateToDay(value);
    return true;
  } catch {
    return false;
  }
}

function checkDay(day: string): void {
  if (!isDate(day))
    throw new ReconcileError(
      "NODE_ERR_RECONCILE_INPUT",
      `day: a YYYY-MM-DD date, got ${JSON.stringify(day)}`,
      [{ field: "day", message: "YYYY-MM-DD" }],
    );
}

/**
 * The books file of `day`: readable rows as entries, every other row as an error row. A file that
 * is not a readable CSV throws ChannelError NODE_ERR_CSV.
 */
export function parseBooksCsv(text: string, day: string): Books {
  checkDay(day);
  const table = parseCsvTable(text, {
    required: BOOKS_COLUMNS,
    allowed: (name) => (BOOKS_COLUMNS as readonly string[]).includes(name),
  });
  const entries: BooksEntry[] = [];
  const errors: BooksErrorRow[] = [];
  const rowsOfKey = new Map<string, number[]>();
  // keccak256 is most of the cost of a large file: each row's key is computed once
  const keys = table.rows.map(({ row, values }) => {
    const serial = values.get("serial")!.trim();
    if (serialProblem(serial) !== undefined) return undefined;
    const key = serialKey(serial);
    const rows = rowsOfKey.get(key);
    if (rows === undefined) rowsOfKey.set(key, [row]);
    else rows.push(row);
    return key;
  });

  for (const [index, { row, values }] of table.rows.entries()) {
    const cell = (name: (typeof BOOKS_COLUMNS)[number]): string => values.get(name)!.trim();
    const serial = cell("serial");
    const fail = (code: BooksProblem, message: string): void =>
      void errors.push({ row, serial, code, message, onChain: false });

    const key = keys[index];
    if (key === undefined) {
      fail("BAD_SERIAL", serialProblem(serial)!);
      continue;
    }
    const sameSerial = rowsOfKey.get(key)!;
    if (sameSerial.length > 1) {
      fail(
        "DUPLICATE_SERIAL",
        `serial ${serial} is on rows ${sameSerial.join(", ")}; the rows are not merged or matched`,
      );
      continue;
    }
    const loanId = cell("loan_id");
    if (!BYTES32.test(loanId)) {
      fail("BAD_LOAN_ID", "loan_id: the chain loan id, 0x and 64 hex digits");
      continue;
    }
    const type = cell("type");
    if (!FLOW_TYPES.has(type)) {
      fail("BAD_TYPE", `type: disbursement or repayment, got ${JSON.stringify(type)}`);
      continue;
    }
    const amount = cell("amount");
    let amountFen: bigint;
    try {
      amountFen = parseYuan(amount);
    } catch (e) {
      const precision = e instanceof MoneyFormatError && e.code === "MONEY_TOO_MANY_DECIMALS";
      fail(
        precision ? "AMOUNT_PRECISION" : "BAD_AMOUNT",
        precision
          ? `amount: at most two decimals of yuan, got ${amount}`
          : `amount: yuan like 1200.50, got ${JSON.stringify(amount)}`,
      );
      continue;
    }
    if (amountFen === 0n) {
      fail("BAD_AMOUNT", "amount: a fund flow moves more than zero");
      continue;
    }
    const valueDate = cell("value_date");
    if (!isDate(valueDate)) {
      fail("BAD_DATE", `value_date: YYYY-MM-DD, got ${JSON.stringify(valueDate)}`);
      continue;
    }
    if (valueDate !== day) {
      fail("OTHER_DAY", `value_date ${valueDate} is not the reconciled day ${day}`);
      continue;
    }
    // Masked means a few visible digits around at least two stars; a full account number in the
    // books export must not travel on into reports (the message does not repeat it).
    const accountMasked = cell("account_masked");
    if (!/^\d{0,6}\*{2,}\d{0,4}$/.test(accountMasked.replace(/\s/g, ""))) {
      fail(
        "UNMASKED_ACCOUNT",
        "account_masked: at most 6 leading and 4 trailing digits around stars, e.g. 622202******1234",
      );
      continue;
    }
    entries.push({
      row,
      serial,
      serialKey: key,
      loanId: loanId.toLowerCase(),
      type: type as FlowType,
      amountFen,
      valueDate,
      accountMasked,
    });
  }
  return { rows: table.rows.length, entries, errors };
}

function checkChainFlows(
  day: string,
  chain: readonly ChainFlow[],
): Map<string, ChainFlow & { serialKey: string }> {
  const details: ReconcileErrorDetail[] = [];
  const byKey = new Map<string, ChainFlow & { serialKey: string }>();
  chain.forEach((flow, index) => {
    const problem = (field: string, message: string): void => void details.push({ index, field, message });
    if (typeof flow.serial !== "string" || serialProblem(flow.serial) !== undefined)
      return problem("serial", "a serial or its 0x key");
    if (typeof flow.loanId !== "string" || !BYTES32.test(flow.loanId))
      return problem("loanId", "0x and 64 hex digits");
    if (!FLOW_TYPES.has(flow.type)) return problem("type", "disbursement or repayment");
    if (typeof flow.amountFen !== "bigint" || flow.amountFen <= 0n)
      return problem("amountFen", "a bigint above zero");
    if (flow.day !== day) return problem("day", `a flow of ${String(flow.day)} among the flows of ${day}`);
    const key = serialKey(flow.serial);
    if (byKey.has(key)) return problem("serial", "the same serial twice in the chain's flows");
    byKey.set(key, { ...flow, loanId: flow.loanId.toLowerCase(), serialKey: key });
  });
  if (details.length > 0) {
    const first = details[0]!;
    throw new ReconcileError(
      "NODE_ERR_RECONCILE_INPUT",
      `chain flow ${first.index}: ${first.field}: ${first.message}`,
      details,
    );
  }
  return byKey;
}

function totalsOf(flows: Iterable<{ type: FlowType; amountFen: bigint }>): FlowTotals {
  const totals = { disbursementFen: 0n, repaymentFen: 0n };
  for (const f of flows) {
    if (f.type === "disbursement") totals.disbursementFen += f.amountFen;
    else totals.repaymentFen += f.amountFen;
  }
  return totals;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The books of `day` against the chain's flows of `day`. Deterministic: lists are in a fixed order. */
export function reconcile(day: string, books: Books, chain: readonly ChainFlow[]): ReconcileReport {
  checkDay(day);
  const chainByKey = checkChainFlows(day, chain);
  const errors = books.errors.map((e) => ({
    ...e,
    onChain: e.serial !== "" && serialProblem(e.serial) === undefined && chainByKey.has(serialKey(e.serial)),
  }));
  const inError = new Set(
    errors.filter((e) => serialProblem(e.serial) === undefined).map((e) => serialKey(e.serial)),
  );

  const report: ReconcileReport = {
    day,
    booksRows: books.rows,
    chainFlows: chain.length,
    matched: 0,
    missingOnChain: [],
    missingInBooks: [],
    amountMismatch: [],
    typeMismatch: [],
    loanMismatch: [],
    errors: errors.sort((a, b) => a.row - b.row),
    totals: { books: totalsOf(books.entries), chain: totalsOf(chainByKey.values()) },
    balanced: false,
  };

  const booksKeys = new Set<string>();
  for (const entry of [...books.entries].sort((a, b) => a.row - b.row)) {
    const { row, serial, serialKey: key, loanId, type, amountFen } = entry;
    booksKeys.add(key);
    const flow = chainByKey.get(key);
    if (flow === undefined) {
      report.missingOnChain.push({ row, serial, serialKey: key, loanId, type, amountFen });
      continue;
    }
    let agrees = true;
    if (flow.loanId !== loanId) {
      agrees = false;
      report.loanMismatch.push({ row, serial, serialKey: key, books: loanId, chain: flow.loanId });
    }
    if (flow.type !== type) {
      agrees = false;
      report.typeMismatch.push({ row, serial, serialKey: key, loanId, books: type, chain: flow.type });
    }
    if (flow.amountFen !== amountFen) {
      agrees = false;
      report.amountMismatch.push({
        row,
        serial,
        serialKey: key,
        loanId,
        books: amountFen,
        chain: flow.amountFen,
      });
    }
    if (agrees) report.matched += 1;
  }
  for (const flow of [...chainByKey.values()].sort((a, b) => byString(a.serialKey, b.serialKey))) {
    if (booksKeys.has(flow.serialKey) || inError.has(flow.serialKey)) continue;
    report.missingInBooks.push({
      serial: flow.serial,
      serialKey: flow.serialKey,
      loanId: flow.loanId,
      type: flow.type,
      amountFen: flow.amountFen,
    });
  }
  report.balanced =
    report.errors.length === 0 &&
    report.missingOnChain.length === 0 &&
    report.missingInBooks.length === 0 &&
    report.amountMismatch.length === 0 &&
    report.typeMismatch.length === 0 &&
    report.loanMismatch.length === 0;
  return report;
}

/** parseBooksCsv, then reconcile. */
export function reconcileDay(day: string, booksCsv: string, chain: readonly ChainFlow[]): ReconcileReport {
  return reconcile(day, parseBooksCsv(booksCsv, day), chain);
}

/** The report as JSON with a fixed key order; amounts are fen as decimal strings. Ends with a newline. */
export function reportToJson(report: ReconcileReport): string {
  const fen = (v: bigint): string => v.toString();
  const totals = (t: FlowTotals) => ({
    disbursementFen: fen(t.disbursementFen),
    repaymentFen: fen(t.repaymentFen),
  });
  const value = {
    day: report.day,
    balanced: report.balanced,
    booksRows: report.booksRows,
    chainFlows: report.chainFlows,
    matched: report.matched,
    totals: { books: totals(report.totals.books), chain: totals(report.totals.chain) },
    missingOnChain: report.missingOnChain.map((m) => ({
      row: m.row,
      serial: m.serial,
      serialKey: m.serialKey,
      loanId: m.loanId,
      type: m.type,
      amountFen: fen(m.amountFen),
    })),
    missingInBooks: report.missingInBooks.map((m) => ({
      serial: m.serial,
      serialKey: m.serialKey,
      loanId: m.loanId,
      type: m.type,
      amountFen: fen(m.amountFen),
    })),
    amountMismatch: report.amountMismatch.map((m) => ({
      row: m.row,
      serial: m.serial,
      serialKey: m.serialKey,
      loanId: m.loanId,
      books: fen(m.books),
      chain: fen(m.chain),
    })),
    typeMismatch: report.typeMismatch.map((m) => ({
      row: m.row,
      serial: m.serial,
      serialKey: m.serialKey,
      loanId: m.loanId,
      books: m.books,
      chain: m.chain,
    })),
    loanMismatch: report.loanMismatch.map((m) => ({
      row: m.row,
      serial: m.serial,
      serialKey: m.serialKey,
      books: m.books,
      chain: m.chain,
    })),
    errors: report.errors.map((e) => ({
      row: e.row,
      serial: e.serial,
      code: e.code,
      message: e.message,
      onChain: e.onChain,
    })),
  };
  return `${JSON.stringify(value, null, 2)}\n`;
}

export const REPORT_CSV_COLUMNS = [
  "day",
  "kind",
  "row",
  "serial",
  "serial_key",
  "books_loan_id",
  "chain_loan_id",
  "books_type",
  "chain_type",
  "books_amount",
  "chain_amount",
  "code",
  "message",
] as const;

/**
 * Every discrepancy, one per line, for the people who clear them: error rows, then missing on
 * chain, missing in books, amount, type and loan mismatches. Amounts in yuan with two decimals.
 * A balanced day is the header alone. A serial is the uploader's free text: a formula-like cell
 * is written as text (./safe-csv.ts).
 */
export function toCsv(report: ReconcileReport): string {
  type Line = Partial<Record<(typeof REPORT_CSV_COLUMNS)[number], string | number>>;
  const lines: Line[] = [];
  for (const e of report.errors) {
    lines.push({
      kind: "error",
      row: e.row,
      serial: e.serial,
      serial_key: serialProblem(e.serial) === undefined ? serialKey(e.serial) : "",
      code: e.code,
      message: e.onChain ? `${e.message} (the serial is on chain)` : e.message,
    });
  }
  for (const m of report.missingOnChain) {
    lines.push({
      kind: "missing_on_chain",
      row: m.row,
      serial: m.serial,
      serial_key: m.serialKey,
      books_loan_id: m.loanId,
      books_type: m.type,
      books_amount: formatYuan(m.amountFen),
    });
  }
  for (const m of report.missingInBooks) {
    lines.push({
      kind: "missing_in_books",
      serial: m.serial,
      serial_key: m.serialKey,
      chain_loan_id: m.loanId,
      chain_type: m.type,
      chain_amount: formatYuan(m.amountFen),
    });
  }
  for (const m of report.amountMismatch) {
    lines.push({
      kind: "amount_mismatch",
      row: m.row,
      serial: m.serial,
      serial_key: m.serialKey,
      books_loan_id: m.loanId,
      books_amount: formatYuan(m.books),
      chain_amount: formatYuan(m.chain),
    });
  }
  for (const m of report.typeMismatch) {
    lines.push({
      kind: "type_mismatch",
      row: m.row,
      serial: m.serial,
      serial_key: m.serialKey,
      books_loan_id: m.loanId,
      books_type: m.books,
      chain_type: m.chain,
    });
  }
  for (const m of report.loanMismatch) {
    lines.push({
      kind: "loan_mismatch",
      row: m.row,
      serial: m.serial,
      serial_key: m.serialKey,
      books_loan_id: m.books,
      chain_loan_id: m.chain,
    });
  }
  return formatSafeCsv([
    REPORT_CSV_COLUMNS,
    ...lines.map((l) => REPORT_CSV_COLUMNS.map((c) => (c === "day" ? report.day : String(l[c] ?? "")))),
  ]);
}

export type RenderedReconciliation = { json: string; csv: string };

/** reconcileDay, rendered both ways (reportToJson, toCsv): what the API answers. */
export function renderReconciliation(
  day: string,
  booksCsv: string,
  chain: readonly ChainFlow[],
): RenderedReconciliation {
  const report = reconcileDay(day, booksCsv, chain);
  return { json: reportToJson(report), csv: toCsv(report) };
}
