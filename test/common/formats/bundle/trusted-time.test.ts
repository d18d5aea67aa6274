// trustedTime (common/formats/bundle/trusted-time.ts): RFC 3161 tokens from a TSA over the bundle's
// tree head, verified against the TSA roots the verifier trusts, and the intake receipt's, the
// block's and the TSA's times held against each other. A chain whose clock was moved ahead (the
// local demo once moved it seven weeks) fails with the reason, offline, from the bundle alone.
import { expect } from "chai";
import { parseBundle } from "../../../../common/formats/bundle/bundle.ts";
import {
  TRUSTED_TIME_TOLERANCE_SECONDS,
  checkTrustedTime,
  headTimestampMessage,
} from "../../../../common/formats/bundle/trusted-time.ts";
import {
  overall,
  requiredForPass,
  verifyOffline,
  verifyTrustedTime,
} from "../../../../common/formats/bundle/verify.ts";
import { createDemoCa, type DemoCa } from "../../../../common/pki/demo-ca.ts";
import { createDemoTsa } from "../../../../common/pki/demo-tsa.ts";
import { trustAnchorsFromPem, type TrustAnchors } from "../../../../common/pki/trust-anchors.ts";
import { DOCUMENT_DIGEST, sampleBundle } from "../../../support/bundle.fixture.ts";
import { SEVEN_WEEKS, anchoredAt, stamped } from "../../../support/trusted-time.fixture.ts";

