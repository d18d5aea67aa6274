// RFC 3161 time-stamp tokens (可信时间戳): requests a client sends to a TSA, the responses it gets
// back, and the verification of a token on its own — its CMS signature, the TSA certificate's
// chain to a configured root at the token's time and its time-stamping purpose, and its message
// imprint. Shared by the anchor service (which asks TSAs to stamp its tree heads), the demo TSA
// (demo-tsa.ts) and every verifier. The structures are pkijs's; nothing here encodes ASN.1 by hand.
import * as asn1js from "asn1js";
import {
  Certificate,
  ContentInfo,
  MessageImprint,
  PKIStatus,
  SignedData,
  SignedDataVerifyError,
  TimeStampReq,
  TimeStampResp,
  TSTInfo,
  id_eContentType_TSTInfo,
} from "pkijs";
import { BoundedMap } from "../bounded-map.ts";
import { certificateId, tsaChainCache, type ChainCache } from "./chain-cache.ts";
import { PkiError } from "./errors.ts";
import { type TrustAnchors } from "./trust-anchors.ts";
import { x509 } from "./x509.ts";

/** id-kp-timeStamping (RFC 5280 §4.2.1.12): the only purpose a TSA certificate may have. */
export const TIME_STAMPING_PURPOSE = "1.3.6.1.5.5.7.3.8";
const SHA256_OID = "2.16.840.1.101.3.4.2.1";
/** The MIME types of RFC 3161 §3.4 (time-stamp protocol over HTTP). */
export const TIMESTAMP_QUERY_TYPE = "application/timestamp-query";
export const TIMESTAMP_REPLY_TYPE = "application/timestamp-reply";

/** A token as it verifies: what the TSA attests and who the TSA is. */
export type VerifiedTimestamp = {
  /** The TSA's time (TSTInfo genTime). */
  genTime: Date;
  /** The TSA's stated accuracy in milliseconds (0 when it states none). */
  accuracyMs: number;
  /** The TSA certificate's subject (RFC 4514). */
  tsa: string;
  /** The TSA's policy OID under which it stamped. */
  policy: string;
  /** The token's serial number, hex. */
  serial: string;
};

/** A time-stamp request (DER) for the SHA-256 of `message`, asking for the TSA's certificate. */
export async function timestampRequest(
  message: Uint8Array,
  opts: { policy?: string; nonce?: Uint8Array } = {},
): Promise<{ der: Uint8Array; nonce: Uint8Array }> {
  const nonce = opts.nonce ?? positive(globalThis.crypto.getRandomValues(new Uint8Array(16)));
  const request = new TimeStampReq({
    version: 1,
    messageImprint: await MessageImprint.create("SHA-256", message),
    certReq: true,
    nonce: new asn1js.Integer({ valueHex: nonce }),
    ...(opts.policy === undefined ? {} : { reqPolicy: opts.policy }),
  });
  return { der: new Uint8Array(request.toSchema().toBER(false)), nonce };
}

/**
 * A token parsed once: its DER (a CMS ContentInfo, what is stored and carried in bundles), its
 * signed data and its TSTInfo. Parsing is most of a token's cost; a reply that is checked and then
 * verified is parsed a single time.
 */
export type ParsedTimestampToken = { der: Uint8Array; signed: SignedData; info: TSTInfo };

/**
 * The token in a TSA's reply to `request` (RFC 3161 §2.4.2): the status must be granted, and the
 * token must answer this request (same imprint, same nonce). Returns the token's DER (a CMS
 * ContentInfo), which is what is stored and carried in bundles.
 */
export function tokenFromResponse(responseDer: Uint8Array, request: Uint8Array): Uint8Array {
  return timestampFromResponse(responseDer, request).der;
}

