import { expect } from "chai";
import { ANCHOR_ERRORS } from "../../anchor-service/src/errors.ts";
import { anchorServiceSuite } from "../support/anchor-suite.ts";
import { recordFor } from "../support/consortium-chain.ts";

describe("anchor service API: edges (media types, malformed URLs, root issues, ranges, signed paths)", function () {
  this.timeout(60_000);
  const suite = anchorServiceSuite();

  it("ANCHOR_ERR_UNSUPPORTED_MEDIA (415) for a text/plain body", async function () {
    const size = suite.service.merkle.size;
    const body = JSON.stringify({ records: [recordFor("plain text")] });
    const headers = await suite.chain.sign(suite.chain.wallets.branchA, body);
    const reply = await suite.service.app.inject({
      method: "POST",
      url: "/v1/leaves",
      payload: body,
      headers: { ...headers, "content-type": "text/plain" },
    });
    expect(reply.statusCode, reply.body).to.equal(415);
    expect((reply.json() as { error: { code: string } }).error.code).to.equal("ANCHOR_ERR_UNSUPPORTED_MEDIA");
    expect(suite.service.merkle.size).to.equal(size);
  });

  it("a malformed percent-encoding in the path gets a 400 with a catalogued error.code", async function () {
    for (const url of ["/v1/leaves/%E0%A4%A", "/v1/bundles/%zz", "/%"]) {
      const reply = await suite.service.app.inject({ method: "GET", url });
      expect(reply.statusCode, url).to.equal(400);
      const error = (reply.json() as { error: unknown }).error as { code?: string };
      expect(Object.keys(ANCHOR_ERRORS), `${url} → ${reply.body}`).to.include(error.code);
    }
  });

  it('details.issues names the body\'s root as "body" (not "body.") for a root-level issue', async function () {
    for (const value of [{ records: [recordFor("x")], priority: "high" }, [recordFor("y")]]) {
      const body = JSON.stringify(value);
      const reply = await suite.postLeaves(body);
      expect(reply.statusCode).to.equal(400);
      const issues = (reply.json() as { error: { details: { issues: Array<{ path: string }> } } }).error
        .details.issues;
      expect(
        issues.map((i) => i.path),
        reply.body,
      ).to.include("body");
    }
  });

  it("GET /v1/consistency?to=0 is ANCHOR_ERR_BAD_RANGE", async function () {
    const reply = await suite.service.app.inject({ method: "GET", url: "/v1/consistency?from=0&to=0" });
    expect(reply.statusCode).to.equal(400);
    expect((reply.json() as { error: { code: string } }).error.code, reply.body).to.equal(
      "ANCHOR_ERR_BAD_RANGE",
    );
  });

  it("the signed path is the request target with its query string (request-signing.ts)", async function () {
    /** A new record posted to /v1/leaves?trace=1, signed for `signedPath`. */
    const post = async (document: string, signedPath: string) => {
      const body = JSON.stringify({ records: [recordFor(document)] });
      const headers = await suite.chain.sign(suite.chain.wallets.branchA, body, signedPath);
      return suite.service.app.inject({
        method: "POST",
        url: "/v1/leaves?trace=1",
        payload: body,
        headers: { "content-type": "application/json", ...headers },
      });
    };
    const ok = await post("query", "/v1/leaves?trace=1");
    expect(ok.statusCode, ok.body).to.equal(200);
    const bad = await post("query 2", "/v1/leaves");
    expect(bad.statusCode, bad.body).to.equal(401);
  });
});
