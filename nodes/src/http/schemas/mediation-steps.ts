// A keeper's mediation step at the loan's branch node (mediation/holder.ts).
import { z } from "zod";

export const KeeperStepBody = z.strictObject({
  step: z
    .enum(["open", "mayArbitrate"])
    .describe(
      "open: open the loan's case unless it has one; mayArbitrate: may the keeper go on to arbitration",
    ),
});

export const KeeperStepAnswer = z.strictObject({
  loanId: z.string(),
  step: z.enum(["open", "mayArbitrate"]),
  answer: z.boolean().describe("open: a case was opened now; mayArbitrate: arbitration may follow"),
});
