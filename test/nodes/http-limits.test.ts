// The node's HTTP surface: bodies over the limit get 413 NODE_ERR_BODY_TOO_LARGE, never a cut
// connection (over a real socket and through app.inject); POST /v1/reconciliations takes a larger
// body than the other routes; /metrics and /readyz can be restricted to a token and to addresses.
// The app runs over stub operations: these are properties of the HTTP layer, not of the ledger.
import { expect } from "chai";
import type { FastifyInstance } from "fastify";
import { connect, type Socket } from "node:net";
import { Readable } from "node:stream";
import pino from "pino";
import { nodeConfigFromEnv } from "../../nodes/src/config.ts";
import { NODE_ENV_EXAMPLE } from "../support/node-env.ts";
import { NODE_ERRORS } from "../../nodes/src/errors.ts";
import type { NodeDeps } from "../../nodes/src/http/app.ts";
import { DRAIN_BYTES } from "../../nodes/src/http/body.ts";
import { clerkNodeApp } from "../support/node-app.ts";
import { expectTokenRefusalsLogged } from "../support/captured-log.ts";

const MiB = 1024 * 1024;
const CLERK = { authorization: "Bearer clerk-token" };
const DAY = "2026-11-22";
const BOOKS_HEADER = "serial,loan_id,type,amount,value_date,account_masked\r\n";

async function appWith(extra: Partial<NodeDeps> = {}): Promise<FastifyInstance> {
  const ops = {
    reconciliation: {
      reconcile: async (_actor: unknown, _day: string, _books: Uint8Array, format: string) =>
        Buffer.from(format === "csv" ? "day\r\n" : '{"balanced":true}\n'),
    },
    credit: {
      recordConsent: async () => ({
        documentId: `0x${"dd".repeat(32)}`,
        letterDigest: `0x${"ee".repeat(32)}`,
        consent: { leafHash: `0x${"ff".repeat(32)}`, sequence: 1 },
      }),
    },
  };
  return clerkNodeApp(ops, { ready: () => ({ ready: true, detail: { indexer: "at block 7" } }), ...extra });
}

type Exchange = {
  responses: Array<{ status: number; headers: string; body: string }>;
  error: Error | undefined;
  wroteAll: boolean;
  closed: boolean;
};

/** The whole body was sent, without a socket error, and answered 413 with the route's limit of `limitBytes`. */
function expectReadThenTooLarge(result: Exchange, limitBytes: number): void {
  expect(result.error, String(result.error)).to.equal(undefined);
  expect(result.wroteAll, "the whole body was sent").to.equal(true);
  expect(result.responses[0]!.status).to.equal(413);
  expect(JSON.parse(result.responses[0]!.body)).to.deep.equal({
    error: {
      code: "NODE_ERR_BODY_TOO_LARGE",
      message: `the body is larger than this route accepts (${limitBytes} bytes)`,
      details: { limitBytes },
    },
  });
}

/**
 * Sends `head`, then `bodyBytes` bytes of `fill` (optionally chunked), then each of `then` on the
 * same connection once the previous answer is in; records what came back and any socket error.
 */
async function exchange(
  port: number,
  head: string,
  bodyBytes: number,
  options: { chunked?: boolean; then?: string[] } = {},
): Promise<Exchange> {
  const socket: Socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const result: Exchange = { responses: [], error: undefined, wroteAll: false, closed: false };
  let buffer = Buffer.alloc(0);
  let waiting: (() => void) | undefined;
  const parse = () => {
    for (;;) {
      const end = buffer.indexOf("\r\n\r\n");
      if (end === -1) return;
      const headers = buffer.subarray(0, end).toString("latin1");
      const length = Number(/content-length: (\d+)/i.exec(headers)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      result.responses.push({
        status: Number(headers.split(" ")[1]),
        headers,
        body: buffer.subarray(end + 4, end + 4 + length).toString("utf8"),
      });
      buffer = buffer.subarray(end + 4 + length);
      waiting?.();
    }
  };
  socket.on("data", (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    parse();
  });
  const ended = new Promise<void>((resolve) => {
    socket.on("error", (error) => {
      result.error = error;
      resolve();
    });
    socket.on("close", () => {
      result.closed = true;
      resolve();
    });
  });
  const write = async (data: Buffer | string): Promise<boolean> => {
    if (result.error !== undefined || result.closed) return false;
    if (socket.write(data)) return true;
    await Promise.race([new Promise((resolve) => socket.once("drain", resolve)), ended]);
    return result.error === undefined && !result.closed;
  };
  const answered = (n: number) =>
    Promise.race([
      new Promise<void>((resolve) => (waiting = () => result.responses.length >= n && resolve())),
      ended,
    ]);

  let ok = await write(head);
  const chunk = Buffer.alloc(64 * 1024, "a");
  for (let sent = 0; ok && sent < bodyBytes; sent += chunk.length) {
    const piece = chunk.subarray(0, Math.min(chunk.length, bodyBytes - sent));
    ok = await write(
      options.chunked === true
        ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")])
        : piece,
    );
  }
  if (ok && options.chunked === true) ok = await write("0\r\n\r\n");
  result.wroteAll = ok;
  if (result.responses.length < 1) await answered(1);
  for (const [i, request] of (options.then ?? []).entries()) {
    if (!(await write(request))) break;
    if (result.responses.length < i + 2) await answered(i + 2);
  }
  socket.end();
  await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 1000))]);
  socket.destroy();
  return result;
}

