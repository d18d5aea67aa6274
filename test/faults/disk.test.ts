// Fault 5: the anchor service's data directory runs out of space, or is read-only. Its LevelDB
// lives on a small tmpfs of its own (test/support/faults/small-fs.ts; root can write through chmod,
// so permission bits cannot simulate this here). With the disk full the service stays up,
// refuses submissions with 503 ANCHOR_ERR_STORAGE_UNAVAILABLE (no 500, no crash) and still
// serves what it stored; after a failed write it takes no more writes (/healthz 503) until it
// is restarted, since LevelDB's log may hold part of the failed write. Started on a read-only data
// directory it does not crash-loop: it listens, /readyz says why it is not ready, and every
// route answers 503 with the same code until the directory is writable, then it opens the
// database and serves. Nothing acknowledged before is lost: every receipt is audited at the end.
import { expect } from "chai";
import type { Wallet } from "ethers";
import { receiptDomain, type Receipt } from "../../common/formats/receipt/receipts.ts";
import type { Config } from "../../anchor-service/src/config.ts";
import { AnchorLoad } from "../support/faults/anchor-load.ts";
import { auditServed, auditStored, waitAllAnchored } from "../support/faults/anchor-audit.ts";
import { FAULT_START_TIMEOUT_MS, faultProfile, printFigures } from "../support/faults/profile.ts";
import { sleep, until } from "../support/faults/seeded.ts";
import { mountSmallFs, type SmallFs } from "../support/faults/small-fs.ts";
import { startAnchorProcess, type AnchorProcess } from "../support/anchor-process.ts";
import { freePort } from "../support/anvil.ts";
import { recordFor, startConsortiumChain, type ConsortiumChain } from "../support/consortium-chain.ts";

const profile = faultProfile();

