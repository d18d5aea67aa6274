// The node's witness from its configuration (NODE_WITNESS_NAME, NODE_WITNESS_KEY_FILE,
// NODE_WITNESS_LOGS): absent name, no witness. The seed file is read like the master key (0600).
import type { Logger } from "pino";
import type { NodeConfig } from "../config.ts";
import { loadMasterKey } from "../privacy/crypto-box.ts";
import type { NodeStorage } from "../wiring/storage.ts";
import { Witness, type WitnessStore } from "./witness.ts";

export async function openWitness(
  config: NodeConfig,
  storage: NodeStorage,
  log: Logger,
): Promise<Witness | undefined> {
  if (config.witnessName === undefined) return undefined;
  if (config.witnessKeyFile === undefined || config.witnessLogs.length === 0) {
    throw new Error("NODE_WITNESS_NAME needs NODE_WITNESS_KEY_FILE and NODE_WITNESS_LOGS (the logs' vkeys)");
  }
  const store: WitnessStore = storage.sublevel("witness");
  return new Witness({
    name: config.witnessName,
    seed: await loadMasterKey(config.witnessKeyFile),
    logs: config.witnessLogs,
    store,
    now: () => Math.floor(Date.now() / 1000),
    log,
  });
}
