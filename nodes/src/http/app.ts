// buildNodeApp: the institution node's back-office API, not listening. The app is the
// infrastructure every route shares (authorization hook, body limits, parsers, error envelope,
// OpenAPI); the routes live one file per resource under routes/ (listed in routes/index.ts),
// their request and response schemas under schemas/, and the work in the domain modules under
// nodes/src, passed in through NodeDeps.
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { nodeError, renderError } from "../errors.ts";
import { duplicateKeyIn } from "../../../common/json/duplicate-keys.ts";
import { FailedTokenLimiter } from "./auth.ts";
import { installAuthorization } from "./authorize.ts";
import { limitBody, refuseDeclaredOversize } from "./body.ts";
import type { NodeDeps } from "./deps.ts";
import { registerHealthRoutes } from "./routes/health.ts";
import { ROUTE_FILES } from "./routes/index.ts";

export type { NodeDeps } from "./deps.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** A JSON body's exact bytes (the signature covers them). */
    rawBody: Buffer | undefined;
  }
}

/** JSON.parse, refusing an object that repeats a key (a signed body must read the same to every parser). */
function parseStrictJson(raw: Buffer): unknown {
  const value: unknown = JSON.parse(raw.toString("utf8"));
  if (typeof value === "object" && value !== null) {
    const duplicate = duplicateKeyIn(raw);
    if (duplicate !== undefined) throw nodeError("NODE_ERR_DUPLICATE_KEY", `the body names ${duplicate} twice; send each key once`, { path: duplicate });
  }
  return value;
}

export async function buildNodeApp(deps: NodeDeps): Promise<FastifyInstance> {
  const frameworkErrors = (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    void reply.code(400).send({ error: { code: "NODE_ERR_VALIDATION", message: `malformed request: ${error.message}` } });
  };
  const bodyLimit = deps.limits?.maxBodyBytes ?? 16 * 1024 * 1024;
  const app = (
    deps.logger === false
      ? Fastify({ logger: false, bodyLimit, frameworkErrors: frameworkErrors as never })
      : Fastify({ loggerInstance: deps.logger as unknown as FastifyBaseLogger, bodyLimit, frameworkErrors: frameworkErrors as never })
  ) as unknown as FastifyInstance;
  const tokenLimiter = deps.tokenLimiter ?? new FailedTokenLimiter();
  // the caller is authenticated and authorized from the headers before a byte of the body is
  // read: the bearer token (behind its rate limit) and the route's roles, or a node's
  // signed-request headers (form, expiry, target, the signer an active member of the route's
  // kind); a refused caller's large body is never read (authorize.ts)
  installAuthorization(app, { users: deps.users, memberId: deps.memberId, tokenLimiter, signedHeaders: (request, kind) => deps.ops.requests.signedHeaders(request, kind) });
  // a body over the route's limit is answered 413 without cutting the connection (body.ts)
  app.addHook("onRequest", refuseDeclaredOversize(bodyLimit));
  app.addHook("preParsing", limitBody(bodyLimit));
  // a signed request without a body (a GET) has its signature checked here; the operation spends its nonce
  app.addHook("preHandler", async (request) => {
    const signed = request.signedHeaders;
    if (signed === undefined || signed.bodyVerified) return;
    // only a JSON body goes through the signature check in the parser; anything else is refused
    if (request.body !== undefined) throw nodeError("NODE_ERR_VALIDATION", "a signed node-to-node request carries a JSON body (application/json) or none");
    deps.ops.requests.signedBody(signed, new Uint8Array(0));
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
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
        deps.ops.requests.signedBody(request.signedHeaders, raw);
        done(null, raw.length === 0 ? undefined : parseStrictJson(raw));
        return;
      }
      done(null, raw.length === 0 ? undefined : JSON.parse(raw.toString("utf8")));
    } catch (e) {
      if (e instanceof SyntaxError) done(nodeError("NODE_ERR_BAD_JSON", `the body is not valid JSON: ${e.message}`), undefined);
      else done(e as Error, undefined);
    }
  });

  app.setErrorHandler((error, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((v) => ({ path: `${error.validationContext ?? "body"}${v.instancePath.replaceAll("/", ".")}`, message: v.message }));
      return reply.code(400).send({ error: { code: "NODE_ERR_VALIDATION", message: `invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).slice(0, 5).join("; ")}`, details: { issues } } });
    }
    const rendered = renderError(error);
    const retryAfter = (rendered?.body.error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if (typeof retryAfter === "number") void reply.header("retry-after", String(retryAfter));
    if (rendered !== undefined) return reply.code(rendered.status).send(rendered.body);
    const code = (error as { code?: string }).code;
    if (code === "FST_ERR_CTP_BODY_TOO_LARGE") return reply.code(413).send({ error: { code: "NODE_ERR_BODY_TOO_LARGE", message: "the body is larger than this route accepts" } });
    if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return reply.code(415).send({ error: { code: "NODE_ERR_VALIDATION", message: "send JSON (application/json) or CSV (text/csv)" } });
    if (code?.startsWith("FST_ERR_CTP") === true) return reply.code(400).send({ error: { code: "NODE_ERR_BAD_JSON", message: (error as Error).message } });
    request.log.error({ err: error }, "unexpected error");
    return reply.code(500).send({ error: { code: "NODE_ERR_INTERNAL", message: "internal error; the request was not applied" } });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: { code: "NODE_ERR_NOT_FOUND", message: `no route ${request.method} ${request.url}` } }));

  await app.register(swagger, { openapi: { info: { title: "JointLedger institution node", version: "1.0.0" } }, transform: jsonSchemaTransform });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  const api = app.withTypeProvider<ZodTypeProvider>();
  for (const routes of ROUTE_FILES) routes(api, deps);
  registerHealthRoutes(api, deps, tokenLimiter);
  return app;
}
