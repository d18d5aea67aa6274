// Signing and verifying a contract (nodes/src/e-contract/sign.ts, verify.ts): the borrower signs,
// the branch seals as an incremental update; each CMS, extracted from the PDF here and checked by
// pkijs directly (not through verify.ts), verifies over its byte range; the node's verifier accepts
// the contract and names the signers; a one-byte change, a signature by an untrusted CA, a missing
// seal or signature, an unsigned PDF and bytes appended after signing are refused with their codes.
import { expect } from "chai";
import { fromBER } from "asn1js";
import { ContentInfo, SignedData } from "pkijs";
import { PDFArray, PDFDocument, PDFName, PDFRef } from "pdf-lib";
import { type DemoCa, DEMO_POLICY, createDemoCa } from "../../../common/pki/demo-ca.ts";
import { certificatesFromPem, trustAnchorsFromPem } from "../../../common/pki/trust-anchors.ts";
import { EContractError, type EContractErrorCode } from "../../../nodes/src/errors.ts";
import { generateContract } from "../../../nodes/src/e-contract/generate.ts";
import { signPdf } from "../../../nodes/src/e-contract/sign.ts";
import { type RolePolicies, verifySignedContract } from "../../../nodes/src/e-contract/verify.ts";
import { jointLoanTerms } from "./fixtures.ts";
import { rejectedBy } from "../../support/expect-error.ts";

const ROLES: RolePolicies = {
  borrower: [DEMO_POLICY.borrowerSignature],
  branchSeal: [DEMO_POLICY.branchSeal],
};

type Parties = {
  ca: DemoCa;
  borrower: Awaited<ReturnType<DemoCa["issueBorrowerCertificate"]>>;
  seal: Awaited<ReturnType<DemoCa["issueBranchSeal"]>>;
};

async function parties(ca?: DemoCa): Promise<Parties> {
  const authority = ca ?? (await createDemoCa());
  return {
    ca: authority,
    borrower: await authority.issueBorrowerCertificate("张三"),
    seal: await authority.issueBranchSeal("杭州西湖农村商业银行"),
  };
}

const borrowerSigns = (pdf: Uint8Array, p: Parties) =>
  signPdf(
    pdf,
    { certificatePem: p.borrower.certificatePem, privateKey: p.borrower.privateKey },
    { name: "Zhang San", reason: "Borrower signature", location: "Hangzhou" },
  );
const branchSeals = (pdf: Uint8Array, p: Parties) =>
  signPdf(
    pdf,
    { certificatePem: p.seal.certificatePem, privateKey: p.seal.privateKey },
    { name: "Branch A", reason: "Lender seal", location: "Hangzhou" },
  );

/** Independently of verify.ts: each /ByteRange's CMS, checked by pkijs over exactly its bytes. */
async function pkijsVerifies(pdf: Uint8Array, rootPem: string): Promise<boolean[]> {
  const text = Buffer.from(pdf).toString("latin1");
  const out: boolean[] = [];
  for (const m of text.matchAll(/\/ByteRange \[(\d+) (\d+) (\d+) (\d+)\s*\]/g)) {
    const [a, b, c, d] = m.slice(1, 5).map(Number) as [number, number, number, number];
    const hex = text.slice(b + 1, c - 1);
    const info = new ContentInfo({ schema: fromBER(Buffer.from(hex, "hex")).result });
    const signed = new SignedData({ schema: info.content });
    const data = Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)]);
    const ok = await signed
      .verify({
        signer: 0,
        data: new Uint8Array(data).buffer,
        trustedCerts: certificatesFromPem(rootPem),
        checkChain: true,
      })
      .then(
        (r) => r === true,
        () => false,
      );
    out.push(ok);
  }
  return out;
}

/** The contract error `p` rejects with, which must carry `code`. */
async function refused(p: Promise<unknown>, code: EContractErrorCode): Promise<EContractError> {
  const error = await rejectedBy(p, EContractError, code);
  expect(error.code).to.equal(code);
  return error;
}

