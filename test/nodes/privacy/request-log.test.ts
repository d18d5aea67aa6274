// Personal data in a request's URL never reaches the request log: an ID number and a phone typed
// into GET /v1/documents/:id?purpose= were logged in full by Fastify's "incoming request" line.
// The node's logger (PII_LOG_OPTIONS, as server.ts builds it) scrubs every path segment and
// query value with the privacy masks; the lines are captured from a real pino stream.
import { expect } from "chai";
import type { FastifyInstance } from "fastify";
import pino from "pino";
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
  it("an ID number and a phone in ?purpose= are masked in the request log line; the route still gets them", async function () {
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
    const urls = lines()
      .filter((l) => l.msg === "incoming request")
      .map((l) => (l.req as { url: string }).url);
    expect(urls).to.have.length(4);
    expect(urls[0]).to.equal(
      `/v1/documents/${DOCUMENT}?purpose=借款人 110***********1233 电话 138****5678 复核`,
    );
    expect(urls[1]).to.equal(
      `/v1/documents/${DOCUMENT}?idNumber=110***********1233&phone=138****5678&card=**** **** **** 0123`,
    );
    expect(urls[2]).to.equal(`/v1/documents/${DOCUMENT}?purpose=110***********1233 138****5678`);
    expect(urls[3]).to.equal("/v1/applications/110***********1233/138****5678");
    // the rest of Fastify's request fields are still there
    const first = lines().find((l) => l.msg === "incoming request")!.req as Record<string, unknown>;
    expect(first).to.include({ method: "GET", remoteAddress: "127.0.0.1" });
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
