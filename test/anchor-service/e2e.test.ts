// End to end over real sockets against a real chain node: Anvil started by the test, the
// contracts deployed from the build artifacts, the anchor service listening on a port with a real
// LevelDB directory; members submit over HTTP, the committer anchors, bundles verify offline and
// online.
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Wallet } from "ethers";
import type { Receipt } from "../../common/auth/receipts.ts";
import { receiptDomain, verifyReceipt } from "../../common/auth/receipts.ts";
import { requestDomain, signRequest } from "../../common/auth/request-signing.ts";
import { fromHex } from "../../common/bytes.ts";
import { parseBundle } from "../../common/evidence/bundle.ts";
import { overall, verifyOffline, verifyOnline } from "../../common/evidence/verify.ts";
import { hashLeaf, verifyInclusion } from "../../common/merkle/rfc9162.ts";
import { encodeLeaf } from "../../common/evidence/leaf.ts";
import { ConfigSchema } from "../../anchor-service/src/config.ts";
import { createAnchorService, type AnchorService } from "../../anchor-service/src/service.ts";
import { deployEvidenceCore, govern, logIdOf, type Deployment } from "../../scripts/deploy/consortium.ts";
import { startAnvil, type AnvilNode } from "../helpers/anvil.ts";

const UNION_LOG = logIdOf("union.1");
const hex32 = () => `0x${randomBytes(32).toString("hex")}`;