describe("trustedTime: RFC 3161 time over the bundle's head", function () {
  this.timeout(60_000);
  const T = sampleBundle().anchor.blockTimestamp; // the example's block time, 2026-01-01
  let ca: DemoCa;
  let anchors: TrustAnchors;
  /** A TSA whose clock reads `at` (Unix seconds). */
  const tsaAt = (at: number) => createDemoTsa(ca, { now: () => new Date(at * 1000) });

  before(async function () {
    ca = await createDemoCa({ now: new Date((T - SEVEN_WEEKS) * 1000) });
    anchors = trustAnchorsFromPem([ca.certificatePem]);
  });

  it("passes a head stamped seconds after its block, the receipt just before; the evidence time is the TSA's", async function () {
    const bundle = await stamped(await anchoredAt(T, T - 2), await tsaAt(T + 3));
    const result = await checkTrustedTime(bundle, { tsaTrustAnchors: anchors });
    expect(result.outcome, result.reason).to.equal("pass");
    expect(result.attestedAt).to.equal(new Date((T + 3) * 1000).toISOString());
    expect(result.reason).to.contain("evidence time (TSA-attested): no later than");
    expect(result.tsa).to.contain("演示用");
    const results = await verifyTrustedTime(
      bundle,
      verifyOffline(bundle, { documentDigest: DOCUMENT_DIGEST }),
      {
        trustedTime: { tsaTrustAnchors: anchors },
      },
    );
    expect(results.find((r) => r.id === "trustedTime")!.outcome).to.equal("pass");
  });

  it("fails a chain whose clock ran seven weeks ahead of the TSA's, saying so", async function () {
    // the demo moved the local chain's clock: the service received the document today and the
    // TSA stamped its head today, but the block that committed it says seven weeks from now
    const today = T - SEVEN_WEEKS;
    const bundle = await stamped(await anchoredAt(T, today), await tsaAt(today + 2));
    const result = await checkTrustedTime(bundle, { tsaTrustAnchors: anchors });
    expect(result.outcome).to.equal("fail");
    expect(result.reason).to.match(
      /the anchoring block's time 2026-01-01T00:00:00.000Z is 4233598 s after the time .* the TSA .* attests/,
    );
    expect(result.reason).to.contain("the chain's clock was ahead");
    const options = { documentDigest: DOCUMENT_DIGEST, trustedTime: { tsaTrustAnchors: anchors } };
    const results = await verifyTrustedTime(bundle, verifyOffline(bundle, options), options);
    expect(overall(results, requiredForPass(options))).to.equal("fail");
  });

  it("fails a block time just beyond the tolerance ahead of the TSA's, and passes one within it", async function () {
    const slack = TRUSTED_TIME_TOLERANCE_SECONDS + 1; // + the demo TSA's stated accuracy of 1 s
    const over = await stamped(await anchoredAt(T, T - 5), await tsaAt(T - slack - 1));
    expect((await checkTrustedTime(over, { tsaTrustAnchors: anchors })).outcome).to.equal("fail");
    const within = await stamped(await anchoredAt(T, T - 5), await tsaAt(T - slack + 1));
    expect((await checkTrustedTime(within, { tsaTrustAnchors: anchors })).outcome).to.equal("pass");
  });

  it("fails a TSA time before the intake receipt (the service's clock ahead) and a block far from the receipt", async function () {
    const early = await stamped(await anchoredAt(T, T + 600), await tsaAt(T + 5));
    const result = await checkTrustedTime(early, { tsaTrustAnchors: anchors });
    expect(result.outcome).to.equal("fail");
    expect(result.reason).to.contain("before the intake receipt's time");
    // the TSA agrees with the block, but the block is an hour after the receipt's 60 s promise
    const late = await stamped(await anchoredAt(T, T - 3600), await tsaAt(T + 1));
    const lateResult = await checkTrustedTime(late, { tsaTrustAnchors: anchors });
    expect(lateResult.outcome).to.equal("fail");
    expect(lateResult.reason).to.contain("beyond its promised merge delay");
  });

  it("never passes without a TSA trust anchor", async function () {
    const bundle = await stamped(await anchoredAt(T, T - 2), await tsaAt(T + 3));
    for (const tsaTrustAnchors of [undefined, null]) {
      const result = await checkTrustedTime(bundle, { tsaTrustAnchors });
      expect(result.outcome).to.equal("indeterminate");
      expect(result.reason).to.contain("no TSA trust anchor");
    }
    expect(verifyOffline(bundle).find((r) => r.id === "trustedTime")!.outcome).to.equal("indeterminate");
  });

  it("is indeterminate for a token from a TSA the verifier does not trust, and for a bundle without tokens", async function () {
    const other = await createDemoCa({
      now: new Date((T - SEVEN_WEEKS) * 1000),
      name: "Another Root 演示用",
    });
    const foreign = await stamped(
      await anchoredAt(T, T - 2),
      await createDemoTsa(other, { now: () => new Date((T + 3) * 1000) }),
    );
    const result = await checkTrustedTime(foreign, { tsaTrustAnchors: anchors });
    expect(result.outcome).to.equal("indeterminate");
    expect(result.reason).to.contain("no time-stamp token chains to a trusted TSA root");
    const bare = await anchoredAt(T, T - 2);
    const none = await checkTrustedTime(bare, { tsaTrustAnchors: anchors });
    expect(none.outcome).to.equal("indeterminate");
    expect(none.reason).to.contain("no time-stamp token");
    // a verifier that trusts a TSA does not pass a bundle stripped of its tokens
    const options = { documentDigest: DOCUMENT_DIGEST, trustedTime: { tsaTrustAnchors: anchors } };
    const checks = (await verifyTrustedTime(bare, verifyOffline(bare, options), options)).map((c) =>
      c.id === "headOnChain" ? { ...c, outcome: "pass" as const } : c,
    );
    expect(overall(checks, requiredForPass(options))).to.equal("indeterminate");
    expect(overall(checks)).to.equal("pass");
  });

  it("fails a token over another head, and a token whose signature was altered", async function () {
    const tsa = await tsaAt(T + 3);
    const base = await anchoredAt(T, T - 2);
    const otherHead = await stamped(
      base,
      tsa,
      headTimestampMessage({ logId: base.log.logId, treeSize: 6, rootHash: base.head.rootHash }),
    );
    const wrong = await checkTrustedTime(otherHead, { tsaTrustAnchors: anchors });
    expect(wrong.outcome).to.equal("fail");
    expect(wrong.reason).to.contain("not the SHA-256 of the tree head");
    const good = await stamped(base, tsa);
    const der = Buffer.from(good.trustedTime!.tokens[0]!.token, "base64");
    der.writeUInt8(der.readUInt8(der.length - 5) ^ 0x01, der.length - 5); // inside the RSA signature, the token's last field
    const altered = parseBundle({
      ...good,
      trustedTime: { tokens: [{ tsa: "x", token: der.toString("base64") }] },
    });
    const broken = await checkTrustedTime(altered, { tsaTrustAnchors: anchors });
    expect(broken.outcome).to.equal("fail");
    expect(broken.reason).to.contain("signature does not hold");
  });

  it("does not take a token signed by a certificate without the time-stamping purpose", async function () {
    const sealAsTsa = await createDemoTsa(
      { ...ca, issueTsaCertificate: ca.issueBranchSeal },
      { now: () => new Date((T + 3) * 1000) },
    );
    const bundle = await stamped(await anchoredAt(T, T - 2), sealAsTsa);
    const result = await checkTrustedTime(bundle, { tsaTrustAnchors: anchors });
    expect(result.outcome).to.equal("indeterminate");
    expect(result.reason).to.contain("not a time-stamping certificate");
  });

  it("the schema refuses a token that is not base64 and more than eight tokens", async function () {
    const bundle = sampleBundle();
    expect(() =>
      parseBundle({ ...bundle, trustedTime: { tokens: [{ tsa: "x", token: "not base64!" }] } }),
    ).to.throw(/trustedTime.tokens.0.token: must be base64/);
    const nine = Array.from({ length: 9 }, () => ({ tsa: "x", token: "AAAA" }));
    expect(() => parseBundle({ ...bundle, trustedTime: { tokens: nine } })).to.throw(/trustedTime.tokens/);
  });
});
