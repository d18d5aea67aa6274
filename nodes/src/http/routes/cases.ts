// The overdue road: keeper rounds, the arbitration case, and the court's steps (fetch, accept, rule, close).
import { COURT } from "../../members.ts";
import { ADMIN, ANY_USER, APPROVERS, COURT_STAFF } from "../auth.ts";
import type { RouteFile } from "../deps.ts";
import {
  AssignCourtBody,
  CaseDocumentsFetched,
  CaseStep,
  CaseView,
  CaseArchive,
  EarlyWarnings,
  EarlyWarningsCsv,
  EvidenceSet,
  KeeperRoundResult,
  LoanNotices,
  MediationAcceptanceBody,
  MediationAgreement,
  MediationView,
  PackageCheckResult,
  PostLoanRun,
  PostLoanRunParams,
  RulingBody,
} from "../schemas/cases.ts";
import { fenJson, loanParams, signedErrors, tokenErrors } from "../schemas/common.ts";
import { CaseDocumentsExport } from "../schemas/documents.ts";

export const caseRoutes: RouteFile = (api, deps) => {
  api.post("/v1/keeper/rounds", {
    schema: {
      summary:
        "Run a keeper round now: expire registered loans that missed their start day undisbursed, escalate overdue loans (both through the outbox, awaited) and schedule or send borrower reminders",
      response: { 200: KeeperRoundResult, ...tokenErrors(409, 503, 504) },
    },
    config: { roles: ADMIN },
    handler: async (request) => fenJson(KeeperRoundResult, await deps.cases.keeperRound(request.actor)),
  });
  api.get("/v1/cases/:loanId", {
    schema: {
      summary:
        "A loan's dispute stage and arbitration case as the chain states them, with the indexed stage history",
      params: loanParams,
      response: { 200: CaseView, ...tokenErrors(503) },
    },
    config: { roles: ANY_USER },
    handler: async (request) =>
      fenJson(CaseView, await deps.cases.caseView(request.actor, request.params.loanId)),
  });
  api.post("/v1/cases/:loanId/court", {
    schema: {
      summary: "The union assigns a court member to a loan in arbitration (through the outbox)",
      params: loanParams,
      body: AssignCourtBody,
      response: { 200: CaseStep, ...tokenErrors(409, 503) },
    },
    config: { roles: APPROVERS },
    handler: async (request) =>
      fenJson(
        CaseStep,
        await deps.cases.assignCourt(request.actor, request.params.loanId, request.body.court),
      ),
  });
  api.post("/v1/cases/:loanId/document-fetches", {
    schema: {
      summary:
        "The assigned court fetches the case's documents from the members holding them (signed requests) and stores its own encrypted copies",
      params: loanParams,
      response: { 200: CaseDocumentsFetched, ...tokenErrors(409, 502, 503) },
    },
    config: { roles: COURT_STAFF },
    handler: async (request) =>
      fenJson(
        CaseDocumentsFetched,
        await deps.cases.fetchCaseDocuments(request.actor, request.params.loanId),
      ),
  });
  api.post("/v1/cases/:loanId/acceptance", {
    schema: {
      summary: "The assigned court accepts the case (through the outbox)",
      params: loanParams,
      response: { 200: CaseStep, ...tokenErrors(409, 503) },
    },
    config: { roles: COURT_STAFF },
    handler: async (request) =>
      fenJson(CaseStep, await deps.cases.acceptCase(request.actor, request.params.loanId)),
  });
  api.post("/v1/cases/:loanId/ruling", {
    schema: {
      summary:
        "The assigned court records its ruling: stored encrypted, anchored, its SHA-256 on chain (through the outbox)",
      params: loanParams,
      body: RulingBody,
      response: { 200: CaseStep, ...tokenErrors(409, 503) },
    },
    config: { roles: COURT_STAFF },
    handler: async (request) =>
      fenJson(
        CaseStep,
        await deps.cases.recordRuling(request.actor, request.params.loanId, request.body.rulingBase64),
      ),
  });
  api.post("/v1/cases/:loanId/closure", {
    schema: {
      summary: "The assigned court closes a ruled case (through the outbox)",
      params: loanParams,
      response: { 200: CaseStep, ...tokenErrors(409, 503) },
    },
    config: { roles: COURT_STAFF },
    handler: async (request) =>
      fenJson(CaseStep, await deps.cases.closeCase(request.actor, request.params.loanId)),
  });
  api.post("/v1/post-loan/runs/:runId", {
    schema: {
      summary:
        "Run the nightly post-loan batch now, or resume it where it stopped (days past due, exposure growth, new loans elsewhere, enforcement lists → early warnings)",
      params: PostLoanRunParams,
      response: { 200: PostLoanRun, ...tokenErrors(404, 503) },
    },
    config: { roles: ADMIN },
    handler: async (request) =>
      fenJson(PostLoanRun, await deps.cases.postLoanRun(request.actor, request.params.runId)),
  });
  api.get("/v1/post-loan/runs/:runId/warnings", {
    schema: {
      summary: "A run's early-warning list (贷后预警), red first",
      params: PostLoanRunParams,
      response: { 200: EarlyWarnings, ...tokenErrors(404) },
    },
    config: { roles: APPROVERS },
    handler: async (request) =>
      fenJson(EarlyWarnings, await deps.cases.earlyWarnings(request.actor, request.params.runId)),
  });
  api.get("/v1/post-loan/runs/:runId/warnings.csv", {
    schema: {
      summary: "A run's early-warning list as CSV (formula cells neutralised)",
      params: PostLoanRunParams,
      response: { 200: EarlyWarningsCsv, ...tokenErrors(404) },
    },
    config: { roles: APPROVERS },
    handler: async (request, reply) =>
      reply.type("text/csv").send(await deps.cases.earlyWarningsCsv(request.actor, request.params.runId)),
  });
  api.get("/v1/loans/:loanId/notices", {
    schema: {
      summary:
        "Every notice sent to the loan's borrower (送达): template, content digest, channel, the gateway's receipts, the evidence leaf",
      params: loanParams,
      response: { 200: LoanNotices, ...tokenErrors(404) },
    },
    config: { roles: APPROVERS },
    handler: async (request) =>
      fenJson(LoanNotices, await deps.cases.notices(request.actor, request.params.loanId)),
  });
  api.get("/v1/loans/:loanId/mediation", {
    schema: {
      summary: "The loan's mediation case (调解): parties, amount due, the proposed plan, the answer",
      params: loanParams,
      response: { 200: MediationView, ...tokenErrors(404) },
    },
    config: { roles: APPROVERS },
    handler: async (request) =>
      fenJson(MediationView, await deps.cases.mediationCase(request.actor, request.params.loanId)),
  });
  api.get("/v1/loans/:loanId/mediation/agreement", {
    schema: {
      summary: "The settlement agreement drafted from the case's plan, to be signed and sealed",
      params: loanParams,
      response: { 200: MediationAgreement, ...tokenErrors(404) },
    },
    config: { roles: APPROVERS },
    handler: async (request) => ({
      agreementPdfBase64: Buffer.from(
        await deps.cases.mediationAgreement(request.actor, request.params.loanId),
      ).toString("base64"),
    }),
  });
  api.post("/v1/loans/:loanId/mediation/refusal", {
    schema: {
      summary: "Record the borrower's refusal of the proposed plan (arbitration may follow)",
      params: loanParams,
      response: { 200: MediationView, ...tokenErrors(404, 409) },
    },
    config: { roles: APPROVERS },
    handler: async (request) =>
      fenJson(MediationView, await deps.cases.refuseMediation(request.actor, request.params.loanId)),
  });
  api.post("/v1/loans/:loanId/mediation/acceptance", {
    schema: {
      summary:
        "Record the borrower's acceptance: the agreement signed by the borrower and sealed by the branch, verified and anchored",
      params: loanParams,
      body: MediationAcceptanceBody,
      response: { 200: MediationView, ...tokenErrors(404, 409, 422) },
    },
    config: { roles: APPROVERS },
    handler: async (request) =>
      fenJson(
        MediationView,
        await deps.cases.acceptMediation(
          request.actor,
          request.params.loanId,
          request.body.signedAgreementBase64,
        ),
      ),
  });
  api.post("/v1/cases/:loanId/package-checks", {
    schema: {
      summary:
        "The assigned court fetches the loan's complete evidence set from its branch's node and checks it against the chain: every item against its bundle, together against the loan's evidenceChain; missing, altered and extra items named",
      params: loanParams,
      response: { 200: PackageCheckResult, ...tokenErrors(409, 502, 503) },
    },
    config: { roles: COURT_STAFF },
    handler: async (request) =>
      fenJson(PackageCheckResult, await deps.cases.courtPackage(request.actor, request.params.loanId)),
  });
  api.post("/v1/cases/:loanId/package-archive", {
    schema: {
      summary:
        "The assigned court's case archive: the package fetched and checked as above, as one ZIP of the originals, their bundles, a manifest (JSON) and a bilingual certificate (PDF)",
      produces: ["application/zip"],
      params: loanParams,
      response: { 200: CaseArchive, ...tokenErrors(409, 502, 503) },
    },
    config: { roles: COURT_STAFF },
    handler: async (request, reply) =>
      reply
        .type("application/zip")
        .send(Buffer.from(await deps.cases.courtArchive(request.actor, request.params.loanId))),
  });
  // node-to-node: the assigned court's node fetches the loan's evidence set from the owning node
  api.get("/v1/cases/:loanId/evidence-set", {
    schema: {
      summary:
        "A court member's node fetches an assigned case's evidence set: each original with its evidence bundle (signed with the court's chain key)",
      params: loanParams,
      response: { 200: EvidenceSet, ...signedErrors() },
    },
    config: { auth: "signed", signedKind: COURT },
    handler: async (request) =>
      fenJson(EvidenceSet, await deps.cases.evidenceSet(request.signedHeaders!, request.params.loanId)),
  });
  // node-to-node: the assigned court's node fetches the case's documents from this one
  api.get("/v1/cases/:loanId/documents", {
    schema: {
      summary:
        "A court member's node fetches an assigned case's documents (signed with the court's chain key)",
      params: loanParams,
      response: { 200: CaseDocumentsExport, ...signedErrors() },
    },
    config: { auth: "signed", signedKind: COURT },
    handler: async (request) =>
      deps.ops.documents.caseDocuments(request.signedHeaders!, request.params.loanId),
  });
};
