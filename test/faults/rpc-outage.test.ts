// Fault 3: the chain's RPC endpoint becomes unreachable under load. The anchor service talks to
// Anvil through a TCP proxy (test/support/faults/tcp-proxy.ts) that is cut for FAULT_OUTAGE_SECONDS
// (60 in `npm run test:faults`, 8 in `npm test`) — first as a partition (connections hang), as
// a real network failure looks. Meanwhile intake keeps issuing receipts and /readyz reports the
// outage (503, chain "unavailable"); after recovery the backlog is anchored: the time from
// recovery until the last record received during the outage is anchored is printed (the
// Guarantees promise ≤ 10 s; only a generous sanity bound is asserted here). Then every receipt
// is audited like fault 1. The service promises in its receipts a merge delay that covers the
// outage and that bound (ANCHOR_MAX_MERGE_DELAY_SECONDS): a record received as the endpoint went
// away is anchored only after it is back, and a verifier rightly fails a bundle anchored later
// than its receipt promised.
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Receipt } from "../../common/formats/receipt/receipts.ts";
import type { Config } from "../../anchor-service/src/config.ts";
import { membersLoad } from "../support/faults/anchor-load.ts";
import { auditServedOn, auditStored, waitAllAnchored } from "../support/faults/anchor-audit.ts";
import { FAULT_START_TIMEOUT_MS, faultProfile, printFigures } from "../support/faults/profile.ts";
import { sleep, until } from "../support/faults/seeded.ts";
import { TcpProxy, type CutMode } from "../support/faults/tcp-proxy.ts";
import { startAnchorProcess, type AnchorProcess } from "../support/anchor-process.ts";
import { freePort } from "../support/anvil.ts";
import { startConsortiumChain, type ConsortiumChain } from "../support/consortium-chain.ts";

const profile = faultProfile();

/** The backlog must be anchored within this long after recovery (a sanity bound; the figure is printed). */
const BACKLOG_BOUND_SECONDS = 60;

type Readyz = { ready: boolean; chain: { kind: string }; pendingLeaves: number };

