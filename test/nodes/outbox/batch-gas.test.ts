// A batch whose gas limit (its estimate with the margin) would pass the per-transaction gas cap
// (EIP-7825, 2^24; Anvil enforces it with --enable-tx-gas-limit) is split before it is signed:
// such a transaction is refused at broadcast after its flows were recorded with it, and none of
// them would ever be mined.
import { expect } from "chai";
import { outboxSuite, registerLoan, serial, until } from "./fixture.ts";

const TX_GAS_CAP = 2n ** 24n;

describe("outbox sender: batches under the per-transaction gas cap", function () {
  this.timeout(300_000);
  const suite = outboxSuite({ anvilArgs: ["--enable-tx-gas-limit"] });
  const { lc, store, senderOn } = suite;
  const provider = () => lc.chain.anvil.provider;

  it("splits a burst whose one batch would ask more gas than the cap, each flow once", async function () {
    // 78 registrations estimate below the cap together, their gas limit with the margin above it
    const sender = senderOn({ maxBatch: 78 });
    await sender.drain();
    const flows = [];
    for (let i = 0; i < 78; i++)
      flows.push(await store.outbox.enqueue(registerLoan(serial("APP"), lc.today)));
    sender.start();
    await until(
      async () => (await store.outbox.list({ state: "confirmed" })).length === flows.length,
      120_000,
      "every flow confirmed",
    );
    const hashes = new Set(
      await Promise.all(flows.map(async (f) => (await store.outbox.status(f.serial))!.txHash!)),
    );
    expect(hashes.size, "packed in a few transactions").to.be.within(2, 8);
    for (const hash of hashes) {
      const tx = (await provider().getTransaction(hash))!;
      expect(tx.gasLimit <= TX_GAS_CAP, `${hash} asks ${tx.gasLimit} gas`).to.equal(true);
    }
    const logs = await lc.ledger.queryFilter(lc.ledger.filters.LoanRegistered!(), lc.deployBlock);
    expect(logs, "each registration once").to.have.length(flows.length);
  });
});
