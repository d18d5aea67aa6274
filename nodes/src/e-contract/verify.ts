// Verifying a signed contract before it is anchored: every PAdES signature in the PDF is found by its
// /ByteRange, its CMS parsed and checked by pkijs — the message digest over exactly the bytes the
// range covers, the signature under the signer's certificate, the certificate's chain to a configured
// trust anchor at the signing time the signature states — and the signers' roles read from their
// certificates' policies. The contract passes only with a borrower's signature and a branch's seal,
// both valid, and nothing appended after the last signature.
import { GeneralizedTime, OctetString, UTCTime, fromBER } from "asn1js";
import { type Certificate, ContentInfo, SignedData } from "pkijs";
import { PkiError } from "../../../common/pki/errors.ts";
import {
  type TrustAnchors,
  issuerOf,
  policiesOf,
  subjectOf,
  verifyChain,
} from "../../../common/pki/trust-anchors.ts";
import { EContractError } from "./errors.ts";
import { CMS_OID } from "./sign.ts";
import { visibleChange } from "./revisions.ts";

export type SignerRole = "borrower" | "branchSeal";

/** Which certificate policy OIDs mark a signer's role (the demo CA's: DEMO_POLICY; production: the licensed CA's). */
export type RolePolicies = { borrower: readonly string[]; branchSeal: readonly string[] };

export type VerifiedSignature = {
  /** The signer's certificate subject (RFC 4514). */
  subject: string;
  /** The issuing CA's subject. */
  issuer: string;
  role: SignerRole | undefined;
  /** The signing time the signature states (CMS signing-time attribute). */
  signingTime: Date;
  /** The bytes the signature covers end here: the whole file for the last signature. */
  coversTo: number;
  /** The certificate chain found, leaf first, ending at a trust anchor. */
  chain: string[];
};

export type ContractVerification = {
  signatures: VerifiedSignature[];
  borrower: VerifiedSignature;
  branchSeal: VerifiedSignature;
};

const DIGESTS: Readonly<Record<string, string>> = {
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
};

const latin1 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
const refuse = (
  code: ConstructorParameters<typeof EContractError>[0],
  message: string,
  details?: unknown,
): never => {
  throw new EContractError(code, message, details);
};

type ByteRange = [number, number, number, number];

/** Every filled /ByteRange in the file, in file order (a placeholder never filled does not match). */
function byteRangesOf(pdf: Uint8Array): ByteRange[] {
  const text = latin1(pdf);
  const ranges: ByteRange[] = [];
  for (const m of text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)) {
    ranges.push([Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])]);
  }
  return ranges;
}

/** The CMS bytes in the gap of `range`, after checking the range covers the whole file up to its end but its own hex value. */
function cmsOf(pdf: Uint8Array, range: ByteRange, index: number): Uint8Array {
  const [a, b, c, d] = range;
  const gapIsValue =
    a === 0 &&
    b > 0 &&
    c > b + 1 &&
    c + d <= pdf.length &&
    pdf[b] === 0x3c /* < */ &&
    pdf[c - 1] === 0x3e /* > */ &&
    /^[0-9a-fA-F]*$/.test(latin1(pdf.subarray(b + 1, c - 1)));
  if (!gapIsValue) {
    refuse(
      "NODE_ERR_CONTRACT_MALFORMED_SIGNATURE",
      `signature ${index + 1}: its byte range [${range.join(" ")}] does not leave out exactly its own value`,
      { signature: index + 1 },
    );
  }
  return Buffer.from(latin1(pdf.subarray(b + 1, c - 1)), "hex");
}

function signedDataOf(cms: Uint8Array, index: number): SignedData {
  try {
    // The value is zero-padded to the placeholder's size: the DER object is the first element.
    const asn1 = fromBER(cms);
    if (asn1.offset === -1) throw new Error(asn1.result.error);
    const info = new ContentInfo({ schema: asn1.result });
    if (info.contentType !== CMS_OID.signedData) throw new Error(`content type ${info.contentType}`);
    const signed = new SignedData({ schema: info.content });
    if (signed.signerInfos.length !== 1) throw new Error(`${signed.signerInfos.length} signer infos`);
    return signed;
  } catch (e) {
    return refuse(
      "NODE_ERR_CONTRACT_MALFORMED_SIGNATURE",
      `signature ${index + 1}: not a CMS SignedData: ${(e as Error).message}`,
      { signature: index + 1 },
    );
  }
}

