// The outbox's storage, run against an in-memory level and a real LevelDB directory: canonical
// arguments, idempotent enqueue by serial (also when the same serial arrives many times at
// once), conflicts, order, the pending index, requeue of a failed entry, restarts. And every
// custom error of the compiled contracts decodes.
import { expect } from "chai";
import { Interface, Wallet, keccak256, toUtf8Bytes, type JsonRpcApiProvider } from "ethers";
import { readFile } from "node:fs/promises";
import { loanIdOf } from "../../../common/lending/ids.ts";
import {
  calldataOf,
  disputeInterface,
  ledgerInterface,
  loanIdOfEntry,
  targetOf,
  type OutboxEntry,
} from "../../../nodes/src/outbox/entry.ts";
import { OutboxError } from "../../../nodes/src/errors.ts";
import { Outbox } from "../../../nodes/src/outbox/outbox.ts";
import { NonceSigner } from "../../../nodes/src/outbox/signer.ts";
import { bytes32, disburse, levelDir, memoryOutbox, registerLoan, repay, type Store } from "./fixture.ts";
import { rejectedBy } from "../../support/expect-error.ts";

const LOAN = bytes32("a loan id");

const rejection = (promise: Promise<unknown>): Promise<OutboxError> => rejectedBy(promise, OutboxError);

/** The `sync` option of every batch the outbox writes from now on, in order. */
function syncsOf(outbox: Outbox): Array<boolean | undefined> {
  const syncs: Array<boolean | undefined> = [];
  const db = outbox.db;
  const batch = db.batch.bind(db) as (ops: unknown, options: { sync?: boolean }) => Promise<void>;
  (db as unknown as { batch: typeof batch }).batch = (ops, options) => {
    syncs.push(options?.sync);
    return batch(ops, options);
  };
  return syncs;
}

const backends: Array<[string, () => Promise<{ open(): Promise<Store>; cleanup(): Promise<void> }>]> = [
  [
    "memory-level",
    async () => {
      const store = await memoryOutbox();
      return { open: async () => store, cleanup: () => store.close() };
    },
  ],
  [
    "LevelDB",
    async () => {
      const dir = await levelDir();
      return { open: () => dir.open(), cleanup: () => dir.remove() };
    },
  ],
];

