// 国密 receipts: a batch signed with SM2 too (GB/T 32918.2, default user id) carries batch.sm2 beside
// the EIP-712 signature; the message is the fixed binary encoding written out by hand here; every
// receipt verifies alone, a changed SM2 signature, key or batch field fails, a verifier that knows
// the service's SM2 key requires it; the fast JSON writer and re-issued receipts carry it too.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { Wallet } from "ethers";
import { fromHex, toHex } from "../../../../common/bytes.ts";
import { sm2 } from "../../../../common/crypto/sm2.ts";
import { BatchTree } from "../../../../common/formats/receipt/batch-tree.ts";
import { BatchReceipts, IssuedReceipts } from "../../../../common/formats/receipt/receipt-json.ts";
import {
  receiptDomain,
  receiptSm2Message,
  receiptsOf,
  signReceiptBatch,
  verifyReceipt,
  type Receipt,
} from "../../../../common/formats/receipt/receipts.ts";

const operator = new Wallet(`0x${"5a".repeat(32)}`);
const sm2Key = fromHex(`0x${"3c".repeat(32)}`);
const sm2Public = toHex(sm2.publicKeyOf(sm2Key));
const EVIDENCE_LOG = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const domain = receiptDomain(31337n, EVIDENCE_LOG);
const leafHashes = Array.from(
  { length: 5 },
  (_, i) => new Uint8Array(createHash("sha256").update(`sm2 receipt ${i}`).digest()),
);
const input = {
  logId: `0x${"ab".repeat(32)}`,
  firstSequence: 4_096,
  leafHashes,
  receivedAt: 1_790_000_000,
  maxMergeDelaySeconds: 60,
};

const signedWithSm2 = () => signReceiptBatch(operator, domain, { ...input, sm2PrivateKey: sm2Key });
const withBatch = (receipt: Receipt, change: Partial<Receipt["batch"]>): Receipt => ({
  ...receipt,
  batch: { ...receipt.batch, ...change },
});

describe("receipts signed with SM2 (国密)", function () {
  it("signs the fixed binary encoding of the batch under the GB/T 32918 default user id", async function () {
    const { batch } = await signedWithSm2();
    expect(batch.sm2!.publicKey).to.equal(sm2Public);
    const be = (value: bigint, bytes: number) => value.toString(16).padStart(bytes * 2, "0");
    const byHand = fromHex(
      `0x${Buffer.from("JointLedger Anchor Receipt/SM2/1\0").toString("hex")}` +
        be(31337n, 32) +
        EVIDENCE_LOG.slice(2).toLowerCase() +
        "ab".repeat(32) +
        be(4_096n, 8) +
        be(5n, 8) +
        batch.root.slice(2) +
        be(1_790_000_000n, 8) +
        be(60n, 4),
    );
    expect(toHex(receiptSm2Message(domain, batch))).to.equal(toHex(byHand));
    const signature = fromHex(batch.sm2!.signature);
    expect(sm2.verify(fromHex(sm2Public), byHand, signature)).to.equal(true);
    expect(sm2.verify(fromHex(sm2Public), byHand, signature, "1234567812345678")).to.equal(true);
    expect(sm2.verify(fromHex(sm2Public), byHand, signature, "ALICE123@YAHOO.COM")).to.equal(false);
  });

  it("every receipt verifies alone, with or without the expected SM2 key", async function () {
    const { receipts } = await signedWithSm2();
    for (const receipt of receipts) {
      expect(verifyReceipt(domain, receipt)).to.deep.equal({ ok: true });
      expect(verifyReceipt(domain, receipt, operator.address, sm2Public)).to.deep.equal({ ok: true });
    }
  });

  it("a changed SM2 signature, another SM2 key, or another domain fails", async function () {
    const { batch, receipts } = await signedWithSm2();
    const receipt = receipts[2]!;
    const sig = receipt.batch.sm2!.signature;
    const flipped = `${sig.slice(0, -1)}${sig.endsWith("0") ? "1" : "0"}`;
    const codeOf = (r: unknown, key?: string) => {
      const v = verifyReceipt(domain, r, undefined, key);
      return v.ok ? "ok" : v.code;
    };
    expect(codeOf(withBatch(receipt, { sm2: { publicKey: sm2Public, signature: flipped } }))).to.equal(
      "RECEIPT_BAD_SIGNATURE",
    );
    // another key's signature of the same batch, claimed under the service's key
    const other = sm2.generateKeyPair();
    const forged = toHex(sm2.sign(other.privateKey, receiptSm2Message(domain, batch)));
    expect(codeOf(withBatch(receipt, { sm2: { publicKey: sm2Public, signature: forged } }))).to.equal(
      "RECEIPT_BAD_SIGNATURE",
    );
    // the other key's own genuine signature verifies, but is not the key the verifier knows
    const theirs = withBatch(receipt, { sm2: { publicKey: toHex(other.publicKey), signature: forged } });
    expect(codeOf(theirs)).to.equal("ok");
    expect(codeOf(theirs, sm2Public)).to.equal("RECEIPT_WRONG_SERVICE");
    // the same SM2 signature under another EvidenceLog's domain fails (the EIP-712 one does first)
    const elsewhere = receiptDomain(31337n, "0x0000000000000000000000000000000000000001");
    expect(verifyReceipt(elsewhere, receipt).ok).to.equal(false);
    // malformed SM2 fields are refused by the schema
    expect(codeOf(withBatch(receipt, { sm2: { publicKey: "0x02ab", signature: sig } }))).to.equal(
      "RECEIPT_MALFORMED",
    );
  });

  it("a verifier that knows the SM2 key refuses a receipt without an SM2 signature", async function () {
    const { receipts } = await signReceiptBatch(operator, domain, input);
    expect(receipts[0]!.batch.sm2).to.equal(undefined);
    expect(verifyReceipt(domain, receipts[0])).to.deep.equal({ ok: true });
    const refused = verifyReceipt(domain, receipts[0], undefined, sm2Public);
    expect(refused.ok ? "ok" : refused.code).to.equal("RECEIPT_BAD_SIGNATURE");
  });

  it("the intake's JSON writer and re-issued receipts carry the SM2 signature byte for byte", async function () {
    const { batch, receipts } = await signedWithSm2();
    const view = new BatchReceipts(batch, new BatchTree(leafHashes));
    const issued = new IssuedReceipts(receipts.length);
    receipts.forEach((_, i) => issued.set(i, view, i));
    expect(issued.json().toString("utf8")).to.equal(JSON.stringify({ receipts }));
    expect(receiptsOf(batch, leafHashes)).to.deep.equal(receipts);
  });
});
