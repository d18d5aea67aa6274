// PAdES signing (PDF 高级电子签名): one CMS detached signature (adbe.pkcs7.detached) per signer,
// each added as an incremental update, so the borrower's signature stays intact when the branch
// seals after it and an ordinary PDF reader shows both. @signpdf/placeholder-plain appends the
// signature field and its placeholder, @signpdf/signpdf fills the byte range, and the CMS
// SignedData is built and signed by pkijs over WebCrypto keys (signing certificate and chain
// included, content type, signing time and message digest as signed attributes).
import type { webcrypto } from "node:crypto";
import { plainAddPlaceholder } from "@signpdf/placeholder-plain";
import { SignPdf } from "@signpdf/signpdf";
import { SUBFILTER_ADOBE_PKCS7_DETACHED, Signer } from "@signpdf/utils";
import { ObjectIdentifier, OctetString, UTCTime } from "asn1js";
import {
  Attribute,
  ContentInfo,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedAndUnsignedAttributes,
  SignedData,
  SignerInfo,
} from "pkijs";
import { certificatesFromPem } from "../../../common/pki/trust-anchors.ts";

/** CMS object identifiers (RFC 5652 §11, PKCS #9). */
export const CMS_OID = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
} as const;

/** Room for the CMS in the placeholder, in bytes: an RSA-2048 signature with a two-certificate chain needs about 2.5 KB. */
const SIGNATURE_BYTES = 8192;

export type SigningIdentity = {
  /** The signer's certificate, PEM. */
  certificatePem: string;
  /** The signer's private key (WebCrypto, RSASSA-PKCS1-v1_5 / SHA-256). */
  privateKey: webcrypto.CryptoKey;
  /** Intermediate CA certificates to include, PEM (the root is the verifier's to have). */
  chainPem?: readonly string[];
};

export type SignatureFields = {
  /** The signer's name as the reader shows it (签署人). */
  name: string;
  /** Why: e.g. 借款人签署 / 贷款人签章. */
  reason: string;
  location: string;
  /** The signing time the signature states; defaults to now. */
  signingTime?: Date;
};

/** A @signpdf Signer that makes the CMS SignedData with pkijs. */
class PkijsSigner extends Signer {
  private readonly identity: SigningIdentity;

  constructor(identity: SigningIdentity) {
    super();
    this.identity = identity;
  }

  override async sign(content: Buffer, signingTime?: Date): Promise<Buffer> {
    const [certificate] = certificatesFromPem(this.identity.certificatePem, "signing certificate");
    const chain = (this.identity.chainPem ?? []).flatMap((pem) =>
      certificatesFromPem(pem, "chain certificate"),
    );
    const digest = await globalThis.crypto.subtle.digest("SHA-256", content);
    const signedData = new SignedData({
      version: 1,
      encapContentInfo: new EncapsulatedContentInfo({ eContentType: CMS_OID.data }),
      signerInfos: [
        new SignerInfo({
          version: 1,
          sid: new IssuerAndSerialNumber({
            issuer: certificate!.issuer,
            serialNumber: certificate!.serialNumber,
          }),
          signedAttrs: new SignedAndUnsignedAttributes({
            type: 0,
            attributes: [
              new Attribute({
                type: CMS_OID.contentType,
                values: [new ObjectIdentifier({ value: CMS_OID.data })],
              }),
              new Attribute({
                type: CMS_OID.signingTime,
                values: [new UTCTime({ valueDate: signingTime ?? new Date() })],
              }),
              new Attribute({ type: CMS_OID.messageDigest, values: [new OctetString({ valueHex: digest })] }),
            ],
          }),
        }),
      ],
      certificates: [certificate!, ...chain],
    });
    await signedData.sign(this.identity.privateKey, 0, "SHA-256");
    const cms = new ContentInfo({ contentType: CMS_OID.signedData, content: signedData.toSchema(true) });
    return Buffer.from(cms.toSchema().toBER(false));
  }
}

/**
 * `pdf` with one more signature by `identity`, appended as an incremental update: every earlier
 * signature still covers exactly the bytes it covered.
 */
export async function signPdf(
  pdf: Uint8Array,
  identity: SigningIdentity,
  fields: SignatureFields,
): Promise<Uint8Array> {
  const signingTime = fields.signingTime ?? new Date();
  const withPlaceholder = plainAddPlaceholder({
    pdfBuffer: Buffer.from(pdf),
    reason: fields.reason,
    contactInfo: "",
    name: fields.name,
    location: fields.location,
    signingTime,
    signatureLength: SIGNATURE_BYTES,
    subFilter: SUBFILTER_ADOBE_PKCS7_DETACHED,
  });
  const signed = await new SignPdf().sign(withPlaceholder, new PkijsSigner(identity), signingTime);
  return new Uint8Array(signed);
}
