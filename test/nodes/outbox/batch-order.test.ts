// A loan's flows stay in order around batches, which revert as a whole for any one of their calls:
// a later flow of a loan waits while an earlier one of it is in a batch, until that batch is final,
// and the calls of a batch reverted by another call's refusal count no revert of their own.
import { expect } from "chai";
import { BATCH_EXECUTOR, delegateOf } from "../../../common/chain/batch.ts";
import { loanIdOfEntry, onChainSerial } from "../../../nodes/src/outbox/entry.ts";
import type { OutboxEntry } from "../../../nodes/src/outbox/entry.ts";
import { disburse, outboxSuite, registerLoan, repay, serial, until } from "./fixture.ts";

describe("outbox sender: a loan's flows in order around batches", function () {
  this.timeout(180_000);
  // mining on again before the suite's hooks stop the senders, whatever a test left it at
  afterEach(async function () {
    await suite.lc.chain?.anvil.provider.send("evm_setAutomine", [true]);
  });
  const suite = outboxSuite();
  const { lc, store, senderOn } = suite;
  const provider = () => lc.chain.anvil.provider;

  /** Two loans starting today registered, the first disbursed, through a sender that packs; the account delegated. */
  async function twoLoans(): Promise<{ loan1: string; loan2: string; sender: ReturnType<typeof senderOn> }> {
    const sender = senderOn({ maxBatch: 16 });
    // the ledger's today: an earlier test moved the chain to the next day
    const today = Number(await lc.ledger.getFunction("today")());
    const l1 = await store.outbox.enqueue(registerLoan(serial("APP"), today));
    const l2 = await store.outbox.enqueue(registerLoan(serial("APP"), today));
    await sender.drain();
    const loan1 = loanIdOfEntry(l1);
    await store.outbox.enqueue(disburse(serial("DIS"), loan1, 600_000n));
    await sender.drain();
    expect(await delegateOf(provider(), lc.chain.wallets.branchA.address)).to.equal(BATCH_EXECUTOR);
    return { loan1, loan2: loanIdOfEntry(l2), sender };
  }

  /** Mine the pool's transactions in the first block of the next Shanghai day (a disbursement for today is refused then), then mine at once again. */
  async function mineTomorrow(): Promise<void> {
    const ts = (await provider().getBlock("latest"))!.timestamp;
    const intoDay = (ts + 8 * 3600) % 86_400;
    await provider().send("evm_setNextBlockTimestamp", [ts + (86_400 - intoDay) + 60]);
    await provider().send("evm_mine", []);
    await provider().send("evm_setAutomine", [true]);
  }

  /** The loan's repayments in the order the ledger booked them, as the entries' serials. */
  async function bookedOrder(loanId: string, entries: OutboxEntry[]): Promise<string[]> {
    const logs = await lc.ledger.queryFilter(lc.ledger.filters.RepaymentReceived!(loanId), lc.deployBlock);
    return logs.map((l) => {
      const onChain = "args" in l ? String(l.args.serial) : "";
      return entries.find((e) => onChainSerial(e.serial) === onChain)?.serial ?? onChain;
    });
  }

  async function untilFinal(entries: OutboxEntry[]): Promise<OutboxEntry[]> {
    const now = () => Promise.all(entries.map(async (e) => (await store.outbox.status(e.serial))!));
    await until(
      async () => (await now()).every((e) => e.state === "confirmed" || e.state === "failed"),
      60_000,
      "every flow final",
    );
    return now();
  }

  it("books a loan's repayments in order when another loan's call reverts what was sent with the first", async function () {
    const { loan1, loan2, sender } = await twoLoans();
    await provider().send("evm_setAutomine", [false]);
    const rep1 = await store.outbox.enqueue(repay(serial("REP"), loan1, 1_000n));
    const dis2 = await store.outbox.enqueue(disburse(serial("DIS"), loan2, 600_000n));
    const rep2 = await store.outbox.enqueue(repay(serial("REP"), loan1, 2_000n));
    sender.start();
    await until(async () => (await store.outbox.status(rep1.serial))!.state === "sent", 60_000, "rep1 sent");
    // room for a sender that would pipeline the second repayment behind the batch to do so before the block
    await until(async () => (await store.outbox.status(rep2.serial))!.state === "sent", 5_000).catch(
      () => undefined,
    );
    await mineTomorrow();
    const [r1, d2, r2] = await untilFinal([rep1, dis2, rep2]);
    expect(d2!.state).to.equal("failed");
    expect([r1!.state, r2!.state]).to.deep.equal(["confirmed", "confirmed"]);
    expect(await bookedOrder(loan1, [rep1, rep2])).to.deep.equal([rep1.serial, rep2.serial]);
  });

  it("holds a loan's next flow while its earlier one is in a batch, and counts no revert against the batch's innocent call", async function () {
    const { loan1, loan2, sender } = await twoLoans();
    await provider().send("evm_setAutomine", [false]);
    const rep1 = await store.outbox.enqueue(repay(serial("REP"), loan1, 1_000n));
    const dis2 = await store.outbox.enqueue(disburse(serial("DIS"), loan2, 600_000n));
    sender.start();
    await until(
      async () =>
        (await Promise.all([rep1, dis2].map((e) => store.outbox.status(e.serial)))).every(
          (e) => e!.state === "sent",
        ),
      60_000,
      "the batch sent",
    );
    const [b1, b2] = await Promise.all([rep1, dis2].map(async (e) => (await store.outbox.status(e.serial))!));
    expect(b1!.txHash, "one batch").to.equal(b2!.txHash);
    const rep2 = await store.outbox.enqueue(repay(serial("REP"), loan1, 2_000n));
    // room for a sender that would pipeline it behind the batch to do so before the block
    await until(async () => (await store.outbox.status(rep2.serial))!.state === "sent", 5_000).catch(
      () => undefined,
    );
    await mineTomorrow();
    const [r1, d2, r2] = await untilFinal([rep1, dis2, rep2]);
    expect(d2!.state).to.equal("failed");
    expect([r1!.state, r2!.state]).to.deep.equal(["confirmed", "confirmed"]);
    expect(r1!.reverts ?? 0, "reverts counted against the innocent call").to.equal(0);
    expect(await bookedOrder(loan1, [rep1, rep2])).to.deep.equal([rep1.serial, rep2.serial]);
  });
});
