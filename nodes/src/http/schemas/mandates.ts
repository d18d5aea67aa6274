// Mandates: another member's account servicing one of this branch's loans.
import { z } from "zod";
import { address, hex32 } from "./common.ts";

export const MandateParams = z.strictObject({ loanId: hex32, agent: address });
export const GrantMandateBody = z.strictObject({
  agent: address,
  expiresAt: z.iso.datetime({ offset: true }),
});
export const Mandate = z.object({
  loanId: z.string(),
  agent: z.string(),
  branch: z.int().nullable(),
  expiresAt: z.string().nullable(),
  active: z.boolean(),
});
export const MandateWrite = z.object({ mandate: Mandate, serial: z.string(), outbox: z.unknown() });
