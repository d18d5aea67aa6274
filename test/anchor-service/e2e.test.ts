// End to end over real sockets against a real chain node: Anvil started by the test, the
// contracts deployed from the build artifacts, the anchor service listening on a port with a real
// LevelDB directory; members submit over HTTP, the committer anchors, bundles verify offline and
// online.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Wallet } from "ethers";
import type { Receipt } from "../../common/formats/receipt/receipts.ts";
import { receiptDomain, verifyReceipt } from "../../common/formats/receipt/receipts.ts";
import { fromHex } from "../../common/bytes.ts";
import { parseBundle } from "../../common/formats/bundle/bundle.ts";
import { readTrustAnchor } from "../../common/formats/bundle/trust-anchor.ts";
import { overall, verifyOffline, verifyOnline } from "../../common/formats/bundle/verify.ts";
import { hashLeaf, verifyInclusion } from "../../common/formats/merkle/rfc9162.ts";
import { encodeLeaf } from "../../common/formats/leaf/leaf.ts";
import { createAnchorService, type AnchorService } from "../../anchor-service/src/service.ts";
import type { AnvilNode } from "../support/anvil.ts";
import { verdictAt } from "../support/anchor-suite.ts";
import {
  MEMBERS,
  recordFor,
  startConsortiumChain,
  type ConsortiumChain,
} from "../support/consortium-chain.ts";

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), stdout, stderr }),
    );
  });
}

describe("anchor service end to end (Anvil, real sockets, real LevelDB)", function () {
  this.timeout(120_000);
  let chain: ConsortiumChain;
  let anvil: AnvilNode;
  let deployment: ConsortiumChain["deployment"];
  let service: AnchorService;
  let baseUrl: string;
  let dataDir: string;
  let branch: Wallet;
  let outsider: Wallet;
  let chainId: bigint;
  const hex32 = () => `0x${randomBytes(32).toString("hex")}`;

  before(async function () {
    chain = await startConsortiumChain();
    ({ anvil, deployment, chainId } = chain);
    branch = chain.wallets.branchA;
    outsider = chain.wallets.outsider;
    dataDir = await mkdtemp(join(tmpdir(), "anchor-e2e-"));
    service = await createAnchorService({ config: chain.config({ dataDir }), logger: false });
    await service.start();
    baseUrl = await service.app.listen({ host: "127.0.0.1", port: 0 });
  });

  after(async function () {
    await service?.close();
    await chain?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  async function submit(signer: Wallet, records: unknown[]): Promise<Response> {
    const body = JSON.stringify({ records });
    const headers = await chain.sign(signer, body);
    return fetch(`${baseUrl}/v1/leaves`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
  }

  const record = (document: string) => recordFor(document);

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

    const leafView = (await (await fetch(`${baseUrl}/v1/leaves/${receipts[1]!.leafHash}`)).json()) as {
      head: { treeSize: number; rootHash: string };
      inclusionProof: string[];
      sequence: number;
    };
    expect(
      verifyInclusion(
        leafView.sequence,
        leafView.head.treeSize,
        fromHex(receipts[1]!.leafHash),
        leafView.inclusionProof.map(fromHex),
        fromHex(leafView.head.rootHash),
      ),
    ).to.equal(true);

    const bundleResponse = await fetch(`${baseUrl}/v1/bundles/${receipts[0]!.leafHash}`);
    expect(bundleResponse.status).to.equal(200);
    const bundle = parseBundle(await bundleResponse.json());
    const digest = records[0]!.digest;
    const offline = verifyOffline(bundle, { documentDigest: digest });
    expect(offline.filter((c) => c.outcome === "fail")).to.deep.equal([]);
    const trustAnchor = await readTrustAnchor(anvil.provider, {
      consortiumRegistry: deployment.addresses.consortiumRegistry,
      name: "test consortium",
    });
    const online = await verifyOnline(bundle, {
      trustAnchor,
      providers: [anvil.provider],
      documentDigest: digest,
    });
    expect(overall(online), JSON.stringify(online)).to.equal("pass");

    expect(await verdictAt(baseUrl, bundle, digest)).to.equal("pass");
    expect(await verdictAt(baseUrl, bundle, hex32())).to.equal("fail");
  });

  it("CLI: anchor a folder of files, then verify each file offline and against the chain; a changed file fails", async function () {
    const folder = await mkdtemp(join(tmpdir(), "anchor-cli-"));
    try {
      for (const name of ["contract.pdf", "consent.pdf", "voucher.txt"])
        await writeFile(join(folder, name), `document ${name} ${randomBytes(8).toString("hex")}`);
      const env = {
        ...process.env,
        JL_PRIVATE_KEY: (branch as unknown as { privateKey: string }).privateKey,
        JL_MEMBER_ID: String(MEMBERS.branchA),
        JL_ANCHOR_URL: baseUrl,
      };
      const anchored = await run(["scripts/cli/anchor.ts", folder, "--timeout", "30"], env);
      expect(anchored.code, anchored.stderr).to.equal(0);
      expect(anchored.stdout).to.contain("3 file(s) anchored");
      // the trust anchor from the service's published URL, as a court takes it from the consortium
      const trust = ["--trust", `${baseUrl}/.well-known/jointledger-trust-anchor.json`];
      const verified = await run(
        [
          "scripts/cli/verify.ts",
          join(folder, "consent.pdf"),
          join(folder, "consent.pdf.evidence.json"),
          ...trust,
          "--rpc",
          anvil.url,
        ],
        env,
      );
      expect(verified.code, verified.stdout + verified.stderr).to.equal(0);
      // Anvil's chain id 31337 is a development chain: the report opens by saying so, then the anchor
      expect(verified.stdout).to.match(
        /^测试环境 — 非正式证据 \/ Test environment — not evidence[^\n]*\n\ntrust anchor: .*, chain \d+, ConsortiumRegistry 0x[0-9a-f]{40}, fingerprint [0-9a-f]{4}( [0-9a-f]{4}){7}\n/,
      );
      const offline = await run(
        ["scripts/cli/verify.ts", join(folder, "voucher.txt"), join(folder, "voucher.txt.evidence.json")],
        env,
      );
      expect(offline.code, "offline: chain checks are indeterminate").to.equal(3);
      await writeFile(join(folder, "contract.pdf"), "a different document");
      const changed = await run(
        [
          "scripts/cli/verify.ts",
          join(folder, "contract.pdf"),
          join(folder, "contract.pdf.evidence.json"),
          ...trust,
          "--rpc",
          anvil.url,
        ],
        env,
      );
      expect(changed.code).to.equal(1);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
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
    const headers = await chain.sign(branch, body);
    const send = () =>
      fetch(`${baseUrl}/v1/leaves`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
    expect((await send()).status).to.equal(200);
    const replay = await send();
    expect(replay.status).to.equal(409);
    expect(((await replay.json()) as { error: { code: string } }).error.code).to.equal("ANCHOR_ERR_REPLAY");
    const stranger = await submit(outsider, [record("stranger")]);
    expect(stranger.status).to.equal(403);
    expect(((await stranger.json()) as { error: { code: string } }).error.code).to.equal(
      "ANCHOR_ERR_NOT_MEMBER",
    );
    const unsigned = await fetch(`${baseUrl}/v1/leaves`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(unsigned.status).to.equal(401);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).to.equal(
      "ANCHOR_ERR_AUTH_MISSING",
    );
  });
});
