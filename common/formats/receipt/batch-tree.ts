// The RFC 9162 tree over one receipt batch's leaf hashes (common/formats/receipt/receipts.ts), kept flat:
// each level of complete subtrees in one array, the few ragged nodes on the right edge by where
// they begin. It answers the same ranges with the same hashes as common/formats/merkle's memoRangeHasher
// (the tests compare them), without a separate object per node.
import type { RangeHasher } from "../merkle/rfc9162.ts";
import { hashAdjacentInto, hashChildrenInto } from "../merkle/sha256.ts";

export class BatchTree {
  readonly count: number;
  /** levels[h]: the complete subtrees of height h, left to right, 32 bytes each (levels[0]: the leaves). */
  readonly levels: Uint8Array[];
  readonly #edge = new Map<number, Uint8Array>();

  constructor(leafHashes: readonly Uint8Array[]) {
    const count = leafHashes.length;
    if (count === 0) throw new RangeError("a batch tree needs at least one leaf");
    this.count = count;
    const leaves = new Uint8Array(count * 32);
    leafHashes.forEach((h, i) => {
      if (h.length !== 32) throw new RangeError(`leafHashes[${i}] must be 32 bytes, got ${h.length}`);
      leaves.set(h, i * 32);
    });
    this.levels = [leaves];
    for (let width = count >>> 1, below = leaves; width >= 1; width >>>= 1) {
      const level = new Uint8Array(width * 32);
      for (let i = 0; i < width; i++) hashAdjacentInto(below, 64 * i, level, 32 * i);
      this.levels.push(level);
      below = level;
    }
  }

  /** The complete subtree of height h at index i (a view: do not modify). */
  complete(height: number, index: number): Uint8Array {
    return this.levels[height]!.subarray(32 * index, 32 * index + 32);
  }

  /** The node [begin, count) on the right edge (a view: do not modify). */
  rightEdge(begin: number): Uint8Array {
    let node = this.#edge.get(begin);
    if (node === undefined) {
      const width = this.count - begin;
      let k = 1;
      let height = 0;
      while (k < width) {
        k *= 2;
        height++;
      }
      if (k === width && begin % k === 0) return this.complete(height, begin / k);
      k /= 2;
      height--;
      // the RFC's split: the largest power of two strictly below the width, then the rest
      node = new Uint8Array(32);
      hashChildrenInto(this.complete(height, begin / k), this.rightEdge(begin + k), node, 0);
      this.#edge.set(begin, node);
    }
    return node;
  }

  /** MTH of leaves [begin, end): a complete aligned subtree or a node ending at the batch's end (copies). */
  readonly rangeHash: RangeHasher = (begin, end) => {
    const width = end - begin;
    if (!(begin >= 0 && begin < end && end <= this.count))
      throw new RangeError(`range [${begin}, ${end}) is empty or outside the ${this.count} leaves`);
    if (end === this.count) return this.rightEdge(begin).slice();
    let height = 0;
    while (2 ** height < width) height++;
    if (2 ** height !== width || begin % width !== 0)
      throw new RangeError(`range [${begin}, ${end}) is not a node of the batch tree`);
    return this.complete(height, begin / width).slice();
  };
}
