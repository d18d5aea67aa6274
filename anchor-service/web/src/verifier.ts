// The court page's own verification, bundled for the browser by build.ts into ../verifier.js:
// the witnesses of a bundle's checkpoint against the court's tlog-policy file. Everything here is
// the shared verifier library (common/formats), run on the clerk's computer.
import type { EvidenceBundle } from "../../../common/formats/bundle/bundle.ts";
import { witnessReport, type WitnessReport } from "../../../common/formats/bundle/cosignatures.ts";
import { parsePolicy } from "../../../common/formats/checkpoint/policy.ts";

export type PageWitnesses = WitnessReport | { policyError: string };

/** The checkpoint's signatures judged against the policy text (null: none given). */
export function witnessesOf(bundle: EvidenceBundle, policyText: string | null): PageWitnesses {
  let policy;
  try {
    policy = policyText === null ? undefined : parsePolicy(policyText);
  } catch (e) {
    return { policyError: e instanceof Error ? e.message : String(e) };
  }
  return witnessReport(bundle, policy);
}
