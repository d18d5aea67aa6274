// The baseline a team would write today: per 1,000-record batch, an OpenZeppelin
// StandardMerkleTree over the records' bytes32 values, every proof generated, and the tree dump
// plus one proof entry per record written to LevelDB in one synced batch. In-process, no HTTP,
// no signatures, no replay or duplicate checks, leaf values precomputed outside the timing:
// every advantage goes to the baseline.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Level } from "level";
import { dirBytes } from "./disk.ts";

export type BaselineResult = {
  records: number;
  batches: number;
  elapsedMs: number;
  recordsPerSecond: number;
  /** Split of the time: tree build, proof generation, LevelDB write. */
  buildMs: number;
  proofMs: number;
  writeMs: number;
  bytesPerLeaf: number;
};

/**
 * Runs batches over `values` (0x bytes32 hex) until all are done, or until `budgetMs` has passed
 * and at least `minRecords` are done.
 */
export async function runBaseline(
  values: readonly string[],
  opts: {
    perBatch: number;
    budgetMs: number;
    minRecords: number;
    keepData: boolean;
    log: (line: string) => void;
  },
): Promise<BaselineResult> {
  const dir = await mkdtemp(join(tmpdir(), "bench-baseline-"));
  const db = new Level<string, string>(dir, { keyEncoding: "utf8", valueEncoding: "utf8" });
  await db.open();
  let done = 0;
  let batches = 0;
  let buildMs = 0;
  let proofMs = 0;
  let writeMs = 0;
  const started = performance.now();
  let lastLog = started;
  try {
    while (done < values.length) {
      const slice = values.slice(done, done + opts.perBatch);
      const t0 = performance.now();
      const tree = StandardMerkleTree.of(
        slice.map((v) => [v]),
        ["bytes32"],
      );
      const t1 = performance.now();
      const proofs = slice.map((_, i) => tree.getProof(i));
      const t2 = performance.now();
      const ops: Array<{ type: "put"; key: string; value: string }> = [
        { type: "put", key: `tree:${String(batches).padStart(8, "0")}`, value: JSON.stringify(tree.dump()) },
      ];
      slice.forEach((v, i) =>
        ops.push({
          type: "put",
          key: `proof:${v}`,
          value: JSON.stringify({ batch: batches, index: i, root: tree.root, proof: proofs[i] }),
        }),
      );
      await db.batch(ops, { sync: true });
      const t3 = performance.now();
      buildMs += t1 - t0;
      proofMs += t2 - t1;
      writeMs += t3 - t2;
      done += slice.length;
      batches++;
      const now = performance.now();
      if (now - lastLog > 5000) {
        lastLog = now;
        opts.log(
          `baseline: ${done.toLocaleString("en-US")} records, ${Math.round(done / ((now - started) / 1000)).toLocaleString("en-US")} records/s`,
        );
      }
      if (now - started > opts.budgetMs && done >= opts.minRecords) break;
    }
  } finally {
    await db.close();
  }
  const elapsedMs = performance.now() - started;
  const bytes = await dirBytes(dir);
  if (!opts.keepData) await rm(dir, { recursive: true, force: true });
  return {
    records: done,
    batches,
    elapsedMs,
    recordsPerSecond: done / (elapsedMs / 1000),
    buildMs,
    proofMs,
    writeMs,
    bytesPerLeaf: bytes / done,
  };
}
