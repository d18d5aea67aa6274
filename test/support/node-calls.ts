// Requests to an institution node's API in the node tests (app.inject, bearer token by role), and
// the staff tokens those tests share. (No describe/it here: Hardhat mocha loads it like a test.)
import { expect } from "chai";
import type { NodeService } from "../../nodes/src/service.ts";
import { apiAs, bearerAs, type RoleTokens } from "./institution-node.ts";

/** The branch's clerk and approver (usersFor, bearerAs). */
export const CLERK_APPROVER_TOKENS = { clerk: "clerk-token-1", approver: "approver-token-1" } as const;
/** The clerk, the approver and the admin. */
export const STAFF_TOKENS = { ...CLERK_APPROVER_TOKENS, admin: "admin-token-1" } as const;

/** The parsed body of a reply that must be 200 (the body is the failure's message). */
export function okBody<T = Record<string, unknown>>(reply: {
  statusCode: number;
  body: string;
  json(): unknown;
}): T {
  expect(reply.statusCode, reply.body).to.equal(200);
  return reply.json() as T;
}

/**
 * `ok(node, role, method, url, payload?)`: one request to `node`'s API as `role` (apiAs) that must
 * answer 200 (the body is the failure's message); the parsed JSON body.
 */
export function okAs<R>(as: (role: R) => { authorization: string }) {
  const api = apiAs(as);
  return async <T = Record<string, unknown>>(
    node: Pick<NodeService, "app">,
    role: R,
    method: "GET" | "POST" | "PUT" | "DELETE",
    url: string,
    payload?: object,
  ): Promise<T> => {
    return okBody<T>(await api(node, role, method, url, payload));
  };
}

/** A refusal: the reply's status and its error from the node's catalogue (code, details). */
export function expectRefusal(
  reply: { statusCode: number; body: string; json(): unknown },
  status: number,
  error: { code: string; details?: unknown },
): void {
  expect(reply.statusCode, reply.body).to.equal(status);
  expect((reply.json() as { error: unknown }).error).to.deep.include(error);
}

/** The node's reconciliation of `day` against the branch's books (a CSV), uploaded with `headers`. */
export async function reconcileBooks(
  node: Pick<NodeService, "app">,
  headers: { authorization: string },
  day: string,
  books: string,
): Promise<{ matched: number; balanced: boolean }> {
  const reply = await node.app.inject({
    method: "POST",
    url: `/v1/reconciliations?day=${day}`,
    headers: { ...headers, "content-type": "text/csv" },
    payload: books,
  });
  return reply.json() as { matched: number; balanced: boolean };
}

/**
 * A test's ways to call nodes as the roles of `tokens`: `as(role)` the bearer header, `api(...)`
 * any reply (apiAs), `ok(...)` the body of a reply that must be 200 (okAs).
 */
export function callsAs<T extends RoleTokens>(tokens: T) {
  const as = bearerAs(tokens);
  return { as, api: apiAs(as), ok: okAs(as) };
}
