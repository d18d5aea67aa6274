// Partial prepayment of an active loan: the chain's quote, and the prepayment through the outbox.
import { STAFF, roomRoutes } from "../route.ts";
import { loanParams } from "../schemas/common.ts";
import {
  PrepaymentBody,
  PrepaymentQuote,
  PrepaymentQuoteQuery,
  PrepaymentRecorded,
} from "../schemas/prepayments.ts";

/** Both prepayment routes: on one loan, for staff, with the same refusals. */
const PREPAYMENT = { params: loanParams, errors: [409, 422, 503], roles: STAFF } as const;

export const prepaymentRoutes = roomRoutes("prepayments", (routes, prepayments) => {
  routes.get(
    "/v1/loans/:loanId/prepayment-quote",
    {
      summary:
        "提前部分还款: what prepaying `amount` fen of principal in `mode` takes today (interest to the day, principal paid, fee, the largest fee the cap allows) and the schedule it leaves, as the ledger computes it (prepaymentOwed)",
      ...PREPAYMENT,
      querystring: PrepaymentQuoteQuery,
      reply: PrepaymentQuote,
    },
    async ({ params, query }) =>
      prepayments.quote(params.loanId, {
        principalFen: BigInt(query.amount),
        mode: query.mode,
        ...(query.fee === undefined ? {} : { feeFen: BigInt(query.fee) }),
      }),
  );
  routes.post(
    "/v1/loans/:loanId/prepayments",
    {
      summary:
        "Prepay part of an active loan's principal, shortening the term or lowering the installments: today's quote (received amount, if stated, must match: 409 NODE_ERR_PREPAYMENT_MISMATCH), voucher anchored, `prepay` through the outbox once by serial; the new schedule shows in the loan's output",
      ...PREPAYMENT,
      body: PrepaymentBody,
      reply: PrepaymentRecorded,
    },
    async ({ actor, params, body }) =>
      prepayments.prepay(actor.userId, params.loanId, {
        serial: body.serial,
        principalFen: BigInt(body.amountFen),
        mode: body.mode,
        ...(body.feeFen === undefined ? {} : { feeFen: BigInt(body.feeFen) }),
        ...(body.receivedFen === undefined ? {} : { receivedFen: BigInt(body.receivedFen) }),
      }),
  );
});