describe("faults: the RPC endpoint unreachable under load", function () {
  // the load keeps being receipted through the outage, and every receipt is audited after it: a
  // 60 s outage on a loaded 2-core machine gave 1,000-2,600 receipts, audits of 233-471 s and up to
  // 580 s in all, so the time grows with the outage well beyond the outage itself
  this.timeout(180_000 + profile.outageSeconds * 10_000);
  let chain: ConsortiumChain;
  let proxy: TcpProxy;
  let dataDir: string;
  let config: Config;
  let server: AnchorProcess | undefined;
  /** Every receipt of both outages, for the storage audit at the end. */
  const receipted: Receipt[] = [];

  before(async function () {
    chain = await startConsortiumChain();
    proxy = await TcpProxy.start({ port: chain.anvil.port });
    dataDir = await mkdtemp(join(tmpdir(), "fault-rpc-outage-"));
    // the production commit interval and membership cache; a merge delay promised for an outage
    // this long plus the backlog's sanity bound below (the default 60 s is shorter than the full
    // profile's outage)
    config = chain.config({
      dataDir,
      port: await freePort(),
      rpcUrl: proxy.url,
      commitIntervalMs: 1000,
      membershipCacheMs: 2000,
      maxMergeDelaySeconds: profile.outageSeconds + BACKLOG_BOUND_SECONDS,
      logLevel: "warn",
    });
  });

  after(async function () {
    await server?.kill();
    await proxy?.close();
    await chain?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  async function readyz(): Promise<{ status: number; body: Readyz }> {
    const response = await fetch(`${server!.url}/readyz`, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: (await response.json()) as Readyz };
  }

  async function anchored(receipt: Receipt): Promise<boolean> {
    const response = await fetch(`${server!.url}/v1/leaves/${receipt.leafHash}`);
    return response.ok && ((await response.json()) as { status: string }).status === "anchored";
  }

  for (const mode of ["blackhole", "reset"] as const satisfies CutMode[]) {
    it(`keeps taking records through a ${profile.outageSeconds} s outage (${mode}), reports it on /readyz, and anchors the backlog after`, async function () {
      server ??= await startAnchorProcess(config, { readyTimeoutMs: FAULT_START_TIMEOUT_MS });
      const { branchA, branchB, platform } = chain.wallets;
      const load = membersLoad(chain, server.url, profile, [branchA, branchB, platform]);
      load.start();
      let duringOutage: number;
      const readiness: Array<{ at: number; status: number; kind: string }> = [];
      let backlogMs: number;
      let readyAgainMs: number;
      try {
        await load.moreReceipts(50);
        await until(async () => (await readyz()).status === 200, "ready before the outage", 30_000);

        proxy.cut(mode);
        const cutAt = Date.now();
        const before = load.receipts.size;
        while (Date.now() - cutAt < profile.outageSeconds * 1000) {
          const r = await readyz();
          readiness.push({ at: Date.now() - cutAt, status: r.status, kind: r.body.chain.kind });
          await sleep(250);
        }
        duringOutage = load.receipts.size - before;
        // the newest record received while the endpoint was away
        const lastDuring = [...load.receipts.values()].reduce((a, b) => (b.sequence > a.sequence ? b : a));
        proxy.restore();
        const recoveredAt = Date.now();
        await until(
          () => anchored(lastDuring),
          "the outage's backlog anchored",
          2 * BACKLOG_BOUND_SECONDS * 1000,
          50,
        );
        backlogMs = Date.now() - recoveredAt;
        await until(async () => (await readyz()).status === 200, "ready after the outage", 60_000, 50);
        readyAgainMs = Date.now() - recoveredAt;
        await load.moreReceipts(10);
      } finally {
        proxy.restore();
        await load.stop();
        receipted.push(...load.receipts.values());
      }

      await waitAllAnchored(server.url);
      const auditStarted = performance.now();
      const served = await auditServedOn(chain, config.evidenceLog, server.url, load.receipts.values());
      const reportedAfterMs = readiness.find((r) => r.status === 503)?.at;
      printFigures(`RPC outage (${mode})`, profile, {
        outageSeconds: profile.outageSeconds,
        receiptsDuringOutage: duringOutage,
        readyz503Samples: `${readiness.filter((r) => r.status === 503).length}/${readiness.length}`,
        outageReportedAfterMs: reportedAfterMs ?? "never",
        backlogAnchoredAfterRecoveryMs: backlogMs,
        readyAgainAfterRecoveryMs: readyAgainMs,
        receipted: served.receipted,
        lost: served.lost,
        bundlesVerified: served.bundlesVerified,
        bundleRetries: served.chainUnavailableRetries,
        auditMs: Math.round(performance.now() - auditStarted),
      });

      expect(duringOutage, "receipts issued while the endpoint was unreachable").to.be.greaterThan(0);
      // after the committer's first failed round (it runs every second) the outage shows on /readyz until the end
      expect(reportedAfterMs, "/readyz reported the outage").to.not.equal(undefined);
      const afterReport = readiness.filter((r) => r.at >= reportedAfterMs!);
      expect(
        afterReport.every((r) => r.status === 503 && r.kind === "unavailable"),
        JSON.stringify(readiness),
      ).to.equal(true);
      expect(backlogMs, "backlog anchored (sanity bound only; the figure is printed)").to.be.lessThan(
        BACKLOG_BOUND_SECONDS * 1000,
      );
      expect(served.problems, served.problems.join("\n")).to.deep.equal([]);
      expect(served.lost).to.equal(0);
      expect(served.bundlesVerified).to.equal(served.receipted);
    });
  }

  it("keeps everything it receipted through the outages (storage audit)", async function () {
    const heads = ((await (await fetch(`${server!.url}/v1/heads`)).json()) as { heads: unknown[] }).heads
      .length;
    expect(heads).to.be.greaterThan(0);
    await server!.kill("SIGTERM");
    server = undefined;
    const stored = await auditStored(dataDir, receipted);
    printFigures("RPC outage storage audit", profile, {
      receipted: receipted.length,
      stored: stored.stored,
      atSequence: stored.receiptsAtSequence,
      duplicated: stored.duplicates,
      digestIndexEntries: stored.digestIndexEntries,
      missingFromDigestIndex: stored.missingFromDigestIndex,
    });
    expect(stored.receiptsAtSequence, "every receipted record at its receipt's sequence number").to.equal(
      receipted.length,
    );
    expect(stored.duplicates).to.equal(0);
    expect(stored.lostHeads).to.equal(0);
    expect(stored.missingFromDigestIndex).to.equal(0);
    expect(stored.digestIndexEntries).to.equal(stored.stored);
  });
});
