// The overdue road: keeper rounds, arbitration cases, the court's steps.
import { z } from "zod";
import { OutboxEntry } from "./common.ts";
import { ITEM_OUTCOMES } from "../../court-package/check.ts";

export const KeeperRoundResult = z.object({
  checked: z.int(),
  escalated: z.array(z.string()),
  expired: z.array(z.string()),
  remindersScheduled: z.int(),
  remindersSent: z.int(),
  held: z.array(z.strictObject({ loanId: z.string(), waitingFor: z.enum(["reminder", "mediation"]) })),
  mediationsOpened: z.array(z.string()),
});

/** A loan's notices: each attempt with its receipts and evidence leaf (the text itself only as its digest). */
export const LoanNotices = z.strictObject({
  loanId: z.string(),
  notices: z.array(
    z.looseObject({
      noticeId: z.string(),
      templateId: z.string(),
      contentDigest: z.string(),
      channel: z.string(),
      status: z.enum(["delivered", "failed"]),
      attempt: z.int(),
      receipts: z.array(z.looseObject({ status: z.string(), at: z.int() })),
      leafHash: z.string(),
    }),
  ),
});

/** The loan's mediation case (调解): plan, answer, evidence. */
export const MediationView = z.looseObject({
  mediationId: z.string(),
  loanId: z.string(),
  status: z.enum(["proposed", "accepted", "refused", "lapsed", "breached", "performed"]),
  openedAt: z.int(),
  answerBy: z.int(),
  amountDueFen: z.string(),
  plan: z.looseObject({ aprBps: z.int(), allInAprBps: z.int(), capBps: z.int(), termMonths: z.int() }),
});
export const MediationAgreement = z.strictObject({
  agreementPdfBase64: z.string().describe("the settlement agreement to sign (borrower) and seal (branch)"),
});
export const MediationAcceptanceBody = z.strictObject({
  signedAgreementBase64: z
    .string()
    .min(1)
    .max(22_000_000)
    .describe("the agreement as drafted, signed by the borrower and sealed by the branch"),
});

export const CaseView = z.looseObject({
  loanId: z.string(),
  stage: z.string(),
  caseId: z.string().nullable(),
  court: z.int().nullable(),
  history: z.array(z.looseObject({ stage: z.string() })),
});
export const AssignCourtBody = z.strictObject({ court: z.int().min(1).max(0xffff_ffff) });
/** A case step written through the outbox. */
export const CaseStep = z.looseObject({
  loanId: z.string(),
  caseId: z.string(),
  outbox: OutboxEntry.optional(),
});
export const CaseDocumentsFetched = z.looseObject({
  loanId: z.string(),
  caseId: z.string(),
  stored: z.unknown(),
  sources: z.unknown(),
});
export const RulingBody = z.strictObject({ rulingBase64: z.base64().min(1) });

/** A record pending anchoring: its role, label and leaf, since when the node has held it (ISO; null: unknown). */
const PendingItem = z.strictObject({
  role: z.string(),
  label: z.string(),
  leafHash: z.string(),
  since: z.string().nullable(),
});

/** The loan's evidence set as the owning node hands it to the assigned court. */
export const EvidenceSet = z.strictObject({
  loanId: z.string(),
  owner: z.int(),
  items: z.array(
    z.strictObject({
      role: z.string(),
      label: z.string(),
      leafHash: z.string(),
      originalBase64: z.string(),
      bundle: z.unknown(),
    }),
  ),
  /** The loan's application: the loan id is loanIdOf(originator, keccak256(applicationId)). */
  application: z
    .strictObject({ applicationId: z.string(), originator: z.int(), recordId: z.string() })
    .optional(),
  /** Records held but under no committed log head yet: named, with since when (not withheld). */
  pending: z.array(PendingItem).optional(),
});

/** The court's check of the package against the chain (court-package/check.ts). */
export const PackageCheckResult = z.looseObject({
  loanId: z.string(),
  from: z.int(),
  ok: z.boolean(),
  verdict: z
    .enum(["verified", "verified-with-exceptions", "incomplete", "not-verified"])
    .describe("incomplete: nothing failed, but records are pending anchoring"),
  verdictSummary: z.string().describe("the verdict in words, Chinese first, then English"),
  pending: z.array(PendingItem),
  evidenceChain: z.strictObject({
    onChain: z.string(),
    reproduced: z.string().nullable(),
    matches: z.boolean(),
  }),
  items: z.array(
    z.looseObject({
      role: z.string(),
      label: z.string(),
      leafHash: z.string(),
      outcome: z
        .enum(ITEM_OUTCOMES)
        .describe(
          "one status per item; original-verified: the original is the anchored one, another check failed",
        ),
      reason: z.string().describe("what passed and what did not, consistent with the outcome"),
      summary: z.string().describe("the status and the checks by result, Chinese first, then English"),
      passed: z.array(z.string()),
      failed: z.array(z.strictObject({ id: z.string(), reason: z.string() })),
      undetermined: z.array(z.string()),
    }),
  ),
  application: z
    .looseObject({ applicationId: z.string(), originator: z.int(), matches: z.boolean() })
    .nullable(),
  missing: z.array(z.strictObject({ role: z.string(), label: z.string(), chainValue: z.string() })),
});

/** A nightly post-loan batch run (post-loan/batch.ts). */
export const PostLoanRunParams = z.strictObject({ runId: z.string().regex(/^[0-9A-Za-z._-]{1,64}$/) });
export const PostLoanRun = z.strictObject({
  runId: z.string(),
  startedAt: z.int(),
  finishedAt: z.int().nullable(),
  cursor: z.string().nullable(),
  scanned: z.int(),
  warnings: z.strictObject({ red: z.int(), orange: z.int(), yellow: z.int() }),
  creditQueries: z.strictObject({ made: z.int(), outOfScope: z.int(), failed: z.int() }),
  resumed: z.int(),
});
export const EarlyWarningsCsv = z
  .string()
  .describe("loan_id,branch,level,five_level,days_past_due,…,credit_score,reasons (CRLF)");
export const EarlyWarnings = z.strictObject({
  runId: z.string(),
  warnings: z.array(
    z.strictObject({
      loanId: z.string(),
      branch: z.int(),
      level: z.enum(["red", "orange", "yellow"]),
      reasons: z.array(z.string()),
      daysPastDue: z.int(),
      exposureFen: z.string(),
      exposureBeforeFen: z.string().nullable(),
      newLoansElsewhere: z.int(),
      fiveLevel: z.enum(["正常", "关注", "次级", "可疑", "损失"]).describe("五级分类 by days past due"),
      creditReport: z
        .strictObject({ score: z.int(), overdueAccounts: z.int(), worstOverdueDays: z.int() })
        .nullable()
        .describe("the post-loan credit re-query's figures, when this run made one"),
    }),
  ),
});

export const CaseArchive = z
  .any()
  .describe("the case archive (application/zip): manifest.json, certificate.pdf, originals/, bundles/");
