// The union's credit-query service (征信查询系统单元): branches' nodes query the bureau through it;
// credit objections (征信异议): filed at the branch, sent to the union, answered by its admin.
import { BRANCH } from "../../members.ts";
import { ADMIN, STAFF } from "../auth.ts";
import type { RouteFile } from "../deps.ts";
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
import { fenJson, signedErrors, tokenErrors } from "../schemas/common.ts";

export const creditServiceRoutes: RouteFile = (api, deps) => {
  const service = deps.creditService; // the union's node only
  if (service !== undefined) {
    api.post("/v1/union/credit-queries", {
      schema: {
        summary:
          "A branch's node queries the credit bureau through the union's (signed with the branch's chain key; platforms and courts are refused): consent checked, one report per borrower per freshness window, every ask anchored",
        body: UnionCreditQueryBody,
        response: { 200: UnionCreditQueryAnswer, ...signedErrors(404, 502, 503, 504) },
      },
      config: { auth: "signed", signedKind: BRANCH },
      handler: async (request) => {
        const headers = request.signedHeaders!;
        return fenJson(
          UnionCreditQueryAnswer,
          await service.serve(headers.memberId, request.body, () =>
            deps.ops.requests.verify(headers, BRANCH),
          ),
        );
      },
    });
  }
  const unionObjections = deps.unionObjections;
  if (unionObjections !== undefined) {
    api.post("/v1/union/credit-objections", {
      schema: {
        summary:
          "A branch's node sends its borrower's credit objection (signed with the branch's chain key); accepted only for a report the union served that branch",
        body: ObjectionToUnionBody,
        response: { 200: ObjectionReceived, ...signedErrors(409) },
      },
      config: { auth: "signed", signedKind: BRANCH },
      handler: async (request) => {
        const headers = request.signedHeaders!;
        return unionObjections.receive(headers.memberId, request.body, () =>
          deps.ops.requests.verify(headers, BRANCH),
        );
      },
    });
    api.get("/v1/union/credit-objections/:objectionId", {
      schema: {
        summary: "The filing branch's node reads its objection's answer (signed with the branch's chain key)",
        params: ObjectionParams,
        response: { 200: ObjectionForBranch, ...signedErrors() },
      },
      config: { auth: "signed", signedKind: BRANCH },
      handler: async (request) => {
        const headers = request.signedHeaders!;
        return unionObjections.forBranch(headers.memberId, request.params.objectionId, () =>
          deps.ops.requests.verify(headers, BRANCH),
        );
      },
    });
    api.get("/v1/union/credit-objections", {
      schema: {
        summary: "The credit objections branches sent, the unanswered first, with their texts",
        response: { 200: ObjectionList, ...tokenErrors() },
      },
      config: { roles: ADMIN },
      handler: async (request) => ({ objections: await unionObjections.list(request.actor) }),
    });
    api.post("/v1/union/credit-objections/:objectionId/answer", {
      schema: {
        summary:
          "The union's admin answers a credit objection (anchored as evidence); upheld drops the union's cached report of the borrower",
        params: ObjectionParams,
        body: AnswerObjectionBody,
        response: { 200: ObjectionView, ...tokenErrors(409, 503) },
      },
      config: { roles: ADMIN },
      handler: async (request) =>
        unionObjections.answer(request.actor, request.params.objectionId, request.body),
    });
  }
  const objections = deps.branchObjections;
  if (objections !== undefined) {
    api.post("/v1/credit-objections", {
      schema: {
        summary:
          "Record the borrower's objection to one of this branch's credit queries or an entry of its report, send it to the union's node and anchor it",
        body: FileObjectionBody,
        response: { 200: ObjectionView, ...tokenErrors(502, 503) },
      },
      config: { roles: STAFF },
      handler: async (request) => objections.file(request.actor, request.body),
    });
    api.get("/v1/credit-objections", {
      schema: {
        summary:
          "This branch's credit objections (of one application), each unanswered one asked of the union's node first",
        querystring: ObjectionsQuery,
        response: { 200: ObjectionList, ...tokenErrors(502, 503) },
      },
      config: { roles: STAFF },
      handler: async (request) => ({
        objections: await objections.list(request.actor, request.query.applicationId),
      }),
    });
  }
};
