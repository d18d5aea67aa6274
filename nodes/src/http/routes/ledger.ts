// The indexed ledger: loans, fund flows, exposure, the index digest, and outbox entries.
import { ANY_USER, APPROVERS, STAFF, routeFile } from "../route.ts";
import { loanParams, OutboxEntry } from "../schemas/common.ts";
import {
  Exposure,
  ExposureParams,
  Flows,
  FlowsQuery,
  IndexDigest,
  LoanDetail,
  Loans,
  LoansQuery,
  OutboxParams,
} from "../schemas/ledger.ts";

export const ledgerRoutes = routeFile((routes, deps) => {
  routes.get(
    "/v1/loans",
    {
      summary: "Loans from this node's index of the shared ledger",
      querystring: LoansQuery,
      reply: Loans,
      roles: ANY_USER,
    },
    async ({ actor, query }) => ({ loans: await deps.ops.ledger.loans(actor, query) }),
  );
  routes.get(
    "/v1/loans/:loanId",
    { summary: "One loan from the index", params: loanParams, reply: LoanDetail, roles: ANY_USER },
    async ({ actor, params }) => deps.ops.ledger.loan(actor, params.loanId),
  );
  routes.get(
    "/v1/flows",
    { summary: "Fund flows of one Asia/Shanghai day", querystring: FlowsQuery, reply: Flows, roles: STAFF },
    async ({ actor, query }) => ({ flows: await deps.ops.ledger.flowsByDay(actor, query.day) }),
  );
  routes.get(
    "/v1/exposure/:borrowerKey",
    {
      summary: "A borrower's consortium-wide outstanding principal, by borrower key",
      params: ExposureParams,
      reply: Exposure,
      roles: APPROVERS,
    },
    async ({ actor, params }) => deps.ops.ledger.exposure(actor, params.borrowerKey),
  );
  routes.get(
    "/v1/index/digest",
    {
      summary:
        "Digest of every indexed loan and fund flow (canonical order), their counts and the last indexed block: compare nodes with each other and with the chain",
      reply: IndexDigest,
      roles: ANY_USER,
    },
    async ({ actor }) => deps.ops.ledger.indexDigest(actor),
  );
  routes.get(
    "/v1/outbox/:serial",
    {
      summary: "A chain write's state: queued, sent, confirmed or failed (with the contract's error)",
      params: OutboxParams,
      reply: OutboxEntry,
      roles: STAFF,
    },
    async ({ actor, params }) => deps.ops.ledger.outboxStatus(actor, params.serial),
  );
});
