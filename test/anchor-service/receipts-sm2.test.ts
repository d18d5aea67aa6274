// An anchor service configured for SM2 receipts (ANCHOR_RECEIPT_SIGNATURES=eip712,sm2): every
// receipt carries the batch's SM2 signature under the key /v1/info names, the member's client
// requires it, bundles carry it, and the bundle verifier checks it: a changed SM2 signature fails
// blockAndTime even offline, and a court that knows the key fails a bundle whose receipt lacks it.
import { expect } from "chai";
import { fromHex, toHex } from "../../common/bytes.ts";
import { sm2 } from "../../common/crypto/sm2.ts";
import { parseBundle, type EvidenceBundle } from "../../common/formats/bundle/bundle.ts";
import { verifyOffline } from "../../common/formats/bundle/verify.ts";
import { receiptDomain, verifyReceipt } from "../../common/formats/receipt/receipts.ts";
import { configFromEnv } from "../../anchor-service/src/config.ts";
import { AnchorClient, AnchorClientError } from "../../common/anchor/client.ts";
import { EXIT_CODES, main as verifyCli } from "../../scripts/cli/verify.ts";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { anchorOne, anchorServiceSuite } from "../support/anchor-suite.ts";
import { rewritingProxy } from "../support/rewriting-proxy.ts";
import { MEMBERS, recordFor } from "../support/consortium-chain.ts";

const SM2_KEY = `0x${"6d".repeat(32)}`;
const SM2_PUBLIC = toHex(sm2.publicKeyOf(fromHex(SM2_KEY)));

const blockAndTimeOf = (bundle: EvidenceBundle, receiptSm2Key?: string) =>
  verifyOffline(bundle, receiptSm2Key === undefined ? {} : { receiptSm2Key }).find(
    (r) => r.id === "blockAndTime",
  )!;

