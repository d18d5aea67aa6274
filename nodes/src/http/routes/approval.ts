// Approval: the branch registers the loan (a joint loan with its platform's signed agreement).
import { BRANCH } from "../../members.ts";
import { APPROVERS } from "../auth.ts";
import type { RouteFile } from "../deps.ts";
import { ApproveLoanBody, LoanAgreement, LoanAgreementBody, LoanApproved } from "../schemas/approval.ts";
import { fenJson, signedErrors, tokenErrors } from "../schemas/common.ts";

export const approvalRoutes: RouteFile = (api, deps) => {
  api.post("/v1/loans", {
    schema: {
      summary:
        "Approve an application: anchor the signed contract and register the loan on chain through the outbox",
      body: ApproveLoanBody,
      response: { 200: LoanApproved, ...tokenErrors(409, 422, 502, 503) },
    },
    config: { roles: APPROVERS },
    handler: async (request) =>
      fenJson(LoanApproved, await deps.ops.approval.approve(request.actor, request.body)),
  });
  api.post("/v1/loan-agreements", {
    schema: {
      summary:
        "A branch's node asks this platform's node to agree to a joint loan's exact terms (signed with the branch's chain key); answers the platform's EIP-712 agreement signature",
      body: LoanAgreementBody,
      response: { 200: LoanAgreement, ...signedErrors(409, 422, 503) },
    },
    config: { auth: "signed", signedKind: BRANCH },
    handler: async (request) => deps.ops.approval.agreeToLoan(request.signedHeaders!, request.body),
  });
};
