// The anchor service's Merkle log storage: RFC 9162 roots, inclusion and consistency proofs for
// any tree size up to the committed one, each in O(log n) reads, never a rebuild.
//
// What is stored, and where
// -------------------------
// One sublevel (the caller's; its entry in the service's keys.ts), opened with
// MERKLE_NODES_SUBLEVEL_OPTIONS = { keyEncoding: "view", valueEncoding: "view" } ("buffer" works
// too; anything that would re-encode the bytes, like "utf8", is refused at open):
//
//   key   (7 bytes)  level (1 byte) || index (6 bytes, big-endian, unsigned)
//   value (32 bytes) MTH of the complete, aligned subtree at (level, index), i.e. of the leaves
//                    [index * 2^level, (index + 1) * 2^level)
//
// Big-endian fixed width, so keys sort by level, then by index: one level's nodes are one
// contiguous key range (handy for inspection and for counting). 6 index bytes allow 2^48 leaves.
//
// Only levels >= storedFromLevel (default 2) are stored, and only once complete; a node is
// written, in the caller's own batch, by the append that completes it, and never changes after.
// Leaf hashes are not stored here at all: they come from the caller's LeafSource (the service
// derives them from its records), and levels below storedFromLevel are recomputed from at most
// 2^storedFromLevel leaves. At the default that is ~n/2 nodes for n leaves, ~19.5 bytes of keys
// and values per leaf before LevelDB's own overhead.
//
// storedFromLevel is not persisted: a log must always be opened with the value it was written
// with (raising it later is harmless, lowering it makes needed nodes missing: MERKLE_CORRUPT).
//
// Why this is crash-safe: the committed size is the caller's (it counts its own durable
// records), and nodes are written in the same atomic batch as those records. A node that lies
// entirely inside the committed size was written by the append that crossed its end, which is
// committed; nodes beyond the committed size (an append whose batch landed while the caller did
// not count it) are never read, and are overwritten by the next append that completes them.
import { BoundedMap } from "../../../common/bounded-map.ts";
import { CodedError } from "../../../common/errors.ts";
import {
  EMPTY_ROOT,
  HASH_LENGTH,
  consistencyProof as rfcConsistencyProof,
  inclusionProof as rfcInclusionProof,
  rootFromLeafHashes,
  type RangeHasher,
} from "../../../common/formats/merkle/rfc9162.ts";
import { hashChildren } from "../../../common/formats/merkle/sha256.ts";
import type { Sublevel } from "../../../common/level.ts";

export type MerkleStoreErrorCode =
  /** A number that is not a non-negative safe integer, a hash that is not 32 bytes, a range
   *  that is empty or not an RFC 9162 node, a sublevel with the wrong encodings. */
  | "MERKLE_BAD_ARGUMENT"
  /** A tree size, leaf index or range end beyond the committed size (or first > second). */
  | "MERKLE_SIZE_OUT_OF_RANGE"
  /** prepareAppend() without `after` while an earlier prepared append is neither committed nor
   *  aborted; commit() of an append while one prepared before it is still pending. */
  | "MERKLE_APPEND_PENDING"
  /** commit()/abort() of a prepared append that is no longer pending; prepareAppend() after one
   *  that is not the newest pending append. */
  | "MERKLE_APPEND_STALE"
  /** A node that must be stored is missing or malformed, or the leaf source returned the wrong
   *  number of leaves or a malformed hash: storage disagrees with the committed size. */
  | "MERKLE_CORRUPT";

export class MerkleStoreError extends CodedError<MerkleStoreErrorCode> {}

/** The caller's view of its leaves: leafHashes(from, to) returns leaves [from, to), in order. */
export interface LeafSource {
  leafHashes(from: number, to: number): Promise<Uint8Array[]>;
}

/**
 * The sublevel that holds the nodes, typed with Uint8Array keys and values (see the layout
 * above); with the "buffer" encodings, type it `sublevel<Uint8Array, Uint8Array>` as well.
 */
// under any database or sublevel (common/level.ts)
export type MerkleNodes = Sublevel<Uint8Array, Uint8Array>;

/** Options to create the nodes sublevel with: `db.sublevel<Uint8Array, Uint8Array>(name, …)`. */
export const MERKLE_NODES_SUBLEVEL_OPTIONS = { keyEncoding: "view", valueEncoding: "view" } as const;

/**
 * One put for the caller's batch. `sublevel` makes it land in the nodes sublevel whether the
 * caller batches on the root database, on a parent sublevel, or on the nodes sublevel itself.
 */
