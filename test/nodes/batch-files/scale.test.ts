// A long file's cost per row does not grow with the file: progress is counted in memory from the
// outbox's changes (polling it reads no row's entry), a progress mark writes the batch's header
// and its new refusals rather than every row again, a restarted node answers the same progress and
// result from the store, and a batch stored in the earlier one-record layout is taken up.
import { expect } from "chai";
import { MemoryLevel } from "memory-level";
import { BatchFiles, type RowRecorder } from "../../../nodes/src/batch-files/batches.ts";
import { Outbox } from "../../../nodes/src/outbox/outbox.ts";
import { bytes32, repay, serial, until } from "../outbox/fixture.ts";

const LOAN = bytes32("a loan");
const REFUSED_LOAN = bytes32("a loan this node does not service");

describe("batch files: a long file costs the same per row", function () {
  let root: MemoryLevel;
  let outbox: Outbox;
  const open: BatchFiles[] = [];

  /** Rows queued in the outbox, those of REFUSED_LOAN refused with a node code. */
  const record: RowRecorder = async (_kind, row, _uploadedBy, turn) => {
    await turn.after;
    if (row.loanId === REFUSED_LOAN)
      throw Object.assign(new Error("not this node's loan"), { code: "NODE_ERR_NOT_SERVICER" });
    const entry = outbox.enqueue(repay(row.serial, row.loanId, row.amountFen));
    turn.queued();
    return entry;
  };
  const batchFiles = (): BatchFiles => {
    const b = new BatchFiles({ db: root, outbox, record });
    open.push(b);
    return b;
  };
  /** Counts the outbox's entry reads from now on. */
  const countReads = () => {
    const entries = outbox.entries;
    const getMany = entries.getMany.bind(entries);
    const counter = { reads: 0 };
    entries.getMany = ((...args: Parameters<typeof getMany>) => {
      counter.reads++;
      return getMany(...args);
    }) as typeof entries.getMany;
    return counter;
  };
  const fileOf = (rows: string[][]) =>
    `serial,loanId,amountFen\n${rows.map((r) => r.join(",")).join("\n")}\n`;

  beforeEach(async function () {
    root = new MemoryLevel();
    await root.open();
    outbox = new Outbox(root.sublevel("outbox", { valueEncoding: "json" }));
  });

  afterEach(async function () {
    for (const b of open.splice(0)) await b.stop();
    await root.close();
  });

  it("counts progress from the outbox's changes: polling it reads no row's entry", async function () {
    const rows = Array.from({ length: 300 }, (_, i) => [
      serial("RPY"),
      i % 100 === 7 ? REFUSED_LOAN : LOAN,
      "100",
    ]);
    const batches = batchFiles();
    const { id } = await batches.upload("repayment", fileOf(rows), "clerk-1");
    await until(async () => (await batches.progress(id)).taken === 300, 10_000, "every row taken");
    const counter = countReads();
    for (let i = 0; i < 20; i++)
      expect((await batches.progress(id)).counts).to.deep.equal({
        pending: 297,
        confirmed: 0,
        failed: 0,
        refused: 3,
      });
    const queued = rows.filter((r) => r[1] === LOAN).map((r) => r[0]!);
    for (const s of queued.slice(0, 100))
      await outbox.update(s, { state: "confirmed", txHash: bytes32(s), blockNumber: 5 });
    await outbox.update(queued[100]!, { state: "failed", failure: { code: "LedgerOverpayment", args: [] } });
    // a chain that lost a block puts a confirmed flow back: it is pending again
    await outbox.update(queued[0]!, { state: "sent" });
    const reads = counter.reads;
    expect(await batches.progress(id)).to.deep.include({
      rows: 300,
      taken: 300,
      done: false,
      counts: { pending: 197, confirmed: 99, failed: 1, refused: 3 },
    });
    expect(counter.reads).to.equal(reads);
  });

  it("marks progress without writing the rows again; a restarted node answers the same from the store", async function () {
    const rows = Array.from({ length: 120 }, (_, i) => [serial("RPY"), i === 3 ? REFUSED_LOAN : LOAN, "100"]);
    const batches = batchFiles();
    const { id } = await batches.upload("repayment", fileOf(rows), "clerk-1");
    await until(async () => (await batches.progress(id)).taken === 120, 10_000, "every row taken");
    await batches.stop();
    // the batch's own record is its header: the rows have keys of their own, written once
    const header = await root.sublevel<string, unknown>("batches", { valueEncoding: "json" }).get(id);
    expect(JSON.stringify(header).length).to.be.lessThan(400);
    expect(header).to.deep.include({ size: 120, next: 120 });
    expect(await root.sublevel("rows").keys().all()).to.have.length(120);
    for (const r of rows.filter((r) => r[1] === LOAN).slice(0, 50))
      await outbox.update(r[0]!, { state: "confirmed", txHash: bytes32(r[0]!), blockNumber: 9 });

    const restarted = batchFiles();
    await restarted.resume();
    expect((await restarted.progress(id)).counts).to.deep.equal({
      pending: 69,
      confirmed: 50,
      failed: 0,
      refused: 1,
    });
    expect(await restarted.resultCsv(id)).to.equal(await batches.resultCsv(id));
    const lines = (await restarted.resultCsv(id)).trim().split("\n");
    expect(lines[4]).to.match(new RegExp(`^5,${rows[3]![0]},refused,,,NODE_ERR_NOT_SERVICER`));
    expect(lines[1]).to.equal(`2,${rows[0]![0]},confirmed,${bytes32(rows[0]![0]!)},9,`);
  });

  it("takes up a batch stored in the one-record layout, from its first row not taken", async function () {
    const id = "ab".repeat(32);
    const rows = [0, 1, 2, 3].map((i) => ({
      line: i + 2,
      serial: serial("RPY"),
      loanId: i === 1 ? REFUSED_LOAN : LOAN,
      amountFen: "100",
    }));
    await outbox.enqueue(repay(rows[0]!.serial, LOAN, 100n));
    await root.sublevel<string, unknown>("batches", { valueEncoding: "json" }).put(id, {
      id,
      kind: "repayment",
      uploadedBy: "clerk-1",
      createdAt: new Date().toISOString(),
      rows,
      next: 2,
      refused: { [rows[1]!.serial]: { code: "NODE_ERR_NOT_SERVICER", message: "not this node's loan" } },
    });
    const batches = batchFiles();
    await batches.resume();
    await until(async () => (await batches.progress(id)).taken === 4, 10_000, "the rest taken");
    expect(await batches.progress(id)).to.deep.include({
      rows: 4,
      counts: { pending: 3, confirmed: 0, failed: 0, refused: 1 },
    });
    expect((await outbox.list()).map((e) => e.serial)).to.deep.equal([
      rows[0]!.serial,
      rows[2]!.serial,
      rows[3]!.serial,
    ]);
    expect(
      await root.sublevel<string, unknown>("batches", { valueEncoding: "json" }).get(id),
    ).to.deep.include({
      size: 4,
      next: 4,
    });
  });
});
