// C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the note text of a log's tree head —
// origin, tree size, base64 root hash, optional extension lines.
import { CodedError } from "../../errors.ts";
import { decodeBase64, encodeBase64 } from "./note.ts";

export class CheckpointError extends CodedError<"CHECKPOINT_MALFORMED"> {}

export type Checkpoint = { origin: string; treeSize: number; rootHash: Uint8Array; extensions: string[] };

export function formatCheckpoint(
  checkpoint: Omit<Checkpoint, "extensions"> & { extensions?: string[] },
): string {
  const { origin, treeSize, rootHash } = checkpoint;
  const extensions = checkpoint.extensions ?? [];
  if (origin.length === 0 || origin.includes("\n"))
    throw new CheckpointError("CHECKPOINT_MALFORMED", "bad origin");
  if (!Number.isSafeInteger(treeSize) || treeSize < 0)
    throw new CheckpointError("CHECKPOINT_MALFORMED", "bad size");
  if (rootHash.length !== 32) throw new CheckpointError("CHECKPOINT_MALFORMED", "a root hash is 32 bytes");
  if (extensions.some((l) => l.length === 0 || l.includes("\n"))) {
    throw new CheckpointError("CHECKPOINT_MALFORMED", "extension lines are non-empty single lines");
  }
  return [origin, String(treeSize), encodeBase64(rootHash), ...extensions].map((l) => `${l}\n`).join("");
}

export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith("\n"))
    throw new CheckpointError("CHECKPOINT_MALFORMED", "a checkpoint ends with a newline");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3 || lines.some((l) => l.length === 0)) {
    throw new CheckpointError("CHECKPOINT_MALFORMED", "a checkpoint is at least three non-empty lines");
  }
  const [origin, size, root, ...extensions] = lines as [string, string, string, ...string[]];
  if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) {
    throw new CheckpointError(
      "CHECKPOINT_MALFORMED",
      `tree size ${JSON.stringify(size)} is not a decimal without leading zeroes`,
    );
  }
  const rootHash = decodeBase64(root);
  if (rootHash === undefined || rootHash.length !== 32) {
    throw new CheckpointError("CHECKPOINT_MALFORMED", "the root hash line is not 32 bytes in base64");
  }
  return { origin, treeSize: Number(size), rootHash, extensions };
}
