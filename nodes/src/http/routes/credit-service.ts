// The union's credit-query service (征信查询系统单元): branches' nodes query the bureau through it;
// credit objections (征信异议): filed at the branch, sent to the union, answered by its admin.
import { BRANCH } from "../../members.ts";
import { ADMIN, STAFF, routeFile } from "../route.ts";
import {
  AnswerObjectionBody,
  FileObjectionBody,
  ObjectionForBranch,
  ObjectionList,
  ObjectionParams,
  ObjectionReceived,
  ObjectionToUnionBody,
  ObjectionView,
  ObjectionsQuery,
  UnionCreditQueryAnswer,
  UnionCreditQueryBody,
} from "../schemas/credit-service.ts";

export const creditServiceRoutes = routeFile((routes, deps) => {
  const service = deps.creditService; // the union's node only
  if (service !== undefined) {
    routes.post(
      "/v1/union/credit-queries",
      {
        summary:
          "A branch's node queries the credit bureau through the union's (signed with the branch's chain key; platforms and courts are refused): consent checked, one report per borrower per freshness window, every ask anchored",
        body: UnionCreditQueryBody,
        reply: UnionCreditQueryAnswer,
        errors: [404, 502, 503, 504],
        auth: "signed",
        signedKind: BRANCH,
      },
      async (request) => {
        const headers = request.signedHeaders!;
        return service.serve(headers.memberId, request.body, () => deps.ops.requests.verify(headers, BRANCH));
      },
    );
  }
  const unionObjections = deps.unionObjections;
  if (unionObjections !== undefined) {
    routes.post(
      "/v1/union/credit-objections",
      {
        summary:
          "A branch's node sends its borrower's credit objection (signed with the branch's chain key); accepted only for a report the union served that branch",
        body: ObjectionToUnionBody,
        reply: ObjectionReceived,
        errors: [409],
        auth: "signed",
        signedKind: BRANCH,
      },
      async (request) => {
        const headers = request.signedHeaders!;
        return unionObjections.receive(headers.memberId, request.body, () =>
          deps.ops.requests.verify(headers, BRANCH),
        );
      },
    );
    routes.get(
      "/v1/union/credit-objections/:objectionId",
      {
        summary: "The filing branch's node reads its objection's answer (signed with the branch's chain key)",
        params: ObjectionParams,
        reply: ObjectionForBranch,
        auth: "signed",
        signedKind: BRANCH,
      },
      async (request) => {
        const headers = request.signedHeaders!;
        return unionObjections.forBranch(headers.memberId, request.params.objectionId, () =>
          deps.ops.requests.verify(headers, BRANCH),
        );
      },
    );
    routes.get(
      "/v1/union/credit-objections",
      {
        summary: "The credit objections branches sent, the unanswered first, with their texts",
        reply: ObjectionList,
        roles: ADMIN,
      },
      async (request) => ({ objections: await unionObjections.list(request.actor) }),
    );
    routes.post(
      "/v1/union/credit-objections/:objectionId/answer",
      {
        summary:
          "The union's admin answers a credit objection (anchored as evidence); upheld drops the union's cached report of the borrower",
        params: ObjectionParams,
        body: AnswerObjectionBody,
        reply: ObjectionView,
        errors: [409, 503],
        roles: ADMIN,
      },
      async (request) => unionObjections.answer(request.actor, request.params.objectionId, request.body),
    );
  }
  const objections = deps.branchObjections;
  if (objections !== undefined) {
    routes.post(
      "/v1/credit-objections",
      {
        summary:
          "Record the borrower's objection to one of this branch's credit queries or an entry of its report, send it to the union's node and anchor it",
        body: FileObjectionBody,
        reply: ObjectionView,
        errors: [502, 503],
        roles: STAFF,
      },
      async (request) => objections.file(request.actor, request.body),
    );
    routes.get(
      "/v1/credit-objections",
      {
        summary:
          "This branch's credit objections (of one application), each unanswered one asked of the union's node first",
        querystring: ObjectionsQuery,
        reply: ObjectionList,
        errors: [502, 503],
        roles: STAFF,
      },
      async (request) => ({
        objections: await objections.list(request.actor, request.query.applicationId),
      }),
    );
  }
});
