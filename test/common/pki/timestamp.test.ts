// RFC 3161 (common/pki/timestamp.ts, demo-tsa.ts): the demo TSA's tokens verify here and with
// OpenSSL's independent implementation (`openssl ts -verify`), a reply must answer its request,
// and a refusal is reported, not taken for a token.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { createDemoCa, type DemoCa } from "../../../common/pki/demo-ca.ts";
import { createDemoTsa, serveDemoTsa } from "../../../common/pki/demo-tsa.ts";
import { PkiError } from "../../../common/pki/errors.ts";
import {
  TIMESTAMP_QUERY_TYPE,
  timestampRequest,
  tokenFromResponse,
  verifyTimestampToken,
} from "../../../common/pki/timestamp.ts";
import { subjectOf, certificatesFromPem, trustAnchorsFromPem } from "../../../common/pki/trust-anchors.ts";

const run = promisify(execFile);
const message = new TextEncoder().encode("jointledger.tree-head/1\n0x01\n7\n0x02\n");

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof PkiError ? e.code : "not a PkiError";
  }
  return undefined;
}

describe("common/pki: RFC 3161 time-stamp tokens and the demo TSA", function () {
  this.timeout(60_000);
  let ca: DemoCa;
  before(async function () {
    ca = await createDemoCa();
  });

  it("stamps a request; the token verifies to the demo root, at the TSA's time, labelled a demo", async function () {
    const tsa = await createDemoTsa(ca);
    const subject = subjectOf(certificatesFromPem(tsa.certificatePem)[0]!);
    expect(subject).to.contain("(Demo)").and.to.contain("演示用");
    const before = Date.now();
    const request = await timestampRequest(message);
    const token = tokenFromResponse(await tsa.respond(request.der), request.der);
    const verified = await verifyTimestampToken(token, message, trustAnchorsFromPem([ca.certificatePem]));
    expect(verified.genTime.getTime()).to.be.within(before - 1000, Date.now() + 1000);
    expect(verified.accuracyMs).to.equal(1000);
    expect(verified.tsa).to.equal(subject);
    try {
      await verifyTimestampToken(
        token,
        new TextEncoder().encode("another head"),
        trustAnchorsFromPem([ca.certificatePem]),
      );
      expect.fail("verified over another message");
    } catch (e) {
      expect((e as PkiError).code).to.equal("PKI_TIMESTAMP_IMPRINT");
    }
  });

  it("OpenSSL verifies the demo TSA's reply (signature, ESS signing certificate, chain, imprint)", async function () {
    const dir = await mkdtemp(join(tmpdir(), "jl-tsa-"));
    try {
      const tsa = await createDemoTsa(ca);
      const request = await timestampRequest(message);
      await writeFile(join(dir, "reply.tsr"), await tsa.respond(request.der));
      await writeFile(join(dir, "data"), message);
      await writeFile(join(dir, "root.pem"), ca.certificatePem);
      const { stdout } = await run("openssl", [
        "ts",
        "-verify",
        "-in",
        join(dir, "reply.tsr"),
        "-data",
        join(dir, "data"),
        "-CAfile",
        join(dir, "root.pem"),
      ]);
      expect(stdout).to.contain("Verification: OK");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a reply that answers another request, and reports a refusal", async function () {
    const tsa = await createDemoTsa(ca);
    const asked = await timestampRequest(message);
    const other = await timestampRequest(message);
    const reply = await tsa.respond(other.der);
    expect(codeOf(() => tokenFromResponse(reply, asked.der))).to.equal("PKI_BAD_TIMESTAMP"); // another nonce
    const otherMessage = await timestampRequest(new TextEncoder().encode("x"), { nonce: asked.nonce });
    expect(codeOf(() => tokenFromResponse(reply, otherMessage.der))).to.equal("PKI_TIMESTAMP_IMPRINT");
    const policy = await timestampRequest(message, { policy: "1.2.3.4" });
    expect(() => tokenFromResponse(new Uint8Array(0), policy.der)).to.throw(PkiError);
    const refused = await tsa.respond(policy.der);
    expect(() => tokenFromResponse(refused, policy.der)).to.throw(
      /refused the request \(status 2: only policy/,
    );
  });

  it("serves RFC 3161 over HTTP", async function () {
    const served = await serveDemoTsa(await createDemoTsa(ca));
    try {
      const request = await timestampRequest(message);
      const res = await fetch(served.url, {
        method: "POST",
        headers: { "content-type": TIMESTAMP_QUERY_TYPE },
        body: Buffer.from(request.der),
      });
      expect(res.status).to.equal(200);
      expect(res.headers.get("content-type")).to.equal("application/timestamp-reply");
      const token = tokenFromResponse(new Uint8Array(await res.arrayBuffer()), request.der);
      await verifyTimestampToken(token, message, trustAnchorsFromPem([ca.certificatePem]));
      expect((await fetch(served.url)).status).to.equal(405);
      expect((await fetch(served.url, { method: "POST", body: "x" })).status).to.equal(415);
    } finally {
      await served.close();
    }
  });
});
