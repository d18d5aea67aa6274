// RFC 9162 §2.1 Merkle tree hashing, proofs and proof verification, as plain functions over
// 32-byte SHA-256 hashes. The on-chain `MerkleLog` library mirrors the verifiers line for line,
// so keep the two in step: same bit walk, same edge cases, same order of proof elements.
//
// Tree sizes and indices are JS numbers (safe integers); shifts are done with arithmetic, never
// with `>>`, which would silently truncate sizes at 2^32.
import { hash } from "node:crypto";
import { bytesEqual } from "../../bytes.ts";

/** Every hash in this module is SHA-256. */
export const HASH_LENGTH = 32;

const NODE_INPUT = new Uint8Array(1 + 2 * HASH_LENGTH);
NODE_INPUT[0] = 0x01;

/** MTH({}) = SHA-256(""). Shared instance: do not mutate; functions here return copies. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

/** MTH of the leaf hashes in [begin, end); only asked for ranges that are RFC tree nodes. */
export type RangeHasher = (begin: number, end: number) => Uint8Array;

/** A signed-tree-head's content without the signature: what the chain anchors. */
export type TreeHead = { treeSize: number; rootHash: Uint8Array };

/** SHA-256(0x00 || leaf); the prefix keeps a leaf from passing as an interior node. */
export function hashLeaf(leaf: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + leaf.length);
  input[0] = 0x00;
  input.set(leaf, 1);
  return sha256(input);
}

