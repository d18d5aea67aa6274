// Daily batch files: a branch uploads its day's repayments or disbursements as one CSV file
// (checked row by row before anything is taken), reads its progress while the outbox sends them,
// and downloads the result file at the end. The same file again is the same batch.
import { nodeError } from "../../errors.ts";
import { STAFF, roomRoutes } from "../route.ts";
import { BatchKindParams, BatchParams, BatchProgress, BatchResultFile } from "../schemas/batch-files.ts";

export const batchFileRoutes = roomRoutes("batchFiles", (routes, batches) => {
  routes.post(
    "/v1/batch-files/:kind",
    {
      summary:
        "Upload a day's repayment or disbursement file (text/csv, the format in batch-files/README.md): every row checked first (422 NODE_ERR_BATCH_FILE_INVALID naming each bad row's line and field, nothing taken), then stored and its rows recorded in file order through the outbox; the same file again answers the batch it already is",
      params: BatchKindParams,
      consumes: ["text/csv"],
      reply: BatchProgress,
      errors: [413, 415, 422],
      roles: STAFF,
    },
    async (request) => {
      const body: unknown = request.body;
      if (!Buffer.isBuffer(body)) throw nodeError("NODE_ERR_VALIDATION", "send the batch file as text/csv");
      return batches.upload(request.params.kind, body.toString("utf8"), request.actor.userId);
    },
  );
  routes.get(
    "/v1/batch-files/:batchId",
    {
      summary:
        "A batch's progress: rows, rows taken, and per outcome (pending, confirmed, failed by the ledger, refused by the node)",
      params: BatchParams,
      reply: BatchProgress,
      roles: STAFF,
    },
    async (request) => batches.progress(request.params.batchId),
  );
  routes.get(
    "/v1/batch-files/:batchId/result",
    {
      summary:
        "A batch's result file (text/csv): each row confirmed with its transaction and block, failed with the ledger's error, refused with the node's code, or still pending",
      params: BatchParams,
      produces: "text/csv",
      reply: BatchResultFile,
      roles: STAFF,
    },
    async (request) => batches.resultCsv(request.params.batchId),
  );
});
