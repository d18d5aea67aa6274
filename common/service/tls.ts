// TLS for the consortium's services, read the same way by each (<PREFIX> is NODE or ANCHOR):
//   <PREFIX>_TLS_CERT_FILE, <PREFIX>_TLS_KEY_FILE  PEM certificate (chain) and key: the service
//                                                 listens on HTTPS (both or neither)
//   <PREFIX>_TLS_CA_FILE                          PEM CA certificate(s): every HTTPS request the
//                                                 process makes with fetch (the anchor client,
//                                                 node-to-node requests, the union's credit
//                                                 service, witnesses, TSAs) and every JSON-RPC
//                                                 request to the chain over https (ethers)
//                                                 verifies the peer against these certificates alone
// The CA replaces the public roots rather than adding to them: a certificate some public CA
// issued for a member's host name is not a member. A TSA or a chain endpoint reached over public
// HTTPS needs its root in the same file.
import { readFileSync } from "node:fs";
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from "undici";
import { trustOnlyForRpc } from "../chain/provider.ts";

/** What an HTTPS listener needs: PEM certificate (leaf first, then intermediates) and key. */
export type ServerTls = { cert: string; key: string };

export type ServiceTls = {
  /** Set: listen on HTTPS with it. */
  server?: ServerTls;
  /** Set: the PEM the process's HTTPS clients trust, and nothing else. */
  ca?: string;
};

export class TlsConfigError extends Error {
  override name = "TlsConfigError";
}

function readPem(variable: string, file: string, marker: RegExp): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new TlsConfigError(`${variable}=${file}: cannot read it (${(error as Error).message})`);
  }
  if (!marker.test(text)) throw new TlsConfigError(`${variable}=${file}: no ${marker.source} block in it`);
  return text;
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----/;
const PRIVATE_KEY = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/;

/** The names of a service's TLS variables (env files written by tools use these too). */
export function tlsEnvNames(prefix: string): { certFile: string; keyFile: string; caFile: string } {
  return {
    certFile: `${prefix}_TLS_CERT_FILE`,
    keyFile: `${prefix}_TLS_KEY_FILE`,
    caFile: `${prefix}_TLS_CA_FILE`,
  };
}

/** The service's TLS settings from `<prefix>_TLS_*`; none set: plain HTTP and the public roots. */
export function tlsFromEnv(env: NodeJS.ProcessEnv, prefix: string): ServiceTls {
  const names = tlsEnvNames(prefix);
  const value = (name: string) => {
    const v = env[name];
    return v === undefined || v === "" ? undefined : v;
  };
  const [certFile, keyFile, caFile] = [value(names.certFile), value(names.keyFile), value(names.caFile)];
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new TlsConfigError(`${names.certFile} and ${names.keyFile} go together: set both or neither`);
  return {
    ...(certFile === undefined || keyFile === undefined
      ? {}
      : {
          server: {
            cert: readPem(names.certFile, certFile, CERTIFICATE),
            key: readPem(names.keyFile, keyFile, PRIVATE_KEY),
          },
        }),
    ...(caFile === undefined ? {} : { ca: readPem(names.caFile, caFile, CERTIFICATE) }),
  };
}

/**
 * Makes every fetch of this process verify HTTPS peers against `ca` alone (undici's global
 * dispatcher, which Node's fetch uses), and every ethers JSON-RPC request too (its own request
 * function: ethers does not use fetch). Returns what puts the previous ones back.
 */
export function trustOnly(ca: string): () => void {
  const previous = getGlobalDispatcher();
  const agent = new Agent({ connect: { ca, rejectUnauthorized: true } });
  setGlobalDispatcher(agent);
  const untrustRpc = trustOnlyForRpc(ca);
  return () => {
    untrustRpc();
    setGlobalDispatcher(previous);
    void agent.close();
  };
}

/** Applies the client side of `tls` (if it names a CA); returns the undo. */
export function applyClientTls(tls: ServiceTls): () => void {
  return tls.ca === undefined ? () => {} : trustOnly(tls.ca);
}

/** The URL scheme a service with `tls` answers on. */
export const schemeOf = (tls: ServiceTls | undefined): "https" | "http" =>
  tls?.server === undefined ? "http" : "https";