export type MerkleNodePut = { type: "put"; sublevel: MerkleNodes; key: Uint8Array; value: Uint8Array };

export type PreparedAppend = {
  /** Puts of every stored-level node these leaves complete; write them in the caller's batch. */
  readonly ops: MerkleNodePut[];
  /** Committed size this append was computed against, and the size after it. */
  readonly fromSize: number;
  readonly toSize: number;
  /** Call once the batch holding `ops` (and the caller's records) is durable. */
  commit(): void;
  /** Call if that batch failed: forgets this append, and every append prepared after it. */
  abort(): void;
  /** Neither committed nor aborted (nor forgotten with an earlier append's abort). */
  readonly pending: boolean;
};

export type MerkleStoreOptions = {
  /** Leaves already durable (the caller counts its own records). */
  size: number;
  /** Lowest stored level; levels below are recomputed from at most 2^level leaves. */
  storedFromLevel?: number;
};

export const DEFAULT_STORED_FROM_LEVEL = 2;
/** Reading 2^16 leaves to rebuild one node would defeat the purpose; 16 is a generous cap. */
export const MAX_STORED_FROM_LEVEL = 16;
/** The 6-byte index field bounds the number of leaves. */
export const MAX_TREE_SIZE = 2 ** 48;

const KEY_LENGTH = 7;
/** Nodes of this level and above (2^8 leaves and more) are cached once read: few, and read by most proofs. */
const CACHED_FROM_LEVEL = 8;
/** At 32 bytes a node, about 4 MB of hashes (plus the map's own overhead). */
const MAX_CACHED_NODES = 1 << 17;

