// Approval: the branch registers a loan; a joint loan's platform agrees to its exact terms.
import { z } from "zod";
import { AGREEMENTS_PER_REQUEST } from "../../approval.ts";
import { LoanTermsJsonSchema } from "../../loan-agreement.ts";
import { day, hex32, OutboxEntry } from "./common.ts";
import { EntrustedPayeeSchema, ReceivingView } from "./entrusted-payment.ts";

export const ApproveLoanBody = z.strictObject({
  applicationId: z.string(),
  contractBase64: z.string().min(1),
  consentLeafHash: hex32
    .optional()
    .describe(
      "checked, not taken: the leaf registered is the consent the application's credit query was made under (NODE_ERR_CONSENT_MISMATCH if another)",
    ),
  platformShareBps: z.int().min(0).max(7000),
  startDate: day,
  entrustedPayee: EntrustedPayeeSchema.optional().describe(
    "受托支付: the payee the principal is paid into instead of the borrower's own account; bound on chain as a salted hash",
  ),
});

export const LoanApproved = z.looseObject({
  loanId: hex32,
  serial: z.string(),
  outbox: OutboxEntry,
  schedule: z
    .array(z.looseObject({}))
    .describe("the installments (common/lending/schedule.ts), amounts in fen as decimal strings"),
  fees: z
    .array(z.looseObject({}))
    .describe("the fees registered with the loan (installment 0: at disbursement)"),
  allInAprBps: z.number().describe("interest and every fee as an annual rate (common/lending/apr.ts)"),
  receiving: ReceivingView.describe(
    "the account the loan pays: the borrower's own or the entrusted payee's, as bound on chain",
  ),
});

export const LoanAgreementBody = z.strictObject({
  applicationId: z.string().min(1).max(64),
  terms: LoanTermsJsonSchema,
  entrustedPayee: EntrustedPayeeSchema.optional(),
});
export const LoanAgreement = z.object({
  platformAgreement: z.string().describe("the platform's EIP-712 signature over the terms"),
});
export const LoanAgreementsBody = z.strictObject({
  agreements: z.array(LoanAgreementBody).min(1).max(AGREEMENTS_PER_REQUEST),
});
export const LoanAgreements = z.object({
  platformAgreements: z
    .array(z.string())
    .describe("the platform's EIP-712 signature over each loan's terms, in the order asked"),
});
