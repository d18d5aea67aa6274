// Personal data in a request's URL never reaches the request log: an ID number and a phone typed
// into GET /v1/documents/:id?purpose= were logged in full by Fastify's "incoming request" line.
// The one line per request (common/service/request-log.ts) names the route's pattern, never the
// URL; a URL no route matched goes through redactUrl; the lines are captured from a real pino
// stream built with the node's logger options (PII_LOG_OPTIONS, as server.ts builds it). The line
// names the caller: a staff user's member and role, another member's node once its signature
// verified (a member only named in a request's headers is not its caller).
import { expect } from "chai";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { AuthError } from "../../../common/auth/request-signing.ts";
import { nodeError } from "../../../nodes/src/errors.ts";
import { PII_LOG_OPTIONS, redactUrl } from "../../../nodes/src/privacy/mask.ts";
import { capturedLog } from "../../support/captured-log.ts";
import { clerkNodeApp } from "../../support/node-app.ts";

const ID_NUMBER = "110101199003071233";
const PHONE = "13812345678";
const CARD = "6222021234567890123";
const DOCUMENT = `0x${"3c".repeat(32)}`;

const capture = () => capturedLog({ level: "info", ...PII_LOG_OPTIONS });

async function appWith(log: pino.Logger): Promise<FastifyInstance> {
  const ops = { documents: { document: async () => new Uint8Array([1, 2, 3]) } };
  return clerkNodeApp(ops, { logger: log });
}

