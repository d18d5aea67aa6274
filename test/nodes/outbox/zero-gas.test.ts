// A free-gas chain (as the consortium's Besu network runs: gas price and base fee zero): the
// sender takes its fees from the chain, so a member account holding no ether at all registers,
// disburses and repays.
import { expect } from "chai";
import { Wallet } from "ethers";
import { AccountRole } from "../../../common/consortium/members.ts";
import { govern } from "../../../scripts/ops/deploy/consortium.ts";
import { MEMBERS } from "../../support/consortium-chain.ts";
import { loanIdOfEntry } from "../../../nodes/src/outbox/entry.ts";
import {
  disburse,
  memoryOutbox,
  registerLoan,
  repay,
  senderFor,
  serial,
  lendingChainSuite,
} from "./fixture.ts";

describe("outbox sender on a zero-gas-price chain", function () {
  this.timeout(120_000);
  const lc = lendingChainSuite({
    anvilArgs: ["--gas-price", "0", "--base-fee", "0", "--disable-min-priority-fee"],
  });

  it("sends every flow from an account with no ether, at zero fees", async function () {
    const { deployment } = lc.chain;
    const provider = lc.chain.anvil.provider;
    // a new operator account of branch A, never funded
    const operator = Wallet.createRandom().connect(provider) as unknown as Wallet;
    await govern(deployment.governor, lc.chain.approvers, [
      {
        target: deployment.addresses.consortiumRegistry,
        data: deployment.registry.interface.encodeFunctionData("addAccount", [
          MEMBERS.branchA,
          operator.address,
          AccountRole.Operations,
        ]),
      },
    ]);
    expect(await provider.getBalance(operator.address)).to.equal(0n);

    const store = await memoryOutbox();
    const sender = senderFor(lc, store.outbox, operator);
    try {
      const app = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
      const loanId = loanIdOfEntry(app);
      await store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n));
      await store.outbox.enqueue(repay(serial("REP"), loanId, 2_500n));
      await sender.drain();
      const entries = await store.outbox.list();
      expect(entries.map((e) => e.state)).to.deep.equal(["confirmed", "confirmed", "confirmed"]);
      for (const e of entries) {
        const tx = (await provider.getTransaction(e.txHash!))!;
        expect(tx.from).to.equal(operator.address);
        expect(tx.maxFeePerGas ?? tx.gasPrice).to.equal(0n);
      }
      expect(await provider.getBalance(operator.address)).to.equal(0n);
      expect(await provider.getTransactionCount(operator.address, "latest")).to.equal(3);
    } finally {
      await sender.stop();
      await store.close();
    }
  });
});
