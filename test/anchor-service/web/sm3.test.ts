// The page's SM3 (anchor-service/web/sm3.js): the standard's two examples, and byte-for-byte
// agreement with OpenSSL's SM3 (common/crypto/sm3.ts) on inputs of every length around the
// block and padding boundaries and on random ones.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { toHex } from "../../../common/bytes.ts";
import { sm3 as openSslSm3 } from "../../../common/crypto/sm3.ts";
// @ts-expect-error -- the page's plain JavaScript module has no type declarations
import { sm3 } from "../../../anchor-service/web/sm3.js";

const pageSm3 = sm3 as (bytes: Uint8Array) => Uint8Array;

describe("verification page: SM3", () => {
  it("GB/T 32905-2016 Appendix A: abc and abcd×16", () => {
    expect(toHex(pageSm3(new TextEncoder().encode("abc")))).to.equal(
      "0x66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
    );
    expect(toHex(pageSm3(new TextEncoder().encode("abcd".repeat(16))))).to.equal(
      "0xdebe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732",
    );
  });

  it("agrees with OpenSSL for lengths 0…200 and random inputs up to 100 KiB", () => {
    for (let n = 0; n <= 200; n++) {
      const bytes = new Uint8Array(randomBytes(n));
      expect(toHex(pageSm3(bytes)), `length ${n}`).to.equal(toHex(openSslSm3(bytes)));
    }
    for (let i = 0; i < 5; i++) {
      const bytes = new Uint8Array(randomBytes(1 + Math.floor(Math.random() * 100_000)));
      expect(toHex(pageSm3(bytes))).to.equal(toHex(openSslSm3(bytes)));
    }
  });
});
