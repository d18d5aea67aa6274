// Back-office authentication: bearer tokens, stored only as their SHA-256, each with one role.
import { timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { ApiUser } from "../config.ts";
import { nodeError } from "../errors.ts";
import { FailedTokenLimiter } from "../../../common/auth/failed-token-limiter.ts";
import { requireRole, tokenSha256, UNMASKED_ROLES, type Actor, type Role } from "../actor.ts";

export { FailedTokenLimiter };

export type { Actor, Role };
export { requireRole, tokenSha256, UNMASKED_ROLES };

/** The role sets routes declare in `config.roles` (the authorization hook checks them). */
export const STAFF: readonly Role[] = ["clerk", "approver", "admin"];
/** STAFF and the court's clerk: the indexed ledger, documents, cases. */
export const ANY_USER: readonly Role[] = ["clerk", "approver", "admin", "court-clerk"];
export const APPROVERS: readonly Role[] = ["approver", "admin"];
export const ADMIN: readonly Role[] = ["admin"];
export const COURT_STAFF: readonly Role[] = ["court-clerk", "admin"];

export function authenticate(request: FastifyRequest, users: readonly ApiUser[], memberId: number): Actor {
  const header = request.headers.authorization;
  if (typeof header !== "string" || !header.startsWith("Bearer ")) {
    throw nodeError("NODE_ERR_AUTH", "send the user's API token as 'Authorization: Bearer <token>'");
  }
  const digest = Buffer.from(tokenSha256(header.slice(7).trim()), "hex");
  const user = users.find((u) => timingSafeEqual(Buffer.from(u.tokenSha256, "hex"), digest));
  if (user === undefined) throw nodeError("NODE_ERR_AUTH", "unknown API token");
  return { userId: user.user, role: user.role, memberId };
}

/**
 * authenticate() behind the limiter: an address over its limit is refused before its token is
 * looked at; each refused token is counted and logged (address, route, count; never the token).
 * A request without an Authorization header is no token attempt and is not counted.
 */
export function authenticateLimited(
  request: FastifyRequest,
  users: readonly ApiUser[],
  memberId: number,
  limiter: FailedTokenLimiter,
): Actor {
  const address = request.ip;
  const wait = limiter.retryAfterSeconds(address);
  // the error handler turns details.retryAfterSeconds into the Retry-After header
  if (wait > 0) {
    throw nodeError(
      "NODE_ERR_AUTH_RATE_LIMITED",
      `too many refused API tokens from this address; try again in ${wait} s`,
      { retryAfterSeconds: wait },
    );
  }
  try {
    return authenticate(request, users, memberId);
  } catch (error) {
    if (request.headers.authorization !== undefined) {
      const failures = limiter.fail(address);
      request.log.warn(
        {
          sourceIp: address,
          method: request.method,
          route: request.routeOptions.url,
          failures,
          limit: limiter.maxFailures,
        },
        "API token refused",
      );
    }
    throw error;
  }
}
