// Approval: the branch registers the loan (a joint loan with its platform's signed agreement).
import { AGREEMENTS_PER_REQUEST } from "../../approval.ts";
import { BRANCH } from "../../members.ts";
import { APPROVERS, routeFile } from "../route.ts";
import {
  ApproveLoanBody,
  LoanAgreement,
  LoanAgreementBody,
  LoanAgreements,
  LoanAgreementsBody,
  LoanApproved,
} from "../schemas/approval.ts";

/** A platform's agreement routes: signed by a branch's node; a refused loan answers 409, a bad one 422. */
const BY_A_BRANCH = { errors: [409, 422, 503], auth: "signed", signedKind: BRANCH } as const;

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
      ...BY_A_BRANCH,
    },
    async (request) => deps.ops.approval.agreeToLoan(request.signedHeaders!, request.body),
  );
  routes.post(
    "/v1/loan-agreements/batch",
    {
      summary: `As POST /v1/loan-agreements for up to ${AGREEMENTS_PER_REQUEST} joint loans in one signed request: every loan checked before any is signed; one refused refuses the request (its index and application named), nothing recorded`,
      body: LoanAgreementsBody,
      reply: LoanAgreements,
      ...BY_A_BRANCH,
    },
    async (request) => deps.ops.approval.agreeToLoans(request.signedHeaders!, request.body),
  );
});
