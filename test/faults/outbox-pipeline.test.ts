// Fault 6: a node's outbox with many transactions in flight, under everything at once. The sender
// runs as its own process on a LevelDB directory, behind a TCP proxy to Anvil (a block a
// second), and each round it meets a dropped transaction (removed from the pool), an RPC outage
// (a partition or resets), a chain rewind (the round's blocks lost, as when a dump is restored)
// and a SIGKILL at a random moment; the next process starts with the node's recheck. At the end
// every flow is on chain exactly once: each registration's loan, each disbursement's and
// repayment's event once under its serial. Fresh flows go packed into batched transactions: the
// account is delegated to the batch executor before the first snapshot, so no rewind takes the
// delegation away and every round's first sends can be batches. `npm test` runs two rounds;
// FAULT_ROUNDS=full twenty (FAULT_OUTBOX_ROUNDS overrides). Printed: rounds, kills with several
// transactions in flight, drops, rewinds, the account's transactions, the empty transfers that
// filled gaps, the batches of several flows signed during the rounds and those on the final chain.
import type { ChildProcess } from "node:child_process";
import { expect } from "chai";
import { callsOf, delegationAuthorization, deployBatchExecutor } from "../../common/chain/batch.ts";
import { faultProfile, printFigures } from "../support/faults/profile.ts";
import { seeded, sleep } from "../support/faults/seeded.ts";
import { TcpProxy } from "../support/faults/tcp-proxy.ts";
import {
  enqueueLoanFlows,
  expectEachFlowOnce,
  lendingChainSuite,
  levelDir,
  senderFor,
  startSenderProcess,
} from "../nodes/outbox/fixture.ts";

const profile = faultProfile();
const ROUNDS = Number(process.env.FAULT_OUTBOX_ROUNDS ?? (profile.name === "full" ? 20 : 2));
const LOANS = profile.name === "full" ? 30 : 8;
// fresh flows packed into batched transactions, as the node sends them
const MAX_BATCH = 16;

