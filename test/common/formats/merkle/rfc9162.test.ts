// RFC 9162 §2.1 Merkle tree: known answers written out from the RFC's definitions, published
// Certificate Transparency vectors, an independent recursive reference implementation checked
// exhaustively against the production module, and tamper rejection.
//
// Unless stated otherwise the leaves are single bytes: entry i is the one byte `i`
// (0x00, 0x01, …), so L(i) = SHA-256(0x00 || i).
import { expect } from "chai";
import { createHash } from "node:crypto";
import { bytesEqual, fromHex, toHex } from "../../../../common/bytes.ts";
import {
  EMPTY_ROOT,
  consistencyProof,
  hashChildren,
  hashLeaf,
  inclusionProof,
  largestPowerOfTwoBelow,
  memoRangeHasher,
  rootFromLeafHashes,
  treeHead,
  verifyConsistency,
  verifyInclusion,
  type RangeHasher,
} from "../../../../common/formats/merkle/rfc9162.ts";

// ---- Independent helpers: node:crypto directly, nothing from the module under test. --------

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}
const entry = (i: number): Uint8Array => Uint8Array.of(i);
/** Leaf hash of entry i: SHA-256(0x00 || i). */
const L = (i: number): Uint8Array => sha256(Uint8Array.of(0x00), entry(i));
/** Interior node: SHA-256(0x01 || left || right). */
const N = (left: Uint8Array, right: Uint8Array): Uint8Array => sha256(Uint8Array.of(0x01), left, right);
const hex = (b: Uint8Array): string => toHex(b);
const hexes = (bs: readonly Uint8Array[]): string[] => bs.map(hex);

// ---- Reference implementation, recursive, transcribed from RFC 9162 §2.1 over raw entries. --

/** "the largest power of two smaller than n" */
function refK(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) */
function refMTH(d: readonly Uint8Array[]): Uint8Array {
  const n = d.length;
  if (n === 0) return sha256();
  if (n === 1) return sha256(Uint8Array.of(0x00), d[0]!);
  const k = refK(n);
  return sha256(Uint8Array.of(0x01), refMTH(d.slice(0, k)), refMTH(d.slice(k)));
}

/** PATH(m, D[n]) */
function refPATH(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  const n = d.length;
  if (n === 1) return [];
  const k = refK(n);
  if (m < k) return [...refPATH(m, d.slice(0, k)), refMTH(d.slice(k))];
  return [...refPATH(m - k, d.slice(k)), refMTH(d.slice(0, k))];
}

/** |PATH(m, D[n])| without building it, for trees too large to hold. */
function pathLength(m: number, n: number): number {
  if (n === 1) return 0;
  const k = refK(n);
  return 1 + (m < k ? pathLength(m, k) : pathLength(m - k, n - k));
}

/** SUBPROOF(m, D[n], b) */
function refSUBPROOF(m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] {
  const n = d.length;
  if (m === n) return b ? [] : [refMTH(d)];
  const k = refK(n);
  if (m <= k) return [...refSUBPROOF(m, d.slice(0, k), b), refMTH(d.slice(k))];
  return [...refSUBPROOF(m - k, d.slice(k), false), refMTH(d.slice(0, k))];
}

/** PROOF(m, D[n]) */
const refPROOF = (m: number, d: readonly Uint8Array[]): Uint8Array[] => refSUBPROOF(m, d, true);

/**
 * Reference verifiers: rebuild the root(s) by running the PATH / SUBPROOF recursion backwards,
 * consuming proof elements from the end. A different algorithm from the RFC's bit walk, so
 * agreement between the two is evidence for both.
 */
function refVerifyInclusion(
  m: number,
  n: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (m >= n || proof.some((p) => p.length !== 32)) return false;
  const rest = [...proof];
  const rebuild = (m: number, n: number): Uint8Array | undefined => {
    if (n === 1) return leaf;
    const k = refK(n);
    const sibling = rest.pop();
    if (sibling === undefined) return undefined;
    if (m < k) {
      const left = rebuild(m, k);
      return left && N(left, sibling);
    }
    const right = rebuild(m - k, n - k);
    return right && N(sibling, right);
  };
  const r = rebuild(m, n);
  return r !== undefined && rest.length === 0 && bytesEqual(r, root);
}

