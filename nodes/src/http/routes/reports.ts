// Reconciliation (对账) of a day's books against the chain, and the credit-reporting file (征信报送).
import { nodeError } from "../../errors.ts";
import { APPROVERS, STAFF } from "../auth.ts";
import type { RouteFile } from "../deps.ts";
import { tokenErrors } from "../schemas/common.ts";
import {
  CreditReportFile,
  CreditReportQuery,
  ReconcileQuery,
  ReconciliationReport,
} from "../schemas/reports.ts";

export const reportRoutes: RouteFile = (api, deps) => {
  api.post("/v1/reconciliations", {
    // a large branch's day is tens of MiB of books (reconciled off the event loop: reconcile/off-thread.ts)
    bodyLimit: deps.limits?.reconcileMaxBodyBytes ?? 32 * 1024 * 1024,
    schema: {
      summary: "对账: reconcile a day's core-banking transactions (CSV body) against the chain",
      consumes: ["text/csv"],
      produces: ["application/json", "text/csv"],
      querystring: ReconcileQuery,
      response: { 200: ReconciliationReport, ...tokenErrors() },
    },
    config: { roles: STAFF },
    handler: async (request, reply) => {
      if (!Buffer.isBuffer(request.body))
        throw nodeError("NODE_ERR_VALIDATION", "send the day's core-banking transactions as text/csv");
      const { format } = request.query;
      const report = await deps.ops.reconciliation.reconcile(
        request.actor,
        request.query.day,
        request.body,
        format,
      );
      return reply
        .type(format === "csv" ? "text/csv" : "application/json")
        .send(Buffer.from(report.buffer, report.byteOffset, report.byteLength));
    },
  });
  api.get("/v1/credit-report", {
    schema: {
      summary: "征信报送: the month's credit-reporting file for this institution's loans",
      produces: ["text/csv"],
      querystring: CreditReportQuery,
      response: { 200: CreditReportFile, ...tokenErrors(503) },
    },
    config: { roles: APPROVERS },
    handler: async (request, reply) =>
      reply.type("text/csv").send(await deps.ops.reporting.creditReport(request.actor, request.query.month)),
  });
};
