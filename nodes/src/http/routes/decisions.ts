// Credit decisions (授信决策): the engine's decision for an application, the manual-review queue
// and its answers (maker-checker above the policy's threshold), the records, the policy.
import { ADMIN, APPROVERS, STAFF } from "../auth.ts";
import type { RouteFile } from "../deps.ts";
import { fenJson, tokenErrors } from "../schemas/common.ts";
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

export const decisionRoutes: RouteFile = (api, deps) => {
  const decisions = deps.decisions;
  if (decisions === undefined) return; // optional room: its routes are not served
  api.post("/v1/decisions", {
    schema: {
      summary:
        "Run the credit decision for an application under the policy in force (needs a fresh credit query); recorded and anchored; a referral joins the review queue",
      body: RunDecisionBody,
      response: { 200: DecisionRun, ...tokenErrors(409, 503) },
    },
    config: { roles: APPROVERS },
    handler: async (request) =>
      fenJson(
        DecisionRun,
        await decisions.run(request.actor, {
          applicationId: request.body.applicationId,
          monthlyIncomeFen: BigInt(request.body.monthlyIncomeFen),
        }),
      ),
  });
  api.get("/v1/decisions/queue", {
    schema: {
      summary: "The referred applications waiting for an approver",
      response: { 200: ReviewQueueReply, ...tokenErrors() },
    },
    config: { roles: STAFF },
    handler: async () => ({ waiting: await decisions.queue() }),
  });
  api.post("/v1/decisions/queue/:applicationId", {
    schema: {
      summary:
        "An approver's answer to a referred application: decline, or approve (above the policy's threshold, a second different approver completes it)",
      params: ReviewParams,
      body: ReviewBody,
      response: { 200: ReviewAnswer, ...tokenErrors(409, 503) },
    },
    config: { roles: APPROVERS },
    handler: async (request) =>
      fenJson(
        ReviewAnswer,
        await decisions.review(request.actor, request.params.applicationId, request.body),
      ),
  });
  api.get("/v1/decisions/:decisionId", {
    schema: {
      summary: "One decision record (a decline with its notice to the borrower)",
      params: DecisionParams,
      response: { 200: DecisionRecordReply, ...tokenErrors() },
    },
    config: { roles: STAFF },
    handler: async (request) => fenJson(DecisionRecordReply, await decisions.get(request.params.decisionId)),
  });
  api.get("/v1/credit-policy", {
    schema: {
      summary: "The credit policy in force and its anchoring",
      response: { 200: PolicyReply, ...tokenErrors(503) },
    },
    config: { roles: STAFF },
    handler: async () => decisions.policy(),
  });
  api.put("/v1/credit-policy", {
    schema: {
      summary: "Replace the credit policy with its next version (validated, anchored before it is in force)",
      body: PutPolicyBody,
      response: { 200: PolicyReply, ...tokenErrors(409, 422, 503) },
    },
    config: { roles: ADMIN },
    handler: async (request) => decisions.replacePolicy(request.actor, request.body),
  });
};
