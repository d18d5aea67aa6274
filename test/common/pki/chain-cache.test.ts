// The chain-validation cache behind verifyTimestampToken (common/pki/chain-cache.ts): a TSA's
// chain is validated once, while each token's imprint and signature are still checked; another
// chain, another anchor set, or a time outside the certificates' validity never rides on a
// cached success.
import { expect } from "chai";
import { ContentInfo, SignedData } from "pkijs";
import { ChainCache, type ChainValidator } from "../../../common/pki/chain-cache.ts";
import { createDemoCa, type DemoCa } from "../../../common/pki/demo-ca.ts";
import { createDemoTsa, type DemoTsa } from "../../../common/pki/demo-tsa.ts";
import { PkiError } from "../../../common/pki/errors.ts";
import { timestampRequest, tokenFromResponse, verifyTimestampToken } from "../../../common/pki/timestamp.ts";
import {
  certificatesFromPem,
  trustAnchorsFromPem,
  verifyChain,
  type TrustAnchors,
} from "../../../common/pki/trust-anchors.ts";

const DAY_MS = 86_400_000;

/** A cache whose validator counts its calls (the real `verifyChain` underneath). */
function countingCache(opts: { bucketMs?: number; maxEntries?: number } = {}) {
  const calls = { count: 0 };
  const validate: ChainValidator = (...args) => {
    calls.count++;
    return verifyChain(...args);
  };
  return { cache: new ChainCache({ ...opts, validate }), calls };
}

async function stamp(tsa: DemoTsa, text: string): Promise<{ token: Uint8Array; message: Uint8Array }> {
  const message = new TextEncoder().encode(text);
  const request = await timestampRequest(message);
  return { token: tokenFromResponse(await tsa.respond(request.der), request.der), message };
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return e instanceof PkiError ? e.code : `not a PkiError: ${String(e)}`;
  }
  return undefined;
}

/** The token with one bit of its CMS signature flipped (its certificates untouched). */
function withBadSignature(token: Uint8Array): Uint8Array {
  const info = ContentInfo.fromBER(token.slice().buffer);
  const signed = new SignedData({ schema: info.content });
  const signature = signed.signerInfos[0]!.signature.valueBlock.valueHexView;
  signature[signature.length - 1]! ^= 1;
  const out = new ContentInfo({ contentType: ContentInfo.SIGNED_DATA, content: signed.toSchema(true) });
  return new Uint8Array(out.toSchema().toBER(false));
}

