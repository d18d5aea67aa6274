// Trusted time (可信时间戳) for an evidence bundle: RFC 3161 time-stamp tokens from independent
// TSAs over the bundle's tree head, and the `trustedTime` check. The chain's block time is set by
// the consortium's own validators, so on its own it is the log operator's side's word; a TSA's
// token is a third party's signed statement that the head (and so every leaf in it) existed at
// its time. The check verifies each token (common/pki/timestamp.ts) against the TSA roots the
// verifier trusts — never the bundle's — and holds the three times against each other: the intake
// receipt's, the anchoring block's and the TSA's. What it proves and the rules: BUNDLE.md,
// "Trusted time".
import { PkiError } from "../../pki/errors.ts";
import { verifyTimestampToken, type VerifiedTimestamp } from "../../pki/timestamp.ts";
import type { TrustAnchors } from "../../pki/trust-anchors.ts";
import { checkReceipt, receiptTimingProblems } from "./anchor-claims.ts";
import { isoOfUnixSeconds, type EvidenceBundle } from "./bundle.ts";

export { TrustedTimeSchema, type TrustedTime } from "./bundle.ts";

/**
 * How far the three clocks — the anchor service's (intake receipt), the validators' (block time)
 * and the TSA's — may disagree, in seconds, on top of the accuracy a token states: NTP keeps
 * honest machines within a second or two; 30 s leaves room for a slow commit without letting a
 * validator stamp blocks minutes ahead. `npm start` refuses a local chain ahead by more.
 */
export const TRUSTED_TIME_TOLERANCE_SECONDS = 30;

/** The tree head a TSA stamps: the log, its size and its root. */
export type StampedHead = { logId: string; treeSize: number; rootHash: string };

/**
 * The message whose SHA-256 a TSA stamps for a tree head: the UTF-8 text
 * `jointledger.tree-head/1\n<logId>\n<treeSize>\n<rootHash>\n` (hex lowercase, size in decimal),
 * so anyone can recompute the imprint with sha256sum.
 */
export function headTimestampMessage(head: StampedHead): Uint8Array {
  return new TextEncoder().encode(
    `jointledger.tree-head/1\n${head.logId.toLowerCase()}\n${head.treeSize}\n${head.rootHash.toLowerCase()}\n`,
  );
}

export type TrustedTimeOptions = {
  /**
   * The TSA roots the verifier trusts (a court's own files, e.g. the national time service's
   * root), never the bundle's. null or absent: trustedTime is indeterminate, whatever the tokens.
   */
  tsaTrustAnchors?: TrustAnchors | null;
  /** Default TRUSTED_TIME_TOLERANCE_SECONDS. */
  toleranceSeconds?: number;
};

export type TrustedTimeResult = {
  outcome: "pass" | "fail" | "indeterminate";
  reason: string;
  /** The TSA-attested bound, when it passes: the earliest trusted token's time. The evidence time a certificate states. */
  attestedAt?: string;
  /** Who attested it. */
  tsa?: string;
};

export const NO_TSA_TRUST_ANCHOR_REASON =
  "no TSA trust anchor was given: a time-stamp token is only as good as the TSA it chains to, so the TSA's time was not relied on";

