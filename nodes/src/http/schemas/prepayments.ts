// Partial prepayment (提前部分还款): the quote, the request, and what was sent.
import { z } from "zod";
import { PREPAYMENT_MODES } from "../../prepayment.ts";
import { fenString, hex32, OutboxEntry } from "./common.ts";

const positiveFen = z.string().regex(/^[1-9][0-9]{0,19}$/, "integer fen as a decimal string, at least 1");
const fen = z.string().regex(/^(0|[1-9][0-9]{0,19})$/, "integer fen as a decimal string");
const mode = z
  .enum(PREPAYMENT_MODES)
  .describe(
    "shorten-term: the same installments, ending sooner (缩短期限); lower-installments: the same term, lower installments (减少月供)",
  );

export const PrepaymentQuoteQuery = z.strictObject({
  amount: positiveFen.describe("the principal to prepay, in fen"),
  mode,
  fee: fen
    .optional()
    .describe("the prepayment fee in fen (default 0); at most what the all-in cap allows today"),
});

export const PrepaymentBody = z.strictObject({
  serial: z.string().min(1).max(64),
  amountFen: positiveFen.describe("the principal to prepay"),
  mode,
  feeFen: fen.optional(),
  receivedFen: positiveFen
    .optional()
    .describe(
      "what the borrower paid: refused (409 NODE_ERR_PREPAYMENT_MISMATCH) unless it is the quote's total",
    ),
});

export const QuotedInstallment = z.object({
  installment: z.int(),
  dueDay: z.int(),
  dueDate: z.string(),
  principalFen: fenString,
  interestFen: fenString,
  totalFen: fenString,
});
export const PrepaymentQuote = z.object({
  loanId: hex32,
  day: z.int(),
  date: z.string(),
  mode,
  principalFen: fenString.describe("comes off the principal still open"),
  principalPaidFen: fenString.describe(
    "what of it the borrower pays (less only where the all-in cap forgives part)",
  ),
  interestFen: fenString.describe("interest accrued to the day on the principal prepaid"),
  feeFen: fenString,
  maxFeeFen: fenString.describe("the largest prepayment fee the all-in cap allows today"),
  totalFen: fenString.describe("what the borrower pays today"),
  schedule: z
    .array(QuotedInstallment)
    .describe("the schedule from the installment in progress on, as it will stand"),
});
export const PrepaymentRecorded = z.object({
  serial: z.string(),
  voucher: hex32,
  outbox: OutboxEntry,
  quote: PrepaymentQuote.optional(),
});
