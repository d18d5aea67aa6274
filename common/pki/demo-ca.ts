// The local demo CA (演示用): a root and the two kinds of end-entity certificates a loan contract
// needs, a branch's seal certificate (机构电子签章) and a borrower's signing certificate (个人签名).
// Everything it issues says "Demo" and 演示用 in the subject, so a demo certificate can never be
// mistaken for one from a licensed CA; production trusts the real CA's roots instead
// (`trust-anchors.ts`). Certificates are built by @peculiar/x509 over WebCrypto: RSA-2048 with
// SHA-256, which every ordinary PDF reader verifies.
import type { webcrypto } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import { DEMO_POLICY } from "./policies.ts";
import { x509 } from "./x509.ts";

export { DEMO_POLICY };

export const DEMO_ORGANIZATION = "JointLedger Demo CA 演示用";

const SIGNING_ALGORITHM = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;
const KEY_ALGORITHM = {
  ...SIGNING_ALGORITHM,
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const;
const DAY_MS = 86_400_000;

export type IssuedCertificate = {
  certificate: x509.X509Certificate;
  privateKey: webcrypto.CryptoKey;
  /** PEM of the certificate, for files and configuration. */
  certificatePem: string;
};

export type DemoCa = IssuedCertificate & {
  /** Issues a branch's seal certificate for `branchName` (the organisation that seals). */
  issueBranchSeal(branchName: string, now?: Date): Promise<IssuedCertificate>;
  /** Issues the seal a verifying node (the court's, the union's) signs its verification certificates with. */
  issueVerificationSeal(institution: string, now?: Date): Promise<IssuedCertificate>;
  /** Issues a borrower's signing certificate for `borrowerName`. */
  issueBorrowerCertificate(borrowerName: string, now?: Date): Promise<IssuedCertificate>;
  /** Issues a time-stamping authority's certificate (RFC 3161: id-kp-timeStamping alone, critical) for `tsaName`. */
  issueTsaCertificate(tsaName: string, now?: Date): Promise<IssuedCertificate>;
  /**
   * Issues a consortium service's TLS certificate for `hosts` (DNS names or IP addresses, the
   * first also its CN), good for server and client authentication.
   */
  issueTlsCertificate(hosts: readonly [string, ...string[]], now?: Date): Promise<IssuedCertificate>;
};

/** A distinguished name component: commas, plus signs and the like escaped as RFC 4514 asks. */
/** A demo certificate's subject: its holder, what it is for (a seal, a TSA), the demo CA's organization. */
function demoSubject(holder: string, what?: string): string {
  return `CN=${rdnValue(holder)}${what === undefined ? "" : ` ${what}`} (Demo), O=${rdnValue(DEMO_ORGANIZATION)}, C=CN`;
}

function rdnValue(value: string): string {
  return value.replace(/[\\,+"<>;=#]/g, (c) => `\\${c}`);
}

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return globalThis.crypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
}

function serialNumber(): string {
  // A positive 16-byte serial: the top bit cleared so DER keeps it unsigned.
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString("hex");
}

/**
 * A new demo root CA, valid `validDays` from `now` (a day back, so clocks a little behind still
 * accept it), with the issuing functions for seal and signing certificates.
 */
export async function createDemoCa(
  opts: { now?: Date; validDays?: number; name?: string } = {},
): Promise<DemoCa> {
  const now = opts.now ?? new Date();
  const validDays = opts.validDays ?? 3650;
  const keys = await newKeys();
  const name = `CN=${rdnValue(opts.name ?? "JointLedger Demo Root CA 演示用")}, O=${rdnValue(DEMO_ORGANIZATION)}, C=CN`;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + validDays * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return demoCaOf({ certificate, privateKey: keys.privateKey, certificatePem: certificate.toString("pem") });
}

/** The issuing functions over a root certificate and its key (a new CA's, or one loaded from files). */
function demoCaOf(root: IssuedCertificate): DemoCa {
  const { certificate } = root;
  const issue = async (
    subject: string,
    policy: string,
    at: Date | undefined,
    extraExtensions: x509.Extension[] = [],
  ): Promise<IssuedCertificate> => {
    const t = at ?? new Date();
    const leafKeys = await newKeys();
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject,
      issuer: certificate.subject,
      notBefore: new Date(t.getTime() - DAY_MS),
      notAfter: new Date(Math.min(t.getTime() + 2 * 365 * DAY_MS, certificate.notAfter.getTime())),
      signingAlgorithm: SIGNING_ALGORITHM,
      publicKey: leafKeys.publicKey,
      signingKey: root.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
          true,
        ),
        new x509.CertificatePolicyExtension([policy]),
        await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(certificate),
        ...extraExtensions,
      ],
    });
    return { certificate: leaf, privateKey: leafKeys.privateKey, certificatePem: leaf.toString("pem") };
  };
  return {
    ...root,
    issueBranchSeal: (branchName, at) =>
      issue(demoSubject(branchName, "电子签章"), DEMO_POLICY.branchSeal, at),
    issueVerificationSeal: (institution, at) =>
      issue(demoSubject(institution, "核验专用章"), DEMO_POLICY.verificationSeal, at),
    issueBorrowerCertificate: (borrowerName, at) =>
      issue(demoSubject(borrowerName), DEMO_POLICY.borrowerSignature, at),
    issueTsaCertificate: (tsaName, at) =>
      issue(demoSubject(tsaName, "时间戳服务"), DEMO_POLICY.timeStamping, at, [
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.timeStamping], true),
      ]),
    issueTlsCertificate: (hosts, at) =>
      issue(demoSubject(hosts[0]), DEMO_POLICY.tlsService, at, [
        new x509.ExtendedKeyUsageExtension([
          x509.ExtendedKeyUsage.serverAuth,
          x509.ExtendedKeyUsage.clientAuth,
        ]),
        new x509.SubjectAlternativeNameExtension(
          hosts.map((host) => ({ type: isIP(host) === 0 ? "dns" : "ip", value: host })),
        ),
      ]),
  };
}

/** An issued certificate's private key as PKCS #8 PEM (for a key file, mode 0600). */
export async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await globalThis.crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

const ROOT_CERT_FILE = "demo-root-ca.pem";
const ROOT_KEY_FILE = "demo-root-ca.key";

/**
 * Keeps the demo root in `dir` (its certificate, the file a verifier trusts, and its PKCS #8 key,
 * mode 0600), so a restarted local consortium issues under the same root; returns the certificate's path.
 */
export async function saveDemoCa(ca: DemoCa, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, ROOT_KEY_FILE), await privateKeyPem(ca.privateKey), { mode: 0o600 });
  const certPath = join(dir, ROOT_CERT_FILE);
  await writeFile(certPath, ca.certificatePem);
  return certPath;
}

/** The demo root kept by `saveDemoCa`, ready to issue again. */
export async function loadDemoCa(dir: string): Promise<DemoCa> {
  const certificatePem = await readFile(join(dir, ROOT_CERT_FILE), "utf8");
  const [der] = x509.PemConverter.decode(await readFile(join(dir, ROOT_KEY_FILE), "utf8"));
  if (der === undefined) throw new TypeError(`${join(dir, ROOT_KEY_FILE)} holds no key`);
  const privateKey = await globalThis.crypto.subtle.importKey("pkcs8", der, SIGNING_ALGORITHM, false, [
    "sign",
  ]);
  return demoCaOf({ certificate: new x509.X509Certificate(certificatePem), privateKey, certificatePem });
}
