// A network written by `npm run network:besu` (fast test keys from a seed) in a temporary
// folder, served by a chain that behaves like it: Anvil as a free-gas chain with the generated
// chain id, behind the Besu-rules proxy on the port the generated RPC node has.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startBesuRulesProxy, type BesuRulesProxy } from "../../scripts/ops/network/besu-rules-proxy.ts";
import type { NetworkManifest } from "../../scripts/ops/network/besu/generate.ts";
import { freePort, startAnvil, type AnvilNode } from "../support/anvil.ts";

/** Runs `script` with Node; its exit code and output. */
export function runScript(
  script: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), stdout, stderr }),
    );
  });
}

export type GeneratedNetwork = {
  /** The temporary folder; the network is in `out`, below it. */
  dir: string;
  out: string;
  anvil: AnvilNode;
  proxy: BesuRulesProxy;
  manifest: NetworkManifest;
  stop(): Promise<void>;
};

/** Generates a network into a new temporary folder and starts its chain (nothing deployed yet). */
export async function startGeneratedNetwork(options: {
  chainId: number;
  seed: string;
  nodePort: number;
  maxLogsRange: number;
}): Promise<GeneratedNetwork> {
  const dir = await mkdtemp(path.join(tmpdir(), `besu-${options.seed}-`));
  const out = path.join(dir, "network");
  const chainId = String(options.chainId);
  const anvil = await startAnvil({
    args: ["--base-fee", "0", "--gas-price", "0", "--disable-min-priority-fee", "--chain-id", chainId],
  });
  const rpcPort = await freePort();
  const proxy = await startBesuRulesProxy({
    upstream: anvil.url,
    maxLogsRange: options.maxLogsRange,
    port: rpcPort,
  });
  const stop = async () => {
    await proxy.close();
    await anvil.stop();
    await rm(dir, { recursive: true, force: true });
  };
  const generated = await runScript("scripts/ops/network/besu.ts", [
    ...["--out", out, "--seed", options.seed, "--scrypt-n", "1024", "--chain-id", chainId],
    ...["--rpc-nodes", "1", "--rpc-port", String(rpcPort), "--max-logs-range", String(options.maxLogsRange)],
    ...["--anchor-port", String(await freePort()), "--node-port", String(options.nodePort)],
  ]);
  if (generated.code !== 0) {
    await stop();
    throw new Error(`npm run network:besu failed: ${generated.stderr}`);
  }
  const manifest = JSON.parse(await readFile(path.join(out, "network.json"), "utf8")) as NetworkManifest;
  return { dir, out, anvil, proxy, manifest, stop };
}
