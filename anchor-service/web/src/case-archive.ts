// The case archive's checks for the court page, bundled by build.ts into ../case-archive-verifier.js:
// the node's own archive verifier (nodes/src/court-package/verify-archive.ts), run on the clerk's
// computer over the archive's bytes with nothing fetched; and, where the page's configuration names
// the court's chain endpoints and the loan ledger, the court's whole package check run here too —
// each item's bundle against the EvidenceLog heads on chain, the items together against the loan's
// evidenceChain on JointLoanLedger — over JSON-RPC to those endpoints alone.
import { readChainFacts } from "../../../nodes/src/court-package/chain-facts.ts";
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
    const facts = await readChainFacts(checks.providers[0]!, loanLedger, packageOfArchive(zip).loanId);
    const check = await checkArchiveAgainstChain(zip, facts, async (bundle, digest) => {
      return (await checks.verify(bundle, digest)).checks;
    });
    return { ...check, endpoints: settings.chainEndpoints, loanLedger };
  } finally {
    checks.close();
  }
}
