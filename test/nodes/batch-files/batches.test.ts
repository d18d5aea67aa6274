// A daily repayment file taken in by BatchFiles over a real outbox and sender on a real ledger:
// every row recorded in file order and sent; progress while it runs; the result file gives each
// row confirmed with its transaction and block, failed with the ledger's error, or refused by the
// node before anything was queued; the same file again changes nothing; a file with a bad row
// stores nothing and queues nothing.
import { expect } from "chai";
import { BatchFiles, type RowRecorder } from "../../../nodes/src/batch-files/batches.ts";
import { BatchFileError } from "../../../nodes/src/errors.ts";
import type { BatchRow } from "../../../nodes/src/batch-files/csv.ts";
import { loanIdOfEntry, type OutboxEntry } from "../../../nodes/src/outbox/entry.ts";
import type { QueueTurn } from "../../../nodes/src/servicing.ts";
import type { OutboxSender } from "../../../nodes/src/outbox/sender.ts";
import { disburse, outboxSuite, registerLoan, repay, serial, until } from "../outbox/fixture.ts";

describe("batch files: a day's repayment file through the outbox", function () {
  this.timeout(120_000);
  const { lc, store, senderOn, stopAfterTest } = outboxSuite();
  let sender: OutboxSender;
  let batches: BatchFiles;
  const refusedLoan = "0x" + "ab".repeat(32);

  /** As FundFlows.record does with a row's turn: queued after the loan's previous row, then says so. */
  async function queueRepay(row: BatchRow, turn: QueueTurn): Promise<OutboxEntry> {
    await turn.after;
    const entry = store.outbox.enqueue(repay(row.serial, row.loanId, row.amountFen));
    turn.queued();
    return entry;
  }

  /** Batch files on the test's outbox, rows recorded by `record`. */
  const recording = (record: RowRecorder): BatchFiles =>
    new BatchFiles({ db: store.root, outbox: store.outbox, record });

  /** A registered, disbursed loan and a repayment file of `count` rows for it. */
  async function oneLoanFile(count: number): Promise<{ rows: string[][]; file: string }> {
    const loanId = loanIdOfEntry(await store.outbox.enqueue(registerLoan(serial("APP"), lc.today)));
    await store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n));
    await sender.drain();
    const rows = Array.from({ length: count }, (_, i) => [serial("RPY"), loanId, String(100 * (i + 1))]);
    return { rows, file: `serial,loanId,amountFen\n${rows.map((r) => r.join(",")).join("\n")}\n` };
  }

  beforeEach(async function () {
    sender = senderOn();
    sender.start();
    batches = stopAfterTest(
      new BatchFiles({
        db: store.root,
        outbox: store.outbox,
        // the node's FundFlows.record stands here: a loan it does not service is refused with its code
        record: async (_kind, row, _uploadedBy, turn) => {
          if (row.loanId === refusedLoan)
            throw Object.assign(new Error("this node does not service the loan"), {
              code: "NODE_ERR_NOT_SERVICER",
            });
          return queueRepay(row, turn);
        },
      }),
    );
  });

  it("records, sends and reports every row; the same file again changes nothing", async function () {
    const loans: string[] = [];
    for (let i = 0; i < 3; i++) {
      const loanId = loanIdOfEntry(await store.outbox.enqueue(registerLoan(serial("APP"), lc.today)));
      await store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n));
      loans.push(loanId);
    }
    await sender.drain();
    const rows = [
      [serial("RPY"), loans[0], "1000"],
      [serial("RPY"), loans[1], "2000"],
      // more than the loan owes: the ledger refuses it
      [serial("RPY"), loans[2], "900000000"],
      [serial("RPY"), refusedLoan, "500"],
    ];
    const file = `serial,loanId,amountFen\n${rows.map((r) => r.join(",")).join("\n")}\n`;
    const first = await batches.upload("repayment", file, "clerk-1");
    expect(first.rows).to.equal(4);
    await until(async () => (await batches.progress(first.id)).done, 60_000, "every row final");
    const progress = await batches.progress(first.id);
    expect(progress.counts).to.deep.equal({ pending: 0, confirmed: 2, failed: 1, refused: 1 });
    expect(progress.taken).to.equal(4);

    const result = (await batches.resultCsv(first.id)).trim().split("\n");
    expect(result[0]).to.equal("line,serial,outcome,txHash,blockNumber,error");
    const cells = result.slice(1).map((l) => l.split(","));
    expect(cells.map((c) => [c[0], c[1], c[2]])).to.deep.equal(
      rows.map((r, i) => [String(i + 2), r[0], ["confirmed", "confirmed", "failed", "refused"][i]]),
    );
    for (const c of cells.slice(0, 2)) {
      const receipt = await lc.chain.anvil.provider.getTransactionReceipt(c[3]!);
      expect(receipt!.status).to.equal(1);
      expect(receipt!.blockNumber).to.equal(Number(c[4]));
    }
    expect(cells[2]![5]).to.match(/^Ledger[A-Za-z]+\(/);
    expect(cells[3]![5]).to.match(/^NODE_ERR_NOT_SERVICER: /);

    // the same file again: the same batch, nothing new queued
    const before = await store.outbox.counts();
    const again = await batches.upload("repayment", file, "clerk-2");
    expect(again.id).to.equal(first.id);
    expect(again.uploadedBy).to.equal("clerk-1");
    expect(await store.outbox.counts()).to.deep.equal(before);
  });

  it("stops at a row the node cannot take (its anchor service down) and carries on after a restart, each row once", async function () {
    const { rows, file } = await oneLoanFile(3);
    let calls = 0;
    const down = recording(async (_kind, row, _uploadedBy, turn) => {
      calls++;
      if (row.serial === rows[1]![0]) throw new Error("connect ECONNREFUSED (the anchor service)");
      return queueRepay(row, turn);
    });
    const uploaded = await down.upload("repayment", file, "clerk-1");
    await until(async () => calls >= 2, 10_000, "the second row tried");
    await down.stop();
    const stopped = await down.progress(uploaded.id);
    expect(stopped.taken).to.equal(1);
    expect(stopped.done).to.equal(false);

    // the node restarts with its anchor service back
    await batches.resume();
    await until(async () => (await batches.progress(uploaded.id)).done, 60_000, "every row final");
    expect((await batches.progress(uploaded.id)).counts).to.deep.equal({
      pending: 0,
      confirmed: 3,
      failed: 0,
      refused: 0,
    });
    const repayments = (await store.outbox.list()).filter((e) => e.kind === "repay");
    expect(repayments.map((e) => e.serial)).to.deep.equal(rows.map((r) => r[0]));
  });

  it("anchors a loan's rows together and queues them in file order", async function () {
    const { rows, file } = await oneLoanFile(6);
    let anchoring = 0;
    let together = 0;
    const overlapping = recording(async (_kind, row, _uploadedBy, turn) => {
      anchoring++;
      together = Math.max(together, anchoring);
      // the anchor answers later rows sooner: the order must come from the turn
      await new Promise((r) => setTimeout(r, 300 - 40 * rows.findIndex((x) => x[0] === row.serial)));
      anchoring--;
      return queueRepay(row, turn);
    });
    stopAfterTest(overlapping);
    const uploaded = await overlapping.upload("repayment", file, "clerk-1");
    await until(async () => (await overlapping.progress(uploaded.id)).done, 60_000, "every row final");
    expect(together, "the loan's rows anchored at once").to.equal(rows.length);
    const repayments = (await store.outbox.list()).filter((e) => e.kind === "repay");
    expect(repayments.map((e) => e.serial)).to.deep.equal(rows.map((r) => r[0]));
    expect((await overlapping.progress(uploaded.id)).counts.confirmed).to.equal(rows.length);
  });

  it("stores and queues nothing of a file with a bad row", async function () {
    const before = await store.outbox.counts();
    const file = `serial,loanId,amountFen\n${serial("RPY")},${refusedLoan},100\nRPY-2,0x12,100\n`;
    let error: unknown;
    try {
      await batches.upload("repayment", file, "clerk-1");
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(BatchFileError);
    expect((error as BatchFileError).details).to.deep.include({ total: 1 });
    expect(await store.outbox.counts()).to.deep.equal(before);
    expect(await store.root.sublevel("batches").keys().all()).to.deep.equal([]);
  });
});
