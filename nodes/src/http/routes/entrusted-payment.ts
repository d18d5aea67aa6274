// Which account a loan's money goes to (受托支付 or the borrower's own), by its salted hash.
import { STAFF } from "../auth.ts";
import type { RouteFile } from "../deps.ts";
import { loanParams, tokenErrors } from "../schemas/common.ts";
import { ReceivingAccount } from "../schemas/entrusted-payment.ts";

export const entrustedPaymentRoutes: RouteFile = (api, deps) => {
  const receiving = deps.receiving;
  if (receiving === undefined) return;
  api.get("/v1/loans/:loanId/receiving-account", {
    schema: {
      summary:
        "The account a loan this node approved or agreed to pays: the borrower's own or an entrusted payee's (受托支付), as the salted hash bound on chain; never the account number",
      params: loanParams,
      response: { 200: ReceivingAccount, ...tokenErrors() },
    },
    config: { roles: STAFF },
    handler: async (request) => ({
      loanId: request.params.loanId.toLowerCase(),
      ...(await receiving.view(request.params.loanId)),
    }),
  });
};
