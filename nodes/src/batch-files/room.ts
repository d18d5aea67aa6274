// Daily batch files in the node's composition: rows recorded through the node's own single-flow
// path (FundFlows.record), on behalf of the clerk who uploaded the file, into the node's outbox.
import type { LevelRoot } from "../../../common/level.ts";
import type { FundFlows } from "../fund-flows.ts";
import type { Outbox } from "../outbox/outbox.ts";
import { BatchFiles } from "./batches.ts";

export function batchFileRoom(options: {
  db: LevelRoot;
  outbox: Outbox;
  flows: Pick<FundFlows, "record">;
  memberId: number;
}): BatchFiles {
  const { flows, memberId } = options;
  return new BatchFiles({
    db: options.db,
    outbox: options.outbox,
    // a row is what the single-flow routes take: the same checks (a disbursement from this
    // funder's whitelisted account only), the same voucher, its serial the outbox's
    record: (kind, row, uploadedBy, turn) =>
      flows.record({ userId: uploadedBy, role: "clerk", memberId }, row.loanId, {
        type: kind,
        serial: row.serial,
        amountFen: row.amountFen,
        ...(row.accountHash === undefined ? {} : { accountHash: row.accountHash }),
        turn,
      }),
  });
}
