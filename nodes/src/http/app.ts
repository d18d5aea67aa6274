// buildNodeApp: the institution node's back-office API, not listening. Handlers are a few lines;
// the work is in the modules under nodes/src, passed in through NodeDeps.
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { Logger } from "pino";
import { z } from "zod";
import type { ApiUser } from "../config.ts";
import { nodeError, renderError } from "../errors.ts";
import type { CaseOperations } from "../cases.ts";
import { BRANCH, COURT, PLATFORM, UNION, type NodeOperations, type SignedHeaders } from "../operations.ts";
import { LoanTermsJsonSchema } from "../loan-agreement.ts";
import { authenticateLimited, FailedTokenLimiter, requireRole, type Actor } from "./auth.ts";
import { limitBody, refuseDeclaredOversize } from "./body.ts";
import { opsAccess, type OpsAccess } from "./ops-access.ts";
import { dateToDay } from "../../../common/lending/dates.ts";
import { duplicateKeyIn } from "../../../common/json/duplicate-keys.ts";
import type { KeeperRound } from "../keeper/keeper.ts";
import type { MandateOperations } from "../mandates.ts";
import type { BranchLimitsOperations } from "../branch-limits.ts";

function isChainDay(date: string): boolean {
  try {
    return dateToDay(date) >= 0;
  } catch {
    return false;
  }
}

export type NodeDeps = {
  logger: Logger | false;
  memberId: number;
  users: readonly ApiUser[];
  ops: NodeOperations;
  cases: CaseOperations;
  /** Mandates for this branch's loans (absent: the routes are not served). */
  mandates?: MandateOperations;
  /** The branch's own quotas (absent: the routes are not served). */
  branchLimits?: BranchLimitsOperations;
  ready: () => { ready: boolean; detail: unknown };
  metrics: () => Promise<string>;
  /** Refused API tokens per source address before 429 (default 10 per 60 s: auth.ts). */
  tokenLimiter?: FailedTokenLimiter;
  /** Body limits in bytes: every route (default 16 MiB), POST /v1/reconciliations (default 32 MiB). */
  limits?: { maxBodyBytes?: number; reconcileMaxBodyBytes?: number };
  /** Who may read /metrics and /readyz (token, addresses); absent: anyone. */
  opsAccess?: OpsAccess;
};

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "0x followed by 64 hex digits");
// member ids are uint32 on chain and in the index's keys (?branch=4294967296 answered 500)
const memberIdQuery = z.coerce.number().int().min(1).max(0xffff_ffff);
// a calendar day the chain can have: 2026-02-30 has the shape but is no day, and days before
// 1970-01-01 have no unsigned day number (both reached the index's keys and answered 500)
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD").refine(isChainDay, "a calendar day from 1970-01-01 on");
const fenString = z.string().regex(/^(0|[1-9][0-9]*)$/);
const SettlementQuote = z.object({ loanId: hex32, day: z.int(), date: z.string(), penaltyFen: fenString, interestFen: fenString, principalFen: fenString, totalFen: fenString });
const fenJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));

declare module "fastify" {
  interface FastifyRequest {
    /** The API user, authenticated from the headers before the body is read (token routes). */
    actor: Actor | undefined;
    /** A node-to-node request's headers, checked before the body is read, then its signature over the body (signed routes). */
    signedHeaders: SignedHeaders | undefined;
    /** A JSON body's exact bytes (the signature covers them). */
    rawBody: Buffer | undefined;
  }
  interface FastifyContextConfig {
    /**
     * Who may call the route: "token" (the default) an API user's bearer token; "signed" another
     * member's node of `signedKind`, by its chain key; "open" anyone (/healthz, /docs; /metrics
     * and /readyz have their own rules, ops-access.ts).
     */
    auth?: "token" | "signed" | "open";
    signedKind?: number;
  }
}

