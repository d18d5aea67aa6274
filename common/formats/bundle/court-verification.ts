// One verification as a court's tools report it — the anchor service's POST /v1/verify, the
// court page running in a browser against the court's own chain endpoints, the verifying node's
// signed certificate: every check (verify.ts), the outcome under the checks the options require,
// the TSA-attested evidence time when trustedTime passes, and the trust anchor the chain checks
// were bound to.
import { checkTrustedTime } from "./trusted-time.ts";
import { trustAnchorFingerprint, type TrustAnchor } from "./trust-anchor.ts";
import {
  overall,
  requiredForPass,
  verifyOnline,
  type CheckResult,
  type OnlineOptions,
  type Outcome,
} from "./verify.ts";
import type { EvidenceBundle } from "./bundle.ts";

export type TrustAnchorSummary = {
  name: string;
  chainId: string;
  genesisHash: string;
  consortiumRegistry: string;
  /** trustAnchorFingerprint: what a court compares with the published one. */
  fingerprint: string;
};

export type CourtVerification = {
  overall: Outcome;
  checks: CheckResult[];
  /** Present when trustedTime passes: the time the document existed no later than, and the TSA. */
  trustedTime?: { attestedAt: string; tsa: string };
  trustAnchor: TrustAnchorSummary;
};

export function trustAnchorSummary(anchor: TrustAnchor): TrustAnchorSummary {
  return {
    name: anchor.name,
    chainId: anchor.chainId,
    genesisHash: anchor.genesisHash,
    consortiumRegistry: anchor.consortiumRegistry,
    fingerprint: trustAnchorFingerprint(anchor),
  };
}

export async function verifyForCourt(
  bundle: EvidenceBundle,
  options: OnlineOptions & { trustAnchor: TrustAnchor },
): Promise<CourtVerification> {
  const checks = await verifyOnline(bundle, options);
  // the evidence time a certificate states: the TSA-attested bound when trustedTime passes
  const timed = checks.some((c) => c.id === "trustedTime" && c.outcome === "pass")
    ? await checkTrustedTime(bundle, options.trustedTime)
    : undefined;
  return {
    overall: overall(checks, requiredForPass(options)),
    checks,
    ...(timed?.attestedAt === undefined
      ? {}
      : { trustedTime: { attestedAt: timed.attestedAt, tsa: timed.tsa ?? "" } }),
    trustAnchor: trustAnchorSummary(options.trustAnchor),
  };
}
