// Many transactions in flight from one node: several flows of different loans in one block, a
// loan's own flows in order (registration, then disbursement, then repayment: a later block, or
// the same block after it), one transaction per flow; a nonce below ours that nothing holds any more filled with an
// empty transfer so the flows behind it are mined; a chain that lost the blocks of confirmed
// flows noticed by the sender itself, and the very same transactions mined again; one loan's
// repayments all in flight at once, booked in their order; a receipt seen as soon as its block is.
import { expect } from "chai";
import { JsonRpcProvider, type TransactionResponse } from "ethers";
import { loanIdOfEntry, onChainSerial } from "../../../nodes/src/outbox/entry.ts";
import { disburse, enqueueLoanFlows, outboxSuite, registerLoan, repay, serial, until } from "./fixture.ts";

describe("outbox sender: many transactions in flight", function () {
  this.timeout(120_000);
  const { lc, store, senderOn, stopAfterTest } = outboxSuite();

  afterEach(async function () {
    await lc.chain.anvil.provider.send("evm_setAutomine", [true]);
  });

  const provider = () => lc.chain.anvil.provider;
  const address = () => lc.chain.wallets.branchA.address;
  const nonceOf = () => provider().getTransactionCount(address(), "latest");

  /** Mine a block every `ms` until `check` holds. */
  async function mineUntil(check: () => Promise<boolean>, ms = 150, what = "all final"): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await provider().send("evm_mine", []);
      await new Promise((r) => setTimeout(r, ms));
    }
  }

  const allFinal = async () =>
    (await store.outbox.list()).every((e) => e.state === "confirmed" || e.state === "failed");

  it("puts flows of different loans in one block and keeps each loan's flows in order, one transaction each", async function () {
    const loans = 8;
    const nonce0 = await nonceOf();
    const flows = await enqueueLoanFlows(store.outbox, loans, lc.today);
    await provider().send("evm_setAutomine", [false]);
    const sender = senderOn();
    sender.start();
    // "sent" is recorded before the broadcast: wait until the pool holds every registration (and
    // whatever flows of their loans a chain that estimates against its pool let follow them)
    await until(
      async () => (await provider().getTransactionCount(address(), "pending")) >= nonce0 + loans,
      10_000,
      "every registration in the pool before a block is mined",
    );
    await mineUntil(allFinal);

    const entries = await store.outbox.list();
    expect(entries.map((e) => e.state)).to.deep.equal(entries.map(() => "confirmed"));
    const block = new Map(entries.map((e) => [e.serial, e.blockNumber!]));
    // where a flow ran: its block, then its nonce (one account's transactions run in nonce order)
    const at = new Map(entries.map((e) => [e.serial, e.blockNumber! * 1e6 + e.nonce!]));
    const [registered, disbursed, repaid] = ["registerLoan", "disburse", "repay"].map((kind) =>
      flows.filter((f) => f.kind === kind).map((f) => at.get(f.serial)!),
    ) as [number[], number[], number[]];
    registered.forEach((r, i) => {
      expect(r, "registration before disbursement").to.be.lessThan(disbursed[i]!);
      expect(disbursed[i]!, "disbursement before repayment").to.be.lessThan(repaid[i]!);
    });
    // every registration in flight at once: they share a block
    expect(
      new Set(flows.filter((f) => f.kind === "registerLoan").map((f) => block.get(f.serial))).size,
    ).to.equal(1);
    const flowsPerBlock = Math.max(
      ...[...new Set(block.values())].map((b) => entries.filter((e) => e.blockNumber === b).length),
    );
    expect(flowsPerBlock).to.be.at.least(loans);
    // one transaction per flow, nothing wasted
    expect(await nonceOf()).to.equal(nonce0 + 3 * loans);
  });

  it("fills a nonce that nothing holds any more with an empty transfer, and the flows behind it are mined", async function () {
    await provider().send("evm_setAutomine", [false]);
    // a transaction sent with the node's key by something else, pooled, then dropped: the
    // sender's transactions were given the nonces after it and stall behind the hole it leaves
    const wallet = lc.chain.wallets.branchA.connect(provider());
    const outside: TransactionResponse = await wallet.sendTransaction({ to: address(), value: 1n });
    const hole = outside.nonce;
    const a = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
    const b = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
    const sender = senderOn({ unknownTxMs: 300 });
    sender.start();
    await until(
      async () => (await store.outbox.list({ state: "sent" })).length === 2,
      10_000,
      "both recorded and sent",
    );
    const sent = await store.outbox.list({ state: "sent" });
    expect(sent.map((e) => e.nonce).sort()).to.deep.equal([hole + 1, hole + 2]);
    await provider().send("anvil_dropTransaction", [outside.hash]);
    await mineUntil(allFinal);

    for (const e of [a, b]) expect((await store.outbox.status(e.serial))!.state).to.equal("confirmed");
    expect(await nonceOf()).to.equal(hole + 3);
    // the hole: an empty transfer to ourselves, no flow in it
    const filled = await findByNonce(hole);
    expect(filled.to).to.equal(address());
    expect(filled.data).to.equal("0x");
    expect(filled.value).to.equal(0n);
  });

  async function findByNonce(nonce: number): Promise<TransactionResponse> {
    const head = await provider().getBlockNumber();
    for (let n = head; n > head - 50; n--) {
      const b = await provider().getBlock(n, true);
      const t = b?.prefetchedTransactions.find((x) => x.from === address() && x.nonce === nonce);
      if (t !== undefined) return t;
    }
    throw new Error(`no transaction with nonce ${nonce}`);
  }

  it("notices by itself that the chain lost the blocks of confirmed flows, and mines the same transactions again", async function () {
    const snapshot = (await provider().send("evm_snapshot", [])) as string;
    const flows = [];
    for (let i = 0; i < 6; i++) flows.push(await store.outbox.enqueue(registerLoan(serial("APP"), lc.today)));
    const sender = senderOn();
    sender.start();
    await until(allFinal, 20_000, "confirmed");
    const before = await store.outbox.list();
    expect(before.map((e) => e.state)).to.deep.equal(flows.map(() => "confirmed"));
    const nonceAfter = await nonceOf();

    expect(await provider().send("evm_revert", [snapshot])).to.equal(true);
    for (const f of flows) {
      const exists = await lc.ledger
        .getFunction("loan")(loanIdOfEntry(f))
        .then(
          () => true,
          () => false,
        );
      expect(exists, "lost with the blocks").to.equal(false);
    }
    // no recheck called: the sender sees its mined nonce go down and puts the flows back itself
    await until(
      async () =>
        (await nonceOf()) === nonceAfter && (await store.outbox.list()).every((e) => e.state === "confirmed"),
      20_000,
      "mined again",
    );
    const after = await store.outbox.list();
    for (const [i, e] of after.entries()) {
      expect(e.txHash, "the very same transaction").to.equal(before[i]!.txHash);
      // the loan is back on chain (loan() reverts for an unknown one)
      await lc.ledger.getFunction("loan")(loanIdOfEntry(e));
    }
  });

  /**
   * A provider to the test chain that notes each request's start (>) and answer (<) in `calls`, in
   * the order they happen (a transaction count with its block tag: eth_getTransactionCount:latest);
   * destroyed after the test, once the senders made after it are stopped.
   */
  function recordingProvider(calls: string[]): JsonRpcProvider {
    class Recording extends JsonRpcProvider {
      override async send(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown> {
        const call =
          method === "eth_getTransactionCount" && Array.isArray(params)
            ? `${method}:${String(params[1])}`
            : method;
        calls.push(`>${call}`);
        try {
          return await super.send(method, params);
        } finally {
          calls.push(`<${call}`);
        }
      }
    }
    const recording = new Recording(lc.chain.anvil.url, undefined, {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });
    stopAfterTest({ stop: async () => recording.destroy() });
    return recording;
  }

  it("holds a flow the ledger refuses only because the chain just lost an earlier flow of its loan, and sends it once that flow is mined again", async function () {
    const app = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
    const loanId = loanIdOfEntry(app);
    const first = senderOn();
    await first.drain();
    await first.stop();
    const snapshot = (await provider().send("evm_snapshot", [])) as string;
    const calls: string[] = [];
    // a long idle pause: its idle look at the nonce would otherwise notice the loss by itself
    const sender = senderOn({ idleMs: 60_000, provider: recordingProvider(calls) });
    sender.start();
    const disbursement = await store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n));
    await until(
      async () => (await store.outbox.status(disbursement.serial))?.state === "confirmed",
      20_000,
      "disbursed",
    );
    const disbursedBy = (await store.outbox.status(disbursement.serial))!.txHash;
    // the loop goes idle: it answers a drain, reads the mined nonce once more, then pauses
    await sender.drain();
    const idle = calls.length;
    await until(
      () => calls.indexOf("<eth_getTransactionCount:latest", idle) >= 0,
      10_000,
      "the idle look before the long pause",
    );

    expect(await provider().send("evm_revert", [snapshot])).to.equal(true);
    // the ledger refuses a repayment of a loan never disbursed; this one's disbursement was lost
    const repayment = await store.outbox.enqueue(repay(serial("REP"), loanId, 1_000n));
    await until(allFinal, 30_000, "both final");

    const [d, r] = await Promise.all([
      store.outbox.status(disbursement.serial),
      store.outbox.status(repayment.serial),
    ]);
    expect(r!.state, `repayment ${r!.failure?.code ?? ""}`).to.equal("confirmed");
    expect(d!.state).to.equal("confirmed");
    expect(d!.txHash, "the very same disbursement").to.equal(disbursedBy);
    expect(r!.blockNumber!).to.be.greaterThan(d!.blockNumber!);
  });

  /** A loan registered and disbursed through a sender of its own, stopped again: repayments may follow. */
  async function activeLoan(): Promise<string> {
    const app = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
    const loanId = loanIdOfEntry(app);
    await store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n));
    const first = senderOn();
    await first.drain();
    await first.stop();
    return loanId;
  }

  it("keeps one loan's repayments in flight together, each mined once and booked in the outbox's order", async function () {
    const loanId = await activeLoan();
    const count = 6;
    const repayments = [];
    for (let i = 0; i < count; i++)
      repayments.push(await store.outbox.enqueue(repay(serial("REP"), loanId, 1_000n + BigInt(i))));
    const nonce0 = await nonceOf();
    await provider().send("evm_setAutomine", [false]);
    senderOn().start();
    // every one signed and pooled before any is mined: none waited for the one before it
    await until(
      async () => (await provider().getTransactionCount(address(), "pending")) === nonce0 + count,
      10_000,
      "every repayment of the loan in the pool at once",
    );
    await mineUntil(allFinal);

    const entries = await Promise.all(repayments.map((r) => store.outbox.status(r.serial)));
    expect(entries.map((e) => e!.state)).to.deep.equal(repayments.map(() => "confirmed"));
    expect(new Set(entries.map((e) => e!.blockNumber)).size, "one block").to.equal(1);
    expect(entries.map((e) => e!.nonce)).to.deep.equal(repayments.map((_, i) => nonce0 + i));
    expect(await nonceOf(), "one transaction each").to.equal(nonce0 + count);
    const booked = await lc.ledger.queryFilter(lc.ledger.filters.RepaymentReceived!(loanId), lc.deployBlock);
    expect(booked.map((l) => ("args" in l ? String(l.args.serial) : ""))).to.deep.equal(
      repayments.map((r) => onChainSerial(r.serial)),
    );
  });

  it("asks for the flow on chain, its estimate and the head together: one round trip before signing, not three", async function () {
    // an entry that looks first: one tried before (a fresh one is sent on its estimate alone, batch.test.ts)
    const loanId = await activeLoan();
    const calls: string[] = [];
    const entry = await store.outbox.enqueue(repay(serial("REP"), loanId, 1_000n));
    await store.outbox.update(entry.serial, { attempts: 1, lastError: "the endpoint did not answer" });
    await senderOn({ provider: recordingProvider(calls) }).drain();
    expect((await store.outbox.status(entry.serial))!.state).to.equal("confirmed");
    // serialUsed is the sender's first eth_call: the estimate and the head read start before it answers
    const answered = calls.indexOf("<eth_call");
    expect(answered, "serialUsed asked").to.be.greaterThan(-1);
    expect(calls.indexOf(">eth_estimateGas"), "the estimate").to.be.within(0, answered);
    expect(calls.indexOf(">eth_blockNumber"), "the head").to.be.within(0, answered);
  });

  it("takes a receipt as soon as a new block holds it, without waiting for the next round", async function () {
    await provider().send("evm_setAutomine", [false]);
    const entry = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
    const calls: string[] = [];
    // a round of the receipt poller's own (not started by a block or a broadcast) at its start,
    // then only every pollingMs: none comes again before `started` + pollingMs
    const pollingMs = 60_000;
    const started = Date.now();
    senderOn({ provider: recordingProvider(calls), pollingMs, blockPollMs: 25 }).start();
    await until(
      async () => (await provider().getTransactionCount(address(), "pending")) > (await nonceOf()),
      10_000,
      "in the pool",
    );
    // the round the broadcast started has read the mined nonce: it cannot see the block below
    await until(
      () => {
        const broadcast = calls.lastIndexOf("<eth_sendRawTransaction");
        return broadcast >= 0 && calls.indexOf("<eth_getTransactionCount:latest", broadcast) >= 0;
      },
      10_000,
      "the broadcast's round over",
    );
    await provider().send("evm_mine", []);
    await until(
      async () => (await store.outbox.status(entry.serial))?.state === "confirmed",
      started + pollingMs - Date.now(),
      "confirmed after the block, before the poller's next round of its own",
    );
  });
});
