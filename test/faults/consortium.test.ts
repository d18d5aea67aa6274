// Faults 2 and 4 on the whole local consortium (scripts/ops/local: Anvil with its state file, the
// anchor service and five institution nodes as child processes), under load: members' documents
// anchored continuously, and small repayments of a disbursed loan sent through branch B's node.
//   2. the chain node is killed and restarted from an older state dump (FAULT_CHAIN_REWINDS
//      times; the dump is taken with mining paused, test/support/faults/anvil-state.ts): the anchor
//      service re-commits the heads the chain lost, branch B's outbox sends again the flows the
//      chain lost, and at the end every flow is on chain exactly once, every
//      node's index equals the chain's ledger and every receipted document's bundle verifies;
//   4. branch B's node is killed with SIGKILL during outbox sends (FAULT_NODE_KILLS times, blocks
//      mined once a second, paused from a burst's acknowledgement to the kill so kills land
//      between broadcast and receipt): every flow confirmed
//      exactly once, and the node's account sent exactly one transaction per flow.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Interface, JsonRpcProvider, Wallet, keccak256, toUtf8Bytes, type Block } from "ethers";
import { receiptDomain } from "../../common/formats/receipt/receipts.ts";
import { requestDomain, signRequest } from "../../common/auth/request-signing.ts";
import { chainLedgerDigest } from "../../scripts/demo/chain-digest.ts";
import { NodeApi, NodeApiError } from "../../nodes/client/node-api.ts";
import { AnchorLoad } from "../support/faults/anchor-load.ts";
import { dumpStateConsistently, waitForWallClockPast } from "../support/faults/anvil-state.ts";
import { auditServed, waitAllAnchored } from "../support/faults/anchor-audit.ts";
import { openDisbursedLoan } from "../support/faults/loans.ts";
import { registerSerialOf } from "../../nodes/src/e-contract/endorsements.ts";
import { faultProfile, printFigures } from "../support/faults/profile.ts";
import { seeded, sleep, until } from "../support/faults/seeded.ts";
import { startLocalConsortium, type LocalConsortium } from "../../scripts/ops/local/consortium.ts";
import { NODE_NAMES } from "../../scripts/ops/local/manifest.ts";
import { DEMO_MEMBERS } from "../../scripts/ops/local/deployment.ts";
import { submissionHeaders } from "../../common/anchor/client.ts";
import { JOINT_LOAN_LEDGER_ABI } from "../../common/chain/generated/abis.ts";

const profile = faultProfile();
const EPHEMERAL = { chain: 0, anchor: 0, nodes: { union: 0, branchA: 0, branchB: 0, platform: 0, court: 0 } };
const ledgerInterface = new Interface(JOINT_LOAN_LEDGER_ABI);

