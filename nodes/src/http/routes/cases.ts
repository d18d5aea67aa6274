// The overdue road: keeper rounds, the arbitration case, and the court's steps (fetch, accept, rule,
// close); the nightly post-loan batch and the borrower's notices; mediation; the court's package.
import { COURT } from "../../members.ts";
import { ADMIN, ANY_USER, APPROVERS, COURT_STAFF, routeFile, routeFiles } from "../route.ts";
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
import { loanParams, tokenErrors } from "../schemas/common.ts";
import { CaseDocumentsExport } from "../schemas/documents.ts";

/** A step of a loan's arbitration case, through the outbox: the case as it stands after it. */
const CASE_STEP = { params: loanParams, reply: CaseStep, errors: [409, 503] } as const;

/** The assigned court's fetches from the members' nodes (502: a node did not answer). */
const COURT_FETCH = { params: loanParams, errors: [409, 502, 503], roles: COURT_STAFF } as const;

/** Every mediation route is on one loan, for the branch's approvers. */
const MEDIATION = { params: loanParams, roles: APPROVERS } as const;

/** Keeper rounds, and the arbitration case from the union's assignment to the court's closure. */
const arbitrationRoutes = routeFile((routes, { cases }) => {
  routes.post(
    "/v1/keeper/rounds",
    {
      summary:
        "Run a keeper round now: expire registered loans that missed their start day undisbursed, escalate overdue loans (both through the outbox, awaited) and schedule or send borrower reminders",
      reply: KeeperRoundResult,
      errors: [409, 503, 504],
      roles: ADMIN,
    },
    async ({ actor }) => cases.keeperRound(actor),
  );
  routes.get(
    "/v1/cases/:loanId",
    {
      summary:
        "A loan's dispute stage and arbitration case as the chain states them, with the indexed stage history",
      params: loanParams,
      reply: CaseView,
      errors: [503],
      roles: ANY_USER,
    },
    async ({ actor, params }) => cases.caseView(actor, params.loanId),
  );
  routes.post(
    "/v1/cases/:loanId/court",
    {
      summary: "The union assigns a court member to a loan in arbitration (through the outbox)",
      ...CASE_STEP,
      body: AssignCourtBody,
      roles: APPROVERS,
    },
    async ({ actor, params, body }) => cases.assignCourt(actor, params.loanId, body.court),
  );
  routes.post(
    "/v1/cases/:loanId/document-fetches",
    {
      summary:
        "The assigned court fetches the case's documents from the members holding them (signed requests) and stores its own encrypted copies",
      ...COURT_FETCH,
      reply: CaseDocumentsFetched,
    },
    async ({ actor, params }) => cases.fetchCaseDocuments(actor, params.loanId),
  );
  routes.post(
    "/v1/cases/:loanId/acceptance",
    {
      summary: "The assigned court accepts the case (through the outbox)",
      ...CASE_STEP,
      roles: COURT_STAFF,
    },
    async ({ actor, params }) => cases.acceptCase(actor, params.loanId),
  );
  routes.post(
    "/v1/cases/:loanId/ruling",
    {
      summary:
        "The assigned court records its ruling: stored encrypted, anchored, its SHA-256 on chain (through the outbox)",
      ...CASE_STEP,
      body: RulingBody,
      roles: COURT_STAFF,
    },
    async ({ actor, params, body }) => cases.recordRuling(actor, params.loanId, body.rulingBase64),
  );
  routes.post(
    "/v1/cases/:loanId/closure",
    {
      summary: "The assigned court closes a ruled case (through the outbox)",
      ...CASE_STEP,
      roles: COURT_STAFF,
    },
    async ({ actor, params }) => cases.closeCase(actor, params.loanId),
  );
});

/** The nightly post-loan batch and its early warnings (贷后预警); the notices sent to a loan's borrower. */
const postLoanRoutes = routeFile((routes, { cases }) => {
  routes.post(
    "/v1/post-loan/runs/:runId",
    {
      summary:
        "Run the nightly post-loan batch now, or resume it where it stopped (days past due, exposure growth, new loans elsewhere, enforcement lists → early warnings)",
      params: PostLoanRunParams,
      reply: PostLoanRun,
      errors: [404, 503],
      roles: ADMIN,
    },
    async ({ actor, params }) => cases.postLoanRun(actor, params.runId),
  );
  routes.get(
    "/v1/post-loan/runs/:runId/warnings",
    {
      summary: "A run's early-warning list (贷后预警), red first",
      params: PostLoanRunParams,
      reply: EarlyWarnings,
      errors: [404],
      roles: APPROVERS,
    },
    async ({ actor, params }) => cases.earlyWarnings(actor, params.runId),
  );
  // the CSV goes out as it is; declared directly, its document as it has always been (no `produces`)
  routes.api.get("/v1/post-loan/runs/:runId/warnings.csv", {
    schema: {
      summary: "A run's early-warning list as CSV (formula cells neutralised)",
      params: PostLoanRunParams,
      response: { 200: EarlyWarningsCsv, ...tokenErrors(404) },
    },
    config: { roles: APPROVERS },
    handler: async (request, reply) =>
      reply.type("text/csv").send(await cases.earlyWarningsCsv(request.actor, request.params.runId)),
  });
  routes.get(
    "/v1/loans/:loanId/notices",
    {
      summary:
        "Every notice sent to the loan's borrower (送达): template, content digest, channel, the gateway's receipts, the evidence leaf",
      params: loanParams,
      reply: LoanNotices,
      errors: [404],
      roles: APPROVERS,
    },
    async ({ actor, params }) => cases.notices(actor, params.loanId),
  );
});

