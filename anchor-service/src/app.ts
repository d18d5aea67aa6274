// buildApp: the anchor service's HTTP API, not listening. Every dependency is passed in; only
// server.ts reads the environment and listens.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Logger } from "pino";
import type { PendingVerification, RequestDomain } from "../../common/auth/request-signing.ts";
import { AuthError } from "../../common/auth/request-signing.ts";
import { EvidenceBundleSchema } from "../../common/formats/bundle/bundle.ts";
import type { EvidenceLogClient } from "./chain/evidence-log-client.ts";
import type { Committer } from "./committer/committer.ts";
import type { OpsAccess, OpsRefusal } from "../../common/service/ops-access.ts";
import { buildServiceShell } from "../../common/service/shell.ts";
import type { ServerTls } from "../../common/service/tls.ts";
import {
  AnchorError,
  anchorError,
  isStorageFailure,
  storageReason,
  storageUnavailable,
  type AnchorErrorCode,
} from "./errors.ts";
import type { EvidenceQueries } from "./evidence/queries.ts";
import { jsonBodyParser, refuseDeclaredOversize } from "./http/body.ts";
import { ANCHOR_API_DOCUMENT } from "./http/openapi.ts";
import { DOCS_HEADERS } from "./http/security-headers.ts";
import type { Intake } from "./intake/intake.ts";
import type { IntakeQuotas, QuotaLimits } from "./intake/quota.ts";
import type { AnchorMetrics } from "./metrics.ts";
import { registerDigestRoutes } from "./routes/digests.ts";
import { registerSubmitRoute, verifiedSubmitter } from "./routes/leaves.ts";
import { registerVerifyRoutes } from "./routes/verify.ts";
import { registerVerifyPage } from "./routes/verify-page.ts";
import type { TrustedTimeOptions } from "../../common/formats/bundle/trusted-time.ts";
import { registerTimestampRoutes } from "./tsa/routes.ts";
import { registerC2spRoutes, type C2spRouteDeps } from "./c2sp/routes.ts";
import type { HeadStamper } from "./tsa/stamper.ts";
import {
  ConsistencyQuery,
  ConsistencyResponse,
  ErrorResponse,
  HeadsQuery,
  HeadsResponse,
  LeafParams,
  LeafResponse,
} from "./schemas/leaves.ts";
import type { DigestIndex } from "./store/digests.ts";

export type ServiceInfo = {
  chainId: string | undefined;
  logId: string;
  operator: string;
  evidenceLog: string;
  evidenceRegistry: string;
  consortiumRegistry: string;
  maxRecordsPerRequest: number;
  maxMergeDelaySeconds: number;
  /** The SM2 public key (0x04 ‖ x ‖ y) receipts are also signed with, when they are (国密). */
  receiptSm2PublicKey?: string;
  /** Where courts reach this service (config.publicUrlOf: ANCHOR_PUBLIC_URL, else the listen address). */
  publicUrl: string;
};

export type AppDeps = {
  /** What clients need to sign requests and check receipts. */
  info: () => ServiceInfo;
  logger: Logger | false;
  intake: Intake;
  queries: EvidenceQueries;
  digests: DigestIndex;
  committer: Committer;
  chain: EvidenceLogClient;
  metrics: AnchorMetrics;
  /** Recovers a signed request's signer (off the event loop); recoverSigner in place when absent. */
  recoverSigner?: (pending: PendingVerification) => Promise<string>;
  /** EIP-712 domain of signed requests; undefined until the chain's id is known. */
  requestDomain: () => RequestDomain | undefined;
  limits: { maxRecordsPerRequest: number; maxBodyBytes: number; maxRequestTtlSeconds: number };
  /** Per-member intake quotas and the limits in force (governed, else defaults); absent: none. */
  quotas?: { quotas: IntakeQuotas; limits: () => Promise<QuotaLimits> };
  /** Who may read /metrics and /readyz (token, addresses); absent: anyone. */
  ops?: OpsAccess;
  /** Trusted time: the tokens stored (GET /v1/timestamps) and the TSA roots /v1/verify trusts; absent: neither. */
  tsa?: { stamper: HeadStamper; logId: string; trustedTime: TrustedTimeOptions };
  /** The C2SP read API: /checkpoint and /tile/… (c2sp/routes.ts). */
  c2sp?: C2spRouteDeps;
  /** JSON-RPC endpoints the verification page's chain checks ask from the browser; empty or absent: POST /v1/verify. */
  pageChainEndpoints?: readonly string[];
  now: () => number;
  /** Serve HTTPS with this certificate and key; absent: HTTP. */
  https?: ServerTls | undefined;
  /** POST /ops/backups: an online backup into a new folder under `dir` (absent: not served). */
  backup?: { dir: string; run: (target: string) => Promise<unknown> } | undefined;
};

