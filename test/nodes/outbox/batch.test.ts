// Several flows in one transaction: the node's account delegated (EIP-7702) to the batch executor
// sends fresh flows of different loans together, and each flow is read from its own call's event
// in the shared receipt; a batch one of whose calls the ledger refuses lets the others through and
// fails that one with its custom error; a chain that lost a batch's block (and with it, maybe, the
// account's delegation) gets every flow once again; a chain without EIP-7702 gets one flow per
// transaction, as before, and the sender says so once.
import { expect } from "chai";
import { JsonRpcProvider, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { BATCH_EXECUTOR, delegateOf } from "../../../common/chain/batch.ts";
import { ledgerInterface, loanIdOfEntry, onChainSerial } from "../../../nodes/src/outbox/entry.ts";
import type { OutboxEntry } from "../../../nodes/src/outbox/entry.ts";
import {
  disburse,
  outboxSuite,
  registerLoan,
  repay,
  serial,
  undelegate,
  until,
  type OutboxSuite,
} from "./fixture.ts";

const EVENT = {
  registerLoan: "LoanRegistered",
  disburse: "FundsDisbursed",
  repay: "RepaymentReceived",
} as const;

/** A provider that remembers every JSON-RPC request it sends. */
class RecordingProvider extends JsonRpcProvider {
  readonly requests: JsonRpcPayload[] = [];

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    this.requests.push(...(Array.isArray(payload) ? payload : [payload]));
    return super._send(payload);
  }
}

/** Where each flow is: its entry confirmed, its own event once in the receipt of the transaction it names. */
async function expectEachInItsReceipt(suite: OutboxSuite, entries: OutboxEntry[]): Promise<void> {
  const provider = suite.lc.chain.anvil.provider;
  for (const entry of entries) {
    const e = (await suite.store.outbox.status(entry.serial))!;
    expect(e.state, e.serial).to.equal("confirmed");
    const receipt = (await provider.getTransactionReceipt(e.txHash!))!;
    expect(receipt.blockNumber).to.equal(e.blockNumber);
    const kind = e.kind as keyof typeof EVENT;
    const own = receipt.logs
      .filter((l) => l.address === suite.lc.ledgerAddress)
      .map((l) => ledgerInterface.parseLog(l)!)
      .filter((p) => p.name === EVENT[kind] && p.args.loanId === loanIdOfEntry(e))
      .filter((p) => kind === "registerLoan" || p.args.serial === onChainSerial(e.serial));
    expect(own, `${e.serial}'s ${EVENT[kind]} in its transaction`).to.have.length(1);
  }
  // and on chain each flow's event exactly once: nothing doubled, nothing extra
  for (const kind of Object.keys(EVENT) as Array<keyof typeof EVENT>) {
    const mine = entries.filter((e) => e.kind === kind);
    if (mine.length === 0) continue;
    const logs = await suite.lc.ledger.queryFilter(
      suite.lc.ledger.filters[EVENT[kind]]!(),
      suite.lc.deployBlock,
    );
    for (const e of mine) {
      const matching = logs.filter(
        (l) =>
          "args" in l &&
          l.args.loanId === loanIdOfEntry(e) &&
          (kind === "registerLoan" || l.args.serial === onChainSerial(e.serial)),
      );
      expect(matching, `${e.serial} on chain`).to.have.length(1);
    }
  }
}

