// Operations routes, hidden from the API document: /healthz (always open), /readyz and /metrics
// (restricted when NODE_METRICS_TOKEN / NODE_METRICS_ALLOWED_ADDRESSES are set: ops-access.ts).
import { FailedTokenLimiter } from "../auth.ts";
import type { NodeApi, NodeDeps } from "../deps.ts";
import { opsAccess } from "../ops-access.ts";

/** Registers the operations routes; refused metrics tokens count in `tokenLimiter` with refused API tokens (one budget of guesses per address). */
export function registerHealthRoutes(app: NodeApi, deps: NodeDeps, tokenLimiter: FailedTokenLimiter): void {
  app.get("/healthz", { schema: { hide: true }, config: { auth: "open" } }, async () => ({ status: "ok" }));
  const ops = opsAccess(deps.opsAccess, tokenLimiter);
  app.get("/readyz", { schema: { hide: true }, config: { auth: "open" }, onRequest: ops }, async (_request, reply) => {
    const state = deps.ready();
    return reply.code(state.ready ? 200 : 503).send(state);
  });
  app.get("/metrics", { schema: { hide: true }, config: { auth: "open" }, onRequest: ops }, async (_request, reply) => reply.type("text/plain; version=0.0.4").send(await deps.metrics()));
}
