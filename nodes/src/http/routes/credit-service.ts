// The union's credit-query service (征信查询系统单元): branches' nodes query the bureau through it;
// credit objections (征信异议): filed at the branch, sent to the union, answered by its admin.
import type { FastifyRequest } from "fastify";
import { BRANCH } from "../../members.ts";
import type { NodeDeps } from "../deps.ts";
import { ADMIN, STAFF, roomRoutes, routeFiles } from "../route.ts";
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

/**
 * Runs a union operation for the branch whose node signed `request`: with the branch's member id,
 * and the check that spends the request's nonce, which the operation calls once its own checks hold.
 */
function byBranch<T>(
  deps: NodeDeps,
  request: FastifyRequest,
  operation: (branch: number, verify: () => Promise<unknown>) => T,
): T {
  const headers = request.signedHeaders!;
  return operation(headers.memberId, () => deps.ops.requests.verify(headers, BRANCH));
}

/** The bureau through the union (the union's node only). */
const unionQueryRoutes = roomRoutes("creditService", (routes, service, deps) => {
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
    async (request) =>
      byBranch(deps, request, (branch, verify) => service.serve(branch, request.body, verify)),
  );
});

/** Objections as the union receives and answers them. */
const unionObjectionRoutes = roomRoutes("unionObjections", (routes, unionObjections, deps) => {
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
    async (request) =>
      byBranch(deps, request, (branch, verify) => unionObjections.receive(branch, request.body, verify)),
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
    async (request) =>
      byBranch(deps, request, (branch, verify) =>
        unionObjections.forBranch(branch, request.params.objectionId, verify),
      ),
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
});

/** Objections as the branch files them. */
const branchObjectionRoutes = roomRoutes("branchObjections", (routes, objections) => {
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
});

export const creditServiceRoutes = routeFiles(unionQueryRoutes, unionObjectionRoutes, branchObjectionRoutes);
