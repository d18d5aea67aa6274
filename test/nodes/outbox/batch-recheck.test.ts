// Confirmed flows rechecked after the chain lost blocks: a batch mined again once the chain lost the
// account's delegation succeeds without its calls' events, and each of its flows is put back; a
// recheck that met an RPC error is run again at the sender's next look at its nonce; a sender
// started after the chain lost blocks compares its nonce with what its confirmed entries used; a
// batch the ledger refuses because the chain lost its loans' disbursements waits for the recheck
// another look started, and its flows are held, not failed.
import { expect } from "chai";
import { JsonRpcProvider, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { BATCH_EXECUTOR, delegateOf } from "../../../common/chain/batch.ts";
import { minedReceipt } from "../../support/anvil.ts";
import { loanIdOfEntry } from "../../../nodes/src/outbox/entry.ts";
import type { OutboxEntry } from "../../../nodes/src/outbox/entry.ts";
import { disburse, outboxSuite, registerLoan, repay, serial, undelegate, until } from "./fixture.ts";

/** Fails the first eth_call whose parameters hold `needle` once it is set: an RPC error in a recheck. */
class FailOnceProvider extends JsonRpcProvider {
  needle: string | undefined;

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const list = Array.isArray(payload) ? payload : [payload];
    const needle = this.needle;
    if (
      needle !== undefined &&
      list.some((p) => p.method === "eth_call" && JSON.stringify(p.params).toLowerCase().includes(needle))
    ) {
      this.needle = undefined;
      throw new Error("connection reset");
    }
    return super._send(payload);
  }
}

/**
 * Holds the first eth_getTransactionReceipt of `held` once it is set, until release(): a recheck
 * kept running. Counts the answers to eth_getTransactionCount at "latest" meanwhile (the looks at
 * the mined nonce).
 */
class HoldReceiptProvider extends JsonRpcProvider {
  held: string | undefined;
  /** Set once the held request has arrived. */
  holding = false;
  countsAnswered = 0;
  #release: (() => void) | undefined;
  readonly #released = new Promise<void>((resolve) => (this.#release = resolve));

  release(): void {
    this.#release?.();
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const list = Array.isArray(payload) ? payload : [payload];
    const held = this.held;
    if (
      held !== undefined &&
      list.some((p) => p.method === "eth_getTransactionReceipt" && JSON.stringify(p.params).includes(held))
    ) {
      this.held = undefined;
      this.holding = true;
      await this.#released;
    }
    const answers = await super._send(payload);
    if (
      list.some((p) => p.method === "eth_getTransactionCount" && JSON.stringify(p.params).includes("latest"))
    )
      this.countsAnswered++;
    return answers;
  }
}

