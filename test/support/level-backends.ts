// The two databases a storage test runs its one suite body against: an in-memory level and a
// real LevelDB in a temporary directory, each closable and reopenable on the same data and
// removed at the end. (No describe/it here: Hardhat mocha loads it like a test.)
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AbstractLevel } from "abstract-level";
import { Level } from "level";
import { MemoryLevel } from "memory-level";

/** A database that can be closed and reopened on the same data, and removed at the end. */
export type Backing<K, V> = {
  db: AbstractLevel<string | Buffer | Uint8Array, K, V>;
  reopen(): Promise<void>;
  dispose(): Promise<void>;
  /** Bytes on disk, where there is a disk; closes the database. */
  diskBytes(): Promise<number | undefined>;
};

export type Backend<K, V> = { name: string; create(): Promise<Backing<K, V>> };

/** memory-level, then LevelDB on disk (in a fresh `<tmp>/<tempPrefix>…` directory), both opened with `options`' encodings. */
export function levelBackends<K = string, V = string>(
  tempPrefix: string,
  options: { keyEncoding?: string; valueEncoding?: string } = {},
): Array<Backend<K, V>> {
  return [
    {
      name: "memory-level",
      async create() {
        const db = new MemoryLevel<K, V>(options);
        await db.open();
        return {
          db,
          // memory-level keeps its data across close() and open().
          reopen: async () => {
            await db.close();
            await db.open();
          },
          dispose: () => db.close(),
          diskBytes: async () => undefined,
        };
      },
    },
    {
      name: "level (LevelDB on disk)",
      async create() {
        const dir = await mkdtemp(join(tmpdir(), tempPrefix));
        const backing: Backing<K, V> = {
          db: new Level<K, V>(dir, options),
          reopen: async () => {
            await backing.db.close();
            backing.db = new Level<K, V>(dir, options);
            await backing.db.open();
          },
          dispose: async () => {
            await backing.db.close();
            await rm(dir, { recursive: true, force: true });
          },
          diskBytes: async () => {
            // Closed first, so no compaction renames files under us.
            await backing.db.close();
            let total = 0;
            for (const f of await readdir(dir)) total += (await stat(join(dir, f))).size;
            return total;
          },
        };
        await backing.db.open();
        return backing;
      },
    },
  ];
}
