// GET /v1/digests/:digest — the evidence records carrying a document digest, for a verifier that
// holds only the document (the court's verification page hashes it in the browser).
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { isoSeconds } from "../../../common/formats/receipt/receipts.ts";
import { fromHex, toHex } from "../../../common/bytes.ts";
import { anchorError } from "../errors.ts";
import { DigestParams, DigestResponse } from "../schemas/digests.ts";
import { ErrorResponse } from "../schemas/leaves.ts";
import type { DigestIndex } from "../store/digests.ts";

export function registerDigestRoutes(app: FastifyInstance, index: DigestIndex): void {
  app.withTypeProvider<ZodTypeProvider>().get("/v1/digests/:digest", {
    schema: {
      summary:
        "The evidence records carrying a document digest: each leaf's hash, status, submitter and when it was received",
      params: DigestParams,
      response: { 200: DigestResponse, 400: ErrorResponse, 404: ErrorResponse },
    },
    handler: async (request) => {
      const digest = request.params.digest.toLowerCase();
      const leaves = await index.leaves(fromHex(digest));
      if (leaves.length === 0)
        throw anchorError(
          "ANCHOR_ERR_UNKNOWN_DIGEST",
          `no evidence with document digest ${digest} in this log`,
        );
      return {
        digest,
        leaves: leaves.map((l) => ({
          leafHash: toHex(l.leafHash),
          status: l.anchored ? ("anchored" as const) : ("pending" as const),
          submitter: l.submitter,
          receivedAt: isoSeconds(l.receivedAt),
        })),
      };
    },
  });
}