for (const [name, make] of backends) {
  describe(`outbox storage (${name})`, function () {
    let backend: { open(): Promise<Store>; cleanup(): Promise<void> };
    let store: Store;

    beforeEach(async function () {
      backend = await make();
      store = await backend.open();
    });

    afterEach(async function () {
      if (name === "LevelDB") await store.close();
      await backend.cleanup();
    });

    it("stores a queued entry with canonical, JSON-safe arguments", async function () {
      const e = await store.outbox.enqueue(
        disburse("DIS-1", LOAN.toUpperCase().replace("0X", "0x"), 123_456_789_012_345_678_901n),
      );
      expect(e.state).to.equal("queued");
      expect(e.attempts).to.equal(0);
      expect(e.seq).to.equal(1);
      expect(e.args).to.deep.equal({
        loanId: LOAN,
        amount: "123456789012345678901",
        accountHash: (e.args as { accountHash: string }).accountHash,
        voucher: bytes32("voucher of DIS-1"),
      });
      expect(JSON.parse(JSON.stringify(e))).to.deep.equal(e);
      expect(await store.outbox.status("DIS-1")).to.deep.equal(e);
      expect(await store.outbox.status("DIS-2")).to.equal(undefined);
    });

    it("derives the application serial of a registerLoan from its serial", async function () {
      const e = await store.outbox.enqueue(registerLoan("APP-1", 20_500));
      const terms = (e as OutboxEntry<"registerLoan">).args.terms;
      expect(terms.applicationSerial).to.equal(keccak256(toUtf8Bytes("APP-1")));
      expect(terms.principal).to.equal("600000");
      expect(loanIdOfEntry(e)).to.equal(loanIdOf(2, keccak256(toUtf8Bytes("APP-1"))));
      // the same request naming the application serial itself is the same entry
      const input = registerLoan("APP-1", 20_500) as { args: { terms: Record<string, unknown> } };
      input.args.terms.applicationSerial = keccak256(toUtf8Bytes("APP-1"));
      expect(await store.outbox.enqueue(input as never)).to.deep.equal(e);
      input.args.terms.applicationSerial = bytes32("something else");
      expect((await rejection(store.outbox.enqueue(input as never))).code).to.equal(
        "NODE_ERR_OUTBOX_BAD_ENTRY",
      );
    });

    it("is idempotent by serial: same arguments (in any form) return the stored entry", async function () {
      const first = await store.outbox.enqueue(repay("REP-1", LOAN, 5_000n));
      const again = await store.outbox.enqueue({
        serial: "REP-1",
        kind: "repay",
        args: {
          loanId: LOAN.toUpperCase().replace("0X", "0x"),
          amount: "5000",
          voucher: bytes32("voucher of REP-1"),
        },
      });
      expect(again).to.deep.equal(first);
      expect(
        await store.outbox.enqueue({
          serial: "REP-1",
          kind: "repay",
          args: { voucher: bytes32("voucher of REP-1"), amount: 5000, loanId: LOAN },
        }),
      ).to.deep.equal(first);
      expect(await store.outbox.list()).to.have.length(1);
    });

    it("refuses the same serial with other arguments or another kind (NODE_ERR_OUTBOX_CONFLICT)", async function () {
      await store.outbox.enqueue(repay("REP-1", LOAN, 5_000n));
      const other = await rejection(store.outbox.enqueue(repay("REP-1", LOAN, 5_001n)));
      expect(other.code).to.equal("NODE_ERR_OUTBOX_CONFLICT");
      expect(other.statusCode).to.equal(409);
      expect((await rejection(store.outbox.enqueue(disburse("REP-1", LOAN, 5_000n)))).code).to.equal(
        "NODE_ERR_OUTBOX_CONFLICT",
      );
      expect((await store.outbox.status("REP-1"))!.args).to.deep.include({ amount: "5000" });
    });

    it("makes one entry of many simultaneous enqueues of one serial, and one group of many serials", async function () {
      const same = await Promise.all(
        Array.from({ length: 25 }, () => store.outbox.enqueue(repay("REP-X", LOAN, 7n))),
      );
      expect(new Set(same.map((e) => e.seq)).size).to.equal(1);
      const results = await Promise.allSettled([
        store.outbox.enqueue(repay("REP-Y", LOAN, 7n)),
        store.outbox.enqueue(repay("REP-Y", LOAN, 8n)),
        ...Array.from({ length: 30 }, (_, i) => store.outbox.enqueue(repay(`REP-${i}`, LOAN, BigInt(i + 1)))),
      ]);
      expect(results[0]!.status).to.equal("fulfilled");
      expect(results[1]!.status).to.equal("rejected");
      expect(((results[1] as PromiseRejectedResult).reason as OutboxError).code).to.equal(
        "NODE_ERR_OUTBOX_CONFLICT",
      );
      const all = await store.outbox.list();
      expect(all.map((e) => e.serial)).to.deep.equal([
        "REP-X",
        "REP-Y",
        ...Array.from({ length: 30 }, (_, i) => `REP-${i}`),
      ]);
      expect(all.map((e) => e.seq)).to.deep.equal(Array.from({ length: 32 }, (_, i) => i + 1));
    });

    it("rejects malformed entries with NODE_ERR_OUTBOX_BAD_ENTRY", async function () {
      const bad = [
        { serial: "", kind: "repay", args: { loanId: LOAN, amount: 1n, voucher: LOAN } },
        { serial: "has space", kind: "repay", args: { loanId: LOAN, amount: 1n, voucher: LOAN } },
        { serial: "X".repeat(129), kind: "repay", args: { loanId: LOAN, amount: 1n, voucher: LOAN } },
        { serial: "S-1", kind: "transfer", args: {} },
        { serial: "S-1", kind: "repay", args: { loanId: "0x1234", amount: 1n, voucher: LOAN } },
        { serial: "S-1", kind: "repay", args: { loanId: LOAN, amount: -1n, voucher: LOAN } },
        { serial: "S-1", kind: "repay", args: { loanId: LOAN, amount: "1.5", voucher: LOAN } },
        { serial: "S-1", kind: "repay", args: { loanId: LOAN, amount: 1n, voucher: LOAN, extra: 1 } },
        { serial: "S-1", kind: "cancelLoan", args: { loanId: LOAN, reasonCode: 70_000 } },
        { serial: "S-1", kind: "escalate", args: { loanId: LOAN, stage: 4 } },
        { serial: "S-1", kind: "assignCourt", args: { loanId: LOAN, court: 0 } },
        { serial: "S-1", kind: "recordRuling", args: { loanId: LOAN, ruling: `0x${"00".repeat(32)}` } },
        { serial: "S-1", kind: "acceptCase", args: { loanId: LOAN, court: 5 } },
      ];
      for (const input of bad) {
        const error = await rejection(store.outbox.enqueue(input as never));
        expect(
          error.code,
          JSON.stringify(input, (_, v) => (typeof v === "bigint" ? String(v) : v)),
        ).to.equal("NODE_ERR_OUTBOX_BAD_ENTRY");
      }
      expect(await store.outbox.list()).to.deep.equal([]);
    });

    it("settled() answers once an entry is final, or as it stands after the wait", async function () {
      await store.outbox.enqueue(repay("REP-S", LOAN, 5n));
      const pending = await store.outbox.settled("REP-S", 20);
      expect(pending.state).to.equal("queued");
      const waiting = store.outbox.settled("REP-S", 60_000);
      await store.outbox.update("REP-S", { state: "sent", txHash: bytes32("tx"), nonce: 1 });
      await store.outbox.update("REP-S", { state: "confirmed", blockNumber: 3 });
      expect((await waiting).state).to.equal("confirmed");
      expect((await store.outbox.settled("REP-S", 1)).blockNumber).to.equal(3);
      expect((await rejection(store.outbox.settled("NOPE", 1))).code).to.equal("NODE_ERR_OUTBOX_UNKNOWN");
    });

    it("fsyncs every write except a step to confirmed (the chain holds what it records)", async function () {
      const syncs = syncsOf(store.outbox);
      await store.outbox.enqueue(repay("REP-D1", LOAN, 1n));
      await store.outbox.enqueue(repay("REP-D2", LOAN, 2n));
      await store.outbox.updateMany([
        { serial: "REP-D1", patch: { state: "sent", txHash: bytes32("txd1"), nonce: 1 } },
      ]);
      await store.outbox.update("REP-D2", { lastError: "the endpoint is down", attempts: 1 });
      await store.outbox.update("REP-D2", {
        state: "failed",
        failure: { code: "LedgerUnknownLoan", args: [] },
      });
      expect(syncs, "enqueue, enqueue, sent, bookkeeping, failed").to.deep.equal([
        true,
        true,
        true,
        true,
        true,
      ]);
      await store.outbox.update("REP-D1", { state: "confirmed", blockNumber: 3 });
      expect(syncs.at(-1), "confirmed").to.equal(false);
      expect((await store.outbox.status("REP-D1"))!.state).to.equal("confirmed");
      // confirmed by another transaction than its recorded one: the entry leaves its transaction,
      // which a later synced write must not outlive
      await store.outbox.enqueue(repay("REP-D3", LOAN, 3n));
      await store.outbox.updateMany([
        { serial: "REP-D3", patch: { state: "sent", txHash: bytes32("txd3"), nonce: 2 } },
      ]);
      await store.outbox.update("REP-D3", { state: "confirmed", txHash: bytes32("other"), blockNumber: 4 });
      expect(syncs.at(-1), "confirmed by another transaction").to.equal(true);
      await store.outbox.enqueue(repay("REP-D4", LOAN, 4n));
      await store.outbox.updateMany([
        { serial: "REP-D4", patch: { state: "sent", txHash: bytes32("txd4"), nonce: 3 } },
      ]);
      await store.outbox.updateMany([
        { serial: "REP-D4", patch: { state: "confirmed", txHash: bytes32("other2"), blockNumber: 5 } },
      ]);
      expect(syncs.at(-1), "confirmed by another transaction, in a batch").to.equal(true);
    });

    it("records a burst of sent transactions in one batch, all or nothing, and lists what is pending in order", async function () {
      for (let i = 1; i <= 5; i++) await store.outbox.enqueue(repay(`REP-${i}`, LOAN, BigInt(i)));
      const seen: string[] = [];
      store.outbox.onChange((e) => seen.push(`${e.serial}:${e.state}`));
      const sent = await store.outbox.updateMany([
        { serial: "REP-1", patch: { state: "sent", txHash: bytes32("tx1"), nonce: 10 } },
        { serial: "REP-2", patch: { state: "sent", txHash: bytes32("tx2"), nonce: 11 } },
      ]);
      expect(sent.map((e) => [e.serial, e.state, e.nonce])).to.deep.equal([
        ["REP-1", "sent", 10],
        ["REP-2", "sent", 11],
      ]);
      expect(seen).to.deep.equal(["REP-1:sent", "REP-2:sent"]);
      // one unknown serial: nothing of the batch is written
      expect(
        (
          await rejection(
            store.outbox.updateMany([
              { serial: "REP-3", patch: { state: "sent", txHash: bytes32("tx3"), nonce: 12 } },
              { serial: "NOPE", patch: { state: "sent", nonce: 13 } },
            ]),
          )
        ).code,
      ).to.equal("NODE_ERR_OUTBOX_UNKNOWN");
      expect((await store.outbox.status("REP-3"))!.state).to.equal("queued");
      // final entries leave the pending list; the rest stay in outbox order
      await store.outbox.updateMany([{ serial: "REP-1", patch: { state: "confirmed", blockNumber: 4 } }]);
      expect((await store.outbox.pendingEntries(3)).map((e) => e.serial)).to.deep.equal([
        "REP-2",
        "REP-3",
        "REP-4",
      ]);
      expect((await store.outbox.pendingEntries(100)).map((e) => e.state)).to.deep.equal([
        "sent",
        "queued",
        "queued",
        "queued",
      ]);
    });

    it("keeps queued and sent entries in the pending index, in order; final ones leave it", async function () {
      for (let i = 1; i <= 4; i++) await store.outbox.enqueue(repay(`REP-${i}`, LOAN, BigInt(i)));
      expect((await store.outbox.nextPending())!.serial).to.equal("REP-1");
      await store.outbox.update("REP-1", { state: "sent", txHash: bytes32("tx"), nonce: 7 });
      expect((await store.outbox.nextPending())!.serial).to.equal("REP-1");
      await store.outbox.update("REP-1", { state: "confirmed", blockNumber: 9 });
      await store.outbox.update("REP-2", {
        state: "failed",
        failure: { code: "LedgerOverpayment", args: [LOAN, "2", "1"] },
      });
      expect((await store.outbox.nextPending())!.serial).to.equal("REP-3");
      expect((await store.outbox.list({ state: "queued" })).map((e) => e.serial)).to.deep.equal([
        "REP-3",
        "REP-4",
      ]);
      expect((await store.outbox.list({ state: "confirmed" })).map((e) => e.serial)).to.deep.equal(["REP-1"]);
      expect((await store.outbox.list({ state: "failed" })).map((e) => e.serial)).to.deep.equal(["REP-2"]);
      expect((await store.outbox.list({ limit: 2 })).map((e) => e.serial)).to.deep.equal(["REP-1", "REP-2"]);
      expect(await store.outbox.counts()).to.deep.equal({ queued: 2, sent: 0, confirmed: 1, failed: 1 });

      // an operator requeues the failed entry: it goes back to its place
      const requeued = await store.outbox.requeue("REP-2");
      expect(requeued.state).to.equal("queued");
      expect(requeued.failure).to.equal(undefined);
      expect(requeued.lastError).to.match(/LedgerOverpayment/);
      expect((await store.outbox.nextPending())!.serial).to.equal("REP-2");
      expect((await rejection(store.outbox.requeue("REP-1"))).code).to.equal("NODE_ERR_OUTBOX_WRONG_STATE");
      expect((await rejection(store.outbox.requeue("NOPE"))).code).to.equal("NODE_ERR_OUTBOX_UNKNOWN");
      expect((await rejection(store.outbox.update("NOPE", { attempts: 1 }))).code).to.equal(
        "NODE_ERR_OUTBOX_UNKNOWN",
      );
    });

    it("requeues a failed entry with replacement arguments of the same serial and kind, and refuses any other replacement", async function () {
      await store.outbox.enqueue(repay("REP-1", LOAN, 5n));
      await store.outbox.enqueue(repay("REP-2", LOAN, 6n));
      await store.outbox.update("REP-1", {
        state: "failed",
        failure: { code: "LedgerOverpayment", args: [LOAN, "5", "1"] },
      });
      const summary = async () =>
        (await store.outbox.pendingEntries(10)).map((e) => [e.serial, (e.args as { amount: string }).amount]);
      // another serial or another kind: refused, the entry left failed with its arguments
      expect(
        (await rejection(store.outbox.requeue("REP-1", "again", repay("REP-9", LOAN, 1n)))).code,
      ).to.equal("NODE_ERR_OUTBOX_BAD_ENTRY");
      const otherKind = { ...disburse("DIS-1", LOAN, 1n), serial: "REP-1" };
      expect((await rejection(store.outbox.requeue("REP-1", "again", otherKind))).code).to.equal(
        "NODE_ERR_OUTBOX_BAD_ENTRY",
      );
      expect(
        (await rejection(store.outbox.requeue("REP-1", "again", repay("REP-1", LOAN, -1n)))).code,
      ).to.equal("NODE_ERR_OUTBOX_BAD_ENTRY");
      expect((await store.outbox.status("REP-1"))!.state).to.equal("failed");
      expect(await summary()).to.deep.equal([["REP-2", "6"]]);

      const requeued = await store.outbox.requeue("REP-1", "amount corrected", repay("REP-1", LOAN, 1n));
      expect([requeued.state, (requeued.args as { amount: string }).amount]).to.deep.equal(["queued", "1"]);
      expect(requeued.lastError).to.equal("amount corrected (was LedgerOverpayment)");
      // stored, and in the sender's in-memory scan, with the new arguments at the entry's own place
      expect(((await store.outbox.status("REP-1"))!.args as { amount: string }).amount).to.equal("1");
      expect(await summary()).to.deep.equal([
        ["REP-1", "1"],
        ["REP-2", "6"],
      ]);
      // the replaced arguments are now the serial's: enqueueing them again is the same entry
      expect((await store.outbox.enqueue(repay("REP-1", LOAN, 1n))).seq).to.equal(requeued.seq);
    });

    it("answers the sender's scan from memory: in outbox order, in step with every write, read from the store once", async function () {
      for (let i = 1; i <= 4; i++) await store.outbox.enqueue(repay(`REP-${i}`, LOAN, BigInt(i)));
      const entries = store.outbox.entries;
      const getMany = entries.getMany.bind(entries);
      let reads = 0;
      entries.getMany = ((...args: Parameters<typeof getMany>) => {
        reads++;
        return getMany(...args);
      }) as typeof entries.getMany;
      /** The scan's answer, and how many store reads it took. */
      let scanReads = 0;
      const scan = async () => {
        const before = reads;
        const summaries = await store.outbox.pendingSummaries(100);
        scanReads += reads - before;
        return summaries.map((e) => `${e.serial}:${e.state}`);
      };
      expect(await scan()).to.deep.equal(["REP-1:queued", "REP-2:queued", "REP-3:queued", "REP-4:queued"]);
      expect(scanReads).to.be.greaterThan(0);
      scanReads = 0;
      await store.outbox.updateMany([
        { serial: "REP-1", patch: { state: "sent", txHash: bytes32("tx1"), nonce: 7, rawTx: "0x01" } },
      ]);
      await store.outbox.update("REP-2", {
        state: "failed",
        failure: { code: "LedgerOverpayment", args: [] },
      });
      await store.outbox.enqueue(repay("REP-5", LOAN, 5n));
      expect(await scan()).to.deep.equal(["REP-1:sent", "REP-3:queued", "REP-4:queued", "REP-5:queued"]);
      // a summary carries no signed bytes; a requeued entry is back at its own place
      expect((await store.outbox.pendingSummaries(1))[0]).to.not.have.property("rawTx");
      await store.outbox.update("REP-1", { state: "confirmed", blockNumber: 3 });
      await store.outbox.requeue("REP-2");
      expect(await scan()).to.deep.equal(["REP-2:queued", "REP-3:queued", "REP-4:queued", "REP-5:queued"]);
      expect((await store.outbox.pendingSummaries(2)).map((e) => e.serial)).to.deep.equal(["REP-2", "REP-3"]);
      expect(await store.outbox.pendingCount()).to.equal(4);
      // however often it is asked, only the first answer read entries from the store
      expect(scanReads).to.equal(0);
      // the same summaries from the store, as a restarted node loads them
      const reopened = new Outbox(store.outbox.db);
      expect(await reopened.pendingSummaries(100)).to.deep.equal(await store.outbox.pendingSummaries(100));
    });

    it("counts entries by state from memory, in step with every write, after one walk of the store", async function () {
      for (let i = 1; i <= 4; i++) await store.outbox.enqueue(repay(`REP-${i}`, LOAN, BigInt(i)));
      /** The states as the store holds them, walked entry by entry. */
      const walked = async () => {
        const counts = { queued: 0, sent: 0, confirmed: 0, failed: 0 };
        for (const e of await store.outbox.list()) counts[e.state]++;
        return counts;
      };
      expect(await store.outbox.counts()).to.deep.equal({ queued: 4, sent: 0, confirmed: 0, failed: 0 });
      // from now on nothing may walk the entries again
      store.outbox.entries.values = (() => {
        throw new Error("counts() walked the store again");
      }) as typeof store.outbox.entries.values;
      await store.outbox.updateMany([
        { serial: "REP-1", patch: { state: "sent", txHash: bytes32("tx1"), nonce: 1, rawTx: "0x01" } },
        { serial: "REP-2", patch: { state: "sent", txHash: bytes32("tx1"), nonce: 1, rawTx: "0x01" } },
      ]);
      expect(await store.outbox.counts()).to.deep.equal({ queued: 2, sent: 2, confirmed: 0, failed: 0 });
      await store.outbox.updateMany([
        { serial: "REP-1", patch: { state: "confirmed", blockNumber: 5 } },
        { serial: "REP-2", patch: { state: "confirmed", blockNumber: 5 } },
      ]);
      await store.outbox.update("REP-3", {
        state: "failed",
        failure: { code: "LedgerOverpayment", args: [] },
      });
      await store.outbox.update("REP-4", { attempts: 1, lastError: "connection reset" });
      await store.outbox.enqueue(repay("REP-5", LOAN, 5n));
      // the same serial again changes nothing
      await store.outbox.enqueue(repay("REP-5", LOAN, 5n));
      expect(await store.outbox.counts()).to.deep.equal({ queued: 2, sent: 0, confirmed: 2, failed: 1 });
      await store.outbox.requeue("REP-3");
      // a confirmed flow the chain lost goes back to sent
      await store.outbox.update("REP-1", { state: "sent", blockNumber: undefined });
      const counts = await store.outbox.counts();
      expect(counts).to.deep.equal({ queued: 3, sent: 1, confirmed: 1, failed: 0 });
      expect(counts).to.deep.equal(await walked());
      // a copy: changing the answer changes nothing inside
      counts.queued = 99;
      expect((await store.outbox.counts()).queued).to.equal(3);
      // a restarted node counts from the store once
      expect(await new Outbox(store.outbox.db).counts()).to.deep.equal(await walked());
    });

    it("removes a field patched to undefined and stamps updatedAt", async function () {
      let now = 1_000;
      const outbox = new (
        store.outbox.constructor as typeof import("../../../nodes/src/outbox/outbox.ts").Outbox
      )(store.outbox.db, { now: () => now });
      await outbox.enqueue(repay("REP-1", LOAN, 1n));
      now = 2_000;
      const sent = await outbox.update("REP-1", {
        state: "sent",
        txHash: bytes32("tx"),
        nonce: 1,
        lastError: "x",
      });
      expect(sent.updatedAt).to.equal(new Date(2_000).toISOString());
      expect(sent.createdAt).to.equal(new Date(1_000).toISOString());
      const queued = await outbox.update("REP-1", {
        state: "queued",
        txHash: undefined,
        nonce: undefined,
        lastError: undefined,
      });
      expect(Object.keys(queued)).to.not.include.members(["txHash", "nonce", "lastError"]);
      expect(Object.keys((await outbox.status("REP-1"))!)).to.not.include.members([
        "txHash",
        "nonce",
        "lastError",
      ]);
    });

    it("records a batch's signed bytes once, beside its entries, which name it by hash (the signer's synced batch)", async function () {
      for (let i = 1; i <= 7; i++) await store.outbox.enqueue(repay(`REP-${i}`, LOAN, BigInt(i)));
      const syncs = syncsOf(store.outbox);
      // the chain's view the signer needs: the pool's count for this account
      const provider = { getTransactionCount: async () => 5 } as unknown as JsonRpcApiProvider;
      const wallet = new Wallet(keccak256(toUtf8Bytes("outbox signer")));
      const signer = new NonceSigner({ outbox: store.outbox, provider, wallet, chainId: 31_337n });
      const entries = await store.outbox.pendingEntries(7);
      const signed = await signer.sign({
        entries,
        to: wallet.address,
        data: `0x${"ab".repeat(20_000)}`,
        gasLimit: 5_000_000n,
        fees: { type: 2, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n },
        head: 9,
      });
      expect(syncs, "one synced batch").to.deep.equal([true]);
      expect(signed.nonce).to.equal(5);
      expect(signed.txHash).to.equal(keccak256(signed.rawTx));
      expect(await store.outbox.transactions.keys().all(), "one record").to.deep.equal([signed.txHash]);
      for (const e of await store.outbox.list()) {
        expect(e, e.serial).to.include({ state: "sent", txHash: signed.txHash, nonce: 5, fromBlock: 9 });
        expect(e, e.serial).to.not.have.property("rawTx");
        expect(JSON.stringify(e).length, `${e.serial} holds no bytes`).to.be.below(1_000);
        expect(await store.outbox.signedBytes(e), e.serial).to.equal(signed.rawTx);
      }
      expect(signed.entries.map((e) => e.serial)).to.deep.equal(entries.map((e) => e.serial));
    });

    it("keeps a transaction's record while a sent or confirmed entry names it, and drops it with the last one", async function () {
      for (let i = 1; i <= 4; i++) await store.outbox.enqueue(repay(`REP-${i}`, LOAN, BigInt(i)));
      const [tx, other] = [bytes32("tx"), bytes32("another transaction")];
      const serials = ["REP-1", "REP-2", "REP-3", "REP-4"];
      await store.outbox.updateMany(
        serials.map((serial) => ({ serial, patch: { state: "sent", txHash: tx, nonce: 4 } })),
        [{ txHash: tx, rawTx: "0xbatch", serials }],
      );
      const kept = async () => (await store.outbox.transactions.keys().all()).includes(tx);
      // one refused, one queued again without it, one confirmed by it: the last still needs it
      await store.outbox.update("REP-1", {
        state: "failed",
        failure: { code: "LedgerOverpayment", args: [] },
      });
      await store.outbox.update("REP-2", { state: "queued", txHash: undefined, nonce: undefined });
      await store.outbox.updateMany([
        { serial: "REP-3", patch: { state: "confirmed", blockNumber: 8 } },
        { serial: "REP-4", patch: { state: "queued", txHash: undefined, nonce: undefined } },
      ]);
      expect(await kept(), "REP-3 confirmed by it").to.equal(true);
      // the chain lost REP-3's block: back to sent with the batch's bytes
      await store.outbox.update("REP-3", { state: "sent", blockNumber: undefined });
      expect(await store.outbox.signedBytes((await store.outbox.status("REP-3"))!)).to.equal("0xbatch");
      // signed again with another transaction: no entry needs the batch any more
      await store.outbox.updateMany(
        [{ serial: "REP-3", patch: { state: "sent", txHash: other, nonce: 6 } }],
        [{ txHash: other, rawTx: "0xalone", serials: ["REP-3"] }],
      );
      expect(await kept(), "gone with the last entry naming it").to.equal(false);
      expect(await store.outbox.transactions.keys().all()).to.deep.equal([other]);
      expect(await store.outbox.signedBytes((await store.outbox.status("REP-3"))!)).to.equal("0xalone");
      // a failed entry's bytes are never sent again: its record goes with it; a requeue needs none
      await store.outbox.update("REP-3", {
        state: "failed",
        failure: { code: "LedgerOverpayment", args: [] },
      });
      expect(await store.outbox.transactions.keys().all()).to.deep.equal([]);
      await store.outbox.requeue("REP-3");
      expect(
        (await store.outbox.status("REP-1"))!.txHash,
        "a failed entry still says what was mined",
      ).to.equal(tx);
    });

    it("reads the bytes an older store kept in the entry itself", async function () {
      await store.outbox.enqueue(repay("REP-1", LOAN, 1n));
      await store.outbox.update("REP-1", { state: "sent", txHash: bytes32("tx"), nonce: 3, rawTx: "0x02" });
      expect(await store.outbox.transactions.keys().all()).to.deep.equal([]);
      expect(await store.outbox.signedBytes((await store.outbox.status("REP-1"))!)).to.equal("0x02");
      await store.outbox.update("REP-1", { state: "confirmed", blockNumber: 4 });
      expect(await store.outbox.signedBytes((await store.outbox.status("REP-1"))!)).to.equal("0x02");
      await store.outbox.update("REP-1", {
        state: "queued",
        txHash: undefined,
        nonce: undefined,
        rawTx: undefined,
      });
      expect(await store.outbox.signedBytes((await store.outbox.status("REP-1"))!)).to.equal(undefined);
    });

    it("notifies every change, creation included", async function () {
      const seen: string[] = [];
      const off = store.outbox.onChange((e) => seen.push(`${e.serial}:${e.state}`));
      await store.outbox.enqueue(repay("REP-1", LOAN, 1n));
      await store.outbox.enqueue(repay("REP-1", LOAN, 1n));
      await store.outbox.update("REP-1", { state: "sent" });
      off();
      await store.outbox.update("REP-1", { state: "confirmed" });
      expect(seen).to.deep.equal(["REP-1:queued", "REP-1:sent"]);
    });

    it("allows one sender at a time, and refuses entries once closed", async function () {
      const release = store.outbox.acquireSender();
      expect(() => store.outbox.acquireSender())
        .to.throw(OutboxError)
        .with.property("code", "NODE_ERR_OUTBOX_SENDER_ACTIVE");
      release();
      store.outbox.acquireSender()();
      await store.outbox.close();
      expect((await rejection(store.outbox.enqueue(repay("REP-1", LOAN, 1n)))).code).to.equal(
        "NODE_ERR_OUTBOX_CLOSED",
      );
    });

    if (name === "LevelDB") {
      it("keeps everything across a restart and continues the sequence", async function () {
        await store.outbox.enqueue(repay("REP-1", LOAN, 1n));
        await store.outbox.enqueue(repay("REP-2", LOAN, 2n));
        await store.outbox.update("REP-1", { state: "sent", txHash: bytes32("tx"), nonce: 3, rawTx: "0x02" });
        const before = await store.outbox.list();
        await store.close();
        store = await backend.open();
        expect(await store.outbox.list()).to.deep.equal(before);
        expect((await store.outbox.nextPending())!.serial).to.equal("REP-1");
        const third = await store.outbox.enqueue(repay("REP-3", LOAN, 3n));
        expect(third.seq).to.equal(3);
        expect((await rejection(store.outbox.enqueue(repay("REP-2", LOAN, 9n)))).code).to.equal(
          "NODE_ERR_OUTBOX_CONFLICT",
        );
      });
    }
  });
}

