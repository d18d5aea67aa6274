// Credit decisions (授信决策): the engine's decision for an application, the manual-review queue
// and its answers (maker-checker above the policy's threshold), the records, the policy.
import { ADMIN, APPROVERS, STAFF, roomRoutes } from "../route.ts";
import {
  DecisionParams,
  DecisionRecordReply,
  DecisionRun,
  PolicyReply,
  PutPolicyBody,
  ReviewAnswer,
  ReviewBody,
  ReviewParams,
  ReviewQueueReply,
  RunDecisionBody,
} from "../schemas/decisions.ts";

export const decisionRoutes = roomRoutes("decisions", (routes, decisions) => {
  routes.post(
    "/v1/decisions",
    {
      summary:
        "Run the credit decision for an application under the policy in force (needs a fresh credit query); recorded and anchored; a referral joins the review queue",
      body: RunDecisionBody,
      reply: DecisionRun,
      errors: [409, 503],
      roles: APPROVERS,
    },
    async ({ actor, body }) =>
      decisions.run(actor, {
        applicationId: body.applicationId,
        monthlyIncomeFen: BigInt(body.monthlyIncomeFen),
      }),
  );
  routes.get(
    "/v1/decisions/queue",
    { summary: "The referred applications waiting for an approver", reply: ReviewQueueReply, roles: STAFF },
    async () => ({ waiting: await decisions.queue() }),
  );
  routes.post(
    "/v1/decisions/queue/:applicationId",
    {
      summary:
        "An approver's answer to a referred application: decline, or approve (above the policy's threshold, a second different approver completes it)",
      params: ReviewParams,
      body: ReviewBody,
      reply: ReviewAnswer,
      errors: [409, 503],
      roles: APPROVERS,
    },
    async ({ actor, params, body }) => decisions.review(actor, params.applicationId, body),
  );
  routes.get(
    "/v1/decisions/:decisionId",
    {
      summary: "One decision record (a decline with its notice to the borrower)",
      params: DecisionParams,
      reply: DecisionRecordReply,
      roles: STAFF,
    },
    async ({ params }) => decisions.get(params.decisionId),
  );
  routes.get(
    "/v1/credit-policy",
    {
      summary: "The credit policy in force and its anchoring",
      reply: PolicyReply,
      errors: [503],
      roles: STAFF,
    },
    async () => decisions.policy(),
  );
  routes.put(
    "/v1/credit-policy",
    {
      summary: "Replace the credit policy with its next version (validated, anchored before it is in force)",
      body: PutPolicyBody,
      reply: PolicyReply,
      errors: [409, 422, 503],
      roles: ADMIN,
    },
    async ({ actor, body }) => decisions.replacePolicy(actor, body),
  );
});
