// The anchor service and the institution nodes as child processes of the launcher: the same
// entry points and ANCHOR_* / NODE_* variables an operator would use (anchor-service/README.md,
// nodes/README.md), filled in from the manifest and the keys in the data directory.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Wallet } from "ethers";
import { toHex } from "../../../common/bytes.ts";
import { sm2 } from "../../../common/crypto/sm2.ts";
import { tokenSha256 } from "../../../nodes/src/http/auth.ts";
import { LocalConsortiumError } from "./errors.ts";
import { keysDir, keystoreFile, masterKeyFile } from "./keys.ts";
import type { ConsortiumManifest, NodeName, Role } from "./manifest.ts";
import { HOST } from "./ports.ts";
import { ServiceProcess, httpReadiness, readinessAgent } from "./service-process.ts";
import type { LocalTls, TlsService } from "./tls.ts";

export type ServiceContext = {
  repoRoot: string;
  dataDir: string;
  manifest: ConsortiumManifest;
  /** Extra environment for every child (e.g. NODE_KEEPER_INTERVAL_MS). */
  env: Record<string, string>;
  logFile: (name: string) => string;
  /** Set: every service serves HTTPS with its certificate from the local CA and trusts that CA alone (tls.ts). */
  tls?: LocalTls;
  /** How long each service may take to become ready (service-process.ts's default if unset). */
  readyTimeoutMs?: number;
};

/**
 * A child's readiness as the launcher checks it: GET <url>/readyz answers 200, over one kept-alive
 * connection trusting the local CA (a TLS handshake per check cost the launcher CPU while the
 * children boot).
 */
function readyzCheck(context: ServiceContext, url: string) {
  const agent = readinessAgent(context.tls?.ca);
  return {
    ready: () => httpReadiness(`${url}/readyz`, agent),
    waitingFor: `GET ${url}/readyz to answer 200`,
    ...(context.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: context.readyTimeoutMs }),
  };
}

function childEnv(context: ServiceContext, own: Record<string, string>): NodeJS.ProcessEnv {
  return { ...compileCacheEnv(context.repoRoot), ...process.env, ...own, ...context.env };
}

/**
 * Node's on-disk compile cache for the children, shared by every start: a node's hundreds of
 * TypeScript modules load in about half the CPU time from the second start on, which is most of a
 * restart on a busy machine. Entries are keyed by Node's version and each file's content, so an
 * edited file is compiled afresh. An operator's own NODE_COMPILE_CACHE wins.
 */
export const compileCacheEnv = (repoRoot: string): Record<string, string> => ({
  NODE_COMPILE_CACHE: path.join(repoRoot, "node_modules", ".cache", "jointledger-compile"),
});

/** A service's TLS variables from the local CA, except those the operator's environment sets (e.g. a CA file with more roots). */
function tlsEnv(
  context: ServiceContext,
  prefix: "ANCHOR" | "NODE",
  service: TlsService,
): Record<string, string> {
  const env = context.tls?.env(prefix, service) ?? {};
  return Object.fromEntries(Object.entries(env).filter(([name]) => (process.env[name] ?? "") === ""));
}

/** The anchor's SM2 checkpoint key (国密, signed-note type 0xff), beside the other keys: made once, 0600. */
export const anchorCheckpointSm2KeyFile = (dataDir: string) =>
  path.join(keysDir(dataDir), "union-anchor.checkpoint-sm2.key");

