// The verifying node's machine-readable report of one verification (jointledger.verification-report/1),
// shaped like the simple and detailed reports of the EU's DSS validation service: one overall
// indication with its sub-indication, and each check's indication, sub-indication and reason.
// Indications are ETSI EN 319 102-1's (TOTAL_PASSED, TOTAL_FAILED, INDETERMINATE; per check
// PASSED, FAILED, INDETERMINATE); sub-indications use that standard's names where one fits
// (HASH_FAILURE, FORMAT_FAILURE, REVOKED, TRY_LATER, NO_POE, SIGNED_DATA_NOT_FOUND,
// TIMESTAMP_ORDER_FAILURE, CHAIN_CONSTRAINTS_FAILURE) and say what failed otherwise.
import { createHash } from "node:crypto";
import { effectiveAnchor, type EvidenceBundle } from "../../../common/formats/bundle/bundle.ts";
import type { CourtVerification } from "../../../common/formats/bundle/court-verification.ts";
import type { WitnessReport } from "../../../common/formats/bundle/cosignatures.ts";
import type { CheckId, CheckResult, Outcome } from "../../../common/formats/bundle/verify.ts";
import { identityOf, type MemberDirectory } from "../../../common/consortium/member-directory.ts";
import type { MemberIdentity } from "../../../common/consortium/uscc.ts";

export const REPORT_FORMAT = "jointledger.verification-report/1";

export type Indication = "PASSED" | "FAILED" | "INDETERMINATE";
export type ReportCheck = {
  id: CheckId | "witnesses";
  indication: Indication;
  subIndication?: string;
  reason: string;
};

export type VerificationReport = {
  format: typeof REPORT_FORMAT;
  /** JLR-<Beijing date>-<10 hex>: the name it is looked up by (GET /verify/reports/:reportId). */
  reportId: string;
  validationTime: string;
  verifier: { memberId: number; node: string; seal: string | null };
  /** What was applied: the trust anchor, confirmations, the membership rule, the witness policy, the TSA roots. */
  policy: {
    trustAnchor: CourtVerification["trustAnchor"];
    chainEndpoints: string[];
    minConfirmations: number;
    membershipRule: string;
    witnessQuorum: { threshold: number; of: string[] } | null;
    tsaRoots: string[];
  };
  evidence: {
    leafHash: string;
    leafIndex: number;
    documentDigest: string | null;
    digestAlgorithm: "SHA-256" | "SM3";
    recordedDigest: string;
    submitter: number;
    chainId: string;
    genesisHash: string;
    consortiumRegistry: string;
    evidenceLog: string;
    evidenceRegistry: string;
    blockNumber: number;
    blockHash: string;
    blockTime: string;
    transactionHash: string;
    rootHash: string;
    treeSize: number;
    /** The TSA-attested bound when trustedTime passed: the evidence time the certificate states. */
    tsaTime: string | null;
    tsa: string | null;
  };
  witnesses: WitnessReport["signatures"];
  /**
   * The members the report names (the submitter, the verifying node) by their legal names in both
   * languages and unified social credit codes, from the governed member directory; "none" when the
   * node has no directory or the chain's digest refutes its file (reason), the ids standing alone.
   */
  members: MemberNames;
  simpleReport: { indication: "TOTAL_PASSED" | "TOTAL_FAILED" | "INDETERMINATE"; subIndication?: string };
  detailedReport: { checks: ReportCheck[] };
  /**
   * Set when the evidence's chain is a development chain (its id among the node's test chain ids,
   * the rule GET /v1/environment states): whatever the indication, the report proves nothing.
   */
  testEnvironment: { chainId: string; notice: typeof TEST_ENVIRONMENT_NOTICE } | null;
};

/** How a report and its certificate say they come from a development chain, Chinese first. */
export const TEST_ENVIRONMENT_NOTICE = "测试环境 — 非正式证据 / Test environment — not evidence";

/** The report's test-environment mark for evidence on chain `chainId`: a development chain's is set. */
export function testEnvironmentOf(
  chainId: string,
  testChainIds: readonly number[],
): VerificationReport["testEnvironment"] {
  const development = testChainIds.some((id) => BigInt(id) === BigInt(chainId));
  return development ? { chainId, notice: TEST_ENVIRONMENT_NOTICE } : null;
}

export type MemberNames =
  { source: "governed-directory"; names: MemberIdentity[] } | { source: "none"; reason: string; names: [] };

/** The identities of `memberIds` in the governed `directory` (an id it does not list: none). */
export function memberNames(directory: MemberDirectory, memberIds: readonly number[]): MemberNames {
  const names = [...new Set(memberIds)].flatMap((id) => {
    const entry = identityOf(directory, id);
    return entry === undefined
      ? []
      : [{ memberId: id, nameZh: entry.nameZh, nameEn: entry.nameEn, uscc: entry.uscc }];
  });
  return { source: "governed-directory", names };
}

