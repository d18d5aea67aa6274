// The court page's check of a signed PDF (电子签名核验), run in the browser so the document never
// leaves the computer: the node's own contract verifier (nodes/src/e-contract/verify.ts — every
// PAdES signature's digest over its byte range, its CMS signature, its certificate's chain to a
// trust anchor at the signing time, nothing added after the last signature or changed under a later
// one) against the CA root certificates the clerk gives, and, beside it, who each signature claims
// to be by. Bundled for the browser by build.ts into ../pdf-signatures.js.
import { DEMO_POLICY } from "../../../common/pki/policies.ts";
import { trustAnchorsFromPem } from "../../../common/pki/trust-anchors.ts";
import { claimedSignatures, verifySignedContract } from "../../../nodes/src/e-contract/verify.ts";

export type SignatureReport = {
  /** The file is a PDF with at least one filled signature. */
  signed: boolean;
  /** Each signature's signer as it claims (subject, issuer, signing time), in file order. */
  claimed: Array<{ subject: string; issuer: string; signingTime: string | null }>;
  /**
   * pass: every signature verifies and chains to a root given (the verified signers with their
   * roles and chains); fail: the verifier's code and reason; unchecked: no root given.
   */
  verification:
    | {
        outcome: "pass";
        signers: Array<{
          subject: string;
          issuer: string;
          role: string | null;
          signingTime: string;
          chain: string[];
        }>;
        roots: string[];
      }
    | { outcome: "fail"; code: string; message: string; roots: string[] }
    | { outcome: "unchecked" };
};

const PDF_MAGIC = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-

/** Whether these bytes are a PDF (the page inspects only PDFs). */
export function isPdf(bytes: Uint8Array): boolean {
  return PDF_MAGIC.every((b, i) => bytes[i] === b);
}

/** The signatures of `pdf`, verified against the CA roots in `rootPems` (PEM texts) when there are any. */
export async function inspectSignedPdf(
  pdf: Uint8Array,
  rootPems: readonly string[],
): Promise<SignatureReport> {
  const claimed = claimedSignatures(pdf).map((c) => ({
    subject: c.subject,
    issuer: c.issuer,
    signingTime: c.signingTime?.toISOString() ?? null,
  }));
  const signed = isPdf(pdf) && claimed.length > 0;
  if (!signed || rootPems.length === 0) return { signed, claimed, verification: { outcome: "unchecked" } };
  /** A refusal as the report states it: the error's code (or `fallback`) and message. */
  const failed = (e: unknown, fallback: string, roots: string[]): SignatureReport => {
    const error = e as { code?: string; message?: string };
    return {
      signed,
      claimed,
      verification: {
        outcome: "fail",
        code: error.code ?? fallback,
        message: error.message ?? String(e),
        roots,
      },
    };
  };
  let anchors;
  try {
    anchors = trustAnchorsFromPem(rootPems);
  } catch (e) {
    return failed(e, "PKI_BAD_PEM", []);
  }
  // the demo CA's policies mark the roles; a licensed CA's certificates verify without a role shown
  const roles = { borrower: [DEMO_POLICY.borrowerSignature], branchSeal: [DEMO_POLICY.branchSeal] };
  try {
    const result = await verifySignedContract(pdf, anchors, roles);
    return {
      signed,
      claimed,
      verification: {
        outcome: "pass",
        roots: [...anchors.subjects],
        signers: result.signatures.map((s) => ({
          subject: s.subject,
          issuer: s.issuer,
          role: s.role ?? null,
          signingTime: s.signingTime.toISOString(),
          chain: s.chain,
        })),
      },
    };
  } catch (e) {
    return failed(e, "ERROR", [...anchors.subjects]);
  }
}
