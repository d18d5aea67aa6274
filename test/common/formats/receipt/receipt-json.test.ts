// The intake reply written straight into a Buffer (common/formats/receipt/receipt-json.ts)
// must be byte for byte JSON.stringify of the receipts common/formats/receipt/receipts.ts builds, for any
// batch size and any mix of this group's batches and receipts re-issued from storage; the flat
// batch tree (batch-tree.ts) must answer every node a proof asks for as memoRangeHasher does.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { Wallet } from "ethers";
import type { Receipt } from "../../../../common/formats/receipt/receipts.ts";
import {
  receiptDomain,
  signReceiptBatch,
  signReceiptBatchRoot,
  verifyReceipt,
} from "../../../../common/formats/receipt/receipts.ts";
import { inclusionProof, memoRangeHasher } from "../../../../common/formats/merkle/rfc9162.ts";
import { BatchTree } from "../../../../common/formats/receipt/batch-tree.ts";
import { BatchReceipts, IssuedReceipts } from "../../../../common/formats/receipt/receipt-json.ts";

const wallet = new Wallet(`0x${"42".repeat(32)}`);
const domain = receiptDomain(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
const logId = `0x${"ab".repeat(32)}`;
const hashes = (n: number, seed: string) =>
  Array.from({ length: n }, (_, i) => new Uint8Array(createHash("sha256").update(`${seed} ${i}`).digest()));

async function batchOf(
  firstSequence: number,
  leafHashes: Uint8Array[],
  receivedAt = 1_790_000_000,
): Promise<{ view: BatchReceipts; receipts: Receipt[] }> {
  const input = { logId, firstSequence, leafHashes, receivedAt, maxMergeDelaySeconds: 60 };
  const tree = new BatchTree(leafHashes);
  const { batch } = await signReceiptBatchRoot(wallet, domain, { ...input, rangeHash: tree.rangeHash });
  const { receipts } = await signReceiptBatch(wallet, domain, input); // the reference: memoRangeHasher, deterministic signature
  return { view: new BatchReceipts(batch, tree), receipts };
}

describe("anchor intake: receipts JSON written without objects", function () {
  it("equals JSON.stringify({ receipts }) for batch sizes 1 to 1,025, at any sequence", async function () {
    for (const [size, first] of [
      [1, 0],
      [2, 9],
      [3, 1_000_003],
      [7, 12],
      [64, 4_096],
      [1_000, 123_456_789],
      [1_025, 2 ** 40],
    ] as const) {
      const { view, receipts } = await batchOf(first, hashes(size, `batch ${size}`));
      const issued = new IssuedReceipts(size);
      for (let i = 0; i < size; i++) issued.set(i, view, i);
      const json = issued.json();
      expect(json.toString("utf8") === JSON.stringify({ receipts }), `size ${size}`).to.equal(true);
      expect(issued.list()).to.deep.equal(receipts);
    }
  });

  it("mixes receipts of several batches and re-issued ones, in the request's order, repeats included", async function () {
    const a = await batchOf(0, hashes(5, "a"));
    const b = await batchOf(5, hashes(3, "b"), 1_790_000_007);
    const old = (await batchOf(100, hashes(4, "old"))).receipts[2]!;
    const issued = new IssuedReceipts(6);
    issued.set(0, b.view, 2);
    issued.set(1, old);
    issued.set(2, a.view, 0);
    issued.set(3, a.view, 4);
    issued.set(4, old);
    issued.set(5, b.view, 0);
    const expected = [b.receipts[2]!, old, a.receipts[0]!, a.receipts[4]!, old, b.receipts[0]!];
    expect(issued.json().toString("utf8") === JSON.stringify({ receipts: expected })).to.equal(true);
    expect(issued.list()).to.deep.equal(expected);
    // what a member gets back verifies
    for (const receipt of (JSON.parse(issued.json().toString("utf8")) as { receipts: Receipt[] }).receipts) {
      expect(verifyReceipt(domain, receipt, wallet.address)).to.deep.equal({ ok: true });
    }
  });

  it("the flat batch tree answers every proof node and the root as memoRangeHasher does", function () {
    for (const size of [1, 2, 3, 5, 8, 13, 100, 257, 1000]) {
      const leaves = hashes(size, `tree ${size}`);
      const tree = new BatchTree(leaves);
      const memo = memoRangeHasher(leaves);
      const asked = new Set<string>([`0:${size}`]);
      for (let i = 0; i < size; i++) inclusionProof(i, size, (b, e) => (asked.add(`${b}:${e}`), memo(b, e)));
      for (const range of asked) {
        const [b, e] = range.split(":").map(Number) as [number, number];
        expect(Buffer.from(tree.rangeHash(b, e)).toString("hex"), `size ${size} [${b}, ${e})`).to.equal(
          Buffer.from(memo(b, e)).toString("hex"),
        );
      }
    }
  });

  it('an empty reply is {"receipts":[]}', function () {
    expect(new IssuedReceipts(0).json().toString("utf8")).to.equal('{"receipts":[]}');
  });
});