/** SHA-256(0x01 || left || right). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  checkHashLength("left", left);
  checkHashLength("right", right);
  // One reused input buffer: this is the verifiers' hot loop, and hash() is synchronous.
  NODE_INPUT.set(left, 1);
  NODE_INPUT.set(right, 1 + HASH_LENGTH);
  return sha256(NODE_INPUT);
}

/** The RFC's k: the largest power of two strictly below n, so k < n <= 2k (n >= 2). */
export function largestPowerOfTwoBelow(n: number): number {
  checkCount("n", n);
  if (n < 2) throw new RangeError(`n must be at least 2, got ${n}`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * MTH(D[n]) in O(n) without recursion: pairing neighbours level by level and carrying an odd
 * last node up unchanged builds exactly the RFC's left-heavy tree.
 */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  leafHashes.forEach((h, i) => checkHashLength(`leafHashes[${i}]`, h));
  if (leafHashes.length === 0) return EMPTY_ROOT.slice();
  let level: readonly Uint8Array[] = leafHashes;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(hashChildren(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!.slice();
}

export function treeHead(leafHashes: readonly Uint8Array[]): TreeHead {
  return { treeSize: leafHashes.length, rootHash: rootFromLeafHashes(leafHashes) };
}

/**
 * A RangeHasher over an in-memory list. Complete aligned subtrees are cached by (height, index),
 * the few ragged right-edge nodes by range, so proofs for every leaf and every older tree size
 * share work. The leaf list is copied: later changes to the caller's array are not seen.
 */
export function memoRangeHasher(leafHashes: readonly Uint8Array[]): RangeHasher {
  const leaves = leafHashes.map((h, i) => {
    checkHashLength(`leafHashes[${i}]`, h);
    return h.slice();
  });
  const size = leaves.length;
  const complete: Uint8Array[][] = [leaves];
  const ragged = new Map<string, Uint8Array>();

  const completeHash = (height: number, index: number): Uint8Array => {
    if (height === 0) return leaves[index]!;
    const row = (complete[height] ??= []);
    const cached = row[index];
    if (cached !== undefined) return cached;
    const node = hashChildren(completeHash(height - 1, 2 * index), completeHash(height - 1, 2 * index + 1));
    row[index] = node;
    return node;
  };

  const rangeHash = (begin: number, end: number): Uint8Array => {
    const width = end - begin;
    const height = exactLog2(width);
    if (height !== undefined && begin % width === 0) return completeHash(height, begin / width);
    const key = `${begin}:${end}`;
    const cached = ragged.get(key);
    if (cached !== undefined) return cached;
    const k = largestPowerOfTwoBelow(width);
    const node = hashChildren(rangeHash(begin, begin + k), rangeHash(begin + k, end));
    ragged.set(key, node);
    return node;
  };

  return (begin, end) => {
    checkCount("begin", begin);
    checkCount("end", end);
    if (!(begin < end && end <= size)) {
      throw new RangeError(`range [${begin}, ${end}) is empty or outside the ${size} leaves`);
    }
    // Copy so a caller mutating a proof element cannot poison the cache.
    return rangeHash(begin, end).slice();
  };
}

/**
 * PATH(m, D[n]) of RFC 9162 §2.1.3.1, bottom-up as the RFC emits it: inclusionPath's nodes,
 * hashed, in reverse.
 */
export function inclusionProof(leafIndex: number, treeSize: number, rangeHash: RangeHasher): Uint8Array[] {
  checkCount("leafIndex", leafIndex);
  checkCount("treeSize", treeSize);
  if (leafIndex >= treeSize) {
    throw new RangeError(`leafIndex ${leafIndex} is not below treeSize ${treeSize}`);
  }
  const begins: number[] = [];
  const ends: number[] = [];
  const n = inclusionPath(leafIndex, treeSize, begins, ends);
  const topDown = new Array<Uint8Array>(n);
  for (let p = 0; p < n; p++) topDown[p] = rangeHash(begins[p]!, ends[p]!);
  return topDown.reverse();
}

/**
 * The one walk of PATH(m, D[n]), without hashing: walks down from the root and writes the range
 * [begins[p], ends[p]) of each proof node, top-down (the proof lists them bottom-up), into the
 * caller's arrays; returns how many. inclusionProof, the receipt builders and the anchor's reply
 * writer (common/formats/receipt/) all take their proofs' nodes from here. Only a right sibling
 * can end at treeSize; every other node is a complete subtree of width k aligned to k. The
 * arguments are trusted (leafIndex < treeSize; inclusionProof checks them).
 */
export function inclusionPath(
  leafIndex: number,
  treeSize: number,
  begins: { [p: number]: number },
  ends: { [p: number]: number },
): number {
  let n = 0;
  let begin = 0;
  let end = treeSize;
  while (end - begin > 1) {
    const k = largestPowerOfTwoBelow(end - begin);
    if (leafIndex < begin + k) {
      begins[n] = begin + k;
      ends[n++] = end;
      end = begin + k;
    } else {
      begins[n] = begin;
      ends[n++] = begin + k;
      begin += k;
    }
  }
  return n;
}

/**
 * PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 §2.1.4.1, iteratively. Empty when there
 * is nothing to prove (first == 0 or first == second), as the RFC defines no proof for those.
 */
export function consistencyProof(first: number, second: number, rangeHash: RangeHasher): Uint8Array[] {
  checkCount("first", first);
  checkCount("second", second);
  if (first > second) throw new RangeError(`first ${first} is greater than second ${second}`);
  if (first === 0 || first === second) return [];
  const topDown: Uint8Array[] = [];
  let begin = 0;
  let end = second;
  let m = first; // leaves of the old tree inside [begin, end)
  let wholeOldTree = true; // SUBPROOF's b: is [begin, begin + m) the old root itself?
  for (;;) {
    if (m === end - begin) {
      // The old tree's node at this point; the verifier already holds it when b is true.
      if (!wholeOldTree) topDown.push(rangeHash(begin, end));
      break;
    }
    const k = largestPowerOfTwoBelow(end - begin);
    if (m <= k) {
      topDown.push(rangeHash(begin + k, end));
      end = begin + k;
    } else {
      topDown.push(rangeHash(begin, begin + k));
      m -= k;
      begin += k;
      wholeOldTree = false;
    }
  }
  return topDown.reverse();
}

/**
 * RFC 9162 §2.1.3.2, step for step. Malformed hashes (not 32 bytes) fail rather than throw,
 * since proofs come from untrusted bundles; malformed numbers throw, as they are caller bugs.
 */
export function verifyInclusion(
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  checkCount("leafIndex", leafIndex);
  checkCount("treeSize", treeSize);
  if (leafIndex >= treeSize) return false;
  if (!isHash(leafHash) || !isHash(root) || !proof.every(isHash)) return false;
  let r = leafHash;
  const reached = walkPath(leafIndex, treeSize - 1, proof, 0, (p, left) => {
    r = left ? hashChildren(p, r) : hashChildren(r, p);
  });
  return reached && bytesEqual(r, root);
}

/**
 * The walk up the tree both RFC 9162 verifiers take (§2.1.3.2 and §2.1.4.2), from node fn of a
 * tree whose last node is sn: each proof node from `from` on is handed to `visit` as the left
 * (true) or the right sibling. False when the proof is longer or shorter than the path.
 */
function walkPath(
  fn: number,
  sn: number,
  proof: readonly Uint8Array[],
  from: number,
  visit: (node: Uint8Array, left: boolean) => void,
): boolean {
  for (let i = from; i < proof.length; i++) {
    if (sn === 0) return false; // proof longer than the path
    const left = isOdd(fn) || fn === sn;
    visit(proof[i]!, left);
    // Skip the levels where the right edge had no sibling (the node was carried up).
    if (left)
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0;
}

/**
 * RFC 9162 §2.1.4.2, step for step, plus the edge cases the RFC leaves to the caller, decided
 * here once so the Solidity verifier can mirror them: first > second fails; first == 0 holds
 * iff the proof is empty; first == second holds iff the proof is empty and the roots are equal.
 */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  checkCount("first", first);
  checkCount("second", second);
  if (!isHash(firstRoot) || !isHash(secondRoot) || !proof.every(isHash)) return false;
  if (first > second) return false;
  if (first === 0) return proof.length === 0;
  if (first === second) return proof.length === 0 && bytesEqual(firstRoot, secondRoot);
  if (proof.length === 0) return false;

  // An exact power of two is a complete subtree the proof omits; the verifier supplies it.
  const path = exactLog2(first) !== undefined ? [firstRoot, ...proof] : proof;
  let fn = first - 1;
  let sn = second - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  const reached = walkPath(fn, sn, path, 1, (c, left) => {
    if (left) fr = hashChildren(c, fr);
    sr = left ? hashChildren(c, sr) : hashChildren(sr, c);
  });
  return reached && bytesEqual(fr, firstRoot) && bytesEqual(sr, secondRoot);
}

function sha256(data: Uint8Array): Uint8Array {
  // Copy out of the Buffer so every hash is a plain Uint8Array (deep-equal friendly).
  return new Uint8Array(hash("sha256", data, "buffer"));
}

function isHash(value: Uint8Array): boolean {
  return value instanceof Uint8Array && value.length === HASH_LENGTH;
}

function checkHashLength(name: string, value: Uint8Array): void {
  if (!isHash(value)) {
    const got = value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
    throw new RangeError(`${name} must be a ${HASH_LENGTH}-byte hash, got ${got}`);
  }
}

function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${String(value)}`);
  }
}

function isOdd(x: number): boolean {
  return x % 2 === 1;
}

function half(x: number): number {
  return Math.floor(x / 2);
}

/** log2(x) when x is an exact power of two (1, 2, 4, …), otherwise undefined. */
function exactLog2(x: number): number | undefined {
  let height = 0;
  let p = 1;
  while (p < x) {
    p *= 2;
    height++;
  }
  return p === x ? height : undefined;
}
