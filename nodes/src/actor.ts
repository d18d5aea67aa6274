// Who asks the node to act: one of this member's API users with one role, or another member's
// node acting through a role the operation names. The HTTP layer authenticates the caller and
// hands the domain an Actor; the domain never sees a request.
import { createHash } from "node:crypto";
import type { ApiUser } from "./config.ts";
import { nodeError } from "./errors.ts";

export type Role = ApiUser["role"];
export type Actor = { userId: string; role: Role; memberId: number };

export function requireRole(actor: Actor, roles: readonly Role[]): void {
  if (!roles.includes(actor.role))
    throw nodeError(
      "NODE_ERR_ROLE",
      `this needs one of the roles ${roles.join(", ")}; ${actor.userId} is ${actor.role}`,
    );
}

/** Roles that may see personal data unmasked in API output. */
export const UNMASKED_ROLES: readonly Role[] = ["approver", "admin"];

/** API tokens are kept only as this digest (config, the staff directory). */
export function tokenSha256(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
