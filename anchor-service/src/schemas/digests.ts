// Schemas of the document-digest lookup (zod, turned into OpenAPI at /docs).
import { z } from "zod";
import { bytes32 } from "./leaves.ts";

export const DigestParams = z.strictObject({
  digest: bytes32.describe("the document's digest (e.g. its SHA-256), computed by the caller"),
});

export const DigestResponse = z.object({
  digest: z.string().describe("the digest asked about, lowercase"),
  leaves: z
    .array(
      z.object({
        leafHash: z
          .string()
          .describe("the evidence leaf's hash: GET /v1/leaves/:leafHash and /v1/bundles/:leafHash take it"),
        status: z.enum(["pending", "anchored"]),
        submitter: z.int().describe("member id of the submitter"),
        receivedAt: z
          .string()
          .describe(
            "ISO 8601, whole seconds (as in the receipt): when the service durably accepted the record",
          ),
      }),
    )
    .describe("every record carrying this digest, oldest first (at most 1,000)"),
});
