// The anchor service's own verification page runs its chain checks in the court's browser against
// the endpoints ANCHOR_VERIFY_PAGE_RPC_URLS names: the page's config lists them, and its
// Content-Security-Policy lets the page reach them and nothing else. Unset, the page asks this
// service's POST /v1/verify and the CSP reaches only the page's own origin.
import { expect } from "chai";
import { ConfigSchema, ENV } from "../../../anchor-service/src/config.ts";
import { anchorServiceSuite } from "../../support/anchor-suite.ts";

const ENDPOINTS = ["https://rpc.court.example.org:8545", "http://127.0.0.1:18545"];

const connectSrc = (csp: string) =>
  csp
    .split(";")
    .map((d) => d.trim())
    .find((d) => d.startsWith("connect-src "));

describe("anchor service: the verification page's chain endpoints (ANCHOR_VERIFY_PAGE_RPC_URLS)", function () {
  it("is read from the environment as a comma-separated list of http(s) URLs", function () {
    expect(ENV.verifyPageRpcUrls).to.equal("ANCHOR_VERIFY_PAGE_RPC_URLS");
    // the field as the environment gives it: comma-separated text
    const field = ConfigSchema.shape.verifyPageRpcUrls;
    expect(field.parse(undefined)).to.deep.equal([]);
    expect(field.parse(ENDPOINTS.join(","))).to.deep.equal(ENDPOINTS);
    expect(field.safeParse("ftp://rpc.example.org").success).to.equal(false);
  });

  describe("configured", function () {
    const suite = anchorServiceSuite({ config: { verifyPageRpcUrls: ENDPOINTS } });

    it("the page's CSP connect-src lists exactly the configured endpoints, and its config names them", async function () {
      const page = await suite.service.app.inject({ method: "GET", url: "/verify" });
      expect(page.statusCode).to.equal(200);
      expect(connectSrc(String(page.headers["content-security-policy"]))).to.equal(
        "connect-src 'self' https://rpc.court.example.org:8545 http://127.0.0.1:18545",
      );
      const config = await suite.service.app.inject({ method: "GET", url: "/verify/config.json" });
      expect(config.statusCode).to.equal(200);
      expect((config.json() as { chainEndpoints: string[] }).chainEndpoints).to.deep.equal(ENDPOINTS);
    });
  });

  describe("unset", function () {
    const suite = anchorServiceSuite();

    it("the page reaches only its own origin (its chain checks are POST /v1/verify)", async function () {
      const page = await suite.service.app.inject({ method: "GET", url: "/verify" });
      expect(connectSrc(String(page.headers["content-security-policy"]))).to.equal("connect-src 'self'");
      const config = await suite.service.app.inject({ method: "GET", url: "/verify/config.json" });
      expect((config.json() as { chainEndpoints: string[] }).chainEndpoints).to.deep.equal([]);
    });
  });
});