describe("faults: chain rewinds and node kills on the local consortium", function () {
  // at a load of 30 on 2 cores ten rewinds and their audit took 676 s, twenty node kills 221 s
  this.timeout(300_000 + profile.chainRewinds * 60_000 + profile.nodeKills * 20_000);
  const rng = seeded(profile.seed);
  const run = randomBytes(3).toString("hex").toUpperCase();
  let dataDir: string;
  let consortium: LocalConsortium;
  let provider: JsonRpcProvider;
  let branchB: NodeApi;
  let loanId: string;
  /** serial → acknowledged by the node (false: the request's outcome is unknown). */
  const flows = new Map<string, boolean>();
  let nextSerial = 0;

  before(async function () {
    dataDir = await mkdtemp(path.join(tmpdir(), "fault-consortium-"));
    consortium = await startLocalConsortium({ dataDir, ports: EPHEMERAL });
    provider = new JsonRpcProvider(consortium.manifest.chain.rpcUrl, undefined, {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });
    const b = consortium.manifest.nodes.branchB;
    branchB = new NodeApi("branchB", b.url, b.tokens);
    ({ loanId } = await openDisbursedLoan(consortium.manifest, run));
  });

  after(async function () {
    provider?.destroy();
    await consortium?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  /** One repayment of 1 yuan; true when the node acknowledged it (it is in the outbox). */
  async function repay(serial: string): Promise<boolean> {
    flows.set(serial, flows.get(serial) ?? false);
    try {
      await branchB.post(`/v1/loans/${loanId}/repayments`, "clerk", { serial, amountFen: "100" });
      flows.set(serial, true);
      return true;
    } catch (error) {
      if (error instanceof NodeApiError && error.status < 500) throw error; // a refusal is a bug here
      return false; // the node or the chain was away: retried with the same serial
    }
  }

  /** Repayment clients until stop(); each sends a new serial, or retries an unacknowledged one. */
  function repaymentLoad(clients: number, pauseMs: number): { stop(): Promise<void> } {
    let stopped = false;
    const loops = Array.from({ length: clients }, async () => {
      while (!stopped) {
        const retry = [...flows].find(([, acked]) => !acked)?.[0];
        await repay(retry ?? `RPY-F${run}-${String(nextSerial++).padStart(5, "0")}`);
        await sleep(pauseMs);
      }
    });
    return {
      async stop() {
        stopped = true;
        await Promise.all(loops);
      },
    };
  }

  /**
   * Every serial acknowledged, branch B's index caught up with the chain (so it has seen any
   * loss), then until every flow is confirmed and on chain (or 120 s): the chain's
   * RepaymentReceived count per serial hash.
   */
  async function settleAndCount(): Promise<Map<string, number>> {
    for (const [serial, acked] of flows)
      if (!acked) await until(() => repay(serial), `repayment ${serial} acknowledged`, 120_000, 500);
    const head = await provider.getBlockNumber();
    await until(
      async () =>
        ((await branchB.get<{ cursor: { blockNumber: number } | null }>("/v1/index/digest")).cursor
          ?.blockNumber ?? -1) >= head,
      "branch B indexed to the head",
      60_000,
      200,
    );
    let counted = await countOnChain();
    const deadline = Date.now() + 120_000;
    while (exactlyOnce(counted).missing.length > 0 && Date.now() < deadline) {
      await sleep(500);
      counted = await countOnChain();
    }
    for (const serial of flows.keys()) await branchB.confirmed(serial, 60_000);
    return countOnChain();
  }

  async function countOnChain(): Promise<Map<string, number>> {
    const topic = ledgerInterface.getEvent("RepaymentReceived")!.topicHash;
    const logs = await provider.getLogs({
      address: consortium.manifest.contracts.jointLoanLedger,
      topics: [topic, loanId],
      fromBlock: consortium.manifest.contracts.deployBlock,
      toBlock: "latest",
    });
    const bySerial = new Map<string, number>();
    for (const log of logs) {
      const serial = String(ledgerInterface.parseLog(log)!.args.serial).toLowerCase();
      bySerial.set(serial, (bySerial.get(serial) ?? 0) + 1);
    }
    return bySerial;
  }

  function exactlyOnce(bySerial: Map<string, number>): { once: number; missing: string[]; twice: string[] } {
    const hashes = new Map([...flows.keys()].map((s) => [keccak256(toUtf8Bytes(s)).toLowerCase(), s]));
    const missing = [...hashes].filter(([h]) => (bySerial.get(h) ?? 0) === 0).map(([, s]) => s);
    const twice = [...bySerial].filter(([, n]) => n > 1).map(([h]) => hashes.get(h) ?? h);
    return { once: [...hashes.keys()].filter((h) => bySerial.get(h) === 1).length, missing, twice };
  }

  /** The chain's latest block. */
  async function head(): Promise<Block> {
    return (await provider.getBlock("latest"))!;
  }

  /** Every node's index digest equals the chain's, at the chain's head. */
  async function indexesAgree(): Promise<{ agree: boolean; flows: number }> {
    const head = await provider.getBlockNumber();
    for (const n of NODE_NAMES) {
      const api = new NodeApi(n, consortium.manifest.nodes[n].url, consortium.manifest.nodes[n].tokens);
      await until(
        async () =>
          ((await api.get<{ cursor: { blockNumber: number } | null }>("/v1/index/digest")).cursor
            ?.blockNumber ?? -1) >= head,
        `${n} indexed to block ${head}`,
        60_000,
        200,
      );
    }
    const chain = await chainLedgerDigest(
      provider,
      consortium.manifest.contracts.jointLoanLedger,
      consortium.manifest.contracts.deployBlock,
      { toBlock: head, followHead: true },
    );
    let agree = true;
    for (const n of NODE_NAMES) {
      const api = new NodeApi(n, consortium.manifest.nodes[n].url, consortium.manifest.nodes[n].tokens);
      const d = await api.get<{ digest: string; cursor: { blockNumber: number } }>("/v1/index/digest");
      if (d.cursor.blockNumber === chain.toBlock && d.digest !== chain.digest) agree = false;
    }
    return { agree, flows: chain.flows };
  }

  it(`chain restarted from an older state dump ${profile.chainRewinds} times mid-load: lost heads re-committed, lost flows sent again, each flow once`, async function () {
    const m = consortium.manifest;
    const password = (await readFile(path.join(dataDir, "keys", ".password"), "utf8")).trim();
    const member = (await Wallet.fromEncryptedJson(
      await readFile(path.join(dataDir, "keys", "branchA.json"), "utf8"),
      password,
    )) as Wallet;
    const domain = requestDomain(BigInt(m.chain.chainId), m.contracts.consortiumRegistry);
    const anchorLoad = new AnchorLoad({
      url: m.anchor.url,
      clients: 2,
      pauseMs: profile.pauseMs,
      recordsPerRequest: profile.recordsPerRequest,
      sign: async (body) => ({
        ...(await signRequest(member, domain, { method: "POST", path: "/v1/leaves", body })),
        ...(await submissionHeaders(
          member,
          { chainId: String(m.chain.chainId), evidenceLog: m.contracts.evidenceLog, logId: m.anchor.logId },
          DEMO_MEMBERS.branchA.memberId,
          JSON.parse(body).records,
        )),
      }),
    });
    const stateFile = path.join(dataDir, "chain", "state.json");
    const older = path.join(dataDir, "chain", "older.json");
    anchorLoad.start();
    const flowLoad = repaymentLoad(2, 150);
    let blocksLost = 0;
    try {
      for (let round = 0; round < profile.chainRewinds; round++) {
        await anchorLoad.moreReceipts(20, 120_000);
        await dumpStateConsistently(provider, older); // not Anvil's periodic dump: see anvil-state.ts
        await sleep(rng.int(2_000, 5_000)); // blocks mined after the dump: lost below
        // no block after the one read below: a block mined between the read and the kill would
        // be lost with a time the restarted chain does not know to stay after
        // (the launcher's own pause: its dumps, which resume mining as they end, and its automine
        // watchdog are held with it; the restart below starts them again)
        await consortium.pauseMining();
        let before = await head();
        // Anvil mining many blocks a second runs its clock ahead of the wall, and the restarted
        // chain stamps the blocks it mines before anyone can set its time with the wall's: wait,
        // mining paused, until the wall has passed the last block, as a real chain's clock would;
        // a block Anvil was mining as mining stopped may still come: until the head held still
        for (;;) {
          await waitForWallClockPast(before.timestamp);
          const again = await head();
          if (again.hash === before.hash) break;
          before = again;
        }
        await consortium.kill("chain");
        await copyFile(older, stateFile);
        // the launcher mines nothing on the restarted chain before its clock is past the lost blocks
        await consortium.restart("chain");
        blocksLost += Math.max(0, before.number - (await provider.getBlockNumber()));
      }
      await anchorLoad.moreReceipts(20, 120_000);
    } finally {
      await flowLoad.stop();
      await anchorLoad.stop();
    }
    const bySerial = await settleAndCount();
    const once = exactlyOnce(bySerial);
    await waitAllAnchored(m.anchor.url, 180_000);
    const served = await auditServed({
      url: m.anchor.url,
      receipts: anchorLoad.receipts.values(),
      domain: receiptDomain(BigInt(m.chain.chainId), m.contracts.evidenceLog),
      operator: ((await (await fetch(`${m.anchor.url}/v1/info`)).json()) as { operator: string }).operator,
      provider,
      consortiumRegistry: m.contracts.consortiumRegistry,
    });
    // heads the chain lost stay listed, marked; their leaves are anchored under a later head
    const heads = (
      (await (await fetch(`${m.anchor.url}/v1/heads?limit=1000`)).json()) as {
        heads: Array<{ onChain: boolean }>;
      }
    ).heads;
    const indexes = await indexesAgree();
    printFigures("chain rewind", profile, {
      rewinds: profile.chainRewinds,
      blocksLost,
      flows: flows.size,
      onChainOnce: once.once,
      missing: once.missing.length,
      bookedTwice: once.twice.length,
      receipted: served.receipted,
      lost: served.lost,
      bundlesVerified: served.bundlesVerified,
      anchorHeadsLostByChain: heads.filter((h) => !h.onChain).length,
      anchorHeadsOnChain: heads.filter((h) => h.onChain).length,
      indexesAgree: String(indexes.agree),
    });
    expect(blocksLost, "the restarts lost blocks").to.be.greaterThan(0);
    expect(once.twice, "flows booked twice").to.deep.equal([]);
    expect(once.missing, "flows the chain lost and nobody sent again").to.deep.equal([]);
    expect(served.problems, served.problems.join("\n")).to.deep.equal([]);
    expect(served.bundlesVerified).to.equal(served.receipted);
    expect(
      heads.filter((h) => !h.onChain).length,
      "the anchor service noticed heads the chain lost",
    ).to.be.greaterThan(0);
    expect(heads[heads.length - 1]!.onChain, "its latest head is on chain").to.equal(true);
    expect(indexes.agree, "every node's index equals the chain's ledger").to.equal(true);
  });

  it(`branch B's node killed with SIGKILL ${profile.nodeKills} times during outbox sends: every flow confirmed exactly once, one transaction each`, async function () {
    const account = consortium.manifest.nodes.branchB.account;
    const already = new Set(flows.keys());
    // branch B registers its loan's signed contract on chain by itself once a head holds it: on
    // chain before the count starts, so the count is the flows' transactions alone
    const { evidence } = await branchB.get<{ evidence: { contractLeaf: string } }>(`/v1/loans/${loanId}`);
    const registration = registerSerialOf(evidence.contractLeaf);
    await until(
      async () => (await branchB.get<{ state: string }>(`/v1/outbox/${registration}`)).state === "confirmed",
      "branch B's registration of its loan's contract confirmed",
    );
    const nonce0 = await provider.getTransactionCount(account, "latest");
    // the launcher's periodic state dumps resume mining as they end: none while this test sets it
    const resumeMining = await consortium.pauseMining();
    await provider.send("evm_setIntervalMining", [1]);
    let killedWithPending = 0;
    try {
      for (let k = 0; k < profile.nodeKills; k++) {
        const burst = Array.from({ length: 4 }, () => `RPY-K${run}-${String(nextSerial++).padStart(5, "0")}`);
        await Promise.all(burst.map((s) => repay(s)));
        // the outbox pipelines a loan's flows and takes receipts on each new block: the burst would
        // be confirmed within a second, before the kill lands. Mining pauses from the burst's
        // acknowledgement until the node is dead, so the node signs and broadcasts during the
        // pause and the kill meets its flows sent but not mined (or not yet sent)
        await provider.send("evm_setIntervalMining", [0]);
        try {
          await sleep(rng.int(100, 1_500));
          const pending = await branchB.get<unknown>(`/v1/outbox/${burst[burst.length - 1]}`).then(
            (e) => (e as { state: string }).state !== "confirmed",
            () => false,
          );
          if (pending) killedWithPending++;
          await consortium.kill("branchB");
        } finally {
          await provider.send("evm_setIntervalMining", [1]);
        }
        await consortium.restart("branchB");
      }
      const bySerial = await settleAndCount();
      const once = exactlyOnce(bySerial);
      const newFlows = [...flows.keys()].filter((s) => !already.has(s)).length;
      const sent = (await provider.getTransactionCount(account, "latest")) - nonce0;
      printFigures("node SIGKILL", profile, {
        kills: profile.nodeKills,
        killedWithFlowsPending: killedWithPending,
        flows: newFlows,
        transactions: sent,
        onChainOnce: once.once,
        missing: once.missing.length,
        bookedTwice: once.twice.length,
      });
      expect(once.twice).to.deep.equal([]);
      expect(once.missing).to.deep.equal([]);
      expect(sent, "one transaction per flow: none duplicated, none wasted").to.equal(newFlows);
      expect(killedWithPending, "some kills hit flows not yet confirmed").to.be.greaterThan(0);
    } finally {
      await provider.send("evm_setIntervalMining", [0]);
      await resumeMining();
    }
    const indexes = await indexesAgree();
    expect(indexes.agree).to.equal(true);
  });
});
