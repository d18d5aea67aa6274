// Batch files: a CSV of applications, one per row, under a header row (UTF-8, RFC 4180, BOM
// allowed). The whole file converts or nothing does: if any row fails, parseApplicationsCsv
// throws one NODE_ERR_CSV listing every failing row (row, column, the row's own code, message),
// and no application of the file is returned, so a resubmitted corrected file cannot double up
// with a half-accepted first attempt.
//
// Columns (header names exactly; order free; empty cell = not given):
//   application_id  borrower_name  id_type (RESIDENT_ID | PASSPORT | HK_MACAO_PERMIT | TAIWAN_PERMIT)
//   id_number  phone  region_code (optional for resident IDs)  bank_account
//   principal_yuan ("12000.50")  term_months | term_days  apr_percent ("18.25")
//   method (equal-installment | interest-first | bullet)  purpose
//   consent_signed_at (ISO 8601 with offset)  consent_digest (SHA-256 hex, 0x optional)
//   fee1_name fee1_yuan fee1_due … fee5_name fee5_yuan fee5_due (due: upfront | with-first-installment | monthly)
import { z } from "zod";
import { RepaymentMethod } from "../../../common/lending/schedule.ts";
import { type CanonicalApplication, type CanonicalFee, FEE_DUE } from "./canonical.ts";
import { ID_TYPES } from "./identity.ts";
import { applicationOf, codeOf, convertWith, defineChannel } from "./channel.ts";
import { ChannelError, type ChannelErrorDetail, fieldError } from "./errors.ts";
import { parseCsvTable } from "./csv.ts";
import {
  type ChannelContext,
  DECIMAL,
  borrowerOf,
  checkContext,
  consentOf,
  feeOf,
  isoInstant,
  percentToBps,
  positiveFen,
  termOf,
  textOf,
  yuanToFen,
  givenField,
} from "./fields.ts";

const ID = "csv-batch";
export const MAX_FEES = 5;
export const MAX_ROWS = 10_000;

const METHOD = {
  "equal-installment": RepaymentMethod.EqualInstallment,
  "interest-first": RepaymentMethod.InterestFirst,
  bullet: RepaymentMethod.Bullet,
} as const satisfies Record<string, RepaymentMethod>;

const cell = z.string();
const digits = z.string().regex(/^\d+$/, "digits only");
const decimal = z.string().regex(DECIMAL, 'a decimal number like "12000.50"');

const feeColumns: Record<string, z.ZodType> = {};
for (let n = 1; n <= MAX_FEES; n++) {
  feeColumns[`fee${n}_name`] = cell.optional();
  feeColumns[`fee${n}_yuan`] = decimal.optional();
  feeColumns[`fee${n}_due`] = z.enum(FEE_DUE).optional();
}

/** One row as an object: column → cell, empty cells left out. */
export const CsvApplicationRow = z.strictObject({
  application_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, _ or -"),
  borrower_name: cell,
  id_type: z.enum(ID_TYPES),
  id_number: cell,
  phone: cell,
  region_code: z
    .string()
    .regex(/^\d{6}$/, "six digits")
    .optional(),
  bank_account: cell,
  principal_yuan: decimal,
  term_months: digits.optional(),
  term_days: digits.optional(),
  apr_percent: cell,
  method: codeOf(METHOD),
  purpose: cell,
  consent_signed_at: cell,
  consent_digest: cell,
  ...feeColumns,
});
export type CsvApplicationRow = z.output<typeof CsvApplicationRow>;

const COLUMNS: ReadonlySet<string> = new Set(Object.keys(CsvApplicationRow.shape));
const REQUIRED = Object.entries(CsvApplicationRow.shape)
  .filter(([, schema]) => !(schema as z.ZodType).safeParse(undefined).success)
  .map(([name]) => name);

function feesOf(row: Record<string, unknown>): CanonicalFee[] {
  const fees: CanonicalFee[] = [];
  for (let n = 1; n <= MAX_FEES; n++) {
    const name = row[`fee${n}_name`] as string | undefined;
    const yuan = row[`fee${n}_yuan`] as string | undefined;
    const due = row[`fee${n}_due`] as CanonicalFee["due"] | undefined;
    if (name === undefined && yuan === undefined && due === undefined) continue;
    for (const [value, column] of [
      [name, `fee${n}_name`],
      [yuan, `fee${n}_yuan`],
      [due, `fee${n}_due`],
    ] as const) {
      if (value === undefined)
        fieldError("NODE_ERR_CHANNEL_VALIDATION", column, `required when fee ${n} is given`);
    }
    fees.push(...feeOf([name!, `fee${n}_name`], yuanToFen(yuan!, `fee${n}_yuan`), due!));
  }
  return fees;
}