/** The 7-byte key of the node at (level, index). */
export function nodeKey(level: number, index: number): Uint8Array {
  if (!Number.isInteger(level) || level < 0 || level > 48) {
    throw new MerkleStoreError(
      "MERKLE_BAD_ARGUMENT",
      `node level must be an integer in [0, 48], got ${level}`,
    );
  }
  if (!Number.isSafeInteger(index) || index < 0 || index >= MAX_TREE_SIZE) {
    throw new MerkleStoreError(
      "MERKLE_BAD_ARGUMENT",
      `node index must be an integer in [0, 2^48), got ${index}`,
    );
  }
  const key = new Uint8Array(KEY_LENGTH);
  key[0] = level;
  // big-endian, by arithmetic: `>>` would truncate indices at 2^32
  let v = index;
  for (let i = KEY_LENGTH - 1; i >= 1; i--) {
    key[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return key;
}

/** Inverse of nodeKey, for inspection tools and tests. */
export function parseNodeKey(key: Uint8Array): { level: number; index: number } {
  if (key.length !== KEY_LENGTH) {
    throw new MerkleStoreError(
      "MERKLE_BAD_ARGUMENT",
      `node key must be ${KEY_LENGTH} bytes, got ${key.length}`,
    );
  }
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return { level: key[0]!, index: view.getUint16(1) * 2 ** 32 + view.getUint32(3) };
}

/** A complete aligned subtree: leaves [index * 2^level, (index + 1) * 2^level). */
type Node = { level: number; index: number };

export class MerkleStore {
  readonly #nodes: MerkleNodes;
  readonly #source: LeafSource;
  readonly #storedFromLevel: number;
  #size: number;
  /**
   * The right frontier of the committed tree: #frontier[level] is the hash of the complete node
   * at that level on the right edge, defined exactly where bit `level` of #size is set. Replaced,
   * never mutated, so a read can hold on to the one it started with.
   */
  #frontier: ReadonlyArray<Uint8Array | undefined>;
  /** Prepared appends not yet committed or aborted, oldest first, each with the tree it leads to. */
  readonly #pending: Array<{
    append: PreparedAppend;
    frontier: ReadonlyArray<Uint8Array | undefined>;
    toSize: number;
  }> = [];
  /** Stored nodes of the upper levels already read (see #readNodes). */
  readonly #cache = new BoundedMap<string, Uint8Array>(MAX_CACHED_NODES);

  private constructor(
    nodes: MerkleNodes,
    source: LeafSource,
    storedFromLevel: number,
    size: number,
    frontier: ReadonlyArray<Uint8Array | undefined>,
  ) {
    this.#nodes = nodes;
    this.#source = source;
    this.#storedFromLevel = storedFromLevel;
    this.#size = size;
    this.#frontier = frontier;
  }

  /**
   * Opens the log at `opts.size` committed leaves: one getMany for the stored frontier nodes and
   * one leafHashes call for the < 2^storedFromLevel trailing leaves, nothing else.
   */
  static async open(nodes: MerkleNodes, source: LeafSource, opts: MerkleStoreOptions): Promise<MerkleStore> {
    checkEncodings(nodes);
    const storedFromLevel = opts.storedFromLevel ?? DEFAULT_STORED_FROM_LEVEL;
    if (
      !Number.isInteger(storedFromLevel) ||
      storedFromLevel < 0 ||
      storedFromLevel > MAX_STORED_FROM_LEVEL
    ) {
      throw new MerkleStoreError(
        "MERKLE_BAD_ARGUMENT",
        `storedFromLevel must be an integer in [0, ${MAX_STORED_FROM_LEVEL}], got ${String(storedFromLevel)}`,
      );
    }
    const size = opts.size;
    checkCount("size", size);
    if (size > MAX_TREE_SIZE) {
      throw new MerkleStoreError(
        "MERKLE_SIZE_OUT_OF_RANGE",
        `size ${size} exceeds the maximum ${MAX_TREE_SIZE}`,
      );
    }

    const frontierNodes = frontierOf(size);
    const stored = frontierNodes.filter((n) => n.level >= storedFromLevel);
    const low = frontierNodes.filter((n) => n.level < storedFromLevel);
    const tailStart = size - (size % 2 ** storedFromLevel);
    const [values, tail] = await Promise.all([
      stored.length > 0 ? nodes.getMany(stored.map((n) => nodeKey(n.level, n.index))) : [],
      tailStart < size ? readLeaves(source, tailStart, size) : [],
    ]);

    const frontier: Array<Uint8Array | undefined> = [];
    stored.forEach((n, i) => {
      frontier[n.level] = checkStoredNode(n, values[i]);
    });
    for (const n of low) {
      const begin = n.index * 2 ** n.level - tailStart;
      frontier[n.level] = rootFromLeafHashes(tail.slice(begin, begin + 2 ** n.level));
    }
    return new MerkleStore(nodes, source, storedFromLevel, size, frontier);
  }

  /** Committed leaves. */
  get size(): number {
    return this.#size;
  }

  get storedFromLevel(): number {
    return this.#storedFromLevel;
  }

  /**
   * Computes the nodes that appending `leafHashes` after the committed size completes, without
   * reading anything: O(k + log n) hashes. Nothing changes until commit(). Appends are
   * serialized: while one is pending, another may only be prepared `after` it (the newest
   * pending one), to land right behind it — so a caller can compute the next batch while the
   * previous one is being written. Commits go in order; aborting one forgets the ones after it.
   */
  prepareAppend(leafHashes: readonly Uint8Array[], after?: PreparedAppend): PreparedAppend {
    const newest = this.#pending[this.#pending.length - 1];
    if (after === undefined && newest !== undefined) {
      throw new MerkleStoreError(
        "MERKLE_APPEND_PENDING",
        "an earlier prepared append is neither committed nor aborted; appends must be serialized (or prepared after it)",
      );
    }
    if (after !== undefined && (newest === undefined || newest.append !== after)) {
      throw new MerkleStoreError(
        "MERKLE_APPEND_STALE",
        "an append can only be prepared after the newest pending one",
      );
    }
    leafHashes.forEach((h, i) => {
      if (!(h instanceof Uint8Array) || h.length !== HASH_LENGTH) {
        throw new MerkleStoreError(
          "MERKLE_BAD_ARGUMENT",
          `leafHashes[${i}] must be a ${HASH_LENGTH}-byte hash`,
        );
      }
    });
    const fromSize = newest?.toSize ?? this.#size;
    const toSize = fromSize + leafHashes.length;
    if (toSize > MAX_TREE_SIZE) {
      throw new MerkleStoreError(
        "MERKLE_SIZE_OUT_OF_RANGE",
        `appending ${leafHashes.length} leaves exceeds ${MAX_TREE_SIZE}`,
      );
    }

    const frontier = (newest?.frontier ?? this.#frontier).slice();
    const ops: MerkleNodePut[] = [];
    let size = fromSize;
    for (const leaf of leafHashes) {
      // Binary-counter carry: each set low bit of `size` is a complete node that the new leaf's
      // subtree now completes a parent with.
      let carry: Uint8Array = leaf; // copied below only if it is kept (on the frontier or stored)
      let level = 0;
      let rest = size; // size / 2^level, floored
      for (;;) {
        if (level >= this.#storedFromLevel) {
          // exact: the node ends at size + 1, a multiple of 2^level
          ops.push(
            this.#put(level, (size + 1) / 2 ** level - 1, level === 0 ? new Uint8Array(carry) : carry),
          );
        }
        if (rest % 2 === 0) break;
        carry = hashChildren(frontier[level]!, carry);
        frontier[level] = undefined;
        level++;
        rest = (rest - 1) / 2;
      }
      frontier[level] = level === 0 ? new Uint8Array(carry) : carry; // a plain copy of a leaf: the caller's array may be a view or a Buffer
      size++;
    }

    const at = (): number => this.#pending.findIndex((p) => p.append === append);
    /** The append's place among the pending ones; a committed or aborted one has none. */
    const pendingAt = (action: "commit" | "abort"): number => {
      const i = at();
      if (i < 0)
        throw new MerkleStoreError(
          "MERKLE_APPEND_STALE",
          `cannot ${action}: this append is already committed or aborted`,
        );
      return i;
    };
    const append: PreparedAppend = {
      ops,
      fromSize,
      toSize,
      commit: () => {
        if (pendingAt("commit") > 0)
          throw new MerkleStoreError(
            "MERKLE_APPEND_PENDING",
            `cannot commit: the append of leaves ${this.#size}.. before it is not committed yet`,
          );
        this.#pending.shift();
        this.#frontier = frontier;
        this.#size = toSize;
      },
      abort: () => {
        this.#pending.splice(pendingAt("abort")); // and every append prepared after it
      },
      get pending() {
        return at() >= 0;
      },
    };
    this.#pending.push({ append, frontier, toSize });
    return append;
  }

  /**
   * MTH of leaves [begin, end), which must be an RFC 9162 node of some tree: begin a multiple of
   * the smallest power of two >= end - begin. O(log n) node reads, < 2^storedFromLevel leaves.
   */
  async rangeHash(begin: number, end: number): Promise<Uint8Array> {
    checkCount("begin", begin);
    checkCount("end", end);
    if (!(begin < end))
      throw new MerkleStoreError("MERKLE_BAD_ARGUMENT", `range [${begin}, ${end}) is empty`);
    this.#checkSize("end", end);
    if (begin % nextPowerOfTwo(end - begin) !== 0) {
      throw new MerkleStoreError(
        "MERKLE_BAD_ARGUMENT",
        `range [${begin}, ${end}) is not an RFC 9162 tree node: begin must be a multiple of ${nextPowerOfTwo(end - begin)}`,
      );
    }
    const hasher = await this.#fetch([[begin, end]]);
    return hasher(begin, end);
  }

  /** MTH of the first `size` leaves; any size up to the committed one. */
  async root(size: number): Promise<Uint8Array> {
    checkCount("size", size);
    this.#checkSize("size", size);
    if (size === 0) return EMPTY_ROOT.slice();
    return this.rangeHash(0, size);
  }

  /** RFC 9162 §2.1.3.1 PATH(leafIndex, D[treeSize]), exactly as common/formats/merkle produces it. */
  async inclusionProof(leafIndex: number, treeSize: number): Promise<Uint8Array[]> {
    checkCount("leafIndex", leafIndex);
    checkCount("treeSize", treeSize);
    this.#checkSize("treeSize", treeSize);
    if (leafIndex >= treeSize) {
      throw new MerkleStoreError(
        "MERKLE_SIZE_OUT_OF_RANGE",
        `leafIndex ${leafIndex} is not below treeSize ${treeSize}`,
      );
    }
    return this.#twice((hasher) => rfcInclusionProof(leafIndex, treeSize, hasher));
  }

  /** RFC 9162 §2.1.4.1 PROOF(first, D[second]), exactly as common/formats/merkle produces it. */
  async consistencyProof(first: number, second: number): Promise<Uint8Array[]> {
    checkCount("first", first);
    checkCount("second", second);
    this.#checkSize("second", second);
    if (first > second) {
      throw new MerkleStoreError(
        "MERKLE_SIZE_OUT_OF_RANGE",
        `first ${first} is greater than second ${second}`,
      );
    }
    return this.#twice((hasher) => rfcConsistencyProof(first, second, hasher));
  }

  /**
   * Runs a proof generator once with a recording hasher to learn its ranges (they depend only on
   * the sizes), fetches them all in one batch, then runs it again over the fetched hashes.
   */
  async #twice(generate: (hasher: RangeHasher) => Uint8Array[]): Promise<Uint8Array[]> {
    const ranges: Array<[number, number]> = [];
    const placeholder = new Uint8Array(HASH_LENGTH);
    generate((begin, end) => {
      ranges.push([begin, end]);
      return placeholder;
    });
    if (ranges.length === 0) return [];
    return generate(await this.#fetch(ranges));
  }

  /**
   * Reads everything the given RFC nodes need: each splits into complete aligned subtrees; those
   * on the in-memory frontier cost nothing, stored ones come from one getMany, low ones from one
   * leafHashes call per contiguous span. Returns a hasher over exactly these ranges.
   */
  async #fetch(ranges: ReadonlyArray<readonly [number, number]>): Promise<RangeHasher> {
    // Snapshot: a commit during the awaits below replaces, not mutates, these.
    const size = this.#size;
    const frontier = this.#frontier;
    const s = this.#storedFromLevel;

    const known = new Map<string, Uint8Array>();
    const seen = new Set<string>();
    const stored: Node[] = [];
    const low: Node[] = [];
    const pieces = new Map<string, Node[]>();
    for (const [begin, end] of ranges) {
      const parts = decompose(begin, end);
      pieces.set(`${begin}:${end}`, parts);
      for (const n of parts) {
        const id = nodeId(n);
        if (seen.has(id)) continue;
        seen.add(id);
        const onFrontier = frontier[n.level];
        if (onFrontier !== undefined && n.index === Math.floor(size / 2 ** n.level) - 1) {
          known.set(id, onFrontier);
        } else if (n.level >= s) {
          stored.push(n);
        } else {
          low.push(n);
        }
      }
    }

    const spans = mergeSpans(low.map((n) => [n.index * 2 ** n.level, (n.index + 1) * 2 ** n.level] as const));
    const [values, ...spanLeaves] = await Promise.all([
      this.#readNodes(stored),
      ...spans.map(([from, to]) => readLeaves(this.#source, from, to)),
    ]);
    stored.forEach((n, i) => known.set(nodeId(n), checkStoredNode(n, values[i])));
    for (const n of low) {
      const begin = n.index * 2 ** n.level;
      const j = spans.findIndex(([from, to]) => from <= begin && begin < to);
      const offset = begin - spans[j]![0];
      known.set(nodeId(n), rootFromLeafHashes(spanLeaves[j]!.slice(offset, offset + 2 ** n.level)));
    }

    const results = new Map<string, Uint8Array>();
    for (const [range, parts] of pieces) {
      // Right fold: the RFC splits a ragged node into its largest complete left part and the
      // rest, which is exactly this left-to-right list of aligned parts, folded from the right.
      let h = known.get(nodeId(parts[parts.length - 1]!))!;
      for (let i = parts.length - 2; i >= 0; i--) h = hashChildren(known.get(nodeId(parts[i]!))!, h);
      results.set(range, h);
    }
    return (begin, end) => {
      const h = results.get(`${begin}:${end}`);
      if (h === undefined) throw new Error(`internal: range [${begin}, ${end}) was not fetched`);
      // A copy: frontier hashes are shared, and callers may mutate what they get.
      return h.slice();
    };
  }

  /**
   * Stored nodes, from the cache of upper levels or the database. Where the store reads
   * synchronously (LevelDB's getSync: a lookup in its caches, no trip through the thread pool,
   * whose queue behind intake writes was the tail of proof lookups) each node is read so;
   * otherwise in one getMany. A stored node never changes, so nodes of levels >=
   * CACHED_FROM_LEVEL are kept (at most MAX_CACHED_NODES, oldest dropped first).
   */
  async #readNodes(nodes: readonly Node[]): Promise<Array<Uint8Array | undefined>> {
    if (nodes.length === 0) return [];
    const out = new Array<Uint8Array | undefined>(nodes.length);
    const missing: number[] = [];
    nodes.forEach((n, i) => {
      const cached = n.level >= CACHED_FROM_LEVEL ? this.#cache.get(nodeId(n)) : undefined;
      if (cached !== undefined) out[i] = cached;
      else missing.push(i);
    });
    if (missing.length === 0) return out;
    const keys = missing.map((i) => nodeKey(nodes[i]!.level, nodes[i]!.index));
    const sync = (this.#nodes.supports as { getSync?: boolean }).getSync === true;
    const values = sync ? keys.map((k) => this.#nodes.getSync(k)) : await this.#nodes.getMany(keys);
    missing.forEach((i, j) => {
      const value = values[j];
      out[i] = value;
      const n = nodes[i]!;
      if (value !== undefined && value.length === HASH_LENGTH && n.level >= CACHED_FROM_LEVEL) {
        this.#cache.set(nodeId(n), new Uint8Array(value));
      }
    });
    return out;
  }

  #put(level: number, index: number, value: Uint8Array): MerkleNodePut {
    return { type: "put", sublevel: this.#nodes, key: nodeKey(level, index), value };
  }

  #checkSize(name: string, value: number): void {
    if (value > this.#size) {
      throw new MerkleStoreError(
        "MERKLE_SIZE_OUT_OF_RANGE",
        `${name} ${value} is beyond the committed size ${this.#size}`,
      );
    }
  }
}

/** The complete aligned subtrees that make up [0, size), left to right: one per set bit. */
function frontierOf(size: number): Node[] {
  return size === 0 ? [] : decompose(0, size);
}

/**
 * Greedy split of [begin, end) into maximal complete aligned subtrees, left to right. For an RFC
 * node these are its largest complete left part, then the same split of the rest.
 */
function decompose(begin: number, end: number): Node[] {
  const parts: Node[] = [];
  let at = begin;
  while (at < end) {
    let level = 0;
    let width = 1;
    while (at % (width * 2) === 0 && at + width * 2 <= end) {
      width *= 2;
      level++;
    }
    parts.push({ level, index: at / width });
    at += width;
  }
  return parts;
}

/** Sorted, with overlapping or touching spans joined. */
function mergeSpans(spans: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [from, to] of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && from <= last[1]) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

function nodeId(n: Node): string {
  return `${n.level}/${n.index}`;
}

function nextPowerOfTwo(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

async function readLeaves(source: LeafSource, from: number, to: number): Promise<Uint8Array[]> {
  const leaves = await source.leafHashes(from, to);
  if (!Array.isArray(leaves) || leaves.length !== to - from) {
    throw new MerkleStoreError(
      "MERKLE_CORRUPT",
      `leaf source returned ${Array.isArray(leaves) ? leaves.length : typeof leaves} leaves for [${from}, ${to})`,
    );
  }
  return leaves.map((h, i) => {
    if (!(h instanceof Uint8Array) || h.length !== HASH_LENGTH) {
      throw new MerkleStoreError(
        "MERKLE_CORRUPT",
        `leaf source returned a malformed hash for leaf ${from + i}`,
      );
    }
    // A plain copy: a Buffer would leak into proofs (Buffer#slice shares memory, and Buffers
    // are not deep-equal to Uint8Arrays).
    return new Uint8Array(h);
  });
}

function checkStoredNode(n: Node, value: Uint8Array | undefined): Uint8Array {
  if (value === undefined) {
    throw new MerkleStoreError(
      "MERKLE_CORRUPT",
      `Merkle node (level ${n.level}, index ${n.index}) covering leaves [${n.index * 2 ** n.level}, ` +
        `${(n.index + 1) * 2 ** n.level}) is missing: the nodes disagree with the committed size`,
    );
  }
  if (value.length !== HASH_LENGTH) {
    throw new MerkleStoreError(
      "MERKLE_CORRUPT",
      `Merkle node (level ${n.level}, index ${n.index}) is ${value.length} bytes, not ${HASH_LENGTH}`,
    );
  }
  // A plain Uint8Array copy: a "buffer" sublevel returns Buffers, and callers compare deeply.
  return new Uint8Array(value);
}

function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new MerkleStoreError(
      "MERKLE_BAD_ARGUMENT",
      `${name} must be a non-negative safe integer, got ${String(value)}`,
    );
  }
}

function checkEncodings(nodes: MerkleNodes): void {
  const keyEncoding = nodes.keyEncoding().commonName;
  const valueEncoding = nodes.valueEncoding().commonName;
  const binary = (name: string): boolean => name === "view" || name === "buffer";
  if (!binary(keyEncoding) || !binary(valueEncoding)) {
    throw new MerkleStoreError(
      "MERKLE_BAD_ARGUMENT",
      `the nodes sublevel must use "view" (or "buffer") keys and values, got ${keyEncoding}/${valueEncoding}`,
    );
  }
}
