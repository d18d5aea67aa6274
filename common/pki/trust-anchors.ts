// Trust anchors and certificate-chain verification, shared by the node (before it anchors a signed
// contract) and by a verifier. Production names the licensed CA's root certificates as PEM files
// (`loadTrustAnchors`); the demo passes the demo root. Path building and validation are pkijs's
// CertificateChainValidationEngine (signatures up the chain, validity at the given time, basic
// constraints); nothing here parses ASN.1 by hand.
import { readFile } from "node:fs/promises";
import { Certificate, CertificateChainValidationEngine } from "pkijs";
import { PkiError } from "./errors.ts";
import { x509 } from "./x509.ts";

export type TrustAnchors = {
  /** The root certificates trusted, parsed. */
  readonly roots: readonly Certificate[];
  /** Their subjects, for messages and reports. */
  readonly subjects: readonly string[];
};

/** Parses PEM text holding one or more certificates into pkijs certificates. */
export function certificatesFromPem(pem: string, what = "certificate"): Certificate[] {
  let parsed: x509.X509Certificate[];
  try {
    parsed = x509.PemConverter.decode(pem).map((der) => new x509.X509Certificate(der));
  } catch (e) {
    throw new PkiError("PKI_BAD_PEM", `${what} is not PEM certificate data: ${(e as Error).message}`);
  }
  if (parsed.length === 0) throw new PkiError("PKI_BAD_PEM", `${what} holds no certificate`);
  return parsed.map((c) => Certificate.fromBER(c.rawData));
}

/** Trust anchors from PEM strings (each may hold several certificates). */
export function trustAnchorsFromPem(pems: readonly string[]): TrustAnchors {
  const roots = pems.flatMap((pem, i) => certificatesFromPem(pem, `trust anchor ${i + 1}`));
  if (roots.length === 0) throw new PkiError("PKI_NO_TRUST_ANCHORS", "no trust anchor configured");
  return { roots, subjects: roots.map(subjectOf) };
}

/** Trust anchors from PEM files: the production configuration names the licensed CA's roots. */
export async function loadTrustAnchors(paths: readonly string[]): Promise<TrustAnchors> {
  if (paths.length === 0) throw new PkiError("PKI_NO_TRUST_ANCHORS", "no trust anchor file configured");
  const pems = await Promise.all(paths.map((p) => readFile(p, "utf8")));
  return trustAnchorsFromPem(pems);
}

/** A certificate's subject as an RFC 4514 string (UTF-8 names kept readable). */
export function subjectOf(cert: Certificate): string {
  return new x509.X509Certificate(cert.toSchema().toBER(false)).subject;
}

/** A certificate's issuer as an RFC 4514 string. */
export function issuerOf(cert: Certificate): string {
  return new x509.X509Certificate(cert.toSchema().toBER(false)).issuer;
}

/**
 * Verifies that `leaf` chains to one of `anchors` through `intermediates`, every certificate valid
 * at `at`. Throws PKI_NOT_VALID_AT when the leaf itself was outside its validity then (the usual
 * case of a signature claimed outside the certificate's life), PKI_UNTRUSTED_CHAIN otherwise.
 * Returns the path, leaf first.
 */
export async function verifyChain(
  leaf: Certificate,
  intermediates: readonly Certificate[],
  anchors: TrustAnchors,
  at: Date,
): Promise<Certificate[]> {
  if (anchors.roots.length === 0) throw new PkiError("PKI_NO_TRUST_ANCHORS", "no trust anchor configured");
  if (at < leaf.notBefore.value || at > leaf.notAfter.value) {
    throw new PkiError(
      "PKI_NOT_VALID_AT",
      `certificate ${subjectOf(leaf)} is valid ${leaf.notBefore.value.toISOString()}..${leaf.notAfter.value.toISOString()}, not at ${at.toISOString()}`,
    );
  }
  const engine = new CertificateChainValidationEngine({
    trustedCerts: [...anchors.roots],
    certs: [...intermediates, leaf],
    checkDate: at,
  });
  const result = await engine.verify();
  if (!result.result) {
    throw new PkiError(
      "PKI_UNTRUSTED_CHAIN",
      `certificate ${subjectOf(leaf)} does not chain to a trusted root: ${result.resultMessage}`,
    );
  }
  return result.certificatePath ?? [leaf];
}

/** The certificate policy OIDs a certificate asserts (empty when it has none). */
export function policiesOf(cert: Certificate): string[] {
  const ext = new x509.X509Certificate(cert.toSchema().toBER(false)).getExtension(
    x509.CertificatePolicyExtension,
  );
  return [...(ext?.policies ?? [])];
}
