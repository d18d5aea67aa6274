// The court verification page on the node (the same built files the anchor service serves,
// anchor-service/web/src/serve.ts): a court opens its own node's /verify, and the page runs every
// chain check in the browser against the endpoints this node's configuration names — the court's
// choice, not the log operator's. Beside it the node's signed certificates: POST /verify/reports
// verifies a bundle here and signs the one-page certificate with the node's seal; the report and
// the PDF are looked up by report id. Open, like the page: asking for certificates is limited per
// address (reports.ts) and by body size.
import { z } from "zod";
import type { RouteFile } from "../deps.ts";
import { registerCourtPage } from "../../../../anchor-service/web/src/serve.ts";
import { REPORT_MAX_BODY_BYTES, VerificationReports } from "../../court-page/reports.ts";
import { nodeError } from "../../errors.ts";

const ReportBody = z.strictObject({
  bundle: z.unknown().describe("the evidence bundle (jointledger.evidence-bundle/1)"),
  documentDigest: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/)
    .optional()
    .describe("the document's digest under the leaf's algorithm, computed by the client"),
});
const ReportParams = z.strictObject({ reportId: z.string().max(40) });
const open = { auth: "open" } as const;

export const courtPageRoutes: RouteFile = (api, deps) => {
  if (deps.courtPage !== undefined)
    registerCourtPage(api, {
      ...deps.courtPage,
      notFound: (message) => nodeError("NODE_ERR_NOT_FOUND", message),
    });
  const reports = deps.verificationReports;
  if (reports === undefined) return;

  api.post(
    "/verify/reports",
    { config: open, bodyLimit: REPORT_MAX_BODY_BYTES, schema: { hide: true, body: ReportBody } },
    async (request, reply) => {
      reports.admit(request.ip);
      const stored = await reports.create(
        request.body.bundle,
        request.body.documentDigest?.toLowerCase() ?? null,
      );
      const { reportId } = stored.report;
      return reply
        .code(201)
        .send({ reportId, report: stored.report, ...VerificationReports.paths(reportId) });
    },
  );
  api.get(
    "/verify/reports/:reportId",
    { config: open, schema: { hide: true, params: ReportParams } },
    async (request) => (await reports.get(request.params.reportId)).report,
  );
  api.get(
    "/verify/reports/:reportId/certificate.pdf",
    { config: open, schema: { hide: true, params: ReportParams } },
    async (request, reply) => {
      const stored = await reports.get(request.params.reportId);
      return reply
        .type("application/pdf")
        .header("content-disposition", `inline; filename="${stored.report.reportId}.pdf"`)
        .send(Buffer.from(stored.pdf, "base64"));
    },
  );
};
