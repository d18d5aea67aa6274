// The evidence bundle ("jointledger.evidence-bundle/1"): one self-contained JSON document that
// lets anyone holding a document check, offline and against the chain, that the document existed
// unchanged since a block time. Field meanings and the checks: BUNDLE.md next to this file;
// verification: verify.ts.
import { isAddress } from "ethers";
import { z } from "zod";
import { BoundedMap } from "../../bounded-map.ts";
import { toHex } from "../../bytes.ts";
import { EVIDENCE_STATES } from "../../chain/generated/enums.ts";
import { CodedError } from "../../errors.ts";
import { jsonFormat } from "../../json/parse.ts";
import { hashLeaf } from "../merkle/rfc9162.ts";
import {
  DigestAlgorithm,
  EvidenceKind,
  LEAF_LENGTH,
  LEAF_VERSION,
  encodeLeaf,
  type EvidenceRecord,
} from "../leaf/leaf.ts";
import { SubmissionProofSchema, type SubmissionProof } from "../receipt/submission.ts";

export const BUNDLE_FORMAT = "jointledger.evidence-bundle/1";

export type BundleErrorCode = "BUNDLE_NOT_JSON" | "BUNDLE_INVALID";

/** A bundle that is not JSON or does not match the schema; the message names every bad field. */
export class BundleFormatError extends CodedError<BundleErrorCode> {}

/** A proof for any tree below 2^53 leaves has at most 53 hashes; more is not a proof. */
const MAX_PROOF_LENGTH = 64;
const MAX_UINT32 = 0xffff_ffff;

const hexBytes = (bytes: number) =>
  z
    .string()
    .regex(
      new RegExp(`^0x[0-9a-fA-F]{${2 * bytes}}$`),
      `must be 0x followed by ${2 * bytes} hex digits (${bytes} bytes)`,
    );
const bytes32 = hexBytes(32);
// Addresses found valid, kept: a service's bundles name the same few contracts and keys, and each
// check costs a Keccak-256 of the address.
const VALID_ADDRESSES = new BoundedMap<string, true>(256);
// Mixed case must be a valid EIP-55 checksum (ethers refuses such an address later otherwise).
const address = hexBytes(20).refine((a) => {
  if (VALID_ADDRESSES.has(a)) return true;
  if (!isAddress(a)) return false;
  VALID_ADDRESSES.set(a, true);
  return true;
}, "bad EIP-55 checksum (use all lowercase or the checksummed form)");
// z.int() is limited to safe integers: what a JSON number carries exactly.
const count = z.int().min(0);
const memberId = z.int().min(1).max(MAX_UINT32);
// UTC only ("Z"), any sub-second precision.
const isoUtc = z.iso.datetime();

const RecordSchema = z.strictObject({
  version: z.literal(LEAF_VERSION),
  kind: z.literal(Object.values(EvidenceKind)),
  digestAlgorithm: z.literal(Object.values(DigestAlgorithm)),
  digest: bytes32,
  salt: bytes32,
  submitter: memberId,
  subject: bytes32,
});

/** Where a head's commit transaction landed; the fields `recommits` may supersede. */
const blockFields = {
  transactionHash: bytes32,
  blockNumber: count,
  blockHash: bytes32,
  blockTimestamp: count,
};

/** At most this many tokens (one per configured TSA) and this large each (a token with its chain is ~2–6 KB). */
const MAX_TOKENS = 8;
const MAX_TOKEN_BASE64 = 65_536;

/** RFC 3161 time-stamp tokens over the bundle's tree head (trusted-time.ts; BUNDLE.md, "Trusted time"). */
export const TrustedTimeSchema = z.strictObject({
  tokens: z
    .array(
      z.strictObject({
        /** Which TSA was asked (its URL), for people; the verifier trusts the token's certificate chain, not this. */
        tsa: z.string().min(1).max(512),
        /** The RFC 3161 TimeStampToken (CMS ContentInfo), DER in base64. */
        token: z
          .string()
          .min(4)
          .max(MAX_TOKEN_BASE64)
          .regex(/^[A-Za-z0-9+/]+={0,2}$/, "must be base64"),
      }),
    )
    .min(1)
    .max(MAX_TOKENS),
});
export type TrustedTime = z.infer<typeof TrustedTimeSchema>;