describe("faults: a full or read-only data directory", function () {
  // the receipts taken before the disk fills, and their audit at the end, grow with the profile
  this.timeout(180_000 + profile.diskReceipts * 1_000);
  let chain: ConsortiumChain;
  let fs: SmallFs;
  let config: Config;
  let server: AnchorProcess | undefined;
  let load: AnchorLoad;

  before(async function () {
    chain = await startConsortiumChain();
    fs = await mountSmallFs(32);
    config = chain.config({
      dataDir: `${fs.dir}/anchor`,
      port: await freePort(),
      commitIntervalMs: 300,
      logLevel: "warn",
    });
  });

  after(async function () {
    await server?.kill();
    await chain?.stop();
    await fs?.unmount();
  });

  async function submit(signer: Wallet): Promise<{ status: number; code: string | undefined }> {
    const body = JSON.stringify({ records: [recordFor(`disk fault ${Math.random()}`)] });
    const response = await fetch(`${server!.url}/v1/leaves`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(await chain.sign(signer, body)) },
      body,
    });
    const payload = (await response.json()) as { receipts?: Receipt[]; error?: { code: string } };
    // a receipt is a promise like any other: audited at the end
    for (const r of payload.receipts ?? []) load.receipts.set(r.leafHash, r);
    return { status: response.status, code: payload.error?.code };
  }

  it("disk full: refuses submissions with 503 ANCHOR_ERR_STORAGE_UNAVAILABLE, keeps serving reads, stops writing until restarted, then takes work again", async function () {
    server = await startAnchorProcess(config, { readyTimeoutMs: FAULT_START_TIMEOUT_MS });
    load = new AnchorLoad({
      url: server.url,
      clients: profile.clients,
      pauseMs: profile.pauseMs,
      recordsPerRequest: profile.recordsPerRequest,
      sign: (body) => chain.sign(chain.wallets.branchA, body),
    });
    load.start();
    await load.moreReceipts(profile.diskReceipts, 60_000 + profile.diskReceipts * 500);
    await load.stop();
    await waitAllAnchored(server.url);
    const acknowledged = [...load.receipts.values()];

    const filled = fs.fill();
    const refusals: Array<{ status: number; code: string | undefined }> = [];
    for (let i = 0; i < 20; i++) refusals.push(await submit(chain.wallets.branchA));
    await sleep(1_000); // a committer round or two on the full disk
    expect(server.process.exitCode, `the service exited: ${server.stderr()}`).to.equal(null);
    const readable = await fetch(`${server.url}/v1/bundles/${acknowledged[0]!.leafHash}`);
    const healthz = await fetch(`${server.url}/healthz`);
    const readyz = (await (await fetch(`${server.url}/readyz`)).json()) as {
      ready: boolean;
      storage?: string;
    };

    // space again: the database stays fenced (a failed write may have left part of itself in
    // LevelDB's log) until the process reopens it
    await fs.free();
    const fenced = await submit(chain.wallets.branchA);
    await server.kill("SIGTERM");
    const restarted = performance.now();
    server = await startAnchorProcess(config, { readyTimeoutMs: FAULT_START_TIMEOUT_MS });
    const restartMs = performance.now() - restarted;
    const accepted = await submit(chain.wallets.branchA);
    load.start();
    await load.moreReceipts(50);
    await load.stop();
    printFigures("disk full", profile, {
      filledBytes: filled,
      refused: `${refusals.filter((r) => r.status !== 200).length}/${refusals.length}`,
      codes: [...new Set(refusals.map((r) => `${r.status}:${r.code}`))].join(","),
      healthzWhileFenced: healthz.status,
      readyzStorage: readyz.storage ?? "none",
      afterRestart: accepted.status,
      restartMs: Math.round(restartMs),
      receipted: load.receipts.size,
    });
    // the first write or two may still fit in a page LevelDB's log already holds
    const refused = refusals.filter((r) => r.status !== 200);
    expect(refused.length, JSON.stringify(refusals)).to.be.greaterThan(15);
    expect(
      refused.every((r) => r.status === 503 && r.code === "ANCHOR_ERR_STORAGE_UNAVAILABLE"),
      JSON.stringify(refusals),
    ).to.equal(true);
    expect(readable.status, "stored bundles are still served").to.equal(200);
    expect(healthz.status, "unhealthy: a supervisor restarts it").to.equal(503);
    expect(readyz.ready).to.equal(false);
    expect(readyz.storage).to.equal("no space left on its disk");
    expect(fenced).to.deep.equal({ status: 503, code: "ANCHOR_ERR_STORAGE_UNAVAILABLE" });
    expect(accepted.status).to.equal(200);
  });

  it("read-only data directory at start: listens, refuses with 503 ANCHOR_ERR_STORAGE_UNAVAILABLE, then serves once writable", async function () {
    await server!.kill("SIGTERM");
    server = undefined;
    fs.readOnly();
    let restored = false;
    try {
      server = await startAnchorProcess(config, {
        requireReady: false,
        readyTimeoutMs: FAULT_START_TIMEOUT_MS,
      });
      const readyz = await fetch(`${server.url}/readyz`);
      const readyBody = (await readyz.json()) as { ready: boolean; storage?: string };
      const refused = await submit(chain.wallets.branchB);
      const leaf = await fetch(`${server.url}/v1/leaves/${[...load.receipts.values()][0]!.leafHash}`);
      const leafBody = (await leaf.json()) as { error?: { code: string } };
      await sleep(1_500);
      expect(server.process.exitCode, `the service exited: ${server.stderr()}`).to.equal(null);
      fs.readWrite();
      restored = true;
      const writableAt = Date.now();
      await until(
        async () => (await fetch(`${server!.url}/readyz`)).status === 200,
        "ready once the directory is writable",
        30_000,
        100,
      );
      const openedAfterMs = Date.now() - writableAt;
      printFigures("read-only data directory", profile, {
        readyzStatus: readyz.status,
        submitStatus: `${refused.status}:${refused.code}`,
        readStatus: `${leaf.status}:${leafBody.error?.code}`,
        servingAfterWritableMs: openedAfterMs,
      });
      expect(readyz.status).to.equal(503);
      expect(readyBody.ready).to.equal(false);
      expect(refused).to.deep.equal({ status: 503, code: "ANCHOR_ERR_STORAGE_UNAVAILABLE" });
      expect(leaf.status).to.equal(503);
      expect(leafBody.error?.code).to.equal("ANCHOR_ERR_STORAGE_UNAVAILABLE");
      expect((await submit(chain.wallets.branchB)).status).to.equal(200);
    } finally {
      if (!restored) fs.readWrite();
    }
  });

  it("lost nothing it acknowledged: every receipt stored once, anchored, its bundle verifying", async function () {
    await waitAllAnchored(server!.url);
    const served = await auditServed({
      url: server!.url,
      receipts: load.receipts.values(),
      domain: receiptDomain(chain.chainId, config.evidenceLog),
      operator: chain.wallets.anchor.address,
      provider: chain.anvil.provider,
      consortiumRegistry: chain.deployment.addresses.consortiumRegistry,
    });
    await server!.kill("SIGTERM");
    server = undefined;
    const stored = await auditStored(config.dataDir, load.receipts.values());
    printFigures("disk faults audit", profile, {
      receipted: served.receipted,
      lost: served.lost,
      duplicated: stored.duplicates,
      bundlesVerified: served.bundlesVerified,
    });
    expect(served.problems, served.problems.join("\n")).to.deep.equal([]);
    expect(served.lost).to.equal(0);
    expect(served.bundlesVerified).to.equal(served.receipted);
    expect(stored.receiptsAtSequence).to.equal(served.receipted);
    expect(stored.duplicates).to.equal(0);
    expect(stored.missingFromDigestIndex).to.equal(0);
    expect(stored.digestIndexEntries).to.equal(stored.stored);
  });
});