/** As tokenFromResponse, with the token parsed (for verifyTimestampToken without parsing it again). */
export function timestampFromResponse(responseDer: Uint8Array, request: Uint8Array): ParsedTimestampToken {
  let response: TimeStampResp;
  let asked: TimeStampReq;
  let tokenBlock: asn1js.AsnType | undefined;
  try {
    const parsed = asn1js.fromBER(toArrayBuffer(responseDer));
    if (parsed.offset === -1) throw new Error(parsed.result.error);
    response = new TimeStampResp({ schema: parsed.result });
    // the token exactly as the TSA sent it (the response's second element), not re-encoded
    tokenBlock = (parsed.result as asn1js.Sequence).valueBlock.value[1];
    asked = TimeStampReq.fromBER(request);
  } catch (e) {
    throw new PkiError("PKI_BAD_TIMESTAMP", `the TSA's reply is not a time-stamp response: ${messageOf(e)}`);
  }
  const status = response.status.status;
  if (status !== PKIStatus.granted && status !== PKIStatus.grantedWithMods) {
    const text = response.status.statusStrings?.map((s) => s.valueBlock.value).join("; ") ?? "";
    throw new PkiError(
      "PKI_BAD_TIMESTAMP",
      `the TSA refused the request (status ${status}${text ? `: ${text}` : ""})`,
    );
  }
  if (response.timeStampToken === undefined) {
    throw new PkiError("PKI_BAD_TIMESTAMP", "the TSA granted the request but sent no token");
  }
  const token = response.timeStampToken;
  if (token.contentType !== ContentInfo.SIGNED_DATA || tokenBlock === undefined) {
    throw new PkiError(
      "PKI_BAD_TIMESTAMP",
      `the time-stamp token is not CMS signed data: ${token.contentType}`,
    );
  }
  let signed: SignedData;
  try {
    signed = new SignedData({ schema: token.content });
  } catch (e) {
    throw new PkiError("PKI_BAD_TIMESTAMP", `the time-stamp token is not CMS signed data: ${messageOf(e)}`);
  }
  const info = tstInfoIn(signed);
  const imprint = new Uint8Array(info.messageImprint.hashedMessage.valueBlock.valueHexView);
  const wanted = new Uint8Array(asked.messageImprint.hashedMessage.valueBlock.valueHexView);
  if (!sameBytes(imprint, wanted)) {
    throw new PkiError("PKI_TIMESTAMP_IMPRINT", "the TSA's token stamps another message than the one sent");
  }
  if (asked.nonce !== undefined && (info.nonce === undefined || !info.nonce.isEqual(asked.nonce))) {
    throw new PkiError(
      "PKI_BAD_TIMESTAMP",
      "the TSA's token does not carry the request's nonce (a replayed reply)",
    );
  }
  return { der: new Uint8Array(tokenBlock.valueBeforeDecodeView), signed, info };
}

/** The TSTInfo inside a token, unverified (for display and for matching a reply to its request). */
export function tstInfoOf(token: Uint8Array): TSTInfo {
  return tstInfoIn(signedDataOf(token));
}

// Parsing the CMS structure is most of a token's verification cost once its chain is cached:
// verification parses it once and reads the TSTInfo from that.
function tstInfoIn(signed: SignedData): TSTInfo {
  const content = signed.encapContentInfo.eContent;
  if (signed.encapContentInfo.eContentType !== id_eContentType_TSTInfo || content === undefined) {
    throw new PkiError("PKI_BAD_TIMESTAMP", "the token's signed content is not a TSTInfo");
  }
  try {
    return TSTInfo.fromBER(content.getValue());
  } catch (e) {
    throw new PkiError("PKI_BAD_TIMESTAMP", `the token's TSTInfo does not parse: ${messageOf(e)}`);
  }
}

/**
 * Verifies a token on its own: its message imprint is the SHA-256 of `message`; its CMS signature
 * holds; the signing certificate has the time-stamping purpose (critical, and no other, RFC 3161
 * §2.3) and chains to one of `anchors`, every certificate valid at the token's time. Throws a
 * PkiError saying which (PKI_TIMESTAMP_IMPRINT, PKI_TIMESTAMP_SIGNATURE, PKI_NOT_TIMESTAMPING,
 * PKI_UNTRUSTED_CHAIN, PKI_NOT_VALID_AT, PKI_BAD_TIMESTAMP). The imprint and the signature are
 * checked on every call; the chain's validation comes from `chainCache` (chain-cache.ts) when the
 * same chain was validated under the same anchors, in the same time bucket, within its validity.
 */
