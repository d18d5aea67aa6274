// A chain that loses blocks (a local chain restored from an older dump): the service notices
// that heads it committed are gone, refuses to serve bundles on them meanwhile, commits its
// current head again, and every bundle — old and new leaves — verifies against the chain as it
// is now, with the re-commit recorded in the bundles it affects.
import { expect } from "chai";
import type { Receipt } from "../../common/formats/receipt/receipts.ts";
import { parseBundle } from "../../common/formats/bundle/bundle.ts";
import { readTrustAnchor } from "../../common/formats/bundle/trust-anchor.ts";
import { overall, verifyOnline } from "../../common/formats/bundle/verify.ts";
import { anchorServiceSuite } from "../support/anchor-suite.ts";
import { recordFor } from "../support/consortium-chain.ts";

describe("anchor service: the chain loses committed heads", function () {
  this.timeout(120_000);
  // the test decides when rounds run
  const suite = anchorServiceSuite({ onDisk: "anchor-loss-" });

  async function submit(documents: string[]): Promise<Receipt[]> {
    const body = JSON.stringify({ records: documents.map((d) => recordFor(d)) });
    const response = await suite.service.app.inject({
      method: "POST",
      url: "/v1/leaves",
      headers: {
        "content-type": "application/json",
        ...(await suite.chain.sign(suite.chain.wallets.branchA, body)),
      },
      payload: body,
    });
    expect(response.statusCode, response.body).to.equal(200);
    return (response.json() as { receipts: Receipt[] }).receipts;
  }

  async function bundleOf(leafHash: string) {
    const response = await suite.service.app.inject({ method: "GET", url: `/v1/bundles/${leafHash}` });
    return { status: response.statusCode, body: response.json() as Record<string, unknown> };
  }

  it("re-commits after the chain is restored below its heads, and every bundle verifies", async function () {
    const first = await submit(["contract A", "consent A"]);
    await suite.service.committer.runOnce();
    const snapshot = (await suite.chain.anvil.provider.send("evm_snapshot", [])) as string;
    const second = await submit(["contract B", "voucher B", "ruling B"]);
    await suite.service.committer.runOnce();
    expect((await suite.service.chain.latestHead()).treeSize).to.equal(5);
    const before = parseBundle((await bundleOf(second[0]!.leafHash)).body);
    expect(before.recommits).to.deep.equal([]);

    // the chain is restored to the state before the second head
    expect(await suite.chain.anvil.provider.send("evm_revert", [snapshot])).to.equal(true);
    expect((await suite.service.chain.latestHead()).treeSize).to.equal(2);

    // until the service re-commits, it refuses to hand out a bundle on the lost head
    const refused = await bundleOf(second[0]!.leafHash);
    expect(refused.status).to.equal(503);
    expect((refused.body as { error: { code: string } }).error.code).to.equal("ANCHOR_ERR_CHAIN_UNAVAILABLE");

    await suite.service.committer.runOnce();
    expect((await suite.service.chain.latestHead()).treeSize).to.equal(5);
    const heads = (await suite.service.app.inject({ method: "GET", url: "/v1/heads" })).json() as {
      heads: Array<{ treeSize: number; recommitted: boolean; onChain: boolean }>;
    };
    expect(heads.heads.map((h) => [h.treeSize, h.onChain, h.recommitted])).to.deep.equal([
      [2, true, false],
      [5, true, true],
    ]);

    const trustAnchor = await readTrustAnchor(suite.chain.anvil.provider, {
      consortiumRegistry: suite.chain.deployment.addresses.consortiumRegistry,
      name: "test consortium",
    });
    for (const receipt of [...first, ...second]) {
      const { status, body } = await bundleOf(receipt.leafHash);
      expect(status).to.equal(200);
      const bundle = parseBundle(body);
      const checks = await verifyOnline(bundle, { trustAnchor, providers: [suite.chain.anvil.provider] });
      expect(overall(checks), JSON.stringify(checks)).to.equal("pass");
      const isSecond = second.some((r) => r.leafHash === receipt.leafHash);
      expect(bundle.recommits.length, receipt.leafHash).to.equal(isSecond ? 1 : 0);
    }
    // the pre-loss bundle of a second-batch leaf no longer verifies: its block is gone
    const stale = await verifyOnline(before, { trustAnchor, providers: [suite.chain.anvil.provider] });
    expect(overall(stale)).to.equal("fail");
  });

  it("refuses to serve bundles when the endpoint serves a chain without the log (reset to genesis)", async function () {
    const all = await submit(["late document"]);
    await suite.service.committer.runOnce();
    const size = suite.service.merkle.size;
    // back to a chain with the log open but no heads at all
    await suite.chain.anvil.provider.send("anvil_reset", []).catch(() => undefined);
    // (anvil_reset drops every contract too; a fresh chain is a different chain: the service must refuse it)
    await suite.service.committer.runOnce();
    expect(["unavailable", "wrong-chain"]).to.include(suite.service.committer.state.kind);
    const refused = await bundleOf(all[0]!.leafHash);
    expect(refused.status).to.equal(503);
    expect(suite.service.merkle.size).to.equal(size);
  });

  // last: it stops the chain
  it("keeps taking submissions while the RPC endpoint is down, and commits nothing meanwhile", async function () {
    await submit(["before the outage"]); // the signer's membership is now known
    const size = suite.service.merkle.size;
    await suite.chain.stop();
    const during = await submit(["during the outage 1", "during the outage 2"]);
    expect(during).to.have.length(2);
    expect(suite.service.merkle.size).to.equal(size + 2);
    await suite.service.committer.runOnce();
    expect(suite.service.committer.state.kind).to.equal("unavailable");
    const leaf = await suite.service.app.inject({ method: "GET", url: `/v1/leaves/${during[0]!.leafHash}` });
    expect((leaf.json() as { status: string }).status).to.equal("pending");
  });
});