describe("outbox sender: several flows in one transaction", function () {
  this.timeout(120_000);
  const suite = outboxSuite();
  const { lc, store, senderOn } = suite;
  const provider = () => lc.chain.anvil.provider;
  const address = () => lc.chain.wallets.branchA.address;
  const nonceOf = () => provider().getTransactionCount(address(), "latest");

  it("packs a burst of flows of different loans into fewer transactions, each flow's event once, in its own call", async function () {
    const loans = 8;
    const sender = senderOn({ maxBatch: 16 });
    const registrations = [];
    for (let i = 0; i < loans; i++)
      registrations.push(await store.outbox.enqueue(registerLoan(serial("APP"), lc.today)));
    await sender.drain();
    expect(await delegateOf(provider(), address())).to.equal(BATCH_EXECUTOR);
    const loanIds = registrations.map((r) => loanIdOfEntry(r));
    const disbursements = [];
    for (const loanId of loanIds)
      disbursements.push(await store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n)));
    await sender.drain();
    const nonce0 = await nonceOf();
    const repayments = [];
    for (const [i, loanId] of loanIds.entries())
      repayments.push(await store.outbox.enqueue(repay(serial("REP"), loanId, 1_000n + BigInt(i))));
    await sender.drain();

    for (const flows of [registrations, disbursements, repayments]) {
      await expectEachInItsReceipt(suite, flows);
      const transactions = new Set(
        await Promise.all(flows.map(async (f) => (await store.outbox.status(f.serial))!.txHash)),
      );
      expect(transactions.size, `${flows[0]!.kind}: transactions for ${loans} flows`).to.be.lessThan(loans);
    }
    // the repayments, all ready at once: one transaction
    expect(await nonceOf()).to.equal(nonce0 + 1);
  });

  it("sends a fresh flow without asking the ledger first whether its serial is used", async function () {
    const recording = new RecordingProvider(lc.chain.anvil.url, undefined, { staticNetwork: true });
    try {
      const sender = senderOn({ provider: recording, maxBatch: 16 });
      const app = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
      await sender.drain();
      const loanId = loanIdOfEntry(app);
      const flows = [await store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n))];
      await sender.drain();
      flows.push(await store.outbox.enqueue(repay(serial("REP"), loanId, 1_000n)));
      await sender.drain();
      await expectEachInItsReceipt(suite, [app, ...flows]);
      const serialUsed = ledgerInterface.getFunction("serialUsed")!.selector;
      const asked = recording.requests.filter(
        (r) =>
          r.method === "eth_call" &&
          String((r.params as Array<{ data?: string }>)[0]?.data ?? "").startsWith(serialUsed),
      );
      expect(asked, "serialUsed calls").to.have.length(0);
    } finally {
      recording.destroy();
    }
  });

  it("lets the other calls of a batch through when the ledger refuses one, and fails that one with its error", async function () {
    const sender = senderOn({ maxBatch: 16 });
    const good = [];
    for (let i = 0; i < 3; i++) good.push(await store.outbox.enqueue(registerLoan(serial("APP"), lc.today)));
    // above the principal range's maximum (20,000,000)
    const bad = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today, { principal: 30_000_000n }));
    for (let i = 0; i < 2; i++) good.push(await store.outbox.enqueue(registerLoan(serial("APP"), lc.today)));
    await sender.drain();
    await expectEachInItsReceipt(suite, good);
    const refused = (await store.outbox.status(bad.serial))!;
    expect(refused.state).to.equal("failed");
    expect(refused.failure).to.deep.include({
      code: "LedgerPrincipalOutOfRange",
      args: ["30000000", "300000", "20000000"],
    });
    expect(refused.txHash).to.equal(undefined);
  });

  it("deploys the batch executor where the chain lacks it, then packs", async function () {
    // as on a chain it was never deployed to: no code, and a nonce of 0 (else CREATE2 refuses the address)
    await provider().send("anvil_setCode", [BATCH_EXECUTOR, "0x"]);
    await provider().send("anvil_setNonce", [BATCH_EXECUTOR, "0x0"]);
    const flows = [];
    for (let i = 0; i < 4; i++) flows.push(await store.outbox.enqueue(registerLoan(serial("APP"), lc.today)));
    await senderOn({ maxBatch: 16 }).drain();
    expect(await provider().getCode(BATCH_EXECUTOR)).to.not.equal("0x");
    await expectEachInItsReceipt(suite, flows);
    const transactions = new Set(
      await Promise.all(flows.map(async (f) => (await store.outbox.status(f.serial))!.txHash)),
    );
    expect(transactions.size).to.equal(1);
  });

  it("gets every flow of a batch whose block the chain lost on chain once again, the delegation with it", async function () {
    // an account not delegated (an earlier test delegated it: undo that), then a sender that
    // delegates it and packs: the rewind takes the delegation with the batch
    await undelegate(lc.chain.wallets.branchA.connect(provider()), lc.chain.chainId);
    expect(await delegateOf(provider(), address())).to.equal(undefined);
    const snapshot = (await provider().send("evm_snapshot", [])) as string;
    const flows = [];
    for (let i = 0; i < 6; i++) flows.push(await store.outbox.enqueue(registerLoan(serial("APP"), lc.today)));
    const sender = senderOn({ maxBatch: 16 });
    await sender.drain();
    await expectEachInItsReceipt(suite, flows);
    expect(await provider().send("evm_revert", [snapshot])).to.equal(true);
    expect(await delegateOf(provider(), address())).to.equal(undefined);
    // the node's chain check after a rewind
    const back = await sender.recheck();
    expect(back).to.have.members(flows.map((f) => f.serial));
    await sender.drain();
    await expectEachInItsReceipt(suite, flows);
  });

  it("gets a batch whose block the chain lost on chain again with its very bytes while the delegation stays", async function () {
    const sender = senderOn({ maxBatch: 16 });
    await sender.drain();
    expect(await delegateOf(provider(), address())).to.equal(BATCH_EXECUTOR);
    const snapshot = (await provider().send("evm_snapshot", [])) as string;
    const flows = [];
    for (let i = 0; i < 6; i++) flows.push(await store.outbox.enqueue(registerLoan(serial("APP"), lc.today)));
    await sender.drain();
    const before = await Promise.all(flows.map(async (f) => (await store.outbox.status(f.serial))!.txHash));
    expect(new Set(before).size).to.equal(1);
    expect(await provider().send("evm_revert", [snapshot])).to.equal(true);
    sender.start();
    // the sender notices the lower nonce by itself while idle
    await until(
      async () => (await provider().getTransactionReceipt(before[0]!)) !== null,
      30_000,
      "mined again",
    );
    await until(
      async () => (await store.outbox.list({ state: "confirmed" })).length === flows.length,
      30_000,
      "confirmed again",
    );
    await expectEachInItsReceipt(suite, flows);
    const after = await Promise.all(flows.map(async (f) => (await store.outbox.status(f.serial))!.txHash));
    expect(after, "the very same transaction").to.deep.equal(before);
  });
});

