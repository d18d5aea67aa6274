// The case archive's checks for the court page, bundled by build.ts into ../case-archive-verifier.js:
// the node's own archive verifier (nodes/src/court-package/verify-archive.ts), run on the clerk's
// computer over the archive's bytes with nothing fetched; and, where the page's configuration names
// the court's chain endpoints and the loan ledger, the court's whole package check run here too —
// each item's bundle against the EvidenceLog heads on chain, the items together against the loan's
// evidenceChain on JointLoanLedger (its logs from the deployment block on, in bounded windows) —
// over JSON-RPC to those endpoints alone: the one the court chose first, every other configured
// one asked the same (a disagreement is ChainDisagreementError, never a pass).
import { readAgreedChainFacts } from "../../../nodes/src/court-package/chain-facts.ts";
import type { PackageCheck } from "../../../nodes/src/court-package/check.ts";
import {
  checkArchiveAgainstChain,
  packageOfArchive,
} from "../../../nodes/src/court-package/verify-archive.ts";
import { courtChecks, type ChainSettings } from "./verifier.ts";

export { ArchiveFormatError, verifyCaseArchive } from "../../../nodes/src/court-package/verify-archive.ts";

/** The court's check of the archive against the chain, run here; the endpoints it asked. */
export async function checkArchiveOnChain(
  zip: Uint8Array,
  settings: ChainSettings,
): Promise<PackageCheck & { endpoints: string[]; loanLedger: string }> {
  const loanLedger = settings.loanLedger;
  if (loanLedger === undefined || loanLedger === null || settings.chainEndpoints.length === 0)
    throw new Error("the page's configuration names no chain endpoint or loan ledger");
  const checks = courtChecks(settings);
  try {
    // the court's chosen endpoint first; every other one configured must answer the same
    const endpoints = checks.providers.map((provider, n) => ({
      provider,
      name: settings.chainEndpoints[n]!,
    }));
    const facts = await readAgreedChainFacts(endpoints, loanLedger, packageOfArchive(zip).loanId, {
      fromBlock: settings.deployBlock ?? 0,
    });
    const check = await checkArchiveAgainstChain(zip, facts, async (bundle, digest) => {
      return (await checks.verify(bundle, digest)).checks;
    });
    return { ...check, endpoints: settings.chainEndpoints, loanLedger };
  } finally {
    checks.close();
  }
}
