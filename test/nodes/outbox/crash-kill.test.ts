// The real thing: the sender runs as a child process on a real LevelDB directory while the
// chain mines every two seconds, and is killed with SIGKILL at random moments — before a send,
// between recording and broadcasting, while waiting for receipts, with many transactions in
// flight, several of them one loan's repayments pipelined — and restarted, until every flow is
// confirmed. Each flow must be on chain exactly once, and the wallet must have sent
// exactly one transaction per flow: nothing duplicated, nothing wasted. Then the same with flows
// packed into batched transactions: each flow once, in fewer transactions than flows, kills
// landing while a batch of several flows was recorded or in flight.
import { expect } from "chai";
import { delegationAuthorization } from "../../../common/chain/batch.ts";
import {
  drainInProcess,
  enqueueLoanFlows,
  expectEachFlowOnce,
  lendingChainSuite,
  levelDir,
  startSenderProcess,
} from "./fixture.ts";

const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("outbox sender: SIGKILL at random moments", function () {
  this.timeout(240_000);
  const lc = lendingChainSuite();
  let dir: Awaited<ReturnType<typeof levelDir>>;

  beforeEach(async function () {
    dir = await levelDir();
  });

  afterEach(async function () {
    await dir?.remove();
  });

  for (const maxBatch of [1, 16])
    it(`confirms every flow exactly once across kills and restarts (maxBatch ${maxBatch})`, async function () {
      const provider = lc.chain.anvil.provider;
      const address = lc.chain.wallets.branchA.address;
      const loans = 10;
      const store0 = await dir.open();
      // two repayments a loan: they are in flight together, one behind the other
      const flows = await enqueueLoanFlows(store0.outbox, loans, lc.today, 2);
      await store0.close();
      if (maxBatch > 1) {
        // delegated already, as by a node that ran before: the first sends, recorded before the
        // first block, are batches (a sender that must delegate first sends alone until it is mined)
        const wallet = lc.chain.wallets.branchA.connect(provider);
        const nonce = await wallet.getNonce("pending");
        const authorization = await delegationAuthorization(wallet, {
          chainId: lc.chain.chainId,
          nonce: nonce + 1,
        });
        await (
          await wallet.sendTransaction({ type: 4, to: address, authorizationList: [authorization] })
        ).wait();
      }
      const nonce0 = await provider.getTransactionCount(address, "latest");
      // no block until the first kill: it lands with the first sends recorded and in flight, several
      // of one loan, however fast or slow the machine; then a block every two seconds, so a kill
      // often lands between broadcast and receipt
      await provider.send("evm_setAutomine", [false]);
      await provider.send("evm_setIntervalMining", [0]);

      let kills = 0;
      let killedWhileSent = 0;
      let killedWithMany = 0;
      let killedWithOneLoansMany = 0;
      let killedWithBatch = 0;
      try {
        for (let round = 0; round < 80; round++) {
          const running = startSenderProcess(lc, dir.dir, { OUTBOX_MAX_BATCH: String(maxBatch) });
          await running.ready;
          if (round === 0) {
            await Promise.race([running.firstSent, sleepMs(30_000)]);
            await sleepMs(500); // the rest of what it can send meanwhile
          } else if (round % 2 === 0) await sleepMs(150 + Math.floor(Math.random() * 1_200));
          else {
            // every other kill is aimed: within 300 ms of the first send recorded, well inside the
            // block interval, so a slow start on a loaded machine cannot put every kill before any
            // send and then one run confirm everything
            await Promise.race([running.firstSent, sleepMs(15_000)]);
            await sleepMs(Math.floor(Math.random() * 300));
          }
          running.child.kill("SIGKILL");
          await running.exited;
          if (round === 0) await provider.send("evm_setIntervalMining", [2]);
          kills++;
          const store = await dir.open();
          const pending = await store.outbox.list({ state: "queued" });
          const sent = await store.outbox.list({ state: "sent" });
          await store.close();
          if (sent.length > 0) killedWhileSent++;
          if (sent.length > 1) killedWithMany++;
          if (new Set(sent.map((e) => e.txHash)).size < sent.length) killedWithBatch++;
          const loansSent = sent.map((e) => (e.args as { loanId?: string }).loanId);
          if (new Set(loansSent).size < loansSent.length) killedWithOneLoansMany++;
          if (pending.length + sent.length === 0) break;
        }
        await drainInProcess(lc, dir, { overrides: { maxBatch } });
      } finally {
        await provider.send("evm_setIntervalMining", [0]);
        await provider.send("evm_setAutomine", [true]);
      }

      await expectEachFlowOnce(lc, dir, flows);
      expect(kills).to.be.greaterThan(1);
      expect(killedWhileSent, "some kills hit a recorded, unconfirmed transaction").to.be.greaterThan(0);
      expect(killedWithMany, "some kills hit several transactions in flight").to.be.greaterThan(0);
      expect(killedWithOneLoansMany, "some kills hit several flows of one loan in flight").to.be.greaterThan(
        0,
      );

      const transactions = (await provider.getTransactionCount(address, "latest")) - nonce0;
      if (maxBatch === 1) {
        // and the wallet sent one transaction per flow: none duplicated, none wasted
        expect(transactions).to.equal(flows.length);
      } else {
        expect(
          killedWithBatch,
          "some kills hit a batch of several flows recorded or in flight",
        ).to.be.greaterThan(0);
        expect(transactions, "flows packed").to.be.lessThan(flows.length);
      }
      console.log(
        `      ${kills} kills (${killedWhileSent} with a transaction in flight, ${killedWithMany} with several, ${killedWithOneLoansMany} with several of one loan, ${killedWithBatch} with a batch), ${flows.length} flows in ${transactions} transactions`,
      );
    });
});
