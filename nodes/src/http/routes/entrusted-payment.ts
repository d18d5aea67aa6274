// Which account a loan's money goes to (受托支付 or the borrower's own), by its salted hash.
import { STAFF, roomRoutes } from "../route.ts";
import { loanParams } from "../schemas/common.ts";
import { ReceivingAccount } from "../schemas/entrusted-payment.ts";

export const entrustedPaymentRoutes = roomRoutes("receiving", (routes, receiving) => {
  routes.get(
    "/v1/loans/:loanId/receiving-account",
    {
      summary:
        "The account a loan this node approved or agreed to pays: the borrower's own or an entrusted payee's (受托支付), as the salted hash bound on chain; never the account number",
      params: loanParams,
      reply: ReceivingAccount,
      roles: STAFF,
    },
    async ({ params }) => ({
      loanId: params.loanId.toLowerCase(),
      ...(await receiving.view(params.loanId)),
    }),
  );
});