describe("outbox sender: packing on a chain without EIP-7702", function () {
  this.timeout(120_000);
  const suite = outboxSuite({ anvilArgs: ["--hardfork", "cancun"] });
  const { lc, store, senderOn } = suite;

  it("sends one flow per transaction and says so once", async function () {
    const lines: string[] = [];
    const log = {
      info: (_: object, m: string) => lines.push(m),
      warn: (_: object, m: string) => lines.push(m),
    };
    const sender = senderOn({ maxBatch: 16, log });
    const address = lc.chain.wallets.branchA.address;
    const nonce0 = await lc.chain.anvil.provider.getTransactionCount(address, "latest");
    const flows = [];
    for (let i = 0; i < 4; i++) flows.push(await store.outbox.enqueue(registerLoan(serial("APP"), lc.today)));
    await sender.drain();
    flows.push(await store.outbox.enqueue(disburse(serial("DIS"), loanIdOfEntry(flows[0]!), 600_000n)));
    await sender.drain();
    await expectEachInItsReceipt(suite, flows);
    expect(await lc.chain.anvil.provider.getTransactionCount(address, "latest")).to.equal(
      nonce0 + flows.length,
    );
    expect(lines.filter((l) => /one flow per transaction/.test(l))).to.have.length(1);
  });
});
