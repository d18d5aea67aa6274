// A chain that loses blocks (a local chain restored from an older dump): the service notices
// that heads it committed are gone, refuses to serve bundles on them meanwhile, commits its
// current head again, and every bundle — old and new leaves — verifies against the chain as it
// is now, with the re-commit recorded in the bundles it affects.
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Receipt } from "../../common/formats/receipt/receipts.ts";
import { parseBundle } from "../../common/formats/bundle/bundle.ts";
import { readTrustAnchor } from "../../common/formats/bundle/trust-anchor.ts";
import { overall, verifyOnline } from "../../common/formats/bundle/verify.ts";
import { createAnchorService, type AnchorService } from "../../anchor-service/src/service.ts";
import { recordFor, startConsortiumChain, type ConsortiumChain } from "../support/consortium-chain.ts";

describe("anchor service: the chain loses committed heads", function () {
  this.timeout(120_000);
  let chain: ConsortiumChain;
  let service: AnchorService;
  let dataDir: string;

  before(async function () {
    chain = await startConsortiumChain();
    dataDir = await mkdtemp(join(tmpdir(), "anchor-loss-"));
    // a long interval: the test decides when rounds run
    service = await createAnchorService({ config: chain.config({ dataDir, commitIntervalMs: 3_600_000 }), logger: false });
    await service.start();
  });

  after(async function () {
    await service?.close();
    await chain?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  async function submit(documents: string[]): Promise<Receipt[]> {
    const body = JSON.stringify({ records: documents.map((d) => recordFor(d)) });
    const response = await service.app.inject({ method: "POST", url: "/v1/leaves", headers: { "content-type": "application/json", ...(await chain.sign(chain.wallets.branchA, body)) }, payload: body });
    expect(response.statusCode, response.body).to.equal(200);
    return (response.json() as { receipts: Receipt[] }).receipts;
  }

  async function bundleOf(leafHash: string) {
    const response = await service.app.inject({ method: "GET", url: `/v1/bundles/${leafHash}` });
    return { status: response.statusCode, body: response.json() as Record<string, unknown> };
  }

  it("re-commits after the chain is restored below its heads, and every bundle verifies", async function () {
    const first = await submit(["contract A", "consent A"]);
    await service.committer.runOnce();
    const snapshot = (await chain.anvil.provider.send("evm_snapshot", [])) as string;
    const second = await submit(["contract B", "voucher B", "ruling B"]);
    await service.committer.runOnce();
    expect((await service.chain.latestHead()).treeSize).to.equal(5);
    const before = parseBundle((await bundleOf(second[0]!.leafHash)).body);
    expect(before.recommits).to.deep.equal([]);

    // the chain is restored to the state before the second head
    expect(await chain.anvil.provider.send("evm_revert", [snapshot])).to.equal(true);
    expect((await service.chain.latestHead()).treeSize).to.equal(2);

    // until the service re-commits, it refuses to hand out a bundle on the lost head
    const refused = await bundleOf(second[0]!.leafHash);
    expect(refused.status).to.equal(503);
    expect((refused.body as { error: { code: string } }).error.code).to.equal("ANCHOR_ERR_CHAIN_UNAVAILABLE");

    await service.committer.runOnce();
    expect((await service.chain.latestHead()).treeSize).to.equal(5);
    const heads = (await service.app.inject({ method: "GET", url: "/v1/heads" })).json() as { heads: Array<{ treeSize: number; recommitted: boolean; onChain: boolean }> };
    expect(heads.heads.map((h) => [h.treeSize, h.onChain, h.recommitted])).to.deep.equal([[2, true, false], [5, true, true]]);

    const trustAnchor = await readTrustAnchor(chain.anvil.provider, { consortiumRegistry: chain.deployment.addresses.consortiumRegistry, name: "test consortium" });
    for (const receipt of [...first, ...second]) {
      const { status, body } = await bundleOf(receipt.leafHash);
      expect(status).to.equal(200);
      const bundle = parseBundle(body);
      const checks = await verifyOnline(bundle, { trustAnchor, providers: [chain.anvil.provider] });
      expect(overall(checks), JSON.stringify(checks)).to.equal("pass");
      const isSecond = second.some((r) => r.leafHash === receipt.leafHash);
      expect(bundle.recommits.length, receipt.leafHash).to.equal(isSecond ? 1 : 0);
    }
    // the pre-loss bundle of a second-batch leaf no longer verifies: its block is gone
    const stale = await verifyOnline(before, { trustAnchor, providers: [chain.anvil.provider] });
    expect(overall(stale)).to.equal("fail");
  });

  it("refuses to serve bundles when the endpoint serves a chain without the log (reset to genesis)", async function () {
    const all = await submit(["late document"]);
    await service.committer.runOnce();
    const size = service.merkle.size;
    // back to a chain with the log open but no heads at all
    await chain.anvil.provider.send("anvil_reset", []).catch(() => undefined);
    // (anvil_reset drops every contract too; a fresh chain is a different chain: the service must refuse it)
    await service.committer.runOnce();
    expect(["unavailable", "wrong-chain"]).to.include(service.committer.state.kind);
    const refused = await bundleOf(all[0]!.leafHash);
    expect(refused.status).to.equal(503);
    expect(service.merkle.size).to.equal(size);
  });

  // last: it stops the chain
  it("keeps taking submissions while the RPC endpoint is down, and commits nothing meanwhile", async function () {
    await submit(["before the outage"]); // the signer's membership is now known
    const size = service.merkle.size;
    await chain.stop();
    const during = await submit(["during the outage 1", "during the outage 2"]);
    expect(during).to.have.length(2);
    expect(service.merkle.size).to.equal(size + 2);
    await service.committer.runOnce();
    expect(service.committer.state.kind).to.equal("unavailable");
    const leaf = await service.app.inject({ method: "GET", url: `/v1/leaves/${during[0]!.leafHash}` });
    expect((leaf.json() as { status: string }).status).to.equal("pending");
  });

});
