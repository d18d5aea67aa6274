// Wires the C2SP side of the anchor service from its configuration: the checkpoint keys, the
// witnesses and the policy, the checkpoint store, and a checkpointing loop fed by the committer
// that runs beside it — one checkpoint at a time, always of the newest head the committer chose —
// so intake never waits for a witness.
import { hkdfSync } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Logger } from "pino";
import { fromHex } from "../../../common/bytes.ts";
import { encodeLeaf } from "../../../common/formats/leaf/leaf.ts";
import { unpackRecord } from "../../../common/formats/leaf/packed.ts";
import { ed25519Signer, sm2Signer, type NoteSigner } from "../../../common/formats/checkpoint/note.ts";
import { parsePolicy } from "../../../common/formats/checkpoint/policy.ts";
import type { Config } from "../config.ts";
import type { MerkleStore } from "../log/merkle-store.ts";
import type { AnchorDb } from "../store/db.ts";
import { seqKey, readSeq } from "../store/keys.ts";
import type { RecordStore } from "../store/records.ts";
import { Checkpointer, type WitnessClient } from "./checkpointer.ts";
import type { C2spRouteDeps } from "./routes.ts";

export type C2sp = Awaited<ReturnType<typeof createC2sp>>;

/** The checkpoint origin when none is configured. */
export function defaultOrigin(logId: string): string {
  return `jointledger/${logId.toLowerCase()}`;
}

/**
 * The log's checkpoint signers: Ed25519 (ANCHOR_CHECKPOINT_KEY, or derived from the operator key
 * so there is one secret to keep), and SM2 when ANCHOR_CHECKPOINT_SM2_KEY is set. A launcher that
 * writes the witnesses' configuration computes the log's vkeys with it too.
 */
export function checkpointSigners(
  config: Pick<Config, "logId" | "operatorKey" | "checkpointOrigin" | "checkpointKey" | "checkpointSm2Key">,
): (NoteSigner & { vkey: string })[] {
  const origin = config.checkpointOrigin ?? defaultOrigin(config.logId);
  const seed =
    config.checkpointKey === undefined
      ? new Uint8Array(
          hkdfSync(
            "sha256",
            fromHex(config.operatorKey),
            new Uint8Array(0),
            "jointledger/c2sp-checkpoint/ed25519",
            32,
          ),
        )
      : fromHex(config.checkpointKey);
  const signers = [ed25519Signer(origin, seed)];
  if (config.checkpointSm2Key !== undefined)
    signers.push(sm2Signer(origin, fromHex(config.checkpointSm2Key)));
  return signers;
}

export async function createC2sp(deps: {
  config: Config;
  db: AnchorDb;
  merkle: MerkleStore;
  records: RecordStore;
  log: Logger;
}) {
  const { config, db, merkle, records, log } = deps;
  const origin = config.checkpointOrigin ?? defaultOrigin(config.logId);
  const signers = checkpointSigners(config);
  const logVkeys = signers.map((s) => s.vkey);

  if (config.witnessUrls.length > 0 && config.witnessPolicyFile === undefined) {
    throw new Error(
      "ANCHOR_WITNESS_URLS needs ANCHOR_WITNESS_POLICY_FILE (the witnesses' keys and the quorum)",
    );
  }
  const policyText =
    config.witnessPolicyFile === undefined
      ? `${logVkeys.map((v) => `log ${v}`).join("\n")}\nquorum none\n`
      : await readFile(config.witnessPolicyFile, "utf8");
  const policy = parsePolicy(policyText);
  const witnesses = config.witnessUrls.map((entry): WitnessClient => {
    const [name, url] = [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)];
    if (!policy.witnesses.has(name)) throw new Error(`witness ${name} is not in the policy file`);
    return {
      name,
      async addCheckpoint(body) {
        const response = await fetch(`${url.replace(/\/+$/, "")}/add-checkpoint`, {
          method: "POST",
          headers: { "content-type": "text/plain; charset=utf-8" },
          body,
          signal: AbortSignal.timeout(config.tsaTimeoutMs),
        });
        return { status: response.status, body: await response.text() };
      },
    };
  });

  const checkpointer = new Checkpointer({
    origin,
    signers,
    policy,
    witnesses,
    root: (size) => merkle.root(size),
    consistencyProof: (m, n) => merkle.consistencyProof(m, n),
    save: (size, note, published) => db.checkpoints.put(seqKey(size), { note, published }, { sync: true }),
    onError: (witness, error) =>
      log.warn({ witness, err: (error as Error).message }, "a witness did not cosign the checkpoint"),
  });

  // the newest published checkpoint survives a restart
  let published: { size: number; note: string } | undefined;
  for await (const [key, value] of db.checkpoints.iterator({ reverse: true })) {
    if (!value.published) continue;
    published = { size: readSeq(key), note: value.note };
    break;
  }

  let target = 0;
  let running: Promise<void> | undefined;
  const run = async () => {
    while (target > (published?.size ?? 0)) {
      const size = target;
      try {
        const result = await checkpointer.checkpoint(size);
        if (result.published) published = { size, note: result.note };
        else if (target === size) break; // wait for the next head rather than spin on a refusing quorum
      } catch (error) {
        log.warn({ err: (error as Error).message, size }, "checkpoint failed; the next head retries");
        break;
      }
    }
  };

  const routes: C2spRouteDeps = {
    tiles: {
      rangeHash: (begin, end) => merkle.rangeHash(begin, end),
      async entries(from, to) {
        const seqs = Array.from({ length: to - from }, (_, i) => from + i);
        return (await records.packedMany(seqs)).map((packed, i) => {
          if (packed === undefined) throw new Error(`record ${seqs[i]} missing below the published size`);
          return encodeLeaf(unpackRecord(packed));
        });
      },
    },
    published: () => published,
  };

  return {
    origin,
    logVkeys,
    policyText,
    routes,
    /**
     * The committer chose a head (its transaction is being sent): checkpoint it (or a newer one)
     * off the intake path, while the chain mines it. A checkpoint speaks for the log alone;
     * bundles still come only from heads the chain holds (evidence/queries.ts).
     */
    onHead(treeSize: number): void {
      target = Math.max(target, treeSize);
      running ??= run().finally(() => {
        running = undefined;
      });
    },
    /** The published checkpoint, if it holds leaf `seq`, and the leaf's inclusion proof into it. */
    async witnessed(seq: number): Promise<{ checkpoint: string; inclusionProof: Uint8Array[] } | undefined> {
      const current = published;
      if (current === undefined || seq >= current.size) return undefined;
      return { checkpoint: current.note, inclusionProof: await merkle.inclusionProof(seq, current.size) };
    },
    /** Waits for the checkpoint in progress (shutdown, tests). */
    async settled(): Promise<void> {
      while (running !== undefined) await running;
    },
  };
}
