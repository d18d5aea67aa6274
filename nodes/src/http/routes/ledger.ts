// The indexed ledger: loans, fund flows, exposure, the index digest, and outbox entries.
import { ANY_USER, APPROVERS, STAFF } from "../auth.ts";
import type { RouteFile } from "../deps.ts";
import { fenJson, loanParams, OutboxEntry, tokenErrors } from "../schemas/common.ts";
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

export const ledgerRoutes: RouteFile = (api, deps) => {
  api.get("/v1/loans", {
    schema: {
      summary: "Loans from this node's index of the shared ledger",
      querystring: LoansQuery,
      response: { 200: Loans, ...tokenErrors() },
    },
    config: { roles: ANY_USER },
    handler: async (request) =>
      fenJson(Loans, { loans: await deps.ops.ledger.loans(request.actor, request.query) }),
  });
  api.get("/v1/loans/:loanId", {
    schema: {
      summary: "One loan from the index",
      params: loanParams,
      response: { 200: LoanDetail, ...tokenErrors() },
    },
    config: { roles: ANY_USER },
    handler: async (request) =>
      fenJson(LoanDetail, await deps.ops.ledger.loan(request.actor, request.params.loanId)),
  });
  api.get("/v1/flows", {
    schema: {
      summary: "Fund flows of one Asia/Shanghai day",
      querystring: FlowsQuery,
      response: { 200: Flows, ...tokenErrors() },
    },
    config: { roles: STAFF },
    handler: async (request) =>
      fenJson(Flows, { flows: await deps.ops.ledger.flowsByDay(request.actor, request.query.day) }),
  });
  api.get("/v1/exposure/:borrowerKey", {
    schema: {
      summary: "A borrower's consortium-wide outstanding principal, by borrower key",
      params: ExposureParams,
      response: { 200: Exposure, ...tokenErrors() },
    },
    config: { roles: APPROVERS },
    handler: async (request) =>
      fenJson(Exposure, await deps.ops.ledger.exposure(request.actor, request.params.borrowerKey)),
  });
  api.get("/v1/index/digest", {
    schema: {
      summary:
        "Digest of every indexed loan and fund flow (canonical order), their counts and the last indexed block: compare nodes with each other and with the chain",
      response: { 200: IndexDigest, ...tokenErrors() },
    },
    config: { roles: ANY_USER },
    handler: async (request) => fenJson(IndexDigest, await deps.ops.ledger.indexDigest(request.actor)),
  });
  api.get("/v1/outbox/:serial", {
    schema: {
      summary: "A chain write's state: queued, sent, confirmed or failed (with the contract's error)",
      params: OutboxParams,
      response: { 200: OutboxEntry, ...tokenErrors() },
    },
    config: { roles: STAFF },
    handler: async (request) =>
      fenJson(OutboxEntry, await deps.ops.ledger.outboxStatus(request.actor, request.params.serial)),
  });
};
