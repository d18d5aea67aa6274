// Credit decisions: running one, the review queue, a referral's answer, the record, the policy.
import { z } from "zod";
import { DECISION_REASONS } from "../../credit-decision/engine.ts";
import { fenString, hex32 } from "./common.ts";

const reason = z.enum(
  Object.keys(DECISION_REASONS) as [keyof typeof DECISION_REASONS, ...Array<keyof typeof DECISION_REASONS>],
);

export const RunDecisionBody = z.strictObject({
  applicationId: z.string().min(1).max(64),
  monthlyIncomeFen: fenString.describe(
    "the borrower's monthly income as the clerk verified it, in fen (0: could not be verified)",
  ),
});

export const ReviewParams = z.strictObject({ applicationId: z.string().min(1).max(64) });
export const DecisionParams = z.strictObject({ decisionId: hex32 });

export const ReviewBody = z.strictObject({
  outcome: z.enum(["approve", "decline"]),
  reasons: z
    .array(reason)
    .max(13)
    .optional()
    .describe("a decline's reasons the borrower is told (default MANUAL_DECLINE)"),
});

export const DecisionRecordReply = z
  .looseObject({
    decisionId: hex32,
    applicationId: z.string(),
    outcome: z.enum(["approve", "decline", "refer"]),
    reasons: z.array(z.string()),
    mode: z.enum(["automatic", "manual"]),
    decidedBy: z.array(z.string()),
    at: z.string(),
    policyVersion: z.number(),
    inputsDigest: hex32,
    anchor: z.looseObject({ leafHash: hex32, sequence: z.number() }),
  })
  .describe("a decision record (credit-decision/records.ts); a decline carries its notice to the borrower");

export const DecisionRun = z.looseObject({
  record: DecisionRecordReply,
  review: z.looseObject({ needsSecondApprover: z.boolean() }).optional(),
});
export const ReviewAnswer = z.looseObject({
  record: DecisionRecordReply.optional(),
  awaiting: z.looseObject({ approvedBy: z.array(z.string()) }).optional(),
});
export const ReviewQueueReply = z.looseObject({
  waiting: z.array(
    z.looseObject({ applicationId: z.string(), referral: hex32, needsSecondApprover: z.boolean() }),
  ),
});

export const PolicyReply = z
  .looseObject({
    policy: z.looseObject({ version: z.number() }),
    digest: hex32,
    anchor: z.looseObject({ leafHash: hex32, sequence: z.number() }),
  })
  .describe("the credit policy in force (credit-decision/policy.ts) and its anchoring");
export const PutPolicyBody = z
  .looseObject({})
  .describe(
    "the next version of the credit policy (credit-decision/policy.ts CreditPolicy; checked there: NODE_ERR_BAD_POLICY, NODE_ERR_POLICY_VERSION)",
  );
