// The log's tiles (c2sp.org/tlog-tiles) read from its own Merkle store: tile (L, N) holds the
// complete subtrees of 256^L leaves, i.e. MerkleStore ranges, and entry bundles hold the
// 224-byte evidence leaves whose RFC 9162 leaf hashes are the level-0 tiles. Nothing is stored
// twice: tiles are computed on request (O(256) cached-range reads) and are immutable.
import {
  formatEntryBundle,
  HASH_BYTES,
  TILE_WIDTH,
  tileWidth,
} from "../../../common/formats/checkpoint/tiles.ts";

export type TileSource = {
  /** MTH of leaves [begin, end) for a complete aligned subtree within the committed size. */
  rangeHash(begin: number, end: number): Promise<Uint8Array>;
  /** The evidence leaves [from, to) in log order. */
  entries(from: number, to: number): Promise<Uint8Array[]>;
};

export class TileNotFound extends Error {}

/** Tile (level, index) at `width`, if the tree of `treeSize` holds that many hashes there. */
export async function readTile(
  source: TileSource,
  treeSize: number,
  level: number,
  index: number,
  width: number,
): Promise<Uint8Array> {
  if (width > tileWidth(level, index, treeSize))
    throw new TileNotFound(`no tile ${level}/${index} of width ${width}`);
  const span = TILE_WIDTH ** level;
  const hashes = await Promise.all(
    Array.from({ length: width }, (_, i) => {
      const first = (index * TILE_WIDTH + i) * span;
      return source.rangeHash(first, first + span);
    }),
  );
  const out = new Uint8Array(width * HASH_BYTES);
  hashes.forEach((h, i) => out.set(h, i * HASH_BYTES));
  return out;
}

/** Entry bundle `index` at `width` (as the level-0 tile of the same index). */
export async function readEntryBundle(
  source: TileSource,
  treeSize: number,
  index: number,
  width: number,
): Promise<Uint8Array> {
  if (width > tileWidth(0, index, treeSize))
    throw new TileNotFound(`no entry bundle ${index} of width ${width}`);
  const from = index * TILE_WIDTH;
  return formatEntryBundle(await source.entries(from, from + width));
}