describe("faults: the outbox with many transactions in flight (kills, drops, rewinds, outages)", function () {
  this.timeout(120_000 + ROUNDS * 20_000);
  const lc = lendingChainSuite();
  let dir: Awaited<ReturnType<typeof levelDir>>;
  let proxy: TcpProxy;
  // the round's sender process, killed in after() too: a timed-out test must not leave it running
  let child: ChildProcess | undefined;
  // set by after(): a test body that timed out and runs on starts no further sender process
  let closing = false;

  before(async function () {
    dir = await levelDir();
    proxy = await TcpProxy.start({ port: lc.chain.anvil.port });
  });

  after(async function () {
    closing = true;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
    await proxy?.close();
    await dir?.remove();
  });

  /** Hashes of `from`'s transactions waiting in Anvil's pool. */
  async function ourPending(from: string): Promise<string[]> {
    const pool = (await lc.chain.anvil.provider.send("txpool_content", [])) as {
      pending?: Record<string, Record<string, { hash: string }>>;
    };
    const ours = Object.entries(pool.pending ?? {}).find(([a]) => a.toLowerCase() === from.toLowerCase());
    return Object.values(ours?.[1] ?? {}).map((t) => t.hash);
  }

  it("puts every flow on chain exactly once", async function () {
    const rnd = seeded(profile.seed);
    const provider = lc.chain.anvil.provider;
    const address = lc.chain.wallets.branchA.address;
    const store0 = await dir.open();
    const flows = await enqueueLoanFlows(store0.outbox, LOANS, lc.today);
    await store0.close();
    // delegated before the first snapshot, as by a node that ran before: a rewind never takes the
    // delegation away, so each round's fresh flows can go packed (a sender that must delegate
    // first sends alone meanwhile, and a flow once signed is never packed again)
    const wallet = lc.chain.wallets.branchA.connect(provider);
    await deployBatchExecutor(wallet);
    const delegationNonce = await wallet.getNonce("pending");
    const authorization = await delegationAuthorization(wallet, {
      chainId: lc.chain.chainId,
      nonce: delegationNonce + 1,
    });
    await (await wallet.sendTransaction({ type: 4, to: address, authorizationList: [authorization] })).wait();
    const nonce0 = await provider.getTransactionCount(address, "latest");
    const block0 = await provider.getBlockNumber();
    await provider.send("evm_setAutomine", [false]);
    await provider.send("evm_setIntervalMining", [1]);
    const figures = { rounds: 0, killedWithMany: 0, drops: 0, rewinds: 0, outages: 0 };
    // hashes of transactions the outbox recorded for several flows at once (one batch each)
    const batchesSigned = new Set<string>();
    async function noteBatches(outbox: Awaited<ReturnType<typeof dir.open>>["outbox"]): Promise<void> {
      const flowsOf = new Map<string, number>();
      for (const e of await outbox.list())
        if (e.txHash !== undefined) flowsOf.set(e.txHash, (flowsOf.get(e.txHash) ?? 0) + 1);
      for (const [hash, n] of flowsOf) if (n > 1) batchesSigned.add(hash);
    }
    try {
      for (let round = 0; round < ROUNDS; round++) {
        if (closing) throw new Error("the suite was closed (timed out) before this round");
        figures.rounds++;
        const snapshot = (await provider.send("evm_snapshot", [])) as string;
        const running = startSenderProcess(lc, dir.dir, {
          OUTBOX_RPC: proxy.url,
          OUTBOX_RPC_TIMEOUT_MS: "1500",
          OUTBOX_RECHECK: "1",
          OUTBOX_MAX_BATCH: String(MAX_BATCH),
        });
        child = running.child;
        await running.ready;
        await sleep(rnd.int(300, 1_200));
        // a transaction of ours leaves the pool: the first moment one is there (blocks come once a
        // second; on a loaded machine the sender may not have broadcast yet), unless none comes
        let hashes: string[] = [];
        const lookUntil = Date.now() + 3_000;
        while (hashes.length === 0 && Date.now() < lookUntil) {
          hashes = await ourPending(address);
          if (hashes.length === 0) await sleep(50);
        }
        if (hashes.length > 0) {
          await provider.send("anvil_dropTransaction", [hashes[rnd.int(0, hashes.length - 1)]]);
          figures.drops++;
        }
        // the endpoint goes away and comes back
        proxy.cut(round % 2 === 0 ? "blackhole" : "reset");
        figures.outages++;
        await sleep(rnd.int(500, 2_000));
        proxy.restore();
        await sleep(rnd.int(200, 1_000));
        // the chain loses this round's blocks
        await provider.send("evm_revert", [snapshot]);
        figures.rewinds++;
        await sleep(rnd.int(100, 1_500));
        running.child.kill("SIGKILL");
        await running.exited;
        const store = await dir.open();
        if ((await store.outbox.list({ state: "sent" })).length > 1) figures.killedWithMany++;
        await noteBatches(store.outbox);
        await store.close();
      }
      // the last process runs to the end, with the node's recheck first
      const store = await dir.open();
      const sender = senderFor(lc, store.outbox, lc.chain.wallets.branchA, {
        unknownTxMs: 500,
        maxBatch: MAX_BATCH,
      });
      await sender.recheck();
      await sender.drain();
      await sender.stop();
      const signedInRounds = batchesSigned.size;
      await noteBatches(store.outbox);
      await store.close();
      // batching is exercised under the faults: batches of several flows were signed in the rounds
      expect(signedInRounds, "batches of several flows signed during the rounds").to.be.greaterThan(0);
    } finally {
      proxy.restore();
      await provider.send("evm_setIntervalMining", [0]);
      await provider.send("evm_setAutomine", [true]);
    }

    // a flow that ends anything but confirmed says why: its place, kind, failure and last error
    const ended = await dir.open();
    const entries = await ended.outbox.list();
    await ended.close();
    const loanIds = [...new Set(flows.map((f) => f.loanId))];
    const notConfirmed = entries.flatMap((e) => {
      if (e.state === "confirmed") return [];
      const at = flows.findIndex((f) => f.serial === e.serial);
      return [
        `#${at} (loan ${loanIds.indexOf(flows[at]?.loanId ?? "")}) ${e.kind} ${e.serial} ${e.state} seq=${e.seq} nonce=${e.nonce ?? "-"} ` +
          `attempts=${e.attempts} reverts=${e.reverts ?? 0} failure=${JSON.stringify(e.failure ?? null)} ` +
          `lastError=${JSON.stringify(e.lastError ?? null)}`,
      ];
    });
    for (const line of notConfirmed) console.log(`      not confirmed: ${line}`);
    expect(notConfirmed, "entries not confirmed").to.deep.equal([]);
    await expectEachFlowOnce(lc, dir, flows);
    // what the account spent: one transaction per flow, plus gap fillers and refused duplicates
    const head = await provider.getBlockNumber();
    let fillers = 0;
    // batched execute() transactions on the final chain that carried several flows, each flow's
    // event in their receipt (a batch mined without the delegation would succeed with none)
    let batchesMined = 0;
    let flowsInBatches = 0;
    for (let n = block0 + 1; n <= head; n++) {
      const block = await provider.getBlock(n, true);
      for (const t of block?.prefetchedTransactions ?? []) {
        if (t.from !== address) continue;
        // a type-4 transaction to itself is the account's delegation to the batch executor
        if (t.to === address && t.data === "0x" && t.type !== 4) fillers++;
        const calls = t.to === address && t.data !== "0x" ? callsOf(t) : [];
        if (calls.length < 2) continue;
        const receipt = await provider.getTransactionReceipt(t.hash);
        const ledgerLogs =
          receipt?.logs.filter((l) => l.address.toLowerCase() === lc.ledgerAddress.toLowerCase()).length ?? 0;
        if (receipt?.status === 1 && ledgerLogs >= calls.length) {
          batchesMined++;
          flowsInBatches += calls.length;
        }
      }
    }
    const transactions = (await provider.getTransactionCount(address, "latest")) - nonce0;
    printFigures("outbox in flight", profile, {
      ...figures,
      flows: flows.length,
      transactions,
      fillers,
      batchesSigned: batchesSigned.size,
      batchesMined,
      flowsInBatches,
    });
    expect(figures.rewinds).to.equal(ROUNDS);
    expect(batchesMined, "batched transactions of several flows on the final chain").to.be.greaterThan(0);
  });
});
