// One Fastify construction for every service of the consortium: zod validation and
// serialization, the OpenAPI document and its page (/docs), the error envelope
// `{ error: { code, message, details? } }` with the calling service's codes, the 404 answer,
// /healthz, /readyz and /metrics (prom-client; the last two behind ops-access.ts). The service
// adds its routes to the instance it gets back, which is not listening.
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { join } from "node:path";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyContextConfig,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
} from "fastify-type-provider-zod";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { httpMetrics, recordHttpMetrics, type HttpMetrics } from "./metrics.ts";
import { swaggerOptions, type ApiDocumentOptions } from "./openapi.ts";
import { opsAccess, type OpsAccess, type OpsAccessOptions } from "./ops-access.ts";
import { lazyRequestLogger, OneLineLogController, type RequestLogOptions } from "./request-log.ts";
import type { ServerTls } from "./tls.ts";

/** An error as the caller sees it: a code of the service's catalogue and the status it gives it. */
export type RenderedError = { status: number; code: string; message: string; details?: unknown };

/** A health answer: 200 with `body` when ok, else 503 with it. */
export type Health = { ok: boolean; body: unknown };

export type ServiceShellOptions = {
  logger: Logger | false;
  /** The one line logged per answered request: the caller as authenticated, an unrouted URL's masking (request-log.ts). */
  requestLog?: RequestLogOptions;
  /** Largest body any route accepts, in bytes (a route may set its own). */
  bodyLimit: number;
  /** Set: the instance serves HTTPS with this certificate and key (tls.ts). */
  https?: ServerTls | undefined;
  /** The OpenAPI document: title, version, and its security, error codes and examples (openapi.ts). */
  openapi: ApiDocumentOptions;
  /** Headers every /docs answer carries (e.g. a Content-Security-Policy). */
  docsHeaders?: Readonly<Record<string, string>>;
  errors: {
    /** The catalogue's code for a request that fails its schema or that Fastify cannot parse (400). */
    validation: string;
    /** … for a route that does not exist (404). */
    notFound: string;
    /** … for a bug (500; the request was not applied). */
    internal: string;
    /** Maps anything a route or hook throws to the catalogue; undefined is a bug, answered 500. */
    render: (error: unknown) => RenderedError | undefined;
    /** Called with every error answered from the catalogue (e.g. a counter by code). */
    onRendered?: (rendered: RenderedError) => void;
  };
  health: {
    /** /healthz: is the process worth keeping (default: always). Open to anyone. */
    live?: () => Health | Promise<Health>;
    /** /readyz: can it serve now. Behind ops access. */
    ready: () => Health | Promise<Health>;
  };
  metrics: {
    registry: Registry;
    /** Brings gauges up to date before each scrape. */
    beforeScrape?: () => void | Promise<void>;
    /** Record every request as `<prefix>_http_requests_total` and `…_duration_seconds` (metrics.ts). */
    httpPrefix?: string;
  };
  /**
   * `POST /ops/backups` (behind ops access): an online backup into a new folder under `dir`
   * (common/level-backup.ts); the caller names no path. Absent: no such route.
   */
  backup?: { dir: string; run: (target: string) => Promise<unknown> } | undefined;
  /** Who may read /metrics and /readyz, and the catalogue errors for a refusal. */
  ops: OpsAccessOptions & { access?: OpsAccess | undefined };
  /** Route config of the shell's own routes (/healthz, /readyz, /metrics), e.g. a service's auth marker. */
  routeConfig?: FastifyContextConfig;
  /** Runs on the bare instance before any plugin or route: decorators, onRoute hooks, content-type parsers. */
  prepare?: (app: FastifyInstance) => void | Promise<void>;
};

export type ServiceShell = { app: FastifyInstance; http: HttpMetrics | undefined };

