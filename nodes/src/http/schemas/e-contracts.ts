// Electronic contracts (电子合同): a draft generated from an application, and a signed contract's verification.
import { z } from "zod";
import { ENDORSEMENTS_PER_REQUEST } from "../../e-contract/endorsements.ts";
import { hex32 } from "./common.ts";

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD");

export const ApplicationIdParams = z.strictObject({ applicationId: z.string().min(1).max(64) });

export const ContractDraftBody = z.strictObject({
  startDate: day.describe("the disbursement date the approval will use (Asia/Shanghai)"),
  platformShareBps: z
    .int()
    .min(0)
    .max(10_000)
    .describe("the platform co-funder's share, as the approval will register it (0: the branch alone)"),
});

export const ContractDraft = z.object({
  contractNumber: z.string(),
  contractPdfBase64: z.string().describe("the contract: the key-facts sheet, the articles and the schedule"),
  keyFactsPdfBase64: z.string().describe("the one-page key-facts sheet (关键信息摘要)"),
  contractDigest: hex32.describe("SHA-256 of the unsigned contract"),
  allInAprBps: z.int().describe("综合年化成本, as the ledger caps it"),
  totalRepaidFen: z.string(),
});

export const SignedContractBody = z.strictObject({
  contractBase64: z
    .string()
    .min(1)
    .describe("the contract signed by the borrower and sealed by the branch (PAdES)"),
});

const Signer = z.object({
  subject: z.string(),
  issuer: z.string(),
  role: z.enum(["borrower", "branchSeal"]).optional(),
  signingTime: z.string(),
  chain: z.array(z.string()),
});
export const ContractVerified = z.object({ contractDigest: hex32, signatures: z.array(Signer) });

export const EndorsementBody = z.strictObject({
  loanId: hex32.describe("the joint loan whose contract is to be endorsed"),
  leafHash: hex32.describe("the contract's evidence leaf, as the ledger registered it with the loan"),
});
export const EndorsementQueued = z.object({
  serial: z.string().describe("the platform's endorseEvidence outbox entry"),
  state: z.string(),
});
export const EndorsementsBody = z.strictObject({
  endorsements: z.array(EndorsementBody).min(1).max(ENDORSEMENTS_PER_REQUEST),
});
export const EndorsementsQueued = z.object({
  endorsements: z
    .array(EndorsementQueued)
    .describe("each contract's endorseEvidence entry, in the order asked"),
});
export const ContractEndorsementView = z.object({
  loanId: hex32,
  leafHash: hex32,
  platform: z.int().describe("the co-funder that endorses (0: none)"),
  state: z.enum(["anchored", "registering", "endorsing", "done", "failed"]),
  failure: z.object({ code: z.string(), message: z.string() }).optional(),
  lastError: z.string().optional(),
  chain: z.object({
    state: z.string().describe("the EvidenceRegistry's state of the leaf (Unknown until registered)"),
    submitter: z.int(),
    endorsers: z.array(z.int()),
  }),
});
