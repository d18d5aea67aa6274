// The service shell (common/service/) on its own, with a small catalogue of its own: the error
// envelope and its codes, the 404 answer, zod errors as 400s, health, /metrics restricted by
// token and address (and the refused-token limit), HTTP request metrics, the OpenAPI page, the
// one log line per request.
import { expect } from "chai";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { connect, type AddressInfo } from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { Counter } from "prom-client";
import { z } from "zod";
import { FailedTokenLimiter } from "../../../common/auth/failed-token-limiter.ts";
import { catalogueError } from "../../../common/errors.ts";
import { metricsRegistry } from "../../../common/service/metrics.ts";
import type { OpsAccess, OpsRefusal } from "../../../common/service/ops-access.ts";
import {
  buildServiceShell,
  type Health,
  type RenderedError,
  type ServiceShellOptions,
} from "../../../common/service/shell.ts";
import { capturedLog } from "../../support/captured-log.ts";

const TEST_ERRORS = {
  TEST_ERR_VALIDATION: 400,
  TEST_ERR_NOT_FOUND: 404,
  TEST_ERR_CONFLICT: 409,
  TEST_ERR_SLOW_DOWN: 429,
  TEST_ERR_OPS_UNAUTHORIZED: 401,
  TEST_ERR_OPS_FORBIDDEN: 403,
  TEST_ERR_OPS_RATE_LIMITED: 429,
} as const;
class TestError extends catalogueError(TEST_ERRORS) {}
const OPS_CODES: Record<OpsRefusal, keyof typeof TEST_ERRORS> = {
  forbidden: "TEST_ERR_OPS_FORBIDDEN",
  unauthorized: "TEST_ERR_OPS_UNAUTHORIZED",
  "rate-limited": "TEST_ERR_OPS_RATE_LIMITED",
};
const TOKEN = "shell-metrics-token-0123";

type Built = { app: FastifyInstance; rendered: RenderedError[]; ready: { now: Health } };

async function shell(
  overrides: {
    access?: OpsAccess;
    limiter?: FailedTokenLimiter;
    logger?: pino.Logger;
    httpPrefix?: string;
    live?: () => Health;
  } = {},
): Promise<Built> {
  const rendered: RenderedError[] = [];
  const ready = { now: { ok: true, body: { ready: true } } as Health };
  const registry = metricsRegistry();
  const scrapes = new Counter({ name: "test_scrapes_total", help: "scrapes", registers: [registry] });
  const options: ServiceShellOptions = {
    logger: overrides.logger ?? false,
    bodyLimit: 1024,
    openapi: { title: "shell test", version: "1.0.0" },
    docsHeaders: { "x-content-type-options": "nosniff" },
    errors: {
      validation: "TEST_ERR_VALIDATION",
      notFound: "TEST_ERR_NOT_FOUND",
      internal: "TEST_ERR_INTERNAL",
      render: (error) =>
        error instanceof TestError
          ? { status: error.statusCode, code: error.code, message: error.message, details: error.details }
          : undefined,
      onRendered: (r) => void rendered.push(r),
    },
    health: { ready: () => ready.now, ...(overrides.live === undefined ? {} : { live: overrides.live }) },
    metrics: {
      registry,
      beforeScrape: () => scrapes.inc(),
      ...(overrides.httpPrefix === undefined ? {} : { httpPrefix: overrides.httpPrefix }),
    },
    ops: {
      access: overrides.access,
      realm: "test-ops",
      refuse: (reason, message, details) => new TestError(OPS_CODES[reason], message, details),
      ...(overrides.limiter === undefined ? {} : { limiter: overrides.limiter }),
    },
  };
  const { app } = await buildServiceShell(options);
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.post("/v1/things/:id", {
    schema: {
      params: z.strictObject({ id: z.string().regex(/^[a-z]+$/) }),
      body: z.strictObject({ count: z.int().min(1) }),
      response: { 200: z.object({ id: z.string(), count: z.int() }) },
    },
    handler: async (request) => ({ id: request.params.id, count: request.body.count }),
  });
  app.get("/v1/conflict", async () => {
    throw new TestError("TEST_ERR_CONFLICT", "already there", { other: "x" });
  });
  app.get("/v1/slow-down", async () => {
    throw new TestError("TEST_ERR_SLOW_DOWN", "too fast", { retryAfterSeconds: 7 });
  });
  app.get("/v1/bug", async () => {
    throw new Error("a bug with /secret/path in it");
  });
  return { app, rendered, ready };
}

const get = (
  app: FastifyInstance,
  url: string,
  options: { from?: string; token?: string; authorization?: string } = {},
) =>
  app.inject({
    method: "GET",
    url,
    remoteAddress: options.from ?? "127.0.0.1",
    headers:
      options.authorization !== undefined
        ? { authorization: options.authorization }
        : options.token === undefined
          ? {}
          : { authorization: `Bearer ${options.token}` },
  });

