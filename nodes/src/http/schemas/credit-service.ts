// The union's credit-query service: a branch's signed request and the union's answer.
import { z } from "zod";
import { UnionCreditRequestSchema } from "../../credit-service/union-credit.ts";

export const UnionCreditQueryBody = UnionCreditRequestSchema;

export const UnionCreditQueryAnswer = z.object({
  reportBase64: z.string().describe("the report as the bureau sent it, for the branch's encrypted document store"),
  report: z.looseObject({}).describe("the report's figures (fen as decimal strings)"),
  reportDigest: z.string(),
  channel: z.enum(["primary", "fallback"]).describe("the bureau channel that produced the report (备用查询通道: fallback)"),
  cached: z.boolean().describe("the union already held this borrower's report within its freshness window: no new bureau query"),
  queriedAt: z.string(),
  unionQueryLeafHash: z.string().describe("the union's anchored log of this ask"),
  unionQuerySequence: z.int(),
});
