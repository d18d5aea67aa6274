// The mediation tests' signatures: a settlement agreement signed by a borrower and sealed by the
// branch with certificates of a demo CA, the node's check of them (as a contract's), and the
// plan's adoption as the branch's outbox sends it.
import { getBytes } from "ethers";
import { decodeLeaf } from "../../../common/formats/leaf/leaf.ts";
import { type DemoCa, DEMO_POLICY } from "../../../common/pki/demo-ca.ts";
import { trustAnchorsFromPem } from "../../../common/pki/trust-anchors.ts";
import { signPdf } from "../../../nodes/src/e-contract/sign.ts";
import { verifySignedContract } from "../../../nodes/src/e-contract/verify.ts";
import type { PlanAdoption } from "../../../nodes/src/mediation/mediation.ts";
import { BRANCH_A, type LendingChain } from "../indexer/lending-chain.ts";

/** The agreement signed by the borrower, then sealed by branch A. */
export async function signAgreement(ca: DemoCa, pdf: Uint8Array): Promise<Uint8Array> {
  const borrower = await ca.issueBorrowerCertificate("张三");
  const seal = await ca.issueBranchSeal("杭州西湖农村商业银行");
  const signed = await signPdf(
    pdf,
    { certificatePem: borrower.certificatePem, privateKey: borrower.privateKey },
    { name: "Zhang San", reason: "Borrower signature", location: "Hangzhou" },
  );
  return signPdf(
    signed,
    { certificatePem: seal.certificatePem, privateKey: seal.privateKey },
    { name: "Branch A", reason: "Lender seal", location: "Hangzhou" },
  );
}

/** The node's check of a signed agreement against the CA: the borrower's signature and the branch's seal. */
export function agreementVerifier(ca: DemoCa) {
  const anchors = trustAnchorsFromPem([ca.certificatePem]);
  return (pdf: Uint8Array) =>
    verifySignedContract(pdf, anchors, {
      borrower: [DEMO_POLICY.borrowerSignature],
      branchSeal: [DEMO_POLICY.branchSeal],
    });
}

/** What the branch's outbox sends for an adoption: the agreement's leaf committed and registered, then adoptSettlement from branch A's account. */
export async function sendAdoption(lc: LendingChain, adoption: PlanAdoption): Promise<void> {
  await lc.anchorEvidence([decodeLeaf(getBytes(adoption.leaf))], [0]);
  await (
    await lc.disputesAs(BRANCH_A).getFunction("adoptSettlement")(
      adoption.loanId,
      adoption.leaf,
      adoption.startDay,
      adoption.installments,
    )
  ).wait();
}
