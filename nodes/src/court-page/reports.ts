// Signed verification certificates (电子证据核验证明): the node verifies a bundle itself — every
// check against its own chain connection, bound to its trust anchor, the TSA roots and the court's
// witness policy it is configured with — writes the machine-readable report (report.ts), renders
// the one-page certificate (certificate.ts), signs it with its seal (PAdES, e-contract/sign.ts)
// and keeps both under the report id, which anyone can look up.
import { readFile } from "node:fs/promises";
import type { Provider } from "ethers";
import { parseBundle, type EvidenceBundle } from "../../../common/formats/bundle/bundle.ts";
import { witnessReport } from "../../../common/formats/bundle/cosignatures.ts";
import { verifyForCourt, type CourtVerification } from "../../../common/formats/bundle/court-verification.ts";
import { overall, requiredForPass } from "../../../common/formats/bundle/verify.ts";
import type { TrustAnchor } from "../../../common/formats/bundle/trust-anchor.ts";
import type { Policy } from "../../../common/formats/checkpoint/policy.ts";
import type { Sublevel } from "../../../common/level.ts";
import { certificatesFromPem, subjectOf, type TrustAnchors } from "../../../common/pki/trust-anchors.ts";
import { x509 } from "../../../common/pki/x509.ts";
import { FailedTokenLimiter } from "../../../common/auth/failed-token-limiter.ts";
import { signPdf, type SigningIdentity } from "../e-contract/sign.ts";
import { nodeError } from "../errors.ts";
import { certificatePdf } from "./certificate.ts";
import { withGovernedReceiptKey } from "./governed-receipt.ts";
import { readGovernedDirectory } from "../../../common/consortium/member-directory.ts";
import {
  evidenceFacts,
  memberNames,
  MEMBERSHIP_RULE,
  type MemberNames,
  REPORT_FORMAT,
  reportCheck,
  reportIdOf,
  simpleReport,
  testEnvironmentOf,
  type VerificationReport,
} from "./report.ts";

/** One stored verification: the report and its signed certificate (base64). */
export type StoredReport = { report: VerificationReport; pdf: string };
export type ReportStore = Sublevel<string, StoredReport>;

export type ReportsOptions = {
  store: ReportStore;
  memberId: number;
  /** The node's own chain connection, how reports name it, and the confirmations required (default 0). */
  chain: { provider: Provider; endpointName: string; minConfirmations?: number };
  /** What the checks rely on: the trust anchor (null until the chain answers), the TSA roots, the court's witness policy. */
  trust: {
    anchor: () => Promise<TrustAnchor | null>;
    tsa: TrustAnchors | null;
    witnessPolicy: Policy | undefined;
    /** The governed member directory (NODE_MEMBER_DIRECTORY_FILE): the log operator's SM2 receipt key. */
    memberDirectory?: Uint8Array;
  };
  /** The seal certificates are signed with; undefined: none configured (409). */
  seal: SigningIdentity | undefined;
  publicUrl: () => string;
  /** The chain ids the node treats as development chains (NODE_TEST_CHAIN_IDS; default 31337): their reports are marked. */
  testChainIds?: readonly number[];
  now?: () => Date;
  /** Certificates one address may ask for within `windowMs` (default 30 a minute): each is a chain verification and a signature. */
  limit?: { perAddress: number; windowMs: number };
};

/** The largest POST /verify/reports body: a bundle with its TSA tokens and cosignatures is a few KiB. */
export const REPORT_MAX_BODY_BYTES = 1024 * 1024;

/** A seal's certificate and PKCS #8 key (RSA, PEM files) as a signing identity. */
export async function loadSeal(certificateFile: string, keyFile: string): Promise<SigningIdentity> {
  const [der] = x509.PemConverter.decode(await readFile(keyFile, "utf8"));
  if (der === undefined) throw new TypeError(`${keyFile} holds no key`);
  return {
    certificatePem: await readFile(certificateFile, "utf8"),
    privateKey: await globalThis.crypto.subtle.importKey(
      "pkcs8",
      der,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["sign"],
    ),
  };
}

export class VerificationReports {
  readonly #options: ReportsOptions;
  /** Asks per address in a sliding window (the limiter the node's refused tokens go behind). */
  readonly #asks: FailedTokenLimiter;

  constructor(options: ReportsOptions) {
    this.#options = options;
    const limit = options.limit ?? { perAddress: 30, windowMs: 60_000 };
    this.#asks = new FailedTokenLimiter({ maxFailures: limit.perAddress, windowMs: limit.windowMs });
  }

  /**
   * Counts an ask for a certificate from `address`, or refuses it (429, nothing verified or kept)
   * while the address is over its limit: the route is open, and each certificate costs the node
   * a chain verification and a seal signature.
   */
  admit(address: string): void {
    const wait = this.#asks.retryAfterSeconds(address);
    if (wait > 0)
      throw nodeError(
        "NODE_ERR_REPORT_RATE_LIMITED",
        `too many verification certificates asked for from this address; try again in ${wait} s`,
        { retryAfterSeconds: wait },
      );
    this.#asks.fail(address);
  }

  /** The path a report is looked up at, and its certificate's. */
  static paths(reportId: string) {
    return { json: `/verify/reports/${reportId}`, pdf: `/verify/reports/${reportId}/certificate.pdf` };
  }

