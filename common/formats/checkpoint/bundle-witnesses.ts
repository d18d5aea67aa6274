// The bundle's `witnesses` check: the checkpoint it carries was signed by the log and cosigned by
// the court's policy's quorum of witnesses, its tree contains the leaf, and it agrees with the
// head the chain anchors. Offline: only the bundle and the court's policy file.
import { fromHex } from "../../bytes.ts";
import { verifyInclusion } from "../merkle/rfc9162.ts";
import { verifyCheckpoint, type Policy } from "./policy.ts";
import { formatTlogProof } from "./proof.ts";

export type WitnessedEvidence = {
  leafHash: string;
  leafIndex: number;
  head: { treeSize: number; rootHash: string };
  witnessed?: { checkpoint: string; inclusionProof: readonly string[] } | undefined;
};

export type WitnessCheck = {
  outcome: "pass" | "fail" | "indeterminate";
  reason: string;
  cosigners?: { name: string; timestamp: number }[];
};

export const NO_WITNESS_POLICY_REASON = "no witness policy was given: the cosignatures were not checked";

export function checkWitnesses(evidence: WitnessedEvidence, policy: Policy | undefined): WitnessCheck {
  if (policy === undefined) return { outcome: "indeterminate", reason: NO_WITNESS_POLICY_REASON };
  const { witnessed } = evidence;
  if (witnessed === undefined) {
    return policy.quorum === "none"
      ? { outcome: "pass", reason: "the policy requires no cosignatures" }
      : {
          outcome: "indeterminate",
          reason: "the bundle carries no cosigned checkpoint (not witnessed yet, or an older bundle)",
        };
  }
  let verdict;
  try {
    verdict = verifyCheckpoint(witnessed.checkpoint, policy);
  } catch (error) {
    // a cosignature that does not verify for this checkpoint is what a forked or re-signed head shows
    return { outcome: "fail", reason: `the checkpoint does not verify: ${(error as Error).message}` };
  }
  const { checkpoint, cosigners } = verdict;
  const named = cosigners.map((c) => `${c.name} at ${new Date(c.timestamp * 1000).toISOString()}`).join(", ");
  if (!verdict.quorum) {
    return {
      outcome: "fail",
      reason: `the policy's quorum is not met: cosigned by ${named || "no known witness"}`,
      cosigners,
    };
  }
  if (
    checkpoint.treeSize === evidence.head.treeSize &&
    !bytesHexEqual(checkpoint.rootHash, evidence.head.rootHash)
  ) {
    return {
      outcome: "fail",
      reason: `the witnessed root of size ${checkpoint.treeSize} differs from the anchored head's: the log showed two histories`,
      cosigners,
    };
  }
  const proof = witnessed.inclusionProof.map((p) => fromHex(p));
  if (
    evidence.leafIndex >= checkpoint.treeSize ||
    !verifyInclusion(
      evidence.leafIndex,
      checkpoint.treeSize,
      fromHex(evidence.leafHash),
      proof,
      checkpoint.rootHash,
    )
  ) {
    return {
      outcome: "fail",
      reason: `the leaf is not in the witnessed tree of size ${checkpoint.treeSize}`,
      cosigners,
    };
  }
  return { outcome: "pass", reason: `cosigned by ${named} (tree size ${checkpoint.treeSize})`, cosigners };
}

function bytesHexEqual(bytes: Uint8Array, hex: string): boolean {
  return Buffer.from(bytes).toString("hex") === hex.replace(/^0x/, "").toLowerCase();
}

/**
 * A bundle as a C2SP tlog-proof file: the leaf's index, its proof into the witnessed checkpoint,
 * the cosigned checkpoint, and the 224-byte evidence leaf as the `extra` line (so a verifier
 * recomputes the leaf hash, SHA-256(0x00 ‖ leaf), from the file alone). Undefined: the bundle
 * carries no witnessed checkpoint yet.
 */
export function tlogProofOfBundle(bundle: {
  leaf: { encoded: string };
  log: { leafIndex: number };
  witnessed?: { checkpoint: string; inclusionProof: readonly string[] } | undefined;
}): string | undefined {
  if (bundle.witnessed === undefined) return undefined;
  return formatTlogProof({
    index: bundle.log.leafIndex,
    hashes: bundle.witnessed.inclusionProof.map((h) => fromHex(h)),
    checkpoint: bundle.witnessed.checkpoint,
    extra: fromHex(bundle.leaf.encoded),
  });
}
