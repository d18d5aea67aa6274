// Many transactions in flight from one node: several flows of different loans in one block, a
// loan's own flows in order (registration, then disbursement, then repayment, each in a later
// block), one transaction per flow; a nonce below ours that nothing holds any more filled with an
// empty transfer so the flows behind it are mined; a chain that lost the blocks of confirmed
// flows noticed by the sender itself, and the very same transactions mined again.
import { expect } from "chai";
import type { TransactionResponse } from "ethers";
import { loanIdOfEntry } from "../../../nodes/src/outbox/entry.ts";
import { enqueueLoanFlows, outboxSuite, registerLoan, serial, until } from "./fixture.ts";

describe("outbox sender: many transactions in flight", function () {
  this.timeout(120_000);
  const { lc, store, senderOn } = outboxSuite();

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
    await until(
      async () => (await store.outbox.list({ state: "sent" })).length === loans,
      10_000,
      "every registration recorded and sent before a block is mined",
    );
    // "sent" is recorded before the broadcast: wait until the pool holds every registration
    await until(
      async () => (await provider().getTransactionCount(address(), "pending")) === nonce0 + loans,
      10_000,
      "every registration in the pool before a block is mined",
    );
    await mineUntil(allFinal);

    const entries = await store.outbox.list();
    expect(entries.map((e) => e.state)).to.deep.equal(entries.map(() => "confirmed"));
    const block = new Map(entries.map((e) => [e.serial, e.blockNumber!]));
    const [registered, disbursed, repaid] = ["registerLoan", "disburse", "repay"].map((kind) =>
      flows.filter((f) => f.kind === kind).map((f) => block.get(f.serial)!),
    ) as [number[], number[], number[]];
    registered.forEach((b, i) => {
      expect(b, "registration before disbursement").to.be.lessThan(disbursed[i]!);
      expect(disbursed[i]!, "disbursement before repayment").to.be.lessThan(repaid[i]!);
    });
    // every registration in flight at once: they share a block
    expect(new Set(registered).size).to.equal(1);
    const flowsPerBlock = Math.max(
      ...[...new Set(block.values())].map((b) => entries.filter((e) => e.blockNumber === b).length),
    );
    expect(flowsPerBlock).to.equal(loans);
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
});
