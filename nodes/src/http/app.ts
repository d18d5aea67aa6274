// buildNodeApp: the institution node's back-office API, not listening, on the consortium's one
// service shell (common/service/shell.ts: zod compilers, OpenAPI at /docs, the error envelope,
// 404, /healthz, /readyz and /metrics on the node's prom-client registry, metrics.ts). What is the
// node's own: the authorization hook (authorize.ts), body limits, the parsers that keep a signed
// body's exact bytes, and the routes, one file per resource under routes/ (listed in
// routes/index.ts) with their schemas under schemas/; the work is in the domain rooms under
// nodes/src, passed in through NodeDeps.
import { isError } from "ethers";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { buildServiceShell, type RenderedError } from "../../../common/service/shell.ts";
import { parseJsonOnce } from "../../../common/service/request-body.ts";
import type { RequestCaller } from "../../../common/service/request-log.ts";
import { nodeError, renderError } from "../errors.ts";
import { redactUrl } from "../privacy/mask.ts";
import { createNodeMetrics } from "../metrics.ts";
import { FailedTokenLimiter } from "./auth.ts";
import { installAuthorization } from "./authorize.ts";
import { NODE_API_DOCUMENT } from "./openapi.ts";
import { limitBody, refuseDeclaredOversize } from "./body.ts";
import type { NodeDeps } from "./deps.ts";
import { ROUTE_FILES } from "./routes/index.ts";

export type { NodeDeps } from "./deps.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** A JSON body's exact bytes (the signature covers them). */
    rawBody: Buffer | undefined;
  }
}

/** JSON.parse, refusing an object that repeats a key (a signed body must read the same to every parser). */
const parseStrictJson = (raw: Buffer): unknown =>
  parseJsonOnce(raw, {
    repeated: (path) =>
      nodeError("NODE_ERR_DUPLICATE_KEY", `the body names ${path} twice; send each key once`, { path }),
  });

/** Seconds a client waits before asking again when the chain did not answer. */
const CHAIN_RETRY_AFTER_SECONDS = 5;

/**
 * Anything a route or hook throws, in the node's catalogue (errors.ts); Fastify's own body errors
 * too; a chain read that got no answer in time or no answer at all (the node busy, restarting):
 * retryable, never a bug. undefined: a bug (500).
 */
export function renderNodeError(error: unknown): RenderedError | undefined {
  const rendered = renderError(error);
  if (rendered !== undefined) return { status: rendered.status, ...rendered.body.error };
  if (isError(error, "TIMEOUT") || isError(error, "NETWORK_ERROR") || isError(error, "SERVER_ERROR"))
    return {
      status: 503,
      code: "NODE_ERR_CHAIN_UNAVAILABLE",
      message: `the chain did not answer (${error.shortMessage}); ask again`,
      details: { retryAfterSeconds: CHAIN_RETRY_AFTER_SECONDS },
    };
  const code = (error as { code?: string }).code;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE")
    return {
      status: 413,
      code: "NODE_ERR_BODY_TOO_LARGE",
      message: "the body is larger than this route accepts",
    };
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
    return {
      status: 415,
      code: "NODE_ERR_VALIDATION",
      message: "send JSON (application/json) or CSV (text/csv)",
    };
  if (code?.startsWith("FST_ERR_CTP") === true)
    return { status: 400, code: "NODE_ERR_BAD_JSON", message: (error as Error).message };
  return undefined;
}

/**
 * A staff user's member and role, or another member's node once its signature over the request
 * verified (signed routes: a member only named in the headers is none); undefined on an open route.
 */
function callerForLog(request: FastifyRequest): RequestCaller | undefined {
  const { actor, signedHeaders } = request;
  if (actor !== undefined) return { member: actor.memberId, role: actor.role };
  if (signedHeaders?.bodyVerified === true) return { member: signedHeaders.memberId, role: "node" };
  return undefined;
}

const OPS_REFUSALS = {
  forbidden: "NODE_ERR_OPS_FORBIDDEN",
  unauthorized: "NODE_ERR_OPS_UNAUTHORIZED",
  "rate-limited": "NODE_ERR_AUTH_RATE_LIMITED",
} as const;