function attribute(signed: SignedData, oid: string): unknown {
  const values: unknown[] | undefined = signed.signerInfos[0]!.signedAttrs?.attributes.find(
    (a) => a.type === oid,
  )?.values;
  return values?.[0];
}

async function verifyOne(
  pdf: Uint8Array,
  range: ByteRange,
  index: number,
  anchors: TrustAnchors,
  roles: RolePolicies,
): Promise<VerifiedSignature> {
  const signed = signedDataOf(cmsOf(pdf, range, index), index);
  const [a, b, c, d] = range;
  const data = Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)]);
  const at = { signature: index + 1 };

  const signer = signed.signerInfos[0]!;
  const hash = DIGESTS[signer.digestAlgorithm.algorithmId];
  if (hash === undefined)
    return refuse(
      "NODE_ERR_CONTRACT_MALFORMED_SIGNATURE",
      `signature ${index + 1}: digest algorithm ${signer.digestAlgorithm.algorithmId} not accepted`,
      at,
    );
  const stated = attribute(signed, CMS_OID.messageDigest);
  const time = attribute(signed, CMS_OID.signingTime);
  if (!(stated instanceof OctetString) || !(time instanceof UTCTime || time instanceof GeneralizedTime)) {
    return refuse(
      "NODE_ERR_CONTRACT_MALFORMED_SIGNATURE",
      `signature ${index + 1}: no message digest or signing time among its signed attributes`,
      at,
    );
  }
  const actual = Buffer.from(await globalThis.crypto.subtle.digest(hash, data));
  if (!actual.equals(Buffer.from(stated.valueBlock.valueHexView))) {
    return refuse(
      "NODE_ERR_CONTRACT_DIGEST_MISMATCH",
      `signature ${index + 1}: the signed bytes changed after signing`,
      at,
    );
  }
  const signingTime = time.toDate();

  let result;
  try {
    result = await signed.verify({
      signer: 0,
      data: new Uint8Array(data).buffer,
      checkChain: false,
      extendedMode: true,
    });
  } catch (e) {
    const err = e as {
      signatureVerified?: boolean | null;
      signerCertificate?: Certificate | null;
      message?: string;
    };
    result = {
      signatureVerified: err.signatureVerified ?? false,
      signerCertificate: err.signerCertificate ?? null,
      message: err.message,
    };
  }
  const certificate = result.signerCertificate;
  if (result.signatureVerified !== true || certificate == null) {
    return refuse(
      "NODE_ERR_CONTRACT_BAD_SIGNATURE",
      `signature ${index + 1}: does not verify under its signer's certificate`,
      at,
    );
  }

  const others = (signed.certificates ?? []).filter(
    (x): x is Certificate => "subjectPublicKeyInfo" in x && x !== certificate,
  );
  let path: Certificate[];
  try {
    path = await verifyChain(certificate, others, anchors, signingTime);
  } catch (e) {
    if (e instanceof PkiError && e.code === "PKI_NOT_VALID_AT") {
      return refuse("NODE_ERR_CONTRACT_CERT_NOT_VALID", `signature ${index + 1}: ${e.message}`, {
        ...at,
        subject: subjectOf(certificate),
      });
    }
    if (e instanceof PkiError) {
      return refuse("NODE_ERR_CONTRACT_UNTRUSTED_CA", `signature ${index + 1}: ${e.message}`, {
        ...at,
        subject: subjectOf(certificate),
      });
    }
    throw e;
  }

  const policies = policiesOf(certificate);
  const role: SignerRole | undefined = policies.some((p) => roles.branchSeal.includes(p))
    ? "branchSeal"
    : policies.some((p) => roles.borrower.includes(p))
      ? "borrower"
      : undefined;
  return {
    subject: subjectOf(certificate),
    issuer: issuerOf(certificate),
    role,
    signingTime,
    coversTo: c + d,
    chain: path.map(subjectOf),
  };
}

