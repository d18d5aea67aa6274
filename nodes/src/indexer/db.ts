// The indexer's sublevels (layout in keys.ts) under any parent level — the node's own LevelDB or
// a sublevel of it — plus PageWriter, which stages one page of blocks' effects (read-your-writes
// over the database) and turns them, with the new cursor, into one atomic batch.
import type { AbstractBatchOperation } from "abstract-level";
import { Level } from "level";
import { MemoryLevel } from "memory-level";
import type { LevelRoot, Sublevel } from "../../../common/level.ts";
import { JSON_SUBLEVELS, MODEL_SUBLEVELS, type ModelSublevel } from "./keys.ts";

type Root = LevelRoot;
export type BytesSublevel = Sublevel<Uint8Array, Uint8Array>;
export type RecordSublevel = Sublevel<Uint8Array, unknown>;
export type MetaSublevel = Sublevel<string, unknown>;
/** A model sublevel: JSON records (RecordSublevel) or key-only indexes (BytesSublevel). */
export type ModelSublevelDb = Sublevel<Uint8Array, unknown>;

export type IndexerDb = {
  /** The top-most database: batches across the sublevels are issued on it. */
  root: Root;
  model: Record<ModelSublevel, ModelSublevelDb>;
  meta: MetaSublevel;
};

/**
 * JSON in which bigints are written as decimal strings and every field named `…Fen` is read
 * back as a bigint (amounts are integer fen; JSON numbers would lose precision above 2^53).
 */
export const FEN_JSON = {
  name: "fen-json",
  format: "utf8",
  encode: (value: unknown): string =>
    JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
  decode: (text: string): unknown =>
    JSON.parse(text, (k, v: unknown) => (k.endsWith("Fen") && typeof v === "string" ? BigInt(v) : v)),
} as const;

const bytes = { keyEncoding: "view", valueEncoding: "view" } as const;
const records = { keyEncoding: "view", valueEncoding: FEN_JSON } as const;

/** The indexer's sublevels under `parent` (a root database or a sublevel of one). */
export function indexerSublevels(parent: Root): IndexerDb {
  const root = (parent as { db?: Root }).db ?? parent;
  const model = {} as Record<ModelSublevel, ModelSublevelDb>;
  for (const name of MODEL_SUBLEVELS) {
    // an index's values are empty bytes that no reader looks at, so both kinds hold unknown values
    model[name] = JSON_SUBLEVELS.has(name)
      ? parent.sublevel<Uint8Array, unknown>(name, records)
      : parent.sublevel<Uint8Array, unknown>(name, bytes);
  }
  const meta = parent.sublevel("meta", { keyEncoding: "utf8", valueEncoding: "json" }) as MetaSublevel;
  return { root, model, meta };
}

/** A database of its own: a LevelDB directory, or in memory (`null`) for tests. */
export async function openIndexerDb(dir: string | null): Promise<IndexerDb & { close(): Promise<void> }> {
  const root: Root = dir === null ? new MemoryLevel() : new Level(dir);
  await root.open();
  return { ...indexerSublevels(root), close: () => root.close() };
}

type Staged = { sublevel: ModelSublevel; key: Uint8Array; value: unknown };

/**
 * One page's writes. `get` sees what this page staged before the database; `del` stages a
 * deletion (value undefined). Nothing touches the database until `commit`.
 */
export class PageWriter {
  readonly db: IndexerDb;
  readonly #staged = new Map<string, Staged>();

  constructor(db: IndexerDb) {
    this.db = db;
  }

  get size(): number {
    return this.#staged.size;
  }

  async get<T>(sublevel: ModelSublevel, key: Uint8Array): Promise<T | undefined> {
    const staged = this.#staged.get(stagedKey(sublevel, key));
    if (staged !== undefined) return staged.value as T | undefined;
    return (await this.db.model[sublevel].get(key)) as T | undefined;
  }

  put(sublevel: ModelSublevel, key: Uint8Array, value: unknown): void {
    this.#staged.set(stagedKey(sublevel, key), { sublevel, key, value });
  }

  /** An index entry: the key is the information, the value is empty. */
  mark(sublevel: ModelSublevel, key: Uint8Array): void {
    this.put(sublevel, key, new Uint8Array(0));
  }

  del(sublevel: ModelSublevel, key: Uint8Array): void {
    this.#staged.set(stagedKey(sublevel, key), { sublevel, key, value: undefined });
  }

  /** Every staged write plus `meta` entries, in one batch. */
  async commit(meta: Record<string, unknown>): Promise<void> {
    const ops: Array<AbstractBatchOperation<Root, unknown, unknown>> = [];
    for (const s of this.#staged.values()) {
      const sublevel = this.db.model[s.sublevel];
      ops.push(
        s.value === undefined
          ? { type: "del", sublevel, key: s.key }
          : { type: "put", sublevel, key: s.key, value: s.value },
      );
    }
    for (const [key, value] of Object.entries(meta))
      ops.push({ type: "put", sublevel: this.db.meta, key, value });
    await this.db.root.batch(ops);
    this.#staged.clear();
  }
}

function stagedKey(sublevel: ModelSublevel, key: Uint8Array): string {
  return `${sublevel}:${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("hex")}`;
}
