// Schemas of the trust anchor this service publishes (GET /.well-known/jointledger-trust-anchor.json)
// and of POST /v1/verify's answer, which names the trust anchor its verdict is bound to.
import { z } from "zod";
import { TrustAnchorSchema } from "../../../common/formats/bundle/trust-anchor.ts";
import { VerifyResponse } from "./leaves.ts";

export const TrustAnchorResponse = TrustAnchorSchema.describe(
  "the consortium's trust anchor (format jointledger.trust-anchor/1): chain id, genesis block hash, ConsortiumRegistry; see common/formats/bundle/BUNDLE.md",
);

export const TrustAnchorSummary = z.object({
  name: z.string(),
  chainId: z.string(),
  genesisHash: z.string(),
  consortiumRegistry: z.string(),
  fingerprint: z
    .string()
    .describe(
      "SHA-256 of the canonical trust anchor, 16 bytes in groups of four hex digits: compare with the published one",
    ),
  url: z.string().describe("where this service publishes its trust anchor (a path on this service)"),
});

export const VerifyWithTrustAnchorResponse = VerifyResponse.extend({
  trustAnchor: TrustAnchorSummary.describe(
    "the trust anchor every chain check was bound to: this service's own",
  ),
  trustedTime: z
    .object({
      attestedAt: z.string().describe("the TSA-attested time: the document existed no later than this"),
      tsa: z.string().describe("the TSA certificate's subject"),
    })
    .optional()
    .describe("present when trustedTime passes: the evidence time a certificate states"),
});
