// Request signing (common/auth/request-signing.ts): round trips, the EIP-712 format written out
// by hand, every error code, tampering of each signed field, malformed headers, nonce keys, and
// the sign/verify rates (printed, not asserted).
import { expect } from "chai";
import { createHash } from "node:crypto";
import { Signature, Wallet, getAddress, verifyTypedData } from "ethers";
import { toHex } from "../../../common/bytes.ts";
import {
  AUTH_HEADERS,
  AuthError,
  DEFAULT_TTL_SECONDS,
  EXPIRES_AT_HEADER,
  NONCE_HEADER,
  NONCE_KEY_LENGTH,
  REQUEST_TYPES,
  SIGNATURE_HEADER,
  SIGNER_HEADER,
  bodyHashOf,
  newNonce,
  nonceKey,
  requestDomain,
  signRequest,
  verifyRequest,
  type AuthErrorCode,
  type ReceivedRequest,
  type RequestToSign,
  type SignOptions,
} from "../../../common/auth/request-signing.ts";
import { expectTypedFormat, typesOf } from "../../support/eip712.ts";
import { expectCode } from "../../support/expect-error.ts";

// ---- Fixtures ---------------------------------------------------------------------------------

const branch = new Wallet("0x8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f");
const platform = new Wallet("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");

const CHAIN_ID = 31337n;
const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const OTHER_REGISTRY = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const domain = requestDomain(CHAIN_ID, REGISTRY);

const NOW = 1_750_000_000;
const MAX_TTL = 300;
const verifyOptions = { now: NOW, maxTtlSeconds: MAX_TTL };
const NONCE = 0x0123456789abcdef0123456789abcdefn;

const BODY = '{"applicationSerial":"APP-2025-000123","amountFen":"5000000","borrower":"张三"}';
const PATH = "/v1/applications?channel=partner-a";

type Signed = { request: ReceivedRequest; headers: Record<string, string> };

/** A POST signed by `wallet` at NOW, as the service would receive it. */
async function signed(
  wallet = branch,
  toSign: Partial<RequestToSign> = {},
  options: SignOptions = {},
): Promise<Signed> {
  const req: RequestToSign = { method: "POST", path: PATH, body: BODY, ...toSign };
  const headers = await signRequest(wallet, domain, req, { now: NOW, nonce: NONCE, ...options });
  const rawBody = typeof req.body === "string" ? new Uint8Array(Buffer.from(req.body, "utf8")) : req.body;
  return {
    request: { method: req.method.toUpperCase(), path: req.path, rawBody, headers: { ...headers } },
    headers,
  };
}

function withHeaders(request: ReceivedRequest, changes: ReceivedRequest["headers"]): ReceivedRequest {
  return { ...request, headers: { ...request.headers, ...changes } };
}

const expectAuthError = (fn: () => unknown, code: AuthErrorCode, label = ""): AuthError =>
  expectCode(fn, AuthError, code, label);

const sha256Hex = (bytes: Uint8Array): string => `0x${createHash("sha256").update(bytes).digest("hex")}`;

// ---- Format -----------------------------------------------------------------------------------