/** Each failing field as `<where>.<path>` ("body.records.0.leafHash", "querystring"), with zod's message. */
export function validationIssues(
  error: unknown,
): { path: string; message: string | undefined }[] | undefined {
  if (!hasZodFastifySchemaValidationErrors(error)) return undefined;
  const where = error.validationContext ?? "body";
  return error.validation.map((v) => {
    const inner = v.instancePath.replace(/^\//, "").replaceAll("/", ".");
    return { path: inner === "" ? where : `${where}.${inner}`, message: v.message };
  });
}

/**
 * A connection the server ends before a request is answered: Node's HTTP parser refused its bytes,
 * a timeout, or the client reset it. Fastify's own handler logs these at trace level, so a client's
 * "connection reset" left no line on the server; here one warn line says which it was (the error's
 * code, never a byte of the request), then answers and closes as Fastify does.
 */
function clientErrorHandler(log: Logger | undefined) {
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    const code = error.code ?? "UNKNOWN";
    const remoteAddress = socket.remoteAddress;
    if (code === "ECONNRESET" || socket.destroyed) {
      log?.warn({ code, remoteAddress }, "connection reset by the client before the answer");
      return;
    }
    const status = code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
    log?.warn({ code, status, remoteAddress }, `connection closed by the server: ${error.message}`);
    if (socket.writable) {
      const body = JSON.stringify({
        error: STATUS_CODES[status],
        message: "Client Error",
        statusCode: status,
      });
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}

/** At most this many issues go into an answer's details (a 10,000-record body can fail everywhere). */
const MAX_ISSUES = 100;

export async function buildServiceShell(options: ServiceShellOptions): Promise<ServiceShell> {
  const { errors } = options;
  // errors Fastify raises before routing (a malformed URL) still speak the catalogue
  const frameworkErrors = (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    void reply
      .code(400)
      .send({ error: { code: errors.validation, message: `malformed request: ${error.message}` } });
  };
  // Fastify 5 takes a ready pino instance as loggerInstance; its two lines per request are
  // replaced by request-log.ts's one
  const base = {
    bodyLimit: options.bodyLimit,
    frameworkErrors,
    clientErrorHandler: clientErrorHandler(options.logger === false ? undefined : options.logger),
    ...(options.logger === false
      ? { logger: false }
      : {
          loggerInstance: options.logger as unknown as FastifyBaseLogger,
          logController: new OneLineLogController(options.logger, options.requestLog ?? {}),
          childLoggerFactory: lazyRequestLogger,
        }),
  };
  // an HTTPS server hands routes the same IncomingMessage and ServerResponse as an HTTP one
  const app: FastifyInstance =
    options.https === undefined ? Fastify(base) : Fastify({ ...base, https: options.https });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await options.prepare?.(app);

  const http =
    options.metrics.httpPrefix === undefined
      ? undefined
      : httpMetrics(options.metrics.registry, options.metrics.httpPrefix);
  if (http !== undefined) recordHttpMetrics(app, http);

  app.setErrorHandler((error, request, reply) => {
    const issues = validationIssues(error);
    const rendered: RenderedError | undefined =
      issues === undefined
        ? errors.render(error)
        : {
            status: 400,
            code: errors.validation,
            message: `invalid request: ${issues
              .map((i) => `${i.path}: ${i.message}`)
              .slice(0, 5)
              .join("; ")}`,
            details: { issues: issues.slice(0, MAX_ISSUES) },
          };
    if (rendered === undefined) {
      request.log.error({ err: error }, "unexpected error");
      return reply
        .code(500)
        .send({ error: { code: errors.internal, message: "internal error; the request was not applied" } });
    }
    errors.onRendered?.(rendered);
    const retryAfter = (rendered.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if (typeof retryAfter === "number") void reply.header("retry-after", String(retryAfter));
    const { status, code, message, details } = rendered;
    return reply
      .code(status)
      .send({ error: { code, message, ...(details === undefined ? {} : { details }) } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: { code: errors.notFound, message: `no route ${request.method} ${request.url}` } }),
  );

  await app.register(swagger, swaggerOptions(options.openapi));
  await app.register(async (docs) => {
    const headers = options.docsHeaders;
    if (headers !== undefined)
      docs.addHook("onRequest", (_request, reply, done) => void (reply.headers(headers), done()));
    await docs.register(swaggerUi, { routePrefix: "/docs" });
  });

  const config = options.routeConfig ?? {};
  const answer = async (reply: FastifyReply, health: Health) =>
    reply.code(health.ok ? 200 : 503).send(health.body);
  const live = options.health.live ?? (() => ({ ok: true, body: { status: "ok" } }));
  app.get("/healthz", { schema: { hide: true }, config }, async (_request, reply) =>
    answer(reply, await live()),
  );
  const ops = opsAccess(options.ops.access, options.ops);
  app.get("/readyz", { schema: { hide: true }, config, onRequest: ops }, async (_request, reply) =>
    answer(reply, await options.health.ready()),
  );
  app.get("/metrics", { schema: { hide: true }, config, onRequest: ops }, async (_request, reply) => {
    const { registry, beforeScrape } = options.metrics;
    await beforeScrape?.();
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  const backup = options.backup;
  if (backup !== undefined) {
    // one backup at a time; each in a folder named by its start time
    let running: Promise<unknown> = Promise.resolve();
    app.post("/ops/backups", { schema: { hide: true }, config, onRequest: ops }, async () => {
      const target = join(backup.dir, new Date().toISOString().replaceAll(":", "-"));
      const done = running.then(() => backup.run(target));
      running = done.catch(() => undefined);
      return { backup: target, manifest: await done };
    });
  }
  return { app, http };
}
