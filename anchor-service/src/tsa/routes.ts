// GET /v1/timestamps/:treeSize — the RFC 3161 tokens stored for a committed head, or one whose
// transaction is being sent (bundles carry the same; this serves them for a head by itself, e.g.
// to a witness or an auditor).
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { headTimestampMessage } from "../../../common/formats/bundle/trusted-time.ts";
import { anchorError } from "../errors.ts";
import { ErrorResponse } from "../schemas/leaves.ts";
import { SEQ_BYTES } from "../store/keys.ts";
import type { HeadStamper } from "./stamper.ts";

const TimestampsParams = z.strictObject({
  treeSize: z.coerce
    .number()
    .int()
    .min(1)
    .max(2 ** (8 * SEQ_BYTES) - 1)
    .describe("a committed head's tree size"),
});

const TimestampsResponse = z.object({
  treeSize: z.number(),
  rootHash: z.string(),
  message: z
    .string()
    .describe('the text whose SHA-256 each token\'s message imprint is (BUNDLE.md, "Trusted time")'),
  tokens: z.array(
    z.object({
      tsa: z.string().describe("the TSA asked"),
      token: z.string().describe("RFC 3161 TimeStampToken, DER in base64"),
      genTime: z.string().describe("the TSA's time in the token"),
    }),
  ),
  pending: z.boolean().describe("a configured TSA has not stamped this head yet (retried)"),
});

export function registerTimestampRoutes(
  app: FastifyInstance,
  deps: { stamper: HeadStamper; logId: string },
): void {
  app.withTypeProvider<ZodTypeProvider>().get("/v1/timestamps/:treeSize", {
    schema: {
      summary: "The RFC 3161 time-stamp tokens over a committed head",
      params: TimestampsParams,
      response: { 200: TimestampsResponse, 400: ErrorResponse, 404: ErrorResponse },
    },
    handler: async (request) => {
      const { treeSize } = request.params;
      const stored = await deps.stamper.stored(treeSize);
      const queued = await deps.stamper.isQueued(treeSize);
      if (stored === undefined && !queued) {
        throw anchorError(
          "ANCHOR_ERR_UNKNOWN_TIMESTAMP",
          `no time-stamp token is stored or awaited for a head of ${treeSize} leaves (not a committed head, or committed before TSAs were configured)`,
        );
      }
      const rootHash = stored?.rootHash ?? (await deps.stamper.queuedRoot(treeSize))!;
      return {
        treeSize,
        rootHash,
        message: new TextDecoder().decode(headTimestampMessage({ logId: deps.logId, treeSize, rootHash })),
        tokens: stored?.tokens ?? [],
        pending: queued,
      };
    },
  });
}
