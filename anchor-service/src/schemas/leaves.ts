// Request and response schemas of the evidence routes (zod, turned into OpenAPI at /docs).
import { z } from "zod";
import { ReceiptSchema } from "../../../common/formats/receipt/receipts.ts";
import { DigestAlgorithm, EvidenceKind } from "../../../common/formats/leaf/leaf.ts";

export const bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits (32 bytes)");

/** One evidence record as a member submits it (the leaf record of common/formats/leaf/LEAF.md). */
export const SubmittedRecord = z.strictObject({
  version: z.literal(1).default(1).describe("leaf format version; 1"),
  kind: z
    .literal(Object.values(EvidenceKind))
    .describe(
      "1 contract, 2 consent, 3 credit query, 4 fund-flow voucher, 5 ruling, 6 lifecycle notice, 7 document, 8 credit decision",
    ),
  digestAlgorithm: z.literal(Object.values(DigestAlgorithm)).describe("1 SHA-256, 2 SM3"),
  digest: bytes32.describe("the document's digest"),
  salt: bytes32.describe("32 random bytes chosen by the submitter; keep it with the document"),
  submitter: z
    .int()
    .min(1)
    .max(2 ** 32 - 1)
    .optional()
    .describe("your member id; defaults to the signer's"),
  subject: bytes32
    .default(`0x${"00".repeat(32)}`)
    .describe("what the evidence is about, e.g. a loan id; zero for none"),
});

export const SubmitBody = z.strictObject({
  records: z.array(SubmittedRecord).min(1, "send at least one record"),
});

export const SubmitResponse = z.object({ receipts: z.array(ReceiptSchema) });

export const LeafParams = z.strictObject({ leafHash: bytes32 });

const HeadView = z.object({
  treeSize: z.int(),
  rootHash: z.string(),
  chainIndex: z.int(),
  transactionHash: z.string(),
  blockNumber: z.int(),
  blockHash: z.string(),
  blockTimestamp: z.int(),
  anchoredAt: z.string(),
  onChain: z.boolean(),
  lost: z.object({ detectedAt: z.string(), reason: z.string() }).optional(),
  recommitted: z.boolean(),
});

export const LeafResponse = z.object({
  leafHash: z.string(),
  sequence: z.int(),
  status: z.enum(["pending", "anchored"]),
  record: z.object({
    version: z.int(),
    kind: z.int(),
    digestAlgorithm: z.int(),
    digest: z.string(),
    salt: z.string(),
    submitter: z.int(),
    subject: z.string(),
  }),
  head: HeadView.optional(),
  inclusionProof: z.array(z.string()).optional(),
  bundle: z
    .object({
      witnessed: z
        .boolean()
        .describe(
          "a checkpoint the witness policy's quorum cosigned holds this leaf (the bundle's `witnessed`)",
        ),
      trustedTime: z
        .boolean()
        .describe("the TSAs' tokens over its head are stored (the bundle's `trustedTime`)"),
    })
    .optional()
    .describe(
      "once anchored: what GET /v1/bundles/{leafHash} carries now, so a client polls this and fetches the bundle once",
    ),
});

export const HeadsQuery = z.strictObject({
  from: z.coerce.number().int().min(0).default(0).describe("smallest tree size to list"),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const HeadsResponse = z.object({ heads: z.array(HeadView) });

// numbers only here; the range itself (0 ≤ from ≤ to ≤ size, to ≥ 1) is checked against the
// log and answered with ANCHOR_ERR_BAD_RANGE
export const ConsistencyQuery = z.strictObject({
  from: z.coerce.number().int(),
  to: z.coerce.number().int(),
});
export const ConsistencyResponse = z.object({
  from: z.int(),
  to: z.int(),
  fromRoot: z.string(),
  toRoot: z.string(),
  proof: z.array(z.string()),
});

export const VerifyBody = z.strictObject({
  bundle: z.unknown().describe("an evidence bundle (format jointledger.evidence-bundle/1)"),
  documentDigest: bytes32.optional().describe("the document's digest, computed by the caller"),
});
export const VerifyResponse = z.object({
  overall: z.enum(["pass", "fail", "indeterminate"]),
  checks: z.array(
    z.object({ id: z.string(), outcome: z.enum(["pass", "fail", "indeterminate"]), reason: z.string() }),
  ),
});

export const ErrorResponse = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
