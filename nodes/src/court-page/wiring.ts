// The court verification page on this node (http/routes/court-page.ts serves it): the chain
// endpoints the page's checks ask from the clerk's browser, the trust anchor they are bound to —
// this node's own configuration (its ConsortiumRegistry on its chain), so a court's node gives
// the court's anchor, not the log operator's — and the TSA roots trustedTime relies on.
import type { Provider } from "ethers";
import type { CourtPageOptions } from "../../../anchor-service/web/src/serve.ts";
import {
  DEFAULT_TRUST_ANCHOR_NAME,
  readTrustAnchor,
  type TrustAnchor,
} from "../../../common/formats/bundle/trust-anchor.ts";
import { loadTrustAnchors } from "../../../common/pki/trust-anchors.ts";
import type { NodeConfig } from "../config.ts";

export type CourtPage = Omit<CourtPageOptions, "notFound">;

/** Where clerks reach this node: NODE_PUBLIC_URL, else its listen address. */
export function nodePublicUrl(config: Pick<NodeConfig, "publicUrl" | "host" | "port">): string {
  return (config.publicUrl ?? `http://${config.host}:${config.port}`).replace(/\/$/, "");
}

export async function openCourtPage(config: NodeConfig, provider: Provider): Promise<CourtPage> {
  let anchor: Promise<TrustAnchor> | undefined;
  const trustAnchor = () => {
    // read once the chain answers; a chain that is down is asked again on the next page load
    anchor ??= readTrustAnchor(provider, {
      consortiumRegistry: config.consortiumRegistry,
      name: DEFAULT_TRUST_ANCHOR_NAME,
    }).catch((error: unknown) => {
      anchor = undefined;
      throw error;
    });
    return anchor.catch(() => null);
  };
  return {
    chainEndpoints: config.courtPageRpcUrls ?? [config.rpcUrl],
    trustAnchor,
    tsaTrustAnchors:
      config.tsaTrustAnchorFiles.length === 0 ? null : await loadTrustAnchors(config.tsaTrustAnchorFiles),
    publicUrl: () => nodePublicUrl(config),
  };
}
