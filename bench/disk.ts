// Size on disk of a directory: the sum of its files' sizes (LevelDB's tables, log, manifest).
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await dirBytes(path);
    else if (entry.isFile()) total += (await stat(path)).size;
  }
  return total;
}

/** Files by kind, for the report: LevelDB tables (.ldb/.sst), the write-ahead log, the rest. */
export async function dirBreakdown(
  dir: string,
): Promise<{ tables: number; log: number; other: number; files: number }> {
  const out = { tables: 0, log: 0, other: 0, files: 0 };
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const size = (await stat(join(dir, entry.name))).size;
    out.files++;
    if (entry.name.endsWith(".ldb") || entry.name.endsWith(".sst")) out.tables += size;
    else if (entry.name.endsWith(".log")) out.log += size;
    else out.other += size;
  }
  return out;
}
