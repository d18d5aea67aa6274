// Approval: the branch registers the loan (a joint loan with its platform's signed agreement).
import { BRANCH } from "../../members.ts";
import { APPROVERS, routeFile } from "../route.ts";
import { ApproveLoanBody, LoanAgreement, LoanAgreementBody, LoanApproved } from "../schemas/approval.ts";

export const approvalRoutes = routeFile((routes, deps) => {
  routes.post(
    "/v1/loans",
    {
      summary:
        "Approve an application: anchor the signed contract and register the loan on chain through the outbox",
      body: ApproveLoanBody,
      reply: LoanApproved,
      errors: [409, 422, 502, 503],
      roles: APPROVERS,
    },
    async ({ actor, body }) => deps.ops.approval.approve(actor, body),
  );
  routes.post(
    "/v1/loan-agreements",
    {
      summary:
        "A branch's node asks this platform's node to agree to a joint loan's exact terms (signed with the branch's chain key); answers the platform's EIP-712 agreement signature",
      body: LoanAgreementBody,
      reply: LoanAgreement,
      errors: [409, 422, 503],
      auth: "signed",
      signedKind: BRANCH,
    },
    async (request) => deps.ops.approval.agreeToLoan(request.signedHeaders!, request.body),
  );
});