/**
 * A loan's mediation (调解): the case, the agreement to sign, the borrower's answer. Each first
 * reads the loan on chain (only its branch's node holds the case), so each can answer 503.
 */
const mediationRoutes = routeFile((routes, { cases }) => {
  routes.get(
    "/v1/loans/:loanId/mediation",
    {
      summary: "The loan's mediation case (调解): parties, amount due, the proposed plan, the answer",
      ...MEDIATION,
      reply: MediationView,
      errors: [404, 503],
    },
    async ({ actor, params }) => cases.mediationCase(actor, params.loanId),
  );
  routes.get(
    "/v1/loans/:loanId/mediation/agreement",
    {
      summary: "The settlement agreement drafted from the case's plan, to be signed and sealed",
      ...MEDIATION,
      reply: MediationAgreement,
      errors: [404, 503],
    },
    async ({ actor, params }) => ({
      agreementPdfBase64: Buffer.from(await cases.mediationAgreement(actor, params.loanId)).toString(
        "base64",
      ),
    }),
  );
  routes.post(
    "/v1/loans/:loanId/mediation/refusal",
    {
      summary: "Record the borrower's refusal of the proposed plan (arbitration may follow)",
      ...MEDIATION,
      reply: MediationView,
      errors: [404, 409, 503],
    },
    async ({ actor, params }) => cases.refuseMediation(actor, params.loanId),
  );
  routes.post(
    "/v1/loans/:loanId/mediation/acceptance",
    {
      summary:
        "Record the borrower's acceptance: the agreement signed by the borrower and sealed by the branch, verified and anchored",
      ...MEDIATION,
      body: MediationAcceptanceBody,
      reply: MediationView,
      errors: [404, 409, 422, 503],
    },
    async ({ actor, params, body }) =>
      cases.acceptMediation(actor, params.loanId, body.signedAgreementBase64),
  );
});

/**
 * The court's package: the assigned court checks the loan's evidence set against the chain and
 * exports it; node-to-node, the assigned court's node fetches the evidence set and the case's
 * documents from the node that owns them.
 */
const courtPackageRoutes = routeFile((routes, deps) => {
  const cases = deps.cases;
  routes.post(
    "/v1/cases/:loanId/package-checks",
    {
      summary:
        "The assigned court fetches the loan's complete evidence set from its branch's node and checks it against the chain: every item against its bundle, together against the loan's evidenceChain; missing, altered and extra items named",
      ...COURT_FETCH,
      reply: PackageCheckResult,
    },
    async ({ actor, params }) => cases.courtPackage(actor, params.loanId),
  );
  routes.post(
    "/v1/cases/:loanId/package-archive",
    {
      summary:
        "The assigned court's case archive: the package fetched and checked as above, as one ZIP of the originals, their bundles, a manifest (JSON) and a bilingual certificate (PDF)",
      ...COURT_FETCH,
      produces: "application/zip",
      reply: CaseArchive,
    },
    async ({ actor, params }) => Buffer.from(await cases.courtArchive(actor, params.loanId)),
  );
  routes.get(
    "/v1/cases/:loanId/evidence-set",
    {
      summary:
        "A court member's node fetches an assigned case's evidence set: each original with its evidence bundle (signed with the court's chain key)",
      params: loanParams,
      reply: EvidenceSet,
      auth: "signed",
      signedKind: COURT,
    },
    async (request) => cases.evidenceSet(request.signedHeaders!, request.params.loanId),
  );
  routes.get(
    "/v1/cases/:loanId/documents",
    {
      summary:
        "A court member's node fetches an assigned case's documents (signed with the court's chain key)",
      params: loanParams,
      reply: CaseDocumentsExport,
      auth: "signed",
      signedKind: COURT,
    },
    async (request) => deps.ops.documents.caseDocuments(request.signedHeaders!, request.params.loanId),
  );
});

export const caseRoutes = routeFiles(arbitrationRoutes, postLoanRoutes, mediationRoutes, courtPackageRoutes);
