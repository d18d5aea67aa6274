// C2SP tlog-tiles (c2sp.org/tlog-tiles): the log's Merkle tree served as tiles of 256 hashes,
// and the client side: any root, inclusion or consistency proof computed from tiles alone, by
// the same RFC 9162 proof generators the log uses (common/formats/merkle/rfc9162.ts).
import { CodedError } from "../../errors.ts";
import {
  consistencyProof,
  EMPTY_ROOT,
  hashChildren,
  hashLeaf,
  inclusionProof,
  largestPowerOfTwoBelow,
  type RangeHasher,
} from "../merkle/rfc9162.ts";

export class TileError extends CodedError<"TILE_PATH_MALFORMED" | "TILE_MALFORMED" | "TILE_OUT_OF_RANGE"> {}

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
export const HASH_BYTES = 32;
/** Largest entry an entry bundle can carry (uint16 length prefix). */
export const MAX_ENTRY_BYTES = 0xffff;

/** `x001/x234/067` for 1234067: three-digit groups, all but the last prefixed with x. */
export function tileIndexPath(index: number): string {
  checkIndex(index);
  const groups: string[] = [];
  let n = index;
  do {
    groups.unshift(String(n % 1000).padStart(3, "0"));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join("/");
}

/** `tile/<L>/<N>[.p/<W>]`, or `tile/entries/<N>[.p/<W>]` for level "entries"; width 256 is full. */
export function tilePath(level: number | "entries", index: number, width = TILE_WIDTH): string {
  if (level !== "entries" && !(Number.isInteger(level) && level >= 0 && level <= 63)) {
    throw new TileError("TILE_PATH_MALFORMED", `tile level ${level} is not 0..63`);
  }
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new TileError("TILE_PATH_MALFORMED", `tile width ${width} is not 1..256`);
  }
  return `tile/${level}/${tileIndexPath(index)}${width < TILE_WIDTH ? `.p/${width}` : ""}`;
}

export type TileCoordinates = { level: number | "entries"; index: number; width: number };

/** The inverse of tilePath (without the leading `tile/`); refuses every non-canonical spelling. */
export function parseTilePath(path: string): TileCoordinates {
  const match = /^(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*)([0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/.exec(
    path,
  );
  if (match === null)
    throw new TileError("TILE_PATH_MALFORMED", `not a tile path: ${JSON.stringify(path.slice(0, 80))}`);
  const [, levelText, prefix, last, widthText] = match;
  const level = levelText === "entries" ? "entries" : Number(levelText);
  if (level !== "entries" && level > 63) throw new TileError("TILE_PATH_MALFORMED", "a tile level is 0..63");
  const groups = [
    ...prefix!
      .split("/")
      .filter((g) => g !== "")
      .map((g) => g.slice(1)),
    last!,
  ];
  // the first group may not be x000 (that would be a second spelling of a smaller index)
  if (groups.length > 1 && groups[0] === "000")
    throw new TileError("TILE_PATH_MALFORMED", "leading zero group");
  const index = groups.reduce((n, g) => n * 1000 + Number(g), 0);
  if (!Number.isSafeInteger(index)) throw new TileError("TILE_PATH_MALFORMED", "tile index too large");
  const width = widthText === undefined ? TILE_WIDTH : Number(widthText);
  if (width < 1 || width >= TILE_WIDTH + (widthText === undefined ? 1 : 0)) {
    throw new TileError("TILE_PATH_MALFORMED", `a partial tile's width is 1..255, got ${width}`);
  }
  return { level, index, width };
}

/** Hashes a tree of `treeSize` has at tile level `level` (i.e. at Merkle height 8·level). */
export function hashesAtLevel(level: number, treeSize: number): number {
  return Math.floor(treeSize / TILE_WIDTH ** level);
}

/** Width (0..256) of tile (level, index) in a tree of `treeSize`; 0: no such tile. */
export function tileWidth(level: number, index: number, treeSize: number): number {
  return Math.max(0, Math.min(TILE_WIDTH, hashesAtLevel(level, treeSize) - index * TILE_WIDTH));
}

/** Every tile a tree of `treeSize` has, full and partial, lowest level first. */
export function tilesOf(treeSize: number): TileCoordinates[] {
  const tiles: TileCoordinates[] = [];
  for (let level = 0; hashesAtLevel(level, treeSize) > 0; level++) {
    const count = hashesAtLevel(level, treeSize);
    for (let index = 0; index * TILE_WIDTH < count; index++) {
      tiles.push({ level, index, width: tileWidth(level, index, treeSize) });
    }
  }
  return tiles;
}

/** Entry bundle: each entry as big-endian uint16 length ‖ bytes. */
export function formatEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(entries.reduce((n, e) => n + 2 + e.length, 0));
  let at = 0;
  for (const entry of entries) {
    if (entry.length > MAX_ENTRY_BYTES)
      throw new TileError("TILE_MALFORMED", "an entry is at most 65,535 bytes");
    out[at] = entry.length >> 8;
    out[at + 1] = entry.length & 0xff;
    out.set(entry, at + 2);
    at += 2 + entry.length;
  }
  return out;
}

export function parseEntryBundle(bundle: Uint8Array): Uint8Array[] {
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < bundle.length) {
    if (at + 2 > bundle.length) throw new TileError("TILE_MALFORMED", "truncated entry length");
    const length = (bundle[at]! << 8) | bundle[at + 1]!;
    if (at + 2 + length > bundle.length) throw new TileError("TILE_MALFORMED", "truncated entry");
    entries.push(bundle.slice(at + 2, at + 2 + length));
    at += 2 + length;
  }
  if (entries.length > TILE_WIDTH) throw new TileError("TILE_MALFORMED", "more than 256 entries in a bundle");
  return entries;
}