describe("anchor service: receipts signed with SM2 too (国密)", function () {
  this.timeout(120_000);
  const sm2Suite = anchorServiceSuite({
    config: { receiptSignatures: "eip712,sm2", receiptSm2Key: SM2_KEY },
    listen: true,
  });
  const plainSuite = anchorServiceSuite({ listen: true });

  it("names its SM2 key in /v1/info, and every receipt carries a valid SM2 signature under it", async function () {
    const info = (await sm2Suite.service.app.inject({ url: "/v1/info" })).json() as {
      receiptSm2PublicKey?: string;
      operator: string;
    };
    expect(info.receiptSm2PublicKey).to.equal(SM2_PUBLIC);
    const { receipt, bundle } = await anchorOne(sm2Suite, "SM2 receipt: loan contract");
    expect(receipt.batch.sm2?.publicKey).to.equal(SM2_PUBLIC);
    const domain = receiptDomain(BigInt(bundle.anchor.chainId), bundle.anchor.evidenceLog);
    expect(verifyReceipt(domain, receipt, info.operator, SM2_PUBLIC)).to.deep.equal({ ok: true });
    // the bundle's receipt is the same, and the court's verifier accepts it under the key it knows
    expect(bundle.receipt).to.deep.equal(receipt);
    expect(blockAndTimeOf(bundle, SM2_PUBLIC).outcome).to.equal("indeterminate"); // offline: nothing refuted
  });

  it("a changed SM2 signature in a bundle fails blockAndTime offline, with or without the key", async function () {
    const { receipt, bundle } = await anchorOne(sm2Suite, "SM2 receipt: consent");
    const signature = receipt.batch.sm2!.signature;
    const changed = `${signature.slice(0, 10)}${signature[10] === "0" ? "1" : "0"}${signature.slice(11)}`;
    const tampered = parseBundle({
      ...bundle,
      receipt: {
        ...receipt,
        batch: { ...receipt.batch, sm2: { publicKey: SM2_PUBLIC, signature: changed } },
      },
    });
    for (const key of [undefined, SM2_PUBLIC]) {
      const check = blockAndTimeOf(tampered, key);
      expect(check.outcome, check.reason).to.equal("fail");
      expect(check.reason).to.contain("RECEIPT_BAD_SIGNATURE");
    }
  });

  it("a court that knows the SM2 key fails a bundle whose receipt has no SM2 signature", async function () {
    const { receipt, bundle } = await anchorOne(plainSuite, "EIP-712 only: voucher");
    expect(receipt.batch.sm2).to.equal(undefined);
    expect(blockAndTimeOf(bundle).outcome).to.equal("indeterminate");
    const check = blockAndTimeOf(bundle, SM2_PUBLIC);
    expect(check.outcome).to.equal("fail");
    expect(check.reason).to.contain("no SM2 signature");
  });

  it("npm run verify -- … --receipt-sm2-key: offline, the key the service named passes, another key fails", async function () {
    const document = "SM2 receipt: ruling";
    const { bundle } = await anchorOne(sm2Suite, document);
    const dir = await mkdtemp(join(tmpdir(), "jl-sm2-cli-"));
    try {
      await writeFile(join(dir, "doc.txt"), document);
      await writeFile(join(dir, "bundle.json"), JSON.stringify(bundle));
      const run = async (key: string) => {
        let said = "";
        const out = { write: (text: string) => (said += text) };
        const code = await verifyCli(
          [join(dir, "doc.txt"), join(dir, "bundle.json"), "--receipt-sm2-key", key],
          out,
          out,
        );
        return { code, said };
      };
      const known = await run(SM2_PUBLIC);
      expect(known.code, known.said).to.equal(EXIT_CODES.indeterminate); // offline: nothing refuted
      const other = await run(toHex(sm2.generateKeyPair().publicKey));
      expect(other.code, other.said).to.equal(EXIT_CODES.fail);
      expect(other.said).to.contain("RECEIPT_WRONG_SERVICE");
      expect((await run("0x02abc")).code).to.equal(EXIT_CODES.badInput);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the member's client requires the SM2 signature when the service names an SM2 key", async function () {
    // a record as a member's client sends it (kind and algorithm as the leaf format types them)
    const record = () => ({ ...recordFor(`client ${Math.random()}`), kind: 1, digestAlgorithm: 1 }) as const;
    const client = (port: number) =>
      new AnchorClient(`http://127.0.0.1:${port}`, sm2Suite.chain.wallets.branchA, MEMBERS.branchA);
    const [receipt] = await client(sm2Suite.port).submit([record()]);
    expect(receipt!.batch.sm2?.publicKey).to.equal(SM2_PUBLIC);
    // a service that names an SM2 key in /v1/info but hands out receipts without SM2 signatures
    const lying = await rewritingProxy(plainSuite.port, (url, json) =>
      url === "/v1/info" ? { ...json, receiptSm2PublicKey: SM2_PUBLIC } : json,
    );
    try {
      const error = await client(lying.port)
        .submit([record()])
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).to.be.instanceOf(AnchorClientError);
      expect((error as AnchorClientError).code).to.equal("ANCHOR_CLIENT_BAD_RECEIPT");
      expect((error as Error).message).to.contain("no SM2 signature");
    } finally {
      lying.close();
    }
  });

  it("ANCHOR_RECEIPT_SIGNATURES is eip712 (the default) or eip712,sm2, nothing else", function () {
    expect(configFromEnv(minimalEnv()).receiptSignatures).to.equal("eip712");
    const config = configFromEnv({ ...minimalEnv(), ANCHOR_RECEIPT_SIGNATURES: "eip712,sm2" });
    expect(config.receiptSignatures).to.equal("eip712,sm2");
    expect(() => configFromEnv({ ...minimalEnv(), ANCHOR_RECEIPT_SIGNATURES: "sm2-only" })).to.throw(
      /ANCHOR_RECEIPT_SIGNATURES/,
    );
  });
});

function minimalEnv(): NodeJS.ProcessEnv {
  const hex = (b: string, n: number) => `0x${b.repeat(n)}`;
  return {
    ANCHOR_DATA_DIR: "/unused",
    ANCHOR_RPC_URL: "http://127.0.0.1:8545",
    ANCHOR_EVIDENCE_LOG: hex("11", 20),
    ANCHOR_CONSORTIUM_REGISTRY: hex("22", 20),
    ANCHOR_EVIDENCE_REGISTRY: hex("33", 20),
    ANCHOR_LOG_ID: hex("44", 32),
    ANCHOR_OPERATOR_KEY: hex("55", 32),
  };
}