describe("e-contract: PAdES signatures by the borrower and the branch, verified before anchoring", function () {
  this.timeout(120_000);

  let p: Parties;
  let contract: Uint8Array;
  let signed: Uint8Array;

  before(async () => {
    p = await parties();
    contract = (await generateContract(jointLoanTerms())).contractPdf;
    signed = await branchSeals(await borrowerSigns(contract, p), p);
  });

  it("adds the seal as an incremental update: the borrower-signed file is a prefix of the sealed one", async () => {
    const once = await borrowerSigns(contract, p);
    expect(
      Buffer.from(once.subarray(0, contract.length - 1)).equals(
        Buffer.from(contract.subarray(0, contract.length - 1)),
      ),
    ).to.equal(true);
    const twice = await branchSeals(once, p);
    const prefix = Buffer.from(once).toString("latin1").trimEnd();
    expect(Buffer.from(twice.subarray(0, prefix.length)).toString("latin1")).to.equal(prefix);
    // Still a PDF a reader opens, with two signature fields.
    const doc = await PDFDocument.load(twice);
    expect(
      doc
        .getForm()
        .getFields()
        .map((f) => f.constructor.name),
    ).to.deep.equal(["PDFSignature", "PDFSignature"]);
  });

  it("both CMS signatures verify with pkijs over the extracted byte ranges, chaining to the demo root", async () => {
    expect(await pkijsVerifies(signed, p.ca.certificatePem)).to.deep.equal([true, true]);
  });

  it("the node's verifier accepts it and returns both signers' subjects and roles", async () => {
    const result = await verifySignedContract(signed, trustAnchorsFromPem([p.ca.certificatePem]), ROLES);
    expect(result.signatures.map((s) => s.role)).to.deep.equal(["borrower", "branchSeal"]);
    expect(result.borrower.subject).to.contain("张三").and.contain("演示用");
    expect(result.branchSeal.subject).to.contain("杭州西湖农村商业银行");
    expect(result.branchSeal.coversTo).to.equal(Buffer.from(signed).toString("latin1").trimEnd().length);
    expect(result.borrower.chain).to.have.length(2);
  });

  it("a one-byte change in the contract breaks both signatures (pkijs and the node's verifier)", async () => {
    const tampered = new Uint8Array(signed);
    const at = Buffer.from(signed).indexOf("/MediaBox");
    tampered[at + 1] = tampered[at + 1]! ^ 0x01;
    expect(await pkijsVerifies(tampered, p.ca.certificatePem)).to.deep.equal([false, false]);
    await refused(
      verifySignedContract(tampered, trustAnchorsFromPem([p.ca.certificatePem]), ROLES),
      "NODE_ERR_CONTRACT_DIGEST_MISMATCH",
    );
  });

  it("a one-byte change in a signature value breaks it", async () => {
    const tampered = new Uint8Array(signed);
    const text = Buffer.from(signed).toString("latin1");
    const m = /\/ByteRange \[(\d+) (\d+) (\d+) (\d+)\s*\]/.exec(text)!;
    // A hex digit inside the RSA signature, near the end of the DER value (before its zero padding).
    const b = Number(m[2]);
    const der = text.slice(b + 1, Number(m[3]) - 1).replace(/(00)+$/, "");
    const at = b + 1 + der.length - 10;
    tampered[at] = tampered[at] === 0x30 ? 0x31 : 0x30;
    const e = await refused(
      verifySignedContract(tampered, trustAnchorsFromPem([p.ca.certificatePem]), ROLES),
      "NODE_ERR_CONTRACT_BAD_SIGNATURE",
    );
    expect(e.details).to.deep.equal({ signature: 1 });
  });

  it("refuses a contract signed by an untrusted CA", async () => {
    const impostor = await parties(await createDemoCa({ name: "Impostor Root CA 演示用" }));
    const forged = await branchSeals(await borrowerSigns(contract, impostor), impostor);
    const e = await refused(
      verifySignedContract(forged, trustAnchorsFromPem([p.ca.certificatePem]), ROLES),
      "NODE_ERR_CONTRACT_UNTRUSTED_CA",
    );
    expect((e.details as { subject: string }).subject).to.contain("张三");
    // A borrower signature from the trusted CA does not cover an impostor's seal either.
    const mixed = await branchSeals(await borrowerSigns(contract, p), impostor);
    const e2 = await refused(
      verifySignedContract(mixed, trustAnchorsFromPem([p.ca.certificatePem]), ROLES),
      "NODE_ERR_CONTRACT_UNTRUSTED_CA",
    );
    expect(e2.details).to.deep.include({ signature: 2 });
  });

  it("refuses an unsigned contract, one without the branch's seal, and one without the borrower's signature", async () => {
    const anchors = trustAnchorsFromPem([p.ca.certificatePem]);
    await refused(verifySignedContract(contract, anchors, ROLES), "NODE_ERR_CONTRACT_UNSIGNED");
    await refused(
      verifySignedContract(new TextEncoder().encode("not a pdf"), anchors, ROLES),
      "NODE_ERR_CONTRACT_UNSIGNED",
    );
    await refused(
      verifySignedContract(await borrowerSigns(contract, p), anchors, ROLES),
      "NODE_ERR_CONTRACT_MISSING_BRANCH_SEAL",
    );
    await refused(
      verifySignedContract(await branchSeals(contract, p), anchors, ROLES),
      "NODE_ERR_CONTRACT_MISSING_BORROWER_SIGNATURE",
    );
    // Two borrower signatures are still no seal.
    await refused(
      verifySignedContract(await borrowerSigns(await borrowerSigns(contract, p), p), anchors, ROLES),
      "NODE_ERR_CONTRACT_MISSING_BRANCH_SEAL",
    );
  });

  it("refuses bytes appended after the last signature", async () => {
    const appended = Buffer.concat([Buffer.from(signed), Buffer.from("\n1 0 obj\n(unsigned)\nendobj\n")]);
    await refused(
      verifySignedContract(appended, trustAnchorsFromPem([p.ca.certificatePem]), ROLES),
      "NODE_ERR_CONTRACT_UNSIGNED_CHANGES",
    );
  });

  it("refuses a signature stated at a time its certificate was not valid", async () => {
    const late = new Date(p.borrower.certificate.notAfter.getTime() + 86_400_000);
    const backdated = await signPdf(
      contract,
      { certificatePem: p.borrower.certificatePem, privateKey: p.borrower.privateKey },
      { name: "Zhang San", reason: "Borrower signature", location: "Hangzhou", signingTime: late },
    );
    await refused(
      verifySignedContract(
        await branchSeals(backdated, p),
        trustAnchorsFromPem([p.ca.certificatePem]),
        ROLES,
      ),
      "NODE_ERR_CONTRACT_CERT_NOT_VALID",
    );
  });

  /**
   * An incremental update after `pdf` that re-defines object `num` as a stream holding `content`
   * (the classic way to change a signed PDF's page without touching the signed bytes).
   */
  function redefineStream(pdf: Uint8Array, num: number, content: string): Uint8Array {
    const text = Buffer.from(pdf).toString("latin1");
    const prev = [...text.matchAll(/startxref\s+(\d+)/g)].at(-1)![1];
    const root = [...text.matchAll(/\/Root (\d+ \d+ R)/g)].at(-1)![1];
    const size = Math.max(...[...text.matchAll(/\/Size (\d+)/g)].map((m) => Number(m[1])));
    const base = text.endsWith("\n") ? text : `${text}\n`;
    const object = `${num} 0 obj\n<< /Length ${content.length} >>\nstream\n${content}\nendstream\nendobj\n`;
    const xrefAt = base.length + object.length;
    const xref = `xref\n0 1\n0000000000 65535 f \n${num} 1\n${String(base.length).padStart(10, "0")} 00000 n \n`;
    const trailer = `trailer\n<< /Size ${size} /Root ${root} /Prev ${prev} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
    return Buffer.from(base + object + xref + trailer, "latin1");
  }

  it("refuses a seal over an update that changed the page the borrower signed", async () => {
    const once = await borrowerSigns(contract, p);
    const doc = await PDFDocument.load(once);
    const contents = doc.getPages()[0]!.node.get(PDFName.of("Contents"));
    const ref = contents instanceof PDFArray ? contents.get(0) : contents;
    expect(ref).to.be.instanceOf(PDFRef);
    const altered = redefineStream(
      once,
      (ref as PDFRef).objectNumber,
      "BT /F1 24 Tf 100 700 Td (1000000.00) Tj ET",
    );
    // the borrower's signature alone still verifies: its bytes are untouched
    expect(await pkijsVerifies(altered, p.ca.certificatePem)).to.deep.equal([true]);
    const sealed = await branchSeals(altered, p);
    expect(await pkijsVerifies(sealed, p.ca.certificatePem)).to.deep.equal([true, true]);
    const e = await refused(
      verifySignedContract(sealed, trustAnchorsFromPem([p.ca.certificatePem]), ROLES),
      "NODE_ERR_CONTRACT_CHANGED_AFTER_SIGNING",
    );
    expect((e.details as { change: string }).change).to.contain(
      `object ${(ref as PDFRef).objectNumber} 0 R changed`,
    );
  });
});
