// The union's credit-query service: a branch's signed request and the union's answer.
import { z } from "zod";
import {
  OBJECTION_OUTCOMES,
  ObjectionAnswerSchema,
  ObjectionIdSchema,
  ObjectionToUnionSchema,
} from "../../credit-service/objections.ts";
import { UnionCreditRequestSchema } from "../../credit-service/union-credit.ts";

export const UnionCreditQueryBody = UnionCreditRequestSchema;

export const UnionCreditQueryAnswer = z.object({
  reportBase64: z
    .string()
    .describe("the report as the bureau sent it, for the branch's encrypted document store"),
  report: z.looseObject({}).describe("the report's figures (fen as decimal strings)"),
  reportDigest: z.string(),
  channel: z
    .enum(["primary", "fallback"])
    .describe("the bureau channel that produced the report (备用查询通道: fallback)"),
  cached: z
    .boolean()
    .describe(
      "the union already held this borrower's report within its freshness window: no new bureau query",
    ),
  queriedAt: z.string(),
  unionQueryLeafHash: z.string().describe("the union's anchored log of this ask"),
  unionQuerySequence: z.int(),
});

// ---- credit objections (征信异议) ----

export const FileObjectionBody = z.strictObject({
  applicationId: z.string().regex(/^app_[0-9a-f]{24}$/),
  queryLeafHash: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/)
    .describe("the anchored credit query (this node's queryLeafHash) the borrower disputes"),
  entry: z.string().min(1).max(200).describe("which entry of the report is disputed, or the query itself"),
  reason: z
    .string()
    .min(1)
    .max(4000)
    .describe("the borrower's objection as written (kept encrypted; its digest anchored)"),
});
export const ObjectionsQuery = z.strictObject({
  applicationId: z
    .string()
    .regex(/^app_[0-9a-f]{24}$/)
    .optional(),
});
export const ObjectionView = z.looseObject({ objectionId: z.string(), borrowerKey: z.string() });
export const ObjectionList = z.object({ objections: z.array(ObjectionView) });
export const ObjectionToUnionBody = ObjectionToUnionSchema;
export const ObjectionReceived = z.object({ objectionId: z.string(), receivedAt: z.string() });
export const ObjectionParams = z.strictObject({ objectionId: ObjectionIdSchema });
export const ObjectionForBranch = z.object({
  objectionId: z.string(),
  answer: ObjectionAnswerSchema.optional(),
});
export const AnswerObjectionBody = z.strictObject({
  outcome: z
    .enum(OBJECTION_OUTCOMES)
    .describe(
      "upheld: the entry is wrong (the union's cached report is dropped); rejected: the report stands",
    ),
  answer: z.string().min(1).max(4000),
});
