// C2SP tlog-proof (c2sp.org/tlog-proof): one leaf's inclusion proof and the (cosigned)
// checkpoint it leads to, as one text file a verifier checks offline against a policy.
import { CodedError } from "../../errors.ts";
import { verifyInclusion } from "../merkle/rfc9162.ts";
import { decodeBase64, encodeBase64 } from "./note.ts";
import { verifyCheckpoint, type CheckpointVerdict, type Policy } from "./policy.ts";

export class TlogProofError extends CodedError<"PROOF_MALFORMED"> {}

export const TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1";

export type TlogProof = { index: number; hashes: Uint8Array[]; checkpoint: string; extra?: Uint8Array };

export function formatTlogProof(proof: TlogProof): string {
  const lines = [TLOG_PROOF_HEADER];
  if (proof.extra !== undefined) lines.push(`extra ${encodeBase64(proof.extra)}`);
  lines.push(`index ${proof.index}`, ...proof.hashes.map(encodeBase64), "");
  return `${lines.join("\n")}\n${proof.checkpoint}`;
}

export function parseTlogProof(text: string): TlogProof {
  const fail = (why: string): never => {
    throw new TlogProofError("PROOF_MALFORMED", why);
  };
  const blank = text.indexOf("\n\n");
  if (blank < 0) fail("no blank line before the checkpoint");
  const lines = text.slice(0, blank).split("\n");
  const checkpoint = text.slice(blank + 2);
  if (lines[0] !== TLOG_PROOF_HEADER) fail(`the first line is not ${TLOG_PROOF_HEADER}`);
  let at = 1;
  let extra: Uint8Array | undefined;
  if (lines[at]?.startsWith("extra ")) {
    extra = decodeBase64(lines[at]!.slice(6)) ?? fail("extra data is not base64");
    at++;
  }
  const index = /^index (0|[1-9][0-9]*)$/.exec(lines[at] ?? "");
  if (index === null || !Number.isSafeInteger(Number(index[1])))
    return fail("missing or malformed index line");
  const hashes = lines.slice(at + 1).map((l) => {
    const h = decodeBase64(l);
    return h !== undefined && h.length === 32 ? h : fail("a proof line is not a 32-byte base64 hash");
  });
  return { index: Number(index[1]), hashes, checkpoint, ...(extra === undefined ? {} : { extra }) };
}

/** tlog-proof's verification: log signature, known cosignatures, quorum, then the inclusion proof. */
export function verifyTlogProof(
  proof: TlogProof,
  leafHash: Uint8Array,
  policy: Policy,
): CheckpointVerdict & { included: boolean } {
  const verdict = verifyCheckpoint(proof.checkpoint, policy);
  const { treeSize, rootHash } = verdict.checkpoint;
  const included =
    proof.index < treeSize && verifyInclusion(proof.index, treeSize, leafHash, proof.hashes, rootHash);
  return { ...verdict, included };
}
