// Verification against this service's own trust anchor:
//   GET  /.well-known/jointledger-trust-anchor.json   the trust anchor it publishes (chain id, genesis hash, ConsortiumRegistry)
//   POST /v1/verify                                    every check of a bundle, bound to that trust anchor
// The trust anchor is built from the configuration (registry) and the chain (chain id, genesis
// hash), read once the chain first answers and kept for the life of the process: a chain that
// changes under the service afterwards fails verification instead of silently becoming trusted.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { BundleFormatError, parseBundle } from "../../../common/formats/bundle/bundle.ts";
import {
  DEFAULT_TRUST_ANCHOR_NAME,
  TRUST_ANCHOR_PATH,
  readTrustAnchor,
  type TrustAnchor,
} from "../../../common/formats/bundle/trust-anchor.ts";
import { verifyForCourt } from "../../../common/formats/bundle/court-verification.ts";
import type { TrustedTimeOptions } from "../../../common/formats/bundle/trusted-time.ts";
import type { EvidenceLogClient } from "../chain/evidence-log-client.ts";
import { AnchorError, anchorError } from "../errors.ts";
import { ErrorResponse, VerifyBody } from "../schemas/leaves.ts";
import { TrustAnchorResponse, VerifyWithTrustAnchorResponse } from "../schemas/trust-anchor.ts";

const errors = { 400: ErrorResponse, 503: ErrorResponse };

export type TrustAnchorSource = {
  /** The trust anchor; reads the chain until it has answered once. */
  get(): Promise<TrustAnchor>;
};

export function trustAnchorSource(chain: EvidenceLogClient, name: string): TrustAnchorSource {
  let known: TrustAnchor | undefined;
  let pending: Promise<TrustAnchor> | undefined;
  return {
    get() {
      if (known !== undefined) return Promise.resolve(known);
      pending ??= readTrustAnchor(chain.provider, {
        consortiumRegistry: chain.options.consortiumRegistry,
        name,
      })
        .then((anchor) => (known = anchor))
        .finally(() => (pending = undefined));
      return pending;
    },
  };
}

export function registerVerifyRoutes(
  app: FastifyInstance,
  deps: { chain: EvidenceLogClient; trustedTime?: TrustedTimeOptions },
): TrustAnchorSource {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const source = trustAnchorSource(deps.chain, DEFAULT_TRUST_ANCHOR_NAME);
  const trustAnchor = async (): Promise<TrustAnchor> => {
    try {
      return await source.get();
    } catch (e) {
      if (e instanceof AnchorError) throw e;
      throw anchorError(
        "ANCHOR_ERR_CHAIN_UNAVAILABLE",
        `cannot read the chain to build this service's trust anchor: ${(e as Error).message}; retry later`,
      );
    }
  };
  // read it as soon as the app is ready; a chain that is down is asked again on demand
  app.addHook("onReady", async () => void source.get().catch(() => undefined));

  api.get(TRUST_ANCHOR_PATH, {
    schema: {
      summary:
        "This consortium's trust anchor (chain id, genesis block hash, ConsortiumRegistry): what a court keeps to verify bundles with `npm run verify -- --trust URL`",
      response: { 200: TrustAnchorResponse, ...errors },
    },
    handler: async (_request, reply) => {
      const anchor = await trustAnchor();
      void reply.header("cache-control", "no-cache");
      return anchor;
    },
  });

  api.post("/v1/verify", {
    schema: {
      summary:
        "Verify a bundle against this service's trust anchor: each check pass / fail / indeterminate with a reason",
      body: VerifyBody,
      response: { 200: VerifyWithTrustAnchorResponse, ...errors },
    },
    handler: async (request) => {
      let bundle;
      try {
        bundle = parseBundle(request.body.bundle);
      } catch (e) {
        if (e instanceof BundleFormatError) throw anchorError("ANCHOR_ERR_VALIDATION", e.message);
        throw e;
      }
      const { documentDigest } = request.body;
      const verification = await verifyForCourt(bundle, {
        trustAnchor: await trustAnchor(),
        providers: [deps.chain.provider],
        ...(documentDigest === undefined ? {} : { documentDigest }),
        ...(deps.trustedTime === undefined ? {} : { trustedTime: deps.trustedTime }),
      });
      return { ...verification, trustAnchor: { ...verification.trustAnchor, url: TRUST_ANCHOR_PATH } };
    },
  });
  return source;
}
