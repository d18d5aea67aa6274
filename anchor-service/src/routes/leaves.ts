// POST /v1/leaves: signed submissions of 1–10,000 evidence records, answered once durable with a
// receipt per record. Checked in increasing cost, so a caller that fails a cheap check never
// costs the service the expensive ones:
//   1. onRequest, from the headers alone, before a byte of the body is read: the auth headers'
//      form and time window, the named signer's membership (cached), the member's quota;
//   2. once the body is read: its SHA-256 (the signed value covers it) and the signer recovered
//      from the signature (on the crypto worker) — a body is parsed only under a valid signature;
//   3. the body parsed — the plain form clients send straight into packed records
//      (intake/submit-parser.ts), anything else strictly (no duplicate keys) — with the member's
//      quota reserved meanwhile (intake/quota.ts), and its records counted against it;
//   4. the zod schema (for a body not in the plain form), then the intake, which checks the
//      x-jl-submission-signature header: the signer's own EvidenceSubmission signature over the
//      records' leaf hashes (recovered on the crypto worker), kept for the leaves' bundles.
// Refusals found while the body is read are answered after it (the client is never cut off
// mid-send) and keep the connection open. Refusals from the headers alone leave a body of more
// than 64 KiB unread and close the connection after the answer.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { PendingVerification } from "../../../common/auth/request-signing.ts";
import { closeIfLargeBody } from "../../../common/service/request-body.ts";
import type { RequestCaller } from "../../../common/service/request-log.ts";
import {
  bodyHashOf,
  completeVerification,
  nonceKey,
  prepareVerification,
  recoverSigner,
} from "../../../common/auth/request-signing.ts";
import type { EvidenceRecord } from "../../../common/formats/leaf/leaf.ts";
import type { AppDeps } from "../app.ts";
import { anchorError } from "../errors.ts";
import { declaredOversize, parseStrictJson, readBody } from "../http/body.ts";
import type { QuotaLimits } from "../intake/quota.ts";
import { PackedSubmission, parseSubmitBody } from "../intake/submit-parser.ts";
import { ErrorResponse, SubmitBody, SubmitResponse } from "../schemas/leaves.ts";
import { SUBMISSION_SIGNATURE_HEADER } from "../../../common/formats/receipt/submission.ts";

const errors = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  409: ErrorResponse,
  413: ErrorResponse,
  429: ErrorResponse,
  503: ErrorResponse,
};

const EMPTY = new Uint8Array(0);

/** What the headers established (step 1); `verified` once the signature over the body holds (step 2). */
type IntakeAuth = {
  pending: PendingVerification;
  memberId: number;
  limits: QuotaLimits | undefined;
  verified: boolean;
};

/**
 * The caller the request log names: the member whose signature over the request verified, by its
 * operations key. A member only named in the headers (its signature not checked, or wrong) is none.
 */
export function verifiedSubmitter(request: FastifyRequest): RequestCaller | undefined {
  const auth = request.intakeAuth;
  return auth?.verified === true ? { member: auth.memberId, role: "operations" } : undefined;
}