describe("node HTTP: body limits", function () {
  this.timeout(60_000);

  describe("over a real socket", function () {
    let app: FastifyInstance;
    let port: number;
    before(async function () {
      app = await appWith();
      await app.listen({ host: "127.0.0.1", port: 0 });
      port = (app.server.address() as { port: number }).port;
    });
    after(async () => app.close());

    it("a declared 20 MiB JSON body: 413 NODE_ERR_BODY_TOO_LARGE, the client sends it all, and the connection still serves the next request", async function () {
      const head = `POST /v1/consents HTTP/1.1\r\nHost: node\r\nAuthorization: Bearer clerk-token\r\nContent-Type: application/json\r\nContent-Length: ${20 * MiB}\r\n\r\n`;
      const result = await exchange(port, head, 20 * MiB, {
        then: ["GET /healthz HTTP/1.1\r\nHost: node\r\n\r\n"],
      });
      expectReadThenTooLarge(result, 16 * MiB);
      expect(result.responses[1]?.status, "the same connection answers the next request").to.equal(200);
    });

    it("a declared body beyond the drain allowance (limit + 64 MiB): answered 413 before any of it is read, then the connection closes", async function () {
      const head = `POST /v1/consents HTTP/1.1\r\nHost: node\r\nAuthorization: Bearer clerk-token\r\nContent-Type: application/json\r\nContent-Length: ${16 * MiB + DRAIN_BYTES + 1}\r\n\r\n`;
      const result = await exchange(port, head, 0);
      expect(result.responses[0]!.status).to.equal(413);
      expect(result.responses[0]!.headers.toLowerCase()).to.include("connection: close");
      expect((JSON.parse(result.responses[0]!.body) as { error: { code: string } }).error.code).to.equal(
        "NODE_ERR_BODY_TOO_LARGE",
      );
      expect(result.closed).to.equal(true);
    });

    it("a chunked 20 MiB body: read to its end, then 413 NODE_ERR_BODY_TOO_LARGE, no reset", async function () {
      const head =
        "POST /v1/consents HTTP/1.1\r\nHost: node\r\nAuthorization: Bearer clerk-token\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
      const result = await exchange(port, head, 20 * MiB, { chunked: true });
      expectReadThenTooLarge(result, 16 * MiB);
    });

    it("a 20 MiB books file is within the reconciliation route's own limit (32 MiB); 40 MiB is refused the same way", async function () {
      const head = (bytes: number) =>
        `POST /v1/reconciliations?day=${DAY} HTTP/1.1\r\nHost: node\r\nAuthorization: Bearer clerk-token\r\nContent-Type: text/csv\r\nContent-Length: ${bytes}\r\n\r\n`;
      const within = await exchange(port, head(20 * MiB), 20 * MiB);
      expect(within.error, String(within.error)).to.equal(undefined);
      expect(within.responses[0]!.status, within.responses[0]!.body).to.equal(200);
      expectReadThenTooLarge(await exchange(port, head(40 * MiB), 40 * MiB), 32 * MiB);
    });
  });

  describe("through app.inject, with configured limits", function () {
    let app: FastifyInstance;
    before(async () => {
      app = await appWith({ limits: { maxBodyBytes: 64 * 1024, reconcileMaxBodyBytes: 256 * 1024 } });
    });
    after(async () => app.close());

    it("413 with the catalogue's code for a declared and for a streamed body; the route-specific limit holds", async function () {
      expect(NODE_ERRORS.NODE_ERR_BODY_TOO_LARGE).to.equal(413);
      const declared = await app.inject({
        method: "POST",
        url: "/v1/consents",
        headers: { ...CLERK, "content-type": "application/json" },
        payload: JSON.stringify({ letterBase64: "A".repeat(100 * 1024) }),
      });
      expect(declared.statusCode).to.equal(413);
      expect(declared.json()).to.deep.include({
        error: {
          code: "NODE_ERR_BODY_TOO_LARGE",
          message: "the body is larger than this route accepts (65536 bytes)",
          details: { limitBytes: 65536 },
        },
      });
      // no Content-Length: the limit is enforced while reading
      const streamed = await app.inject({
        method: "POST",
        url: "/v1/consents",
        headers: { ...CLERK, "content-type": "application/json" },
        payload: Readable.from([Buffer.alloc(50 * 1024, " "), Buffer.alloc(50 * 1024, " ")]),
      });
      expect(streamed.statusCode).to.equal(413);
      expect((streamed.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_BODY_TOO_LARGE");
      const csv = (bytes: number) => BOOKS_HEADER + "\r\n".repeat((bytes - BOOKS_HEADER.length) / 2);
      const books = await app.inject({
        method: "POST",
        url: `/v1/reconciliations?day=${DAY}`,
        headers: { ...CLERK, "content-type": "text/csv" },
        payload: csv(200 * 1024),
      });
      expect(books.statusCode, books.body).to.equal(200);
      const tooMany = await app.inject({
        method: "POST",
        url: `/v1/reconciliations?day=${DAY}`,
        headers: { ...CLERK, "content-type": "text/csv" },
        payload: csv(300 * 1024),
      });
      expect(tooMany.statusCode).to.equal(413);
      expect((tooMany.json() as { error: { details: unknown } }).error.details).to.deep.equal({
        limitBytes: 256 * 1024,
      });
      // under the limit nothing changes
      const small = await app.inject({
        method: "POST",
        url: "/v1/consents",
        headers: { ...CLERK, "content-type": "application/json" },
        payload: "{}",
      });
      expect(small.statusCode, small.body).to.not.equal(413);
    });
  });
});

describe("node HTTP: /metrics and /readyz access", function () {
  const TOKEN = "metrics-token-0123456789";
  const get = (app: FastifyInstance, url: string, options: { token?: string; from?: string } = {}) =>
    app.inject({
      method: "GET",
      url,
      remoteAddress: options.from ?? "127.0.0.1",
      headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
    });

  it("open by default (local development)", async function () {
    const app = await appWith();
    for (const url of ["/metrics", "/readyz", "/healthz"])
      expect((await get(app, url, { from: "203.0.113.9" })).statusCode, url).to.equal(200);
    await app.close();
  });

  it("NODE_METRICS_TOKEN: 401 NODE_ERR_OPS_UNAUTHORIZED without it or with another; /healthz stays open", async function () {
    const app = await appWith({ opsAccess: { token: TOKEN } });
    for (const url of ["/metrics", "/readyz"]) {
      for (const token of [undefined, "wrong", `${TOKEN}x`]) {
        const reply = await get(app, url, token === undefined ? {} : { token });
        expect(reply.statusCode, `${url} ${token}`).to.equal(401);
        expect(reply.json()).to.deep.include({
          error: {
            code: "NODE_ERR_OPS_UNAUTHORIZED",
            message: `${url} needs Authorization: Bearer with the configured metrics token`,
          },
        });
        expect(reply.headers["www-authenticate"]).to.equal('Bearer realm="node-ops"');
        expect(reply.body).to.not.include("node_outbox_entries").and.not.include("block 7");
      }
      expect((await get(app, url, { token: TOKEN })).statusCode).to.equal(200);
    }
    expect((await get(app, "/metrics", { token: TOKEN })).body).to.include("node_outbox_entries");
    expect((await get(app, "/healthz")).statusCode).to.equal(200);
    await app.close();
  });

  it("refused metrics tokens count per address with refused API tokens: after 10, 429 NODE_ERR_AUTH_RATE_LIMITED (Retry-After) even with the right token; logged without the token", async function () {
    const lines: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
    const app = await appWith({ opsAccess: { token: TOKEN }, logger });
    const guess = (i: number) => `guess-${i}-metrics`;
    // no header is no guess: not counted
    for (let i = 0; i < 12; i++)
      expect((await get(app, "/metrics", { from: "192.0.2.60" })).statusCode).to.equal(401);
    for (let i = 0; i < 9; i++) {
      const reply = await get(app, i % 2 === 0 ? "/metrics" : "/readyz", {
        from: "192.0.2.60",
        token: guess(i),
      });
      expect((reply.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_OPS_UNAUTHORIZED");
    }
    // a refused API token from the same address is the tenth guess: one budget per address
    const api = await app.inject({
      method: "GET",
      url: "/v1/loans",
      remoteAddress: "192.0.2.60",
      headers: { authorization: `Bearer ${guess(9)}` },
    });
    expect((api.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_AUTH");
    for (const token of [TOKEN, guess(10)]) {
      const limited = await get(app, "/metrics", { from: "192.0.2.60", token });
      expect(limited.statusCode, limited.body).to.equal(429);
      expect((limited.json() as { error: { code: string } }).error.code).to.equal(
        "NODE_ERR_AUTH_RATE_LIMITED",
      );
      expect(Number(limited.headers["retry-after"])).to.be.within(1, 60);
    }
    expect((await get(app, "/metrics", { from: "192.0.2.61", token: TOKEN })).statusCode).to.equal(200);
    expectTokenRefusalsLogged(
      lines,
      9,
      { sourceIp: "192.0.2.60", failures: 9, limit: 10 },
      { guesses: Array.from({ length: 11 }, (_, i) => guess(i)), token: TOKEN },
    );
    await app.close();
  });

  it("NODE_METRICS_ALLOWED_ADDRESSES: 403 NODE_ERR_OPS_FORBIDDEN from elsewhere (IPv4, mapped IPv4, IPv6 blocks); with a token too, both must hold", async function () {
    const app = await appWith({ opsAccess: { allowedAddresses: ["10.0.0.0/8", "::1", "fd00::/8"] } });
    for (const from of ["10.1.2.3", "::ffff:10.1.2.3", "::1", "fd00::5"])
      expect((await get(app, "/metrics", { from })).statusCode, from).to.equal(200);
    for (const from of ["127.0.0.1", "192.168.1.1", "::ffff:192.168.1.1", "2001:db8::1"]) {
      const reply = await get(app, "/readyz", { from });
      expect(reply.statusCode, from).to.equal(403);
      expect((reply.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_OPS_FORBIDDEN");
    }
    await app.close();
    const both = await appWith({ opsAccess: { allowedAddresses: ["10.0.0.0/8"], token: TOKEN } });
    expect((await get(both, "/metrics", { from: "10.0.0.1", token: TOKEN })).statusCode).to.equal(200);
    expect((await get(both, "/metrics", { from: "10.0.0.1" })).statusCode).to.equal(401);
    expect((await get(both, "/metrics", { from: "192.168.0.1", token: TOKEN })).statusCode).to.equal(403);
    await both.close();
  });

  it("the configuration: NODE_METRICS_TOKEN of 16+ characters, addresses or CIDR blocks, body limits", function () {
    const env = NODE_ENV_EXAMPLE;
    const defaults = nodeConfigFromEnv(env);
    expect(defaults).to.include({ maxBodyBytes: 16 * MiB, reconcileMaxBodyBytes: 32 * MiB });
    expect([defaults.metricsToken, defaults.metricsAllowedAddresses]).to.deep.equal([undefined, undefined]);
    const set = nodeConfigFromEnv({
      ...env,
      NODE_METRICS_TOKEN: TOKEN,
      NODE_METRICS_ALLOWED_ADDRESSES: "10.0.0.0/8, ::1",
      NODE_RECONCILE_MAX_BODY_BYTES: String(64 * MiB),
    });
    expect(set).to.deep.include({
      metricsToken: TOKEN,
      metricsAllowedAddresses: ["10.0.0.0/8", "::1"],
      reconcileMaxBodyBytes: 64 * MiB,
    });
    expect(() => nodeConfigFromEnv({ ...env, NODE_METRICS_TOKEN: "short" })).to.throw(/NODE_METRICS_TOKEN/);
    expect(() => nodeConfigFromEnv({ ...env, NODE_METRICS_ALLOWED_ADDRESSES: "10.0.0.0/33" })).to.throw(
      /NODE_METRICS_ALLOWED_ADDRESSES/,
    );
    expect(() => nodeConfigFromEnv({ ...env, NODE_METRICS_ALLOWED_ADDRESSES: "example.org" })).to.throw(
      /NODE_METRICS_ALLOWED_ADDRESSES/,
    );
  });
});
