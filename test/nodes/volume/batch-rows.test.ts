// A batch file's rows go in flight together: many rows are being recorded at once (so their
// vouchers share anchor submissions, a loan's rows among them), yet a loan's rows are queued one
// after another in file order (each waits for its turn: the loan's previous row queued), and a row
// that cannot be taken stops the batch with every row recorded once after the restart. Over an
// in-memory outbox: what is measured is how BatchFiles hands rows to `record`.
import { expect } from "chai";
import { BatchFiles, ROWS_IN_FLIGHT, type RowRecorder } from "../../../nodes/src/batch-files/batches.ts";
import { memoryOutbox, repay, serial, until, type Store } from "../outbox/fixture.ts";

const loanIds = ["0x" + "a1".repeat(32), "0x" + "b2".repeat(32), "0x" + "c3".repeat(32)];

/** A file of `perLoan` repayment rows for each loan, the loans' rows interleaved. */
function fileOf(perLoan: number): { text: string; rows: Array<[string, string]> } {
  const rows: Array<[string, string]> = [];
  for (let i = 0; i < perLoan; i++) for (const loanId of loanIds) rows.push([serial("RPY"), loanId]);
  return { text: `serial,loanId,amountFen\n${rows.map(([s, l]) => `${s},${l},100`).join("\n")}\n`, rows };
}

/**
 * A recorder as the node's (`writeWithVoucher`): a few milliseconds of checking and anchoring a
 * row (longer or shorter by row, so a later row may be ready before an earlier one), then its turn
 * awaited (a rejection is the row's own failure) and the flow enqueued, the turn passed on at the
 * enqueue call. It notes how many rows it held at once, of one loan too, and each loan's rows in
 * the order their enqueue was called.
 */
function slowRecorder(store: Store, fail?: (serial: string) => boolean) {
  const seen = { most: 0, mostOfOneLoan: 0, order: new Map<string, string[]>() };
  let now = 0;
  const ofLoan = new Map<string, number>();
  const record: RowRecorder = async (_kind, row, _uploadedBy, turn) => {
    now++;
    ofLoan.set(row.loanId, (ofLoan.get(row.loanId) ?? 0) + 1);
    seen.most = Math.max(seen.most, now);
    seen.mostOfOneLoan = Math.max(seen.mostOfOneLoan, ofLoan.get(row.loanId)!);
    try {
      await new Promise((resolve) => setTimeout(resolve, 2 + ((row.line * 7) % 9)));
      if (fail?.(row.serial) === true) throw new Error("connect ECONNREFUSED (the anchor service)");
      await turn.after;
      seen.order.set(row.loanId, [...(seen.order.get(row.loanId) ?? []), row.serial]);
      const entry = store.outbox.enqueue(repay(row.serial, row.loanId, row.amountFen));
      turn.queued();
      return await entry;
    } finally {
      now--;
      ofLoan.set(row.loanId, ofLoan.get(row.loanId)! - 1);
    }
  };
  return { seen, record };
}

/** `test` over a fresh in-memory outbox, closed after it. */
function overOutbox(test: (store: Store) => Promise<void>) {
  return async () => {
    const store = await memoryOutbox();
    try {
      await test(store);
    } finally {
      await store.close();
    }
  };
}

describe("batch files: rows in flight together, a loan's rows in order", function () {
  it(
    "records many rows at once, a loan's among them, each loan's queued one at a time in file order",
    overOutbox(async (store) => {
      const { text, rows } = fileOf(40);
      const { seen, record } = slowRecorder(store);
      const batches = new BatchFiles({ db: store.root, outbox: store.outbox, record });
      const uploaded = await batches.upload("repayment", text, "clerk-1");
      await until(
        async () => (await batches.progress(uploaded.id)).taken === rows.length,
        20_000,
        "all taken",
      );
      await batches.stop();
      // the in-flight bound reached and held (120 rows, 64 at most at once)
      expect(seen.most).to.equal(ROWS_IN_FLIGHT);
      // a loan's rows checked and anchored together, yet each queued after the one before it
      expect(seen.mostOfOneLoan).to.be.greaterThan(1);
      for (const loanId of loanIds)
        expect(seen.order.get(loanId)).to.deep.equal(rows.filter(([, l]) => l === loanId).map(([s]) => s));
      // the outbox books a loan's flows in the order they were queued: file order
      const queued = (await store.outbox.list()).map((e) => e.serial);
      for (const loanId of loanIds) {
        const ofLoan = rows.filter(([, l]) => l === loanId).map(([s]) => s);
        expect(queued.filter((s) => ofLoan.includes(s))).to.deep.equal(ofLoan);
      }
    }),
  );

  it(
    "stops at a row it cannot take and, restarted, records every row exactly once",
    overOutbox(async (store) => {
      const { text, rows } = fileOf(30);
      const stuck = rows[40]![0];
      let down = true;
      const first = slowRecorder(store, (s) => down && s === stuck);
      const batches = new BatchFiles({ db: store.root, outbox: store.outbox, record: first.record });
      const uploaded = await batches.upload("repayment", text, "clerk-1");
      await until(
        async () => (await store.outbox.list()).length > 40 && !(await batches.progress(uploaded.id)).done,
        20_000,
        "the batch stopped at the stuck row",
      );
      await batches.stop();
      const stopped = await batches.progress(uploaded.id);
      expect(stopped.taken).to.be.at.most(40);
      expect(await store.outbox.status(stuck)).to.equal(undefined);

      down = false;
      const restarted = new BatchFiles({ db: store.root, outbox: store.outbox, record: first.record });
      await restarted.resume();
      await until(
        async () => (await restarted.progress(uploaded.id)).taken === rows.length,
        20_000,
        "all taken",
      );
      await restarted.stop();
      const queued = (await store.outbox.list()).map((e) => e.serial);
      expect([...queued].sort()).to.deep.equal(rows.map(([s]) => s).sort());
      for (const loanId of loanIds) {
        const ofLoan = rows.filter(([, l]) => l === loanId).map(([s]) => s);
        expect(queued.filter((s) => ofLoan.includes(s))).to.deep.equal(ofLoan);
      }
    }),
  );
});
