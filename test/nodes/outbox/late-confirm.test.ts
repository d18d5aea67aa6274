// A confirmation resting on a receipt read just before the chain lost its block, and written only
// after a look at the nonce saw the loss: the next look still notices that the chain no longer
// holds the flow (a later flow of its loan is held, not failed), and a recheck running while the
// confirmation is written checks it too.
import { expect } from "chai";
import { JsonRpcProvider, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { loanIdOfEntry } from "../../../nodes/src/outbox/entry.ts";
import { bytes32, disburse, outboxSuite, registerLoan, repay, serial, until } from "./fixture.ts";

/** Whether a request of `method` whose parameters hold `needle` is in the payload. */
const asks = (list: JsonRpcPayload[], method: string, needle: string): boolean =>
  list.some((p) => p.method === method && JSON.stringify(p.params).toLowerCase().includes(needle));

/** A gate a request waits at until open() (once). */
class Gate {
  /** Set once a request waits (or has waited) here. */
  reached = false;
  #open: (() => void) | undefined;
  readonly #opened = new Promise<void>((resolve) => (this.#open = resolve));

  async pass(): Promise<void> {
    this.reached = true;
    await this.#opened;
  }

  open(): void {
    this.#open?.();
  }
}

/**
 * Once `armed`: holds the first receipt it answers (a transaction mined), already read, until
 * `answer` opens — a confirmation based on it is written then. Holds the request for the receipt
 * of `request` until `asked` opens: a recheck kept running.
 */
class LateReceiptProvider extends JsonRpcProvider {
  armed = false;
  readonly answer = new Gate();
  request: string | undefined;
  readonly asked = new Gate();

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const list = Array.isArray(payload) ? payload : [payload];
    const request = this.request;
    if (request !== undefined && asks(list, "eth_getTransactionReceipt", request)) {
      this.request = undefined;
      await this.asked.pass();
    }
    const answers = await super._send(payload);
    if (
      this.armed &&
      list.some((p) => p.method === "eth_getTransactionReceipt") &&
      answers.some((a) => "result" in a && a.result !== null)
    ) {
      this.armed = false;
      await this.answer.pass();
    }
    return answers;
  }

  openAll(): void {
    this.answer.open();
    this.asked.open();
  }
}

describe("outbox sender: a confirmation written after the chain lost its block", function () {
  this.timeout(180_000);
  const suite = outboxSuite();
  const { lc, store, senderOn } = suite;
  const provider = () => lc.chain.anvil.provider;

  /** No cached answers, as the sender's own provider: each look reads the nonce afresh. */
  const lateProvider = () =>
    new LateReceiptProvider(lc.chain.anvil.url, undefined, {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });

  async function registered(loanId: string): Promise<boolean> {
    try {
      await lc.ledger.getFunction("loan")(loanId);
      return true;
    } catch {
      return false;
    }
  }

  it("notices at the next look that a flow confirmed after a look saw the loss is not on chain", async function () {
    const late = lateProvider();
    try {
      const snapshot = (await provider().send("evm_snapshot", [])) as string;
      // idle looks far apart: only the looks before refusals (and the receipt poller's) count
      senderOn({ provider: late, idleMs: 60_000 }).start();
      late.armed = true;
      const registration = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
      const loanId = loanIdOfEntry(registration);
      await until(() => late.answer.reached, 30_000, "the registration's receipt read");
      expect(await provider().send("evm_revert", [snapshot])).to.equal(true);
      expect(await registered(loanId)).to.equal(false);
      // a refusal's look reads the count below the one read before the rewind: it sees the loss,
      // and its recheck finds nothing confirmed yet
      const unknown = await store.outbox.enqueue(repay(serial("REP"), bytes32("no such loan"), 1_000n));
      await until(
        async () => (await store.outbox.status(unknown.serial))!.state === "failed",
        30_000,
        "the unknown loan's repayment refused",
      );
      expect((await store.outbox.status(unknown.serial))!.failure!.code).to.equal("LedgerUnknownLoan");
      late.answer.open();
      await until(
        async () => (await store.outbox.status(registration.serial))!.state === "confirmed",
        30_000,
        "the registration confirmed from the receipt read before the rewind",
      );
      // refused now (the chain has no such loan): the look before taking that as final must put
      // the registration back rather than find the count where the last look left it
      const disbursement = await store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n));
      await until(
        async () =>
          (await Promise.all([registration, disbursement].map((e) => store.outbox.status(e.serial)))).every(
            (e) => e!.state === "confirmed" || e!.state === "failed",
          ),
        30_000,
        "both final",
      );
      const d = (await store.outbox.status(disbursement.serial))!;
      expect(d.state, JSON.stringify(d.failure ?? null)).to.equal("confirmed");
      const r = (await store.outbox.status(registration.serial))!;
      expect(r.state).to.equal("confirmed");
      expect(await registered(loanId)).to.equal(true);
      expect(d.blockNumber!).to.be.greaterThan(r.blockNumber!);
    } finally {
      late.openAll();
      late.destroy();
    }
  });

  it("checks a confirmation written while a recheck runs", async function () {
    // confirmed before the snapshot: the chain keeps it, and the recheck stops at its receipt
    const kept = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
    const first = senderOn();
    await first.drain();
    await first.stop();
    const keptBy = (await store.outbox.status(kept.serial))!.txHash!;
    const late = lateProvider();
    try {
      const snapshot = (await provider().send("evm_snapshot", [])) as string;
      const sender = senderOn({ provider: late, idleMs: 60_000 });
      sender.start();
      late.armed = true;
      const lost = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
      await until(() => late.answer.reached, 30_000, "the registration's receipt read");
      expect(await provider().send("evm_revert", [snapshot])).to.equal(true);
      late.request = keptBy.slice(2).toLowerCase();
      const rechecked = sender.recheck();
      await until(() => late.asked.reached, 30_000, "the recheck at the kept flow's receipt");
      late.answer.open();
      await until(
        async () => (await store.outbox.status(lost.serial))!.state === "confirmed",
        30_000,
        "the lost registration confirmed while the recheck runs",
      );
      late.asked.open();
      expect(await rechecked).to.deep.equal([lost.serial]);
      await until(
        async () =>
          (await store.outbox.status(lost.serial))!.state === "confirmed" &&
          (await registered(loanIdOfEntry(lost))),
        30_000,
        "the lost registration on chain again",
      );
      expect((await store.outbox.status(kept.serial))!.txHash).to.equal(keptBy);
    } finally {
      late.openAll();
      late.destroy();
    }
  });
});
