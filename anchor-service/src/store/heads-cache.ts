// The committed heads in memory, for the lookup path: "the first live head containing leaf n" is
// then answered without a LevelDB iterator (a trip through the thread pool, the last one left on
// a proof lookup). Loaded once at start; kept exact by the heads sublevel's own "write" events,
// which abstract-level emits after each put or batch on it succeeds (the committer's only way to
// write heads). Until it is loaded, or if the heads outgrow MAX_CACHED_HEADS, it answers
// undefined and the caller reads LevelDB as before.
import type { AnchorDb, StoredHead } from "./db.ts";
import { readSeq } from "./keys.ts";

const MAX_CACHED_HEADS = 100_000;

type HeadWrite = { type: "put" | "del"; key: Uint8Array; value?: StoredHead };

export class HeadsCache {
  /** Every head by tree size, sorted; undefined until loaded or once outgrown. */
  #heads: StoredHead[] | undefined;
  #writesWhileLoading: HeadWrite[] | undefined = [];

  private constructor() {}

  /** Starts loading the heads of `db` and follows every later write to them. */
  static follow(db: AnchorDb): HeadsCache {
    const cache = new HeadsCache();
    db.heads.on("write", (operations: HeadWrite[]) => cache.#apply(operations));
    void cache.#load(db).catch(() => {
      cache.#heads = undefined; // not loaded: the caller keeps reading LevelDB
      cache.#writesWhileLoading = undefined;
    });
    return cache;
  }

  async #load(db: AnchorDb): Promise<void> {
    const heads: StoredHead[] = [];
    for await (const head of db.heads.values()) heads.push(head);
    const pending = this.#writesWhileLoading ?? [];
    this.#writesWhileLoading = undefined;
    this.#heads = heads;
    this.#apply(pending); // writes that landed during the scan (applying one twice is harmless)
  }

  #apply(operations: HeadWrite[]): void {
    if (this.#writesWhileLoading !== undefined) {
      this.#writesWhileLoading.push(...operations);
      return;
    }
    const heads = this.#heads;
    if (heads === undefined) return;
    for (const op of operations) {
      const size = readSeq(op.key);
      const at = lowerBound(heads, size);
      const here = heads[at]?.treeSize === size;
      if (op.type === "del") {
        if (here) heads.splice(at, 1);
      } else if (here) {
        heads[at] = structuredClone(op.value!); // a copy: the writer's object is its own
      } else {
        heads.splice(at, 0, structuredClone(op.value!));
      }
    }
    if (heads.length > MAX_CACHED_HEADS) this.#heads = undefined; // the caller reads LevelDB from now on
  }

  /**
   * The first live head containing leaf `seq`, and the earliest head (live or lost) that did, as
   * the heads sublevel holds them now; undefined if the cache cannot answer.
   */
  headsFor(seq: number): { live?: StoredHead; earliest?: StoredHead } | undefined {
    const heads = this.#heads;
    if (heads === undefined) return undefined;
    let earliest: StoredHead | undefined;
    for (let i = lowerBound(heads, seq + 1); i < heads.length; i++) {
      const head = heads[i]!;
      earliest ??= head;
      if (head.lost === undefined) return { live: head, earliest };
    }
    return earliest === undefined ? {} : { earliest };
  }
}

/** The index of the first head whose tree size is >= size. */
function lowerBound(heads: readonly StoredHead[], size: number): number {
  let lo = 0;
  let hi = heads.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (heads[mid]!.treeSize < size) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
