// The court verification page (anchor-service/web/) on this service: the page itself as every
// service serves it (web/src/serve.ts: /verify, its assets, /verify/config.json, the QR code,
// under a strict Content-Security-Policy), and the chain reads it shows (court-reads.ts). Here the
// page's chain checks are the service's own POST /v1/verify unless chain endpoints are given: a
// court that wants them run in its browser against its own node's RPC opens its node's /verify.
import type { FastifyInstance } from "fastify";
import { DEFAULT_TRUST_ANCHOR_NAME } from "../../../common/formats/bundle/trust-anchor.ts";
import type { TrustedTimeOptions } from "../../../common/formats/bundle/trusted-time.ts";
import { registerCourtPage } from "../../web/src/serve.ts";
import type { EvidenceLogClient } from "../chain/evidence-log-client.ts";
import { anchorError } from "../errors.ts";
import { registerCourtReads } from "./court-reads.ts";
import { trustAnchorSource } from "./verify.ts";

export { verificationUrl } from "../../web/src/serve.ts";

export function registerVerifyPage(
  app: FastifyInstance,
  deps: {
    chain: EvidenceLogClient;
    info: () => { publicUrl: string };
    tsa?: { trustedTime: TrustedTimeOptions };
    /** JSON-RPC endpoints the page's chain checks ask from the browser; absent: POST /v1/verify. */
    pageChainEndpoints?: readonly string[];
  },
): void {
  const anchor = trustAnchorSource(deps.chain, DEFAULT_TRUST_ANCHOR_NAME);
  registerCourtPage(app, {
    chainEndpoints: deps.pageChainEndpoints ?? [],
    trustAnchor: () => anchor.get().catch(() => null),
    tsaTrustAnchors: deps.tsa?.trustedTime.tsaTrustAnchors ?? null,
    publicUrl: () => deps.info().publicUrl,
    notFound: (message) => anchorError("ANCHOR_ERR_NOT_FOUND", message),
  });
  registerCourtReads(app, deps.chain);
}
