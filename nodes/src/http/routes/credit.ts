// Consent and credit queries: the borrower's authorization letter, then the bureau query it allows.
import { APPROVERS, STAFF } from "../auth.ts";
import type { RouteFile } from "../deps.ts";
import {
  ConsentRecorded,
  CreditQueryBody,
  CreditQueryResult,
  RecordConsentBody,
} from "../schemas/applications.ts";
import { fenJson, tokenErrors } from "../schemas/common.ts";

export const creditRoutes: RouteFile = (api, deps) => {
  api.post("/v1/consents", {
    schema: {
      summary:
        "Store the borrower's signed authorization letter (encrypted) and anchor it as consent evidence",
      body: RecordConsentBody,
      response: { 200: ConsentRecorded, ...tokenErrors(409, 503) },
    },
    config: { roles: STAFF },
    handler: async (request) =>
      fenJson(ConsentRecorded, await deps.ops.credit.recordConsent(request.actor, request.body)),
  });
  api.post("/v1/credit-queries", {
    schema: {
      summary:
        "Query the credit bureau for an application's borrower (needs an anchored consent); the query is anchored as evidence",
      body: CreditQueryBody,
      response: { 200: CreditQueryResult, ...tokenErrors(409, 503) },
    },
    config: { roles: APPROVERS },
    handler: async (request) =>
      fenJson(CreditQueryResult, await deps.ops.credit.query(request.actor, request.body)),
  });
};
