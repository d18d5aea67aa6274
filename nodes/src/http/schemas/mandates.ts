// Mandates: another member's account servicing one of this branch's loans.
import { z } from "zod";
import { MandateViewSchema } from "../../mandates.ts";
import { address, hex32 } from "./common.ts";

export const MandateParams = z.strictObject({ loanId: hex32, agent: address });
export const GrantMandateBody = z.strictObject({
  agent: address,
  expiresAt: z.iso.datetime({ offset: true }),
});
export const Mandate = MandateViewSchema;
export const MandateWrite = z.object({ mandate: Mandate, serial: z.string(), outbox: z.unknown() });