export const EvidenceBundleSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  leaf: z.strictObject({
    record: RecordSchema,
    encoded: hexBytes(LEAF_LENGTH),
    leafHash: bytes32,
  }),
  log: z.strictObject({
    logId: bytes32,
    operatorMember: memberId,
    leafIndex: count,
  }),
  head: z.strictObject({
    treeSize: z.int().min(1),
    rootHash: bytes32,
    headIndex: count,
  }),
  inclusionProof: z.array(bytes32).max(MAX_PROOF_LENGTH),
  anchor: z
    .strictObject({
      chainId: z.string().regex(/^[1-9][0-9]{0,77}$/, "must be a decimal chain id without leading zeros"),
      evidenceLog: address,
      evidenceRegistry: address,
      consortiumRegistry: address,
      ...blockFields,
      anchoredAt: isoUtc,
    })
    // anchoredAt is what a person reads; it must say the same as the number that is checked.
    .refine((a) => Date.parse(a.anchoredAt) === a.blockTimestamp * 1000, {
      error: "must be blockTimestamp as ISO 8601 UTC",
      path: ["anchoredAt"],
    }),
  recommits: z.array(
    z.strictObject({
      at: isoUtc,
      reason: z.string().min(1),
      ...blockFields,
    }),
  ),
  status: z.strictObject({
    state: z.enum(EVIDENCE_STATES),
    legalHold: z.boolean(),
    replacement: bytes32.nullable(),
    endorsements: z.array(memberId),
    checkedAtBlock: count,
  }),
  receipt: z.unknown().optional(),
  /**
   * The submitter's own signature over its intake request and the leaf's place in it
   * (receipt/submission.ts). Optional in the schema so an older bundle still parses; without it
   * submitterMembership fails.
   */
  submission: SubmissionProofSchema.optional(),
  /**
   * Time-stamp tokens from independent TSAs over `head` (trusted-time.ts). Optional: a head the
   * TSAs have not stamped yet, and older bundles, have none; trustedTime is then indeterminate.
   */
  trustedTime: TrustedTimeSchema.optional(),
  /**
   * A C2SP checkpoint that contains the leaf, cosigned by witnesses (common/formats/checkpoint/),
   * and the leaf's inclusion proof into it. Optional: not yet witnessed, and older bundles.
   */
  witnessed: z
    .strictObject({
      checkpoint: z.string().max(65_536),
      inclusionProof: z.array(bytes32).max(MAX_PROOF_LENGTH),
    })
    .optional(),
  generatedAt: isoUtc,
});

export type EvidenceBundle = z.infer<typeof EvidenceBundleSchema>;
export type BundleStatus = EvidenceBundle["status"];
export type Recommit = EvidenceBundle["recommits"][number];

/** A transaction and block that committed the head; the effective one holds it now: the last recommit, else the anchor. */
export type EffectiveAnchor = {
  transactionHash: string;
  blockNumber: number;
  blockHash: string;
  blockTimestamp: number;
  /** "anchor" or "recommit N" (1-based), for messages. */
  source: string;
};

export function effectiveAnchor(bundle: EvidenceBundle): EffectiveAnchor {
  return anchoringClaims(bundle).at(-1)!;
}

/**
 * Every commit the bundle claims for its head, oldest first: the anchor, then each recommit.
 * The last is the effective anchor; the others are checked by anchor-claims.ts.
 */
export function anchoringClaims(bundle: EvidenceBundle): EffectiveAnchor[] {
  return [bundle.anchor, ...bundle.recommits].map((from, i) => ({
    transactionHash: from.transactionHash,
    blockNumber: from.blockNumber,
    blockHash: from.blockHash,
    blockTimestamp: from.blockTimestamp,
    source: i === 0 ? "anchor" : `recommit ${i}`,
  }));
}

