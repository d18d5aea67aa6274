// The court page's own verification, bundled for the browser by build.ts into ../verifier.js:
// every check of a bundle run on the clerk's computer by the shared verifier library
// (common/formats) — the chain checks over JSON-RPC against the chain endpoints the court chose
// (its own node's; the page's Content-Security-Policy lets it reach those and nothing else),
// bound to the court's trust anchor — and the witnesses of the bundle's checkpoint against the
// court's tlog-policy file.
import { FetchRequest, JsonRpcProvider, Network } from "ethers";
import { parseBundle, type EvidenceBundle } from "../../../common/formats/bundle/bundle.ts";
import { verifyForCourt, type CourtVerification } from "../../../common/formats/bundle/court-verification.ts";
import { overall, requiredForPass } from "../../../common/formats/bundle/verify.ts";
import { withGovernedReceiptKey } from "../../../nodes/src/court-page/governed-receipt.ts";
import { witnessReport, type WitnessReport } from "../../../common/formats/bundle/cosignatures.ts";
import { parseTrustAnchor } from "../../../common/formats/bundle/trust-anchor.ts";
import { parsePolicy } from "../../../common/formats/checkpoint/policy.ts";
import { trustAnchorsFromPem } from "../../../common/pki/trust-anchors.ts";
import { RegistryReader } from "../../../common/chain/registry.ts";
import { MEMBER_KINDS } from "../../../common/chain/generated/enums.ts";
import { uncapitalized } from "../../../common/chain/names.ts";
import { identityOf, readGovernedDirectory } from "../../../common/consortium/member-directory.ts";
import type { MemberIdentity } from "../../../common/consortium/uscc.ts";

/** Member kinds as the page's labels name them ("branch"), as the anchor service's API spells them. */
const KIND_NAMES = uncapitalized(MEMBER_KINDS);

export type PageWitnesses = WitnessReport | { policyError: string };

/** The checkpoint's signatures judged against the policy text (null: none given). */
export function witnessesOf(bundle: EvidenceBundle, policyText: string | null): PageWitnesses {
  let policy;
  try {
    policy = policyText === null ? undefined : parsePolicy(policyText);
  } catch (e) {
    return { policyError: e instanceof Error ? e.message : String(e) };
  }
  return witnessReport(bundle, policy);
}

/** What the serving node tells its page (GET /verify/config.json): the court's choices. */
export type ChainSettings = {
  /** The JSON-RPC endpoints every chain check asks, the court's choice first; all must agree. */
  chainEndpoints: string[];
  /** The trust anchor the chain checks are bound to (jointledger.trust-anchor/1). */
  trustAnchor: unknown;
  /** The TSA root certificates trustedTime relies on, PEM. */
  tsaRoots: string[];
  minConfirmations: number;
  /** JointLoanLedger's address on that chain (the serving node's configuration): the case archive's evidence chain. */
  loanLedger?: string | null;
  /** The block the contracts were deployed in: the loan's logs are looked for from there, not from block 0. */
  deployBlock?: number;
  /** The governed member directory's text (the serving node's NODE_MEMBER_DIRECTORY_FILE): the log operator's SM2 receipt key. */
  memberDirectory?: string | null;
};

const RPC_TIMEOUT_MS = 15_000;

function providerOf(url: string, network: Network): JsonRpcProvider {
  const request = new FetchRequest(url);
  request.timeout = RPC_TIMEOUT_MS;
  return new JsonRpcProvider(request, network, { staticNetwork: network, batchMaxCount: 1 });
}

/** A member as the page names it: the registry's name and kind, and its legal identity when the governed directory lists it. */
export type PageMember = { name: string; kind: string; identity?: MemberIdentity; fromDirectory: boolean };

/**
 * The registered names and kinds of `memberIds`, read here from the trust anchor's
 * ConsortiumRegistry through the court's chosen endpoint (the first) (the names the page shows where no anchor
 * service serves them), each with its legal names and credit code from the member directory the
 * serving node gives, if the chain governs exactly that file (fromDirectory); an id the registry does not know maps to null.
 */
