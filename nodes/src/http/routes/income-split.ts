// A joint loan's agreed income split (联合贷收益约定): the branch proposes, the platform's node signs.
import { BRANCH } from "../../members.ts";
import { ANY_USER, APPROVERS, roomRoutes } from "../route.ts";
import { loanParams } from "../schemas/common.ts";
import {
  IncomeSplitAgreed,
  IncomeSplitBody,
  IncomeSplitSignature,
  IncomeSplitSignBody,
  IncomeSplitView,
} from "../schemas/income-split.ts";

export const incomeSplitRoutes = roomRoutes("incomeSplit", (routes, split) => {
  routes.get(
    "/v1/loans/:loanId/income-split",
    {
      summary:
        "A loan's income split as the ledger states it: each funder's funding and income share (not agreed: income splits by funding share)",
      params: loanParams,
      reply: IncomeSplitView,
      errors: [503],
      roles: ANY_USER,
    },
    async ({ params }) => split.view(params.loanId),
  );
  routes.put(
    "/v1/loans/:loanId/income-split",
    {
      summary:
        "Agree a joint loan's income split before any disbursement: at the loan's branch's node, the platform's node signs it and agreeIncomeSplit goes through the outbox (awaited); at the platform's node, its admin accepts it so the branch's request is signed. Not a funder: 403 NODE_ERR_NOT_FUNDER; shares that do not name both funders or sum to 10,000: 422 NODE_ERR_BAD_INCOME_SPLIT; money out: 409 NODE_ERR_LOAN_DISBURSED",
      params: loanParams,
      body: IncomeSplitBody,
      reply: IncomeSplitAgreed,
      errors: [409, 422, 502, 503, 504],
      roles: APPROVERS,
    },
    async ({ actor, params, body }) => split.agree(actor.userId, params.loanId, body.shares),
  );
  routes.post(
    "/v1/income-split-agreements",
    {
      summary:
        "The loan's branch's node asks this platform's node to sign an income split (signed with the branch's chain key): signed for a platform income share of at least its funding share, or the one its admin accepted",
      body: IncomeSplitSignBody,
      reply: IncomeSplitSignature,
      errors: [409, 422, 503],
      auth: "signed",
      signedKind: BRANCH,
    },
    async (request) => split.sign(request.signedHeaders!, request.body),
  );
});
