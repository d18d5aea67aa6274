// Confirmed flows rechecked after the chain lost blocks: a batch mined again once the chain lost the
// account's delegation succeeds without its calls' events, and each of its flows is put back; a
// recheck that met an RPC error is run again at the sender's next look at its nonce; a sender
// started after the chain lost blocks compares its nonce with what its confirmed entries used.
import { expect } from "chai";
import { JsonRpcProvider, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { delegateOf } from "../../../common/chain/batch.ts";
import { loanIdOfEntry } from "../../../nodes/src/outbox/entry.ts";
import type { OutboxEntry } from "../../../nodes/src/outbox/entry.ts";
import { outboxSuite, registerLoan, serial, undelegate, until } from "./fixture.ts";

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
    await provider().broadcastTransaction(batch.rawTx!);
    const receipt = (await provider().waitForTransaction(batch.txHash!))!;
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
});
