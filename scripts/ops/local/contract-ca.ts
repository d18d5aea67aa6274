// The local consortium's demo CA for electronic contracts (电子合同 CA 加签, 演示用 / demo only):
// a root kept in <data>/pki (created on the first start, reused afterwards), each branch's seal
// certificate and key issued under it (and the court's and the union's verification seals, which
// sign their nodes' verification certificates), and the nodes' contract configuration — the root as their
// only trust anchor (NODE_CONTRACT_TRUST_ANCHOR_FILES), the parties' names, the dispute clause.
// Everything it issues says 演示用 / Demo in its subject; a production node trusts the licensed
// CA's roots instead (common/pki/README.md). The demo (`npm run demo`) issues the borrowers'
// signing certificates under the same root and seals with the branches' keys from here.
import { access, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  type DemoCa,
  type IssuedCertificate,
  createDemoCa,
  loadDemoCa,
  saveDemoCa,
} from "../../../common/pki/demo-ca.ts";
import { x509 } from "../../../common/pki/x509.ts";
import type { SigningIdentity } from "../../../nodes/src/e-contract/sign.ts";
import { DEMO_MEMBERS } from "./deployment.ts";
import { NODE_NAMES, type NodeName } from "./manifest.ts";

/** Where the demo CA and the branches' seals live under the data directory. */
export const pkiDir = (dataDir: string) => path.join(path.resolve(dataDir), "pki");
const ROOT_FILE = "demo-root-ca.pem";
const sealFiles = (dataDir: string, node: NodeName, kind: "seal" | "verification-seal" = "seal") => ({
  certificate: path.join(pkiDir(dataDir), `${node}-${kind}.pem`),
  key: path.join(pkiDir(dataDir), `${node}-${kind}.key`),
});

/** The nodes that verify evidence for others and sign verification certificates with a seal of their own. */
const VERIFYING_NODES = ["court", "union"] as const satisfies readonly NodeName[];

/**
 * What the contracts print for each member, and the name its seals are issued to: its legal
 * Chinese name and unified social credit code as the founders' directory lists them (fictional
 * test data). The demo marking is the certificate's own (the demo CA's subject), never part of the name.
 */
export const CONTRACT_PARTIES: Record<NodeName, { name: string; identifier: string }> = Object.fromEntries(
  NODE_NAMES.map((node) => [node, { name: DEMO_MEMBERS[node].nameZh, identifier: DEMO_MEMBERS[node].uscc }]),
) as Record<NodeName, { name: string; identifier: string }>;

const SIGNING = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** The demo root from <data>/pki, or a new one saved there. */
export async function demoContractCa(dataDir: string): Promise<{ ca: DemoCa; created: boolean }> {
  const dir = pkiDir(dataDir);
  if (await exists(path.join(dir, ROOT_FILE))) return { ca: await loadDemoCa(dir), created: false };
  const ca = await createDemoCa();
  await saveDemoCa(ca, dir);
  return { ca, created: true };
}

/** A branch's seal certificate and key as signing identity (issued by `ensureContractCa`). */
export async function branchSeal(dataDir: string, node: NodeName): Promise<SigningIdentity> {
  const files = sealFiles(dataDir, node);
  const [der] = x509.PemConverter.decode(await readFile(files.key, "utf8"));
  if (der === undefined) throw new TypeError(`${files.key} holds no key`);
  return {
    certificatePem: await readFile(files.certificate, "utf8"),
    privateKey: await globalThis.crypto.subtle.importKey("pkcs8", der, SIGNING, false, ["sign"]),
  };
}

/**
 * The demo CA and every branch's seal in <data>/pki (each made once), and the environment that
 * gives every node its contract configuration.
 */
export async function ensureContractCa(dataDir: string): Promise<{
  rootFile: string;
  created: boolean;
  env: Record<string, string>;
  /** Each verifying node's own variables: its verification seal (NODE_SEAL_*). */
  nodeEnv: Partial<Record<NodeName, Record<string, string>>>;
}> {
  const { ca, created } = await demoContractCa(dataDir);
  /**
   * Issues into `files` once: the key 0600, the certificate beside it; again when the kept
   * certificate is issued to another name (a data directory from before the legal names).
   */
  const issueOnce = async (
    files: ReturnType<typeof sealFiles>,
    holder: string,
    issue: () => Promise<IssuedCertificate>,
  ) => {
    if ((await exists(files.certificate)) && (await exists(files.key))) {
      const kept = new x509.X509Certificate(await readFile(files.certificate, "utf8"));
      if (kept.subjectName.getField("CN")[0]?.startsWith(`${holder} `) === true) return;
    }
    const seal = await issue();
    const pkcs8 = await globalThis.crypto.subtle.exportKey("pkcs8", seal.privateKey);
    await writeFile(files.key, x509.PemConverter.encode(pkcs8, "PRIVATE KEY"), { mode: 0o600 });
    await writeFile(files.certificate, seal.certificatePem);
  };
  for (const node of NODE_NAMES) {
    if (DEMO_MEMBERS[node].kind !== "branch") continue;
    const { name } = CONTRACT_PARTIES[node];
    await issueOnce(sealFiles(dataDir, node), name, () => ca.issueBranchSeal(name));
  }
  // the court's and the union's verification seals (核验专用章): their nodes sign certificates with them
  const nodeEnv: Partial<Record<NodeName, Record<string, string>>> = {};
  for (const node of VERIFYING_NODES) {
    const files = sealFiles(dataDir, node, "verification-seal");
    const { name } = CONTRACT_PARTIES[node];
    await issueOnce(files, name, () => ca.issueVerificationSeal(name));
    nodeEnv[node] = { NODE_SEAL_CERTIFICATE_FILE: files.certificate, NODE_SEAL_KEY_FILE: files.key };
  }
  const rootFile = path.join(pkiDir(dataDir), ROOT_FILE);
  const parties = Object.fromEntries(
    NODE_NAMES.map((node) => [String(DEMO_MEMBERS[node].memberId), CONTRACT_PARTIES[node]]),
  );
  return {
    rootFile,
    created,
    nodeEnv,
    env: {
      NODE_CONTRACT_TRUST_ANCHOR_FILES: rootFile,
      NODE_CONTRACT_PARTIES: JSON.stringify(parties),
      NODE_CONTRACT_DISPUTE: JSON.stringify({ kind: "court", body: CONTRACT_PARTIES.court.name }),
      NODE_CONTRACT_PLACE: "浙江省杭州市",
    },
  };
}