function refVerifyConsistency(
  m: number,
  n: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (proof.some((p) => p.length !== 32)) return false;
  if (m > n) return false;
  if (m === 0 || m === n) return proof.length === 0 && (m === 0 || bytesEqual(oldRoot, newRoot));
  const rest = [...proof];
  // Returns [hash of the old tree's part of this subtree, hash of the new subtree].
  const rebuild = (m: number, n: number, b: boolean): [Uint8Array, Uint8Array] | undefined => {
    if (m === n) {
      if (b) return [oldRoot, oldRoot];
      const c = rest.pop();
      return c && [c, c];
    }
    const k = refK(n);
    const other = rest.pop();
    if (other === undefined) return undefined;
    if (m <= k) {
      const left = rebuild(m, k, b);
      return left && [left[0], N(left[1], other)];
    }
    const right = rebuild(m - k, n - k, false);
    return right && [N(other, right[0]), N(other, right[1])];
  };
  const r = rebuild(m, n, true);
  return r !== undefined && rest.length === 0 && bytesEqual(r[0], oldRoot) && bytesEqual(r[1], newRoot);
}

// ---- Shared fixtures: one 64-leaf list; its memoized hasher serves every prefix size. ------

const MAX = 64;
const ENTRIES = Array.from({ length: MAX }, (_, i) => entry(i));
const LEAF_HASHES = ENTRIES.map(hashLeaf);
const HASHER = memoRangeHasher(LEAF_HASHES);
const ROOTS = Array.from({ length: MAX + 1 }, (_, n) => rootFromLeafHashes(LEAF_HASHES.slice(0, n)));

function withByteFlipped(proof: readonly Uint8Array[], element: number, byte: number): Uint8Array[] {
  const copy = [...proof];
  const changed = proof[element]!.slice();
  changed[byte]! ^= 0x01;
  copy[element] = changed;
  return copy;
}

function flipped(h: Uint8Array, byte: number): Uint8Array {
  const c = h.slice();
  c[byte]! ^= 0x01;
  return c;
}

const EXTRA = new Uint8Array(32).fill(0xab);

describe("common/bytes", () => {
  it("toHex gives 0x-prefixed lowercase", () => {
    expect(toHex(Uint8Array.of(0x00, 0xab, 0xff))).to.equal("0x00abff");
    expect(toHex(new Uint8Array(0))).to.equal("0x");
  });

  it("fromHex accepts either case, with or without 0x, and round-trips", () => {
    expect([...fromHex("0x00ABff")]).to.deep.equal([0x00, 0xab, 0xff]);
    expect([...fromHex("00abff")]).to.deep.equal([0x00, 0xab, 0xff]);
    expect(fromHex("0x").length).to.equal(0);
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(bytesEqual(fromHex(toHex(bytes)), bytes)).to.equal(true);
  });

  it("fromHex rejects odd length and non-hex characters with RangeError", () => {
    expect(() => fromHex("0xabc")).to.throw(RangeError, /odd/);
    expect(() => fromHex("abc")).to.throw(RangeError, /odd/);
    expect(() => fromHex("0xzz")).to.throw(RangeError, /non-hex/);
    expect(() => fromHex("0x0g")).to.throw(RangeError, /non-hex/);
    // Buffer.from would silently stop at the bad character; we must not.
    expect(() => fromHex("0x00 1")).to.throw(RangeError);
    expect(() => fromHex("0X00")).to.throw(RangeError);
  });

  it("bytesEqual compares length and content", () => {
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).to.equal(true);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).to.equal(false);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0))).to.equal(false);
    expect(bytesEqual(new Uint8Array(0), new Uint8Array(0))).to.equal(true);
  });
});