describe("anchor service end to end (Anvil, real sockets, real LevelDB)", function () {
  this.timeout(120_000);
  let anvil: AnvilNode;
  let deployment: Deployment;
  let service: AnchorService;
  let baseUrl: string;
  let dataDir: string;
  let branch: Wallet;
  let outsider: Wallet;
  let chainId: bigint;

  before(async function () {
    anvil = await startAnvil();
    const [deployer, unionOps, anchorKey, branchOps, branchBOps, court] = [0, 1, 2, 3, 4, 5].map((i) => anvil.wallet(i)) as Wallet[];
    branch = branchOps!;
    outsider = anvil.wallet(9);
    deployment = await deployEvidenceCore(deployer!, [
      { id: 1, kind: 1, regionCode: 330000, name: "Provincial Rural Credit Union", accounts: [unionOps!.address, anchorKey!.address] },
      { id: 2, kind: 2, regionCode: 330102, name: "Shangcheng Rural Bank", accounts: [branchOps!.address] },
      { id: 3, kind: 2, regionCode: 330681, name: "Zhuji Rural Bank", accounts: [branchBOps!.address] },
      { id: 5, kind: 4, regionCode: 330100, name: "Hangzhou Internet Court", accounts: [court!.address] },
    ]);
    await govern(deployment.governor, [unionOps!, branchOps!], [
      { target: deployment.addresses.evidenceLog, data: deployment.evidenceLog.interface.encodeFunctionData("openLog", [UNION_LOG, 1, anchorKey!.address]) },
    ]);
    chainId = (await anvil.provider.getNetwork()).chainId;
    dataDir = await mkdtemp(join(tmpdir(), "anchor-e2e-"));
    const config = ConfigSchema.parse({
      dataDir,
      rpcUrl: anvil.url,
      ...deployment.addresses,
      logId: UNION_LOG,
      operatorKey: (anchorKey as unknown as { privateKey: string }).privateKey,
      commitIntervalMs: 200,
      membershipCacheMs: 0,
      logLevel: "silent",
    });
    service = await createAnchorService({ config, logger: false });
    await service.start();
    baseUrl = await service.app.listen({ host: "127.0.0.1", port: 0 });
  });

  after(async function () {
    await service?.close();
    await anvil?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  async function submit(signer: Wallet, records: unknown[]): Promise<Response> {
    const body = JSON.stringify({ records });
    const headers = await signRequest(signer, requestDomain(chainId, deployment.addresses.consortiumRegistry), { method: "POST", path: "/v1/leaves", body });
    return fetch(`${baseUrl}/v1/leaves`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  }

  function record(document: string) {
    return { kind: 1, digestAlgorithm: 1, digest: `0x${createHash("sha256").update(document).digest("hex")}`, salt: hex32(), subject: hex32() };
  }

  async function waitAnchored(leafHash: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = await fetch(`${baseUrl}/v1/leaves/${leafHash}`);
      const body = (await r.json()) as { status: string };
      if (body.status === "anchored") return;
      if (Date.now() > deadline) throw new Error(`${leafHash} not anchored in time`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  it("submits over HTTP, replies with verifiable receipts, anchors, and serves a bundle that verifies offline and online", async function () {
    const documents = ["loan contract 2026-0001", "consent 2026-0001", "voucher 2026-0001"];
    const records = documents.map(record);
    const response = await submit(branch, records);
    expect(response.status).to.equal(200);
    const { receipts } = (await response.json()) as { receipts: Receipt[] };
    expect(receipts).to.have.length(3);
    const domain = receiptDomain(chainId, deployment.addresses.evidenceLog);
    for (const [i, receipt] of receipts.entries()) {
      expect(verifyReceipt(domain, receipt, service.chain.operator)).to.deep.equal({ ok: true });
      const leaf = encodeLeaf({ version: 1, ...records[i]!, submitter: 2 } as never);
      expect(receipt.leafHash).to.equal(`0x${Buffer.from(hashLeaf(leaf)).toString("hex")}`);
    }
    await waitAnchored(receipts[2]!.leafHash);

    const leafView = (await (await fetch(`${baseUrl}/v1/leaves/${receipts[1]!.leafHash}`)).json()) as { head: { treeSize: number; rootHash: string }; inclusionProof: string[]; sequence: number };
    expect(verifyInclusion(leafView.sequence, leafView.head.treeSize, fromHex(receipts[1]!.leafHash), leafView.inclusionProof.map(fromHex), fromHex(leafView.head.rootHash))).to.equal(true);

    const bundleResponse = await fetch(`${baseUrl}/v1/bundles/${receipts[0]!.leafHash}`);
    expect(bundleResponse.status).to.equal(200);
    const bundle = parseBundle(await bundleResponse.json());
    const digest = records[0]!.digest;
    const offline = verifyOffline(bundle, { documentDigest: digest });
    expect(offline.filter((c) => c.outcome === "fail")).to.deep.equal([]);
    const online = await verifyOnline(bundle, { providers: [anvil.provider], documentDigest: digest });
    expect(overall(online), JSON.stringify(online)).to.equal("pass");

    const verified = (await (await fetch(`${baseUrl}/v1/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ bundle, documentDigest: digest }) })).json()) as { overall: string };
    expect(verified.overall).to.equal("pass");
    const tampered = (await (await fetch(`${baseUrl}/v1/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ bundle, documentDigest: hex32() }) })).json()) as { overall: string };
    expect(tampered.overall).to.equal("fail");
  });

  it("re-submitting the same record returns the original receipt, not a second leaf", async function () {
    const rec = record("idempotent document");
    const first = (await (await submit(branch, [rec])).json()) as { receipts: Receipt[] };
    const sizeBefore = service.merkle.size;
    const again = (await (await submit(branch, [rec, rec])).json()) as { receipts: Receipt[] };
    expect(again.receipts[0]).to.deep.equal(first.receipts[0]);
    expect(again.receipts[1]).to.deep.equal(first.receipts[0]);
    expect(service.merkle.size).to.equal(sizeBefore);
  });

  it("rejects a replayed request, a non-member and an unsigned request with stable codes", async function () {
    const body = JSON.stringify({ records: [record("replay")] });
    const headers = await signRequest(branch, requestDomain(chainId, deployment.addresses.consortiumRegistry), { method: "POST", path: "/v1/leaves", body });
    const send = () => fetch(`${baseUrl}/v1/leaves`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    expect((await send()).status).to.equal(200);
    const replay = await send();
    expect(replay.status).to.equal(409);
    expect(((await replay.json()) as { error: { code: string } }).error.code).to.equal("ANCHOR_ERR_REPLAY");
    const stranger = await submit(outsider, [record("stranger")]);
    expect(stranger.status).to.equal(403);
    expect(((await stranger.json()) as { error: { code: string } }).error.code).to.equal("ANCHOR_ERR_NOT_MEMBER");
    const unsigned = await fetch(`${baseUrl}/v1/leaves`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(unsigned.status).to.equal(401);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).to.equal("ANCHOR_ERR_AUTH_MISSING");
  });
});