declare module "fastify" {
  interface FastifyRequest {
    rawBody: Buffer | undefined;
  }
}

const errors = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  413: ErrorResponse,
  429: ErrorResponse,
  503: ErrorResponse,
};

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // after a failed write the database takes no more writes until a restart (store/write-fence.ts):
  // unhealthy, so a supervisor restarts it (the new process waits for a writable disk, 503 meanwhile)
  const writeFailure = () => deps.intake.deps.db.writeFailure();
  const { app } = await buildServiceShell({
    logger: deps.logger,
    // the request line names a submission's member once its signature verified
    requestLog: { caller: verifiedSubmitter },
    https: deps.https,
    backup: deps.backup,
    bodyLimit: deps.limits.maxBodyBytes,
    openapi: ANCHOR_API_DOCUMENT,
    // the API docs get the verification page's security headers (http/security-headers.ts)
    docsHeaders: DOCS_HEADERS,
    errors: {
      validation: "ANCHOR_ERR_VALIDATION",
      notFound: "ANCHOR_ERR_NOT_FOUND",
      internal: "ANCHOR_ERR_INTERNAL",
      render: (error) => {
        const sent = toAnchorError(error);
        return sent === undefined
          ? undefined
          : { status: sent.statusCode, code: sent.code, message: sent.message, details: sent.details };
      },
      onRendered: (sent) => deps.metrics.rejectedRequests.inc({ code: sent.code }),
    },
    health: {
      live: () => {
        const failed = writeFailure();
        return failed === undefined
          ? { ok: true, body: { status: "ok" } }
          : { ok: false, body: { status: "storage-failed", storage: storageReason(failed) } };
      },
      ready: () => {
        const state = deps.committer.state;
        const failed = writeFailure();
        const ready = state.kind === "ok" && failed === undefined;
        return {
          ok: ready,
          body: {
            ready,
            chain: state,
            pendingLeaves: deps.committer.pendingLeaves(),
            queueDepth: deps.intake.queueDepth,
            ...(failed === undefined ? {} : { storage: storageReason(failed) }),
          },
        };
      },
    },
    metrics: {
      registry: deps.metrics.registry,
      beforeScrape: () => deps.metrics.queueDepth.set(deps.intake.queueDepth),
    },
    // /readyz and /metrics: restricted when ANCHOR_METRICS_TOKEN / ANCHOR_METRICS_ALLOWED_ADDRESSES are set
    ops: {
      access: deps.ops,
      realm: "anchor-ops",
      refuse: (reason, message, details) => anchorError(OPS_CODES[reason], message, details),
    },
    prepare: (app) => {
      app.decorateRequest("rawBody", undefined);
      // JSON only, and keep the exact bytes: signed requests sign the SHA-256 of the raw body
      // (duplicate keys refused; a body over the limit is answered 413 without cutting the connection: http/body.ts)
      app.removeAllContentTypeParsers();
      app.addContentTypeParser("application/json", jsonBodyParser(deps.limits.maxBodyBytes));
      app.addHook("onRequest", refuseDeclaredOversize(deps.limits.maxBodyBytes));
    },
  });

  const api = app.withTypeProvider<ZodTypeProvider>();

  registerSubmitRoute(app, deps);

  // the hot lookup path: serialized directly (its shape is LeafResponse, built by queries.ts), so
  // declared without the zod type provider, which would type the reply as LeafResponse's input
  app.get<{ Params: { leafHash: string } }>("/v1/leaves/:leafHash", {
    schema: {
      summary: "A leaf's status, its inclusion proof to the first head that contains it, and that head",
      params: LeafParams,
      response: { 200: LeafResponse, ...errors },
    },
    handler: async (request, reply) =>
      reply.type("application/json").send(JSON.stringify(await deps.queries.leaf(request.params.leafHash))),
  });

  // serialized directly too: buildBundle has just checked the bundle against EvidenceBundleSchema,
  // which a response serializer would check a second time
  app.get<{ Params: { leafHash: string } }>("/v1/bundles/:leafHash", {
    schema: {
      summary: "The self-contained evidence bundle of an anchored leaf (see common/formats/bundle/BUNDLE.md)",
      params: LeafParams,
      response: { 200: EvidenceBundleSchema, ...errors },
    },
    handler: async (request, reply) =>
      reply.type("application/json").send(JSON.stringify(await deps.queries.bundle(request.params.leafHash))),
  });

  registerDigestRoutes(app, deps.digests);

  api.get("/v1/heads", {
    schema: {
      summary: "Committed heads, by tree size",
      querystring: HeadsQuery,
      response: { 200: HeadsResponse, ...errors },
    },
    handler: async (request) => ({
      heads: await deps.queries.heads(request.query.limit, request.query.from),
    }),
  });

  api.get("/v1/consistency", {
    schema: {
      summary: "RFC 9162 consistency proof between two tree sizes",
      querystring: ConsistencyQuery,
      response: { 200: ConsistencyResponse, ...errors },
    },
    handler: async (request) => deps.queries.consistency(request.query.from, request.query.to),
  });

  // POST /v1/verify and the trust anchor it is bound to (GET /.well-known/jointledger-trust-anchor.json)
  registerVerifyRoutes(app, {
    chain: deps.chain,
    ...(deps.tsa === undefined ? {} : { trustedTime: deps.tsa.trustedTime }),
  });
  if (deps.tsa !== undefined) registerTimestampRoutes(app, deps.tsa);
  if (deps.c2sp !== undefined) registerC2spRoutes(app, deps.c2sp);

  api.get("/v1/info", {
    schema: {
      summary:
        "The chain, contracts and log this service anchors to, and its limits (what a client needs to sign requests)",
    },
    handler: async () => deps.info(),
  });

  // the court verification page (/verify) and the chain reads it shows
  registerVerifyPage(app, deps);
  return app;
}

