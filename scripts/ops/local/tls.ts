// HTTPS for the local consortium (演示用 / demo only): a CA of its own kept in <data>/tls (made on
// the first start, reused afterwards, like the keys), and one certificate per service for
// 127.0.0.1 and localhost — the anchor service, the five nodes, the demo TSA — each with its key
// (0600) beside it, issued once and again only when it nears its end or the CA is new. Every
// service serves HTTPS with its own and trusts this CA alone for everything it calls
// (<PREFIX>_TLS_CERT_FILE, _KEY_FILE, _CA_FILE: common/service/tls.ts); a client of `npm start`
// trusts it too: `curl --cacert data/tls/demo-root-ca.pem`. The certificates come from the demo CA
// module (@peculiar/x509): nothing here writes ASN.1.
import { access, chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { createDemoCa, loadDemoCa, privateKeyPem, saveDemoCa } from "../../../common/pki/demo-ca.ts";
import { x509 } from "../../../common/pki/x509.ts";
import { type ServerTls, tlsEnvNames, trustOnly } from "../../../common/service/tls.ts";
import { type ConsortiumManifest, NODE_NAMES, type NodeName } from "./manifest.ts";
import { HOST } from "./ports.ts";

export const tlsDir = (dataDir: string) => path.join(path.resolve(dataDir), "tls");
const CA_FILE = "demo-root-ca.pem";

/** Every service of the consortium that listens on HTTPS. */
export type TlsService = "anchor" | "tsa" | NodeName;
const SERVICES: readonly TlsService[] = ["anchor", "tsa", ...NODE_NAMES];
/** The names a certificate is good for: where the launcher lays every service out. */
const HOSTS = [HOST, "localhost"] as const;
/** A certificate this close to its end is issued again at start. */
const RENEW_BEFORE_MS = 30 * 86_400_000;

export type LocalTls = {
  /** The CA's certificate: what every client of the consortium trusts (curl --cacert, NODE_/ANCHOR_TLS_CA_FILE). */
  caFile: string;
  /** Its PEM. */
  ca: string;
  /** The CA was made on this start. */
  created: boolean;
  /** The services whose certificates were issued on this start. */
  issued: TlsService[];
  /** A service's certificate and key files. */
  files(service: TlsService): { certFile: string; keyFile: string };
  /** A service's certificate and key, for a listener of this process (the demo TSA). */
  server(service: TlsService): Promise<ServerTls>;
  /** A child service's <prefix>_TLS_* variables: serve with its own certificate, trust the CA alone. */
  env(prefix: "ANCHOR" | "NODE", service: TlsService): Record<string, string>;
};

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** The CA and every service's certificate in <data>/tls, each made once and renewed near its end. */
export async function ensureLocalTls(dataDir: string, now = new Date()): Promise<LocalTls> {
  const dir = tlsDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const caFile = path.join(dir, CA_FILE);
  const created = !(await exists(caFile));
  const ca = created
    ? await createDemoCa({ name: "JointLedger Local TLS CA 演示用", now })
    : await loadDemoCa(dir);
  if (created) await saveDemoCa(ca, dir);
  const files = (service: TlsService) => ({
    certFile: path.join(dir, `${service}.pem`),
    keyFile: path.join(dir, `${service}.key`),
  });
  const issued: TlsService[] = [];
  for (const service of SERVICES) {
    const { certFile, keyFile } = files(service);
    if (!created && (await exists(keyFile)) && (await current(certFile, ca.certificate, now))) continue;
    const certificate = await ca.issueTlsCertificate(HOSTS, now);
    await writeFile(keyFile, await privateKeyPem(certificate.privateKey), { mode: 0o600 });
    await writeFile(certFile, certificate.certificatePem);
    issued.push(service);
  }
  return {
    caFile,
    ca: ca.certificatePem,
    created,
    issued,
    files,
    async server(service) {
      const { certFile, keyFile } = files(service);
      return { cert: await readFile(certFile, "utf8"), key: await readFile(keyFile, "utf8") };
    },
    env(prefix, service) {
      const names = tlsEnvNames(prefix);
      const { certFile, keyFile } = files(service);
      return { [names.certFile]: certFile, [names.keyFile]: keyFile, [names.caFile]: caFile };
    },
  };
}

/** The certificate in `file` was issued by `ca` and is good for a while yet. */
async function current(file: string, ca: x509.X509Certificate, now: Date): Promise<boolean> {
  const pem = await readFile(file, "utf8").catch(() => undefined);
  if (pem === undefined) return false;
  const certificate = new x509.X509Certificate(pem);
  return (
    certificate.issuer === ca.subject &&
    (await certificate.verify({ publicKey: ca.publicKey, signatureOnly: true })) &&
    certificate.notAfter.getTime() - now.getTime() > RENEW_BEFORE_MS
  );
}

/** The URL scheme the consortium's services answer on. */
export const schemeFor = (tls: LocalTls | undefined): "https" | "http" =>
  tls === undefined ? "http" : "https";

/** The line `npm start` prints: where the CA is and how a client trusts it. */
export function trustHint(caFile: string, url: string): string {
  return `HTTPS: every service's certificate is from the local CA ${caFile} (演示用); trust it, e.g. curl --cacert ${caFile} ${url}/readyz, NODE_EXTRA_CA_CERTS=${caFile} for Node scripts, or import it into the browser's certificate authorities`;
}

/**
 * A script's side (the demo, the CLIs): when the consortium runs on HTTPS, every fetch and JSON-RPC
 * request of this process trusts its local CA alone. Returns the undo.
 */
export async function trustConsortium(manifest: Pick<ConsortiumManifest, "tls">): Promise<() => void> {
  if (manifest.tls === undefined) return () => {};
  return trustOnly(await readFile(manifest.tls.caFile, "utf8"));
}