/** A body refused while it was read or parsed: thrown in preValidation, so the connection stays open. */
class RefusedBody {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

declare module "fastify" {
  interface FastifyRequest {
    intakeAuth: IntakeAuth | undefined;
  }
}

export function registerSubmitRoute(app: FastifyInstance, deps: AppDeps): void {
  void app.register(async (child) => {
    child.decorateRequest("intakeAuth", undefined);
    // JSON only, and keep the exact bytes: signed requests sign the SHA-256 of the raw body
    child.removeAllContentTypeParsers();
    child.addContentTypeParser(
      "application/json",
      async (request: FastifyRequest, payload: NodeJS.ReadableStream) => {
        try {
          const raw = await readBody(payload, deps.limits.maxBodyBytes);
          request.rawBody = raw;
          await verifySignature(request, raw, deps);
          if (raw.length === 0) return undefined;
          return parseCounted(raw, request.intakeAuth!, deps);
        } catch (error) {
          return new RefusedBody(error);
        }
      },
    );

    child.withTypeProvider<ZodTypeProvider>().post("/v1/leaves", {
      schema: {
        summary: "Submit evidence records (1–10,000); replies with a signed receipt per record once durable",
        body: SubmitBody,
        response: { 200: SubmitResponse, ...errors },
      },
      // a packed body was fully checked by its parser; the schema checks everything else
      validatorCompiler: (route) => {
        // this route declares a body schema only, so the body is the one part compiled here
        const zod = validatorCompiler({ ...route, schema: SubmitBody });
        return (data: unknown) => (data instanceof PackedSubmission ? { value: data } : zod(data));
      },
      // the declared body size is checked here, after the signature headers (http/body.ts)
      config: { checksBodyLimit: true },
      onRequest: async (request, reply) => {
        try {
          request.intakeAuth = await authenticateHeaders(request, deps);
        } catch (error) {
          closeIfLargeBody(request, reply);
          throw error;
        }
        // a member's body over the limit: 413 before it is read, and Node drops it keeping the connection
        const oversize = declaredOversize(request, deps.limits.maxBodyBytes);
        if (oversize !== undefined) throw oversize;
      },
      preValidation: async (request) => {
        const body = request.body as { records?: unknown } | RefusedBody | undefined;
        if (body instanceof RefusedBody) throw body.error;
        // a request without a body (no content type) was not through the parser: its signature is over no bytes
        if (!request.intakeAuth!.verified) await verifySignature(request, EMPTY, deps);
        if (
          Array.isArray((body as { records?: unknown })?.records) &&
          (body as { records: unknown[] }).records.length > deps.limits.maxRecordsPerRequest
        ) {
          throw anchorError(
            "ANCHOR_ERR_TOO_MANY_RECORDS",
            `at most ${deps.limits.maxRecordsPerRequest} records per request, got ${(body as { records: unknown[] }).records.length}; split the submission`,
          );
        }
      },
      handler: async (request, reply) => {
        const auth = request.intakeAuth!;
        const memberId = auth.memberId;
        const body = request.body as unknown as SubmitBody | PackedSubmission;
        let records: EvidenceRecord[] | Uint8Array;
        if (body instanceof PackedSubmission) {
          const i = body.mismatch(memberId);
          if (i >= 0) throw mismatch(i, body.submitters[i]!, memberId);
          records = body.withSubmitter(memberId);
        } else {
          records = body.records.map((r, i) => {
            if (r.submitter !== undefined && r.submitter !== memberId)
              throw mismatch(i, r.submitter, memberId);
            return {
              version: 1,
              kind: r.kind,
              digestAlgorithm: r.digestAlgorithm,
              digest: r.digest.toLowerCase(),
              salt: r.salt.toLowerCase(),
              submitter: memberId,
              subject: r.subject.toLowerCase(),
            } as EvidenceRecord;
          });
        }
        deps.metrics.queueDepth.set(deps.intake.queueDepth + 1);
        const { pending } = auth;
        const header = request.headers[SUBMISSION_SIGNATURE_HEADER];
        if (typeof header !== "string") {
          throw anchorError(
            "ANCHOR_ERR_SUBMISSION_SIGNATURE",
            `the ${SUBMISSION_SIGNATURE_HEADER} header is missing: sign EvidenceSubmission(logId, batchRoot) over the records' leaf hashes in request order`,
          );
        }
        const submissionSignature = header;
        const receipts = await deps.intake.submitIssued({
          signer: pending.signer,
          memberId,
          nonceKey: nonceKey(pending.signer, pending.nonce),
          expiresAt: pending.expiresAt,
          records,
          submissionSignature,
        });
        deps.metrics.intakeRequests.inc();
        // receipts are written by our own code to ReceiptSchema (common/formats/receipt/receipt-json.ts); re-encoding
        // 10,000 of them through zod would cost more than the whole intake, so it is not re-applied
        // the bytes are already the JSON reply, so they go out through the reply's untyped view
        const raw: FastifyReply = reply;
        return raw.type("application/json").send(receipts.json());
      },
    });
  });
}

type SubmitBody = {
  records: Array<{
    kind: number;
    digestAlgorithm: number;
    digest: string;
    salt: string;
    submitter?: number | undefined;
    subject: string;
  }>;
};

function mismatch(index: number, submitter: number, memberId: number) {
  return anchorError(
    "ANCHOR_ERR_SUBMITTER_MISMATCH",
    `records[${index}].submitter is ${submitter}, but the request is signed by member ${memberId}`,
  );
}

/**
 * Step 1, from the headers alone: their form and time window (the body hash is filled in once
 * the body is read), the named signer's membership and status, and whether the member has
 * quota left. The signature itself is checked in step 2: until then the signer is only named.
 */
async function authenticateHeaders(request: FastifyRequest, deps: AppDeps): Promise<IntakeAuth> {
  const domain = deps.requestDomain();
  if (domain === undefined)
    throw anchorError(
      "ANCHOR_ERR_CHAIN_UNAVAILABLE",
      "the service has not reached the chain yet; retry shortly",
    );
  const pending = prepareVerification(
    domain,
    // the path is signed as sent, query string included (common/auth/request-signing.ts)
    { method: request.method, path: request.url, rawBody: EMPTY, headers: request.headers },
    { now: deps.now(), maxTtlSeconds: deps.limits.maxRequestTtlSeconds },
  );
  const memberId = await activeMemberOf(pending.signer, deps);
  let limits: QuotaLimits | undefined;
  if (deps.quotas !== undefined) {
    limits = await deps.quotas.limits();
    const refused = deps.quotas.quotas.admits(memberId, limits);
    if (refused !== undefined) throw refused;
  }
  return { pending, memberId, limits, verified: false };
}

/** The member id of an operations account of an active member; refused otherwise. */
async function activeMemberOf(account: string, deps: AppDeps): Promise<number> {
  let status;
  try {
    status = await deps.chain.memberStatus(account);
  } catch (e) {
    throw anchorError(
      "ANCHOR_ERR_CHAIN_UNAVAILABLE",
      `cannot check membership on chain: ${(e as Error).message}`,
    );
  }
  if (status.status === "none")
    throw anchorError("ANCHOR_ERR_NOT_MEMBER", `${account} is not an account of any consortium member`);
  if (status.status === "suspended")
    throw anchorError("ANCHOR_ERR_MEMBER_SUSPENDED", `member ${status.memberId} is suspended`);
  // one role per key: a member's log-operator or governance key never submits evidence
  if (status.role !== "operations")
    throw anchorError(
      "ANCHOR_ERR_NOT_OPERATIONS_KEY",
      `${account} is member ${status.memberId}'s ${status.role} key; only its operations keys submit evidence`,
    );
  return status.memberId;
}

/**
 * Step 3: the body parsed, the member's quota reserved while it is (so a member's concurrent
 * requests beyond its quota are refused before they cost a parse) and its records then counted.
 * A body with more records than a request may carry is left to preValidation's 413, uncounted.
 */
function parseCounted(raw: Buffer, auth: IntakeAuth, deps: AppDeps): unknown {
  const quotas = deps.quotas?.quotas;
  if (quotas === undefined || auth.limits === undefined)
    return parseSubmitBody(raw, deps.limits.maxRecordsPerRequest) ?? parseStrictJson(raw);
  const reservation = quotas.reserve(auth.memberId, auth.limits);
  if (typeof reservation !== "number") throw reservation;
  let reserved = reservation;
  try {
    const body = parseSubmitBody(raw, deps.limits.maxRecordsPerRequest) ?? parseStrictJson(raw);
    const list =
      body instanceof PackedSubmission ? undefined : (body as { records?: unknown } | null)?.records;
    const count = body instanceof PackedSubmission ? body.count : Array.isArray(list) ? list.length : 0;
    if (count <= deps.limits.maxRecordsPerRequest) {
      reserved = 0;
      const refused = quotas.charge(auth.memberId, count, auth.limits, reservation);
      if (refused !== undefined) throw refused;
    }
    return body;
  } finally {
    if (reserved > 0) quotas.release(auth.memberId, reserved, auth.limits);
  }
}

/** Step 2: the signature over the body's SHA-256 must recover the signer the headers named. */
async function verifySignature(request: FastifyRequest, raw: Uint8Array, deps: AppDeps): Promise<void> {
  const auth = request.intakeAuth!;
  const pending = auth.pending;
  pending.value.bodyHash = bodyHashOf(raw);
  completeVerification(
    pending,
    deps.recoverSigner === undefined ? recoverSigner(pending) : await deps.recoverSigner(pending),
  );
  auth.verified = true;
}
