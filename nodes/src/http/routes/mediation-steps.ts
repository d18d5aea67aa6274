// Node-to-node: the union's keeper asks the loan's branch node, which holds the mediation case, to
// take a step on it (mediation/holder.ts). The case itself, the agreement and the borrower's
// answer are served to the branch's staff by the mediation routes in cases.ts.
import { UNION } from "../../members.ts";
import { answerKeeperStep } from "../../mediation/holder.ts";
import { nodeError } from "../../errors.ts";
import { routeFile } from "../route.ts";
import { loanParams } from "../schemas/common.ts";
import { KeeperStepAnswer, KeeperStepBody } from "../schemas/mediation-steps.ts";

export const mediationStepRoutes = routeFile((routes, { cases }) => {
  routes.post(
    "/v1/loans/:loanId/mediation/keeper-steps",
    {
      summary:
        "The union's keeper asks the loan's branch node for a step on the mediation case it holds: open it, or may arbitration follow (signed with the union's chain key)",
      params: loanParams,
      body: KeeperStepBody,
      reply: KeeperStepAnswer,
      errors: [503],
      auth: "signed",
      signedKind: UNION,
    },
    async (request) => {
      const mediation = cases.deps.mediation;
      if (mediation === undefined) throw nodeError("NODE_ERR_NOT_FOUND", "this node runs no mediation room");
      return answerKeeperStep(mediation, request.signedHeaders!, request.params.loanId, request.body.step);
    },
  );
});
