// The sender against a real ledger on Anvil: loans registered, disbursed, repaid and cancelled
// through the outbox, one transaction per flow; idempotent enqueue after confirmation; custom
// errors decoded into failed entries without retry, whether the estimate or the mined
// transaction reverts; a serial another flow used on chain.
import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";
import { MEMBERS } from "../../support/consortium-chain.ts";
import { loanIdOfEntry } from "../../../nodes/src/outbox/entry.ts";
import type { OutboxSender } from "../../../nodes/src/outbox/sender.ts";
import {
  ACCOUNT,
  bytes32,
  disburse,
  memoryOutbox,
  outboxSuite,
  registerLoan,
  repay,
  senderFor,
  serial,
  until,
  untilState,
} from "./fixture.ts";

describe("outbox sender on a real ledger", function () {
  this.timeout(120_000);
  const { lc, store, senderOn, stopAfterTest } = outboxSuite();
  let sender: OutboxSender;

  beforeEach(function () {
    sender = senderOn();
  });

  const nonceOf = (address: string) => lc.chain.anvil.provider.getTransactionCount(address, "latest");

  it("registers, disburses and repays a loan: each flow confirmed by one transaction", async function () {
    const address = lc.chain.wallets.branchA.address;
    const nonce0 = await nonceOf(address);
    const changes: string[] = [];
    sender.onChange((e) => changes.push(`${e.serial}:${e.state}`));
    const app = serial("APP");
    const registered = await store.outbox.enqueue(registerLoan(app, lc.today));
    const loanId = loanIdOfEntry(registered);
    const dis = serial("DIS");
    const rep = serial("REP");
    await store.outbox.enqueue(disburse(dis, loanId, 600_000n));
    await store.outbox.enqueue(repay(rep, loanId, 1_000n));
    await sender.drain();

    const entries = await store.outbox.list();
    expect(entries.map((e) => [e.serial, e.state])).to.deep.equal([
      [app, "confirmed"],
      [dis, "confirmed"],
      [rep, "confirmed"],
    ]);
    expect(entries.map((e) => e.nonce)).to.deep.equal([nonce0, nonce0 + 1, nonce0 + 2]);
    for (const e of entries) {
      expect(e.attempts).to.equal(1);
      const receipt = await lc.chain.anvil.provider.getTransactionReceipt(e.txHash!);
      expect(receipt!.status).to.equal(1);
      expect(receipt!.blockNumber).to.equal(e.blockNumber);
    }
    expect(await nonceOf(address)).to.equal(nonce0 + 3);
    const loan = await lc.ledger.getFunction("loan")(loanId);
    expect(Number(loan.state)).to.equal(2); // Active
    expect(await lc.ledger.getFunction("serialUsed")(keccak256(toUtf8Bytes(dis)))).to.equal(true);
    expect(await lc.ledger.getFunction("serialUsed")(keccak256(toUtf8Bytes(rep)))).to.equal(true);
    expect(changes.slice(0, 3)).to.deep.equal([`${app}:queued`, `${dis}:queued`, `${rep}:queued`]);
    // each flow queued, sent once, confirmed; a later flow of the loan signed only after the
    // earlier one (pipelined: it need not wait for the earlier one's receipt). A flow whose estimate
    // ran before its loan's earlier flow was mined is held, still queued, with a note: a write
    // that is no step, so steps are compared with repeats of a state dropped
    const steps = (of: string) =>
      changes.filter(
        (c, i) =>
          c.startsWith(`${of}:`) &&
          changes
            .slice(0, i)
            .filter((p) => p.startsWith(`${of}:`))
            .at(-1) !== c,
      );
    for (const s of [app, dis, rep])
      expect(steps(s)).to.deep.equal([`${s}:queued`, `${s}:sent`, `${s}:confirmed`]);
    const signedAt = [app, dis, rep].map((s) => changes.indexOf(`${s}:sent`));
    expect(signedAt).to.deep.equal([...signedAt].sort((a, b) => a - b));

    // the same flows again: the stored entries, nothing sent
    expect((await store.outbox.enqueue(disburse(dis, loanId, 600_000n))).state).to.equal("confirmed");
    await sender.drain();
    expect(await nonceOf(address)).to.equal(nonce0 + 3);
  });

  it("runs in the background: a flow enqueued later is picked up without a drain", async function () {
    sender.start();
    const app = serial("APP");
    await store.outbox.enqueue(registerLoan(app, lc.today));
    await untilState(store.outbox, app, "confirmed");
  });

  it("cancels a loan nobody disbursed", async function () {
    const entry = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
    const loanId = loanIdOfEntry(entry);
    const cancel = await store.outbox.enqueue({
      serial: serial("CAN"),
      kind: "cancelLoan",
      args: { loanId, reasonCode: 2 },
    });
    await sender.drain();
    expect((await store.outbox.status(cancel.serial))!.state).to.equal("confirmed");
    expect(Number((await lc.ledger.getFunction("loan")(loanId)).state)).to.equal(4); // Cancelled
  });

  it("fails a flow the ledger refuses, with the custom error's name and arguments, without sending", async function () {
    const address = lc.chain.wallets.branchA.address;
    const entry = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
    const loanId = loanIdOfEntry(entry);
    await sender.drain();
    const nonce0 = await nonceOf(address);
    const wrongAmount = await store.outbox.enqueue(disburse(serial("DIS"), loanId, 599_999n));
    const unknownLoan = await store.outbox.enqueue(repay(serial("REP"), bytes32("no such loan"), 1_000n));
    const overRate = registerLoan(serial("APP"), lc.today) as { args: { terms: { aprBps: number } } };
    overRate.args.terms.aprBps = 3600;
    const rate = await store.outbox.enqueue(overRate as never);
    const after = await store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n));
    await sender.drain();

    const failed = (await store.outbox.status(wrongAmount.serial))!;
    expect(failed.state).to.equal("failed");
    expect(failed.failure!.code).to.equal("LedgerDisbursementMismatch");
    expect(failed.failure!.args).to.deep.equal([loanId, String(MEMBERS.branchA), "599999", "600000"]);
    expect(failed.attempts).to.equal(0);
    expect(failed.txHash).to.equal(undefined);
    expect((await store.outbox.status(unknownLoan.serial))!.failure!.code).to.equal("LedgerUnknownLoan");
    expect((await store.outbox.status(rate.serial))!.failure).to.deep.equal({
      code: "LedgerRateAboveCap",
      args: ["3600", "2400"],
    });
    // a failed entry does not hold up the ones after it
    expect((await store.outbox.status(after.serial))!.state).to.equal("confirmed");
    expect(await nonceOf(address)).to.equal(nonce0 + 1);
  });

  it("decodes the daily limit (LedgerDailyLimitExceeded) for a branch with a small quota", async function () {
    // branch B's own outbox, closed after the test once its sender has stopped
    const storeB = await memoryOutbox();
    stopAfterTest({ stop: () => storeB.close() });
    const senderB = stopAfterTest(senderFor(lc, storeB.outbox, lc.chain.wallets.branchB));
    const entry = await storeB.outbox.enqueue(
      registerLoan(serial("APP"), lc.today, { principal: 1_500_000n, branch: MEMBERS.branchB }),
    );
    const loanId = loanIdOfEntry(entry);
    const dis = await storeB.outbox.enqueue(disburse(serial("DIS"), loanId, 1_500_000n, MEMBERS.branchB));
    await senderB.drain();
    expect((await storeB.outbox.status(entry.serial))!.state).to.equal("confirmed");
    const failed = (await storeB.outbox.status(dis.serial))!;
    expect(failed.state).to.equal("failed");
    expect(failed.failure!.code).to.equal("LedgerDailyLimitExceeded");
    expect(failed.failure!.args).to.deep.equal([
      String(MEMBERS.branchB),
      String(lc.today),
      "1500000",
      "1000000",
    ]);
  });

  it("fails a flow whose serial another flow already used on chain (LedgerDuplicateSerial)", async function () {
    const first = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
    const second = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
    await sender.drain();
    const [loan1, loan2] = [loanIdOfEntry(first), loanIdOfEntry(second)];
    // someone disburses loan 1 outside this outbox with serial S
    const s = serial("DIS");
    await (
      await lc.ledgerAs(lc.chain.wallets.branchA).getFunction("disburse")(
        loan1,
        600_000n,
        ACCOUNT[MEMBERS.branchA],
        keccak256(toUtf8Bytes(s)),
        bytes32("their voucher"),
      )
    ).wait();
    const mine = await store.outbox.enqueue(disburse(s, loan2, 600_000n));
    await sender.drain();
    const failed = (await store.outbox.status(mine.serial))!;
    expect(failed.state).to.equal("failed");
    expect(failed.failure!.code).to.equal("LedgerDuplicateSerial");
    expect(failed.failure!.args).to.deep.equal([keccak256(toUtf8Bytes(s))]);
  });

  it("fails a transaction that reverts when mined (the state changed after the estimate) with the decoded error", async function () {
    const provider = lc.chain.anvil.provider;
    const entry = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
    await sender.drain();
    const loanId = loanIdOfEntry(entry);
    // the branch lets the union act on this loan (a mandate): without one the union runs no branch business
    const expiry = (await provider.getBlock("latest"))!.timestamp + 86_400;
    await (
      await lc.ledgerAs(lc.chain.wallets.branchA).getFunction("grantMandate")(
        loanId,
        lc.chain.wallets.unionOps.address,
        expiry,
      )
    ).wait();
    await provider.send("evm_setAutomine", [false]);
    try {
      const dis = await store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n));
      sender.start();
      await untilState(store.outbox, dis.serial, "sent");
      // the union, under the branch's mandate, cancels the loan in the same block, ahead of the disbursement (higher tip)
      const union = lc.ledgerAs(lc.chain.wallets.unionOps);
      await union.getFunction("cancelLoan")(loanId, 9, {
        maxPriorityFeePerGas: 50_000_000_000n,
        maxFeePerGas: 100_000_000_000n,
        gasLimit: 200_000n,
      });
      await provider.send("evm_mine", []);
      await untilState(store.outbox, dis.serial, "failed");
      const failed = (await store.outbox.status(dis.serial))!;
      expect(failed.failure!.code).to.equal("LedgerWrongState");
      expect(failed.failure!.args).to.deep.equal([loanId, "4"]);
      expect(failed.failure!.message).to.match(/reverted in block/);
      const receipt = await provider.getTransactionReceipt(failed.txHash!);
      expect(receipt!.status).to.equal(0);
    } finally {
      await provider.send("evm_setAutomine", [true]);
    }
  });
  it("sends the same bytes again at once when the node forgets the transaction (dropped from its pool, or its block lost to a rewind)", async function () {
    this.timeout(30_000);
    const provider = lc.chain.anvil.provider;
    await sender.stop();
    // a receipt timeout far beyond this test's: only noticing the unknown transaction can finish it
    sender = senderOn({ receiptTimeoutMs: 600_000, unknownTxMs: 300 });
    const address = lc.chain.wallets.branchA.address;
    await provider.send("evm_setAutomine", [false]);
    try {
      const entry = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
      sender.start();
      await untilState(store.outbox, entry.serial, "sent");
      const sent = (await store.outbox.status(entry.serial))!;
      // "sent" is recorded before the broadcast, which follows it
      await until(async () => (await provider.getTransaction(sent.txHash!)) !== null, 10_000, "in the pool");
      await provider.send("anvil_dropTransaction", [sent.txHash]);
      expect(await provider.getTransaction(sent.txHash!), "dropped").to.equal(null);
      // the sender notices and puts the very same bytes back into the pool
      await until(async () => (await provider.getTransaction(sent.txHash!)) !== null, 10_000, "re-broadcast");
      await provider.send("evm_mine", []);
      await untilState(store.outbox, entry.serial, "confirmed");
      const confirmed = (await store.outbox.status(entry.serial))!;
      expect(confirmed.txHash).to.equal(sent.txHash);
      expect(confirmed.nonce).to.equal(sent.nonce);
      expect(await nonceOf(address)).to.equal(sent.nonce! + 1);
    } finally {
      await provider.send("evm_setAutomine", [true]);
    }
  });
});
