// The anchor service and the institution nodes as child processes of the launcher: the same
// entry points and ANCHOR_* / NODE_* variables an operator would use (anchor-service/README.md,
// nodes/README.md), filled in from the manifest and the keys in the data directory.
import path from "node:path";
import type { Wallet } from "ethers";
import { tokenSha256 } from "../../../nodes/src/http/auth.ts";
import { keystoreFile, masterKeyFile } from "./keys.ts";
import type { ConsortiumManifest, NodeName, Role } from "./manifest.ts";
import { HOST } from "./ports.ts";
import { ServiceProcess, httpReady } from "./service-process.ts";

export type ServiceContext = {
  repoRoot: string;
  dataDir: string;
  manifest: ConsortiumManifest;
  /** Extra environment for every child (e.g. NODE_KEEPER_INTERVAL_MS). */
  env: Record<string, string>;
  logFile: (name: string) => string;
};

function childEnv(context: ServiceContext, own: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...own, ...context.env };
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
  });
  return new ServiceProcess({
    name: "anchor",
    command: process.execPath,
    args: [path.join(context.repoRoot, "anchor-service", "src", "server.ts")],
    cwd: context.repoRoot,
    env,
    logFile: context.logFile("anchor"),
    ready: () => httpReady(`${manifest.anchor.url}/readyz`),
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
    ...options.env,
  });
  return new ServiceProcess({
    name: node,
    command: process.execPath,
    args: [path.join(context.repoRoot, "nodes", "src", "server.ts")],
    cwd: context.repoRoot,
    env,
    logFile: context.logFile(node),
    ready: () => httpReady(`${me.url}/readyz`),
  });
}