/** Past this many declared (or undeclared, chunked) bytes a body refused from its headers is left unread. */
const UNREAD_BODY_BYTES = 64 * 1024;

function largeBody(request: FastifyRequest): boolean {
  const length = request.headers["content-length"];
  return length === undefined ? request.headers["transfer-encoding"] !== undefined : Number(length) > UNREAD_BODY_BYTES;
}

/** JSON.parse, refusing an object that repeats a key (a signed body must read the same to every parser). */
function parseStrictJson(raw: Buffer): unknown {
  const value: unknown = JSON.parse(raw.toString("utf8"));
  if (typeof value === "object" && value !== null) {
    const duplicate = duplicateKeyIn(raw);
    if (duplicate !== undefined) throw nodeError("NODE_ERR_DUPLICATE_KEY", `the body names ${duplicate} twice; send each key once`, { path: duplicate });
  }
  return value;
}

export async function buildNodeApp(deps: NodeDeps): Promise<FastifyInstance> {
  const frameworkErrors = (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    void reply.code(400).send({ error: { code: "NODE_ERR_VALIDATION", message: `malformed request: ${error.message}` } });
  };
  const bodyLimit = deps.limits?.maxBodyBytes ?? 16 * 1024 * 1024;
  const app = (
    deps.logger === false
      ? Fastify({ logger: false, bodyLimit, frameworkErrors: frameworkErrors as never })
      : Fastify({ loggerInstance: deps.logger as unknown as FastifyBaseLogger, bodyLimit, frameworkErrors: frameworkErrors as never })
  ) as unknown as FastifyInstance;
  const tokenLimiter = deps.tokenLimiter ?? new FailedTokenLimiter();
  // the caller is authenticated from the headers before a byte of the body is read: the bearer
  // token (behind its rate limit), or a node's signed-request headers (form, expiry, target, the
  // signer an active member of the route's kind); a refused caller's large body is never read
  app.addHook("onRoute", (route) => {
    // the OpenAPI page and its assets are public
    if (route.url.startsWith("/docs")) route.config = { ...route.config, auth: "open" };
  });
  app.addHook("onRequest", async (request, reply) => {
    const config = request.routeOptions.config;
    try {
      // an unknown route is answered before its body is read too
      if (request.is404) throw nodeError("NODE_ERR_NOT_FOUND", `no route ${request.method} ${request.url}`);
      if (config.auth === "open") return;
      if (config.auth === "signed") {
        request.signedHeaders = await deps.ops.signedHeaders({ method: request.method, path: request.url, headers: request.headers }, config.signedKind!);
        return;
      }
      request.actor = authenticateLimited(request, deps.users, deps.memberId, tokenLimiter);
    } catch (error) {
      // refused from the headers: a large body is not read at all; the connection closes after the answer
      if (largeBody(request)) void reply.header("connection", "close");
      throw error;
    }
  });
  // a body over the route's limit is answered 413 without cutting the connection (body.ts)
  app.addHook("onRequest", refuseDeclaredOversize(bodyLimit));
  app.addHook("preParsing", limitBody(bodyLimit));
  // a signed request without a body (a GET) has its signature checked here; the operation spends its nonce
  app.addHook("preHandler", async (request) => {
    const signed = request.signedHeaders;
    if (signed === undefined || signed.bodyVerified) return;
    // only a JSON body goes through the signature check in the parser; anything else is refused
    if (request.body !== undefined) throw nodeError("NODE_ERR_VALIDATION", "a signed node-to-node request carries a JSON body (application/json) or none");
    deps.ops.signedBody(signed, new Uint8Array(0));
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest("actor", undefined);
  app.decorateRequest("signedHeaders", undefined);
  app.decorateRequest("rawBody", undefined);
  // kept as bytes: a large books file goes to its worker thread as they are (reconcile/off-thread.ts)
  app.addContentTypeParser("text/csv", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  // JSON keeps its exact bytes; a signed request's body is checked against its signature before
  // it is parsed, and parsed strictly (a repeated key is refused, not resolved to its last value)
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    try {
      if (request.signedHeaders !== undefined) {
        deps.ops.signedBody(request.signedHeaders, raw);
        done(null, raw.length === 0 ? undefined : parseStrictJson(raw));
        return;
      }
      done(null, raw.length === 0 ? undefined : JSON.parse(raw.toString("utf8")));
    } catch (e) {
      if (e instanceof SyntaxError) done(nodeError("NODE_ERR_BAD_JSON", `the body is not valid JSON: ${e.message}`), undefined);
      else done(e as Error, undefined);
    }
  });

  app.setErrorHandler((error, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((v) => ({ path: `${error.validationContext ?? "body"}${v.instancePath.replaceAll("/", ".")}`, message: v.message }));
      return reply.code(400).send({ error: { code: "NODE_ERR_VALIDATION", message: `invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).slice(0, 5).join("; ")}`, details: { issues } } });
    }
    const rendered = renderError(error);
    const retryAfter = (rendered?.body.error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if (typeof retryAfter === "number") void reply.header("retry-after", String(retryAfter));
    if (rendered !== undefined) return reply.code(rendered.status).send(rendered.body);
    const code = (error as { code?: string }).code;
    if (code === "FST_ERR_CTP_BODY_TOO_LARGE") return reply.code(413).send({ error: { code: "NODE_ERR_BODY_TOO_LARGE", message: "the body is larger than this route accepts" } });
    if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return reply.code(415).send({ error: { code: "NODE_ERR_VALIDATION", message: "send JSON (application/json) or CSV (text/csv)" } });
    if (code?.startsWith("FST_ERR_CTP") === true) return reply.code(400).send({ error: { code: "NODE_ERR_BAD_JSON", message: (error as Error).message } });
    request.log.error({ err: error }, "unexpected error");
    return reply.code(500).send({ error: { code: "NODE_ERR_INTERNAL", message: "internal error; the request was not applied" } });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: { code: "NODE_ERR_NOT_FOUND", message: `no route ${request.method} ${request.url}` } }));

  await app.register(swagger, { openapi: { info: { title: "JointLedger institution node", version: "1.0.0" } }, transform: jsonSchemaTransform });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  const api = app.withTypeProvider<ZodTypeProvider>();
  // the user was authenticated in onRequest; the role is the route's to check
  const actorOf = (request: FastifyRequest, roles: Actor["role"][]): Actor => {
    const actor = request.actor;
    if (actor === undefined) throw nodeError("NODE_ERR_AUTH", "send the user's API token as 'Authorization: Bearer <token>'");
    requireRole(actor, roles);
    return actor;
  };

  api.post("/v1/applications/:channel", {
    schema: {
      summary: "Submit an application in its channel's format, credited to this node's member: converted, routed to the borrower's branch (a platform's node submits it to the union's node), stored encrypted",
      params: z.strictObject({ channel: z.string().min(1).max(64) }),
      // no ?platform: an application is credited to the member that authenticated it, never to one a caller names
      querystring: z.strictObject({}),
      body: z.unknown(),
    },
    handler: async (request) => fenJson(await deps.ops.submitApplication(actorOf(request, ["clerk", "approver", "admin"]), request.params.channel, request.body)),
  });
  api.post("/v1/loans", {
    schema: {
      summary: "Approve an application: anchor the signed contract and register the loan on chain through the outbox",
      body: z.strictObject({
        applicationId: z.string(),
        contractBase64: z.string().min(1),
        consentLeafHash: hex32,
        platformShareBps: z.int().min(0).max(7000),
        startDate: day,
      }),
    },
    handler: async (request) => fenJson(await deps.ops.approveLoan(actorOf(request, ["approver", "admin"]), request.body)),
  });
  const flowBody = z.strictObject({
    serial: z.string().min(1).max(64),
    amountFen: z.string().regex(/^[1-9][0-9]{0,18}$/, "integer fen as a decimal string"),
    accountHash: hex32.optional(),
  });
  api.post("/v1/loans/:loanId/disbursements", {
    schema: { summary: "Record this member's disbursement (its exact share, to a whitelisted account): voucher anchored, written through the outbox", params: z.strictObject({ loanId: hex32 }), body: flowBody.required({ accountHash: true }) },
    handler: async (request) => fenJson(await deps.ops.fundFlow(actorOf(request, ["clerk", "approver", "admin"]), request.params.loanId, { type: "disbursement", serial: request.body.serial, amountFen: BigInt(request.body.amountFen), accountHash: request.body.accountHash })),
  });
  api.post("/v1/loans/:loanId/repayments", {
    schema: { summary: "Record a repayment received: voucher anchored, written through the outbox", params: z.strictObject({ loanId: hex32 }), body: flowBody },
    handler: async (request) => fenJson(await deps.ops.fundFlow(actorOf(request, ["clerk", "approver", "admin"]), request.params.loanId, { type: "repayment", serial: request.body.serial, amountFen: BigInt(request.body.amountFen) })),
  });
  api.get("/v1/loans/:loanId/settlement", {
    schema: {
      summary: "提前结清: what settles an active loan in full today — installments due by today in full, the one in progress with its interest accrued to the day, the rest of the principal (the ledger's settlementOwed)",
      params: z.strictObject({ loanId: hex32 }),
      response: { 200: SettlementQuote },
    },
    handler: async (request) => fenJson(await deps.ops.settlementQuote(actorOf(request, ["clerk", "approver", "admin"]), request.params.loanId)) as z.infer<typeof SettlementQuote>,
  });
  api.post("/v1/loans/:loanId/settlements", {
    schema: {
      summary: "Settle an active loan early, in full: the amount received must be exactly what settles it today (else 409 NODE_ERR_SETTLEMENT_MISMATCH with the figure); voucher anchored, `settle` written through the outbox",
      params: z.strictObject({ loanId: hex32 }),
      body: flowBody.omit({ accountHash: true }),
      response: { 200: z.object({ serial: z.string(), voucher: z.string(), outbox: z.unknown(), owed: SettlementQuote.optional() }) },
    },
    handler: async (request) =>
      fenJson(await deps.ops.settleLoan(actorOf(request, ["clerk", "approver", "admin"]), request.params.loanId, { serial: request.body.serial, amountFen: BigInt(request.body.amountFen) })) as { serial: string; voucher: string; outbox: unknown },
  });
  api.post("/v1/loans/:loanId/cancellation", {
    schema: {
      summary: "Cancel a registered loan nobody has disbursed (the loan's branch or the union), through the outbox, awaited; a loan with money out: 409 NODE_ERR_LOAN_DISBURSED",
      params: z.strictObject({ loanId: hex32 }),
      body: z.strictObject({ reasonCode: z.int().min(0).max(0xffff) }),
      response: { 200: z.object({ loanId: z.string(), reasonCode: z.int(), cancelledBy: z.string(), serial: z.string(), outbox: z.unknown() }) },
    },
    handler: async (request) => fenJson(await deps.ops.cancelLoan(actorOf(request, ["approver", "admin"]), request.params.loanId, request.body.reasonCode)) as { loanId: string; reasonCode: number; cancelledBy: string; serial: string; outbox: unknown },
  });
  if (deps.mandates !== undefined) {
    const mandates = deps.mandates;
    const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "0x followed by 40 hex digits (an account address)");
    const Mandate = z.object({ loanId: z.string(), agent: z.string(), branch: z.int().nullable(), expiresAt: z.string().nullable(), active: z.boolean() });
    const MandateWrite = z.object({ mandate: Mandate, serial: z.string(), outbox: z.unknown() });
    api.get("/v1/loans/:loanId/mandates/:agent", {
      schema: { summary: "The mandate an account holds for a loan, as the ledger states it (none: branch and expiresAt null)", params: z.strictObject({ loanId: hex32, agent: address }), response: { 200: Mandate } },
      handler: async (request) => {
        actorOf(request, ["clerk", "approver", "admin"]);
        return mandates.view(request.params.loanId, request.params.agent);
      },
    });
    api.post("/v1/loans/:loanId/mandates", {
      schema: {
        summary: "Let another member's operations account service one of this branch's loans (cancel, repay, settle) until expiresAt: grantMandate through the outbox, awaited",
        params: z.strictObject({ loanId: hex32 }),
        body: z.strictObject({ agent: address, expiresAt: z.iso.datetime({ offset: true }) }),
        response: { 200: MandateWrite },
      },
      handler: async (request) => {
        actorOf(request, ["admin"]);
        return fenJson(await mandates.grant(request.params.loanId, request.body.agent, request.body.expiresAt)) as z.infer<typeof MandateWrite>;
      },
    });
    api.delete("/v1/loans/:loanId/mandates/:agent", {
      schema: { summary: "Revoke an account's mandate for one of this branch's loans: revokeMandate through the outbox, awaited", params: z.strictObject({ loanId: hex32, agent: address }), response: { 200: MandateWrite } },
      handler: async (request) => {
        actorOf(request, ["admin"]);
        return fenJson(await mandates.revoke(request.params.loanId, request.params.agent)) as z.infer<typeof MandateWrite>;
      },
    });
  }
  if (deps.branchLimits !== undefined) {
    const branchLimits = deps.branchLimits;
    const LimitsFen = z.object({ singleLoanMaxFen: fenString, dailyDisbursementLimitFen: fenString, outstandingLimitFen: fenString, netTier1CapitalFen: fenString });
    const BranchLimitsView = z.object({ branch: z.int(), ceilings: LimitsFen, limits: LimitsFen, governanceAccount: z.string().nullable() });
    const decimalFen = /^(0|[1-9][0-9]{0,19})$/;
    // zod runs the refinement even when the pattern failed: only a decimal reaches BigInt
    const uint64Fen = z.string().regex(decimalFen, "a decimal amount in fen").refine((v) => !decimalFen.test(v) || BigInt(v) < 1n << 64n, "at most 2^64 - 1 fen");
    api.get("/v1/branch-limits", {
      schema: { summary: "This branch's quotas on the ledger: governance's ceilings and the limits in force, and the governance account that sets them (null: none configured)", response: { 200: BranchLimitsView } },
      handler: async (request) => {
        actorOf(request, ["approver", "admin"]);
        return branchLimits.view();
      },
    });
    api.put("/v1/branch-limits", {
      schema: {
        summary: "Set this branch's own quotas (each at most its ceiling: else 422 NODE_ERR_LIMIT_ABOVE_CEILING with the ceiling) with the branch's governance key, through its outbox, awaited",
        body: z.strictObject({ singleLoanMaxFen: uint64Fen, dailyDisbursementLimitFen: uint64Fen, outstandingLimitFen: uint64Fen }),
        response: { 200: BranchLimitsView.extend({ serial: z.string(), outbox: z.unknown() }) },
      },
      handler: async (request) => {
        actorOf(request, ["admin"]);
        const b = request.body;
        return fenJson(await branchLimits.set({ singleLoanMaxFen: BigInt(b.singleLoanMaxFen), dailyDisbursementLimitFen: BigInt(b.dailyDisbursementLimitFen), outstandingLimitFen: BigInt(b.outstandingLimitFen) })) as z.infer<typeof BranchLimitsView> & { serial: string; outbox: unknown };
      },
    });
  }
  api.get("/v1/outbox/:serial", {
    schema: { summary: "A chain write's state: queued, sent, confirmed or failed (with the contract's error)", params: z.strictObject({ serial: z.string().min(1).max(128) }) },
    handler: async (request) => fenJson(await deps.ops.outboxStatus(actorOf(request, ["clerk", "approver", "admin"]), request.params.serial)),
  });
  api.get("/v1/applications/:applicationId", {
    schema: { summary: "An application (personal data masked unless the role allows)", params: z.strictObject({ applicationId: z.string().regex(/^app_[0-9a-f]{24}$/) }) },
    handler: async (request) => fenJson(await deps.ops.application(actorOf(request, ["clerk", "approver", "admin"]), request.params.applicationId)),
  });
  api.post("/v1/consents", {
    schema: {
      summary: "Store the borrower's signed authorization letter (encrypted) and anchor it as consent evidence",
      body: z.strictObject({
        applicationId: z.string(),
        letterBase64: z.string().min(1),
        signedAt: z.string(),
        validUntil: z.string(),
        scope: z.array(z.enum(["LOAN_APPROVAL", "POST_LOAN_MANAGEMENT", "GUARANTEE_REVIEW"])).min(1),
      }),
    },
    handler: async (request) => fenJson(await deps.ops.recordConsent(actorOf(request, ["clerk", "approver", "admin"]), request.body)),
  });
  api.post("/v1/credit-queries", {
    schema: { summary: "Query the credit bureau for an application's borrower (needs an anchored consent); the query is anchored as evidence", body: z.strictObject({ applicationId: z.string(), purpose: z.enum(["LOAN_APPROVAL", "POST_LOAN_MANAGEMENT", "GUARANTEE_REVIEW"]) }) },
    handler: async (request) => fenJson(await deps.ops.creditQuery(actorOf(request, ["approver", "admin"]), request.body)),
  });
  api.get("/v1/loans", {
    schema: { summary: "Loans from this node's index of the shared ledger", querystring: z.strictObject({ state: z.enum(["Registered", "Active", "Settled", "Cancelled"]).optional(), branch: memberIdQuery.optional(), platform: memberIdQuery.optional() }) },
    handler: async (request) => fenJson({ loans: await deps.ops.loans(actorOf(request, ["clerk", "approver", "admin", "court-clerk"]), request.query) }),
  });
  api.get("/v1/loans/:loanId", {
    schema: { summary: "One loan from the index", params: z.strictObject({ loanId: hex32 }) },
    handler: async (request) => fenJson(await deps.ops.loan(actorOf(request, ["clerk", "approver", "admin", "court-clerk"]), request.params.loanId)),
  });
  api.get("/v1/flows", {
    schema: { summary: "Fund flows of one Asia/Shanghai day", querystring: z.strictObject({ day }) },
    handler: async (request) => fenJson({ flows: await deps.ops.flowsByDay(actorOf(request, ["clerk", "approver", "admin"]), request.query.day) }),
  });
  api.get("/v1/exposure/:borrowerKey", {
    schema: { summary: "A borrower's consortium-wide outstanding principal, by borrower key", params: z.strictObject({ borrowerKey: hex32 }) },
    handler: async (request) => fenJson(await deps.ops.exposure(actorOf(request, ["approver", "admin"]), request.params.borrowerKey)),
  });
  api.post("/v1/reconciliations", {
    // a large branch's day is tens of MiB of books (reconciled off the event loop: reconcile/off-thread.ts)
    bodyLimit: deps.limits?.reconcileMaxBodyBytes ?? 32 * 1024 * 1024,
    schema: { summary: "对账: reconcile a day's core-banking transactions (CSV body) against the chain", querystring: z.strictObject({ day, format: z.enum(["json", "csv"]).default("json") }) },
    handler: async (request, reply) => {
      if (!Buffer.isBuffer(request.body)) throw nodeError("NODE_ERR_VALIDATION", "send the day's core-banking transactions as text/csv");
      const { format } = request.query;
      const report = await deps.ops.reconcile(actorOf(request, ["clerk", "approver", "admin"]), request.query.day, request.body, format);
      return reply.type(format === "csv" ? "text/csv" : "application/json").send(Buffer.from(report.buffer, report.byteOffset, report.byteLength));
    },
  });
  api.get("/v1/credit-report", {
    schema: { summary: "征信报送: the month's credit-reporting file for this institution's loans", querystring: z.strictObject({ month: z.string().regex(/^\d{4}-\d{2}$/, "YYYY-MM") }) },
    handler: async (request, reply) => reply.type("text/csv").send(await deps.ops.creditReport(actorOf(request, ["approver", "admin"]), request.query.month)),
  });
  api.get("/v1/documents/:documentId", {
    schema: { summary: "An original document (contract, authorization, voucher): decrypted for authorized roles; every access is logged", params: z.strictObject({ documentId: hex32 }), querystring: z.strictObject({ purpose: z.string().min(1).max(200) }) },
    handler: async (request, reply) => reply.type("application/octet-stream").send(Buffer.from(await deps.ops.document(actorOf(request, ["clerk", "approver", "admin", "court-clerk"]), request.params.documentId, request.query.purpose))),
  });

  api.get("/v1/loans/:loanId/documents", {
    schema: { summary: "The loan's documents this caller may read (records, no bytes; read one with GET /v1/documents/:id)", params: z.strictObject({ loanId: hex32 }) },
    handler: async (request) => fenJson({ documents: await deps.ops.loanDocuments(actorOf(request, ["clerk", "approver", "admin", "court-clerk"]), request.params.loanId) }),
  });
  api.get("/v1/index/digest", {
    schema: { summary: "Digest of every indexed loan and fund flow (canonical order), their counts and the last indexed block: compare nodes with each other and with the chain" },
    handler: async (request) => fenJson(await deps.ops.indexDigest(actorOf(request, ["clerk", "approver", "admin", "court-clerk"]))),
  });
  api.post("/v1/keeper/rounds", {
    schema: {
      summary: "Run a keeper round now: expire registered loans that missed their start day undisbursed, escalate overdue loans (both through the outbox, awaited) and schedule or send borrower reminders",
      response: { 200: z.object({ checked: z.int(), escalated: z.array(z.string()), expired: z.array(z.string()), remindersScheduled: z.int(), remindersSent: z.int() }) },
    },
    handler: async (request) => fenJson(await deps.cases.keeperRound(actorOf(request, ["admin"]))) as KeeperRound,
  });
  const loanParams = z.strictObject({ loanId: hex32 });
  api.get("/v1/cases/:loanId", {
    schema: { summary: "A loan's dispute stage and arbitration case as the chain states them, with the indexed stage history", params: loanParams },
    handler: async (request) => fenJson(await deps.cases.caseView(actorOf(request, ["clerk", "approver", "admin", "court-clerk"]), request.params.loanId)),
  });
  api.post("/v1/cases/:loanId/court", {
    schema: { summary: "The union assigns a court member to a loan in arbitration (through the outbox)", params: loanParams, body: z.strictObject({ court: z.int().min(1).max(0xffff_ffff) }) },
    handler: async (request) => fenJson(await deps.cases.assignCourt(actorOf(request, ["approver", "admin"]), request.params.loanId, request.body.court)),
  });
  api.post("/v1/cases/:loanId/document-fetches", {
    schema: { summary: "The assigned court fetches the case's documents from the members holding them (signed requests) and stores its own encrypted copies", params: loanParams },
    handler: async (request) => fenJson(await deps.cases.fetchCaseDocuments(actorOf(request, ["court-clerk", "admin"]), request.params.loanId)),
  });
  api.post("/v1/cases/:loanId/acceptance", {
    schema: { summary: "The assigned court accepts the case (through the outbox)", params: loanParams },
    handler: async (request) => fenJson(await deps.cases.acceptCase(actorOf(request, ["court-clerk", "admin"]), request.params.loanId)),
  });
  api.post("/v1/cases/:loanId/ruling", {
    schema: { summary: "The assigned court records its ruling: stored encrypted, anchored, its SHA-256 on chain (through the outbox)", params: loanParams, body: z.strictObject({ rulingBase64: z.base64().min(1) }) },
    handler: async (request) => fenJson(await deps.cases.recordRuling(actorOf(request, ["court-clerk", "admin"]), request.params.loanId, request.body.rulingBase64)),
  });
  api.post("/v1/cases/:loanId/closure", {
    schema: { summary: "The assigned court closes a ruled case (through the outbox)", params: loanParams },
    handler: async (request) => fenJson(await deps.cases.closeCase(actorOf(request, ["court-clerk", "admin"]), request.params.loanId)),
  });

  // node-to-node: other members' nodes, authenticated by their chain keys rather than a user token
  api.post("/v1/forwarded-applications/:channel", {
    schema: {
      summary: "An application forwarded by the union's node (signed with the union's chain key)",
      params: z.strictObject({ channel: z.string().min(1).max(64) }),
      querystring: z.strictObject({ platform: memberIdQuery.optional().describe("the active platform member the union credited the application to (the platform whose node signed it to the union); absent: the union's own") }),
      body: z.unknown(),
    },
    config: { auth: "signed", signedKind: UNION },
    handler: async (request) => fenJson(await deps.ops.receiveForwarded(request.signedHeaders!, request.params.channel, request.body, request.query.platform)),
  });
  api.post("/v1/platform-applications/:channel", {
    schema: {
      summary: "A platform's application, submitted by the platform's node to the union's (signed with the platform's chain key); credited to that platform",
      params: z.strictObject({ channel: z.string().min(1).max(64) }),
      querystring: z.strictObject({}),
      body: z.unknown(),
    },
    config: { auth: "signed", signedKind: PLATFORM },
    handler: async (request) => fenJson(await deps.ops.receivePlatformApplication(request.signedHeaders!, request.params.channel, request.body)),
  });
  api.post("/v1/loan-agreements", {
    schema: {
      summary: "A branch's node asks this platform's node to agree to a joint loan's exact terms (signed with the branch's chain key); answers the platform's EIP-712 agreement signature",
      body: z.strictObject({ applicationId: z.string().min(1).max(64), terms: LoanTermsJsonSchema }),
    },
    config: { auth: "signed", signedKind: BRANCH },
    handler: async (request) => deps.ops.agreeToLoan(request.signedHeaders!, request.body),
  });
  api.get("/v1/cases/:loanId/documents", {
    schema: { summary: "A court member's node fetches an assigned case's documents (signed with the court's chain key)", params: z.strictObject({ loanId: hex32 }) },
    config: { auth: "signed", signedKind: COURT },
    handler: async (request) => deps.ops.caseDocuments(request.signedHeaders!, request.params.loanId),
  });

  app.get("/healthz", { schema: { hide: true }, config: { auth: "open" } }, async () => ({ status: "ok" }));
  // /readyz and /metrics: restricted when NODE_METRICS_TOKEN / NODE_METRICS_ALLOWED_ADDRESSES are set (ops-access.ts)
  // refused metrics tokens count with refused API tokens: one budget of guesses per address
  const ops = opsAccess(deps.opsAccess, tokenLimiter);
  app.get("/readyz", { schema: { hide: true }, config: { auth: "open" }, onRequest: ops }, async (_request, reply) => {
    const state = deps.ready();
    return reply.code(state.ready ? 200 : 503).send(state);
  });
  app.get("/metrics", { schema: { hide: true }, config: { auth: "open" }, onRequest: ops }, async (_request, reply) => reply.type("text/plain; version=0.0.4").send(await deps.metrics()));
  return app;
}
