// The anchor service's intake guards and HTTP surface, over a real socket where the socket is
// the point: the signature headers (form, expiry, named signer's membership) are checked before
// the body is read or parsed; duplicate JSON keys are refused; a body over the limit gets a 413
// with a catalogued code and the connection is not cut; the QR code's address does not come from
// the Host header; /docs carries the page's security headers; /metrics and /readyz can be closed.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import net from "node:net";
import type { Wallet } from "ethers";
import QRCode from "qrcode";
import type { SignOptions } from "../../common/auth/request-signing.ts";
import { requestDomain, signRequest } from "../../common/auth/request-signing.ts";
import { ANCHOR_ERRORS } from "../../anchor-service/src/errors.ts";
import { DOCS_CSP } from "../../anchor-service/src/http/security-headers.ts";
import { createAnchorService } from "../../anchor-service/src/service.ts";
import { anchorServiceSuite, systemNow } from "../support/anchor-suite.ts";
import { recordFor } from "../support/consortium-chain.ts";

const MAX_BODY = 64 * 1024;
type Snapshot = { size: number; records: number; nonces: number };

/** One raw HTTP/1.1 exchange: what the server answered and whether the socket failed while we sent. */
type RawReply = {
  status: number;
  headers: Record<string, string>;
  body: string;
  socketError: string | undefined;
  closed: boolean;
};