  /** Verifies `bundleJson` (with the document's digest, if given), signs the certificate and stores both. */
  async create(bundleJson: unknown, documentDigest: string | null): Promise<StoredReport> {
    const o = this.#options;
    if (o.seal === undefined)
      throw nodeError(
        "NODE_ERR_NO_SEAL",
        "this node has no seal to sign certificates with (NODE_SEAL_CERTIFICATE_FILE, NODE_SEAL_KEY_FILE)",
      );
    let bundle;
    try {
      bundle = parseBundle(bundleJson);
    } catch (e) {
      throw nodeError("NODE_ERR_VALIDATION", `the evidence bundle is not valid: ${(e as Error).message}`);
    }
    const { chain, trust } = o;
    const verification = await this.verify(bundle, documentDigest);
    const witnesses = witnessReport(bundle, trust.witnessPolicy);
    const witnessCheck =
      trust.witnessPolicy === undefined ? null : reportCheck({ id: "witnesses", ...witnesses.check });
    const checks = [
      ...verification.checks.map(reportCheck),
      ...(witnessCheck === null ? [] : [witnessCheck]),
    ];
    const at = (o.now ?? (() => new Date()))();
    const node = o.publicUrl();
    const reportId = reportIdOf({
      leafHash: bundle.leaf.leafHash.toLowerCase(),
      digest: documentDigest,
      at,
      checks,
      node,
    });
    const [sealCertificate] = certificatesFromPem(o.seal.certificatePem, "seal certificate");
    const report: VerificationReport = {
      format: REPORT_FORMAT,
      reportId,
      validationTime: at.toISOString(),
      verifier: { memberId: o.memberId, node, seal: subjectOf(sealCertificate!) },
      policy: {
        trustAnchor: verification.trustAnchor,
        chainEndpoints: [chain.endpointName],
        minConfirmations: chain.minConfirmations ?? 0,
        membershipRule: MEMBERSHIP_RULE,
        witnessQuorum: witnesses.quorum,
        tsaRoots: [...(trust.tsa?.subjects ?? [])],
      },
      evidence: evidenceFacts(bundle, verification, documentDigest),
      witnesses: witnesses.signatures,
      members: await this.names([bundle.leaf.record.submitter, o.memberId]),
      simpleReport: simpleReport(verification, witnessCheck, documentDigest !== null),
      detailedReport: { checks },
      testEnvironment: testEnvironmentOf(bundle.anchor.chainId, o.testChainIds ?? [31337]),
    };
    const unsigned = await certificatePdf(report, `${node}${VerificationReports.paths(reportId).json}`);
    const signed = await signPdf(unsigned, o.seal, {
      name: report.verifier.seal!,
      reason: "电子证据核验证明 evidence verification certificate",
      location: node,
      signingTime: at,
    });
    const stored = { report, pdf: Buffer.from(signed).toString("base64") };
    await o.store.put(reportId, stored);
    return stored;
  }

  /**
   * Every check of `bundle` against the node's own chain, bound to its trust anchor, the receipt's
   * SM2 key judged against the governed member directory: the certificates' verification and each
   * item's of the court's package check.
   */
  async verify(bundle: EvidenceBundle, documentDigest: string | null): Promise<CourtVerification> {
    const { chain, trust } = this.#options;
    const trustAnchor = await trust.anchor();
    if (trustAnchor === null)
      throw nodeError(
        "NODE_ERR_CHAIN_UNAVAILABLE",
        "the chain has not answered yet: the trust anchor is unknown",
      );
    const verification = await verifyForCourt(bundle, {
      trustAnchor,
      providers: [chain.provider],
      endpointNames: [chain.endpointName],
      minConfirmations: chain.minConfirmations ?? 0,
      ...(documentDigest === null ? {} : { documentDigest }),
      trustedTime: { tsaTrustAnchors: trust.tsa },
    });
    const checks = await withGovernedReceiptKey(
      verification.checks,
      bundle,
      trust.memberDirectory === undefined
        ? undefined
        : {
            directory: trust.memberDirectory,
            provider: chain.provider,
            consortiumRegistry: trustAnchor.consortiumRegistry,
          },
    );
    return checks === verification.checks
      ? verification
      : {
          ...verification,
          checks,
          overall: overall(checks, requiredForPass({ trustedTime: { tsaTrustAnchors: trust.tsa } })),
        };
  }

  /** The legal names of `memberIds` from the directory file, only if the chain governs exactly that file. */
  async names(memberIds: number[]): Promise<MemberNames> {
    const { chain, trust } = this.#options;
    const anchor = await trust.anchor();
    if (trust.memberDirectory === undefined || anchor === null)
      return { source: "none", reason: "this node has no member directory", names: [] };
    try {
      const directory = await readGovernedDirectory(
        trust.memberDirectory,
        chain.provider,
        anchor.consortiumRegistry,
      );
      return memberNames(directory, memberIds);
    } catch (e) {
      return { source: "none", reason: (e as Error).message, names: [] };
    }
  }

  async get(reportId: string): Promise<StoredReport> {
    const stored = /^JLR-\d{8}-[0-9A-F]{10}$/.test(reportId)
      ? await this.#options.store.get(reportId)
      : undefined;
    if (stored === undefined) throw nodeError("NODE_ERR_NOT_FOUND", `no verification report ${reportId}`);
    return stored;
  }
}