const AUTH_CODES: Record<string, AnchorError["code"]> = {
  AUTH_MISSING_HEADERS: "ANCHOR_ERR_AUTH_MISSING",
  AUTH_BAD_HEADER: "ANCHOR_ERR_AUTH_INVALID",
  AUTH_BAD_SIGNATURE: "ANCHOR_ERR_AUTH_INVALID",
  AUTH_EXPIRED: "ANCHOR_ERR_AUTH_EXPIRED",
  AUTH_TOO_FAR_AHEAD: "ANCHOR_ERR_AUTH_INVALID",
};

const OPS_CODES: Record<OpsRefusal, AnchorErrorCode> = {
  forbidden: "ANCHOR_ERR_OPS_FORBIDDEN",
  unauthorized: "ANCHOR_ERR_OPS_UNAUTHORIZED",
  "rate-limited": "ANCHOR_ERR_OPS_RATE_LIMITED",
};

/** Map what can go wrong in a request to the catalogue (schema failures are the shell's); undefined means a bug (500). */
function toAnchorError(error: unknown): AnchorError | undefined {
  if (error instanceof AnchorError) return error;
  if (error instanceof AuthError)
    return anchorError(AUTH_CODES[error.code] ?? "ANCHOR_ERR_AUTH_INVALID", error.message, {
      auth: error.code,
    });
  const code = (error as { code?: string }).code;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE")
    return anchorError(
      "ANCHOR_ERR_BODY_TOO_LARGE",
      "the body is larger than this service accepts; send fewer records per request",
    );
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
    return anchorError("ANCHOR_ERR_UNSUPPORTED_MEDIA", "send the body as application/json");
  if (code === "FST_ERR_CTP_EMPTY_JSON_BODY" || code === "FST_ERR_CTP_INVALID_JSON_BODY")
    return anchorError("ANCHOR_ERR_BAD_JSON", "the body is empty or not JSON");
  const status = (error as { statusCode?: number }).statusCode;
  if (status !== undefined && status >= 400 && status < 500)
    return anchorError("ANCHOR_ERR_VALIDATION", (error as Error).message);
  // a full or failing disk: the write was not applied (intake answers only after a durable write)
  if (isStorageFailure(error)) return storageUnavailable(error);
  return undefined;
}