export const MEMBERSHIP_RULE =
  "the submitter was an active consortium member at the anchoring block and signed the submission with one of its operations keys (ConsortiumRegistry history)";

const FAILED_SUB: Record<ReportCheck["id"], string> = {
  digest: "HASH_FAILURE",
  leafEncoding: "FORMAT_FAILURE",
  merklePath: "HASH_FAILURE",
  headOnChain: "NOT_ON_TRUSTED_CHAIN",
  blockAndTime: "BLOCK_MISMATCH",
  finality: "NOT_FINAL",
  submitterMembership: "CHAIN_CONSTRAINTS_FAILURE",
  lifecycle: "REVOKED",
  trustedTime: "TIMESTAMP_ORDER_FAILURE",
  witnesses: "WITNESS_QUORUM_FAILURE",
};

const INDICATION: Record<Outcome, Indication> = {
  pass: "PASSED",
  fail: "FAILED",
  indeterminate: "INDETERMINATE",
};

/** A check as the detailed report states it. */
export function reportCheck(
  check: Pick<CheckResult, "outcome" | "reason"> & { id: ReportCheck["id"] },
): ReportCheck {
  const indication = INDICATION[check.outcome];
  const subIndication =
    indication === "FAILED"
      ? FAILED_SUB[check.id]
      : indication === "PASSED"
        ? undefined
        : /could not be asked|could not serve/.test(check.reason)
          ? "TRY_LATER"
          : check.id === "digest"
            ? "SIGNED_DATA_NOT_FOUND"
            : "NO_POE";
  return {
    id: check.id,
    indication,
    ...(subIndication === undefined ? {} : { subIndication }),
    reason: check.reason,
  };
}

/** The overall indication: any failure fails, the verification's outcome and the witnesses' under a policy otherwise. */
export function simpleReport(
  verification: CourtVerification,
  witnesses: ReportCheck | null,
  documentGiven: boolean,
) {
  const checks = [...verification.checks.map(reportCheck), ...(witnesses === null ? [] : [witnesses])];
  const failed = checks.find((c) => c.indication === "FAILED");
  if (failed !== undefined)
    return { indication: "TOTAL_FAILED" as const, subIndication: failed.subIndication! };
  const blockAndTime = verification.checks.find((c) => c.id === "blockAndTime")?.outcome;
  const undecided = checks.find(
    (c) => c.indication === "INDETERMINATE" && (c.id !== "digest" || documentGiven),
  );
  if (verification.overall === "pass" && blockAndTime === "pass" && undecided === undefined && documentGiven)
    return { indication: "TOTAL_PASSED" as const };
  return {
    indication: "INDETERMINATE" as const,
    subIndication: documentGiven ? (undecided?.subIndication ?? "NO_POE") : "SIGNED_DATA_NOT_FOUND",
  };
}

/** JLR-<Beijing date>-<10 hex digits> over the leaf, the digest, the moment, the outcomes and the node. */
export function reportIdOf(parts: {
  leafHash: string;
  digest: string | null;
  at: Date;
  checks: ReportCheck[];
  node: string;
}): string {
  const summary = JSON.stringify({
    ...parts,
    at: parts.at.toISOString(),
    checks: parts.checks.map((c) => [c.id, c.indication]),
  });
  const hash = createHash("sha256").update(summary).digest("hex");
  const beijing = new Date(parts.at.getTime() + 8 * 3600_000).toISOString().slice(0, 10).replaceAll("-", "");
  return `JLR-${beijing}-${hash.slice(0, 10).toUpperCase()}`;
}

export function evidenceFacts(
  bundle: EvidenceBundle,
  verification: CourtVerification,
  documentDigest: string | null,
): VerificationReport["evidence"] {
  const at = effectiveAnchor(bundle);
  return {
    leafHash: bundle.leaf.leafHash.toLowerCase(),
    leafIndex: bundle.log.leafIndex,
    documentDigest,
    digestAlgorithm: bundle.leaf.record.digestAlgorithm === 2 ? "SM3" : "SHA-256",
    recordedDigest: bundle.leaf.record.digest.toLowerCase(),
    submitter: bundle.leaf.record.submitter,
    chainId: bundle.anchor.chainId,
    genesisHash: verification.trustAnchor.genesisHash,
    consortiumRegistry: bundle.anchor.consortiumRegistry.toLowerCase(),
    evidenceLog: bundle.anchor.evidenceLog.toLowerCase(),
    evidenceRegistry: bundle.anchor.evidenceRegistry.toLowerCase(),
    blockNumber: at.blockNumber,
    blockHash: at.blockHash.toLowerCase(),
    blockTime: new Date(at.blockTimestamp * 1000).toISOString(),
    transactionHash: at.transactionHash.toLowerCase(),
    rootHash: bundle.head.rootHash.toLowerCase(),
    treeSize: bundle.head.treeSize,
    tsaTime: verification.trustedTime?.attestedAt ?? null,
    tsa: verification.trustedTime?.tsa ?? null,
  };
}