describe("request signing: format", () => {
  it("uses the EIP-712 domain and SignedRequest type of the spec", () => {
    expectTypedFormat(domain, REQUEST_TYPES, {
      domain: { name: "JointLedger", version: "1", chainId: 31337n, verifyingContract: REGISTRY },
      encodeType: "SignedRequest(string method,string path,bytes32 bodyHash,uint256 nonce,uint64 expiresAt)",
    });
  });

  it("exports the four lower-case header names", () => {
    expect([SIGNER_HEADER, NONCE_HEADER, EXPIRES_AT_HEADER, SIGNATURE_HEADER]).to.deep.equal([
      "x-jl-signer",
      "x-jl-nonce",
      "x-jl-expires-at",
      "x-jl-signature",
    ]);
    expect(AUTH_HEADERS).to.deep.equal([SIGNER_HEADER, NONCE_HEADER, EXPIRES_AT_HEADER, SIGNATURE_HEADER]);
  });

  it("signs exactly the typed data written out by hand, body hashed with SHA-256", async () => {
    const { headers } = await signed();
    expect(Object.keys(headers).sort()).to.deep.equal([...AUTH_HEADERS].sort());
    expect(headers[SIGNER_HEADER]).to.equal(branch.address);
    expect(headers[NONCE_HEADER]).to.equal(NONCE.toString(10));
    expect(headers[EXPIRES_AT_HEADER]).to.equal(String(NOW + DEFAULT_TTL_SECONDS));
    expect(headers[SIGNATURE_HEADER]).to.match(/^0x[0-9a-f]{130}$/);

    const bodyHash = sha256Hex(new Uint8Array(Buffer.from(BODY, "utf8")));
    expect(bodyHashOf(BODY)).to.equal(bodyHash);
    const recovered = verifyTypedData(
      { name: "JointLedger", version: "1", chainId: 31337, verifyingContract: REGISTRY },
      typesOf("SignedRequest(string method,string path,bytes32 bodyHash,uint256 nonce,uint64 expiresAt)"),
      { method: "POST", path: PATH, bodyHash, nonce: NONCE, expiresAt: NOW + DEFAULT_TTL_SECONDS },
      headers[SIGNATURE_HEADER]!,
    );
    expect(recovered).to.equal(branch.address);
  });

  it("hashes a string body as its UTF-8 bytes, and an empty body as SHA-256 of nothing", () => {
    expect(bodyHashOf(BODY)).to.equal(bodyHashOf(new Uint8Array(Buffer.from(BODY, "utf8"))));
    expect(bodyHashOf("")).to.equal("0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(bodyHashOf(new Uint8Array(0))).to.equal(bodyHashOf(""));
  });

  it("draws a fresh 128-bit nonce per request unless one is given", async () => {
    const nonces = new Set<bigint>();
    for (let i = 0; i < 20; i++) nonces.add(newNonce());
    expect(nonces.size).to.equal(20);
    for (const n of nonces) expect(n >= 0n && n < 1n << 128n).to.equal(true);
    const a = await signRequest(branch, domain, { method: "GET", path: "/x", body: "" }, { now: NOW });
    const b = await signRequest(branch, domain, { method: "GET", path: "/x", body: "" }, { now: NOW });
    expect(a[NONCE_HEADER]).to.match(/^(0|[1-9][0-9]*)$/);
    expect(a[NONCE_HEADER]).to.not.equal(b[NONCE_HEADER]);
  });

  it("builds the domain from chain id and registry, and refuses bad ones", () => {
    expect(requestDomain(1n, REGISTRY.toLowerCase()).verifyingContract).to.equal(REGISTRY);
    expect(() => requestDomain(0n, REGISTRY)).to.throw(RangeError);
    expect(() => requestDomain(1 as unknown as bigint, REGISTRY)).to.throw(RangeError);
    expect(() => requestDomain(1n, "0x1234")).to.throw(RangeError);
    expect(() => requestDomain(1n, REGISTRY.replace("F", "f"))).to.throw(RangeError, /checksum/);
  });

  it("refuses to sign a nonce outside 128 bits or a bad expiry", async () => {
    const req = { method: "GET", path: "/x", body: "" };
    for (const nonce of [-1n, 1n << 128n]) {
      let caught: unknown;
      await signRequest(branch, domain, req, { nonce }).catch((e: unknown) => (caught = e));
      expect(caught, String(nonce)).to.be.instanceOf(RangeError);
    }
    for (const expiresAt of [-1, 1.5, Number.NaN, 2 ** 53]) {
      let caught: unknown;
      await signRequest(branch, domain, req, { expiresAt }).catch((e: unknown) => (caught = e));
      expect(caught, String(expiresAt)).to.be.instanceOf(RangeError);
    }
  });
});

// ---- Round trips ------------------------------------------------------------------------------

describe("request signing: round trip", () => {
  it("verifies to the checksummed signer, the nonce and the expiry", async () => {
    const { request } = await signed();
    expect(verifyRequest(domain, request, verifyOptions)).to.deep.equal({
      signer: branch.address,
      nonce: NONCE,
      expiresAt: NOW + DEFAULT_TTL_SECONDS,
    });
  });

  it("honours explicit expiresAt and ttlSeconds", async () => {
    const a = await signed(branch, {}, { expiresAt: NOW + 17 });
    expect(verifyRequest(domain, a.request, verifyOptions).expiresAt).to.equal(NOW + 17);
    const b = await signed(branch, {}, { ttlSeconds: 120 });
    expect(verifyRequest(domain, b.request, verifyOptions).expiresAt).to.equal(NOW + 120);
  });

  it("defaults to the system clock when `now` is not given", async () => {
    const now = Math.floor(Date.now() / 1000);
    const headers = await signRequest(branch, domain, { method: "GET", path: "/healthz", body: "" });
    const request = { method: "GET", path: "/healthz", rawBody: new Uint8Array(0), headers };
    const { expiresAt } = verifyRequest(domain, request, { now, maxTtlSeconds: MAX_TTL });
    expect(expiresAt - now >= DEFAULT_TTL_SECONDS - 1 && expiresAt - now <= DEFAULT_TTL_SECONDS + 1).to.equal(
      true,
    );
  });

  it("accepts a lower-case method at either end", async () => {
    const { request } = await signed(branch, { method: "post" });
    expect(verifyRequest(domain, { ...request, method: "post" }, verifyOptions).signer).to.equal(
      branch.address,
    );
    expect(verifyRequest(domain, { ...request, method: "POST" }, verifyOptions).signer).to.equal(
      branch.address,
    );
  });

  it("round-trips an empty GET, a binary body and a 4 MB body", async () => {
    const get = await signed(branch, { method: "GET", path: "/v1/loans/0xabc", body: "" });
    expect(verifyRequest(domain, get.request, verifyOptions).signer).to.equal(branch.address);

    const binary = new Uint8Array(256).map((_, i) => i);
    const bin = await signed(branch, { body: binary });
    expect(verifyRequest(domain, bin.request, verifyOptions).signer).to.equal(branch.address);

    const big = new Uint8Array(4 * 1024 * 1024).map((_, i) => (i * 31) & 0xff);
    const large = await signed(branch, { body: big });
    expect(verifyRequest(domain, large.request, verifyOptions).signer).to.equal(branch.address);
    const flipped = big.slice();
    flipped[2_000_000] = flipped[2_000_000]! ^ 0x01;
    expectAuthError(
      () => verifyRequest(domain, { ...large.request, rawBody: flipped }, verifyOptions),
      "AUTH_BAD_SIGNATURE",
      "4 MB body, one bit",
    );
  });

  it("accepts a header delivered as a one-element array", async () => {
    const { request, headers } = await signed();
    const req = withHeaders(request, { [NONCE_HEADER]: [headers[NONCE_HEADER]!] });
    expect(verifyRequest(domain, req, verifyOptions).nonce).to.equal(NONCE);
  });

  it("accepts a lower-case signer address", async () => {
    const { request, headers } = await signed();
    const req = withHeaders(request, { [SIGNER_HEADER]: headers[SIGNER_HEADER]!.toLowerCase() });
    expect(verifyRequest(domain, req, verifyOptions).signer).to.equal(branch.address);
  });

  it("leaves replay to the caller: the same headers verify twice, nonceKey catches the second", async () => {
    const { request } = await signed();
    const seen = new Set<string>();
    const accept = (): boolean => {
      const { signer, nonce } = verifyRequest(domain, request, verifyOptions);
      const key = toHex(nonceKey(signer, nonce));
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    };
    expect(accept()).to.equal(true);
    expect(accept()).to.equal(false);
  });
});

// ---- Time window ------------------------------------------------------------------------------

describe("request signing: expiry", () => {
  it("AUTH_EXPIRED once expiresAt is before now; valid through expiresAt itself", async () => {
    const { request } = await signed(branch, {}, { expiresAt: NOW + 10 });
    expect(verifyRequest(domain, request, { now: NOW + 10, maxTtlSeconds: MAX_TTL }).expiresAt).to.equal(
      NOW + 10,
    );
    expectAuthError(
      () => verifyRequest(domain, request, { now: NOW + 11, maxTtlSeconds: MAX_TTL }),
      "AUTH_EXPIRED",
    );
    const past = await signed(branch, {}, { expiresAt: NOW - 1 });
    expectAuthError(() => verifyRequest(domain, past.request, verifyOptions), "AUTH_EXPIRED");
  });

  it("AUTH_TOO_FAR_AHEAD when expiresAt is beyond now + maxTtlSeconds; valid at exactly that", async () => {
    const edge = await signed(branch, {}, { expiresAt: NOW + MAX_TTL });
    expect(verifyRequest(domain, edge.request, verifyOptions).expiresAt).to.equal(NOW + MAX_TTL);
    const ahead = await signed(branch, {}, { expiresAt: NOW + MAX_TTL + 1 });
    expectAuthError(() => verifyRequest(domain, ahead.request, verifyOptions), "AUTH_TOO_FAR_AHEAD");
    const far = await signed(branch, {}, { ttlSeconds: 365 * 24 * 3600 });
    expectAuthError(() => verifyRequest(domain, far.request, verifyOptions), "AUTH_TOO_FAR_AHEAD");
  });

  it("checks the window before the signature: an expired forgery is AUTH_EXPIRED", async () => {
    const { request } = await signed(branch, {}, { expiresAt: NOW - 5 });
    const forged = withHeaders(request, { [SIGNER_HEADER]: platform.address });
    expectAuthError(() => verifyRequest(domain, forged, verifyOptions), "AUTH_EXPIRED");
  });

  it("refuses non-finite clock options as a caller bug", async () => {
    const { request } = await signed();
    expect(() => verifyRequest(domain, request, { now: Number.NaN, maxTtlSeconds: 1 })).to.throw(RangeError);
    expect(() => verifyRequest(domain, request, { now: NOW, maxTtlSeconds: -1 })).to.throw(RangeError);
  });
});

// ---- Tampering --------------------------------------------------------------------------------

describe("request signing: tampering", () => {
  it("AUTH_BAD_SIGNATURE for a changed method or path", async () => {
    const { request } = await signed();
    for (const method of ["PUT", "GET", "PATCH"]) {
      expectAuthError(
        () => verifyRequest(domain, { ...request, method }, verifyOptions),
        "AUTH_BAD_SIGNATURE",
        method,
      );
    }
    for (const path of [
      "/v1/applications?channel=partner-b",
      "/v1/applications",
      "/v1/applications?channel=partner-a&x=1",
      "/v1/Applications?channel=partner-a",
      "/v1/applications/?channel=partner-a",
    ]) {
      expectAuthError(
        () => verifyRequest(domain, { ...request, path }, verifyOptions),
        "AUTH_BAD_SIGNATURE",
        path,
      );
    }
  });

  it("AUTH_BAD_SIGNATURE for the body changed by one byte anywhere, truncated or extended", async () => {
    const { request } = await signed();
    const body = request.rawBody;
    for (const at of [0, 1, Math.floor(body.length / 2), body.length - 1]) {
      const changed = body.slice();
      changed[at] = changed[at]! ^ 0x01;
      expectAuthError(
        () => verifyRequest(domain, { ...request, rawBody: changed }, verifyOptions),
        "AUTH_BAD_SIGNATURE",
        `byte ${at}`,
      );
    }
    const shorter = body.slice(0, -1);
    const longer = new Uint8Array([...body, 0x20]);
    for (const rawBody of [shorter, longer, new Uint8Array(0)]) {
      expectAuthError(
        () => verifyRequest(domain, { ...request, rawBody }, verifyOptions),
        "AUTH_BAD_SIGNATURE",
      );
    }
  });

  it("AUTH_BAD_SIGNATURE for a changed nonce or expiry header", async () => {
    const { request } = await signed();
    for (const nonce of [NONCE + 1n, NONCE - 1n, 0n]) {
      const req = withHeaders(request, { [NONCE_HEADER]: nonce.toString(10) });
      expectAuthError(
        () => verifyRequest(domain, req, verifyOptions),
        "AUTH_BAD_SIGNATURE",
        `nonce ${nonce}`,
      );
    }
    for (const expiresAt of [NOW + DEFAULT_TTL_SECONDS + 1, NOW + DEFAULT_TTL_SECONDS - 1, NOW + MAX_TTL]) {
      const req = withHeaders(request, { [EXPIRES_AT_HEADER]: String(expiresAt) });
      expectAuthError(
        () => verifyRequest(domain, req, verifyOptions),
        "AUTH_BAD_SIGNATURE",
        `expiresAt ${expiresAt}`,
      );
    }
  });

  it("AUTH_BAD_SIGNATURE when another key's signature claims to be the signer", async () => {
    // The platform signs, then claims to be the branch.
    const { request } = await signed(platform);
    const claimed = withHeaders(request, { [SIGNER_HEADER]: branch.address });
    expectAuthError(() => verifyRequest(domain, claimed, verifyOptions), "AUTH_BAD_SIGNATURE");
    // The branch's genuine signature presented under the platform's name.
    const genuine = await signed(branch);
    const renamed = withHeaders(genuine.request, { [SIGNER_HEADER]: platform.address });
    expectAuthError(() => verifyRequest(domain, renamed, verifyOptions), "AUTH_BAD_SIGNATURE");
  });

  it("AUTH_BAD_SIGNATURE under another consortium's domain (chain id or registry)", async () => {
    const { request } = await signed();
    for (const other of [requestDomain(CHAIN_ID + 1n, REGISTRY), requestDomain(CHAIN_ID, OTHER_REGISTRY)]) {
      expectAuthError(() => verifyRequest(other, request, verifyOptions), "AUTH_BAD_SIGNATURE");
    }
  });

  it("AUTH_BAD_SIGNATURE for a changed r, s or v; the high-s twin is refused as malformed", async () => {
    const { request, headers } = await signed();
    const sig = headers[SIGNATURE_HEADER]!;
    const flipNibble = (hex: string, at: number): string =>
      hex.slice(0, at) + (Number.parseInt(hex[at]!, 16) ^ 1).toString(16) + hex.slice(at + 1);
    // r's last digit, s's last digit (both stay in range), and v 27 <-> 28.
    const variants = [
      flipNibble(sig, 65),
      flipNibble(sig, 129),
      sig.slice(0, 130) + (sig.endsWith("1b") ? "1c" : "1b"),
    ];
    for (const s of variants) {
      const req = withHeaders(request, { [SIGNATURE_HEADER]: s });
      expectAuthError(() => verifyRequest(domain, req, verifyOptions), "AUTH_BAD_SIGNATURE", s);
    }
    // (r, n - s, flipped v) is also a valid secp256k1 signature of the same digest: refused.
    const parsed = Signature.from(sig);
    const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const highS = `0x${parsed.r.slice(2)}${(N - BigInt(parsed.s)).toString(16).padStart(64, "0")}${parsed.v === 27 ? "1c" : "1b"}`;
    const req = withHeaders(request, { [SIGNATURE_HEADER]: highS });
    expect(
      expectAuthError(() => verifyRequest(domain, req, verifyOptions), "AUTH_BAD_HEADER").message,
    ).to.contain(SIGNATURE_HEADER);
  });

  it("AUTH_BAD_SIGNATURE for a signature whose r is not on the curve", async () => {
    const { request } = await signed();
    // r = 5 has no point on secp256k1 with that x; recovery fails rather than throwing out.
    const sig = `0x${"00".repeat(31)}05${"00".repeat(31)}01${"1b"}`;
    const req = withHeaders(request, { [SIGNATURE_HEADER]: sig });
    expectAuthError(() => verifyRequest(domain, req, verifyOptions), "AUTH_BAD_SIGNATURE");
  });
});

// ---- Missing and malformed headers ------------------------------------------------------------

describe("request signing: missing and malformed headers", () => {
  it("AUTH_MISSING_HEADERS for each header absent, empty or an empty array, naming it", async () => {
    const { request } = await signed();
    for (const name of AUTH_HEADERS) {
      for (const value of [undefined, "", []]) {
        const req = withHeaders(request, { [name]: value });
        const err = expectAuthError(
          () => verifyRequest(domain, req, verifyOptions),
          "AUTH_MISSING_HEADERS",
          name,
        );
        expect(err.message).to.contain(name);
      }
    }
  });

  it("AUTH_MISSING_HEADERS naming all four on an unsigned request", () => {
    const req = {
      method: "POST",
      path: PATH,
      rawBody: new Uint8Array(0),
      headers: { "content-type": "application/json" },
    };
    const err = expectAuthError(() => verifyRequest(domain, req, verifyOptions), "AUTH_MISSING_HEADERS");
    for (const name of AUTH_HEADERS) expect(err.message).to.contain(name);
  });

  const malformed: Record<(typeof AUTH_HEADERS)[number], (string | string[])[]> = {
    [SIGNER_HEADER]: [
      branch.address.slice(2), // no 0x
      `${branch.address}00`, // 21 bytes
      branch.address.slice(0, 40), // 19.5 bytes
      `0x${"g".repeat(40)}`, // non-hex
      `0X${branch.address.slice(2)}`, // upper-case prefix
      branch.address.replace(/[a-f]/, (c) => c.toUpperCase()), // broken checksum
      ` ${branch.address}`,
      [branch.address, platform.address], // repeated header
    ],
    [NONCE_HEADER]: [
      "0x10",
      "-1",
      "+1",
      "1.5",
      "1e3",
      "01", // leading zero: one value, one spelling
      " 1",
      "abc",
      (1n << 128n).toString(10), // 129 bits
      "9".repeat(40),
      ["1", "2"],
    ],
    [EXPIRES_AT_HEADER]: [
      "abc",
      "1e9",
      "-5",
      "0x10",
      `0${NOW}`,
      `${NOW}.0`,
      String(2 ** 53), // beyond safe integers
      "9".repeat(17),
      [String(NOW + 10), String(NOW + 20)],
    ],
    [SIGNATURE_HEADER]: [
      `0x${"zz".repeat(65)}`, // non-hex
      `0x${"11".repeat(64)}`, // 64 bytes (compact form not accepted)
      `0x${"11".repeat(66)}`, // 66 bytes
      "11".repeat(65), // no 0x
      `0x${"11".repeat(64)}00`, // v = 0
      `0x${"11".repeat(64)}01`, // v = 1
      `0x${"11".repeat(64)}25`, // v = 37 (EIP-155 style)
      `0x${"00".repeat(32)}${"11".repeat(32)}1b`, // r = 0
      `0x${"11".repeat(32)}${"00".repeat(32)}1b`, // s = 0
      `0x${"ff".repeat(32)}${"11".repeat(32)}1b`, // r >= n
      ["0x" + "11".repeat(65), "0x" + "22".repeat(65)],
    ],
  };

  for (const name of AUTH_HEADERS) {
    it(`AUTH_BAD_HEADER naming ${name} for each malformed value`, async () => {
      const { request } = await signed();
      for (const value of malformed[name]) {
        const req = withHeaders(request, { [name]: value });
        const err = expectAuthError(
          () => verifyRequest(domain, req, verifyOptions),
          "AUTH_BAD_HEADER",
          `${name}=${String(value)}`,
        );
        expect(err.message, String(value)).to.contain(name);
      }
    });
  }

  it("reports a malformed header before expiry: form first, then time, then signature", async () => {
    const { request } = await signed(branch, {}, { expiresAt: NOW - 100 });
    const req = withHeaders(request, { [NONCE_HEADER]: "x" });
    expectAuthError(() => verifyRequest(domain, req, verifyOptions), "AUTH_BAD_HEADER");
  });
});

// ---- Nonce keys -------------------------------------------------------------------------------

describe("request signing: nonceKey", () => {
  it("is the 20-byte signer address then the 16-byte big-endian nonce", () => {
    const key = nonceKey(branch.address, NONCE);
    expect(key.length).to.equal(NONCE_KEY_LENGTH).and.to.equal(36);
    expect(toHex(key)).to.equal(`${branch.address.toLowerCase()}0123456789abcdef0123456789abcdef`);
  });

  it("has a fixed width from nonce 0 to 2^128 - 1, and ignores the address's case", () => {
    expect(toHex(nonceKey(branch.address, 0n))).to.equal(`${branch.address.toLowerCase()}${"00".repeat(16)}`);
    expect(toHex(nonceKey(branch.address, (1n << 128n) - 1n))).to.equal(
      `${branch.address.toLowerCase()}${"ff".repeat(16)}`,
    );
    expect(nonceKey(branch.address.toLowerCase(), 7n)).to.deep.equal(nonceKey(branch.address, 7n));
  });

  it("sorts by signer, then numerically by nonce", () => {
    const nonces = [0n, 1n, 255n, 256n, 1n << 64n, (1n << 128n) - 1n];
    const keys = nonces.map((n) => Buffer.from(nonceKey(branch.address, n)));
    const sorted = [...keys].sort(Buffer.compare);
    expect(sorted).to.deep.equal(keys);
    expect(
      Buffer.compare(Buffer.from(nonceKey(branch.address, 1n)), Buffer.from(nonceKey(platform.address, 1n))),
    ).to.not.equal(0);
  });

  it("refuses a nonce outside 128 bits or a malformed address", () => {
    expect(() => nonceKey(branch.address, -1n)).to.throw(RangeError);
    expect(() => nonceKey(branch.address, 1n << 128n)).to.throw(RangeError);
    expect(() => nonceKey("0x1234", 1n)).to.throw(RangeError);
    expect(() =>
      nonceKey(
        branch.address.replace(/[a-f]/, (c) => c.toUpperCase()),
        1n,
      ),
    ).to.throw(RangeError);
  });
});

// ---- Throughput (printed for the record, never asserted) ---------------------------------------

describe("request signing: throughput (reported, not asserted)", function () {
  this.timeout(120_000);

  it("signs and verifies a 1 KB request; hashes a 4 MB body", async () => {
    const body = "x".repeat(1024);
    const toSign = { method: "POST", path: PATH, body };
    const rawBody = new Uint8Array(Buffer.from(body));
    for (let i = 0; i < 20; i++) await signRequest(branch, domain, toSign, { now: NOW }); // warm-up

    const rounds = 500;
    let t = performance.now();
    const all: Record<string, string>[] = [];
    for (let i = 0; i < rounds; i++) all.push(await signRequest(branch, domain, toSign, { now: NOW }));
    const signMs = performance.now() - t;

    t = performance.now();
    for (const headers of all)
      verifyRequest(domain, { method: "POST", path: PATH, rawBody, headers }, verifyOptions);
    const verifyMs = performance.now() - t;

    const big = new Uint8Array(4 * 1024 * 1024);
    t = performance.now();
    for (let i = 0; i < 10; i++) bodyHashOf(big);
    const hashMs = (performance.now() - t) / 10;

    console.log(
      `      sign ${Math.round((rounds * 1000) / signMs)}/s (${(signMs / rounds).toFixed(2)} ms), ` +
        `verify ${Math.round((rounds * 1000) / verifyMs)}/s (${(verifyMs / rounds).toFixed(2)} ms), ` +
        `SHA-256 of 4 MB ${hashMs.toFixed(2)} ms`,
    );
    expect(getAddress(all[0]![SIGNER_HEADER]!)).to.equal(branch.address);
  });
});
