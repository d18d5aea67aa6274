// Mandates: the branch lets another member's operations account service one of its loans.
import { ADMIN, STAFF } from "../auth.ts";
import type { RouteFile } from "../deps.ts";
import { fenJson, loanParams, tokenErrors } from "../schemas/common.ts";
import { GrantMandateBody, Mandate, MandateParams, MandateWrite } from "../schemas/mandates.ts";

export const mandateRoutes: RouteFile = (api, deps) => {
  const mandates = deps.mandates;
  if (mandates === undefined) return;
  api.get("/v1/loans/:loanId/mandates/:agent", {
    schema: {
      summary:
        "The mandate an account holds for a loan, as the ledger states it (none: branch and expiresAt null)",
      params: MandateParams,
      response: { 200: Mandate, ...tokenErrors(503) },
    },
    config: { roles: STAFF },
    handler: async (request) => mandates.view(request.params.loanId, request.params.agent),
  });
  api.post("/v1/loans/:loanId/mandates", {
    schema: {
      summary:
        "Let another member's operations account service one of this branch's loans (cancel, repay, settle) until expiresAt: grantMandate through the outbox, awaited",
      params: loanParams,
      body: GrantMandateBody,
      response: { 200: MandateWrite, ...tokenErrors(409, 422, 503, 504) },
    },
    config: { roles: ADMIN },
    handler: async (request) =>
      fenJson(
        MandateWrite,
        await mandates.grant(request.params.loanId, request.body.agent, request.body.expiresAt),
      ),
  });
  api.delete("/v1/loans/:loanId/mandates/:agent", {
    schema: {
      summary:
        "Revoke an account's mandate for one of this branch's loans: revokeMandate through the outbox, awaited",
      params: MandateParams,
      response: { 200: MandateWrite, ...tokenErrors(409, 503, 504) },
    },
    config: { roles: ADMIN },
    handler: async (request) =>
      fenJson(MandateWrite, await mandates.revoke(request.params.loanId, request.params.agent)),
  });
};
