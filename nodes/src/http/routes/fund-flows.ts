// Fund flows: disbursements, repayments, early settlement and cancellation of one loan.
import { APPROVERS, STAFF } from "../auth.ts";
import type { RouteFile } from "../deps.ts";
import { fenJson, loanParams, tokenErrors } from "../schemas/common.ts";
import {
  Cancelled,
  CancellationBody,
  DisbursementBody,
  DisbursementRecorded,
  FlowBody,
  FlowRecorded,
  SettlementBody,
  SettlementQuote,
  SettlementRecorded,
} from "../schemas/fund-flows.ts";

export const fundFlowRoutes: RouteFile = (api, deps) => {
  api.post("/v1/loans/:loanId/disbursements", {
    schema: {
      summary:
        "Record this member's disbursement (its exact share, from its own whitelisted settlement account, into the loan's bound receiving account): voucher anchored, written through the outbox",
      params: loanParams,
      body: DisbursementBody,
      response: { 200: DisbursementRecorded, ...tokenErrors(409, 422, 503) },
    },
    config: { roles: STAFF },
    handler: async (request) => {
      const { serial, amountFen, accountHash, toAccount } = request.body;
      return fenJson(
        DisbursementRecorded,
        await deps.ops.flows.record(request.actor, request.params.loanId, {
          type: "disbursement",
          serial,
          amountFen: BigInt(amountFen),
          accountHash,
          ...(toAccount === undefined ? {} : { toAccount }),
        }),
      );
    },
  });
  api.post("/v1/loans/:loanId/repayments", {
    schema: {
      summary: "Record a repayment received: voucher anchored, written through the outbox",
      params: loanParams,
      body: FlowBody,
      response: { 200: FlowRecorded, ...tokenErrors(409, 503) },
    },
    config: { roles: STAFF },
    handler: async (request) =>
      fenJson(
        FlowRecorded,
        await deps.ops.flows.record(request.actor, request.params.loanId, {
          type: "repayment",
          serial: request.body.serial,
          amountFen: BigInt(request.body.amountFen),
        }),
      ),
  });
  api.get("/v1/loans/:loanId/settlement", {
    schema: {
      summary:
        "提前结清: what settles an active loan in full today — installments due by today in full, the one in progress with its interest accrued to the day, the rest of the principal (the ledger's settlementOwed)",
      params: loanParams,
      response: { 200: SettlementQuote, ...tokenErrors(409, 503) },
    },
    config: { roles: STAFF },
    handler: async (request) =>
      fenJson(SettlementQuote, await deps.ops.flows.settlementQuote(request.actor, request.params.loanId)),
  });
  api.post("/v1/loans/:loanId/settlements", {
    schema: {
      summary:
        "Settle an active loan early, in full: the amount received must be exactly what settles it today (else 409 NODE_ERR_SETTLEMENT_MISMATCH with the figure); voucher anchored, `settle` written through the outbox",
      params: loanParams,
      body: SettlementBody,
      response: { 200: SettlementRecorded, ...tokenErrors(409, 503) },
    },
    config: { roles: STAFF },
    handler: async (request) =>
      fenJson(
        SettlementRecorded,
        await deps.ops.flows.settle(request.actor, request.params.loanId, {
          serial: request.body.serial,
          amountFen: BigInt(request.body.amountFen),
        }),
      ),
  });
  api.post("/v1/loans/:loanId/cancellation", {
    schema: {
      summary:
        "Cancel a registered loan nobody has disbursed (the loan's branch or the union), through the outbox, awaited; a loan with money out: 409 NODE_ERR_LOAN_DISBURSED",
      params: loanParams,
      body: CancellationBody,
      response: { 200: Cancelled, ...tokenErrors(409, 503, 504) },
    },
    config: { roles: APPROVERS },
    handler: async (request) =>
      fenJson(
        Cancelled,
        await deps.ops.flows.cancel(request.actor, request.params.loanId, request.body.reasonCode),
      ),
  });
};