/** The key in `file` (0x + 64 hex), generated there on the first call; a damaged file is refused. */
export function loadOrCreateSm2Key(file: string): string {
  try {
    writeFileSync(file, `${toHex(sm2.generateKeyPair().privateKey)}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const key = readFileSync(file, "utf8").trim();
  if (!/^0x[0-9a-f]{64}$/.test(key))
    throw new LocalConsortiumError(
      "LOCAL_BAD_CONFIG",
      `${file} must hold 0x and 64 hex digits (an SM2 private key)`,
    );
  return key;
}

export function anchorProcess(context: ServiceContext, operator: Wallet, port: number): ServiceProcess {
  const { manifest } = context;
  const env = childEnv(context, {
    ANCHOR_HOST: HOST,
    ANCHOR_PORT: String(port),
    ANCHOR_DATA_DIR: path.join(context.dataDir, "anchor"),
    ANCHOR_RPC_URL: manifest.chain.rpcUrl,
    ANCHOR_EVIDENCE_LOG: manifest.contracts.evidenceLog,
    ANCHOR_CONSORTIUM_REGISTRY: manifest.contracts.consortiumRegistry,
    ANCHOR_EVIDENCE_REGISTRY: manifest.contracts.evidenceRegistry,
    ANCHOR_LOG_ID: manifest.anchor.logId,
    ANCHOR_OPERATOR_KEY: operator.privateKey,
    ...tlsEnv(context, "ANCHOR", "anchor"),
    // 国密: every checkpoint SM2-signed too, beside its Ed25519 signature
    ANCHOR_CHECKPOINT_SM2_KEY: loadOrCreateSm2Key(anchorCheckpointSm2KeyFile(context.dataDir)),
  });
  return new ServiceProcess({
    name: "anchor",
    command: process.execPath,
    args: [path.join(context.repoRoot, "anchor-service", "src", "server.ts")],
    cwd: context.repoRoot,
    env,
    logFile: context.logFile("anchor"),
    ...readyzCheck(context, manifest.anchor.url),
  });
}

/** NODE_USERS for a node: one demo user per role, its token stored only as a SHA-256. */
export function nodeUsers(node: NodeName, tokens: Partial<Record<Role, string>>): string {
  return JSON.stringify(
    Object.entries(tokens).map(([role, token]) => ({
      user: `${node}.${role}`,
      role,
      tokenSha256: tokenSha256(token),
    })),
  );
}

export function nodeProcess(
  context: ServiceContext,
  node: NodeName,
  options: {
    keystorePassword: string;
    consortiumKey: string;
    /** This node's own extra variables (e.g. NODE_WITNESS_* for a witnessing node). */
    env?: Record<string, string>;
  },
): ServiceProcess {
  const { manifest } = context;
  const me = manifest.nodes[node];
  const directory = Object.fromEntries(Object.values(manifest.nodes).map((n) => [String(n.memberId), n.url]));
  const env = childEnv(context, {
    NODE_HOST: HOST,
    NODE_PORT: new URL(me.url).port,
    NODE_DATA_DIR: me.dataDir,
    NODE_MEMBER_ID: String(me.memberId),
    NODE_MEMBER_KIND: me.kind,
    NODE_KEYSTORE_FILE: keystoreFile(context.dataDir, node),
    NODE_KEYSTORE_PASSWORD: options.keystorePassword,
    NODE_MASTER_KEY_FILE: masterKeyFile(context.dataDir, node),
    NODE_CONSORTIUM_KEY: options.consortiumKey,
    NODE_RPC_URL: manifest.chain.rpcUrl,
    NODE_ANCHOR_URL: manifest.anchor.url,
    NODE_CONSORTIUM_REGISTRY: manifest.contracts.consortiumRegistry,
    NODE_JOINT_LOAN_LEDGER: manifest.contracts.jointLoanLedger,
    NODE_DISPUTE_RESOLUTION: manifest.contracts.disputeResolution,
    NODE_EVIDENCE_REGISTRY: manifest.contracts.evidenceRegistry,
    NODE_DEPLOY_BLOCK: String(manifest.contracts.deployBlock),
    NODE_DIRECTORY: JSON.stringify(directory),
    // branches query the credit bureau through the union's credit-query service
    ...(me.kind === "branch" ? { NODE_CREDIT_QUERY_VIA: "union" } : {}),
    NODE_USERS: nodeUsers(node, me.tokens),
    ...tlsEnv(context, "NODE", node),
    ...options.env,
  });
  return new ServiceProcess({
    name: node,
    command: process.execPath,
    args: [path.join(context.repoRoot, "nodes", "src", "server.ts")],
    cwd: context.repoRoot,
    env,
    logFile: context.logFile(node),
    ...readyzCheck(context, me.url),
  });
}
