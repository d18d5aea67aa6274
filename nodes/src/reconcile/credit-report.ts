// 征信报送: the monthly credit-reporting export of the institution's loans. One fixed-column
// UTF-8 CSV (no BOM, CRLF) and a summary, both deterministic: rows sorted by loan id, so the same
// loans give the same bytes whatever order the indexer listed them in.
//
// The borrower is identified by the borrower key (the consortium's HMAC of the normalized ID
// number), never by an ID number: anything else in that column is refused. The bureau-side
// mapping from key to person is the union's credit-reporting system's job (征信报送系统单元).
//
// Status: N normal; 1–7 by days overdue in 30-day buckets (1–30 → 1, 31–60 → 2, …, 151–180 → 6,
// more than 180 → 7); C settled. Loans not yet disbursed (Registered) or Cancelled are not
// reported; the summary counts them.
import { LOAN_STATES } from "../../../common/chain/generated/enums.ts";
import { dayToDate } from "../../../common/lending/dates.ts";
import { formatYuan } from "../../../common/lending/money.ts";
import { ReconcileError, type ReconcileErrorDetail } from "./errors.ts";
import { formatSafeCsv } from "./safe-csv.ts";

/** JointLoanLedger.LoanState by name, except None (a report never holds an unregistered loan). */
export type LoanStateName = Exclude<(typeof LOAN_STATES)[number], "None">;

/** The chain's LoanState enum value → its name. */
export function loanStateName(state: number | bigint): LoanStateName {
  const name = LOAN_STATES[Number(state)];
  if (name === undefined || name === "None") {
    throw new ReconcileError("NODE_ERR_CREDIT_REPORT_INPUT", `not a loan state: ${String(state)}`, [
      { field: "state", message: "1..4" },
    ]);
  }
  return name;
}

export type CreditLoan = {
  loanId: string;
  /** HMAC-SHA256 borrower key, 0x and 64 hex digits. */
  borrowerKey: string;
  principalFen: bigint;
  /** Principal still owed. */
  outstandingFen: bigint;
  state: LoanStateName;
  /** Days past the earliest unpaid due date at the end of the month; 0 when none is late. */
  daysOverdue: number;
  /** Shanghai day number of the next due date; null (or absent) once settled. */
  nextDueDay?: number | null;
};

export const CREDIT_STATUSES = ["N", "1", "2", "3", "4", "5", "6", "7", "C"] as const;
export type CreditStatus = (typeof CREDIT_STATUSES)[number];

/** The file's columns in order: each one's header and its cell from a row. */
const COLUMNS: ReadonlyArray<readonly [string, (row: CreditReportRow) => string]> = [
  ["month", (r) => r.month],
  ["loan_id", (r) => r.loanId],
  ["borrower_key", (r) => r.borrowerKey],
  ["principal", (r) => formatYuan(r.principalFen)],
  ["balance", (r) => formatYuan(r.balanceFen)],
  ["status", (r) => r.status],
  ["days_overdue", (r) => String(r.daysOverdue)],
  ["next_due_date", (r) => r.nextDueDate ?? ""],
];

export const CREDIT_REPORT_COLUMNS: readonly string[] = COLUMNS.map(([header]) => header);

export type CreditReportRow = {
  month: string;
  loanId: string;
  borrowerKey: string;
  principalFen: bigint;
  balanceFen: bigint;
  status: CreditStatus;
  daysOverdue: number;
  nextDueDate: string | null;
};

export type CreditReportSummary = {
  month: string;
  reported: number;
  byStatus: Record<CreditStatus, number>;
  principalFen: bigint;
  balanceFen: bigint;
  /** Balance of loans with status 1–7. */
  overdueBalanceFen: bigint;
  /** Loans passed in but not reported. */
  excluded: { Registered: number; Cancelled: number };
};

export type CreditReport = {
  month: string;
  rows: CreditReportRow[];
  csv: string;
  summary: CreditReportSummary;
};

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** N for 0 days; 1..7 for 1–30, 31–60, …, 151–180, more than 180 days overdue. */
export function overdueStatus(daysOverdue: number): Exclude<CreditStatus, "C"> {
  if (!Number.isSafeInteger(daysOverdue) || daysOverdue < 0) {
    throw new ReconcileError(
      "NODE_ERR_CREDIT_REPORT_INPUT",
      `daysOverdue: a non-negative integer, got ${daysOverdue}`,
      [{ field: "daysOverdue", message: "a non-negative integer" }],
    );
  }
  if (daysOverdue === 0) return "N";
  return String(Math.min(7, Math.ceil(daysOverdue / 30))) as Exclude<CreditStatus, "C">;
}

