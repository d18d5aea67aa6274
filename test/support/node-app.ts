// A node's HTTP layer alone (nodes/src/http/app.ts): built, not listening, over stubbed
// operations, for the tests of routes, limits, authentication and logging. (No describe/it here:
// Hardhat mocha loads it like a test.)
import type { FastifyInstance } from "fastify";
import { buildNodeApp } from "../../nodes/src/http/app.ts";
import { tokenSha256 } from "../../nodes/src/http/auth.ts";
import type { NodeDeps } from "../../nodes/src/http/deps.ts";

/** The one back-office user of a clerkNodeApp: a clerk whose bearer token is "clerk-token". */
export const CLERK = { user: "clerk", role: "clerk", tokenSha256: tokenSha256("clerk-token") } as const;

/**
 * The node's app over `ops` (stubs of what the test calls): member 2, the one CLERK, no cases,
 * always ready, silent; `extra` adds or replaces any option.
 */
export function clerkNodeApp(ops: unknown, extra: Partial<NodeDeps> = {}): Promise<FastifyInstance> {
  return buildNodeApp({
    logger: false,
    memberId: 2,
    users: [CLERK],
    ops: ops as never,
    cases: {} as never,
    ready: () => ({ ready: true, detail: {} }),
    ...extra,
  });
}
