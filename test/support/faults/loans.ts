// A disbursed loan at a branch of the local consortium, opened over the nodes' HTTP API the way
// the demo does it (scripts/demo): a platform's application submitted on the platform's own node,
// which signs it to the union's node (so it is credited to the platform); the union routes it to
// the branch by the borrower's region; consent, credit query, approval, disbursement. The fault
// scenarios then send many small repayments against it: each one a fund flow through the
// branch node's outbox.
import { JsonRpcProvider } from "ethers";
import { dayToDate, shanghaiDay } from "../../../common/lending/dates.ts";
import {
  authorizationLetter,
  consentRequest,
  huinongApplication,
  newBorrower,
} from "../../../nodes/client/borrowers.ts";
import { NodeApi } from "../../../nodes/client/node-api.ts";
import type { ConsortiumManifest } from "../../../scripts/ops/local/manifest.ts";
import { signedContract } from "../../../scripts/demo/contracts.ts";
import { approvingDecision } from "../credit-decision.ts";
import { chainNow, waitOutNearMidnight } from "../day-boundary.ts";

export async function openDisbursedLoan(
  manifest: ConsortiumManifest,
  tag: string,
): Promise<{ loanId: string; principalFen: bigint }> {
  const branch = manifest.nodes.branchB;
  const platform = new NodeApi("platform", manifest.nodes.platform.url, manifest.nodes.platform.tokens);
  const api = new NodeApi("branchB", branch.url, branch.tokens);
  const borrower = newBorrower(branch.regionCode);
  const orderNo = `HN-FAULT-${tag}`;
  const letter = authorizationLetter(borrower, orderNo);
  const principalFen = 1_500_000n;
  const payload = huinongApplication(borrower, {
    orderNo,
    amountFen: principalFen,
    termDays: 30,
    monthlyRatePermille: "10",
    signedAt: new Date(Date.now() - 5 * 60_000),
    letterSha256: letter.sha256,
  });
  const routed = await platform.post<{ forwardedTo?: { applicationId: string } }>(
    "/v1/applications/huinong",
    "clerk",
    payload,
  );
  if (routed.forwardedTo === undefined)
    throw new Error("the union's node did not forward the application to branch B");
  const applicationId = routed.forwardedTo.applicationId;
  const signedAt = new Date(Date.now() - 60_000);
  const consent = await api.post<{ consent: { leafHash: string } }>(
    "/v1/consents",
    "clerk",
    consentRequest(applicationId, letter, signedAt, ["LOAN_APPROVAL", "POST_LOAN_MANAGEMENT"]),
  );
  await approvingDecision(
    async (_method, url, role, body) => ({ status: 200, body: await api.post(url, role, body) }),
    applicationId,
  );
  const provider = new JsonRpcProvider(manifest.chain.rpcUrl, undefined, {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  let startDate: string;
  try {
    // disbursed on its start day: a Shanghai midnight between approval and disbursement refuses it
    await waitOutNearMidnight(provider, (line) => console.log(`    openDisbursedLoan: ${line}`));
    startDate = dayToDate(shanghaiDay(await chainNow(provider)));
  } finally {
    provider.destroy();
  }
  // a real contract: drafted by the branch's node, signed by the borrower and sealed by the branch
  // with the launcher's demo CA, as approval requires
  const contract = await signedContract(api, manifest.dataDir, "branchB", {
    applicationId,
    borrower,
    startDate,
    platformShareBps: 0,
  });
  const approved = await api.post<{ loanId: string; serial: string }>("/v1/loans", "approver", {
    applicationId,
    contractBase64: Buffer.from(contract.pdf).toString("base64"),
    consentLeafHash: consent.consent.leafHash,
    platformShareBps: 0,
    startDate,
  });
  await api.confirmed(approved.serial);
  const disbursed = await api.post<{ outbox: { serial: string } }>(
    `/v1/loans/${approved.loanId}/disbursements`,
    "clerk",
    {
      serial: `DSB-FAULT-${tag}`,
      amountFen: principalFen.toString(),
      accountHash: branch.settlementAccounts[0]!,
    },
  );
  await api.confirmed(disbursed.outbox.serial);
  return { loanId: approved.loanId, principalFen };
}
