// The demo's electronic contracts (电子合同): the branch's node drafts the loan contract from the
// application, the borrower signs it with a signing certificate the local demo CA (演示用) issues
// for them, the branch seals it with its seal certificate from `npm start`'s data/pki, and the
// signed PDF is kept under <data>/demo/contracts for anyone to open in a PDF reader. Approval then
// verifies both signatures against the demo CA's root before anchoring the contract; afterwards the
// branch registers it on chain and a joint loan's platform endorses it.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Borrower } from "../../nodes/client/borrowers.ts";
import { type NodeApi, sleep } from "../../nodes/client/node-api.ts";
import { loadDemoCa } from "../../common/pki/demo-ca.ts";
import { signPdf } from "../../nodes/src/e-contract/sign.ts";
import { CONTRACT_PARTIES, branchSeal, pkiDir } from "../ops/local/contract-ca.ts";
import type { NodeName } from "../ops/local/manifest.ts";

const PLACE = "浙江省杭州市";

export type SignedContract = {
  pdf: Uint8Array;
  /** Where the signed PDF was written. */
  file: string;
  contractNumber: string;
  allInAprBps: number;
};

/** The application's contract drafted at `node`, signed by the borrower and sealed by the branch. */
export async function signedContract(
  api: NodeApi,
  dataDir: string,
  node: NodeName,
  input: { applicationId: string; borrower: Borrower; startDate: string; platformShareBps: number },
): Promise<SignedContract> {
  const draft = await api.post<{ contractPdfBase64: string; contractNumber: string; allInAprBps: number }>(
    `/v1/applications/${encodeURIComponent(input.applicationId)}/contract-draft`,
    "clerk",
    { startDate: input.startDate, platformShareBps: input.platformShareBps },
  );
  const sealed = await signedAndSealed(
    dataDir,
    node,
    input.borrower,
    Buffer.from(draft.contractPdfBase64, "base64"),
  );
  const dir = path.join(dataDir, "demo", "contracts");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${draft.contractNumber}.pdf`);
  await writeFile(file, sealed);
  return { pdf: sealed, file, contractNumber: draft.contractNumber, allInAprBps: draft.allInAprBps };
}

/**
 * A PDF the node drafted (a loan contract, a mediation settlement agreement), signed by the
 * borrower with a certificate the demo CA issues for them and sealed by `node`'s branch.
 */
export async function signedAndSealed(
  dataDir: string,
  node: NodeName,
  borrower: Borrower,
  pdf: Uint8Array,
): Promise<Uint8Array> {
  const ca = await loadDemoCa(pkiDir(dataDir));
  const borrowerCertificate = await ca.issueBorrowerCertificate(borrower.name);
  const borrowerSigned = await signPdf(
    pdf,
    { certificatePem: borrowerCertificate.certificatePem, privateKey: borrowerCertificate.privateKey },
    { name: borrower.name, reason: "借款人签署 / borrower's signature", location: PLACE },
  );
  return signPdf(borrowerSigned, await branchSeal(dataDir, node), {
    name: CONTRACT_PARTIES[node].name,
    reason: "贷款人签章 / lender's seal",
    location: PLACE,
  });
}

export type ContractOnChain = {
  state: string;
  chain: { state: string; submitter: number; endorsers: number[] };
};

/** Waits until `node` has the loan's contract registered on chain (and endorsed by a joint loan's platform). */
export async function contractEndorsed(
  api: NodeApi,
  loanId: string,
  timeoutMs = 120_000,
): Promise<ContractOnChain> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await api.get<ContractOnChain & { lastError?: string; failure?: { code: string } }>(
      `/v1/loans/${loanId}/contract-endorsement`,
    );
    if (view.state === "done") return view;
    if (view.state === "failed")
      throw new Error(`loan ${loanId}'s contract endorsement failed: ${JSON.stringify(view.failure)}`);
    if (Date.now() > deadline)
      throw new Error(`loan ${loanId}'s contract is still ${view.state} (${view.lastError ?? "no error"})`);
    await sleep(250);
  }
}
