// Each signature on a bundle's witnessed checkpoint as a court reads it: who signed (the log or
// a witness), the key id, the time a cosignature states, and whether it verifies against the
// court's tlog-policy — the page's and the certificate's witness table. The verdict on the whole
// (quorum, leaf in the witnessed tree, agreement with the anchored head) is checkWitnesses'.
import { checkWitnesses, type WitnessCheck } from "../checkpoint/bundle-witnesses.ts";
import { parseCheckpoint } from "../checkpoint/checkpoint.ts";
import { cosignatureTimestamp } from "../checkpoint/cosignature.ts";
import { parseNote } from "../checkpoint/note.ts";
import type { Policy } from "../checkpoint/policy.ts";
import type { EvidenceBundle } from "./bundle.ts";

/**
 * verified: a witness (or log) of the policy, and its signature holds; invalid: the policy's key,
 * and its signature does not hold; unknown: no key of the policy has this name and key id;
 * unchecked: no policy was given.
 */
export type CosignatureStatus = "verified" | "invalid" | "unknown" | "unchecked";

export type CosignatureRow = {
  /** The key name on the signature line (a witness's name as the witness signs it, or the log's origin). */
  name: string;
  /** The policy's name for this witness, when it has one. */
  policyName?: string;
  /** 8 hex digits. */
  keyId: string;
  role: "log" | "witness";
  /** Unix seconds a cosignature/v1 signature states; absent on the log's own signature. */
  timestamp?: number;
  status: CosignatureStatus;
};

export type WitnessReport = {
  checkpoint: { origin: string; treeSize: number } | null;
  signatures: CosignatureRow[];
  /** The policy's verdict (checkWitnesses). */
  check: WitnessCheck;
  /** The policy's quorum: `threshold` cosignatures among the witnesses `of` (0 of none: "quorum none"); null without a policy. */
  quorum: { threshold: number; of: string[] } | null;
};

/** The signature lines of the bundle's checkpoint, each judged against `policy` when given. */
export function witnessReport(bundle: EvidenceBundle, policy: Policy | undefined): WitnessReport {
  const check = checkWitnesses(
    { ...bundle, leafHash: bundle.leaf.leafHash, leafIndex: bundle.log.leafIndex },
    policy,
  );
  const quorum = policy === undefined ? null : quorumOf(policy);
  if (bundle.witnessed === undefined) return { checkpoint: null, signatures: [], check, quorum };
  let note;
  let checkpoint;
  try {
    note = parseNote(bundle.witnessed.checkpoint);
    checkpoint = parseCheckpoint(note.text);
  } catch {
    return { checkpoint: null, signatures: [], check, quorum };
  }
  const signatures = note.signatures.map((sig): CosignatureRow => {
    const keyId = sig.keyId.toString(16).padStart(8, "0");
    const timestamp = cosignatureTimestamp(sig.signature);
    const log = sig.name === checkpoint.origin;
    const row: CosignatureRow = {
      name: sig.name,
      keyId,
      role: log ? "log" : "witness",
      ...(log || timestamp === undefined ? {} : { timestamp }),
      status: "unchecked",
    };
    if (policy === undefined) return row;
    const verifiers = log
      ? policy.logs.map((l) => ({ policyName: l.origin, verifier: l.verifier }))
      : [...policy.witnesses.values()].map((w) => ({ policyName: w.name, verifier: w.verifier }));
    const known = verifiers.find((v) => v.verifier.name === sig.name && v.verifier.keyId === sig.keyId);
    if (known === undefined) return { ...row, status: "unknown" };
    const holds = known.verifier.verify(note.text, sig.signature);
    return { ...row, policyName: known.policyName, status: holds ? "verified" : "invalid" };
  });
  return {
    checkpoint: { origin: checkpoint.origin, treeSize: checkpoint.treeSize },
    signatures,
    check,
    quorum,
  };
}

/** The quorum's top level: a group's threshold and members, one witness, or none. */
function quorumOf(policy: Policy): { threshold: number; of: string[] } {
  const group = policy.groups.get(policy.quorum);
  if (group !== undefined) return { threshold: group.threshold, of: group.members };
  return policy.quorum === "none" ? { threshold: 0, of: [] } : { threshold: 1, of: [policy.quorum] };
}
