// Fund flows: disbursements, repayments, early settlement and cancellation of one loan.
import { APPROVERS, STAFF, routeFile } from "../route.ts";
import { loanParams } from "../schemas/common.ts";
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

/** The money a voucher records as the flows room takes it: its serial, and the amount in fen as a bigint. */
const received = (body: { serial: string; amountFen: string }) => ({
  serial: body.serial,
  amountFen: BigInt(body.amountFen),
});

export const fundFlowRoutes = routeFile((routes, deps) => {
  const flows = deps.ops.flows;
  routes.post(
    "/v1/loans/:loanId/disbursements",
    {
      summary:
        "Record this member's disbursement (its exact share, from its own whitelisted settlement account, into the loan's bound receiving account): voucher anchored, written through the outbox",
      params: loanParams,
      body: DisbursementBody,
      reply: DisbursementRecorded,
      errors: [409, 422, 503],
      roles: STAFF,
    },
    async ({ actor, params, body }) =>
      flows.record(actor, params.loanId, {
        type: "disbursement",
        ...received(body),
        accountHash: body.accountHash,
        ...(body.toAccount === undefined ? {} : { toAccount: body.toAccount }),
      }),
  );
  routes.post(
    "/v1/loans/:loanId/repayments",
    {
      summary: "Record a repayment received: voucher anchored, written through the outbox",
      params: loanParams,
      body: FlowBody,
      reply: FlowRecorded,
      errors: [409, 503],
      roles: STAFF,
    },
    async ({ actor, params, body }) =>
      flows.record(actor, params.loanId, { type: "repayment", ...received(body) }),
  );
  routes.get(
    "/v1/loans/:loanId/settlement",
    {
      summary:
        "提前结清: what settles an active loan in full today — installments due by today in full, the one in progress with its interest accrued to the day, the rest of the principal (the ledger's settlementOwed)",
      params: loanParams,
      reply: SettlementQuote,
      errors: [409, 503],
      roles: STAFF,
    },
    async ({ actor, params }) => flows.settlementQuote(actor, params.loanId),
  );
  routes.post(
    "/v1/loans/:loanId/settlements",
    {
      summary:
        "Settle an active loan early, in full: the amount received must be exactly what settles it today (else 409 NODE_ERR_SETTLEMENT_MISMATCH with the figure); voucher anchored, `settle` written through the outbox",
      params: loanParams,
      body: SettlementBody,
      reply: SettlementRecorded,
      errors: [409, 503],
      roles: STAFF,
    },
    async ({ actor, params, body }) => flows.settle(actor, params.loanId, received(body)),
  );
  routes.post(
    "/v1/loans/:loanId/cancellation",
    {
      summary:
        "Cancel a registered loan nobody has disbursed (the loan's branch or the union), through the outbox, awaited; a loan with money out: 409 NODE_ERR_LOAN_DISBURSED",
      params: loanParams,
      body: CancellationBody,
      reply: Cancelled,
      errors: [409, 503, 504],
      roles: APPROVERS,
    },
    async ({ actor, params, body }) => flows.cancel(actor, params.loanId, body.reasonCode),
  );
});