/** The adapter for one row (object form); parseApplicationsCsv is the file-level entry. */
export const csvBatch = defineChannel({
  id: ID,
  description: "CSV batch file: one application per row under a header row, yuan amounts, ISO 8601 times",
  schema: CsvApplicationRow,
  toCanonical(row, context): CanonicalApplication {
    const method = METHOD[row.method];
    return applicationOf(ID, context, {
      applicationId: row.application_id,
      borrower: borrowerOf(row.id_type, {
        idNumber: givenField(row, "id_number"),
        name: givenField(row, "borrower_name"),
        phone: givenField(row, "phone"),
        region: givenField(row, "region_code"),
        account: givenField(row, "bank_account"),
      }),
      loan: {
        principalFen: positiveFen(yuanToFen(row.principal_yuan, "principal_yuan"), "principal_yuan"),
        ...termOf(
          method,
          row.term_months === undefined ? undefined : Number(row.term_months),
          row.term_days === undefined ? undefined : Number(row.term_days),
          { months: "term_months", days: "term_days" },
        ),
        aprBps: percentToBps(row.apr_percent, "apr_percent"),
        method,
        purpose: textOf(row.purpose, "purpose"),
        fees: feesOf(row),
      },
      consent: consentOf(
        [isoInstant(row.consent_signed_at, "consent_signed_at"), "consent_signed_at"],
        givenField(row, "consent_digest"),
        context,
      ),
    });
  },
});

/**
 * Every application of a batch file, in file order, or NODE_ERR_CSV: for a broken file (quotes,
 * header, field counts) with the first problem, for bad rows with one detail per problem of every
 * bad row ({ row, column, field, code, message }). All or nothing.
 */
export function parseApplicationsCsv(text: string, context: ChannelContext): CanonicalApplication[] {
  checkContext(context);
  const table = parseCsvTable(text, { required: REQUIRED, allowed: (name) => COLUMNS.has(name) });
  if (table.rows.length === 0) {
    throw new ChannelError("NODE_ERR_CSV", "the file has a header but no applications", [
      { row: 2, field: "(row)", message: "no data rows" },
    ]);
  }
  if (table.rows.length > MAX_ROWS) {
    throw new ChannelError(
      "NODE_ERR_CSV",
      `at most ${MAX_ROWS} applications per file, got ${table.rows.length}`,
      [{ row: table.rows[MAX_ROWS]!.row, field: "(row)", message: `more than ${MAX_ROWS} rows` }],
    );
  }
  const columnOf = (field: string): number | undefined => {
    const i = table.header.indexOf(field);
    return i < 0 ? undefined : i + 1;
  };
  const applications: CanonicalApplication[] = [];
  const errors: ChannelErrorDetail[] = [];
  const firstRowOf = new Map<string, number>();
  for (const { row, values } of table.rows) {
    const object: Record<string, string> = {};
    for (const [name, value] of values) if (value !== "") object[name] = value;
    try {
      const application = convertWith(csvBatch, object, context);
      const earlier = firstRowOf.get(application.applicationId);
      if (earlier !== undefined) {
        fieldError(
          "NODE_ERR_CHANNEL_VALIDATION",
          "application_id",
          `the same application_id is on row ${earlier}`,
        );
      }
      firstRowOf.set(application.applicationId, row);
      applications.push(application);
    } catch (e) {
      if (!(e instanceof ChannelError)) throw e;
      for (const d of e.details) {
        const column = columnOf(d.field);
        errors.push({
          row,
          ...(column === undefined ? {} : { column }),
          field: d.field,
          code: e.code,
          message: d.message,
        });
      }
    }
  }
  if (errors.length > 0) {
    const rows = [...new Set(errors.map((d) => d.row))];
    const first = errors[0]!;
    throw new ChannelError(
      "NODE_ERR_CSV",
      `${rows.length} of ${table.rows.length} rows have errors (rows ${rows.join(", ")}); nothing was imported. First: row ${first.row}, ${first.field}: ${first.message}`,
      errors,
    );
  }
  return applications;
}
