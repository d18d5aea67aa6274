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

/**
 * The layout tlog-proof and tlog-witness's add-checkpoint share: header lines, base64 hash lines,
 * a blank line, a checkpoint. `header` reads the leading lines (from `lines[0]`) and returns how
 * many it took; every line after them is a 32-byte hash. `fail` throws the caller's error.
 */
export function parseHashedBody<H>(
  text: string,
  header: (lines: readonly string[]) => { value: H; lines: number },
  fail: (why: string) => never,
): { header: H; hashes: Uint8Array[]; checkpoint: string } {
  const blank = text.indexOf("\n\n");
  if (blank < 0) fail("no blank line before the checkpoint");
  const lines = text.slice(0, blank).split("\n");
  const { value, lines: taken } = header(lines);
  const hashes = lines.slice(taken).map((l) => {
    const h = decodeBase64(l);
    return h !== undefined && h.length === 32 ? h : fail("a proof line is not a 32-byte base64 hash");
  });
  return { header: value, hashes, checkpoint: text.slice(blank + 2) };
}

/** `<word> <decimal without leading zeroes>` → the number, or undefined. */
export function decimalLine(line: string | undefined, word: string): number | undefined {
  const match = new RegExp(`^${word} (0|[1-9][0-9]*)$`).exec(line ?? "");
  return match === null || !Number.isSafeInteger(Number(match[1])) ? undefined : Number(match[1]);
}

export function parseTlogProof(text: string): TlogProof {
  const fail = (why: string): never => {
    throw new TlogProofError("PROOF_MALFORMED", why);
  };
  const { header, hashes, checkpoint } = parseHashedBody(
    text,
    (lines) => {
      if (lines[0] !== TLOG_PROOF_HEADER) fail(`the first line is not ${TLOG_PROOF_HEADER}`);
      const hasExtra = lines[1]?.startsWith("extra ") === true;
      const extra = hasExtra
        ? (decodeBase64(lines[1]!.slice(6)) ?? fail("extra data is not base64"))
        : undefined;
      const index = decimalLine(lines[hasExtra ? 2 : 1], "index") ?? fail("missing or malformed index line");
      return { value: { index, extra }, lines: hasExtra ? 3 : 2 };
    },
    fail,
  );
  return {
    index: header.index,
    hashes,
    checkpoint,
    ...(header.extra === undefined ? {} : { extra: header.extra }),
  };
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
