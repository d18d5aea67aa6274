// ChainRepair's looks at the account's mined nonce, interleaved with confirmations as the sender
// makes them: a chain that lost blocks holding flows counted confirmed must always be noticed, and
// those flows put back. No chain here: a provider that knows which transactions the chain holds,
// the real outbox on memory-level and the real lock, so each interleaving is exact.
import { expect } from "chai";
import type { OutboxEntry } from "../../../nodes/src/outbox/entry.ts";
import { Lock } from "../../../nodes/src/outbox/lock.ts";
import type { Outbox } from "../../../nodes/src/outbox/outbox.ts";
import { ChainRepair, type ChainRepairOptions } from "../../../nodes/src/outbox/repair.ts";
import { memoryOutbox, registerLoan, serial, type Store } from "./fixture.ts";

const hashOf = (nonce: number) => `0x${nonce.toString(16).padStart(64, "0")}`;

/** A repair over `outbox` whose chain holds the transactions in `onChain` (hashes). */
function repairOver(outbox: Outbox, onChain: Set<string>): ChainRepair {
  const lock = new Lock();
  const options = {
    outbox,
    provider: {
      getTransactionReceipt: async (hash: string) => (onChain.has(hash) ? { status: 1 } : null),
    },
    wallet: { address: `0x${"11".repeat(20)}` },
    chainId: 31337n,
    signer: { withNonceLock: <T>(fn: () => Promise<T>) => lock.run(fn) },
    // the flow is in its receipt when there is one, and nowhere else
    effects: { inReceipt: () => true, effect: async () => ({ kind: "none" }) },
    fees: {},
    onRequeued: () => undefined,
  } as unknown as ChainRepairOptions;
  const repair = new ChainRepair(options);
  outbox.onChange((e) => repair.confirmed(e));
  return repair;
}

/** An entry recorded as sent with `nonce` (and its transaction's hash). */
async function sentAt(outbox: Outbox, nonce: number): Promise<OutboxEntry> {
  const entry = await outbox.enqueue(registerLoan(serial("APP"), 20_000));
  await outbox.update(entry.serial, { state: "sent", nonce, txHash: hashOf(nonce), rawTx: "0x01" });
  return entry;
}

const stateOf = async (outbox: Outbox, entry: OutboxEntry) => (await outbox.status(entry.serial))!.state;

describe("outbox: chain losses noticed whatever the order of looks and confirmations", function () {
  let store: Store;
  beforeEach(async function () {
    store = await memoryOutbox();
  });
  afterEach(async function () {
    await store.close();
  });

  it("a confirmation written while the first look after a start reads the store counts", async function () {
    const { outbox } = store;
    const onChain = new Set([hashOf(9)]);
    const kept = await sentAt(outbox, 9);
    await outbox.update(kept.serial, { state: "confirmed", blockNumber: 9 });
    const late = await sentAt(outbox, 12);
    const repair = repairOver(outbox, onChain);
    // the first look (count 10: nonce 12's block is gone) starts reading the store, while the
    // confirmation of nonce 12 from a receipt read before the loss is written
    const look = repair.noteNonce(10);
    await outbox.update(late.serial, { state: "confirmed", blockNumber: 12 });
    await look;
    await repair.noteNonce(10);
    expect(await stateOf(outbox, late)).to.equal("sent");
    expect(await stateOf(outbox, kept)).to.equal("confirmed");
  });

  it("a count read before confirmations it did not see does not hide a later loss", async function () {
    const { outbox } = store;
    const onChain = new Set<string>();
    const entries = [await sentAt(outbox, 10), await sentAt(outbox, 11), await sentAt(outbox, 12)];
    const repair = repairOver(outbox, onChain);
    await repair.noteNonce(10);
    // a look reads 10; then nonces 10-12 are mined, the poller reads 13, all three are confirmed;
    // only then is the first look's count taken in (its recheck finds all three there)
    for (const n of [10, 11, 12]) onChain.add(hashOf(n));
    await repair.noteNonce(13);
    for (const [i, e] of entries.entries())
      await outbox.update(e.serial, { state: "confirmed", blockNumber: 100 + i });
    await repair.noteNonce(10);
    expect(await Promise.all(entries.map((e) => stateOf(outbox, e)))).to.deep.equal([
      "confirmed",
      "confirmed",
      "confirmed",
    ]);
    // the chain loses the blocks of nonces 11 and 12: its count is 11
    onChain.delete(hashOf(11));
    onChain.delete(hashOf(12));
    await repair.noteNonce(11);
    expect(await Promise.all(entries.map((e) => stateOf(outbox, e)))).to.deep.equal([
      "confirmed",
      "sent",
      "sent",
    ]);
  });
});