export async function buildNodeApp(deps: NodeDeps): Promise<FastifyInstance> {
  const bodyLimit = deps.limits?.maxBodyBytes ?? 16 * 1024 * 1024;
  const tokenLimiter = deps.tokenLimiter ?? new FailedTokenLimiter();
  const metrics = deps.metrics ?? createNodeMetrics();
  const sources = deps.metricSources;
  const { app } = await buildServiceShell({
    logger: deps.logger,
    // the request line names the caller by member and role (a user's id stays out); a URL only
    // when no route matched, masked like any URL in the node's logs
    requestLog: { caller: callerForLog, unmatchedUrl: redactUrl },
    https: deps.https,
    backup: deps.backup,
    bodyLimit,
    openapi: NODE_API_DOCUMENT,
    errors: {
      validation: "NODE_ERR_VALIDATION",
      notFound: "NODE_ERR_NOT_FOUND",
      internal: "NODE_ERR_INTERNAL",
      render: renderNodeError,
    },
    health: {
      ready: async () => {
        const state = await deps.ready();
        return { ok: state.ready, body: state };
      },
    },
    metrics: {
      registry: metrics.registry,
      httpPrefix: "node",
      ...(sources === undefined ? {} : { beforeScrape: () => metrics.refresh(sources) }),
    },
    // /readyz and /metrics: restricted when NODE_METRICS_TOKEN / NODE_METRICS_ALLOWED_ADDRESSES are set;
    // refused metrics tokens count with refused API tokens: one budget of guesses per address
    ops: {
      access: deps.opsAccess,
      realm: "node-ops",
      limiter: tokenLimiter,
      refuse: (reason, message, details) => nodeError(OPS_REFUSALS[reason], message, details),
    },
    routeConfig: { auth: "open" },
    prepare: (app) => prepare(app, deps, bodyLimit, tokenLimiter),
  });
  const api = app.withTypeProvider<ZodTypeProvider>();
  for (const routes of ROUTE_FILES) routes(api, deps);
  return app;
}

/** What must cover every request, /docs included: authorization, body limits, the body parsers. */
function prepare(
  app: FastifyInstance,
  deps: NodeDeps,
  bodyLimit: number,
  tokenLimiter: FailedTokenLimiter,
): void {
  const requests = deps.ops.requests;
  // the caller is authenticated and authorized from the headers before a byte of the body is
  // read: the bearer token (behind its rate limit) and the route's roles, or a node's
  // signed-request headers (form, expiry, target, the signer an active member of the route's
  // kind); a refused caller's large body is never read (authorize.ts)
  installAuthorization(app, {
    users: deps.users,
    memberId: deps.memberId,
    tokenLimiter,
    signedHeaders: (request, kind) => requests.signedHeaders(request, kind),
  });
  // a body over the route's limit is answered 413 without cutting the connection (body.ts)
  app.addHook("onRequest", refuseDeclaredOversize(bodyLimit));
  app.addHook("preParsing", limitBody(bodyLimit));
  // a signed request without a body (a GET) has its signature checked here; the operation spends its nonce
  app.addHook("preHandler", async (request) => {
    const signed = request.signedHeaders;
    if (signed === undefined || signed.bodyVerified) return;
    // only a JSON body goes through the signature check in the parser; anything else is refused
    if (request.body !== undefined)
      throw nodeError(
        "NODE_ERR_VALIDATION",
        "a signed node-to-node request carries a JSON body (application/json) or none",
      );
    requests.signedBody(signed, new Uint8Array(0));
  });
  app.decorateRequest("rawBody", undefined);
  // kept as bytes: a large books file goes to its worker thread as they are (reconcile/off-thread.ts)
  app.addContentTypeParser("text/csv", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  // JSON keeps its exact bytes; a signed request's body is checked against its signature before
  // it is parsed, and parsed strictly (a repeated key is refused, not resolved to its last value)
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    try {
      if (request.signedHeaders !== undefined) {
        requests.signedBody(request.signedHeaders, raw);
        done(null, raw.length === 0 ? undefined : parseStrictJson(raw));
        return;
      }
      done(null, raw.length === 0 ? undefined : JSON.parse(raw.toString("utf8")));
    } catch (e) {
      if (e instanceof SyntaxError)
        done(nodeError("NODE_ERR_BAD_JSON", `the body is not valid JSON: ${e.message}`), undefined);
      else done(e as Error, undefined);
    }
  });
}
