// Fund flows: disbursement, repayment, early settlement, cancellation.
import { z } from "zod";
import { fenString, hex32, OutboxEntry } from "./common.ts";
import { ReceivingView } from "./entrusted-payment.ts";

export const FlowBody = z.strictObject({
  serial: z.string().min(1).max(64),
  amountFen: z.string().regex(/^[1-9][0-9]{0,18}$/, "integer fen as a decimal string"),
  accountHash: hex32.optional(),
});
export const DisbursementBody = FlowBody.required({ accountHash: true }).extend({
  toAccount: z
    .string()
    .regex(/^\d{8,32}$/, "8-32 digits")
    .optional()
    .describe(
      "the account the payment instruction pays into: refused (422 NODE_ERR_RECEIVING_ACCOUNT_MISMATCH) unless it is the loan's receiving account bound on chain",
    ),
});
export const DisbursementRecorded = z.looseObject({
  serial: z.string(),
  voucher: hex32,
  outbox: OutboxEntry,
  paidTo: ReceivingView,
});
export const SettlementBody = FlowBody.omit({ accountHash: true });

export const FlowRecorded = z.looseObject({ serial: z.string(), voucher: hex32, outbox: OutboxEntry });

export const SettlementQuote = z.object({
  loanId: hex32,
  day: z.int(),
  date: z.string(),
  penaltyFen: fenString,
  interestFen: fenString,
  principalFen: fenString,
  totalFen: fenString,
});
export const SettlementRecorded = z.object({
  serial: z.string(),
  voucher: z.string(),
  outbox: z.unknown(),
  owed: SettlementQuote.optional(),
});

export const CancellationBody = z.strictObject({ reasonCode: z.int().min(0).max(0xffff) });
export const Cancelled = z.object({
  loanId: z.string(),
  reasonCode: z.int(),
  cancelledBy: z.string(),
  serial: z.string(),
  outbox: z.unknown(),
});
