// Partial prepayment of an active loan: the chain's quote, and the prepayment through the outbox.
import { STAFF } from "../auth.ts";
import type { RouteFile } from "../deps.ts";
import { fenJson, loanParams, tokenErrors } from "../schemas/common.ts";
import {
  PrepaymentBody,
  PrepaymentQuote,
  PrepaymentQuoteQuery,
  PrepaymentRecorded,
} from "../schemas/prepayments.ts";

export const prepaymentRoutes: RouteFile = (api, deps) => {
  const prepayments = deps.prepayments;
  if (prepayments === undefined) return;
  api.get("/v1/loans/:loanId/prepayment-quote", {
    schema: {
      summary:
        "提前部分还款: what prepaying `amount` fen of principal in `mode` takes today (interest to the day, principal paid, fee, the largest fee the cap allows) and the schedule it leaves, as the ledger computes it (prepaymentOwed)",
      params: loanParams,
      querystring: PrepaymentQuoteQuery,
      response: { 200: PrepaymentQuote, ...tokenErrors(409, 422, 503) },
    },
    config: { roles: STAFF },
    handler: async (request) => {
      const { amount, mode, fee } = request.query;
      return fenJson(
        PrepaymentQuote,
        await prepayments.quote(request.params.loanId, {
          principalFen: BigInt(amount),
          mode,
          ...(fee === undefined ? {} : { feeFen: BigInt(fee) }),
        }),
      );
    },
  });
  api.post("/v1/loans/:loanId/prepayments", {
    schema: {
      summary:
        "Prepay part of an active loan's principal, shortening the term or lowering the installments: today's quote (received amount, if stated, must match: 409 NODE_ERR_PREPAYMENT_MISMATCH), voucher anchored, `prepay` through the outbox once by serial; the new schedule shows in the loan's output",
      params: loanParams,
      body: PrepaymentBody,
      response: { 200: PrepaymentRecorded, ...tokenErrors(409, 422, 503) },
    },
    config: { roles: STAFF },
    handler: async (request) => {
      const b = request.body;
      return fenJson(
        PrepaymentRecorded,
        await prepayments.prepay(request.actor.userId, request.params.loanId, {
          serial: b.serial,
          principalFen: BigInt(b.amountFen),
          mode: b.mode,
          ...(b.feeFen === undefined ? {} : { feeFen: BigInt(b.feeFen) }),
          ...(b.receivedFen === undefined ? {} : { receivedFen: BigInt(b.receivedFen) }),
        }),
      );
    },
  });
};
