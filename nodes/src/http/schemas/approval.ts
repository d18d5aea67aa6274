// Approval: the branch registers a loan; a joint loan's platform agrees to its exact terms.
import { z } from "zod";
import { LoanTermsJsonSchema } from "../../loan-agreement.ts";
import { day, hex32, OutboxEntry } from "./common.ts";

export const ApproveLoanBody = z.strictObject({
  applicationId: z.string(),
  contractBase64: z.string().min(1),
  consentLeafHash: hex32,
  platformShareBps: z.int().min(0).max(7000),
  startDate: day,
});

export const LoanApproved = z.looseObject({
  loanId: hex32,
  serial: z.string(),
  outbox: OutboxEntry,
  schedule: z.array(z.looseObject({})).describe("the installments (common/lending/schedule.ts), amounts in fen as decimal strings"),
  fees: z.array(z.looseObject({})).describe("the fees registered with the loan (installment 0: at disbursement)"),
  allInAprBps: z.number().describe("interest and every fee as an annual rate (common/lending/apr.ts)"),
});

export const LoanAgreementBody = z.strictObject({ applicationId: z.string().min(1).max(64), terms: LoanTermsJsonSchema });
export const LoanAgreement = z.object({ platformAgreement: z.string().describe("the platform's EIP-712 signature over the terms") });
