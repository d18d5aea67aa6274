// Where the certificate's QR code leads: the configured public address when there is one
// (ANCHOR_PUBLIC_URL; a phone cannot open 127.0.0.1), else the listen address — never the
// request's Host header, which the client chooses.
import { expect } from "chai";
import { ConfigSchema, ENV, publicUrlOf } from "../../../anchor-service/src/config.ts";
import { verificationUrl } from "../../../anchor-service/src/routes/verify-page.ts";

const LEAF = `0x${"AB".repeat(32)}`;

describe("verification page: the QR code's address", function () {
  it("uses the configured public address", function () {
    expect(verificationUrl(LEAF, "https://evidence.example.org")).to.equal(
      `https://evidence.example.org/verify?leaf=0x${"ab".repeat(32)}`,
    );
  });

  it("falls back to the listen address (a wildcard one as loopback), not to any Host header", function () {
    expect(publicUrlOf({ host: "127.0.0.1", port: 9500 })).to.equal("http://127.0.0.1:9500");
    expect(publicUrlOf({ host: "0.0.0.0", port: 9500 })).to.equal("http://127.0.0.1:9500");
    expect(publicUrlOf({ host: "::", port: 9500 })).to.equal("http://[::1]:9500");
    expect(publicUrlOf({ host: "0.0.0.0", port: 9500, publicUrl: "https://evidence.example.org" })).to.equal(
      "https://evidence.example.org",
    );
  });

  it("is configured by ANCHOR_PUBLIC_URL and must be a URL", function () {
    expect(ENV.publicUrl).to.equal("ANCHOR_PUBLIC_URL");
    const base = {
      dataDir: "/tmp/x",
      rpcUrl: "http://127.0.0.1:8545",
      evidenceLog: `0x${"1".repeat(40)}`,
      consortiumRegistry: `0x${"2".repeat(40)}`,
      evidenceRegistry: `0x${"3".repeat(40)}`,
      logId: `0x${"4".repeat(64)}`,
      operatorKey: `0x${"5".repeat(64)}`,
    };
    expect(ConfigSchema.parse({ ...base, publicUrl: "https://evidence.example.org" }).publicUrl).to.equal(
      "https://evidence.example.org",
    );
    expect(ConfigSchema.safeParse({ ...base, publicUrl: "not a url" }).success).to.equal(false);
    // only an http(s) address without credentials, query or fragment goes into a QR code; trailing slashes dropped
    expect(ConfigSchema.parse({ ...base, publicUrl: "https://evidence.example.org/" }).publicUrl).to.equal(
      "https://evidence.example.org",
    );
    for (const bad of [
      "javascript:alert(1)",
      "ftp://evidence.example.org",
      "https://user:pw@evidence.example.org",
      "https://evidence.example.org/?x=1",
      "https://evidence.example.org/#x",
    ]) {
      expect(ConfigSchema.safeParse({ ...base, publicUrl: bad }).success, bad).to.equal(false);
    }
  });
});
