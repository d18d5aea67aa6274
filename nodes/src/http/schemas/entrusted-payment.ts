// 受托支付 in the API: the payee an approval may name, and which account a loan pays as its
// output states it (the salted hash only; the account number never leaves the node).
import { z } from "zod";
import { RECEIVING_KINDS } from "../../entrusted-payment.ts";

/** An approval's (or a joint loan's agreement request's) entrusted payee. */
export const EntrustedPayeeSchema = z.strictObject({
  accountNumber: z
    .string()
    .regex(/^\d{8,32}$/, "8-32 digits")
    .describe(
      "the payee's bank account (a merchant's or seller's): hashed with the loan's salt, never stored or shown",
    ),
});

/** Which account a loan's money goes to: the borrower's own or an entrusted payee's, by its salted hash (null: this node neither approved nor agreed to the loan). */
export const ReceivingView = z.object({
  kind: z.enum(RECEIVING_KINDS).nullable(),
  receivingAccount: z.string().nullable(),
});

export const ReceivingAccount = ReceivingView.extend({ loanId: z.string() });
