// The local consortium's C2SP witnesses (c2sp.org/tlog-witness): the court's node and the union's
// node each run the witness of nodes/src/witness/ with a key of its own (<data>/keys/<node>.witness.key,
// an Ed25519 seed, 0600, made once), following the anchor service's log (its checkpoint vkey,
// derived from the anchor key exactly as the service derives it). The anchor service asks both
// and publishes a checkpoint only when both cosigned (2 of 2, <data>/witness-policy.txt): the same
// tlog-policy file a court verifies bundles with (`npm run verify -- … --witness-policy`).
// Not set up when ANCHOR_WITNESS_URLS names other witnesses.
import { stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { checkpointSigners } from "../../../anchor-service/src/c2sp/service.ts";
import { cosigner } from "../../../common/formats/checkpoint/cosignature.ts";
import { kOfNPolicy } from "../../../common/formats/checkpoint/policy.ts";
import { createMasterKeyFile, loadMasterKey } from "../../../nodes/src/privacy/crypto-box.ts";
import { keysDir } from "./keys.ts";
import type { NodeName } from "./manifest.ts";

/** The nodes that witness the log, by their name in the policy file. */
export const WITNESS_NODES = ["court", "union"] as const satisfies readonly NodeName[];
/** Both must cosign before a checkpoint is published. */
export const WITNESS_QUORUM = 2;

export const witnessPolicyPath = (dataDir: string) => path.join(path.resolve(dataDir), "witness-policy.txt");
export const witnessKeyFile = (dataDir: string, node: NodeName) =>
  path.join(keysDir(dataDir), `${node}.witness.key`);
/** The witness's key name (what its cosignature lines and vkey carry). */
export const witnessKeyName = (node: NodeName) => `${node}.jointledger.local/witness`;

export type LocalWitnesses = {
  policyFile: string;
  /** The log's checkpoint vkey the witnesses follow. */
  logVkey: string;
  witnesses: { node: NodeName; name: string; vkey: string }[];
  /** ANCHOR_WITNESS_* for the anchor service. */
  anchorEnv: Record<string, string>;
  /** NODE_WITNESS_* for the witnessing nodes. */
  nodeEnv: Partial<Record<NodeName, Record<string, string>>>;
};

/**
 * Makes the witnesses' keys on the first start (reused afterwards, so what they cosigned stays
 * theirs) and writes the policy at every start (public: keys and quorum only).
 */
export async function setUpLocalWitnesses(options: {
  dataDir: string;
  logId: string;
  /** The anchor service's operator key, from which it derives its checkpoint key. */
  operatorKey: string;
  nodeUrls: Record<NodeName, string>;
  /** The anchor service's environment: an ANCHOR_CHECKPOINT_ORIGIN or _KEY given there is the log's. */
  env: Record<string, string | undefined>;
}): Promise<LocalWitnesses> {
  const { dataDir, env } = options;
  const [log] = checkpointSigners({
    logId: options.logId,
    operatorKey: options.operatorKey,
    ...(env.ANCHOR_CHECKPOINT_ORIGIN === undefined ? {} : { checkpointOrigin: env.ANCHOR_CHECKPOINT_ORIGIN }),
    ...(env.ANCHOR_CHECKPOINT_KEY === undefined ? {} : { checkpointKey: env.ANCHOR_CHECKPOINT_KEY }),
  });
  const witnesses = await Promise.all(
    WITNESS_NODES.map(async (node) => {
      const file = witnessKeyFile(dataDir, node);
      const exists = await stat(file).then(
        () => true,
        () => false,
      );
      const seed = exists ? await loadMasterKey(file) : await createMasterKeyFile(file);
      return { node, name: witnessKeyName(node), vkey: cosigner(witnessKeyName(node), seed).vkey, file };
    }),
  );
  const policyFile = witnessPolicyPath(dataDir);
  await writeFile(
    policyFile,
    kOfNPolicy(
      log!.vkey,
      witnesses.map((w) => ({ name: w.node, vkey: w.vkey })),
      WITNESS_QUORUM,
    ),
    { mode: 0o644 },
  );
  return {
    policyFile,
    logVkey: log!.vkey,
    witnesses: witnesses.map(({ node, name, vkey }) => ({ node, name, vkey })),
    anchorEnv: {
      ANCHOR_WITNESS_URLS: witnesses.map((w) => `${w.node}=${options.nodeUrls[w.node]}/witness`).join(","),
      ANCHOR_WITNESS_POLICY_FILE: policyFile,
    },
    nodeEnv: Object.fromEntries(
      witnesses.map((w) => [
        w.node,
        { NODE_WITNESS_NAME: w.name, NODE_WITNESS_KEY_FILE: w.file, NODE_WITNESS_LOGS: log!.vkey },
      ]),
    ),
  };
}