describe("outbox sender: confirmed flows rechecked after the chain lost blocks", function () {
  this.timeout(180_000);
  const suite = outboxSuite();
  const { lc, store, senderOn } = suite;
  const provider = () => lc.chain.anvil.provider;
  const address = () => lc.chain.wallets.branchA.address;

  /** Whether the ledger holds the loan this registration registers. */
  async function registered(entry: OutboxEntry): Promise<boolean> {
    try {
      await lc.ledger.getFunction("loan")(loanIdOfEntry(entry));
      return true;
    } catch {
      return false;
    }
  }

  /** The account not delegated (an earlier test may have delegated it), then a snapshot of the chain. */
  async function undelegatedSnapshot(): Promise<string> {
    await undelegate(lc.chain.wallets.branchA.connect(provider()), lc.chain.chainId);
    expect(await delegateOf(provider(), address())).to.equal(undefined);
    return (await provider().send("evm_snapshot", [])) as string;
  }

  it("puts back each flow of a batch mined again without its events once the chain lost the delegation", async function () {
    const snapshot = await undelegatedSnapshot();
    const sender = senderOn({ maxBatch: 16 });
    const flows = [];
    for (let i = 0; i < 3; i++) flows.push(await store.outbox.enqueue(registerLoan(serial("APP"), lc.today)));
    await sender.drain();
    const packed = await Promise.all(flows.map(async (f) => (await store.outbox.status(f.serial))!));
    expect(new Set(packed.map((e) => e.txHash)).size, "one transaction").to.equal(1);
    const batch = packed[0]!;
    expect(await provider().send("evm_revert", [snapshot])).to.equal(true);
    expect(await delegateOf(provider(), address())).to.equal(undefined);

    // the batch mined again on the chain without the delegation: its nonces below filled, its very bytes sent
    const wallet = lc.chain.wallets.branchA.connect(provider());
    for (let nonce = await wallet.getNonce("latest"); nonce < batch.nonce!; nonce++)
      await (await wallet.sendTransaction({ to: address(), value: 0n, nonce })).wait();
    await provider().broadcastTransaction((await store.outbox.signedBytes(batch))!);
    const receipt = await minedReceipt(provider(), batch.txHash!);
    expect(receipt.status, "the batch succeeds").to.equal(1);
    expect(receipt.logs, "without any call's event").to.have.length(0);
    for (const f of flows) expect(await registered(f), f.serial).to.equal(false);

    const back = await sender.recheck();
    expect(back).to.have.members(flows.map((f) => f.serial));
    await sender.drain();
    for (const f of flows) {
      const e = (await store.outbox.status(f.serial))!;
      expect(e.state, f.serial).to.equal("confirmed");
      expect(e.txHash, f.serial).to.not.equal(batch.txHash);
      expect(await registered(f), f.serial).to.equal(true);
    }
  });

  it("runs a recheck that met an RPC error again at its next look, though the lost nonces are used again meanwhile", async function () {
    const snapshot = await undelegatedSnapshot();
    const failing = new FailOnceProvider(lc.chain.anvil.url, undefined, {
      staticNetwork: true,
      batchMaxCount: 1,
    });
    try {
      const sender = senderOn({ provider: failing, maxBatch: 16 });
      const first = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
      const second = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
      await sender.drain();
      const batch = (await store.outbox.status(first.serial))!.txHash!;
      expect((await store.outbox.status(second.serial))!.txHash).to.equal(batch);
      expect(await provider().send("evm_revert", [snapshot])).to.equal(true);

      // the recheck the sender starts on seeing its nonce go down fails at the second flow's look
      failing.needle = loanIdOfEntry(second).slice(2).toLowerCase();
      sender.start();
      for (const f of [first, second])
        await until(
          async () => {
            const e = (await store.outbox.status(f.serial))!;
            return e.state === "confirmed" && e.txHash !== batch && (await registered(f));
          },
          60_000,
          `${f.serial} on chain again`,
        );
      expect(failing.needle, "the look failed once").to.equal(undefined);
    } finally {
      failing.destroy();
    }
  });

  it("notices after a restart that the chain lost the blocks of its confirmed flows", async function () {
    const snapshot = (await provider().send("evm_snapshot", [])) as string;
    const flows = [];
    for (let i = 0; i < 2; i++) flows.push(await store.outbox.enqueue(registerLoan(serial("APP"), lc.today)));
    const before = senderOn();
    await before.drain();
    await before.stop();
    for (const f of flows) expect(await registered(f), f.serial).to.equal(true);
    expect(await provider().send("evm_revert", [snapshot])).to.equal(true);
    for (const f of flows) expect(await registered(f), f.serial).to.equal(false);

    // a new sender on the same outbox, with nothing to send: it looks at its nonce while idle
    senderOn().start();
    for (const f of flows)
      await until(
        async () => (await store.outbox.status(f.serial))!.state === "confirmed" && (await registered(f)),
        30_000,
        `${f.serial} on chain again`,
      );
  });

  it("holds the repayments of a batch refused because the chain lost their loans' disbursements, while another look's recheck is still putting those back", async function () {
    const apps = [];
    for (let i = 0; i < 2; i++) apps.push(await store.outbox.enqueue(registerLoan(serial("APP"), lc.today)));
    const loans = apps.map((a) => loanIdOfEntry(a));
    // registered, and the account delegated, before the snapshot: the rewind takes the disbursements only
    const first = senderOn({ maxBatch: 16 });
    await first.drain();
    await first.stop();
    expect(await delegateOf(provider(), address())).to.equal(BATCH_EXECUTOR);
    const snapshot = (await provider().send("evm_snapshot", [])) as string;
    const disbursements = [];
    for (const loanId of loans)
      disbursements.push(await store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n)));
    const second = senderOn({ maxBatch: 16 });
    await second.drain();
    await second.stop();
    const disbursedBy = [];
    for (const d of disbursements) {
      const e = (await store.outbox.status(d.serial))!;
      expect(e.state).to.equal("confirmed");
      disbursedBy.push(e.txHash!);
    }
    // no cached answers, as the sender's own provider: each look reads the nonce afresh
    const held = new HoldReceiptProvider(lc.chain.anvil.url, undefined, {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });
    try {
      // a sender with nothing to send looks at its nonce once, before the rewind; then it idles
      // (a long pause: no other idle look)
      senderOn({ provider: held, maxBatch: 16, idleMs: 60_000 }).start();
      await until(() => held.countsAnswered > 0, 30_000, "the idle look");
      held.held = disbursedBy[0]!.slice(2);
      expect(await provider().send("evm_revert", [snapshot])).to.equal(true);
      // the repayments' estimates revert (their loans are not disbursed any more): the first look
      // at the nonce sees the loss and its recheck is held at the first disbursement's receipt; the
      // other look comes meanwhile, and must not take the ledger's refusal as final either
      const counted = held.countsAnswered;
      const repayments: OutboxEntry[] = [];
      for (const loanId of loans)
        repayments.push(await store.outbox.enqueue(repay(serial("REP"), loanId, 1_000n)));
      await until(() => held.holding && held.countsAnswered >= counted + 2, 30_000, "both repayments' looks");
      // time for a look that did not wait to fail its repayment; then the recheck goes on
      await until(
        async () =>
          (await Promise.all(repayments.map((r) => store.outbox.status(r.serial)))).some(
            (e) => e!.state === "failed",
          ),
        500,
        "a repayment failed",
      ).catch(() => undefined);
      held.release();
      await until(
        async () => (await store.outbox.list()).every((e) => e.state === "confirmed" || e.state === "failed"),
        30_000,
        "all final",
      );
      for (const [i, d] of disbursements.entries()) {
        const r = (await store.outbox.status(repayments[i]!.serial))!;
        expect(r.state, `${r.serial}: ${JSON.stringify(r.failure ?? null)}`).to.equal("confirmed");
        const e = (await store.outbox.status(d.serial))!;
        expect(e.state).to.equal("confirmed");
        expect(e.txHash, "the very same disbursement").to.equal(disbursedBy[i]);
        expect(r.blockNumber!).to.be.greaterThan(e.blockNumber!);
      }
    } finally {
      held.release();
      held.destroy();
    }
  });
});
