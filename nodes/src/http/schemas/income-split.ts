// A joint loan's agreed income split: the shares a funder proposes or accepts, the split in force
// as the ledger states it, and the platform's signature between nodes.
import { z } from "zod";
import { hex32, OutboxEntry } from "./common.ts";

const bps = z.int().min(0).max(10_000);

export const IncomeSplitBody = z.strictObject({
  shares: z
    .array(z.strictObject({ memberId: z.int().min(1).max(0xffff_ffff), incomeShareBps: bps }))
    .min(1)
    .max(8)
    .describe(
      "each funder's share of the loan's income (interest and penalty) in bps: the loan's two funders, once each, summing to 10,000",
    ),
});

export const FunderShares = z.object({
  memberId: z.int(),
  fundingShareBps: z.int(),
  incomeShareBps: z.int(),
});
export const IncomeSplitView = z.object({
  loanId: hex32,
  agreed: z.boolean().describe("false: income splits by funding share"),
  shares: z.array(FunderShares),
});

export const IncomeSplitAgreed = z.object({
  loanId: hex32,
  platformIncomeShareBps: z.int(),
  incomeSplit: IncomeSplitView,
  serial: z.string().optional().describe("at the branch's node: the agreeIncomeSplit outbox serial"),
  outbox: OutboxEntry.optional(),
  accepted: z
    .looseObject({ platformIncomeShareBps: z.int(), acceptedBy: z.string(), acceptedAt: z.string() })
    .optional()
    .describe("at the platform's node: its admin's acceptance, signed when the branch's node asks"),
});

export const IncomeSplitSignBody = z.strictObject({ loanId: hex32, platformIncomeShareBps: bps });
export const IncomeSplitSignature = z.object({
  platformSignature: z
    .string()
    .describe("the platform's EIP-712 IncomeSplit signature (common/lending/agreement.ts)"),
});