export async function membersOf(
  memberIds: readonly number[],
  settings: ChainSettings,
): Promise<Map<number, PageMember | null>> {
  const anchor = parseTrustAnchor(settings.trustAnchor);
  const provider = providerOf(settings.chainEndpoints[0]!, Network.from(BigInt(anchor.chainId)));
  try {
    const registry = new RegistryReader(anchor.consortiumRegistry, provider);
    const text = settings.memberDirectory;
    // a file the chain does not govern names nobody: the registry's names stand, marked as such
    const directory =
      typeof text === "string"
        ? await readGovernedDirectory(
            new TextEncoder().encode(text),
            provider,
            anchor.consortiumRegistry,
          ).catch(() => undefined)
        : undefined;
    const entries = await Promise.all(
      memberIds.map(async (id) => {
        const m = await registry.member(id).catch(() => null);
        const entry = directory === undefined ? undefined : identityOf(directory, id);
        const identity =
          entry === undefined
            ? undefined
            : { memberId: id, nameZh: entry.nameZh, nameEn: entry.nameEn, uscc: entry.uscc };
        return [
          id,
          m === null
            ? null
            : {
                name: m.name,
                kind: KIND_NAMES[m.kind] ?? String(m.kind),
                ...(identity === undefined ? {} : { identity }),
                fromDirectory: identity !== undefined,
              },
        ] as const;
      }),
    );
    return new Map(entries);
  } finally {
    provider.destroy();
  }
}

/**
 * The court's chain checks, one connection per endpoint for as many bundles as the caller has
 * (a case archive's items): `verify` runs every check of a bundle here, bound to the court's trust
 * anchor; `close` drops the connections.
 */
export function courtChecks(settings: ChainSettings) {
  const trustAnchor = parseTrustAnchor(settings.trustAnchor);
  // staticNetwork: no start-up probing; the checks ask eth_chainId and the genesis block themselves
  const network = Network.from(BigInt(trustAnchor.chainId));
  const providers = settings.chainEndpoints.map((url) => providerOf(url, network));
  const tsaTrustAnchors = settings.tsaRoots.length === 0 ? null : trustAnchorsFromPem(settings.tsaRoots);
  return {
    providers,
    async verify(bundle: EvidenceBundle, documentDigest: string | null): Promise<CourtVerification> {
      const trustedTime = { tsaTrustAnchors };
      const verification = await verifyForCourt(bundle, {
        trustAnchor,
        providers,
        endpointNames: settings.chainEndpoints,
        minConfirmations: settings.minConfirmations,
        ...(documentDigest === null ? {} : { documentDigest }),
        trustedTime,
      });
      // the receipt's SM2 key against the governed directory, read through the court's chosen endpoint
      const directory = settings.memberDirectory;
      const checks = await withGovernedReceiptKey(
        verification.checks,
        bundle,
        typeof directory === "string" && providers[0] !== undefined
          ? {
              directory: new TextEncoder().encode(directory),
              provider: providers[0],
              consortiumRegistry: trustAnchor.consortiumRegistry,
            }
          : undefined,
      );
      return checks === verification.checks
        ? verification
        : { ...verification, checks, overall: overall(checks, requiredForPass({ trustedTime })) };
    },
    close() {
      for (const p of providers) p.destroy();
    },
  };
}

/** Every check of `bundle` run here, against the court's endpoints; the shape POST /v1/verify answers. */
export async function verifyAgainstChain(
  bundleJson: unknown,
  documentDigest: string | null,
  settings: ChainSettings,
): Promise<CourtVerification & { endpoints: string[] }> {
  const bundle = parseBundle(bundleJson);
  const checks = courtChecks(settings);
  try {
    return { ...(await checks.verify(bundle, documentDigest)), endpoints: settings.chainEndpoints };
  } finally {
    checks.close();
  }
}