describe("common/service: the service shell", function () {
  it("answers a catalogue error in the envelope with its status, code and details, and reports it", async function () {
    const { app, rendered } = await shell();
    const reply = await get(app, "/v1/conflict");
    expect(reply.statusCode).to.equal(409);
    expect(reply.json()).to.deep.equal({
      error: { code: "TEST_ERR_CONFLICT", message: "already there", details: { other: "x" } },
    });
    expect(rendered.map((r) => r.code)).to.deep.equal(["TEST_ERR_CONFLICT"]);
  });

  it("sends Retry-After from details.retryAfterSeconds", async function () {
    const { app } = await shell();
    const reply = await get(app, "/v1/slow-down");
    expect(reply.statusCode).to.equal(429);
    expect(reply.headers["retry-after"]).to.equal("7");
  });

  it("answers anything else 500 with the internal code, without the error's text", async function () {
    const { app, rendered } = await shell();
    const reply = await get(app, "/v1/bug");
    expect(reply.statusCode).to.equal(500);
    expect(reply.json()).to.deep.equal({
      error: { code: "TEST_ERR_INTERNAL", message: "internal error; the request was not applied" },
    });
    expect(reply.body).not.to.include("secret");
    expect(rendered).to.deep.equal([]);
  });

  it("answers an unknown route 404 with the catalogue's not-found code", async function () {
    const { app } = await shell();
    for (const [method, url] of [
      ["GET", "/nowhere"],
      ["POST", "/v1/conflict"],
      ["DELETE", "/v1/things/abc"],
    ] as const) {
      const reply = await app.inject({ method, url });
      expect(reply.statusCode, `${method} ${url}`).to.equal(404);
      expect(reply.json()).to.deep.equal({
        error: { code: "TEST_ERR_NOT_FOUND", message: `no route ${method} ${url}` },
      });
    }
  });

  it("answers a request failing its zod schema 400 with the validation code and each issue's path", async function () {
    const { app, rendered } = await shell();
    const badBody = await app.inject({
      method: "POST",
      url: "/v1/things/abc",
      payload: { count: 0, extra: true },
    });
    expect(badBody.statusCode).to.equal(400);
    const body = badBody.json() as { error: { code: string; details: { issues: { path: string }[] } } };
    expect(body.error.code).to.equal("TEST_ERR_VALIDATION");
    expect(body.error.details.issues.map((i) => i.path)).to.include("body.count");
    const badParams = await app.inject({ method: "POST", url: "/v1/things/ABC", payload: { count: 1 } });
    expect(badParams.statusCode).to.equal(400);
    expect(
      (badParams.json() as { error: { code: string; details: { issues: { path: string }[] } } }).error.details
        .issues[0]!.path,
    ).to.equal("params.id");
    expect(rendered.map((r) => r.code)).to.deep.equal(["TEST_ERR_VALIDATION", "TEST_ERR_VALIDATION"]);
    const ok = await app.inject({ method: "POST", url: "/v1/things/abc", payload: { count: 2 } });
    expect(ok.json()).to.deep.equal({ id: "abc", count: 2 });
  });

  it("answers a malformed URL 400 with the validation code", async function () {
    const { app } = await shell();
    const reply = await get(app, "/v1/things/%E0%A4%A");
    expect(reply.statusCode).to.equal(400);
    expect((reply.json() as { error: { code: string } }).error.code).to.equal("TEST_ERR_VALIDATION");
  });

  it("/healthz is ok by default and answers the service's check; /readyz 200 or 503 with the service's body", async function () {
    const { app, ready } = await shell();
    expect((await get(app, "/healthz")).json()).to.deep.equal({ status: "ok" });
    expect((await get(app, "/readyz")).json()).to.deep.equal({ ready: true });
    ready.now = { ok: false, body: { ready: false, chain: "unreachable" } };
    const notReady = await get(app, "/readyz");
    expect(notReady.statusCode).to.equal(503);
    expect(notReady.json()).to.deep.equal({ ready: false, chain: "unreachable" });
    const failing = await shell({ live: () => ({ ok: false, body: { status: "storage-failed" } }) });
    const sick = await get(failing.app, "/healthz");
    expect([sick.statusCode, sick.json()]).to.deep.equal([503, { status: "storage-failed" }]);
  });

  it("/metrics serves the registry in Prometheus text, brought up to date before each scrape", async function () {
    const { app } = await shell();
    await get(app, "/metrics");
    const reply = await get(app, "/metrics");
    expect(reply.statusCode).to.equal(200);
    expect(reply.headers["content-type"]).to.match(/^text\/plain; version=0\.0\.4/);
    expect(reply.body).to.include("test_scrapes_total 2");
  });

  it("records HTTP requests by route template and status when asked, unknown URLs as 'unmatched'", async function () {
    const { app } = await shell({ httpPrefix: "test" });
    await app.inject({ method: "POST", url: "/v1/things/abc", payload: { count: 1 } });
    await app.inject({ method: "POST", url: "/v1/things/def", payload: { count: 0 } });
    await get(app, "/no/such/route/x1");
    const text = (await get(app, "/metrics")).body;
    expect(text).to.include('test_http_requests_total{method="POST",route="/v1/things/:id",status="200"} 1');
    expect(text).to.include('test_http_requests_total{method="POST",route="/v1/things/:id",status="400"} 1');
    expect(text).to.include('test_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).not.to.include("x1");
    expect(text).to.include(
      'test_http_request_duration_seconds_count{method="POST",route="/v1/things/:id"} 2',
    );
  });

  it("restricts /metrics and /readyz to the token (the caller's codes, WWW-Authenticate with its realm); /healthz stays open", async function () {
    const { app } = await shell({ access: { token: TOKEN } });
    for (const url of ["/metrics", "/readyz"]) {
      for (const options of [{}, { token: "wrong-token-0123456789" }, { authorization: `Basic ${TOKEN}` }]) {
        const reply = await get(app, url, options);
        expect(reply.statusCode, url).to.equal(401);
        expect((reply.json() as { error: { code: string } }).error.code).to.equal(
          "TEST_ERR_OPS_UNAUTHORIZED",
        );
        expect(reply.headers["www-authenticate"]).to.equal('Bearer realm="test-ops"');
      }
      expect((await get(app, url, { token: TOKEN })).statusCode, url).to.equal(200);
      // the scheme is case-insensitive
      expect((await get(app, url, { authorization: `bearer ${TOKEN}` })).statusCode, url).to.equal(200);
    }
    expect((await get(app, "/healthz")).statusCode).to.equal(200);
  });

  it("restricts /metrics and /readyz to allowed addresses (IPv4 mapped into IPv6 too); with a token both must hold", async function () {
    const { app } = await shell({ access: { allowedAddresses: ["10.0.0.0/8", "::1"] } });
    for (const from of ["10.1.2.3", "::ffff:10.1.2.3", "::1"])
      expect((await get(app, "/metrics", { from })).statusCode, from).to.equal(200);
    const refused = await get(app, "/readyz", { from: "192.168.0.1" });
    expect(refused.statusCode).to.equal(403);
    expect((refused.json() as { error: { code: string } }).error.code).to.equal("TEST_ERR_OPS_FORBIDDEN");
    expect((await get(app, "/healthz", { from: "192.168.0.1" })).statusCode).to.equal(200);
    const both = await shell({ access: { allowedAddresses: ["10.0.0.0/8"], token: TOKEN } });
    expect((await get(both.app, "/metrics", { from: "10.0.0.1", token: TOKEN })).statusCode).to.equal(200);
    expect((await get(both.app, "/metrics", { from: "10.0.0.1" })).statusCode).to.equal(401);
    expect((await get(both.app, "/metrics", { from: "192.168.0.1", token: TOKEN })).statusCode).to.equal(403);
  });

  it("after the limiter's refused tokens an address gets 429 with Retry-After, even with the right token; refusals logged without the token", async function () {
    const lines: string[] = [];
    const logger = pino(
      { level: "warn" },
      new Writable({ write: (chunk: Buffer, _e, done) => void (lines.push(chunk.toString()), done()) }),
    );
    const { app } = await shell({
      access: { token: TOKEN },
      limiter: new FailedTokenLimiter({ maxFailures: 3 }),
      logger,
    });
    // no Authorization header is no guess
    for (let i = 0; i < 5; i++)
      expect((await get(app, "/metrics", { from: "192.0.2.7" })).statusCode).to.equal(401);
    for (let i = 0; i < 3; i++)
      expect(
        (await get(app, "/metrics", { from: "192.0.2.7", token: `guess-${i}-abcdefgh` })).statusCode,
      ).to.equal(401);
    const limited = await get(app, "/readyz", { from: "192.0.2.7", token: TOKEN });
    expect(limited.statusCode).to.equal(429);
    expect((limited.json() as { error: { code: string } }).error.code).to.equal("TEST_ERR_OPS_RATE_LIMITED");
    expect(Number(limited.headers["retry-after"])).to.be.within(1, 60);
    expect((await get(app, "/metrics", { from: "192.0.2.8", token: TOKEN })).statusCode).to.equal(200);
    const refusals = lines.filter((l) => l.includes("metrics token refused"));
    expect(refusals).to.have.length(3);
    for (const line of refusals) expect(line).not.to.include("guess-");
  });

  it("serves the OpenAPI page with the service's headers, and documents its routes but not the operations routes", async function () {
    const { app } = await shell();
    const page = await app.inject({ method: "GET", url: "/docs/" });
    expect(page.statusCode).to.equal(200);
    expect(page.headers["x-content-type-options"]).to.equal("nosniff");
    await app.ready();
    const document = app.swagger() as { paths: Record<string, unknown>; info: { title: string } };
    expect(document.info.title).to.equal("shell test");
    expect(Object.keys(document.paths)).to.include("/v1/things/{id}");
    for (const hidden of ["/healthz", "/readyz", "/metrics"])
      expect(Object.keys(document.paths)).not.to.include(hidden);
  });

  it("logs one line per request: the route's pattern, status and time, never the URL; a bug's error besides", async function () {
    const { log, lines } = capturedLog({ level: "info" });
    const { app } = await shell({ logger: log });
    await app.inject({ method: "POST", url: "/v1/things/abc?note=13812345678", payload: { count: 2 } });
    await get(app, "/v1/nowhere/13812345678", { from: "192.0.2.9" });
    await get(app, "/v1/bug");
    const requests = lines().filter((l) => l.msg === "request");
    expect(requests.map((l) => [l.method, l.route, l.status])).to.deep.equal([
      ["POST", "/v1/things/:id", 200],
      ["GET", undefined, 404],
      ["GET", "/v1/bug", 500],
    ]);
    // no unmatchedUrl given: an unrouted request's line names no URL
    expect(requests[1]).to.include({ remoteAddress: "192.0.2.9" }).and.not.to.have.property("url");
    for (const line of requests) {
      expect(line.reqId).to.be.a("string");
      expect(line.responseTime).to.be.a("number").and.at.least(0);
    }
    expect(lines().map((l) => l.msg)).to.deep.equal(["request", "request", "unexpected error", "request"]);
    expect(lines()[2]!.reqId).to.equal(requests[2]!.reqId);
    expect(JSON.stringify(lines())).not.to.include("13812345678");
  });

  it("a request's own logger, made when first used, carries its reqId and the logger's redaction", async function () {
    const { log, lines } = capturedLog({ level: "info", redact: ["idNumber"] });
    const { app } = await shell({ logger: log });
    app.get("/v1/noted", async (request) => {
      request.log.warn({ idNumber: "110101199003071233" }, "noted");
      request.log.child({ step: 2 }).info("again");
      return {};
    });
    expect((await get(app, "/v1/noted")).statusCode).to.equal(200);
    const [noted, again, request] = lines();
    expect(noted).to.include({ msg: "noted", level: 40, idNumber: "[Redacted]" });
    expect(again).to.include({ msg: "again", step: 2 });
    expect(request).to.include({ msg: "request", route: "/v1/noted" });
    expect(noted!.reqId).to.be.a("string").and.equal(request!.reqId).and.equal(again!.reqId);
  });
  it("logs a connection it closes for a parser error, and one the client resets mid-body, with the error's code and no byte of the request", async function () {
    const { log, lines } = capturedLog({ level: "info" });
    const { app } = await shell({ logger: log });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as AddressInfo;
    try {
      // bytes that are no HTTP request: answered 400 and closed
      const answer = await new Promise<string>((resolve, reject) => {
        let text = "";
        const socket = connect(port, "127.0.0.1", () => socket.write("NOT-HTTP 13812345678\r\n\r\n"));
        socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
        socket.on("close", () => resolve(text));
        socket.on("error", reject);
      });
      expect(answer).to.match(/^HTTP\/1\.1 400 Bad Request\r\n/);
      // a POST reset while its body is half sent
      await new Promise<void>((resolve) => {
        const socket = connect(port, "127.0.0.1", () => {
          socket.write(
            'POST /v1/things/abc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"count":',
          );
          setTimeout(() => {
            socket.resetAndDestroy();
            resolve();
          }, 100);
        });
      });
      const deadline = Date.now() + 10_000;
      while (
        lines().filter((l) => l.msg === "connection reset by the client before the answer").length === 0
      ) {
        if (Date.now() > deadline) throw new Error(`no reset logged: ${JSON.stringify(lines())}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await app.close();
    }
    const closed = lines().find((l) => String(l.msg).startsWith("connection closed by the server"));
    expect(closed).to.include({
      level: 40,
      code: "HPE_INVALID_METHOD",
      status: 400,
      remoteAddress: "127.0.0.1",
    });
    const reset = lines().find((l) => l.msg === "connection reset by the client before the answer");
    expect(reset).to.include({ level: 40, code: "ECONNRESET" });
    expect(JSON.stringify(lines())).not.to.include("13812345678");
  });
});