const BUNDLE_JSON = jsonFormat(EvidenceBundleSchema, "bundle", {
  invalid: (issues) => new BundleFormatError("BUNDLE_INVALID", `invalid evidence bundle: ${issues}`),
  notJson: (message) => new BundleFormatError("BUNDLE_NOT_JSON", `evidence bundle is not JSON: ${message}`),
});

/** Validates an already-parsed JSON value; throws BundleFormatError naming every bad field. */
export const parseBundle: (value: unknown) => EvidenceBundle = BUNDLE_JSON.parse;

/** JSON text → bundle. */
export const parseBundleJson: (text: string) => EvidenceBundle = BUNDLE_JSON.parseJson;

export type BundleInput = {
  record: EvidenceRecord;
  log: EvidenceBundle["log"];
  head: EvidenceBundle["head"];
  inclusionProof: readonly (string | Uint8Array)[];
  anchor: {
    chainId: bigint | number | string;
    evidenceLog: string;
    evidenceRegistry: string;
    consortiumRegistry: string;
    transactionHash: string;
    blockNumber: number;
    blockHash: string;
    blockTimestamp: number;
  };
  recommits?: readonly Recommit[];
  status: BundleStatus;
  receipt?: unknown;
  submission?: SubmissionProof;
  trustedTime?: TrustedTime | undefined;
  witnessed?: { checkpoint: string; inclusionProof: readonly (string | Uint8Array)[] } | undefined;
  /** Defaults to now. */
  generatedAt?: Date;
};

/**
 * Assembles a bundle: encodes the leaf, hashes it, formats the times, and validates the result
 * against the schema (BundleFormatError on bad input). It does not check the proof: that is
 * verifyOffline's job, and a builder that trusted itself would hide its own bugs.
 */
export function buildBundle(input: BundleInput): EvidenceBundle {
  const encoded = encodeLeaf(input.record);
  const bundle = {
    format: BUNDLE_FORMAT,
    leaf: { record: { ...input.record }, encoded: toHex(encoded), leafHash: toHex(hashLeaf(encoded)) },
    log: { ...input.log },
    head: { ...input.head },
    inclusionProof: input.inclusionProof.map((p) => (typeof p === "string" ? p : toHex(p))),
    anchor: {
      chainId: String(input.anchor.chainId),
      evidenceLog: input.anchor.evidenceLog,
      evidenceRegistry: input.anchor.evidenceRegistry,
      consortiumRegistry: input.anchor.consortiumRegistry,
      transactionHash: input.anchor.transactionHash,
      blockNumber: input.anchor.blockNumber,
      blockHash: input.anchor.blockHash,
      blockTimestamp: input.anchor.blockTimestamp,
      anchoredAt: isoOfUnixSeconds(input.anchor.blockTimestamp),
    },
    recommits: (input.recommits ?? []).map((r) => ({ ...r })),
    status: { ...input.status, endorsements: [...input.status.endorsements] },
    ...(input.receipt === undefined ? {} : { receipt: input.receipt }),
    ...(input.submission === undefined
      ? {}
      : { submission: { ...input.submission, proof: [...input.submission.proof] } }),
    ...(input.trustedTime === undefined
      ? {}
      : { trustedTime: { tokens: input.trustedTime.tokens.map((t) => ({ ...t })) } }),
    ...(input.witnessed === undefined
      ? {}
      : {
          witnessed: {
            checkpoint: input.witnessed.checkpoint,
            inclusionProof: input.witnessed.inclusionProof.map((p) => (typeof p === "string" ? p : toHex(p))),
          },
        }),
    generatedAt: (input.generatedAt ?? new Date()).toISOString(),
  };
  return parseBundle(bundle);
}

/** Unix seconds → "2025-03-01T08:00:00.000Z". */
export function isoOfUnixSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
