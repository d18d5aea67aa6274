// Fund flows: disbursement, repayment, early settlement, cancellation.
import { z } from "zod";
import { fenString, hex32, OutboxEntry } from "./common.ts";

export const FlowBody = z.strictObject({
  serial: z.string().min(1).max(64),
  amountFen: z.string().regex(/^[1-9][0-9]{0,18}$/, "integer fen as a decimal string"),
  accountHash: hex32.optional(),
});
export const DisbursementBody = FlowBody.required({ accountHash: true });
export const SettlementBody = FlowBody.omit({ accountHash: true });

export const FlowRecorded = z.looseObject({ serial: z.string(), voucher: hex32, outbox: OutboxEntry });

export const SettlementQuote = z.object({ loanId: hex32, day: z.int(), date: z.string(), penaltyFen: fenString, interestFen: fenString, principalFen: fenString, totalFen: fenString });
export const SettlementRecorded = z.object({ serial: z.string(), voucher: z.string(), outbox: z.unknown(), owed: SettlementQuote.optional() });

export const CancellationBody = z.strictObject({ reasonCode: z.int().min(0).max(0xffff) });
export const Cancelled = z.object({ loanId: z.string(), reasonCode: z.int(), cancelledBy: z.string(), serial: z.string(), outbox: z.unknown() });
