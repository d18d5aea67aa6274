// The submitter's own signature over what it submits: one EIP-712 signature per intake request,
// over the RFC 9162 root of the request's leaf hashes in request order (the same tree the
// receipts use, receipts.ts). The request signature (common/auth/request-signing.ts) authenticates
// the HTTP request to the anchor service only, and the log's contents are whatever its operator
// commits; without this signature the operator could put evidence in another member's name and
// it would verify. With it, a bundle shows that an account of the leaf's submitter signed the leaf.
import { getAddress } from "ethers";
import { recoverAddressOf } from "../../crypto/secp256k1.ts";
import { z } from "zod";
import { fromHex, toHex } from "../../bytes.ts";
import { inclusionProof, memoRangeHasher, verifyInclusion, type RangeHasher } from "../merkle/rfc9162.ts";
import {
  checkedAddress,
  checkedChainId,
  mutableTypes,
  parseSignature,
  typedDataHash,
} from "../../auth/eip712.ts";
import type { Eip712Domain, Eip712Types, TypedDataSigner } from "../../auth/eip712.ts";

/** The header the submitting client sends its submission signature in. */
export const SUBMISSION_SIGNATURE_HEADER = "x-jl-submission-signature";

/** verifyingContract: the EvidenceLog the records are submitted to. */
export type SubmissionDomain = Eip712Domain<"JointLedger Evidence Submission">;

/** Field order is part of the format. */
export const SUBMISSION_TYPES = {
  EvidenceSubmission: [
    { name: "logId", type: "bytes32" },
    { name: "batchRoot", type: "bytes32" },
  ],
} as const satisfies Eip712Types;

const TYPES = mutableTypes(SUBMISSION_TYPES);
const MAX_PROOF_LENGTH = 64;

const hash32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be 0x followed by 40 hex digits");
const signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be 0x followed by 130 hex digits");

/**
 * A leaf's submission proof, as a bundle carries it: the request's signed root, the leaf's index
 * among the request's records and its inclusion proof there. Its own tree, not the receipt's: a
 * request may repeat records stored before, which the receipt batch leaves out.
 */
export const SubmissionProofSchema = z.strictObject({
  batchRoot: hash32,
  /** The number of records in the signed request. */
  count: z.int().min(1),
  /** The leaf's index among them. */
  index: z.int().min(0),
  proof: z.array(hash32).max(MAX_PROOF_LENGTH),
  /** EIP-712 EvidenceSubmission(logId, batchRoot) by `signer`. */
  signature,
  signer: address,
});
export type SubmissionProof = z.infer<typeof SubmissionProofSchema>;

export function submissionDomain(chainId: bigint, evidenceLog: string): SubmissionDomain {
  return {
    name: "JointLedger Evidence Submission",
    version: "1",
    chainId: checkedChainId(chainId),
    verifyingContract: checkedAddress("evidenceLog", evidenceLog),
  };
}

function checkedLogId(logId: string): string {
  if (typeof logId !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(logId) || /^0x0{64}$/.test(logId)) {
    throw new RangeError(`logId must be a non-zero 0x-prefixed bytes32, got ${String(logId)}`);
  }
  return logId.toLowerCase();
}

/** The root a request's submission signature covers: RFC 9162 MTH over its leaf hashes, in request order. */
export function submissionRoot(
  leafHashes: readonly Uint8Array[],
  rangeHash: RangeHasher = memoRangeHasher(leafHashes),
): string {
  if (leafHashes.length === 0) throw new RangeError("a submission needs at least one leaf hash");
  return toHex(rangeHash(0, leafHashes.length));
}

/** The EIP-712 digest of EvidenceSubmission(logId, batchRoot). */
export function submissionDigest(domain: SubmissionDomain, logId: string, batchRoot: string): string {
  return typedDataHash(domain, TYPES, { logId: checkedLogId(logId), batchRoot });
}

/** What the submitting client signs for one request of `leafHashes`. */
export async function signSubmission(
  signer: TypedDataSigner,
  domain: SubmissionDomain,
  logId: string,
  leafHashes: readonly Uint8Array[],
): Promise<{ batchRoot: string; signature: string }> {
  const batchRoot = submissionRoot(leafHashes);
  const signature = await signer.signTypedData(domain, TYPES, { logId: checkedLogId(logId), batchRoot });
  return { batchRoot, signature };
}

/**
 * The account that signed EvidenceSubmission(logId, batchRoot), or a sentence saying why the
 * signature is not one. Never throws for a bad signature: it arrives from outside.
 */
export function recoverSubmitter(
  domain: SubmissionDomain,
  logId: string,
  batchRoot: string,
  signatureHex: string,
): { signer: string } | { error: string } {
  const sig = parseSignature(signatureHex);
  if (typeof sig === "string") return { error: `the submission signature ${sig}` };
  try {
    return { signer: recoverAddressOf(submissionDigest(domain, logId, batchRoot), sig) };
  } catch (e) {
    return { error: `the submission signature does not recover to an account (${(e as Error).message})` };
  }
}

/** The submission proof of leaf `index` of a request whose signed root is over `leafHashes`. */
export function submissionProofOf(
  leafHashes: readonly Uint8Array[],
  index: number,
  signed: { signature: string; signer: string },
  rangeHash: RangeHasher = memoRangeHasher(leafHashes),
): SubmissionProof {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leafHashes.length) {
    throw new RangeError(`index ${index} is outside the request's ${leafHashes.length} records`);
  }
  return {
    batchRoot: submissionRoot(leafHashes, rangeHash),
    count: leafHashes.length,
    index,
    proof: inclusionProof(index, leafHashes.length, rangeHash).map(toHex),
    signature: signed.signature,
    signer: getAddress(signed.signer),
  };
}

export type SubmissionCheck = { ok: true; signer: string } | { ok: false; reason: string };

/**
 * A bundle's submission proof, offline: it parses, places `leafHash` in the signed root, and its
 * signature over (logId, root) recovers to the signer it names. Whose account that is needs the
 * chain (the verifier's submitterMembership check).
 */
export function checkSubmissionProof(
  domain: SubmissionDomain,
  logId: string,
  leafHash: string,
  value: unknown,
): SubmissionCheck {
  const parsed = SubmissionProofSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      ok: false,
      reason: `the submission proof is malformed (${["submission", ...issue.path].join(".")}: ${issue.message})`,
    };
  }
  const s = parsed.data;
  let named: string;
  try {
    named = getAddress(s.signer);
  } catch {
    return {
      ok: false,
      reason: `the submission proof names signer ${s.signer}, whose mixed case is not a valid EIP-55 checksum`,
    };
  }
  if (s.index >= s.count)
    return {
      ok: false,
      reason: `the submission proof puts the leaf at index ${s.index} of a request of ${s.count} records`,
    };
  if (!verifyInclusion(s.index, s.count, fromHex(leafHash), s.proof.map(fromHex), fromHex(s.batchRoot))) {
    return {
      ok: false,
      reason: `the submission proof does not place leaf ${leafHash.toLowerCase()} at index ${s.index} of the signed root ${s.batchRoot.toLowerCase()}`,
    };
  }
  const recovered = recoverSubmitter(domain, logId, s.batchRoot, s.signature);
  if ("error" in recovered) return { ok: false, reason: recovered.error };
  if (recovered.signer !== named) {
    return {
      ok: false,
      reason: `the submission signature over root ${s.batchRoot.toLowerCase()} recovers to ${recovered.signer}, not to the signer it names, ${named}`,
    };
  }
  return { ok: true, signer: named };
}
