// Where the certificate's QR code leads: the configured public address when there is one
// (ANCHOR_PUBLIC_URL; a phone cannot open 127.0.0.1), else the host the clerk's browser used.
import { expect } from "chai";
import type { FastifyRequest } from "fastify";
import { ConfigSchema, ENV } from "../../../anchor-service/src/config.ts";
import { verificationUrl } from "../../../anchor-service/src/routes/verify-page.ts";

const LEAF = `0x${"AB".repeat(32)}`;
const request = (host: string) => ({ host, protocol: "http" }) as unknown as FastifyRequest;

describe("verification page: the QR code's address", function () {
  it("uses the configured public address", function () {
    expect(verificationUrl(request("127.0.0.1:9500"), LEAF, "https://evidence.example.org")).to.equal(`https://evidence.example.org/verify?leaf=0x${"ab".repeat(32)}`);
  });

  it("falls back to the host the browser reached, and refuses a Host header that is no host", function () {
    expect(verificationUrl(request("127.0.0.1:9500"), LEAF)).to.equal(`http://127.0.0.1:9500/verify?leaf=0x${"ab".repeat(32)}`);
    expect(() => verificationUrl(request("evil.example/<script>"), LEAF)).to.throw(/Host header/);
  });

  it("is configured by ANCHOR_PUBLIC_URL and must be a URL", function () {
    expect(ENV.publicUrl).to.equal("ANCHOR_PUBLIC_URL");
    const base = { dataDir: "/tmp/x", rpcUrl: "http://127.0.0.1:8545", evidenceLog: `0x${"1".repeat(40)}`, consortiumRegistry: `0x${"2".repeat(40)}`, evidenceRegistry: `0x${"3".repeat(40)}`, logId: `0x${"4".repeat(64)}`, operatorKey: `0x${"5".repeat(64)}` };
    expect(ConfigSchema.parse({ ...base, publicUrl: "https://evidence.example.org" }).publicUrl).to.equal("https://evidence.example.org");
    expect(ConfigSchema.safeParse({ ...base, publicUrl: "not a url" }).success).to.equal(false);
  });
});
