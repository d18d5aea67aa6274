// Crashes at every point of a send, simulated in-process on a real LevelDB directory: the
// "crashed" sender's work is done by hand (sign, record, broadcast — or only some of it), the
// database is closed and reopened, and a new sender takes over. Whatever the point, the flow
// ends confirmed and the wallet's nonce shows exactly one transaction for it. Also: a node that
// answers a stale serialUsed (the ledger's duplicate check is the last line), and a chain that
// loses the block holding a confirmed flow.
import { expect } from "chai";
import { JsonRpcProvider, Network, keccak256, toUtf8Bytes } from "ethers";
import type { Wallet } from "ethers";
import { MEMBERS } from "../../support/consortium-chain.ts";
import {
  calldataOf,
  ledgerInterface,
  loanIdOfEntry,
  type EnqueueInput,
  type OutboxEntry,
} from "../../../nodes/src/outbox/entry.ts";
import { OutboxSender } from "../../../nodes/src/outbox/sender.ts";
import {
  ACCOUNT,
  bytes32,
  disburse,
  levelDir,
  privateKeyOf,
  registerLoan,
  repay,
  senderFor,
  serial,
  lendingChainSuite,
  type Store,
} from "./fixture.ts";

describe("outbox sender: crashes at any point send each flow once", function () {
  this.timeout(120_000);
  const lc = lendingChainSuite();
  let dir: Awaited<ReturnType<typeof levelDir>>;
  let store: Store;
  let wallet: Wallet;

  before(function () {
    wallet = lc.chain.wallets.branchA;
  });

  beforeEach(async function () {
    dir = await levelDir();
    store = await dir.open();
  });

  afterEach(async function () {
    await store.close().catch(() => undefined);
    await dir.remove();
  });

  const provider = () => lc.chain.anvil.provider;
  const nonceOf = () => provider().getTransactionCount(wallet.address, "latest");

  /** A registered, undisbursed loan of branch A (sent directly, outside the outbox). */
  async function registeredLoan(): Promise<string> {
    const input = registerLoan(serial("APP"), lc.today);
    const terms = (await store.outbox.enqueue(input)) as OutboxEntry<"registerLoan">;
    const s = await restartAndDrain();
    expect((await s.status(terms.serial))!.state).to.equal("confirmed");
    return loanIdOfEntry(terms);
  }

  /** Close the database (the crash), reopen it and let a new sender drain it. */
  async function restartAndDrain(): Promise<Store["outbox"]> {
    await store.close();
    store = await dir.open();
    const sender = senderFor(lc, store.outbox, wallet);
    await sender.drain();
    await sender.stop();
    return store.outbox;
  }

  /** Sign the entry's call as the crashed sender would have. */
  async function sign(entry: OutboxEntry): Promise<{ rawTx: string; txHash: string; nonce: number }> {
    const nonce = await provider().getTransactionCount(wallet.address, "pending");
    const tx = await wallet.populateTransaction({ to: lc.ledgerAddress, data: calldataOf(entry), nonce });
    const rawTx = await wallet.signTransaction(tx);
    return { rawTx, txHash: keccak256(rawTx), nonce };
  }

  /**
   * A disbursement of a freshly registered loan that the crashed sender signed and recorded as
   * sent (one attempt), not yet broadcast; with the wallet's nonce before it. Its bytes in a
   * transaction record, as the signer keeps them, or (`inEntry`) in the entry, as an older store did.
   */
  async function disbursementRecordedAsSent(options: { inEntry?: boolean } = {}) {
    const loanId = await registeredLoan();
    const entry = await store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n));
    const nonce0 = await nonceOf();
    const { rawTx, txHash, nonce } = await sign(entry);
    if (options.inEntry)
      await store.outbox.update(entry.serial, { state: "sent", txHash, nonce, rawTx, attempts: 1 });
    else
      await store.outbox.updateMany(
        [{ serial: entry.serial, patch: { state: "sent", txHash, nonce, attempts: 1 } }],
        [{ txHash, rawTx, serials: [entry.serial] }],
      );
    return { entry, nonce0, rawTx, txHash };
  }

  it("(1) recorded and broadcast, crashed before the receipt: confirmed without a second send", async function () {
    const { entry, nonce0, rawTx, txHash } = await disbursementRecordedAsSent();
    await provider().send("eth_sendRawTransaction", [rawTx]);

    const outbox = await restartAndDrain();
    const done = (await outbox.status(entry.serial))!;
    expect(done.state).to.equal("confirmed");
    expect(done.txHash).to.equal(txHash);
    expect(done.attempts).to.equal(1);
    expect(await nonceOf()).to.equal(nonce0 + 1);
  });

  it("(1b) recorded, another transaction carried the flow: confirmed by that one, the entry's own bytes kept for a rewind", async function () {
    const loanId = await registeredLoan();
    const snapshot = (await provider().send("evm_snapshot", [])) as string;
    const entry = await store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n));
    const nonce0 = await nonceOf();
    // recorded at the nonce after the one the other transaction takes, never broadcast
    const rawTx = await wallet.signTransaction(
      await wallet.populateTransaction({ to: lc.ledgerAddress, data: calldataOf(entry), nonce: nonce0 + 1 }),
    );
    const txHash = keccak256(rawTx);
    await store.outbox.updateMany(
      [{ serial: entry.serial, patch: { state: "sent", txHash, nonce: nonce0 + 1, attempts: 1 } }],
      [{ txHash, rawTx, serials: [entry.serial] }],
    );
    const other = await wallet.sendTransaction({
      to: lc.ledgerAddress,
      data: calldataOf(entry),
      nonce: nonce0,
    });
    await other.wait();

    await restartAndDrain();
    const done = (await store.outbox.status(entry.serial))!;
    expect(done).to.include({ state: "confirmed", txHash: other.hash, nonce: nonce0 + 1, rawTx });
    expect(await store.outbox.transactions.get(txHash), "no entry names the record").to.equal(undefined);
    expect(await nonceOf()).to.equal(nonce0 + 1);

    // the chain loses the other transaction: the flow goes out again in the entry's own bytes, the
    // nonce below them filled
    expect(await provider().send("evm_revert", [snapshot])).to.equal(true);
    const sender = senderFor(lc, store.outbox, wallet);
    expect(await sender.recheck()).to.deep.equal([entry.serial]);
    expect((await store.outbox.status(entry.serial))!.state).to.equal("sent");
    await sender.drain();
    await sender.stop();
    const again = (await store.outbox.status(entry.serial))!;
    expect(again.state).to.equal("confirmed");
    expect(again.txHash, "its own recorded transaction").to.equal(txHash);
    expect(await nonceOf()).to.equal(nonce0 + 2);
  });

  it("(2) recorded but never broadcast: the new sender sees nothing on chain and sends the recorded transaction once", async function () {
    const { entry, nonce0, txHash } = await disbursementRecordedAsSent();

    const outbox = await restartAndDrain();
    const done = (await outbox.status(entry.serial))!;
    expect(done.state).to.equal("confirmed");
    expect(done.txHash, "the very same signed bytes").to.equal(txHash);
    expect(await nonceOf()).to.equal(nonce0 + 1);
  });

  it("(2c) recorded by an older store, its bytes in the entry, never broadcast: those very bytes are sent once", async function () {
    const { entry, nonce0, txHash } = await disbursementRecordedAsSent({ inEntry: true });
    expect(await store.outbox.transactions.get(txHash), "no record").to.equal(undefined);

    const outbox = await restartAndDrain();
    const done = (await outbox.status(entry.serial))!;
    expect(done.state).to.equal("confirmed");
    expect(done.txHash, "the very same signed bytes").to.equal(txHash);
    expect(await nonceOf()).to.equal(nonce0 + 1);
  });

  it("(2b) recorded with hash and nonce only, never broadcast: one new signature for the same nonce", async function () {
    const loanId = await registeredLoan();
    // repay needs an active loan: disburse it first through the outbox
    const dis = await store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n));
    await restartAndDrain();
    expect((await store.outbox.status(dis.serial))!.state).to.equal("confirmed");

    const rep = await store.outbox.enqueue(repay(serial("REP"), loanId, 2n));
    const nonce0 = await nonceOf();
    await store.outbox.update(rep.serial, {
      state: "sent",
      txHash: bytes32("a transaction that never left"),
      nonce: nonce0,
      attempts: 1,
    });
    const outbox = await restartAndDrain();
    const done = (await outbox.status(rep.serial))!;
    expect(done.state).to.equal("confirmed");
    expect(done.nonce).to.equal(nonce0);
    expect(await nonceOf()).to.equal(nonce0 + 1);
  });

  it("(3) on chain but recorded as queued (crash after broadcast, before recording): found and confirmed, nothing sent", async function () {
    const loanId = await registeredLoan();
    const cases: Array<{
      input: EnqueueInput;
      send: () => Promise<{ hash: string; wait(): Promise<unknown> }>;
    }> = [];
    const ledger = lc.ledgerAs(wallet);
    const dis = serial("DIS");
    cases.push({
      input: disburse(dis, loanId, 600_000n),
      send: () =>
        ledger.getFunction("disburse")(
          loanId,
          600_000n,
          ACCOUNT[MEMBERS.branchA],
          keccak256(toUtf8Bytes(dis)),
          bytes32(`voucher of ${dis}`),
        ),
    });
    const rep = serial("REP");
    cases.push({
      input: repay(rep, loanId, 3_000n),
      send: () =>
        ledger.getFunction("repay")(
          loanId,
          3_000n,
          keccak256(toUtf8Bytes(rep)),
          bytes32(`voucher of ${rep}`),
        ),
    });
    const app = serial("APP");
    const reg = registerLoan(app, lc.today);
    cases.push({
      input: reg,
      send: async () =>
        wallet.sendTransaction({
          to: lc.ledgerAddress,
          data: calldataOf((await store.outbox.enqueue(reg)) as OutboxEntry),
        }),
    });
    const can = serial("CAN");
    const appLoan = loanIdOfEntry((await store.outbox.enqueue(reg)) as OutboxEntry);
    cases.push({
      input: { serial: can, kind: "cancelLoan", args: { loanId: appLoan, reasonCode: 1 } },
      send: () => ledger.getFunction("cancelLoan")(appLoan, 1),
    });

    const hashes = new Map<string, string>();
    for (const c of cases) {
      await store.outbox.enqueue(c.input);
      const tx = await c.send();
      await tx.wait();
      hashes.set(c.input.serial, tx.hash);
    }
    const nonce0 = await nonceOf();
    const outbox = await restartAndDrain();
    for (const c of cases) {
      const e = (await outbox.status(c.input.serial))!;
      expect(e.state, `${c.input.kind}`).to.equal("confirmed");
      expect(e.txHash, `${c.input.kind}: the transaction found on chain`).to.equal(
        hashes.get(c.input.serial),
      );
      expect(e.attempts).to.equal(0);
    }
    expect(await nonceOf(), "nothing sent").to.equal(nonce0);
  });

  it("(3b) an early settlement on chain but recorded as queued: found by its RepaymentReceived, confirmed, nothing sent", async function () {
    const loanId = await registeredLoan();
    const dis = await store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n));
    await restartAndDrain();
    expect((await store.outbox.status(dis.serial))!.state).to.equal("confirmed");
    const ledger = lc.ledgerAs(wallet);
    const [penalty, interest, principal] = (await ledger.getFunction("settlementOwed")(loanId)) as [
      bigint,
      bigint,
      bigint,
    ];
    const owed = penalty + interest + principal;
    const stl = serial("STL");
    const voucher = bytes32(`voucher of ${stl}`);
    await store.outbox.enqueue({ serial: stl, kind: "settle", args: { loanId, amount: owed, voucher } });
    const tx = await ledger.getFunction("settle")(loanId, owed, keccak256(toUtf8Bytes(stl)), voucher);
    await tx.wait();
    const nonce0 = await nonceOf();
    const outbox = await restartAndDrain();
    const e = (await outbox.status(stl))!;
    expect(e.state).to.equal("confirmed");
    expect(e.txHash, "the transaction found on chain").to.equal(tx.hash);
    expect(e.attempts).to.equal(0);
    expect(await nonceOf(), "nothing sent").to.equal(nonce0);
  });

  it("a stale serialUsed answer lets a duplicate through to the estimate; LedgerDuplicateSerial with our own flow on chain counts as done", async function () {
    const loanId = await registeredLoan();
    const dis = serial("DIS");
    await store.outbox.enqueue(disburse(dis, loanId, 600_000n));
    // tried before, so it looks first (a fresh entry is sent on its estimate alone, batch.test.ts)
    await store.outbox.update(dis, { attempts: 1, lastError: "the endpoint did not answer" });
    const sent = await lc.ledgerAs(wallet).getFunction("disburse")(
      loanId,
      600_000n,
      ACCOUNT[MEMBERS.branchA],
      keccak256(toUtf8Bytes(dis)),
      bytes32(`voucher of ${dis}`),
    );
    await sent.wait();
    const nonce0 = await nonceOf();

    // a lagging node: the first serialUsed it is asked answers "false"
    class Lagging extends JsonRpcProvider {
      lied = 0;
      override async call(tx: Parameters<JsonRpcProvider["call"]>[0]): Promise<string> {
        const selector = ledgerInterface.getFunction("serialUsed")!.selector;
        if (this.lied === 0 && typeof tx.data === "string" && tx.data.startsWith(selector)) {
          this.lied++;
          return ledgerInterface.encodeFunctionResult("serialUsed", [false]);
        }
        return super.call(tx);
      }
    }
    const lagging = new Lagging(lc.chain.anvil.url, Network.from(lc.chain.chainId), {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });
    const sender = new OutboxSender({
      outbox: store.outbox,
      provider: lagging,
      chainId: lc.chain.chainId,
      privateKey: privateKeyOf(wallet),
      ledger: lc.ledgerAddress,
      fromBlock: lc.deployBlock,
      pollingMs: 50,
      retry: { initialMs: 50 },
    });
    await sender.drain();
    await sender.stop();
    lagging.destroy();
    expect(lagging.lied).to.equal(1);
    const done = (await store.outbox.status(dis))!;
    expect(done.state).to.equal("confirmed");
    expect(done.txHash).to.equal(sent.hash);
    expect(await nonceOf()).to.equal(nonce0);
  });

  it("a chain that lost the block of a confirmed flow: recheck puts it back and the same transaction is sent again", async function () {
    const loanId = await registeredLoan();
    const snapshot = (await provider().send("evm_snapshot", [])) as string;
    const nonce0 = await nonceOf();
    const entry = await store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n));
    const sender = senderFor(lc, store.outbox, wallet);
    await sender.drain();
    const first = (await store.outbox.status(entry.serial))!;
    expect(first.state).to.equal("confirmed");

    expect(await provider().send("evm_revert", [snapshot])).to.equal(true);
    expect(await nonceOf()).to.equal(nonce0);
    expect(await sender.recheck(first.blockNumber! - 5)).to.deep.equal([entry.serial]);
    expect((await store.outbox.status(entry.serial))!.state).to.equal("sent");
    await sender.drain();
    await sender.stop();
    const again = (await store.outbox.status(entry.serial))!;
    expect(again.state).to.equal("confirmed");
    expect(again.txHash).to.equal(first.txHash);
    expect(await nonceOf()).to.equal(nonce0 + 1);
    // nothing else was lost
    const check = senderFor(lc, store.outbox, wallet);
    expect(await check.recheck()).to.deep.equal([]);
    await check.stop();
  });
});