describe("anchor intake guards and HTTP surface (real socket)", function () {
  this.timeout(120_000);
  const suite = anchorServiceSuite({
    config: { commitLeaves: 1_000_000, maxBodyBytes: MAX_BODY, membershipCacheMs: 600_000 },
    listen: true,
  });

  const domain = () =>
    requestDomain(suite.chain.chainId, suite.chain.deployment.addresses.consortiumRegistry);
  const sign = async (
    signer: Wallet,
    body: string | Uint8Array,
    options: SignOptions & { path?: string } = {},
  ) => {
    const { path = "/v1/leaves", ...rest } = options;
    const submission =
      path === "/v1/leaves"
        ? await suite.chain.submission(
            signer,
            typeof body === "string" ? body : Buffer.from(body).toString("utf8"),
          )
        : {};
    return { ...(await signRequest(signer, domain(), { method: "POST", path, body }, rest)), ...submission };
  };
  const records = (n: number, prefix: string) =>
    Array.from({ length: n }, (_, i) => recordFor(`${prefix} ${i} ${randomBytes(8).toString("hex")}`));

  async function countKeys(sublevel: { keys(): AsyncIterable<unknown> }): Promise<number> {
    let n = 0;
    for await (const _ of sublevel.keys()) n++;
    return n;
  }
  const snapshot = async (): Promise<Snapshot> => ({
    size: suite.service.merkle.size,
    records: await suite.service.records.count(),
    nonces: await countKeys(suite.service.db.nonces),
  });

  /** `exchange` over a fresh connection to the service, closed after it. */
  async function withSocket(exchange: (socket: net.Socket) => Promise<void>): Promise<void> {
    const socket = await connect();
    try {
      await exchange(socket);
    } finally {
      socket.destroy();
    }
  }

  /** POST of `payload` as JSON to `url` (default /v1/leaves) through inject, with `headers` (a signature, or none). */
  const postJson = (payload: string, headers: Record<string, string>, url = "/v1/leaves") =>
    suite.service.app.inject({
      method: "POST",
      url,
      payload,
      headers: { "content-type": "application/json", ...headers },
    });

  function expectCode(
    status: number,
    body: string,
    expectedStatus: number,
    code: keyof typeof ANCHOR_ERRORS,
  ): void {
    expect(status, body.slice(0, 300)).to.equal(expectedStatus);
    expect(ANCHOR_ERRORS[code]).to.equal(expectedStatus);
    expect((JSON.parse(body) as { error: { code: string } }).error.code, body.slice(0, 300)).to.equal(code);
  }

  /**
   * Sends `head` (request line and headers, without the blank line) and then `body` in 16 KiB
   * writes, or chunked; reads one response. `stopAfter`: send only that many body bytes and wait
   * for the answer (a server that waits for the rest never answers: the read times out).
   */
  function rawExchange(
    socket: net.Socket,
    head: string,
    body: Buffer,
    options: { chunked?: boolean; stopAfter?: number; timeoutMs?: number } = {},
  ): Promise<RawReply> {
    return new Promise((resolve) => {
      let received = Buffer.alloc(0);
      let socketError: string | undefined;
      let closed = false;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.removeListener("data", onData);
        const text = received.toString("latin1");
        const end = text.indexOf("\r\n\r\n");
        const [statusLine, ...lines] = (end < 0 ? text : text.slice(0, end)).split("\r\n");
        const headers: Record<string, string> = {};
        for (const l of lines) {
          const colon = l.indexOf(":");
          if (colon > 0) headers[l.slice(0, colon).trim().toLowerCase()] = l.slice(colon + 1).trim();
        }
        let payload = end < 0 ? "" : received.subarray(end + 4).toString("utf8");
        if (headers["transfer-encoding"] === "chunked") payload = dechunk(payload);
        resolve({
          status: Number(statusLine?.split(" ")[1] ?? 0),
          headers,
          body: payload,
          socketError,
          closed,
        });
      };
      const complete = () => {
        const text = received.toString("latin1");
        const end = text.indexOf("\r\n\r\n");
        if (end < 0) return false;
        const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end + 2))?.[1];
        if (length !== undefined) return received.length >= end + 4 + Number(length);
        return text.endsWith("\r\n0\r\n\r\n");
      };
      const onData = (d: Buffer) => {
        received = Buffer.concat([received, d]);
        if (complete()) finish();
      };
      socket.on("data", onData);
      socket.once("error", (e: NodeJS.ErrnoException) => (socketError = e.code ?? e.message));
      socket.once("close", () => {
        closed = true;
        finish();
      });
      const timer = setTimeout(finish, options.timeoutMs ?? 5_000);
      const chunked = options.chunked === true;
      socket.write(
        `${head}\r\n${chunked ? "transfer-encoding: chunked" : `content-length: ${body.length}`}\r\n\r\n`,
      );
      const upTo = Math.min(body.length, options.stopAfter ?? body.length);
      let at = 0;
      const writeNext = () => {
        while (at < upTo && !socket.destroyed) {
          const piece = body.subarray(at, Math.min(upTo, at + 16 * 1024));
          at += piece.length;
          const ok = socket.write(
            chunked
              ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")])
              : piece,
          );
          if (!ok) return void socket.once("drain", writeNext);
        }
        if (chunked && at === body.length && !socket.destroyed) socket.write("0\r\n\r\n");
      };
      writeNext();
    });
  }

  function dechunk(text: string): string {
    let out = "";
    let rest = text;
    for (;;) {
      const line = rest.indexOf("\r\n");
      if (line < 0) return out;
      const size = parseInt(rest.slice(0, line), 16);
      if (!(size > 0)) return out;
      out += rest.slice(line + 2, line + 2 + size);
      rest = rest.slice(line + 2 + size + 2);
    }
  }

  const connect = (): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const s = net.connect(suite.port, "127.0.0.1", () => resolve(s));
      s.once("error", reject);
    });

  const headText = (path: string, headers: Record<string, string>) =>
    [
      `POST ${path} HTTP/1.1`,
      "host: 127.0.0.1",
      "content-type: application/json",
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ].join("\r\n");

  describe("signature headers before the body", function () {
    // a body of nearly the limit is declared; only 1 KiB of it is sent
    const declared = Buffer.alloc(MAX_BODY - 2_048, 0x20);

    it("refuses a non-member, malformed headers and an expired request from the headers alone: no body byte needs to arrive", async function () {
      const body = Buffer.from(JSON.stringify({ records: records(1, "never read") }));
      const t = systemNow();
      const cases: Array<[string, Record<string, string>, number, keyof typeof ANCHOR_ERRORS]> = [
        ["a non-member", await sign(suite.chain.wallets.outsider, body), 403, "ANCHOR_ERR_NOT_MEMBER"],
        [
          "a malformed signer",
          { ...(await sign(suite.chain.wallets.branchA, body)), "x-jl-signer": "0x1234" },
          401,
          "ANCHOR_ERR_AUTH_INVALID",
        ],
        ["no auth headers", {}, 401, "ANCHOR_ERR_AUTH_MISSING"],
        [
          "an expired request",
          await sign(suite.chain.wallets.branchA, body, { now: t - 100, expiresAt: t - 10 }),
          401,
          "ANCHOR_ERR_AUTH_EXPIRED",
        ],
      ];
      const before = await snapshot();
      for (const [what, headers, status, code] of cases) {
        await withSocket(async (socket) => {
          // a server that read the body first would wait for the rest of it and never answer
          const reply = await rawExchange(
            socket,
            headText("/v1/leaves", headers),
            Buffer.concat([body, declared]),
            { stopAfter: 1024, timeoutMs: 3_000 },
          );
          expect(reply.status, `${what}: answered before the body arrived`).to.not.equal(0);
          expectCode(reply.status, reply.body, status, code);
        });
      }
      // a larger body (here chunked, of unknown length) is not read at all: the connection closes after the answer
      await withSocket(async (socket) => {
        const reply = await rawExchange(
          socket,
          headText("/v1/leaves", await sign(suite.chain.wallets.outsider, body)),
          Buffer.concat([body, declared]),
          { chunked: true, stopAfter: 1024, timeoutMs: 3_000 },
        );
        expectCode(reply.status, reply.body, 403, "ANCHOR_ERR_NOT_MEMBER");
        expect(reply.headers.connection).to.equal("close");
      });
      expect(await snapshot()).to.deep.equal(before);
    });

    it("checks a member's signature before parsing: a bad signature over malformed JSON is 401, not 400", async function () {
      const malformed = '{"records": [{"kind": 1,';
      const headers = await sign(
        suite.chain.wallets.branchA,
        JSON.stringify({ records: records(1, "the signed body") }),
      );
      const before = await snapshot();
      const reply = await postJson(malformed, headers);
      expectCode(reply.statusCode, reply.body, 401, "ANCHOR_ERR_AUTH_INVALID");
      // signed correctly, the same body is malformed JSON
      const signed = await postJson(malformed, await sign(suite.chain.wallets.branchA, malformed));
      expectCode(signed.statusCode, signed.body, 400, "ANCHOR_ERR_BAD_JSON");
      expect(await snapshot()).to.deep.equal(before);
    });

    it("a member's request without a body is checked against the signature of no bytes", async function () {
      const reply = await suite.service.app.inject({
        method: "POST",
        url: "/v1/leaves",
        headers: await sign(suite.chain.wallets.branchA, ""),
      });
      expectCode(reply.statusCode, reply.body, 400, "ANCHOR_ERR_VALIDATION");
      const forged = await suite.service.app.inject({
        method: "POST",
        url: "/v1/leaves",
        headers: await sign(suite.chain.wallets.branchA, "{}"),
      });
      expectCode(forged.statusCode, forged.body, 401, "ANCHOR_ERR_AUTH_INVALID");
    });
  });

  describe("duplicate JSON keys", function () {
    const inject = async (body: string, url = "/v1/leaves", signed = true) =>
      postJson(body, signed ? await sign(suite.chain.wallets.branchA, body) : {}, url);

    it("ANCHOR_ERR_DUPLICATE_KEY for a record naming a field twice, records twice or a key spelt with an escape; nothing stored", async function () {
      const [r, s] = records(2, "duplicate");
      const fields = (x: typeof r) =>
        `"digestAlgorithm":${x!.digestAlgorithm},"digest":"${x!.digest}","salt":"${x!.salt}","subject":"${x!.subject}"`;
      const bodies: Array<[string, string]> = [
        // JSON.parse keeps the last: this would be stored as kind 1
        [`{"records":[{"kind":7,"kind":1,${fields(r)}}]}`, "records[0].kind"],
        [`{"records":[{"kind":1,${fields(r)},"digest":"${s!.digest}"}]}`, "records[0].digest"],
        [`{"records":[{"kind":1,${fields(r)}}],"records":[{"kind":1,${fields(s)}}]}`, "records"],
        [`{"records":[{"kind":1,${fields(r)}},{"kind":2,"kin\\u0064":3,${fields(s)}}]}`, "records[1].kind"],
        [
          `{ "records" : [ { "kind" : 1 , ${fields(r)} , "subject" : "${s!.subject}" } ] }`,
          "records[0].subject",
        ],
      ];
      const before = await snapshot();
      for (const [body, path] of bodies) {
        const reply = await inject(body);
        expectCode(reply.statusCode, reply.body, 400, "ANCHOR_ERR_DUPLICATE_KEY");
        expect((reply.json() as { error: { details: { path: string } } }).error.details.path).to.equal(path);
      }
      expect(await snapshot()).to.deep.equal(before);
      // the same records, each key once, are accepted
      const ok = await inject(`{"records":[{"kind":1,${fields(r)}}]}`);
      expect(ok.statusCode, ok.body).to.equal(200);
    });

    it("POST /v1/verify refuses a bundle with a duplicate key too (two readers must not see two bundles)", async function () {
      const reply = await inject('{"bundle":{"version":1,"version":2}}', "/v1/verify", false);
      expectCode(reply.statusCode, reply.body, 400, "ANCHOR_ERR_DUPLICATE_KEY");
    });
  });

  describe("bodies over the limit: 413 on a connection that stays usable", function () {
    const oversize = () =>
      Buffer.from(JSON.stringify({ records: records(Math.ceil((4 * MAX_BODY) / 250), "oversize") }));

    it("a declared Content-Length over the limit: 413 ANCHOR_ERR_BODY_TOO_LARGE, the whole body sent without error, the connection kept", async function () {
      const body = oversize();
      expect(body.length).to.be.greaterThan(MAX_BODY);
      const before = await snapshot();
      for (const [path, headers] of [
        ["/v1/leaves", await sign(suite.chain.wallets.branchA, body)],
        ["/v1/verify", {}],
      ] as const) {
        await withSocket(async (socket) => {
          const reply = await rawExchange(socket, headText(path, headers), body);
          expect(reply.socketError, `${path}: the connection was cut`).to.equal(undefined);
          expectCode(reply.status, reply.body, 413, "ANCHOR_ERR_BODY_TOO_LARGE");
          // the same connection answers the next request
          const next = await rawExchange(socket, headText("/v1/verify", {}), Buffer.from("{}"));
          expect(next.socketError).to.equal(undefined);
          expectCode(next.status, next.body, 400, "ANCHOR_ERR_VALIDATION");
        });
      }
      expect(await snapshot()).to.deep.equal(before);
    });

    it("a non-member's body over the limit is refused from its headers (403) and left unread, not drained for a 413", async function () {
      const body = oversize();
      await withSocket(async (socket) => {
        const reply = await rawExchange(
          socket,
          headText("/v1/leaves", await sign(suite.chain.wallets.outsider, body)),
          body,
          { stopAfter: 1024, timeoutMs: 3_000 },
        );
        expectCode(reply.status, reply.body, 403, "ANCHOR_ERR_NOT_MEMBER");
        expect(reply.headers.connection).to.equal("close");
      });
    });

    it("a chunked body that grows past the limit: 413 after it is read, never a reset; the submit route keeps the connection", async function () {
      const body = oversize();
      const before = await snapshot();
      await withSocket(async (socket) => {
        const reply = await rawExchange(
          socket,
          headText("/v1/leaves", await sign(suite.chain.wallets.branchA, body)),
          body,
          { chunked: true },
        );
        expect(reply.socketError, "the connection was cut").to.equal(undefined);
        expectCode(reply.status, reply.body, 413, "ANCHOR_ERR_BODY_TOO_LARGE");
        const next = await rawExchange(socket, headText("/v1/verify", {}), Buffer.from("{}"));
        expectCode(next.status, next.body, 400, "ANCHOR_ERR_VALIDATION");
      });
      await withSocket(async (other) => {
        const reply = await rawExchange(other, headText("/v1/verify", {}), body, { chunked: true });
        expect(reply.socketError, "the connection was cut").to.equal(undefined);
        expectCode(reply.status, reply.body, 413, "ANCHOR_ERR_BODY_TOO_LARGE");
      });
      expect(await snapshot()).to.deep.equal(before);
    });
  });

  describe("HTTP surface", function () {
    it("the QR code and /v1/info lead to the configured address (here the listen address), whatever Host the request names", async function () {
      const leaf = `0x${"ab".repeat(32)}`;
      const info = (
        await suite.service.app.inject({ method: "GET", url: "/v1/info", headers: { host: "evil.example" } })
      ).json() as { publicUrl: string };
      const config = suite.chain.config({ dataDir: "unused" });
      expect(info.publicUrl).to.equal(`http://${config.host}:${config.port}`);
      const expected = await QRCode.toString(`${info.publicUrl}/verify?leaf=${leaf}`, {
        type: "svg",
        errorCorrectionLevel: "M",
        margin: 2,
      });
      for (const host of ["evil.example", "127.0.0.1:1", "[::1]:80"]) {
        const reply = await suite.service.app.inject({
          method: "GET",
          url: `/verify/qr.svg?leaf=${leaf}`,
          headers: { host },
        });
        expect(reply.statusCode).to.equal(200);
        expect(reply.body, `Host ${host}`).to.equal(expected);
      }
    });

    it("/docs carries the verification page's security headers (its CSP with data: images for Swagger UI's icons)", async function () {
      const page = await suite.service.app.inject({ method: "GET", url: "/verify" });
      const directives = (csp: string) =>
        new Map(
          csp
            .split(";")
            .map((d) => d.trim().split(/\s+/))
            .map(([name, ...values]) => [name!, values.join(" ")]),
        );
      for (const url of [
        "/docs",
        "/docs/",
        "/docs/json",
        "/docs/static/index.html",
        "/docs/static/swagger-ui.css",
      ]) {
        const docs = await suite.service.app.inject({ method: "GET", url });
        expect(docs.statusCode, url).to.be.oneOf([200, 302]);
        expect(docs.headers["content-security-policy"], url).to.equal(DOCS_CSP);
        for (const name of ["x-content-type-options", "referrer-policy"])
          expect(docs.headers[name], `${url} ${name}`).to.equal(page.headers[name]);
        const mine = directives(DOCS_CSP);
        const theirs = directives(String(page.headers["content-security-policy"]));
        for (const [name, value] of theirs)
          expect(mine.get(name), `${url} ${name}`).to.equal(name === "img-src" ? `${value} data:` : value);
        expect([...mine.keys()].sort()).to.deep.equal([...theirs.keys()].sort());
      }
    });

    it("/metrics and /readyz: open by default; with a token or an address list, refused without (401/403 with codes), /healthz stays open", async function () {
      expect((await suite.service.app.inject({ method: "GET", url: "/metrics" })).statusCode).to.equal(200);
      const token = randomBytes(24).toString("hex");
      const closed = await createAnchorService({
        config: suite.chain.config({
          dataDir: "unused",
          metricsToken: token,
          metricsAllowedAddresses: "10.0.0.0/8, ::1" as never,
        }),
        inMemory: true,
        logger: false,
      });
      try {
        await closed.committer.sync();
        const from =
          (remoteAddress: string, headers: Record<string, string> = {}) =>
          async (url: string) =>
            closed.app.inject({ method: "GET", url, remoteAddress, headers });
        for (const url of ["/metrics", "/readyz"]) {
          const outside = await from("192.0.2.7", { authorization: `Bearer ${token}` })(url);
          expectCode(outside.statusCode, outside.body, 403, "ANCHOR_ERR_OPS_FORBIDDEN");
          const noToken = await from("10.1.2.3")(url);
          expectCode(noToken.statusCode, noToken.body, 401, "ANCHOR_ERR_OPS_UNAUTHORIZED");
          expect(noToken.headers["www-authenticate"]).to.match(/^Bearer/);
          const wrong = await from("10.1.2.3", { authorization: `Bearer ${token.slice(1)}x` })(url);
          expectCode(wrong.statusCode, wrong.body, 401, "ANCHOR_ERR_OPS_UNAUTHORIZED");
          expect(
            (await from("10.1.2.3", { authorization: `Bearer ${token}` })(url)).statusCode,
            url,
          ).to.equal(200);
          expect((await from("::1", { authorization: `Bearer ${token}` })(url)).statusCode, url).to.equal(
            200,
          );
          expect(
            (await from("::ffff:10.9.9.9", { authorization: `Bearer ${token}` })(url)).statusCode,
            url,
          ).to.equal(200);
        }
        expect((await from("192.0.2.7")("/healthz")).statusCode).to.equal(200);
      } finally {
        await closed.close();
      }
    });
  });
});
