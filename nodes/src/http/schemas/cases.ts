// The overdue road: keeper rounds, arbitration cases, the court's steps.
import { z } from "zod";
import { OutboxEntry } from "./common.ts";

export const KeeperRoundResult = z.object({
  checked: z.int(),
  escalated: z.array(z.string()),
  expired: z.array(z.string()),
  remindersScheduled: z.int(),
  remindersSent: z.int(),
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