/** Reads tile (level, index) at the given width: `width` 32-byte hashes. */
export type TileFetcher = (level: number, index: number, width: number) => Promise<Uint8Array>;

/**
 * What a tree of `treeSize` holds as tiles, read through `fetch` (an HTTP client of
 * `/tile/...`, or the log's own store). Each request runs the RFC generator twice: once to learn
 * which subtrees it needs, then, after fetching their tiles in parallel, to hash them.
 */
export class TileReader {
  readonly treeSize: number;
  readonly #fetch: TileFetcher;

  constructor(treeSize: number, fetch: TileFetcher) {
    checkIndex(treeSize);
    this.treeSize = treeSize;
    this.#fetch = fetch;
  }

  async root(): Promise<Uint8Array> {
    if (this.treeSize === 0) return EMPTY_ROOT.slice();
    return (await this.#run((hash) => [hash(0, this.treeSize)]))[0]!;
  }

  async inclusionProof(leafIndex: number): Promise<Uint8Array[]> {
    return this.#run((hash) => inclusionProof(leafIndex, this.treeSize, hash));
  }

  /** From an older size to this reader's size. */
  async consistencyProof(first: number): Promise<Uint8Array[]> {
    return this.#run((hash) => consistencyProof(first, this.treeSize, hash));
  }

  /** The leaf hash at `index` (level-0 tiles hold them). */
  async leafHash(index: number): Promise<Uint8Array> {
    if (index >= this.treeSize)
      throw new TileError("TILE_OUT_OF_RANGE", `leaf ${index} beyond size ${this.treeSize}`);
    return (await this.#run((hash) => [hash(index, index + 1)]))[0]!;
  }

  async #run(generate: (hash: RangeHasher) => Uint8Array[]): Promise<Uint8Array[]> {
    const wanted = new Map<string, { level: number; index: number }>();
    const zero = new Uint8Array(HASH_BYTES);
    generate((begin, end) =>
      this.#rangeHash(begin, end, (level, index) => {
        wanted.set(`${level}/${index}`, { level, index });
        return zero;
      }),
    );
    const tiles = new Map<string, Uint8Array>();
    await Promise.all(
      [...wanted].map(async ([key, { level, index }]) => {
        const width = tileWidth(level, index, this.treeSize);
        const tile = await this.#fetch(level, index, width);
        if (!(tile instanceof Uint8Array) || tile.length !== width * HASH_BYTES) {
          throw new TileError("TILE_MALFORMED", `tile ${level}/${index} is not ${width} hashes`);
        }
        tiles.set(key, tile);
      }),
    );
    return generate((begin, end) =>
      this.#rangeHash(begin, end, (level, index, offset) => {
        const tile = tiles.get(`${level}/${index}`)!;
        return tile.slice(offset * HASH_BYTES, (offset + 1) * HASH_BYTES);
      }),
    );
  }

  /** MTH of leaves [begin, end): complete subtrees from tiles, the ragged right edge hashed up. */
  #rangeHash(
    begin: number,
    end: number,
    tileHash: (level: number, index: number, offset: number) => Uint8Array,
  ): Uint8Array {
    if (!(begin < end && end <= this.treeSize)) {
      throw new TileError("TILE_OUT_OF_RANGE", `range [${begin}, ${end}) outside size ${this.treeSize}`);
    }
    const width = end - begin;
    const height = Math.log2(width);
    if (Number.isInteger(height) && begin % width === 0)
      return this.#complete(height, begin / width, tileHash);
    const k = largestPowerOfTwoBelow(width);
    return hashChildren(
      this.#rangeHash(begin, begin + k, tileHash),
      this.#rangeHash(begin + k, end, tileHash),
    );
  }

  /** The complete subtree of 2^height leaves at `index`: a tile hash, or hashed up from up to 128 of them. */
  #complete(
    height: number,
    index: number,
    tileHash: (level: number, index: number, offset: number) => Uint8Array,
  ): Uint8Array {
    const level = Math.floor(height / TILE_HEIGHT);
    const below = height - level * TILE_HEIGHT; // heights inside the tile
    const first = index * 2 ** below; // position among the hashes at this tile level
    let row: Uint8Array[] = [];
    for (let i = 0; i < 2 ** below; i++) {
      const at = first + i;
      row.push(tileHash(level, Math.floor(at / TILE_WIDTH), at % TILE_WIDTH));
    }
    while (row.length > 1) {
      const next: Uint8Array[] = [];
      for (let i = 0; i < row.length; i += 2) next.push(hashChildren(row[i]!, row[i + 1]!));
      row = next;
    }
    return row[0]!;
  }
}

/** Leaf hashes of an entry bundle's entries (RFC 9162 leaf hashing), to check against a level-0 tile. */
export function entryLeafHashes(entries: readonly Uint8Array[]): Uint8Array[] {
  return entries.map((e) => hashLeaf(e));
}

function checkIndex(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new TileError("TILE_PATH_MALFORMED", `not a non-negative integer: ${n}`);
}