describe("nodes/privacy: no personal data in request logs", function () {
  it("an ID number and a phone in ?purpose= never reach the request log: its line names the route's pattern", async function () {
    const { log, raw, lines } = capture();
    const app = await appWith(log);
    try {
      const purpose = `借款人 ${ID_NUMBER} 电话 ${PHONE} 复核`;
      const reply = await app.inject({
        method: "GET",
        url: `/v1/documents/${DOCUMENT}?purpose=${encodeURIComponent(purpose)}`,
        headers: { authorization: "Bearer clerk-token" },
      });
      expect(reply.statusCode).to.equal(200);
      // the same data as separate parameters, percent-encoded digits, and in a path
      await app.inject({
        method: "GET",
        url: `/v1/documents/${DOCUMENT}?idNumber=${ID_NUMBER}&phone=${PHONE}&card=${CARD}`,
        headers: { authorization: "Bearer clerk-token" },
      });
      await app.inject({
        method: "GET",
        url: `/v1/documents/${DOCUMENT}?purpose=${[...ID_NUMBER].map((c) => `%3${c}`).join("")}+${PHONE}`,
        headers: { authorization: "Bearer clerk-token" },
      });
      await app.inject({ method: "GET", url: `/v1/applications/${ID_NUMBER}/${PHONE}` });
    } finally {
      await app.close();
    }
    const text = raw();
    for (const secret of [ID_NUMBER, PHONE, CARD, encodeURIComponent(`借款人 ${ID_NUMBER}`)])
      expect(text.includes(secret), secret).to.equal(false);
    const requests = lines().filter((l) => l.msg === "request");
    expect(requests).to.have.length(4);
    const pattern = "/v1/documents/:documentId";
    expect(requests.map((l) => l.route)).to.deep.equal([pattern, pattern, pattern, undefined]);
    expect(requests.slice(0, 3).map((l) => l.url)).to.deep.equal([undefined, undefined, undefined]);
    // no route matched: the URL, masked
    expect(requests[3]!.url).to.equal("/v1/applications/110***********1233/138****5678");
    expect(requests[0]).to.include({
      method: "GET",
      status: 200,
      member: 2,
      role: "clerk",
      remoteAddress: "127.0.0.1",
    });
    expect(requests[3]).to.include({ status: 404 }).and.not.to.have.property("role");
    // Fastify's own two lines per request are gone
    expect(lines().filter((l) => l.msg !== "request")).to.deep.equal([]);
  });

  it("personal data in a request's URL, headers and body leaves none in its line", async function () {
    const { log, raw, lines } = capture();
    const app = await appWith(log);
    const secrets = [ID_NUMBER, PHONE, CARD, "欧阳娜娜", "中关村"];
    try {
      const reply = await app.inject({
        method: "POST",
        // a path parameter redactUrl could not mask (a name)
        url: `/v1/applications/${encodeURIComponent("欧阳娜娜")}?idNumber=${ID_NUMBER}`,
        headers: {
          authorization: "Bearer clerk-token",
          "content-type": "application/json",
          "user-agent": `desk ${PHONE}`,
          referer: `https://desk.example/?card=${CARD}`,
          "x-borrower": ID_NUMBER,
        },
        payload: JSON.stringify({
          applicant: {
            name: "欧阳娜娜",
            idNumber: ID_NUMBER,
            phone: PHONE,
            address: "北京市海淀区中关村大街1号",
          },
          account: CARD,
        }),
      });
      expect(reply.statusCode).to.equal(400);
    } finally {
      await app.close();
    }
    const text = raw();
    for (const secret of [...secrets, ...secrets.map(encodeURIComponent)])
      expect(text.includes(secret), secret).to.equal(false);
    const [line, ...others] = lines();
    expect(others).to.deep.equal([]);
    expect(Object.keys(line!).sort()).to.deep.equal(
      [
        "hostname",
        "level",
        "member",
        "method",
        "msg",
        "pid",
        "remoteAddress",
        "reqId",
        "responseTime",
        "role",
        "route",
        "status",
        "time",
      ].sort(),
    );
    expect(line).to.include({
      method: "POST",
      route: "/v1/applications/:channel",
      status: 400,
      member: 2,
      role: "clerk",
      remoteAddress: "127.0.0.1",
    });
  });

  it("a signed node-to-node request names its member as the caller once its signature verified, not when it failed", async function () {
    const { log, lines } = capture();
    const court = 5;
    // the headers name member 5 (step 1); the signature over the body holds only for a "good" signature header
    const requests = {
      signedHeaders: async (request: { headers: Record<string, unknown> }) => ({
        pending: {},
        kind: 4,
        memberId: court,
        bodyVerified: false,
        good: request.headers["x-test-signature"] === "good",
      }),
      signedBody: (headers: { good: boolean; bodyVerified: boolean }) => {
        if (!headers.good)
          throw new AuthError("AUTH_BAD_SIGNATURE", "the signature is not the named signer's");
        headers.bodyVerified = true;
      },
    };
    const app = await clerkNodeApp(
      { requests },
      {
        logger: log,
        cases: {
          evidenceSet: async () => {
            throw nodeError("NODE_ERR_NOT_FOUND", "no case for this loan");
          },
        } as never,
      },
    );
    const url = `/v1/cases/${DOCUMENT}/evidence-set`;
    try {
      const verified = await app.inject({ url, headers: { "x-test-signature": "good" } });
      expect(verified.statusCode).to.equal(404);
      const forged = await app.inject({ url, headers: { "x-test-signature": "forged" } });
      expect(forged.statusCode).to.equal(401);
    } finally {
      await app.close();
    }
    const [verifiedLine, forgedLine, ...others] = lines().filter((l) => l.msg === "request");
    expect(others).to.deep.equal([]);
    expect(verifiedLine).to.include({
      route: "/v1/cases/:loanId/evidence-set",
      status: 404,
      member: court,
      role: "node",
    });
    expect(forgedLine).to.include({ status: 401 });
    expect(forgedLine).not.to.have.property("member");
    expect(forgedLine).not.to.have.property("role");
  });

  it("redactUrl keeps ids and ordinary parameters readable, and refuses to guess at undecodable text", function () {
    const loanId = `0x${"12345678".repeat(8)}`;
    expect(redactUrl(`/v1/loans/${loanId}`)).to.equal(`/v1/loans/${loanId}`);
    expect(redactUrl("/v1/flows?day=2026-11-22")).to.equal("/v1/flows?day=2026-11-22");
    expect(redactUrl("/v1/reconciliations?day=2026-11-22&format=csv")).to.equal(
      "/v1/reconciliations?day=2026-11-22&format=csv",
    );
    expect(redactUrl("/v1/loans?state=Active&branch=2")).to.equal("/v1/loans?state=Active&branch=2");
    expect(redactUrl(`/x?q=%E0${ID_NUMBER}`)).to.equal("/x?q=[REDACTED]");
    expect(redactUrl(`/x?name=${encodeURIComponent("张三丰")}`)).to.equal("/x?name=张**");
    expect(redactUrl("/x?flag&&")).to.equal("/x?flag");
    expect(redactUrl(`/x#${ID_NUMBER}`)).to.equal("/x");
  });
});
