// The consortium's services over HTTPS on a real chain: the anchor service and three nodes serve
// one certificate from a demo CA; the platform's node forwards a joint application to the
// branch's node and the branch anchors the consent letter, each request verifying its peer
// against that CA alone. A client that does not trust the CA is refused by every service, and a
// node whose fetch no longer trusts the CA reads the anchor service as unreachable.
import { expect } from "chai";
import { Agent, fetch as undiciFetch } from "undici";
import { createDemoCa } from "../../common/pki/demo-ca.ts";
import { trustOnly } from "../../common/service/tls.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { bearerAs, submitJointApplication } from "../support/institution-node.ts";
import { jiedaibaoPayload } from "../support/channel-fixtures.ts";

const TOKENS = { clerk: "clerk-token-1", approver: "approver-token-1" } as const;

type Readiness = { ready: boolean; reasons: string[]; detail: { anchor: { ok: boolean } } };

async function readiness(url: string): Promise<Readiness> {
  return (await (await fetch(`${url}/readyz`)).json()) as Readiness;
}

/** The node's readiness once its indexer has caught up (it answers 503 until then). */
async function settledReadiness(url: string, withinMs = 20_000): Promise<Readiness> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const state = await readiness(url);
    if (state.ready || Date.now() > deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("TLS between the consortium's services", function () {
  this.timeout(120_000);
  const suite = lendingSuite("tls-", { joint: { tokens: TOKENS }, tls: true });
  const as = bearerAs(TOKENS);
  /** A CA certificate nothing in the suite chains to. */
  let otherCa: string;
  before(async function () {
    otherCa = (await createDemoCa({ name: "Another TLS CA" })).certificatePem;
  });

  it("serves HTTPS only: every service's URL is https, plain HTTP gets no answer", async function () {
    const urls = [suite.anchorUrl, ...Object.values(suite.directory)];
    expect(urls).to.have.length(4);
    for (const url of urls) {
      expect(url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
      const healthz = await fetch(`${url}/healthz`);
      expect(healthz.status).to.equal(200);
      await healthz.body?.cancel();
      const plain = await fetch(`${url.replace("https:", "http:")}/healthz`).then(
        (response) => response.status,
        (error: unknown) => (error as Error).message,
      );
      expect(plain).to.equal("fetch failed");
    }
  });

  it("refuses a client that does not trust the CA (public roots only, or another CA)", async function () {
    const clients = [new Agent(), new Agent({ connect: { ca: otherCa } })];
    const urls = [suite.anchorUrl, ...Object.values(suite.directory)];
    const seen = await Promise.all(
      urls.flatMap((url) =>
        clients.map((dispatcher) =>
          undiciFetch(`${url}/healthz`, { dispatcher }).then(
            (response) => `${url} answered ${response.status}`,
            (error: unknown) => `${url} refused: ${(error as { cause?: { code?: string } }).cause?.code}`,
          ),
        ),
      ),
    );
    await Promise.all(clients.map((client) => client.close()));
    // the agent trusting another CA sees an unknown issuer, the public roots a self-signed root
    const refused = /refused: (SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/;
    expect(seen.filter((line) => !refused.test(line))).to.deep.equal([]);
    expect(seen).to.have.length(8);
  });

  it("carries a joint application node to node and anchors its consent over TLS", async function () {
    // the platform's node forwards it to the branch's, which anchors the consent letter
    const forwarded = { ...jiedaibaoPayload(), shenqingBianhao: "JDB-TLS-1" };
    const letter = "授权书 JDB-TLS-1";
    const sent = await submitJointApplication(suite.platform, suite.branch, as, {
      payload: forwarded,
      letter,
    });
    const { atBranch, consentLeafHash } = sent;
    expect(atBranch).to.be.a("string").and.not.equal("");
    expect(consentLeafHash).to.match(/^0x[0-9a-f]{64}$/);
    const leaf = await fetch(`${suite.anchorUrl}/v1/leaves/${consentLeafHash}`);
    expect(leaf.status).to.equal(200);
    await leaf.body?.cancel();
  });

  it("reads the anchor service as unreachable from a node whose fetch does not trust the CA", async function () {
    const branchUrl = suite.directory["2"];
    if (branchUrl === undefined) throw new Error("no branch URL");
    suite.branch.indexer.start();
    const trusted = await settledReadiness(branchUrl);
    expect(trusted.detail.anchor.ok, trusted.reasons.join("; ")).to.equal(true);

    // the process now trusts another CA only: the node's probe of the anchor is refused; this
    // test's own request to the node goes through an agent that still trusts the suite's CA
    const restore = trustOnly(otherCa);
    const viaSuiteCa = new Agent({ connect: { ca: suite.tlsCa } });
    try {
      const answer = await undiciFetch(`${branchUrl}/readyz`, { dispatcher: viaSuiteCa });
      const untrusted = (await answer.json()) as Readiness;
      expect(answer.status).to.equal(503);
      expect(untrusted.detail.anchor.ok).to.equal(false);
      expect(untrusted.reasons.join("; ")).to.match(/^.*anchor: unreachable/m);
    } finally {
      restore();
      await viaSuiteCa.close();
    }
  });
});
