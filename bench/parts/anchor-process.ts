// The anchor service as its own process, started from its entry point with the ANCHOR_* variables
// an operator sets (production defaults otherwise), on a chain from startConsortiumChain.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ServiceProcess, httpReady } from "../../scripts/ops/local/service-process.ts";
import { freePort } from "../../test/support/anvil.ts";
import { UNION_LOG, type ConsortiumChain } from "../../test/support/consortium-chain.ts";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const HOST = "127.0.0.1";

export async function anchorProcess(
  chain: ConsortiumChain,
  dataDir: string,
  logFile: string,
  /**
   * Where it reaches the chain (default Anvil's own URL); `cpuProfileDir`: node's --cpu-prof into
   * it; `nodeArgs`: more of node's flags; `env`: more ANCHOR_* settings.
   */
  options: {
    rpcUrl?: string;
    cpuProfileDir?: string;
    nodeArgs?: string[];
    env?: Record<string, string>;
  } = {},
): Promise<{ process: ServiceProcess; url: string }> {
  const port = await freePort();
  const url = `http://${HOST}:${port}`;
  const process_ = new ServiceProcess({
    name: "anchor",
    command: process.execPath,
    args: [
      ...profileArgs(options.cpuProfileDir),
      ...(options.nodeArgs ?? []),
      path.join(REPO_ROOT, "anchor-service", "src", "server.ts"),
    ],
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ANCHOR_HOST: HOST,
      ANCHOR_PORT: String(port),
      ANCHOR_DATA_DIR: dataDir,
      ANCHOR_RPC_URL: options.rpcUrl ?? chain.anvil.url,
      ANCHOR_EVIDENCE_LOG: chain.deployment.addresses.evidenceLog,
      ANCHOR_CONSORTIUM_REGISTRY: chain.deployment.addresses.consortiumRegistry,
      ANCHOR_EVIDENCE_REGISTRY: chain.deployment.addresses.evidenceRegistry,
      ANCHOR_LOG_ID: UNION_LOG,
      ANCHOR_OPERATOR_KEY: (chain.wallets.anchor as unknown as { privateKey: string }).privateKey,
      ...options.env,
    },
    logFile,
    ready: () => httpReady(`${url}/readyz`),
  });
  return { process: process_, url };
}

/** node's flags writing a V8 CPU profile into `dir` when the process exits (none without a dir). */
export const profileArgs = (dir: string | undefined): string[] =>
  dir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}`];
