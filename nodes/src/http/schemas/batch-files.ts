// Daily batch files: a branch's repayment or disbursement file (CSV, batch-files/README.md), its
// progress and its result file.
import { z } from "zod";
import { BATCH_KINDS } from "../../batch-files/csv.ts";

export const BatchKindParams = z.strictObject({
  kind: z.enum(BATCH_KINDS).describe("repayment (代扣) or disbursement"),
});
export const BatchParams = z.strictObject({
  batchId: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits")
    .describe("SHA-256 of the kind and the file's bytes")
    .meta({ example: "3f0a9c1e5b7d2f4a6c8e0b1d3f5a7c9e1b3d5f7a9c0e2b4d6f8a0c2e4b6d8f0a" }),
});

const count = z.int().min(0);
export const BatchProgress = z.object({
  id: z.string(),
  kind: z.enum(BATCH_KINDS),
  uploadedBy: z.string(),
  createdAt: z.string(),
  rows: count,
  taken: count.describe("rows handed to the node so far (queued in the outbox, or refused)"),
  counts: z.object({ pending: count, confirmed: count, failed: count, refused: count }),
  done: z.boolean().describe("every row has its final outcome"),
});

export const BatchResultFile = z
  .string()
  .describe(
    "text/csv: line,serial,outcome,txHash,blockNumber,error — one line per row in file order (confirmed with its transaction and block, failed with the ledger's error, refused with the node's code, or pending)",
  );
