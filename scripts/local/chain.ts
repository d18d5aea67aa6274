// The local chain: Anvil from the npm package, its whole state (blocks, receipts, logs and the
// state at every block) kept in <dataDir>/chain/state.json. Anvil 1.7 reloads that file with the
// same genesis hash, block numbers, block hashes, receipts and logs; historical `eth_call`s
// (the verifier's "was the submitter a member at the anchoring block?") only work after a reload
// with --preserve-historical-states, so it is always on. It does not reload the clock offset of
// time travel (evm_increaseTime): after a reload the next block would be older than the last one,
// so restoreClock() moves the clock to just after the last block.
import { copyFile, readFile, rename, stat } from "node:fs/promises";
import path from "node:path";
import type { JsonRpcProvider } from "ethers";
import { HOST } from "./ports.ts";
import { ServiceProcess, rpcReady } from "./service-process.ts";

/** The chain id of the local chain (Anvil's default, set explicitly so a reload cannot change it). */
export const LOCAL_CHAIN_ID = 31337;
/** Seconds between Anvil's state dumps: what a crash (SIGKILL, power loss) can lose at most. */
export const STATE_INTERVAL_SECONDS = 5;
/** Anvil's first development account (mnemonic "test … junk"): funds the generated keys. */
export const ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

export type LocalChainOptions = { repoRoot: string; dataDir: string; port: number; logFile: string; extraArgs?: string[] };

export function stateFile(dataDir: string): string {
  return path.join(dataDir, "chain", "state.json");
}

export function localChainProcess(options: LocalChainOptions): ServiceProcess {
  const url = `http://${HOST}:${options.port}`;
  const args = [
    "--host", HOST,
    "--port", String(options.port),
    "--chain-id", String(LOCAL_CHAIN_ID),
    "--state", stateFile(options.dataDir),
    "--state-interval", String(STATE_INTERVAL_SECONDS),
    "--preserve-historical-states",
    ...(options.extraArgs ?? []),
  ];
  return new ServiceProcess({
    name: "chain",
    command: path.join(options.repoRoot, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil"),
    args,
    cwd: options.repoRoot,
    env: process.env,
    logFile: options.logFile,
    ready: () => rpcReady(url),
    readyTimeoutMs: 120_000,
    stopSignal: "SIGINT",
  });
}

/**
 * Before Anvil loads state.json: keep the last good dump as state.prev.json, and put it back
 * when state.json is damaged (a dump cut short by a crash), so Anvil never refuses to start.
 * Returns what it did, for the progress output.
 */
export async function guardStateFile(dataDir: string): Promise<"fresh" | "loaded" | "restored-previous"> {
  const file = stateFile(dataDir);
  const previous = file.replace(/\.json$/, ".prev.json");
  const size = await stat(file).then((s) => s.size, () => -1);
  if (size < 0) return "fresh";
  try {
    JSON.parse(await readFile(file, "utf8"));
    await copyFile(file, previous);
    return "loaded";
  } catch {
    const hasPrevious = await stat(previous).then(() => true, () => false);
    await rename(file, `${file}.damaged-${Date.now()}`);
    if (!hasPrevious) return "fresh";
    await copyFile(previous, file);
    return "restored-previous";
  }
}

/** After a reload: move the clock past the last block if time travel had put that block in the future. */
export async function restoreClock(provider: JsonRpcProvider): Promise<number> {
  const latest = await provider.getBlock("latest");
  const now = Math.floor(Date.now() / 1000);
  if (latest === null || latest.timestamp <= now) return 0;
  await provider.send("evm_setTime", [latest.timestamp + 1]);
  return latest.timestamp + 1 - now;
}
