// The indexed ledger (this node's copy of the shared ledger) and the outbox's entries.
import { z } from "zod";
import { day, fenString, hex32, memberIdQuery } from "./common.ts";
import { ReceivingView } from "./entrusted-payment.ts";
import { IncomeSplitView } from "./income-split.ts";
import { QuotedInstallment } from "./prepayments.ts";

export const LoansQuery = z.strictObject({
  state: z.enum(["Registered", "Active", "Settled", "Cancelled"]).optional(),
  branch: memberIdQuery.optional(),
  platform: memberIdQuery.optional(),
});

/** A loan as indexed (indexer/model.ts), amounts in fen as decimal strings. */
export const IndexedLoan = z
  .looseObject({
    loanId: z.string(),
    branch: z.int(),
    platform: z.int(),
    borrowerKey: z.string(),
    principalFen: fenString,
    state: z.string(),
    stage: z.string(),
    startDay: z.int(),
  })
  .describe("a loan as this node indexed it (indexer/model.ts)");
export const Loans = z.object({ loans: z.array(IndexedLoan) });
export const LoanDetail = IndexedLoan.extend({
  allInAprBps: z
    .number()
    .nullable()
    .describe("interest and every fee as an annual rate; null while the chain's schedule cannot be read"),
  outstandingFen: fenString.describe(
    "principal the ledger still holds against the borrower's and branch's limits (0 once settled or cancelled)",
  ),
  settlement: z
    .looseObject({ serial: z.string(), amountFen: fenString })
    .nullable()
    .optional()
    .describe("once settled: the repayment that settled it"),
  receiving: ReceivingView.optional().describe(
    "which account the loan pays (the borrower's own or an entrusted payee's), by its salted hash",
  ),
  incomeSplit: IncomeSplitView.omit({ loanId: true })
    .nullable()
    .optional()
    .describe(
      "each funder's funding and income share (not agreed: income by funding share); null while the chain cannot be read",
    ),
  schedule: z
    .array(QuotedInstallment)
    .nullable()
    .optional()
    .describe(
      "the schedule as the chain states it now (rewritten by a partial prepayment); null while the chain cannot be read",
    ),
  prepayments: z
    .array(z.looseObject({ serial: z.string(), mode: z.string(), principalFen: fenString }))
    .nullable()
    .optional()
    .describe("its partial prepayments (PrepaymentReceived)"),
});

export const FlowsQuery = z.strictObject({ day });
export const IndexedFlow = z
  .looseObject({
    type: z.enum(["disbursement", "repayment"]),
    serial: z.string(),
    loanId: z.string(),
    amountFen: fenString,
  })
  .describe("a fund flow as indexed (indexer/model.ts)");
export const Flows = z.object({ flows: z.array(IndexedFlow) });

export const ExposureParams = z.strictObject({ borrowerKey: hex32 });
export const Exposure = z.object({ borrowerKey: z.string(), outstandingFen: fenString });

export const IndexDigest = z.looseObject({
  digest: hex32,
  loans: z.int(),
  flows: z.int(),
  cursor: z.object({ blockNumber: z.int(), blockHash: z.string() }).nullable(),
  modelDigest: z.unknown(),
});

export const OutboxParams = z.strictObject({ serial: z.string().min(1).max(128) });
