// 国密: which SM2 key may sign a bundle's intake receipt is the consortium's to say, not the
// anchor service's. The governed member directory (common/consortium/member-directory.ts: a file
// whose SHA-256 governance set on chain) binds an SM2 receipt key to the member operating the
// log; a receipt SM2-signed under any other key, or stripped of its SM2 signature where a key is
// governed, fails blockAndTime with the reason — on the court's node (its certificates and its
// package checks) and on the court page, as the command-line verifier's --member-directory does.
// Browser-safe: the page bundles it.
import type { Provider } from "ethers";
import { governedReceiptKey } from "../../../common/consortium/member-directory.ts";
import type { EvidenceBundle } from "../../../common/formats/bundle/bundle.ts";
import type { CheckResult } from "../../../common/formats/bundle/verify.ts";
import { receiptDomain, verifyGovernedReceipt } from "../../../common/formats/receipt/receipts.ts";

/** The reason's mark: the page and the certificate name the failure in both languages by it. */
export const NOT_GOVERNED_CODE = "RECEIPT_SM2_KEY_NOT_GOVERNED";

/** What a verifier holds to judge a receipt's SM2 key: the directory file's bytes and the chain. */
export type ReceiptKeyGovernance = {
  directory: Uint8Array;
  provider: Provider;
  consortiumRegistry: string;
};

/**
 * `checks` with blockAndTime failed when the bundle's intake receipt does not verify under the SM2
 * key the governed directory binds to the log's operator; indeterminate when that key cannot be
 * read (a directory file governance did not set, a chain that does not answer): the receipt's key
 * was then not judged.
 */
export async function withGovernedReceiptKey(
  checks: CheckResult[],
  bundle: EvidenceBundle,
  governance: ReceiptKeyGovernance | undefined,
): Promise<CheckResult[]> {
  if (governance === undefined || bundle.receipt === undefined) return checks;
  let problem: Pick<CheckResult, "outcome" | "reason"> | undefined;
  try {
    const governed = await governedReceiptKey(
      governance.directory,
      governance.provider,
      { consortiumRegistry: governance.consortiumRegistry, evidenceLog: bundle.anchor.evidenceLog },
      bundle.log.logId,
    );
    const domain = receiptDomain(BigInt(bundle.anchor.chainId), bundle.anchor.evidenceLog);
    const verified = verifyGovernedReceipt(domain, bundle.receipt, undefined, governed.sm2Keys);
    if (!verified.ok)
      problem = {
        outcome: "fail",
        reason: `the intake receipt does not verify under the SM2 receipt key the governed member directory binds to member ${governed.operatorMemberId}, the log's operator (${verified.code}: ${verified.reason})`,
      };
  } catch (error) {
    problem = {
      outcome: "indeterminate",
      reason: `the intake receipt's SM2 key was not judged: the governed member directory could not be read (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  if (problem === undefined) return checks;
  // a time the chain confirms is still not vouched for by a receipt the consortium does not own
  const judged = problem;
  return checks.map((c) =>
    c.id !== "blockAndTime" || (judged.outcome === "indeterminate" && c.outcome === "fail")
      ? c
      : { id: c.id, ...judged },
  );
}