describe("common/formats/merkle/rfc9162", function () {
  // The exhaustive sections hash a few million times; leave room for slow CI machines.
  this.timeout(120_000);

  describe("hash primitives", () => {
    it("EMPTY_ROOT is SHA-256 of the empty string", () => {
      expect(hex(EMPTY_ROOT)).to.equal("0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
      expect(hex(rootFromLeafHashes([]))).to.equal(hex(EMPTY_ROOT));
    });

    it("hashLeaf prefixes 0x00 and hashChildren prefixes 0x01", () => {
      expect(hex(hashLeaf(entry(7)))).to.equal(hex(L(7)));
      expect(hex(hashLeaf(new Uint8Array(0)))).to.equal(hex(sha256(Uint8Array.of(0))));
      expect(hex(hashChildren(L(0), L(1)))).to.equal(hex(N(L(0), L(1))));
      expect(hex(hashChildren(L(1), L(0)))).to.not.equal(hex(hashChildren(L(0), L(1))));
    });

    it("hashChildren refuses inputs that are not 32 bytes", () => {
      expect(() => hashChildren(new Uint8Array(31), L(0))).to.throw(RangeError, /left/);
      expect(() => hashChildren(L(0), new Uint8Array(33))).to.throw(RangeError, /right/);
    });

    it("largestPowerOfTwoBelow is the RFC's k (k < n <= 2k)", () => {
      const cases: Array<[number, number]> = [
        [2, 1],
        [3, 2],
        [4, 2],
        [5, 4],
        [8, 4],
        [9, 8],
        [64, 32],
        [65, 64],
        [2 ** 32, 2 ** 31],
        [2 ** 32 + 1, 2 ** 32],
        [Number.MAX_SAFE_INTEGER, 2 ** 52],
      ];
      for (const [n, k] of cases) expect(largestPowerOfTwoBelow(n), `n=${n}`).to.equal(k);
      for (let n = 2; n <= 1000; n++) {
        const k = largestPowerOfTwoBelow(n);
        expect(k < n && n <= 2 * k && Number.isInteger(Math.log2(k)), `n=${n}`).to.equal(true);
      }
      expect(() => largestPowerOfTwoBelow(1)).to.throw(RangeError, /n/);
      expect(() => largestPowerOfTwoBelow(0)).to.throw(RangeError, /n/);
    });
  });

  describe("known answers, sizes 0..8, written out from the RFC definitions", () => {
    // Perfect subtrees reused below: P01 = MTH(D[0:2]), P0123 = MTH(D[0:4]), etc.
    const P01 = N(L(0), L(1));
    const P23 = N(L(2), L(3));
    const P45 = N(L(4), L(5));
    const P67 = N(L(6), L(7));
    const P0123 = N(P01, P23);
    const P4567 = N(P45, P67);
    const expectedRoots = [
      sha256(), // 0: SHA-256("")
      L(0), // 1
      N(L(0), L(1)), // 2
      N(N(L(0), L(1)), L(2)), // 3
      N(N(L(0), L(1)), N(L(2), L(3))), // 4
      N(P0123, L(4)), // 5
      N(P0123, N(L(4), L(5))), // 6
      N(P0123, N(N(L(4), L(5)), L(6))), // 7
      N(P0123, N(P45, P67)), // 8
    ];

    it("roots of sizes 0..8", () => {
      for (let n = 0; n <= 8; n++) {
        expect(hex(rootFromLeafHashes(LEAF_HASHES.slice(0, n))), `size ${n}`).to.equal(
          hex(expectedRoots[n]!),
        );
        expect(hex(ROOTS[n]!), `size ${n}`).to.equal(hex(expectedRoots[n]!));
        if (n > 0) expect(hex(HASHER(0, n)), `size ${n}`).to.equal(hex(expectedRoots[n]!));
      }
      expect(treeHead(LEAF_HASHES.slice(0, 5))).to.deep.equal({ treeSize: 5, rootHash: expectedRoots[5] });
    });

    const inclusionCases: Array<[number, number, Uint8Array[]]> = [
      [0, 1, []],
      [0, 2, [L(1)]],
      [1, 2, [L(0)]],
      [2, 3, [P01]],
      [0, 3, [L(1), L(2)]],
      [4, 5, [P0123]],
      [3, 6, [L(2), P01, P45]],
      [6, 7, [P45, P0123]],
      [5, 7, [L(4), L(6), P0123]],
      [0, 8, [L(1), P23, P4567]],
      [5, 8, [L(4), P67, P0123]],
      [7, 8, [L(6), P45, P0123]],
    ];
    it("inclusion proofs", () => {
      for (const [index, size, proof] of inclusionCases) {
        const label = `leaf ${index} of ${size}`;
        expect(hexes(inclusionProof(index, size, HASHER)), label).to.deep.equal(hexes(proof));
        expect(verifyInclusion(index, size, L(index), proof, expectedRoots[size]!), label).to.equal(true);
      }
    });

    const consistencyCases: Array<[number, number, Uint8Array[]]> = [
      [1, 2, [L(1)]],
      [1, 3, [L(1), L(2)]],
      [2, 3, [L(2)]],
      [2, 4, [P23]],
      [3, 4, [L(2), L(3), P01]],
      [4, 5, [L(4)]],
      [3, 5, [L(2), L(3), P01, L(4)]],
      [4, 8, [P4567]],
      [2, 8, [P23, P4567]],
      [6, 8, [P45, P67, P0123]],
      [5, 7, [L(4), L(5), L(6), P0123]],
    ];
    it("consistency proofs", () => {
      for (const [first, second, proof] of consistencyCases) {
        const label = `${first} -> ${second}`;
        expect(hexes(consistencyProof(first, second, HASHER)), label).to.deep.equal(hexes(proof));
        expect(
          verifyConsistency(first, second, expectedRoots[first]!, expectedRoots[second]!, proof),
          label,
        ).to.equal(true);
      }
    });

    it("the worked example of RFC 9162 §2.1.5 (7 leaves d0..d6)", () => {
      const [a, b, c, d, e, f] = [L(0), L(1), L(2), L(3), L(4), L(5)];
      const j = L(6);
      const g = N(a, b);
      const h = N(c, d);
      const i = N(e, f);
      const k = N(g, h);
      const l = N(i, j);
      expect(hex(HASHER(0, 7))).to.equal(hex(N(k, l)));
      expect(hexes(inclusionProof(0, 7, HASHER))).to.deep.equal(hexes([b, h, l]));
      expect(hexes(inclusionProof(3, 7, HASHER))).to.deep.equal(hexes([c, g, l]));
      expect(hexes(inclusionProof(4, 7, HASHER))).to.deep.equal(hexes([f, j, k]));
      expect(hexes(inclusionProof(6, 7, HASHER))).to.deep.equal(hexes([i, k]));
      expect(hexes(consistencyProof(3, 7, HASHER))).to.deep.equal(hexes([c, d, g, l]));
      expect(hexes(consistencyProof(4, 7, HASHER))).to.deep.equal(hexes([l]));
      expect(hexes(consistencyProof(6, 7, HASHER))).to.deep.equal(hexes([i, j, k]));
    });
  });

  describe("published Certificate Transparency vectors", () => {
    // The test data shared by the CT reference implementations (C++, Go) for RFC 6962, whose
    // hashing RFC 9162 §2.1 keeps unchanged.
    const ctEntries = [
      "",
      "00",
      "10",
      "2021",
      "3031",
      "40414243",
      "5051525354555657",
      "606162636465666768696a6b6c6d6e6f",
    ].map(fromHex);
    const ctLeaves = ctEntries.map(hashLeaf);
    const ctRoots = [
      "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "0x6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "0xfac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "0xaeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "0xd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "0x4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "0x76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "0xddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "0x5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    const ctHasher = memoRangeHasher(ctLeaves);

    it("roots of sizes 0..8", () => {
      for (let n = 0; n <= 8; n++)
        expect(hex(rootFromLeafHashes(ctLeaves.slice(0, n))), `size ${n}`).to.equal(ctRoots[n]);
    });

    it("inclusion proofs (0 of 8, 5 of 8) and consistency proofs (2 -> 8, 6 -> 8)", () => {
      expect(hexes(inclusionProof(0, 8, ctHasher))).to.deep.equal([
        "0x96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0x5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0x6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
      ]);
      expect(hexes(inclusionProof(5, 8, ctHasher))).to.deep.equal([
        "0xbc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "0xca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "0xd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      ]);
      expect(hexes(consistencyProof(2, 8, ctHasher))).to.deep.equal([
        "0x5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0x6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
      ]);
      expect(hexes(consistencyProof(6, 8, ctHasher))).to.deep.equal([
        "0x0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "0xca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "0xd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      ]);
    });
  });

  describe(`exhaustive cross-check against the recursive reference, sizes 1..${MAX}`, () => {
    it("roots: iterative, memoized and reference MTH agree for every size 0..64", () => {
      for (let n = 0; n <= MAX; n++) {
        const want = hex(refMTH(ENTRIES.slice(0, n)));
        expect(hex(ROOTS[n]!), `size ${n}`).to.equal(want);
        if (n > 0) expect(hex(HASHER(0, n)), `size ${n}`).to.equal(want);
      }
    });

    /** Runs `check(m, n, D[n])` for every size n up to MAX and every m from `firstM` below n; how many it ran. */
    const everyPair = (firstM: number, check: (m: number, n: number, d: Uint8Array[]) => void): number => {
      let checked = 0;
      for (let n = firstM + 1; n <= MAX; n++) {
        const d = ENTRIES.slice(0, n);
        for (let m = firstM; m < n; m++, checked++) check(m, n, d);
      }
      return checked;
    };

    it("every inclusion proof equals PATH(m, D[n]) and verifies", () => {
      const checked = everyPair(0, (m, n, d) => {
        const proof = inclusionProof(m, n, HASHER);
        expect(hexes(proof), `leaf ${m} of ${n}`).to.deep.equal(hexes(refPATH(m, d)));
        expect(verifyInclusion(m, n, LEAF_HASHES[m]!, proof, ROOTS[n]!), `leaf ${m} of ${n}`).to.equal(true);
        expect(refVerifyInclusion(m, n, LEAF_HASHES[m]!, proof, ROOTS[n]!), `leaf ${m} of ${n}`).to.equal(
          true,
        );
      });
      expect(checked).to.equal((MAX * (MAX + 1)) / 2);
    });

    it("every consistency proof equals PROOF(m, D[n]) and verifies", () => {
      const checked = everyPair(1, (m, n, d) => {
        const proof = consistencyProof(m, n, HASHER);
        expect(hexes(proof), `${m} -> ${n}`).to.deep.equal(hexes(refPROOF(m, d)));
        expect(verifyConsistency(m, n, ROOTS[m]!, ROOTS[n]!, proof), `${m} -> ${n}`).to.equal(true);
        expect(refVerifyConsistency(m, n, ROOTS[m]!, ROOTS[n]!, proof), `${m} -> ${n}`).to.equal(true);
      });
      expect(checked).to.equal((MAX * (MAX - 1)) / 2);
    });

    it("proof generation only asks the hasher for RFC tree nodes: complete aligned subtrees or right-edge ranges", () => {
      const isNode = (begin: number, end: number, size: number): boolean => {
        const width = end - begin;
        const complete = Number.isInteger(Math.log2(width)) && begin % width === 0;
        return complete || end === size;
      };
      for (let n = 1; n <= MAX; n++) {
        const bad: string[] = [];
        const recording =
          (size: number): RangeHasher =>
          (b, e) => {
            if (!isNode(b, e, size)) bad.push(`[${b},${e}) for size ${size}`);
            return HASHER(b, e);
          };
        for (let m = 0; m < n; m++) inclusionProof(m, n, recording(n));
        for (let m = 1; m < n; m++) consistencyProof(m, n, recording(n));
        expect(bad, `size ${n}`).to.deep.equal([]);
      }
    });
  });

  describe("verifiers reject what they must", () => {
    /** `mustFail(ok, what)` for each case a verifier must reject: the tally counts them and keeps those it accepted. */
    const rejections = () => {
      const tally = { checked: 0, wronglyAccepted: [] as string[] };
      const mustFail = (ok: boolean, what: string): void => {
        tally.checked++;
        if (ok) tally.wronglyAccepted.push(what);
      };
      return { mustFail, tally };
    };

    it("inclusion: index >= size, the neighbouring leaf, every other index, other sizes", () => {
      const { mustFail, tally } = rejections();
      for (let n = 1; n <= MAX; n++) {
        for (let m = 0; m < n; m++) {
          const proof = inclusionProof(m, n, HASHER);
          const root = ROOTS[n]!;
          mustFail(verifyInclusion(n, n, LEAF_HASHES[m]!, proof, root), `index ${n} = size ${n}`);
          mustFail(verifyInclusion(n + 5, n, LEAF_HASHES[m]!, proof, root), `index ${n + 5} > size ${n}`);
          if (m > 0)
            mustFail(
              verifyInclusion(m, n, LEAF_HASHES[m - 1]!, proof, root),
              `leaf ${m - 1} as ${m} of ${n}`,
            );
          if (m + 1 < MAX)
            mustFail(
              verifyInclusion(m, n, LEAF_HASHES[m + 1]!, proof, root),
              `leaf ${m + 1} as ${m} of ${n}`,
            );
          for (let other = 0; other < n; other++) {
            if (other !== m)
              mustFail(
                verifyInclusion(other, n, LEAF_HASHES[m]!, proof, root),
                `proof of ${m} as ${other} of ${n}`,
              );
          }
          for (const size of [n - 1, n + 1, 2 * n]) {
            if (size > m && size <= MAX) {
              mustFail(
                verifyInclusion(m, size, LEAF_HASHES[m]!, proof, ROOTS[size]!),
                `proof for size ${n} as size ${size}`,
              );
            }
          }
          mustFail(
            verifyInclusion(m, n, LEAF_HASHES[m]!, proof, ROOTS[n - 1]!),
            `root of ${n - 1} for ${m} of ${n}`,
          );
        }
      }
      expect(tally.wronglyAccepted).to.deep.equal([]);
      expect(tally.checked).to.be.greaterThan(90_000);
    });

    it("consistency: other first sizes, other second sizes, swapped roots, first > second", () => {
      const { mustFail, tally } = rejections();
      for (let n = 2; n <= MAX; n++) {
        for (let m = 1; m < n; m++) {
          const proof = consistencyProof(m, n, HASHER);
          for (let other = 1; other < n; other++) {
            if (other !== m)
              mustFail(
                verifyConsistency(other, n, ROOTS[other]!, ROOTS[n]!, proof),
                `proof ${m}->${n} as ${other}->${n}`,
              );
          }
          for (let other = m + 1; other <= MAX; other++) {
            if (other !== n)
              mustFail(
                verifyConsistency(m, other, ROOTS[m]!, ROOTS[other]!, proof),
                `proof ${m}->${n} as ${m}->${other}`,
              );
          }
          mustFail(verifyConsistency(m, n, ROOTS[n]!, ROOTS[m]!, proof), `swapped roots ${m}->${n}`);
          mustFail(verifyConsistency(n, m, ROOTS[n]!, ROOTS[m]!, proof), `reversed ${n}->${m}`);
          mustFail(verifyConsistency(m, n, ROOTS[m]!, ROOTS[n]!, []), `empty proof ${m}->${n}`);
        }
      }
      expect(tally.wronglyAccepted).to.deep.equal([]);
      expect(tally.checked).to.be.greaterThan(100_000);
    });

    it("consistency edge cases: first == 0, first == second, first > second", () => {
      const [r0, r4, r5] = [ROOTS[0]!, ROOTS[4]!, ROOTS[5]!];
      expect(verifyConsistency(0, 0, r0, r0, [])).to.equal(true);
      expect(verifyConsistency(0, 5, r0, r5, [])).to.equal(true);
      expect(verifyConsistency(0, 5, r0, r5, [r5])).to.equal(false);
      expect(verifyConsistency(4, 4, r4, r4, [])).to.equal(true);
      expect(verifyConsistency(4, 4, r4, r5, [])).to.equal(false);
      expect(verifyConsistency(4, 4, r4, r4, [r4])).to.equal(false);
      expect(verifyConsistency(5, 4, r5, r4, [])).to.equal(false);
      expect(verifyConsistency(5, 4, r5, r4, consistencyProof(4, 5, HASHER))).to.equal(false);
      expect(consistencyProof(0, 5, HASHER)).to.deep.equal([]);
      expect(consistencyProof(5, 5, HASHER)).to.deep.equal([]);
      expect(consistencyProof(0, 0, HASHER)).to.deep.equal([]);
    });

    it("malformed hashes fail verification instead of throwing", () => {
      const proof = inclusionProof(5, 8, HASHER);
      const short = new Uint8Array(31);
      expect(verifyInclusion(5, 8, LEAF_HASHES[5]!, proof, ROOTS[8]!)).to.equal(true);
      expect(verifyInclusion(5, 8, short, proof, ROOTS[8]!)).to.equal(false);
      expect(verifyInclusion(5, 8, LEAF_HASHES[5]!, proof, short)).to.equal(false);
      expect(verifyInclusion(5, 8, LEAF_HASHES[5]!, [short, ...proof.slice(1)], ROOTS[8]!)).to.equal(false);
      expect(
        verifyInclusion(5, 8, LEAF_HASHES[5]!, [...proof.slice(0, 2), new Uint8Array(33)], ROOTS[8]!),
      ).to.equal(false);
      const cproof = consistencyProof(6, 8, HASHER);
      expect(verifyConsistency(6, 8, ROOTS[6]!, ROOTS[8]!, cproof)).to.equal(true);
      expect(verifyConsistency(6, 8, short, ROOTS[8]!, cproof)).to.equal(false);
      expect(verifyConsistency(6, 8, ROOTS[6]!, short, cproof)).to.equal(false);
      expect(verifyConsistency(6, 8, ROOTS[6]!, ROOTS[8]!, [...cproof.slice(0, 2), short])).to.equal(false);
    });

    it(`every single-byte corruption, truncation, extension and corrupted root fails (sizes <= ${MAX})`, () => {
      const wronglyAccepted: string[] = [];
      const refDisagrees: string[] = [];
      let checked = 0;
      const mustFail = (ok: boolean, what: string): void => {
        checked++;
        if (ok) wronglyAccepted.push(what);
      };

      for (let n = 1; n <= MAX; n++) {
        for (let m = 0; m < n; m++) {
          const leaf = LEAF_HASHES[m]!;
          const root = ROOTS[n]!;
          const proof = inclusionProof(m, n, HASHER);
          const tag = `leaf ${m} of ${n}`;
          for (let e = 0; e < proof.length; e++) {
            for (let byte = 0; byte < 32; byte++) {
              mustFail(
                verifyInclusion(m, n, leaf, withByteFlipped(proof, e, byte), root),
                `${tag}: proof[${e}][${byte}]`,
              );
            }
          }
          const variants: Array<[string, Uint8Array[], Uint8Array, Uint8Array]> = [
            ["extended", [...proof, EXTRA], leaf, root],
            ["root byte 0", proof, leaf, flipped(root, 0)],
            ["root byte 31", proof, leaf, flipped(root, 31)],
            ["leaf byte 0", proof, flipped(leaf, 0), root],
            ["leaf byte 31", proof, flipped(leaf, 31), root],
          ];
          if (proof.length > 0) variants.push(["truncated", proof.slice(0, -1), leaf, root]);
          if (proof.length > 1)
            variants.push(["first two swapped", [proof[1]!, proof[0]!, ...proof.slice(2)], leaf, root]);
          for (const [what, p, l, r] of variants) {
            mustFail(verifyInclusion(m, n, l, p, r), `${tag}: ${what}`);
            if (refVerifyInclusion(m, n, l, p, r)) refDisagrees.push(`${tag}: ${what}`);
          }
        }
      }

      for (let n = 2; n <= MAX; n++) {
        for (let m = 1; m < n; m++) {
          const [oldRoot, newRoot] = [ROOTS[m]!, ROOTS[n]!];
          const proof = consistencyProof(m, n, HASHER);
          const tag = `${m} -> ${n}`;
          for (let e = 0; e < proof.length; e++) {
            for (let byte = 0; byte < 32; byte++) {
              mustFail(
                verifyConsistency(m, n, oldRoot, newRoot, withByteFlipped(proof, e, byte)),
                `${tag}: proof[${e}][${byte}]`,
              );
            }
          }
          const variants: Array<[string, Uint8Array[], Uint8Array, Uint8Array]> = [
            ["truncated", proof.slice(0, -1), oldRoot, newRoot],
            ["extended", [...proof, EXTRA], oldRoot, newRoot],
            ["first root byte 0", proof, flipped(oldRoot, 0), newRoot],
            ["first root byte 31", proof, flipped(oldRoot, 31), newRoot],
            ["second root byte 0", proof, oldRoot, flipped(newRoot, 0)],
            ["second root byte 31", proof, oldRoot, flipped(newRoot, 31)],
          ];
          if (proof.length > 1)
            variants.push(["first two swapped", [proof[1]!, proof[0]!, ...proof.slice(2)], oldRoot, newRoot]);
          for (const [what, p, a, b] of variants) {
            mustFail(verifyConsistency(m, n, a, b, p), `${tag}: ${what}`);
            if (refVerifyConsistency(m, n, a, b, p)) refDisagrees.push(`${tag}: ${what}`);
          }
        }
      }

      expect(wronglyAccepted).to.deep.equal([]);
      expect(refDisagrees).to.deep.equal([]);
      // Guards against a loop that silently checks nothing.
      expect(checked).to.be.greaterThan(500_000);
    });
  });

  describe("sizes beyond 2^32", () => {
    // With every leaf equal, MTH of a range depends only on its width, so proofs for a tree of
    // ~10^12 leaves cost O(log^2 n). A `>>`-based bit walk would truncate these sizes.
    const uniformHasher = (): RangeHasher => {
      const byWidth = new Map<number, Uint8Array>();
      const mth = (width: number): Uint8Array => {
        if (width === 1) return L(0);
        const cached = byWidth.get(width);
        if (cached) return cached;
        const k = refK(width);
        const node = N(mth(k), mth(width - k));
        byWidth.set(width, node);
        return node;
      };
      return (begin, end) => mth(end - begin);
    };

    it("inclusion and consistency proofs verify and reject tampering", () => {
      const hasher = uniformHasher();
      const n = 2 ** 40 + 12_345;
      const m = 2 ** 33 + 3;
      const root = hasher(0, n);
      const oldRoot = hasher(0, m);
      for (const index of [0, 2 ** 32, 2 ** 32 + 1, m, n - 2, n - 1]) {
        const proof = inclusionProof(index, n, hasher);
        expect(proof.length, `index ${index}`).to.equal(pathLength(index, n));
        expect(verifyInclusion(index, n, L(0), proof, root), `index ${index}`).to.equal(true);
        expect(verifyInclusion(index, n, L(0), withByteFlipped(proof, proof.length - 1, 0), root)).to.equal(
          false,
        );
        expect(verifyInclusion(index, n, L(0), proof.slice(0, -1), root)).to.equal(false);
      }
      const proof = consistencyProof(m, n, hasher);
      expect(verifyConsistency(m, n, oldRoot, root, proof)).to.equal(true);
      expect(verifyConsistency(m, n, oldRoot, root, withByteFlipped(proof, 0, 5))).to.equal(false);
      expect(
        verifyConsistency(2 ** 32, n, hasher(0, 2 ** 32), root, consistencyProof(2 ** 32, n, hasher)),
      ).to.equal(true);
      expect(verifyConsistency(m, n, hasher(0, m + 1), root, proof)).to.equal(false);
    });
  });

  describe("argument validation", () => {
    const bad = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53];

    it("generators throw RangeError naming the argument", () => {
      for (const x of bad) {
        expect(() => inclusionProof(x, 8, HASHER), String(x)).to.throw(RangeError, /leafIndex/);
        expect(() => inclusionProof(0, x, HASHER), String(x)).to.throw(RangeError, /treeSize/);
        expect(() => consistencyProof(x, 8, HASHER), String(x)).to.throw(RangeError, /first/);
        expect(() => consistencyProof(1, x, HASHER), String(x)).to.throw(RangeError, /second/);
        expect(() => largestPowerOfTwoBelow(x), String(x)).to.throw(RangeError, /\bn\b/);
        expect(() => HASHER(x, 8), String(x)).to.throw(RangeError, /begin/);
        expect(() => HASHER(0, x), String(x)).to.throw(RangeError, /end/);
      }
      expect(() => inclusionProof(8, 8, HASHER)).to.throw(RangeError, /leafIndex 8/);
      expect(() => inclusionProof(0, 0, HASHER)).to.throw(RangeError, /leafIndex/);
      expect(() => consistencyProof(5, 4, HASHER)).to.throw(RangeError, /first 5/);
    });

    it("verifiers throw RangeError on malformed numbers but return false for index >= size", () => {
      for (const x of bad) {
        expect(() => verifyInclusion(x, 8, L(0), [], ROOTS[8]!), String(x)).to.throw(RangeError, /leafIndex/);
        expect(() => verifyInclusion(0, x, L(0), [], ROOTS[8]!), String(x)).to.throw(RangeError, /treeSize/);
        expect(() => verifyConsistency(x, 8, ROOTS[1]!, ROOTS[8]!, []), String(x)).to.throw(
          RangeError,
          /first/,
        );
        expect(() => verifyConsistency(1, x, ROOTS[1]!, ROOTS[8]!, []), String(x)).to.throw(
          RangeError,
          /second/,
        );
      }
      expect(verifyInclusion(0, 0, L(0), [], EMPTY_ROOT)).to.equal(false);
      expect(verifyInclusion(8, 8, L(0), inclusionProof(7, 8, HASHER), ROOTS[8]!)).to.equal(false);
    });

    it("the memoized hasher rejects ranges outside its leaves and hashes that are not 32 bytes", () => {
      expect(() => HASHER(3, 3)).to.throw(RangeError, /range/);
      expect(() => HASHER(4, 3)).to.throw(RangeError, /range/);
      expect(() => HASHER(0, MAX + 1)).to.throw(RangeError, /range/);
      expect(() => memoRangeHasher([L(0), new Uint8Array(31)])).to.throw(RangeError, /leafHashes\[1\]/);
      expect(() => rootFromLeafHashes([new Uint8Array(33)])).to.throw(RangeError, /leafHashes\[0\]/);
      // A small tree's proofs must not reach past its end, whatever the backing list holds.
      const small = memoRangeHasher(LEAF_HASHES.slice(0, 5));
      expect(() => inclusionProof(0, 6, small)).to.throw(RangeError);
    });
  });

  describe("no shared mutable state", () => {
    it("mutating a returned proof or root does not change later results", () => {
      const hasher = memoRangeHasher(LEAF_HASHES.slice(0, 16));
      const before = hexes(inclusionProof(3, 13, hasher));
      for (const p of inclusionProof(3, 13, hasher)) p.fill(0);
      hasher(0, 13).fill(0);
      expect(hexes(inclusionProof(3, 13, hasher))).to.deep.equal(before);
      expect(hex(hasher(0, 13))).to.equal(hex(ROOTS[13]!));

      const one = [LEAF_HASHES[0]!.slice()];
      rootFromLeafHashes(one).fill(0);
      expect(hex(one[0]!)).to.equal(hex(LEAF_HASHES[0]!));
      rootFromLeafHashes([]).fill(0);
      expect(hex(EMPTY_ROOT)).to.equal("0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    });

    it("the memoized hasher copies its input list", () => {
      const list: Uint8Array[] = LEAF_HASHES.slice(0, 8).map((h) => h.slice());
      const hasher = memoRangeHasher(list);
      list[2]!.fill(0);
      list.push(L(8));
      expect(hex(hasher(0, 8))).to.equal(hex(ROOTS[8]!));
      expect(() => hasher(0, 9)).to.throw(RangeError);
    });
  });
});
