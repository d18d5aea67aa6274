// What needs only the log's own head — the witnesses' cosignatures and the TSA's token — is
// obtained while the head's transaction waits for its block, not after: a witnessed,
// time-stamped bundle then waits for the later of the chain and the witnesses, not their sum.
// Anvil's automine is switched off so the transaction stays pending while the test looks.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Config } from "../../../anchor-service/src/config.ts";
import { LeafResponse } from "../../../anchor-service/src/schemas/leaves.ts";
import { parseBundle } from "../../../common/formats/bundle/bundle.ts";
import { checkTrustedTime } from "../../../common/formats/bundle/trusted-time.ts";
import { checkWitnesses } from "../../../common/formats/checkpoint/bundle-witnesses.ts";
import { parsePolicy, verifyCheckpoint } from "../../../common/formats/checkpoint/policy.ts";
import { createDemoCa } from "../../../common/pki/demo-ca.ts";
import { createDemoTsa, serveDemoTsa } from "../../../common/pki/demo-tsa.ts";
import { trustAnchorsFromPem } from "../../../common/pki/trust-anchors.ts";
import { anchorServiceSuite } from "../../support/anchor-suite.ts";
import { recordFor } from "../../support/consortium-chain.ts";
import { startWitnessPair, type WitnessPair } from "../../support/witnesses.ts";

async function until(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("anchor committer: witnesses and TSA asked while the head's transaction is mined", function () {
  this.timeout(120_000);
  const config: Partial<Config> = { commitLeaves: 1_000_000 };
  let witnesses: WitnessPair;
  let tsa: Awaited<ReturnType<typeof serveDemoTsa>>;
  let tsaRootPem: string;
  let dir: string;

  before(async function () {
    witnesses = await startWitnessPair();
    const demoTsa = await createDemoTsa(await createDemoCa());
    tsaRootPem = demoTsa.rootPem;
    tsa = await serveDemoTsa(demoTsa);
    dir = await mkdtemp(join(tmpdir(), "jl-head-first-"));
    await writeFile(join(dir, "policy.txt"), witnesses.policyText);
    await writeFile(join(dir, "tsa-root.pem"), tsaRootPem);
    Object.assign(config, {
      checkpointOrigin: witnesses.checkpointOrigin,
      checkpointKey: witnesses.checkpointKey,
      witnessUrls: witnesses.witnessUrls,
      witnessPolicyFile: join(dir, "policy.txt"),
      tsaUrls: [tsa.url],
      tsaTrustAnchorFiles: [join(dir, "tsa-root.pem")],
    });
  });
  const suite = anchorServiceSuite({ config, settleFirstRound: true });
  after(async function () {
    await witnesses.close();
    await tsa.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("publishes the 2-of-2 checkpoint and stores the TSA's token before the block; the bundle then carries both", async function () {
    const { service, chain } = suite;
    const provider = chain.anvil.provider;
    const records = Array.from({ length: 40 }, (_, i) => recordFor(`head first ${i} ${Math.random()}`));
    const res = await suite.postLeaves(JSON.stringify({ records }));
    expect(res.statusCode, res.body).to.equal(200);
    const leafHash = (res.json() as { receipts: { leafHash: string }[] }).receipts[7]!.leafHash;
    const size = service.merkle.size;
    const headsBefore = await service.chain.headCount();

    await provider.send("evm_setAutomine", [false]);
    let round: Promise<void> | undefined;
    try {
      round = service.committer.runOnce();
      await until(
        "the checkpoint of the pending head",
        async () => service.c2sp.routes.published()?.size === size,
      );
      await until(
        "the TSA's token over the pending head",
        async () => (await service.stamper.tokensFor(size)) !== undefined,
      );
      // both came while the transaction was still waiting for its block
      expect(await service.chain.headCount()).to.equal(headsBefore);
      const pending = await service.app.inject({ url: `/v1/bundles/${leafHash}` });
      expect(pending.statusCode).to.equal(409); // no bundle before the chain holds the head
      const pendingView = (await service.app.inject({ url: `/v1/leaves/${leafHash}` })).json() as object;
      expect(pendingView).to.include({ status: "pending" }).and.not.have.property("bundle");
      const published = await service.app.inject({ url: "/checkpoint" });
      const verdict = verifyCheckpoint(published.body, parsePolicy(witnesses.policyText));
      expect(verdict.quorum).to.equal(true);
      expect(verdict.checkpoint.treeSize).to.equal(size);
    } finally {
      await provider.send("evm_setAutomine", [true]);
      await provider.send("evm_mine", []);
      await round;
    }
    expect(await service.chain.headCount()).to.equal(headsBefore + 1);

    // the leaf view tells a polling client the bundle now carries both, before it fetches it
    const view = LeafResponse.parse((await service.app.inject({ url: `/v1/leaves/${leafHash}` })).json());
    expect(view.bundle).to.deep.equal({ witnessed: true, trustedTime: true });
    const bundle = parseBundle((await service.app.inject({ url: `/v1/bundles/${leafHash}` })).json());
    expect(bundle.head.treeSize).to.equal(size);
    const time = await checkTrustedTime(bundle, { tsaTrustAnchors: trustAnchorsFromPem([tsaRootPem]) });
    expect(time.outcome, time.reason).to.equal("pass");
    const evidence = { ...bundle, leafHash: bundle.leaf.leafHash, leafIndex: bundle.log.leafIndex };
    const witnessed = checkWitnesses(evidence, parsePolicy(witnesses.policyText));
    expect(witnessed.outcome, witnessed.reason).to.equal("pass");
    expect(witnessed.cosigners?.map((c) => c.name)).to.deep.equal(["court", "union"]);
  });
});
