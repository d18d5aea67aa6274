// A Map that keeps at most `maxEntries` entries, dropping the oldest first. A Map iterates in
// insertion order, so its first key is the oldest; "oldest" means first inserted ("insertion":
// a cache of values that never change) or least recently used ("recent-use": `get` and `set`
// move a key to the newest end). The caches of verified signatures, validated certificate
// chains, stored Merkle nodes and refused tokens share it instead of each trimming a Map by hand.

export type BoundedMapOrder = "insertion" | "recent-use";

export class BoundedMap<K, V> {
  readonly maxEntries: number;
  readonly order: BoundedMapOrder;
  readonly #entries = new Map<K, V>();

  constructor(maxEntries: number, order: BoundedMapOrder = "insertion") {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
      throw new RangeError(`maxEntries must be a whole number from 1, got ${String(maxEntries)}`);
    this.maxEntries = maxEntries;
    this.order = order;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /** The value, making `key` the newest in "recent-use" order. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined && this.order === "recent-use") {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  /** The value, leaving the order as it is. */
  peek(key: K): V | undefined {
    return this.#entries.get(key);
  }

  /**
   * Sets `key` (the newest in "recent-use" order; a replaced key keeps its place in "insertion"
   * order) and drops the oldest entries beyond maxEntries.
   */
  set(key: K, value: V): this {
    if (this.order === "recent-use") this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    return this;
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  /** Keys, oldest first. */
  keys(): MapIterator<K> {
    return this.#entries.keys();
  }
}
