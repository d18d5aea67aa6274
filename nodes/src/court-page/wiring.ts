// The court verification page on this node (http/routes/court-page.ts serves it): the chain
// endpoints the page's checks ask from the clerk's browser, the trust anchor they are bound to —
// this node's own configuration (its ConsortiumRegistry on its chain), so a court's node gives
// the court's anchor, not the log operator's — and the TSA roots trustedTime relies on; and the
// node's signed certificates (reports.ts), with its seal and the court's witness policy; and the
// court's package check, its loan facts asked of every configured chain endpoint at one block.
import { readFile } from "node:fs/promises";
import { JsonRpcProvider, type Provider } from "ethers";
import { parsePolicy } from "../../../common/formats/checkpoint/policy.ts";
import type { CourtPageOptions } from "../../../anchor-service/web/src/serve.ts";
import {
  DEFAULT_TRUST_ANCHOR_NAME,
  readTrustAnchor,
  type TrustAnchor,
} from "../../../common/formats/bundle/trust-anchor.ts";
import { loadTrustAnchors } from "../../../common/pki/trust-anchors.ts";
import type { CaseDeps } from "../cases.ts";
import type { NodeConfig } from "../config.ts";
import { ChainDisagreementError, readAgreedChainFacts } from "../court-package/chain-facts.ts";
import { disagreementWords } from "../court-package/names.ts";
import { nodeError } from "../errors.ts";
import type { NodeStorage } from "../wiring/storage.ts";
import { loadSeal, VerificationReports } from "./reports.ts";

export type CourtPage = Omit<CourtPageOptions, "notFound">;

/** Where clerks reach this node: NODE_PUBLIC_URL, else its listen address. */
export function nodePublicUrl(config: Pick<NodeConfig, "publicUrl" | "host" | "port">): string {
  return (config.publicUrl ?? `http://${config.host}:${config.port}`).replace(/\/$/, "");
}

/** An endpoint as reports and errors name it: user:password in a URL stays out. */
const endpointName = (url: string) => url.replace(/\/\/[^/@]*@/, "//");

type ChainEndpoint = { provider: Provider; name: string };

/**
 * The endpoints the court's package check asks: this node's own connection first, then every
 * other one the court page is configured with (NODE_COURT_PAGE_RPC_URLS), on the same chain.
 */
async function courtEndpoints(config: NodeConfig, provider: Provider): Promise<ChainEndpoint[]> {
  const others = [...new Set(config.courtPageRpcUrls ?? [])].filter((url) => url !== config.rpcUrl);
  const network = others.length === 0 ? undefined : await provider.getNetwork();
  return [
    { provider, name: endpointName(config.rpcUrl) },
    ...others.map((url) => ({
      provider: new JsonRpcProvider(url, network, { staticNetwork: network, batchMaxCount: 1 }),
      name: endpointName(url),
    })),
  ];
}

export async function openCourtPage(
  config: NodeConfig,
  provider: Provider,
  storage: Pick<NodeStorage, "sublevel">,
): Promise<{
  page: CourtPage;
  reports: VerificationReports;
  packageChain: NonNullable<CaseDeps["packageChain"]>;
}> {
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
  const tsaTrustAnchors =
    config.tsaTrustAnchorFiles.length === 0 ? null : await loadTrustAnchors(config.tsaTrustAnchorFiles);
  const publicUrl = () => nodePublicUrl(config);
  const memberDirectory =
    config.memberDirectoryFile === undefined ? undefined : await readFile(config.memberDirectoryFile);
  if ((config.sealCertificateFile === undefined) !== (config.sealKeyFile === undefined))
    throw new Error("NODE_SEAL_CERTIFICATE_FILE and NODE_SEAL_KEY_FILE go together");
  const reports = new VerificationReports({
    store: storage.sublevel("verificationReports"),
    memberId: config.memberId,
    // the node's own connection; user:password in a URL stays out of the report
    chain: { provider, endpointName: endpointName(config.rpcUrl) },
    trust: {
      anchor: trustAnchor,
      tsa: tsaTrustAnchors,
      witnessPolicy:
        config.witnessPolicyFile === undefined
          ? undefined
          : parsePolicy(await readFile(config.witnessPolicyFile, "utf8")),
      ...(memberDirectory === undefined ? {} : { memberDirectory }),
    },
    seal:
      config.sealCertificateFile === undefined || config.sealKeyFile === undefined
        ? undefined
        : await loadSeal(config.sealCertificateFile, config.sealKeyFile),
    publicUrl,
    testChainIds: config.testChainIds,
  });
  const page = {
    chainEndpoints: config.courtPageRpcUrls ?? [config.rpcUrl],
    // the case archive screen reads the loan's evidence chain there
    loanLedger: config.jointLoanLedger,
    deployBlock: config.deployBlock,
    ...(memberDirectory === undefined ? {} : { memberDirectory: new TextDecoder().decode(memberDirectory) }),
    trustAnchor,
    tsaTrustAnchors,
    publicUrl,
    reports: true,
  };
  const packageChain = {
    ...packageChainOf(
      reports,
      await courtEndpoints(config, provider),
      config.jointLoanLedger,
      config.deployBlock,
    ),
    // the case archive's certificate names members as the signed certificates do
    names: (memberIds: number[]) => reports.names(memberIds),
  };
  return { page, reports, packageChain };
}

/**
 * The court's package checked against the chain: the loan's facts read from `ledger` (its logs
 * from the deployment block on) over the first endpoint, every other one asked the same at the
 * same block — a different answer, or none, is NODE_ERR_CHAIN_DISAGREEMENT naming both endpoints
 * and the fact, never a pass; each item's bundle verified as the node's certificates are
 * (`reports.verify`: every chain check, the receipt's governed SM2 key).
 */
export function packageChainOf(
  reports: Pick<VerificationReports, "verify">,
  endpoints: readonly ChainEndpoint[],
  ledger: string,
  deployBlock: number,
): NonNullable<CaseDeps["packageChain"]> {
  return {
    facts: (loanId) =>
      readAgreedChainFacts(endpoints, ledger, loanId, { fromBlock: deployBlock }).catch((error: unknown) => {
        if (!(error instanceof ChainDisagreementError)) throw error;
        throw nodeError("NODE_ERR_CHAIN_DISAGREEMENT", disagreementWords(error), {
          endpoints: error.endpoints,
          field: error.field,
        });
      }),
    verify: async (bundle, documentDigest) => (await reports.verify(bundle, documentDigest)).checks,
  };
}
