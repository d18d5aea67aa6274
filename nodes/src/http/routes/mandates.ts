// Mandates: the branch lets another member's operations account service one of its loans.
import { ADMIN, STAFF, roomRoutes } from "../route.ts";
import { loanParams } from "../schemas/common.ts";
import { GrantMandateBody, Mandate, MandateParams, MandateWrite } from "../schemas/mandates.ts";

export const mandateRoutes = roomRoutes("mandates", (routes, mandates) => {
  routes.get(
    "/v1/loans/:loanId/mandates/:agent",
    {
      summary:
        "The mandate an account holds for a loan, as the ledger states it (none: branch and expiresAt null)",
      params: MandateParams,
      reply: Mandate,
      errors: [503],
      roles: STAFF,
    },
    async ({ params }) => mandates.view(params.loanId, params.agent),
  );
  routes.post(
    "/v1/loans/:loanId/mandates",
    {
      summary:
        "Let another member's operations account service one of this branch's loans (cancel, repay, settle) until expiresAt: grantMandate through the outbox, awaited",
      params: loanParams,
      body: GrantMandateBody,
      reply: MandateWrite,
      errors: [409, 422, 503, 504],
      roles: ADMIN,
    },
    async ({ params, body }) => mandates.grant(params.loanId, body.agent, body.expiresAt),
  );
  routes.delete(
    "/v1/loans/:loanId/mandates/:agent",
    {
      summary:
        "Revoke an account's mandate for one of this branch's loans: revokeMandate through the outbox, awaited",
      params: MandateParams,
      reply: MandateWrite,
      errors: [409, 503, 504],
      roles: ADMIN,
    },
    async ({ params }) => mandates.revoke(params.loanId, params.agent),
  );
});
