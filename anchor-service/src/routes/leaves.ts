// POST /v1/leaves: signed submissions of 1–10,000 evidence records, answered once durable with a
// receipt per record. It has its own JSON body parser (an encapsulated Fastify context): the plain
// form clients send is read straight into packed records (intake/submit-parser.ts); any other body
// is parsed and validated the general way, with the same codes and messages as before.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { completeVerification, nonceKey, prepareVerification, recoverSigner } from "../../../common/auth/request-signing.ts";
import type { EvidenceRecord } from "../../../common/evidence/leaf.ts";
import type { AppDeps } from "../app.ts";
import { anchorError } from "../errors.ts";
import { PackedSubmission, parseSubmitBody } from "../intake/submit-parser.ts";
import { ErrorResponse, SubmitBody, SubmitResponse } from "../schemas/leaves.ts";

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 409: ErrorResponse, 413: ErrorResponse, 503: ErrorResponse };

export function registerSubmitRoute(app: FastifyInstance, deps: AppDeps): void {
  void app.register(async (child) => {
    // JSON only, and keep the exact bytes: signed requests sign the SHA-256 of the raw body
    child.removeAllContentTypeParsers();
    child.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
      const raw = body as Buffer;
      request.rawBody = raw;
      if (raw.length === 0) return done(null, undefined);
      const packed = parseSubmitBody(raw, deps.limits.maxRecordsPerRequest);
      if (packed !== undefined) return done(null, packed);
      try {
        done(null, JSON.parse(raw.toString("utf8")));
      } catch (e) {
        done(anchorError("ANCHOR_ERR_BAD_JSON", `the body is not valid JSON: ${(e as Error).message}`), undefined);
      }
    });

    child.withTypeProvider<ZodTypeProvider>().post("/v1/leaves", {
      schema: { summary: "Submit evidence records (1–10,000); replies with a signed receipt per record once durable", body: SubmitBody, response: { 200: SubmitResponse, ...errors } },
      // a packed body was fully checked by its parser; the schema checks everything else
      validatorCompiler: (route) => {
        const zod = validatorCompiler(route as never);
        return (data: unknown) => (data instanceof PackedSubmission ? { value: data } : zod(data));
      },
      preValidation: async (request) => {
        const body = request.body as { records?: unknown };
        if (Array.isArray(body?.records) && body.records.length > deps.limits.maxRecordsPerRequest) {
          throw anchorError("ANCHOR_ERR_TOO_MANY_RECORDS", `at most ${deps.limits.maxRecordsPerRequest} records per request, got ${body.records.length}; split the submission`);
        }
      },
      handler: async (request, reply) => {
        const auth = await authenticate(request, deps);
        const body = request.body as unknown as SubmitBody | PackedSubmission;
        let records: EvidenceRecord[] | Uint8Array;
        if (body instanceof PackedSubmission) {
          const i = body.mismatch(auth.memberId);
          if (i >= 0) throw mismatch(i, body.submitters[i]!, auth.memberId);
          records = body.withSubmitter(auth.memberId);
        } else {
          records = body.records.map((r, i) => {
            if (r.submitter !== undefined && r.submitter !== auth.memberId) throw mismatch(i, r.submitter, auth.memberId);
            return { version: 1, kind: r.kind, digestAlgorithm: r.digestAlgorithm, digest: r.digest.toLowerCase(), salt: r.salt.toLowerCase(), submitter: auth.memberId, subject: r.subject.toLowerCase() } as EvidenceRecord;
          });
        }
        deps.metrics.queueDepth.set(deps.intake.queueDepth + 1);
        const receipts = await deps.intake.submitIssued({ ...auth, records });
        deps.metrics.intakeRequests.inc();
        // receipts are written by our own code to ReceiptSchema (intake/receipt-json.ts); re-encoding
        // 10,000 of them through zod would cost more than the whole intake, so it is not re-applied
        return reply.type("application/json").send(receipts.json() as never);
      },
    });
  });
}

type SubmitBody = { records: Array<{ kind: number; digestAlgorithm: number; digest: string; salt: string; submitter?: number | undefined; subject: string }> };

function mismatch(index: number, submitter: number, memberId: number) {
  return anchorError("ANCHOR_ERR_SUBMITTER_MISMATCH", `records[${index}].submitter is ${submitter}, but the request is signed by member ${memberId}`);
}

/** Signature, expiry, membership and status of the request's signer. */
async function authenticate(request: FastifyRequest, deps: AppDeps): Promise<{ signer: string; memberId: number; nonceKey: Uint8Array; expiresAt: number }> {
  const domain = deps.requestDomain();
  if (domain === undefined) throw anchorError("ANCHOR_ERR_CHAIN_UNAVAILABLE", "the service has not reached the chain yet; retry shortly");
  const pending = prepareVerification(
    domain,
    // the path is signed as sent, query string included (common/auth/request-signing.ts)
    { method: request.method, path: request.url, rawBody: request.rawBody ?? new Uint8Array(0), headers: request.headers },
    { now: deps.now(), maxTtlSeconds: deps.limits.maxRequestTtlSeconds },
  );
  const verified = completeVerification(pending, deps.recoverSigner === undefined ? recoverSigner(pending) : await deps.recoverSigner(pending));
  let status;
  try {
    status = await deps.chain.memberStatus(verified.signer);
  } catch (e) {
    throw anchorError("ANCHOR_ERR_CHAIN_UNAVAILABLE", `cannot check membership on chain: ${(e as Error).message}`);
  }
  if (status.status === "none") throw anchorError("ANCHOR_ERR_NOT_MEMBER", `${verified.signer} is not an account of any consortium member`);
  if (status.status === "suspended") throw anchorError("ANCHOR_ERR_MEMBER_SUSPENDED", `member ${status.memberId} is suspended`);
  return { signer: verified.signer, memberId: status.memberId, nonceKey: nonceKey(verified.signer, verified.nonce), expiresAt: verified.expiresAt };
}