describe("outbox: ledger calls", function () {
  it("encodes each kind as the ledger call, with keccak256(utf8(serial)) as the on-chain serial", function () {
    const d = disburse("DIS-9", LOAN, 10n);
    const decoded = ledgerInterface.decodeFunctionData(
      "disburse",
      calldataOf({ serial: "DIS-9", kind: "disburse", args: { ...d.args, amount: "10" } as never }),
    );
    expect(decoded[0]).to.equal(LOAN);
    expect(decoded[1]).to.equal(10n);
    expect(decoded[3]).to.equal(keccak256(toUtf8Bytes("DIS-9")));
    const cancel = ledgerInterface.decodeFunctionData(
      "cancelLoan",
      calldataOf({ serial: "CAN-1", kind: "cancelLoan", args: { loanId: LOAN, reasonCode: 3 } }),
    );
    expect(cancel[1]).to.equal(3n);
    expect(targetOf({ kind: "cancelLoan" })).to.equal("ledger");
    const voucher = `0x${"ee".repeat(32)}`;
    const settle = ledgerInterface.decodeFunctionData(
      "settle",
      calldataOf({ serial: "STL-1", kind: "settle", args: { loanId: LOAN, amount: "1000645", voucher } }),
    );
    expect([settle[0], settle[1], settle[2], settle[3]]).to.deep.equal([
      LOAN,
      1_000_645n,
      keccak256(toUtf8Bytes("STL-1")),
      voucher,
    ]);
    expect(targetOf({ kind: "settle" })).to.equal("ledger");
  });

  it("encodes the dispute kinds as DisputeResolution calls", function () {
    const ruling = bytes32("a ruling");
    expect(
      disputeInterface.decodeFunctionData(
        "escalate",
        calldataOf({ serial: "E-1", kind: "escalate", args: { loanId: LOAN, stage: 3 } }),
      )[0],
    ).to.equal(LOAN);
    expect(
      disputeInterface.decodeFunctionData(
        "assignCourt",
        calldataOf({ serial: "C-1", kind: "assignCourt", args: { loanId: LOAN, court: 5 } }),
      )[1],
    ).to.equal(5n);
    expect(
      disputeInterface.decodeFunctionData(
        "recordRuling",
        calldataOf({ serial: "R-1", kind: "recordRuling", args: { loanId: LOAN, ruling } }),
      )[1],
    ).to.equal(ruling);
    for (const kind of ["acceptCase", "closeCase"] as const) {
      expect(
        disputeInterface.decodeFunctionData(
          kind,
          calldataOf({ serial: "K-1", kind, args: { loanId: LOAN } }),
        )[0],
      ).to.equal(LOAN);
    }
    for (const kind of ["escalate", "assignCourt", "acceptCase", "recordRuling", "closeCase"] as const)
      expect(targetOf({ kind })).to.equal("disputes");
  });

  it("every custom error of the compiled ledger and DisputeResolution decodes to its name", async function () {
    for (const [path, iface] of [
      ["lending/JointLoanLedger.sol/JointLoanLedger.json", ledgerInterface],
      ["lending/DisputeResolution.sol/DisputeResolution.json", disputeInterface],
    ] as const) {
      const artifact = JSON.parse(await readFile(`artifacts/contracts/${path}`, "utf8")) as {
        abi: Array<{ type: string }>;
      };
      const compiled = new Interface(artifact.abi);
      compiled.forEachError((e) => expect(iface.getError(e.selector)?.name, e.format()).to.equal(e.name));
    }
  });
});
