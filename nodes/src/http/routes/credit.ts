// Consent and credit queries: the borrower's authorization letter, then the bureau query it allows.
import { APPROVERS, STAFF, routeFile } from "../route.ts";
import {
  ConsentRecorded,
  CreditQueryBody,
  CreditQueryResult,
  RecordConsentBody,
} from "../schemas/applications.ts";

export const creditRoutes = routeFile((routes, deps) => {
  routes.post(
    "/v1/consents",
    {
      summary:
        "Store the borrower's signed authorization letter (encrypted) and anchor it as consent evidence",
      body: RecordConsentBody,
      reply: ConsentRecorded,
      errors: [409, 503],
      roles: STAFF,
    },
    async ({ actor, body }) => deps.ops.credit.recordConsent(actor, body),
  );
  routes.post(
    "/v1/credit-queries",
    {
      summary:
        "Query the credit bureau for an application's borrower (needs an anchored consent); the query is anchored as evidence",
      body: CreditQueryBody,
      reply: CreditQueryResult,
      errors: [409, 503],
      roles: APPROVERS,
    },
    async ({ actor, body }) => deps.ops.credit.query(actor, body),
  );
});
