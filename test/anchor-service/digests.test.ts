// GET /v1/digests/:digest through app.inject() over one Anvil consortium chain: a document's
// digest finds every record carrying it (status, submitter, receivedAt), an unknown digest is a
// 404 and a malformed one a 400, each with its catalogue code; a digest sharing the index's
// 8-byte key prefix is not mistaken for another; and a database written before the index
// existed is indexed at start.
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import type { Wallet } from "ethers";
import type { Receipt } from "../../common/formats/receipt/receipts.ts";
import { ANCHOR_ERRORS } from "../../anchor-service/src/errors.ts";
import { anchorServiceSuite } from "../support/anchor-suite.ts";
import { MEMBERS } from "../support/consortium-chain.ts";

type DigestView = {
  digest: string;
  leaves: Array<{ leafHash: string; status: string; submitter: number; receivedAt: string }>;
};

const hex32 = () => `0x${randomBytes(32).toString("hex")}`;
const sha256 = (text: string) => `0x${createHash("sha256").update(text).digest("hex")}`;

describe("anchor service: GET /v1/digests/:digest (document-digest index)", function () {
  this.timeout(120_000);
  const suite = anchorServiceSuite({ config: { commitLeaves: 1_000_000 }, settleFirstRound: true });

  async function submit(signer: Wallet, records: Array<Record<string, unknown>>): Promise<Receipt[]> {
    const body = JSON.stringify({ records });
    const reply = await suite.postLeaves(body, signer);
    expect(reply.statusCode, reply.body.slice(0, 300)).to.equal(200);
    return (reply.json() as { receipts: Receipt[] }).receipts;
  }

  const recordOf = (digest: string, kind = 7) => ({
    kind,
    digestAlgorithm: 1,
    digest,
    salt: hex32(),
    subject: hex32(),
  });
  const get = (digest: string) => suite.service.app.inject({ method: "GET", url: `/v1/digests/${digest}` });

  function expectError(
    reply: { statusCode: number; body: string; json(): unknown },
    status: number,
    code: keyof typeof ANCHOR_ERRORS,
  ): void {
    expect(reply.statusCode, reply.body).to.equal(status);
    expect(ANCHOR_ERRORS[code]).to.equal(status);
    const error = (reply.json() as { error: { code: string; message: string } }).error;
    expect(error.code, reply.body).to.equal(code);
    expect(error.message).to.be.a("string").and.not.equal("");
  }

  it("finds every record carrying a document's digest, oldest first, pending until a head anchors them", async function () {
    const digest = sha256(`loan contract ${hex32()}`);
    const [first] = await submit(suite.chain.wallets.branchA, [
      recordOf(digest),
      recordOf(sha256("another document")),
    ]);
    const [second] = await submit(suite.chain.wallets.court, [recordOf(digest, 5)]);

    const reply = await get(digest);
    expect(reply.statusCode, reply.body).to.equal(200);
    const view = reply.json() as DigestView;
    expect(view.digest).to.equal(digest);
    expect(first!.receivedAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(view.leaves).to.deep.equal([
      {
        leafHash: first!.leafHash,
        status: "pending",
        submitter: MEMBERS.branchA,
        receivedAt: first!.receivedAt,
      },
      {
        leafHash: second!.leafHash,
        status: "pending",
        submitter: MEMBERS.court,
        receivedAt: second!.receivedAt,
      },
    ]);

    await suite.service.committer.runOnce();
    const anchored = (await get(digest.toUpperCase().replace(/^0X/, "0x"))).json() as DigestView;
    expect(anchored.digest).to.equal(digest);
    expect(anchored.leaves.map((l) => l.status)).to.deep.equal(["anchored", "anchored"]);
    // each leaf hash leads to its proof
    for (const leaf of anchored.leaves) {
      const detail = await suite.service.app.inject({ method: "GET", url: `/v1/leaves/${leaf.leafHash}` });
      expect((detail.json() as { status: string; record: { digest: string } }).record.digest).to.equal(
        digest,
      );
    }
  });

  it("a record submitted again is listed once", async function () {
    const digest = sha256(`consent ${hex32()}`);
    const record = recordOf(digest, 2);
    await submit(suite.chain.wallets.branchB, [record]);
    await submit(suite.chain.wallets.branchB, [record]);
    const view = (await get(digest)).json() as DigestView;
    expect(view.leaves).to.have.length(1);
    expect(view.leaves[0]!.submitter).to.equal(MEMBERS.branchB);
  });

  it("does not list a record whose digest only shares the index's 8-byte key prefix", async function () {
    const prefix = randomBytes(8).toString("hex");
    const a = `0x${prefix}${randomBytes(24).toString("hex")}`;
    const b = `0x${prefix}${randomBytes(24).toString("hex")}`;
    const [ra] = await submit(suite.chain.wallets.branchA, [recordOf(a)]);
    expect(((await get(a)).json() as DigestView).leaves.map((l) => l.leafHash)).to.deep.equal([ra!.leafHash]);
    expectError(await get(b), 404, "ANCHOR_ERR_UNKNOWN_DIGEST");
  });

  it("ANCHOR_ERR_UNKNOWN_DIGEST (404) for a digest no record carries", async function () {
    expectError(await get(hex32()), 404, "ANCHOR_ERR_UNKNOWN_DIGEST");
    expectError(await get(`0x${"00".repeat(32)}`), 404, "ANCHOR_ERR_UNKNOWN_DIGEST");
  });

  it("ANCHOR_ERR_VALIDATION (400) for a malformed digest", async function () {
    const good = sha256("malformed");
    for (const bad of [
      good.slice(2),
      `${good}0`,
      good.slice(0, 65),
      `0x${"g".repeat(64)}`,
      "0x",
      "digest",
      `0X${good.slice(2)}`,
    ]) {
      expectError(await get(bad), 400, "ANCHOR_ERR_VALIDATION");
    }
  });

  it("backfill (run at every start, once per database) indexes records written before the index existed", async function () {
    const digest = sha256(`older ${hex32()}`);
    const [receipt] = await submit(suite.chain.wallets.branchA, [recordOf(digest)]);
    // make the database look like one from before the index: no digest keys, no marker
    await suite.service.db.digests.clear();
    await suite.service.db.meta.del("digestIndex");
    expectError(await get(digest), 404, "ANCHOR_ERR_UNKNOWN_DIGEST");
    const indexed = await suite.service.digests.backfill();
    expect(indexed).to.equal(await suite.service.records.count());
    expect(((await get(digest)).json() as DigestView).leaves.map((l) => l.leafHash)).to.deep.equal([
      receipt!.leafHash,
    ]);
    expect(await suite.service.digests.backfill()).to.equal(0); // once
  });
});