/**
 * Verifies every signature of a signed contract against `anchors`; refuses with a stable code
 * (errors.ts) unless all verify, one is a borrower's and one a branch's seal, and the last covers
 * the file to its end.
 */
export async function verifySignedContract(
  pdf: Uint8Array,
  anchors: TrustAnchors,
  roles: RolePolicies,
): Promise<ContractVerification> {
  if (latin1(pdf.subarray(0, 5)) !== "%PDF-") refuse("NODE_ERR_CONTRACT_UNSIGNED", "not a PDF");
  const ranges = byteRangesOf(pdf);
  if (ranges.length === 0) refuse("NODE_ERR_CONTRACT_UNSIGNED", "the PDF carries no signature");
  const signatures: VerifiedSignature[] = [];
  for (const [i, range] of ranges.entries()) signatures.push(await verifyOne(pdf, range, i, anchors, roles));

  const end = Math.max(...signatures.map((s) => s.coversTo));
  // A trailing end-of-line after %%EOF is not content; anything more was added after the last signature.
  if (pdf.length - end > 2 || !/^\r?\n?$/.test(latin1(pdf.subarray(end)))) {
    refuse(
      "NODE_ERR_CONTRACT_UNSIGNED_CHANGES",
      `bytes ${end}..${pdf.length} were added after the last signature`,
      { signedTo: end, length: pdf.length },
    );
  }
  // each later signer may only add its own signature field to what the earlier signers signed
  const byCoverage = [...signatures].sort((x, y) => x.coversTo - y.coversTo);
  for (let i = 1; i < byCoverage.length; i++) {
    const change = await visibleChange(
      pdf.subarray(0, byCoverage[i - 1]!.coversTo),
      pdf.subarray(0, byCoverage[i]!.coversTo),
    );
    if (change !== undefined) {
      refuse(
        "NODE_ERR_CONTRACT_CHANGED_AFTER_SIGNING",
        `the update signed by ${byCoverage[i]!.subject} changes what ${byCoverage[i - 1]!.subject} signed: ${change}`,
        {
          signer: byCoverage[i]!.subject,
          change,
        },
      );
    }
  }
  const borrower = signatures.find((s) => s.role === "borrower");
  const branchSeal = signatures.find((s) => s.role === "branchSeal");
  if (borrower === undefined)
    return refuse("NODE_ERR_CONTRACT_MISSING_BORROWER_SIGNATURE", "no borrower's signature", {
      signers: signatures.map((s) => s.subject),
    });
  if (branchSeal === undefined)
    return refuse("NODE_ERR_CONTRACT_MISSING_BRANCH_SEAL", "no branch's seal", {
      signers: signatures.map((s) => s.subject),
    });
  return { signatures, borrower, branchSeal };
}

/** What a signature says of itself before anything is checked: for showing who claims to have signed. */
export type ClaimedSignature = { subject: string; issuer: string; signingTime: Date | undefined };

/**
 * The signer each filled /ByteRange names (its CMS signer certificate's subject and issuer, the
 * signing time it states), nothing verified: a reader shows this beside verifySignedContract's
 * verdict, never instead of it. A signature whose CMS does not parse is left out.
 */
export function claimedSignatures(pdf: Uint8Array): ClaimedSignature[] {
  const claimed: ClaimedSignature[] = [];
  for (const [i, range] of byteRangesOf(pdf).entries()) {
    try {
      const signed = signedDataOf(cmsOf(pdf, range, i), i);
      const sid = signed.signerInfos[0]!.sid as { serialNumber?: { isEqual(other: unknown): boolean } };
      const certificates = (signed.certificates ?? []).filter(
        (x): x is Certificate => "subjectPublicKeyInfo" in x,
      );
      const certificate =
        certificates.find((c) => sid.serialNumber?.isEqual(c.serialNumber) === true) ?? certificates[0];
      if (certificate === undefined) continue;
      const time = attribute(signed, CMS_OID.signingTime);
      claimed.push({
        subject: subjectOf(certificate),
        issuer: issuerOf(certificate),
        signingTime: time instanceof UTCTime || time instanceof GeneralizedTime ? time.toDate() : undefined,
      });
    } catch {
      // not a signature this reader can read: the verification names it
    }
  }
  return claimed;
}
