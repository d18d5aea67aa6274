// Fault 1: the anchor service (a child process on a real LevelDB directory, real Anvil) is
// killed with SIGKILL at seeded random moments while several members' clients keep submitting.
// At the end: every receipted record is stored at its receipt's sequence number (none lost),
// no leaf is stored twice, and every receipted leaf's bundle verifies against the chain.
// Bounded in `npm test` (FAULT_ROUNDS unset: 3 kills); `npm run test:faults` does 50.
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../../anchor-service/src/config.ts";
import { membersLoad } from "../support/faults/anchor-load.ts";
import { auditServedOn, auditStored, waitAllAnchored } from "../support/faults/anchor-audit.ts";
import { FAULT_START_TIMEOUT_MS, faultProfile, printFigures } from "../support/faults/profile.ts";
import { seeded, sleep } from "../support/faults/seeded.ts";
import { startAnchorProcess, type AnchorProcess } from "../support/anchor-process.ts";
import { freePort } from "../support/anvil.ts";
import { startConsortiumChain, type ConsortiumChain } from "../support/consortium-chain.ts";

const profile = faultProfile();

describe("faults: anchor service killed with SIGKILL under load", function () {
  // per kill: a restart (7 s median on a loaded 2-core machine), the load resuming, and the audit
  // of the receipts it brings (50 kills took 840 s there)
  this.timeout(120_000 + profile.anchorKills * 30_000);
  let chain: ConsortiumChain;
  let dataDir: string;
  let config: Config;
  let server: AnchorProcess | undefined;

  before(async function () {
    chain = await startConsortiumChain();
    dataDir = await mkdtemp(join(tmpdir(), "fault-anchor-kill-"));
    config = chain.config({ dataDir, port: await freePort(), commitIntervalMs: 300, logLevel: "warn" });
  });

  after(async function () {
    await server?.kill();
    await chain?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it(`loses no receipted record, duplicates none, and every bundle verifies (${profile.anchorKills} kills)`, async function () {
    const rng = seeded(profile.seed);
    server = await startAnchorProcess(config, { readyTimeoutMs: FAULT_START_TIMEOUT_MS });
    const { branchA, branchB, platform, court } = chain.wallets;
    const load = membersLoad(chain, server.url, profile, [branchA, branchB, platform, court]);
    load.start();
    const restartMs: number[] = [];
    let cutOff = 0;
    try {
      for (let kill = 0; kill < profile.anchorKills; kill++) {
        await load.moreReceipts(1); // the service is taking load again
        await sleep(rng.int(20, 1_200));
        const failedBefore = load.figures.failed;
        await server.kill("SIGKILL");
        const started = performance.now();
        server = await startAnchorProcess(config, { readyTimeoutMs: FAULT_START_TIMEOUT_MS });
        restartMs.push(performance.now() - started);
        if (load.figures.failed > failedBefore) cutOff++;
      }
      await load.moreReceipts(1);
    } finally {
      await load.stop();
    }

    await waitAllAnchored(server.url);
    const served = await auditServedOn(chain, config.evidenceLog, server.url, load.receipts.values());
    await server.kill("SIGTERM");
    server = undefined;
    const stored = await auditStored(dataDir, load.receipts.values());
    restartMs.sort((a, b) => a - b);
    printFigures("anchor SIGKILL", profile, {
      kills: profile.anchorKills,
      killsCuttingRequests: cutOff,
      requests: load.figures.requests,
      receipted: served.receipted,
      lost: served.lost + (served.receipted - stored.receiptsAtSequence),
      duplicated: stored.duplicates,
      bundlesVerified: served.bundlesVerified,
      bundleRetries: served.chainUnavailableRetries,
      stored: stored.stored,
      heads: stored.heads,
      restartMedianMs: Math.round(restartMs[Math.floor(restartMs.length / 2)]!),
    });

    expect(served.problems, served.problems.join("\n")).to.deep.equal([]);
    expect(served.receipted).to.be.greaterThan(0);
    expect(served.badReceipts).to.equal(0);
    expect(served.lost, "receipted records the service lost").to.equal(0);
    expect(stored.receiptsAtSequence, "every receipted record at its receipt's sequence number").to.equal(
      served.receipted,
    );
    expect(stored.duplicates, "no leaf stored twice").to.equal(0);
    expect(served.bundlesVerified, "every receipted leaf's bundle verifies").to.equal(served.receipted);
    expect(stored.missingFromDigestIndex).to.equal(0);
    expect(stored.digestIndexEntries).to.equal(stored.stored);
    expect(stored.lostHeads).to.equal(0);
    expect(load.figures.failed, "some kills cut requests off").to.be.greaterThan(0);
  });
});
