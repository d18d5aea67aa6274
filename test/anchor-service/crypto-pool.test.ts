// The anchor service's secp256k1 worker (anchor-service/src/intake/crypto-pool.ts) gives the same
// answers as the in-thread functions: the recovered signer of a signed request (and "" for a
// forged signature), and receipt-batch signatures identical to the service wallet's.
import { expect } from "chai";
import { Wallet } from "ethers";
import { receiptDomain, signReceiptBatchRoot, verifyReceipt } from "../../common/formats/receipt/receipts.ts";
import {
  prepareVerification,
  recoverSigner,
  requestDomain,
  signRequest,
} from "../../common/auth/request-signing.ts";
import { BatchTree } from "../../common/formats/receipt/batch-tree.ts";
import { BatchReceipts, IssuedReceipts } from "../../common/formats/receipt/receipt-json.ts";
import { CryptoPool } from "../../anchor-service/src/intake/crypto-pool.ts";

describe("anchor service: secp256k1 work on a worker thread", function () {
  const member = new Wallet(`0x${"11".repeat(32)}`);
  const service = new Wallet(`0x${"22".repeat(32)}`);
  const domain = requestDomain(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
  let pool: CryptoPool;
  before(() => {
    pool = new CryptoPool(service.privateKey);
  });
  after(async () => {
    await pool.close();
  });

  it("recovers a signed request's signer, and nobody for a signature over another body", async function () {
    const body = JSON.stringify({ records: [] });
    const headers = await signRequest(member, domain, { method: "POST", path: "/v1/leaves", body });
    const now = Math.floor(Date.now() / 1000);
    const good = prepareVerification(
      domain,
      { method: "POST", path: "/v1/leaves", rawBody: Buffer.from(body), headers },
      { now, maxTtlSeconds: 300 },
    );
    expect(await pool.recover(good)).to.equal(member.address);
    const other = prepareVerification(
      domain,
      { method: "POST", path: "/v1/leaves", rawBody: Buffer.from(`${body} `), headers },
      { now, maxTtlSeconds: 300 },
    );
    const recovered = await pool.recover(other);
    expect(recovered).to.equal(recoverSigner(other));
    expect(recovered).to.not.equal(member.address);
    // many at once, answered each to its own request
    const all = await Promise.all(
      Array.from({ length: 20 }, (_, i) => pool.recover(i % 2 === 0 ? good : other)),
    );
    all.forEach((r, i) => expect(r).to.equal(i % 2 === 0 ? member.address : recovered));
  });

  it("signs receipt batches exactly as the service wallet does, and they verify", async function () {
    const rd = receiptDomain(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
    const input = {
      logId: `0x${"ab".repeat(32)}`,
      firstSequence: 7,
      leafHashes: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2), new Uint8Array(32).fill(3)],
      receivedAt: 1_790_000_000,
      maxMergeDelaySeconds: 60,
    };
    const viaPool = await signReceiptBatchRoot(pool.signer(), rd, input);
    const inThread = await signReceiptBatchRoot(service, rd, input);
    expect(viaPool.batch).to.deep.equal(inThread.batch);
    const issued = new IssuedReceipts(3);
    const view = new BatchReceipts(viaPool.batch, new BatchTree(input.leafHashes));
    for (let i = 0; i < 3; i++) issued.set(i, view, i);
    for (const receipt of issued.list())
      expect(verifyReceipt(rd, receipt, service.address)).to.deep.equal({ ok: true });
  });

  it("refuses work once closed, and signing without a key", async function () {
    const closed = new CryptoPool(service.privateKey);
    await closed.close();
    const failure = await closed
      .signer()
      .signTypedData(domain, { A: [{ name: "a", type: "uint256" }] }, { a: 1 })
      .then(
        () => "signed",
        (e: Error) => e.message,
      );
    expect(failure).to.match(/closed/);
    expect(() => new CryptoPool().signer()).to.throw(/no signing key/);
  });
});
