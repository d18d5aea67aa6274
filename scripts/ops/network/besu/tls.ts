// HTTPS for a generated network's services: a CA generated with the network (its key in
// secrets/tls-ca.key, needed again only to issue more certificates), one certificate per service
// for the addresses its env file gives it (127.0.0.1 and localhost: the generator lays every
// service out on one host; issue new ones from the same CA for real host names), and the env
// lines that turn TLS on (common/service/tls.ts reads them). Keys are fresh on every run, seed or
// not: WebCrypto generates them.
import { createDemoCa, privateKeyPem, type DemoCa } from "../../../../common/pki/demo-ca.ts";
import { tlsEnvNames } from "../../../../common/service/tls.ts";
import type { EnvLine } from "./formats.ts";

/** A service of the network: its name (anchor, node-<member>) and the folder's secret subfolder its key goes to. */
export type TlsService = { name: string; secretDir: string };

export type TlsFile = { path: string; content: string; secret: boolean };

/** Where one service's TLS files are, relative to the network folder. */
export type ServiceTlsPaths = { certFile: string; keyFile: string; caFile: string };

export const TLS_CA_FILE = "tls/ca.pem";

const HOSTS = ["127.0.0.1", "localhost"] as const;

export type NetworkTls = { files: TlsFile[]; paths: Map<string, ServiceTlsPaths> };

/** The CA and every service's certificate and key, as files. */
export async function networkTls(services: readonly TlsService[]): Promise<NetworkTls> {
  const ca: DemoCa = await createDemoCa({ name: "JointLedger network TLS CA" });
  const files: TlsFile[] = [
    { path: TLS_CA_FILE, content: ca.certificatePem, secret: false },
    { path: "secrets/tls-ca.key", content: await privateKeyPem(ca.privateKey), secret: true },
  ];
  const paths = new Map<string, ServiceTlsPaths>();
  for (const service of services) {
    const issued = await ca.issueTlsCertificate(HOSTS);
    const certFile = `tls/${service.name}.pem`;
    const keyFile = `${service.secretDir}/${service.name}-tls.key`;
    files.push(
      { path: certFile, content: issued.certificatePem, secret: false },
      { path: keyFile, content: await privateKeyPem(issued.privateKey), secret: true },
    );
    paths.set(service.name, { certFile, keyFile, caFile: TLS_CA_FILE });
  }
  return { files, paths };
}

/** The env lines turning HTTPS on for a service (`prefix` NODE or ANCHOR), its files at `at(path)`. */
export function tlsEnvLines(prefix: string, files: ServiceTlsPaths, at: (file: string) => string): EnvLine[] {
  const names = tlsEnvNames(prefix);
  return [
    "# HTTPS with the network's CA; every request to the other services verifies them against it alone",
    [names.certFile, at(files.certFile)],
    [names.keyFile, at(files.keyFile)],
    [names.caFile, at(files.caFile)],
  ];
}
