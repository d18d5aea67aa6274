// The union's credit-query service (征信查询系统单元): branches' nodes query the bureau through it.
import { BRANCH } from "../../members.ts";
import type { RouteFile } from "../deps.ts";
import { UnionCreditQueryAnswer, UnionCreditQueryBody } from "../schemas/credit-service.ts";
import { fenJson, signedErrors } from "../schemas/common.ts";

export const creditServiceRoutes: RouteFile = (api, deps) => {
  const service = deps.creditService;
  if (service === undefined) return; // the union's node only
  api.post("/v1/union/credit-queries", {
    schema: {
      summary: "A branch's node queries the credit bureau through the union's (signed with the branch's chain key; platforms and courts are refused): consent checked, one report per borrower per freshness window, every ask anchored",
      body: UnionCreditQueryBody,
      response: { 200: UnionCreditQueryAnswer, ...signedErrors(404, 502, 503, 504) },
    },
    config: { auth: "signed", signedKind: BRANCH },
    handler: async (request) => {
      const headers = request.signedHeaders!;
      return fenJson(UnionCreditQueryAnswer, await service.serve(headers.memberId, request.body, () => deps.ops.requests.verify(headers, BRANCH)));
    },
  });
};