describe("common/pki: chain-validation cache for time-stamp tokens", function () {
  this.timeout(120_000);
  let ca: DemoCa;
  let anchors: TrustAnchors;
  before(async () => {
    ca = await createDemoCa();
    anchors = trustAnchorsFromPem([ca.certificatePem]);
  });

  it("validates a TSA's chain once; a second token from it hits, yet its imprint and signature are checked", async function () {
    const tsa = await createDemoTsa(ca);
    const { cache, calls } = countingCache();
    const first = await stamp(tsa, "head 1");
    const second = await stamp(tsa, "head 2");
    await verifyTimestampToken(first.token, first.message, anchors, { chainCache: cache });
    const verified = await verifyTimestampToken(second.token, second.message, anchors, { chainCache: cache });
    expect(verified.tsa).to.contain("JointLedger Demo TSA");
    expect(calls.count).to.equal(1);
    expect({ hits: cache.hits, misses: cache.misses }).to.deep.equal({ hits: 1, misses: 1 });

    expect(
      await codeOf(verifyTimestampToken(second.token, first.message, anchors, { chainCache: cache })),
    ).to.equal("PKI_TIMESTAMP_IMPRINT");
    expect(
      await codeOf(
        verifyTimestampToken(withBadSignature(second.token), second.message, anchors, { chainCache: cache }),
      ),
    ).to.equal("PKI_TIMESTAMP_SIGNATURE");
  });

  it("refuses a token from a TSA under another root after a cached success, and validates another TSA's chain afresh", async function () {
    const { cache, calls } = countingCache();
    const ours = await stamp(await createDemoTsa(ca), "head");
    await verifyTimestampToken(ours.token, ours.message, anchors, { chainCache: cache });

    const stranger = await stamp(
      await createDemoTsa(await createDemoCa(), { name: "JointLedger Demo TSA" }),
      "head",
    );
    expect(
      await codeOf(verifyTimestampToken(stranger.token, stranger.message, anchors, { chainCache: cache })),
    ).to.equal("PKI_UNTRUSTED_CHAIN");
    expect(calls.count).to.equal(2);

    // Another TSA of the same root: other chain bytes, so a miss, and it verifies.
    const sibling = await stamp(await createDemoTsa(ca, { name: "JointLedger Demo TSA 2" }), "head");
    await verifyTimestampToken(sibling.token, sibling.message, anchors, { chainCache: cache });
    expect(calls.count).to.equal(3);
    // A refusal is not remembered: the stranger's chain is validated (and refused) again.
    expect(
      await codeOf(verifyTimestampToken(stranger.token, stranger.message, anchors, { chainCache: cache })),
    ).to.equal("PKI_UNTRUSTED_CHAIN");
    expect(calls.count).to.equal(4);
  });

  it("refuses a token stamped after the TSA certificate expired, within the same bucket as a cached success", async function () {
    let clock = new Date();
    const tsa = await createDemoTsa(ca, { now: () => clock });
    const leaf = certificatesFromPem(tsa.certificatePem)[0]!;
    // One bucket spanning centuries: only the validity check can refuse the late token.
    const { cache, calls } = countingCache({ bucketMs: 1000 * 365 * DAY_MS });
    const early = await stamp(tsa, "head");
    await verifyTimestampToken(early.token, early.message, anchors, { chainCache: cache });

    clock = new Date(leaf.notAfter.value.getTime() + DAY_MS);
    const late = await stamp(tsa, "head");
    expect(
      await codeOf(verifyTimestampToken(late.token, late.message, anchors, { chainCache: cache })),
    ).to.equal("PKI_NOT_VALID_AT");
    clock = new Date(leaf.notBefore.value.getTime() - DAY_MS);
    const backdated = await stamp(tsa, "head");
    expect(
      await codeOf(verifyTimestampToken(backdated.token, backdated.message, anchors, { chainCache: cache })),
    ).to.equal("PKI_NOT_VALID_AT");
    expect(calls.count).to.equal(3);
    expect(cache.hits).to.equal(0);
  });

  it("misses under another trust-anchor set, and refuses under anchors without the TSA's root", async function () {
    const tsa = await createDemoTsa(ca);
    const other = await createDemoCa();
    const { cache, calls } = countingCache();
    const { token, message } = await stamp(tsa, "head");
    await verifyTimestampToken(token, message, anchors, { chainCache: cache });

    await verifyTimestampToken(
      token,
      message,
      trustAnchorsFromPem([ca.certificatePem, other.certificatePem]),
      {
        chainCache: cache,
      },
    );
    expect(calls.count).to.equal(2);
    expect(
      await codeOf(
        verifyTimestampToken(token, message, trustAnchorsFromPem([other.certificatePem]), {
          chainCache: cache,
        }),
      ),
    ).to.equal("PKI_UNTRUSTED_CHAIN");
    expect(calls.count).to.equal(3);
    // The same roots parsed again are the same set: a hit.
    await verifyTimestampToken(token, message, trustAnchorsFromPem([ca.certificatePem]), {
      chainCache: cache,
    });
    expect(calls.count).to.equal(3);
  });

  it("is bounded: the least recently used chain is evicted", async function () {
    const { cache, calls } = countingCache({ maxEntries: 2 });
    const tokens = [];
    for (const name of ["A", "B", "C"])
      tokens.push(await stamp(await createDemoTsa(ca, { name: `TSA ${name}` }), name));
    const [a, b, c] = tokens as [(typeof tokens)[0], (typeof tokens)[0], (typeof tokens)[0]];
    const verify = (t: typeof a) => verifyTimestampToken(t.token, t.message, anchors, { chainCache: cache });
    await verify(a);
    await verify(b);
    await verify(a); // hit: B is now the least recently used
    await verify(c); // evicts B
    expect(cache.size).to.equal(2);
    expect(calls.count).to.equal(3);
    await verify(a);
    expect(calls.count).to.equal(3);
    await verify(b);
    expect(calls.count).to.equal(4);
  });
});
