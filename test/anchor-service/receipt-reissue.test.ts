// A bundle's receipt is re-issued from the stored batch (store/records.ts receiptOf) by building
// the batch's tree and the one record's path: it must be byte for byte the receipt the member got
// when it submitted, and the submission proof must place the record in the signed request.
import { expect } from "chai";
import type { RecordStore } from "../../anchor-service/src/store/records.ts";
import { parseBundle } from "../../common/formats/bundle/bundle.ts";
import { receiptsOf } from "../../common/formats/receipt/receipts.ts";
import { anchorServiceSuite } from "../support/anchor-suite.ts";
import { recordFor } from "../support/consortium-chain.ts";

/** Runs `run` with every read of the store's leaf hashes recorded as "from-to". */
async function withReads<T>(store: RecordStore, run: (reads: string[]) => Promise<T>): Promise<T> {
  const reads: string[] = [];
  const leafHashes = store.leafHashes.bind(store);
  store.leafHashes = (from, to) => {
    reads.push(`${from}-${to}`);
    return leafHashes(from, to);
  };
  try {
    return await run(reads);
  } finally {
    store.leafHashes = leafHashes;
  }
}

describe("anchor store: a re-issued receipt is the original", function () {
  this.timeout(120_000);
  const suite = anchorServiceSuite({ settleFirstRound: true });

  it("receiptOf(seq) equals the receipt returned at intake for every record of a 37-record batch", async function () {
    const records = Array.from({ length: 37 }, (_, i) => recordFor(`reissue ${i} ${Math.random()}`));
    const res = await suite.postLeaves(JSON.stringify({ records }));
    expect(res.statusCode, res.body).to.equal(200);
    const original = (res.json() as { receipts: { sequence: number }[] }).receipts;
    const { records: store } = suite.service;
    const first = original[0]!.sequence;
    const { batch } = (await store.batchOf(first))!;
    const all = receiptsOf(
      batch,
      await store.leafHashes(batch.firstSequence, batch.firstSequence + batch.count),
    );
    for (const receipt of original) {
      const reissued = await store.receiptOf(receipt.sequence);
      expect(JSON.stringify(reissued), String(receipt.sequence)).to.equal(JSON.stringify(receipt));
      expect(reissued).to.deep.equal(all[receipt.sequence - batch.firstSequence]);
      const submission = (await store.submissionOf(receipt.sequence))!;
      expect(submission.index).to.equal(receipt.sequence - first);
      expect(submission.count).to.equal(37);
    }
  });

  it("bundles built at once over several batches read each batch's leaf hashes once, and get the originals", async function () {
    const posted: { sequence: number }[] = [];
    for (let b = 0; b < 3; b++) {
      const records = Array.from({ length: 5 }, (_, i) => recordFor(`shared ${b} ${i} ${Math.random()}`));
      const res = await suite.postLeaves(JSON.stringify({ records }));
      expect(res.statusCode, res.body).to.equal(200);
      posted.push(...(res.json() as { receipts: { sequence: number }[] }).receipts);
    }
    const store = suite.service.records;
    // not the batches the intake has just handed over (those are not read at all: below)
    store.forgetBatches();
    await withReads(store, async (reads) => {
      // each record's receipt and submission proof, all asked at once (as concurrent bundles do)
      const answers = await Promise.all(
        posted.map(
          async (r) => [await store.receiptOf(r.sequence), await store.submissionOf(r.sequence)] as const,
        ),
      );
      answers.forEach(([receipt, submission], i) => {
        expect(JSON.stringify(receipt)).to.equal(JSON.stringify(posted[i]));
        expect(submission!.index).to.equal(i % 5);
      });
      // (the log's own reads, by the committer meanwhile, are of other ranges)
      for (let b = 0; b < 3; b++) {
        const range = `${posted[5 * b]!.sequence}-${posted[5 * b]!.sequence + 5}`;
        expect(
          reads.filter((r) => r === range),
          `reads: ${reads.join(", ")}`,
        ).to.have.length(1);
      }
    });
  });

  it("receipt batches the intake just wrote are re-issued without reading them, equal to the ones read back", async function () {
    const records = Array.from({ length: 9 }, (_, i) => recordFor(`remembered ${i} ${Math.random()}`));
    const res = await suite.postLeaves(JSON.stringify({ records }));
    expect(res.statusCode, res.body).to.equal(200);
    const posted = (res.json() as { receipts: { leafHash: string; sequence: number }[] }).receipts;
    await suite.service.committer.runOnce();
    const store = suite.service.records;
    const bundleOf = async (leafHash: string) =>
      parseBundle((await suite.service.app.inject({ url: `/v1/bundles/${leafHash}` })).json());
    await withReads(store, async (reads) => {
      const range = `${posted[0]!.sequence}-${posted[0]!.sequence + 9}`;
      const first = await bundleOf(posted[4]!.leafHash);
      expect(JSON.stringify(first.receipt)).to.equal(JSON.stringify(posted[4]));
      expect(reads.filter((r) => r === range)).to.deep.equal([]);
      // forgotten (as after a restart): read back from storage, the same receipt and submission proof
      store.forgetBatches();
      const reread = await bundleOf(posted[4]!.leafHash);
      expect(reads.filter((r) => r === range)).to.deep.equal([range]);
      expect(reread.receipt).to.deep.equal(first.receipt);
      expect(reread.submission).to.deep.equal(first.submission);
    });
  });
});