export async function verifyTimestampToken(
  token: Uint8Array | ParsedTimestampToken,
  message: Uint8Array,
  anchors: TrustAnchors,
  opts: { chainCache?: ChainCache } = {},
): Promise<VerifiedTimestamp> {
  const signed = token instanceof Uint8Array ? signedDataOf(token) : token.signed;
  const info = token instanceof Uint8Array ? tstInfoIn(signed) : token.info;
  if (info.messageImprint.hashAlgorithm.algorithmId !== SHA256_OID) {
    throw new PkiError(
      "PKI_TIMESTAMP_IMPRINT",
      `the token's imprint uses hash ${info.messageImprint.hashAlgorithm.algorithmId}, not SHA-256`,
    );
  }
  const expected = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", message));
  const imprint = new Uint8Array(info.messageImprint.hashedMessage.valueBlock.valueHexView);
  if (!sameBytes(imprint, expected)) {
    throw new PkiError(
      "PKI_TIMESTAMP_IMPRINT",
      `the token stamps ${hex(imprint)}, not the SHA-256 of the tree head, ${hex(expected)}`,
    );
  }
  let signer: Certificate | null | undefined;
  try {
    const checked = await signed.verify({
      signer: 0,
      data: toArrayBuffer(message),
      extendedMode: true,
      checkChain: false,
    });
    if (checked.signatureVerified !== true) throw new Error("the signature does not verify");
    signer = checked.signerCertificate;
  } catch (e) {
    const why = e instanceof SignedDataVerifyError ? e.message : messageOf(e);
    throw new PkiError("PKI_TIMESTAMP_SIGNATURE", `the token's signature does not hold: ${why}`);
  }
  if (signer === null || signer === undefined) {
    throw new PkiError("PKI_TIMESTAMP_SIGNATURE", "the token carries no signing certificate");
  }
  const tsa = timeStampingSubject(signer);
  const others = (signed.certificates ?? []).filter(
    (c): c is Certificate => c instanceof Certificate && c !== signer,
  );
  await (opts.chainCache ?? tsaChainCache).verify(signer, others, anchors, info.genTime);
  return {
    genTime: info.genTime,
    accuracyMs: accuracyMsOf(info),
    tsa,
    policy: info.policy,
    serial: hex(new Uint8Array(info.serialNumber.valueBlock.valueHexView)),
  };
}

/**
 * Signer certificates that passed the purpose check, and their subjects: every token from a TSA
 * carries the same certificate, and parsing it again (re-encoded, then by @peculiar/x509) was a
 * tenth of a token's verification. Refusals are not remembered.
 */
const timeStampingSigners = new BoundedMap<string, string>(32, "recent-use");

/** The signer's subject (RFC 4514), once its purpose is checked (parsed once for both). */
function timeStampingSubject(signer: Certificate): string {
  const id = certificateId(signer);
  const known = timeStampingSigners.get(id);
  if (known !== undefined) return known;
  const cert = new x509.X509Certificate(signer.toSchema().toBER(false));
  checkTimeStampingPurpose(cert);
  timeStampingSigners.set(id, cert.subject);
  return cert.subject;
}

/** RFC 3161 §2.3: the TSA certificate's extended key usage is time-stamping alone, marked critical. */
function checkTimeStampingPurpose(cert: x509.X509Certificate): void {
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const usages = (eku?.usages ?? []).map(String);
  if (eku === null || !eku.critical || usages.length !== 1 || usages[0] !== TIME_STAMPING_PURPOSE) {
    throw new PkiError(
      "PKI_NOT_TIMESTAMPING",
      `certificate ${cert.subject} is not a time-stamping certificate (its extended key usage must be id-kp-timeStamping alone, critical)`,
    );
  }
}

function signedDataOf(token: Uint8Array): SignedData {
  try {
    const info = ContentInfo.fromBER(toArrayBuffer(token));
    if (info.contentType !== ContentInfo.SIGNED_DATA) throw new Error(`content type ${info.contentType}`);
    return new SignedData({ schema: info.content });
  } catch (e) {
    throw new PkiError("PKI_BAD_TIMESTAMP", `the time-stamp token is not CMS signed data: ${messageOf(e)}`);
  }
}

function accuracyMsOf(info: TSTInfo): number {
  const a = info.accuracy;
  if (a === undefined) return 0;
  return (a.seconds ?? 0) * 1000 + (a.millis ?? 0) + Math.ceil((a.micros ?? 0) / 1000);
}

/** A positive DER integer: the top bit cleared, and never a leading zero byte. */
function positive(bytes: Uint8Array): Uint8Array {
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function hex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString("hex")}`;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