/** The trustedTime check (BUNDLE.md, "Trusted time"). Never throws. */
export async function checkTrustedTime(
  bundle: EvidenceBundle,
  options: TrustedTimeOptions = {},
): Promise<TrustedTimeResult> {
  const tokens = bundle.trustedTime?.tokens ?? [];
  if (tokens.length === 0) {
    return {
      outcome: "indeterminate",
      reason:
        "the bundle carries no time-stamp token for its tree head (the TSA may not have answered yet): its time rests on the chain's clock alone",
    };
  }
  const anchors = options.tsaTrustAnchors;
  if (anchors === null || anchors === undefined)
    return { outcome: "indeterminate", reason: NO_TSA_TRUST_ANCHOR_REASON };
  const tolerance = options.toleranceSeconds ?? TRUSTED_TIME_TOLERANCE_SECONDS;
  const message = headTimestampMessage({
    logId: bundle.log.logId,
    treeSize: bundle.head.treeSize,
    rootHash: bundle.head.rootHash,
  });
  const broken: string[] = [];
  const untrusted: string[] = [];
  const trusted: (VerifiedTimestamp & { from: string })[] = [];
  for (const [i, t] of tokens.entries()) {
    const name = `token ${i + 1} (${t.tsa})`;
    try {
      const verified = await verifyTimestampToken(
        new Uint8Array(Buffer.from(t.token, "base64")),
        message,
        anchors,
      );
      trusted.push({ ...verified, from: name });
    } catch (e) {
      const code = e instanceof PkiError ? e.code : undefined;
      const why = `${name}: ${e instanceof Error ? e.message : String(e)}`;
      // a token whose math fails was altered or made up; one from a TSA the verifier does not
      // trust (or outside its certificate's life) is simply not evidence for this verifier
      if (code === "PKI_UNTRUSTED_CHAIN" || code === "PKI_NOT_VALID_AT" || code === "PKI_NOT_TIMESTAMPING") {
        untrusted.push(why);
      } else {
        broken.push(why);
      }
    }
  }
  if (broken.length > 0) return { outcome: "fail", reason: broken.join("; ") };
  if (trusted.length === 0) {
    return {
      outcome: "indeterminate",
      reason: `no time-stamp token chains to a trusted TSA root (${untrusted.join("; ")})`,
    };
  }
  const block = bundle.anchor.blockTimestamp;
  const receipt = checkReceipt(bundle);
  const problems: string[] = [];
  for (const t of trusted) {
    const tsaTime = t.genTime.getTime() / 1000;
    const slack = tolerance + t.accuracyMs / 1000;
    if (block > tsaTime + slack) {
      problems.push(
        `the anchoring block's time ${isoOfUnixSeconds(block)} is ${Math.round(block - tsaTime)} s after the time ${t.genTime.toISOString()} the TSA ${t.tsa} attests for this tree head (${t.from}), beyond the ${slack} s tolerance: the chain's clock was ahead, so its block time is not the evidence time`,
      );
    }
    if (receipt.kind === "valid" && tsaTime < receipt.receivedAt - slack) {
      problems.push(
        `the TSA ${t.tsa} stamped the tree head at ${t.genTime.toISOString()}, ${Math.round(receipt.receivedAt - tsaTime)} s before the intake receipt's time ${isoOfUnixSeconds(receipt.receivedAt)}, beyond the ${slack} s tolerance: the service's clock was ahead`,
      );
    }
  }
  // the block against the receipt: not before it, and within its promised merge delay
  problems.push(...receiptTimingProblems(receipt, block, tolerance));
  if (problems.length > 0) return { outcome: "fail", reason: problems.join("; ") };
  const first = trusted.reduce((a, b) => (b.genTime < a.genTime ? b : a));
  const others = trusted.length > 1 ? `; ${trusted.length} trusted tokens agree` : "";
  const withReceipt =
    receipt.kind === "valid"
      ? `the intake receipt's time ${isoOfUnixSeconds(receipt.receivedAt)} and the block time ${isoOfUnixSeconds(block)} agree with it`
      : `the block time ${isoOfUnixSeconds(block)} agrees with it (no valid intake receipt to compare)`;
  return {
    outcome: "pass",
    reason: `the TSA ${first.tsa} attests that the tree head existed at ${first.genTime.toISOString()} (±${first.accuracyMs / 1000} s); ${withReceipt} within ${tolerance} s${others}; evidence time (TSA-attested): no later than ${first.genTime.toISOString()}`,
    attestedAt: first.genTime.toISOString(),
    tsa: first.tsa,
  };
}