function checkLoans(loans: readonly CreditLoan[]): void {
  const details: ReconcileErrorDetail[] = [];
  const seen = new Set<string>();
  loans.forEach((loan, index) => {
    const problem = (field: string, message: string): void => void details.push({ index, field, message });
    if (typeof loan.loanId !== "string" || !BYTES32.test(loan.loanId))
      return problem("loanId", "0x and 64 hex digits");
    const id = loan.loanId.toLowerCase();
    if (seen.has(id)) return problem("loanId", "the same loan twice");
    seen.add(id);
    // Only a key goes into the bureau file: an ID number, a name or a phone here is refused.
    if (typeof loan.borrowerKey !== "string" || !BYTES32.test(loan.borrowerKey))
      return problem("borrowerKey", "the HMAC borrower key, 0x and 64 hex digits");
    if (!(["Registered", "Active", "Settled", "Cancelled"] as const).includes(loan.state))
      return problem("state", "Registered, Active, Settled or Cancelled");
    if (typeof loan.principalFen !== "bigint" || loan.principalFen <= 0n)
      return problem("principalFen", "a bigint above zero");
    if (
      typeof loan.outstandingFen !== "bigint" ||
      loan.outstandingFen < 0n ||
      loan.outstandingFen > loan.principalFen
    ) {
      return problem("outstandingFen", "a bigint from 0 to the principal");
    }
    if (!Number.isSafeInteger(loan.daysOverdue) || loan.daysOverdue < 0)
      return problem("daysOverdue", "a non-negative integer");
    if (loan.state === "Settled" && (loan.outstandingFen !== 0n || loan.daysOverdue !== 0)) {
      return problem("state", "a settled loan owes nothing and is not overdue");
    }
    if (loan.state === "Active") {
      const due = loan.nextDueDay;
      if (typeof due !== "number" || !Number.isSafeInteger(due) || due < 0)
        return problem("nextDueDay", "the Shanghai day number of the next due date");
    }
  });
  if (details.length > 0) {
    const first = details[0]!;
    throw new ReconcileError(
      "NODE_ERR_CREDIT_REPORT_INPUT",
      `loan ${first.index}: ${first.field}: ${first.message}`,
      details,
    );
  }
}

/** The credit-reporting export of `month` ("YYYY-MM") for `loans`. Throws NODE_ERR_CREDIT_REPORT_INPUT. */
export function buildCreditReport(month: string, loans: readonly CreditLoan[]): CreditReport {
  if (!MONTH.test(month) || month < "0001-01") {
    throw new ReconcileError("NODE_ERR_CREDIT_REPORT_INPUT", `month: YYYY-MM, got ${JSON.stringify(month)}`, [
      { field: "month", message: "YYYY-MM" },
    ]);
  }
  checkLoans(loans);
  const summary: CreditReportSummary = {
    month,
    reported: 0,
    byStatus: Object.fromEntries(CREDIT_STATUSES.map((s) => [s, 0])) as Record<CreditStatus, number>,
    principalFen: 0n,
    balanceFen: 0n,
    overdueBalanceFen: 0n,
    excluded: { Registered: 0, Cancelled: 0 },
  };
  const rows: CreditReportRow[] = [];
  for (const loan of loans) {
    if (loan.state === "Registered" || loan.state === "Cancelled") {
      summary.excluded[loan.state] += 1;
      continue;
    }
    const settled = loan.state === "Settled";
    const status: CreditStatus = settled ? "C" : overdueStatus(loan.daysOverdue);
    rows.push({
      month,
      loanId: loan.loanId.toLowerCase(),
      borrowerKey: loan.borrowerKey.toLowerCase(),
      principalFen: loan.principalFen,
      balanceFen: loan.outstandingFen,
      status,
      daysOverdue: loan.daysOverdue,
      nextDueDate: settled ? null : dayToDate(loan.nextDueDay!),
    });
  }
  rows.sort((a, b) => (a.loanId < b.loanId ? -1 : a.loanId > b.loanId ? 1 : 0));
  for (const row of rows) {
    summary.reported += 1;
    summary.byStatus[row.status] += 1;
    summary.principalFen += row.principalFen;
    summary.balanceFen += row.balanceFen;
    if (row.status !== "N" && row.status !== "C") summary.overdueBalanceFen += row.balanceFen;
  }
  // every cell is the node's own (keys, amounts, dates), but every CSV the node writes goes through one writer
  const csv = formatSafeCsv([CREDIT_REPORT_COLUMNS, ...rows.map((r) => COLUMNS.map(([, cell]) => cell(r)))]);
  return { month, rows, csv, summary };
}

/** The summary as JSON with a fixed key order; amounts are fen as decimal strings. Ends with a newline. */
export function summaryToJson(summary: CreditReportSummary): string {
  const value = {
    month: summary.month,
    reported: summary.reported,
    byStatus: Object.fromEntries(CREDIT_STATUSES.map((s) => [s, summary.byStatus[s]])),
    principalFen: summary.principalFen.toString(),
    balanceFen: summary.balanceFen.toString(),
    overdueBalanceFen: summary.overdueBalanceFen.toString(),
    excluded: { Registered: summary.excluded.Registered, Cancelled: summary.excluded.Cancelled },
  };
  return `${JSON.stringify(value, null, 2)}\n`;
}
