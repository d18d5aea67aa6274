// MerkleStore: the anchor service's LevelDB Merkle log. One suite body runs against an in-memory
// level and a real LevelDB in a temp directory. Expected values come from common/formats/merkle's
// in-memory functions (themselves checked against a recursive RFC reference in
// test/common/formats/merkle/rfc9162.test.ts); every proof is also verified.
//
// The harness plays the anchor service: leaf hashes are its "records" (a sublevel keyed by
// index), its committed size is a "meta" entry, and records, size and Merkle nodes go into one
// atomic batch on the root database.
import { expect } from "chai";
import type { AbstractLevel } from "abstract-level";
import { toHex } from "../../../common/bytes.ts";
import {
  MERKLE_NODES_SUBLEVEL_OPTIONS,
  MerkleStore,
  MerkleStoreError,
  nodeKey,
  parseNodeKey,
  type LeafSource,
  type MerkleNodes,
  type MerkleStoreErrorCode,
} from "../../../anchor-service/src/log/merkle-store.ts";
import {
  EMPTY_ROOT,
  consistencyProof,
  hashLeaf,
  inclusionProof,
  memoRangeHasher,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from "../../../common/formats/merkle/rfc9162.ts";
import {
  levelBackends,
  type Backend as LevelBackend,
  type Backing as LevelBacking,
} from "../../support/level-backends.ts";

// ---- Backends ---------------------------------------------------------------------------------

type Root = AbstractLevel<string | Buffer | Uint8Array, Uint8Array, Uint8Array>;
type Backing = LevelBacking<Uint8Array, Uint8Array>;
type Backend = LevelBackend<Uint8Array, Uint8Array>;

const ROOT_OPTIONS = { keyEncoding: "view", valueEncoding: "view" } as const;

const backends = levelBackends<Uint8Array, Uint8Array>("merkle-store-", ROOT_OPTIONS);

// ---- The harness: a minimal anchor service ----------------------------------------------------

const u64 = (n: number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
};
const readU64 = (b: Uint8Array): number =>
  Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0));
const SIZE_KEY = new TextEncoder().encode("size");

function sublevels(db: Root) {
  return {
    records: db.sublevel<Uint8Array, Uint8Array>("records", ROOT_OPTIONS),
    meta: db.sublevel<Uint8Array, Uint8Array>("meta", ROOT_OPTIONS),
    nodes: db.sublevel<Uint8Array, Uint8Array>("nodes", MERKLE_NODES_SUBLEVEL_OPTIONS),
  };
}

class Service {
  readonly backing: Backing;
  readonly storedFromLevel: number;
  /** Mirror of the durable records: the expected leaves. */
  readonly leaves: Uint8Array[] = [];
  store!: MerkleStore;
  nodes!: MerkleNodes;
  sourceCalls = 0;

  constructor(backing: Backing, storedFromLevel: number) {
    this.backing = backing;
    this.storedFromLevel = storedFromLevel;
  }

  static async create(backend: Backend, storedFromLevel: number): Promise<Service> {
    const service = new Service(await backend.create(), storedFromLevel);
    await service.open();
    return service;
  }

  /** What a restart does: committed size from the service's own records, then open. */
  async open(): Promise<void> {
    const { records, meta, nodes } = sublevels(this.backing.db);
    const stored = await meta.get(SIZE_KEY);
    const size = stored === undefined ? 0 : readU64(stored);
    const source: LeafSource = {
      leafHashes: async (from, to) => {
        this.sourceCalls++;
        // getMany rather than an iterator: the spans are short, and classic-level iterators
        // cost far more to set up than a multi-get.
        const keys = Array.from({ length: to - from }, (_, j) => u64(from + j));
        const values = await records.getMany(keys);
        return values.flatMap((v) => (v === undefined ? [] : [new Uint8Array(v)]));
      },
    };
    this.nodes = nodes;
    this.store = await MerkleStore.open(nodes, source, { size, storedFromLevel: this.storedFromLevel });
    this.leaves.length = size;
  }

  async append(leafHashes: Uint8Array[]): Promise<void> {
    const { records, meta } = sublevels(this.backing.db);
    const prepared = this.store.prepareAppend(leafHashes);
    const from = this.store.size;
    await this.backing.db.batch([
      ...leafHashes.map((value, i) => ({
        type: "put" as const,
        sublevel: records,
        key: u64(from + i),
        value,
      })),
      { type: "put", sublevel: meta, key: SIZE_KEY, value: u64(from + leafHashes.length) },
      ...prepared.ops,
    ]);
    prepared.commit();
    this.leaves.push(...leafHashes);
  }

  async restart(): Promise<void> {
    await this.backing.reopen();
    await this.open();
  }
}

// ---- Expected values and checks ---------------------------------------------------------------

const encoder = new TextEncoder();
const leafOf = (tag: string, i: number): Uint8Array => hashLeaf(encoder.encode(`${tag}:${i}`));
const leavesOf = (tag: string, from: number, count: number): Uint8Array[] =>
  Array.from({ length: count }, (_, j) => leafOf(tag, from + j));

/** mulberry32: a seeded generator, so a failure reproduces. */
function rng(seed: number): (below: number) => number {
  let a = seed >>> 0;
  return (below) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}

const EXHAUSTIVE_UP_TO = 40;

/**
 * After a commit: roots, inclusion and consistency proofs equal common/formats/merkle's and verify.
 * When n <= 40: every (index, size) and (m, size) pair of the sizes checked, and every size
 * <= n at every 4th n; otherwise a sample that always includes the edges (size n, n - 1, powers
 * of two, first and last leaves).
 */
async function checkStore(
  store: MerkleStore,
  leaves: readonly Uint8Array[],
  random: (below: number) => number,
): Promise<void> {
  const n = leaves.length;
  expect(store.size).to.equal(n);
  expect(await store.root(0)).to.deep.equal(EMPTY_ROOT);
  if (n === 0) return;
  expect(await store.root(n)).to.deep.equal(rootFromLeafHashes(leaves));
  const mem = memoRangeHasher(leaves);

  const sizes = new Set<number>();
  const pairs = (size: number): { indices: number[]; firsts: number[] } => {
    if (n <= EXHAUSTIVE_UP_TO) {
      return { indices: [...Array(size).keys()], firsts: [...Array(size + 1).keys()] };
    }
    const indices = [0, size - 1, random(size), random(size), random(size)];
    const firsts = [0, 1, size - 1, size, random(size + 1), random(size + 1), random(size + 1)];
    for (let p = 1; p < size; p *= 2) if (random(3) === 0) firsts.push(p);
    return { indices, firsts };
  };
  if (n <= EXHAUSTIVE_UP_TO) {
    // Every older size at every 4th commit (they are answered from stored nodes, which later
    // commits never change); the new size, the one before and a random one at every commit.
    if (n % 4 === 0) for (let size = 1; size <= n; size++) sizes.add(size);
    for (const size of [n, n - 1, 1 + random(n)]) if (size > 0) sizes.add(size);
  } else {
    for (const s of [1, 2, 3, n - 1, n]) sizes.add(s);
    for (let p = 1; p <= n; p *= 2) sizes.add(p);
    for (let i = 0; i < 6; i++) sizes.add(1 + random(n));
  }

  // All requests at once (concurrent reads must be safe too), then every answer checked.
  const checks: Array<Promise<void>> = [];
  for (const size of sizes) {
    const root = mem(0, size);
    checks.push(
      store.root(size).then((got) => {
        expect(toHex(got), `root(${size})`).to.equal(toHex(root));
      }),
    );
    const { indices, firsts } = pairs(size);
    for (const index of indices) {
      checks.push(
        store.inclusionProof(index, size).then((proof) => {
          expect(proof.map(toHex), `inclusionProof(${index}, ${size})`).to.deep.equal(
            inclusionProof(index, size, mem).map(toHex),
          );
          expect(verifyInclusion(index, size, leaves[index]!, proof, root)).to.equal(true);
        }),
      );
    }
    for (const first of firsts) {
      checks.push(
        store.consistencyProof(first, size).then((proof) => {
          expect(proof.map(toHex), `consistencyProof(${first}, ${size})`).to.deep.equal(
            consistencyProof(first, size, mem).map(toHex),
          );
          const firstRoot = first === 0 ? EMPTY_ROOT : mem(0, first);
          expect(verifyConsistency(first, size, firstRoot, root, proof)).to.equal(true);
        }),
      );
    }
  }
  await Promise.all(checks);
}

async function expectCode(action: () => unknown, code: MerkleStoreErrorCode): Promise<void> {
  let caught: unknown;
  try {
    await action();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${code}`).to.be.instanceOf(MerkleStoreError);
  expect((caught as MerkleStoreError).code).to.equal(code);
}

/** The stored-node count for n leaves: every complete aligned node at a stored level. */
function expectedNodeCount(n: number, storedFromLevel: number): number {
  let count = 0;
  for (let level = storedFromLevel; 2 ** level <= n; level++) count += Math.floor(n / 2 ** level);
  return count;
}

async function countNodes(nodes: MerkleNodes): Promise<number> {
  return (await nodes.keys().all()).length;
}

/**
 * Wraps the sublevel's reads with counters (the store must do all its reads through these). A
 * call made while the sublevel is still opening is deferred by abstract-level, which then calls
 * the (wrapped) method again: only the call that runs on an open sublevel is counted.
 */
function countReads(nodes: MerkleNodes): { getManyCalls: number; keysRead: number; getCalls: number } {
  const counts = { getManyCalls: 0, keysRead: 0, getCalls: 0 };
  const getMany = nodes.getMany.bind(nodes) as (keys: Uint8Array[]) => Promise<(Uint8Array | undefined)[]>;
  const get = nodes.get.bind(nodes) as (key: Uint8Array) => Promise<Uint8Array | undefined>;
  nodes.getMany = (async (keys: Uint8Array[]) => {
    if (nodes.status === "open") {
      counts.getManyCalls++;
      counts.keysRead += keys.length;
    }
    return getMany(keys);
  }) as typeof nodes.getMany;
  nodes.get = (async (key: Uint8Array) => {
    if (nodes.status === "open") counts.getCalls++;
    return get(key);
  }) as typeof nodes.get;
  return counts;
}

// ---- The suite --------------------------------------------------------------------------------

for (const backend of backends) {
  describe(`MerkleStore on ${backend.name}`, function () {
    this.timeout(60_000);
    const services: Service[] = [];
    const create = async (storedFromLevel: number): Promise<Service> => {
      const service = await Service.create(backend, storedFromLevel);
      services.push(service);
      return service;
    };
    afterEach(async () => {
      for (const service of services.splice(0)) await service.backing.dispose();
    });

    describe("keys", () => {
      it("are 1 level byte and 6 big-endian index bytes, sorting by level then index", () => {
        expect(nodeKey(2, 0x0102_0304_0506)).to.deep.equal(Uint8Array.of(2, 1, 2, 3, 4, 5, 6));
        expect(parseNodeKey(nodeKey(47, 2 ** 48 - 1))).to.deep.equal({ level: 47, index: 2 ** 48 - 1 });
        expect(parseNodeKey(nodeKey(3, 2 ** 32 + 7))).to.deep.equal({ level: 3, index: 2 ** 32 + 7 });
        const a = Buffer.from(nodeKey(2, 255));
        const b = Buffer.from(nodeKey(2, 256));
        const c = Buffer.from(nodeKey(3, 0));
        expect(Buffer.compare(a, b)).to.equal(-1);
        expect(Buffer.compare(b, c)).to.equal(-1);
      });
    });

    for (const storedFromLevel of [1, 2, 3]) {
      describe(`appends and proofs, storedFromLevel ${storedFromLevel}`, () => {
        it("single leaves up to 70 (exhaustive proofs up to 40)", async () => {
          const service = await create(storedFromLevel);
          const random = rng(1 + storedFromLevel);
          await checkStore(service.store, service.leaves, random);
          for (let i = 0; i < 70; i++) {
            await service.append([leafOf("single", i)]);
            await checkStore(service.store, service.leaves, random);
          }
          expect(await countNodes(service.nodes)).to.equal(expectedNodeCount(70, storedFromLevel));
        });

        it("random batches of 1..300 leaves, and an empty one", async () => {
          const service = await create(storedFromLevel);
          const random = rng(100 + storedFromLevel);
          await service.append([]);
          expect(service.store.size).to.equal(0);
          while (service.leaves.length < 2000) {
            const count = 1 + random(300);
            await service.append(leavesOf("batch", service.leaves.length, count));
            await checkStore(service.store, service.leaves, random);
          }
          await service.append([]);
          await checkStore(service.store, service.leaves, random);
          expect(await countNodes(service.nodes)).to.equal(
            expectedNodeCount(service.leaves.length, storedFromLevel),
          );
        });

        it("one 10,000-leaf append, then small ones", async () => {
          const service = await create(storedFromLevel);
          const random = rng(200 + storedFromLevel);
          await service.append(leavesOf("big", 0, 10_000));
          await checkStore(service.store, service.leaves, random);
          for (const count of [1, 2, 3, 5, 8, 13, 21, 34]) {
            await service.append(leavesOf("big", service.leaves.length, count));
            await checkStore(service.store, service.leaves, random);
          }
        });

        it("rangeHash answers every RFC node of a 100-leaf log and refuses other ranges", async () => {
          const service = await create(storedFromLevel);
          await service.append(leavesOf("range", 0, 100));
          const mem = memoRangeHasher(service.leaves);
          let checked = 0;
          for (let begin = 0; begin < 100; begin++) {
            for (let end = begin + 1; end <= 100; end++) {
              let p = 1;
              while (p < end - begin) p *= 2;
              if (begin % p === 0) {
                expect(await service.store.rangeHash(begin, end), `[${begin}, ${end})`).to.deep.equal(
                  mem(begin, end),
                );
                checked++;
              } else {
                await expectCode(() => service.store.rangeHash(begin, end), "MERKLE_BAD_ARGUMENT");
              }
            }
          }
          expect(checked).to.be.greaterThan(300);
        });
      });
    }

    it("storedFromLevel 0 (leaf hashes stored too) and 5 give the same answers", async () => {
      for (const storedFromLevel of [0, 5]) {
        const service = await create(storedFromLevel);
        const random = rng(300 + storedFromLevel);
        while (service.leaves.length < 700) {
          await service.append(leavesOf("levels", service.leaves.length, 1 + random(90)));
          await checkStore(service.store, service.leaves, random);
        }
        expect(await countNodes(service.nodes)).to.equal(
          expectedNodeCount(service.leaves.length, storedFromLevel),
        );
      }
    });

    it('works with a "buffer" sublevel and a source returning Buffers, answering plain Uint8Arrays', async () => {
      const backing = await backend.create();
      services.push(new Service(backing, 2)); // for dispose()
      // Typed as Uint8Array (a Buffer is one): MerkleNodes is the one static type for both encodings.
      const nodes = backing.db.sublevel<Uint8Array, Uint8Array>("buffer-nodes", {
        keyEncoding: "buffer",
        valueEncoding: "buffer",
      });
      const leaves = leavesOf("buffer", 0, 77);
      const source: LeafSource = {
        leafHashes: async (from, to) => leaves.slice(from, to).map((h) => Buffer.from(h)),
      };
      let store = await MerkleStore.open(nodes, source, { size: 0 });
      for (const [from, to] of [
        [0, 5],
        [5, 6],
        [6, 50],
        [50, 77],
      ] as const) {
        const prepared = store.prepareAppend(leaves.slice(from, to).map((h) => Buffer.from(h)));
        await backing.db.batch(prepared.ops);
        prepared.commit();
      }
      store = await MerkleStore.open(nodes, source, { size: 77 });
      const plain = (h: Uint8Array): boolean => h.constructor === Uint8Array;
      expect(await store.root(77)).to.deep.equal(rootFromLeafHashes(leaves));
      expect(await store.root(75)).to.deep.equal(rootFromLeafHashes(leaves.slice(0, 75)));
      const mem = memoRangeHasher(leaves);
      for (const [index, size] of [
        [0, 77],
        [76, 77],
        [41, 75],
        [3, 6],
      ] as const) {
        const proof = await store.inclusionProof(index, size);
        expect(proof.every(plain)).to.equal(true);
        expect(proof).to.deep.equal(inclusionProof(index, size, mem));
      }
      const consistency = await store.consistencyProof(5, 77);
      expect(consistency.every(plain)).to.equal(true);
      expect(consistency).to.deep.equal(consistencyProof(5, 77, mem));
    });

    it("hands out copies: mutating an answer does not change later answers", async () => {
      const service = await create(2);
      await service.append(leavesOf("copy", 0, 13));
      const root = await service.store.root(13);
      root.fill(0);
      const proof = await service.store.inclusionProof(12, 13);
      proof.forEach((p) => p.fill(0));
      await checkStore(service.store, service.leaves, rng(9));
    });

    describe("reopening", () => {
      for (const storedFromLevel of [1, 2, 3]) {
        it(`continues after every restart exactly like a never-closed store (storedFromLevel ${storedFromLevel})`, async () => {
          const service = await create(storedFromLevel);
          const reference = await Service.create(backends[0]!, storedFromLevel); // never closed
          services.push(reference);
          const random = rng(400 + storedFromLevel);
          const counts = [1, 1, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 64, 100];
          for (let round = 0; round < 30; round++) {
            const count = round < counts.length ? counts[round]! : 1 + random(300);
            const leaves = leavesOf("reopen", service.leaves.length, count);
            await service.append(leaves);
            await reference.append(leaves);
            await service.restart();
            expect(service.store.size).to.equal(reference.store.size);
            expect(await service.store.root(service.store.size)).to.deep.equal(
              await reference.store.root(reference.store.size),
            );
            if (round % 5 === 4) await checkStore(service.store, service.leaves, random);
          }
          // A restart reads a handful of leaves, not the log.
          service.sourceCalls = 0;
          await service.restart();
          expect(service.sourceCalls).to.be.at.most(1);
          await checkStore(service.store, service.leaves, random);
        });
      }
    });

    describe("crash safety", () => {
      for (const storedFromLevel of [1, 2, 3]) {
        it(`a prepared append that never reached the disk leaves nothing behind (storedFromLevel ${storedFromLevel})`, async () => {
          const service = await create(storedFromLevel);
          const random = rng(500 + storedFromLevel);
          await service.append(leavesOf("crash", 0, 45));
          const prepared = service.store.prepareAppend(leavesOf("lost", 45, 50));
          expect(prepared.ops.length).to.be.greaterThan(0);
          expect(service.store.size).to.equal(45);
          // Crash: the batch is never written, commit() never called.
          await service.restart();
          await checkStore(service.store, service.leaves, random);
          await service.append(leavesOf("after", 45, 30));
          await checkStore(service.store, service.leaves, random);
        });

        it(`stale nodes of an append the service never counted are harmless and overwritten (storedFromLevel ${storedFromLevel})`, async () => {
          const service = await create(storedFromLevel);
          const random = rng(600 + storedFromLevel);
          await service.append(leavesOf("stale", 0, 45));
          // Only the nodes land (the service's records and size do not): the worst split the
          // caller's batch can make.
          const stale = service.store.prepareAppend(leavesOf("ghost", 45, 200));
          await service.nodes.batch(stale.ops);
          await service.restart();
          expect(service.store.size).to.equal(45);
          const beyond = (await service.nodes.keys().all())
            .map(parseNodeKey)
            .filter((k) => (k.index + 1) * 2 ** k.level > 45);
          expect(beyond.length).to.be.greaterThan(0);
          await checkStore(service.store, service.leaves, random);

          // Different leaves in differently sized appends, past the stale region and beyond.
          for (const count of [1, 37, 3, 100, 64, 250]) {
            await service.append(leavesOf("real", service.leaves.length, count));
            await checkStore(service.store, service.leaves, random);
          }
          await service.restart();
          await checkStore(service.store, service.leaves, random);
        });
      }

      it("abort() forgets a prepared append; commit() or abort() twice is refused", async () => {
        const service = await create(2);
        await service.append(leavesOf("abort", 0, 10));
        const aborted = service.store.prepareAppend(leavesOf("x", 10, 5));
        aborted.abort();
        await expectCode(() => aborted.commit(), "MERKLE_APPEND_STALE");
        await expectCode(() => aborted.abort(), "MERKLE_APPEND_STALE");
        expect(service.store.size).to.equal(10);
        await service.append(leavesOf("abort", 10, 5));
        await checkStore(service.store, service.leaves, rng(7));

        const prepared = service.store.prepareAppend(leavesOf("abort", 15, 1));
        expect(prepared.fromSize).to.equal(15);
        expect(prepared.toSize).to.equal(16);
        await service.backing.db.batch(prepared.ops);
        prepared.commit();
        service.leaves.push(leafOf("abort", 15));
        await expectCode(() => prepared.commit(), "MERKLE_APPEND_STALE");
        expect(service.store.size).to.equal(16);
      });
    });

    describe("errors", () => {
      it("refuses sizes beyond the committed size", async () => {
        const service = await create(2);
        await service.append(leavesOf("err", 0, 10));
        const { store } = service;
        await expectCode(() => store.root(11), "MERKLE_SIZE_OUT_OF_RANGE");
        await expectCode(() => store.inclusionProof(0, 11), "MERKLE_SIZE_OUT_OF_RANGE");
        await expectCode(() => store.inclusionProof(10, 10), "MERKLE_SIZE_OUT_OF_RANGE");
        await expectCode(() => store.consistencyProof(3, 11), "MERKLE_SIZE_OUT_OF_RANGE");
        await expectCode(() => store.consistencyProof(5, 4), "MERKLE_SIZE_OUT_OF_RANGE");
        await expectCode(() => store.rangeHash(8, 12), "MERKLE_SIZE_OUT_OF_RANGE");
        await expectCode(() => store.root(-1), "MERKLE_BAD_ARGUMENT");
        await expectCode(() => store.root(1.5), "MERKLE_BAD_ARGUMENT");
        await expectCode(() => store.inclusionProof(Number.NaN, 4), "MERKLE_BAD_ARGUMENT");
        await expectCode(() => store.rangeHash(3, 3), "MERKLE_BAD_ARGUMENT");
        await expectCode(() => store.rangeHash(2, 5), "MERKLE_BAD_ARGUMENT"); // not an RFC node
      });

      it("refuses a second prepareAppend before commit", async () => {
        const service = await create(2);
        const first = service.store.prepareAppend(leavesOf("double", 0, 3));
        await expectCode(
          () => service.store.prepareAppend(leavesOf("double", 3, 1)),
          "MERKLE_APPEND_PENDING",
        );
        await service.backing.db.batch(first.ops);
        first.commit();
        expect(() => service.store.prepareAppend(leavesOf("double", 3, 1))).not.to.throw();
      });

      it("chains appends prepared after the newest pending one; commits in order; an abort forgets those after it", async () => {
        const service = await create(2);
        const { records, meta } = sublevels(service.backing.db);
        await service.append(leavesOf("chain", 0, 7));
        // three appends prepared before any is written: each lands right behind the one before
        const a = service.store.prepareAppend(leavesOf("chain", 7, 5));
        const b = service.store.prepareAppend(leavesOf("chain", 12, 9), a);
        await expectCode(
          () => service.store.prepareAppend(leavesOf("chain", 21, 1), a),
          "MERKLE_APPEND_STALE",
        ); // not the newest
        const c = service.store.prepareAppend(leavesOf("chain", 21, 30), b);
        expect([a.fromSize, a.toSize, b.fromSize, b.toSize, c.fromSize, c.toSize]).to.deep.equal([
          7, 12, 12, 21, 21, 51,
        ]);
        await expectCode(() => b.commit(), "MERKLE_APPEND_PENDING"); // a first
        expect(service.store.size).to.equal(7);
        for (const [p, from, n] of [
          [a, 7, 5],
          [b, 12, 9],
          [c, 21, 30],
        ] as const) {
          const hs = leavesOf("chain", from, n);
          await service.backing.db.batch([
            ...hs.map((value, i) => ({ type: "put" as const, sublevel: records, key: u64(from + i), value })),
            { type: "put", sublevel: meta, key: SIZE_KEY, value: u64(from + n) },
            ...p.ops,
          ]);
          p.commit();
          service.leaves.push(...hs);
          expect(service.store.size).to.equal(from + n);
        }
        // the same tree as appends made one at a time
        await checkStore(service.store, service.leaves, rng(11));
        await service.restart();
        await checkStore(service.store, service.leaves, rng(12));

        // abort cascades: d aborted forgets e; f starts again from the committed size
        const d = service.store.prepareAppend(leavesOf("gone", 51, 4));
        const e = service.store.prepareAppend(leavesOf("gone", 55, 4), d);
        d.abort();
        expect([d.pending, e.pending]).to.deep.equal([false, false]);
        await expectCode(() => e.commit(), "MERKLE_APPEND_STALE");
        await expectCode(() => e.abort(), "MERKLE_APPEND_STALE");
        const f = service.store.prepareAppend(leavesOf("chain", 51, 3));
        expect(f.fromSize).to.equal(51);
        expect(f.pending).to.equal(true);
        f.abort();
        await service.append(leavesOf("chain", 51, 3));
        await checkStore(service.store, service.leaves, rng(13));
      });

      it("refuses malformed leaf hashes, options and sublevels", async () => {
        const service = await create(2);
        await expectCode(() => service.store.prepareAppend([new Uint8Array(31)]), "MERKLE_BAD_ARGUMENT");
        const source: LeafSource = { leafHashes: async () => [] };
        await expectCode(() => MerkleStore.open(service.nodes, source, { size: -1 }), "MERKLE_BAD_ARGUMENT");
        await expectCode(
          () => MerkleStore.open(service.nodes, source, { size: 0, storedFromLevel: 17 }),
          "MERKLE_BAD_ARGUMENT",
        );
        await expectCode(
          () => MerkleStore.open(service.nodes, source, { size: 0, storedFromLevel: 1.5 }),
          "MERKLE_BAD_ARGUMENT",
        );
        const utf8 = service.backing.db.sublevel("utf8-nodes") as unknown as MerkleNodes;
        await expectCode(() => MerkleStore.open(utf8, source, { size: 0 }), "MERKLE_BAD_ARGUMENT");
      });

      it("reports a missing node as MERKLE_CORRUPT, on reads and on open", async () => {
        const service = await create(2);
        await service.append(leavesOf("corrupt", 0, 100));
        // (level 3, index 1) = leaves [8, 16): inside the tree, not on the right frontier.
        await service.nodes.del(nodeKey(3, 1));
        await expectCode(() => service.store.inclusionProof(0, 100), "MERKLE_CORRUPT");
        await expectCode(() => service.store.inclusionProof(3, 16), "MERKLE_CORRUPT");
        await expectCode(() => service.store.consistencyProof(5, 100), "MERKLE_CORRUPT");
        await expectCode(() => service.store.rangeHash(8, 16), "MERKLE_CORRUPT");
        // Requests that do not need it still work (roots never need a node left of the edge).
        expect(await service.store.root(50)).to.deep.equal(rootFromLeafHashes(service.leaves.slice(0, 50)));
        expect(await service.store.root(100)).to.deep.equal(rootFromLeafHashes(service.leaves));

        // 100 = 64 + 32 + 4: the frontier node (level 6, index 0) is needed to open.
        await service.nodes.del(nodeKey(6, 0));
        await expectCode(() => service.restart(), "MERKLE_CORRUPT");
        // A size the caller claims but never wrote: its frontier nodes are missing.
        const source: LeafSource = { leafHashes: async (from, to) => leavesOf("corrupt", from, to - from) };
        await expectCode(() => MerkleStore.open(service.nodes, source, { size: 4096 }), "MERKLE_CORRUPT");
      });

      it("reports a leaf source that returns the wrong leaves as MERKLE_CORRUPT", async () => {
        const service = await create(2);
        await service.append(leavesOf("source", 0, 7));
        const short: LeafSource = { leafHashes: async (from, to) => leavesOf("source", from, to - from - 1) };
        await expectCode(() => MerkleStore.open(service.nodes, short, { size: 7 }), "MERKLE_CORRUPT");
        const malformed: LeafSource = {
          leafHashes: async (from, to) => Array.from({ length: to - from }, () => new Uint8Array(3)),
        };
        await expectCode(() => MerkleStore.open(service.nodes, malformed, { size: 7 }), "MERKLE_CORRUPT");
      });
    });

    describe("a 1,000,000-leaf log", () => {
      const N = 1_000_000;
      const BATCH = 10_000;
      const storedFromLevel = 2;
      const log2n = Math.ceil(Math.log2(N)); // 20
      // Documented bounds (c = 2): at most one getMany of at most 2·log2(n) keys per request,
      // no get(), at most 3 leafHashes calls of at most 2^storedFromLevel leaves each.
      const MAX_KEYS = 2 * log2n;
      const MAX_LEAF_CALLS = 3;
      const MAX_LEAVES = MAX_LEAF_CALLS * 2 ** storedFromLevel;

      it("builds in 10,000-leaf batches, then answers every proof in O(log n) reads", async function () {
        this.timeout(120_000);
        // Synthetic leaves: computed from the index, never stored.
        const leafAt = (i: number): Uint8Array => {
          const entry = new Uint8Array(4);
          new DataView(entry.buffer).setUint32(0, i);
          return hashLeaf(entry);
        };
        const sourceCounts = { calls: 0, leaves: 0 };
        const source: LeafSource = {
          leafHashes: async (from, to) => {
            sourceCounts.calls++;
            sourceCounts.leaves += to - from;
            return Array.from({ length: to - from }, (_, j) => leafAt(from + j));
          },
        };
        const backing = await backend.create();
        services.push(new Service(backing, storedFromLevel)); // for dispose()
        const nodes = sublevels(backing.db).nodes;
        let store = await MerkleStore.open(nodes, source, { size: 0, storedFromLevel });

        // All leaf hashes in one buffer, for independent roots.
        const all = new Uint8Array(N * 32);
        const leafView = (i: number): Uint8Array => all.subarray(i * 32, i * 32 + 32);
        let hashingMs = 0;
        let puts = 0;
        const started = performance.now();
        for (let from = 0; from < N; from += BATCH) {
          const leaves = Array.from({ length: BATCH }, (_, j) => leafAt(from + j));
          leaves.forEach((h, j) => all.set(h, (from + j) * 32));
          const t = performance.now();
          const prepared = store.prepareAppend(leaves);
          hashingMs += performance.now() - t;
          puts += prepared.ops.length;
          await nodes.batch(prepared.ops);
          prepared.commit();
        }
        const buildMs = performance.now() - started;
        expect(store.size).to.equal(N);

        // Every put is a distinct node (the key counts of the smaller tests prove it by
        // iterating the sublevel; here that would cost more than the build's writes).
        expect(puts).to.equal(expectedNodeCount(N, storedFromLevel));
        const stored = puts;
        const bytes = stored * (7 + 32);

        // An independent root for n; every other root the store gives is then tied to it by a
        // consistency proof that verifies (a wrong older root cannot pass).
        const m = 654_321;
        const rootN = rootFromLeafHashes(Array.from({ length: N }, (_, i) => leafView(i)));
        expect(await store.root(N)).to.deep.equal(rootN);
        const rootM = await store.root(m);
        expect(verifyConsistency(m, N, rootM, rootN, await store.consistencyProof(m, N))).to.equal(true);

        // Reopen: O(log n) reads too.
        await backing.reopen();
        const reopenedNodes = sublevels(backing.db).nodes;
        const counts = countReads(reopenedNodes);
        sourceCounts.calls = 0;
        sourceCounts.leaves = 0;
        const openStarted = performance.now();
        store = await MerkleStore.open(reopenedNodes, source, { size: N, storedFromLevel });
        const openMs = performance.now() - openStarted;
        expect(counts.getManyCalls).to.be.at.most(1);
        expect(counts.keysRead).to.be.at.most(log2n);
        expect(sourceCounts.leaves).to.be.below(2 ** storedFromLevel);
        expect(await store.root(N)).to.deep.equal(rootN);

        const random = rng(1_000_000);
        type Kind = "root" | "inclusion" | "consistency";
        type Tally = {
          requests: number;
          getManyCalls: number;
          getCalls: number;
          keys: number;
          leafCalls: number;
          leaves: number;
        };
        const zero = (): Tally => ({
          requests: 0,
          getManyCalls: 0,
          getCalls: 0,
          keys: 0,
          leafCalls: 0,
          leaves: 0,
        });
        const worst: Record<Kind, Tally> = { root: zero(), inclusion: zero(), consistency: zero() };
        const total: Record<Kind, Tally> = { root: zero(), inclusion: zero(), consistency: zero() };
        const measure = async <T>(kind: Kind, request: () => Promise<T>): Promise<T> => {
          Object.assign(counts, { getManyCalls: 0, keysRead: 0, getCalls: 0 });
          Object.assign(sourceCounts, { calls: 0, leaves: 0 });
          const result = await request();
          const one: Tally = {
            requests: 1,
            getManyCalls: counts.getManyCalls,
            getCalls: counts.getCalls,
            keys: counts.keysRead,
            leafCalls: sourceCounts.calls,
            leaves: sourceCounts.leaves,
          };
          for (const field of Object.keys(one) as Array<keyof Tally>) {
            worst[kind][field] = Math.max(worst[kind][field], one[field]);
            total[kind][field] += one[field];
          }
          return result;
        };

        const proofStarted = performance.now();
        const sizes = [N, N - 1, m, 2 ** 19, 2 ** 19 + 1, 999_999 - 3];
        for (let i = 0; i < 20; i++) sizes.push(1 + random(N));
        for (const size of sizes) {
          const root =
            size === N ? rootN : size === m ? rootM : await measure("root", () => store.root(size));
          for (const index of [0, size - 1, random(size), random(size), random(size)]) {
            const proof = await measure("inclusion", () => store.inclusionProof(index, size));
            expect(
              verifyInclusion(index, size, leafView(index), proof, root),
              `inclusion ${index}/${size}`,
            ).to.equal(true);
          }
        }
        for (const first of [
          1,
          2,
          3,
          m - 1,
          m,
          m + 1,
          2 ** 19,
          N - 1,
          ...Array.from({ length: 20 }, () => 1 + random(N - 1)),
        ]) {
          const firstRoot = first === m ? rootM : await measure("root", () => store.root(first));
          const proof = await measure("consistency", () => store.consistencyProof(first, N));
          expect(verifyConsistency(first, N, firstRoot, rootN, proof), `consistency ${first}/${N}`).to.equal(
            true,
          );
          if (first < m) {
            const older = await measure("consistency", () => store.consistencyProof(first, m));
            expect(
              verifyConsistency(first, m, firstRoot, rootM, older),
              `consistency ${first}/${m}`,
            ).to.equal(true);
          }
        }
        const proofMs = performance.now() - proofStarted;

        for (const kind of ["root", "inclusion", "consistency"] as const) {
          expect(worst[kind].getManyCalls, kind).to.be.at.most(1);
          expect(worst[kind].getCalls, kind).to.equal(0);
          expect(worst[kind].keys, kind).to.be.at.most(MAX_KEYS);
          expect(worst[kind].leafCalls, kind).to.be.at.most(MAX_LEAF_CALLS);
          expect(worst[kind].leaves, kind).to.be.at.most(MAX_LEAVES);
        }

        const disk = await backing.diskBytes();
        const describeKind = (kind: Kind): string => {
          const t = total[kind];
          const w = worst[kind];
          return (
            `${kind} (${t.requests}): keys avg ${(t.keys / t.requests).toFixed(1)} max ${w.keys}, ` +
            `leafHashes calls max ${w.leafCalls}, leaves avg ${(t.leaves / t.requests).toFixed(1)} max ${w.leaves}`
          );
        };
        console.log(
          `      ${backend.name}: 1,000,000 leaves in ${(buildMs / 1000).toFixed(1)} s ` +
            `(prepareAppend hashing ${(hashingMs / 1000).toFixed(1)} s); ${stored} nodes, ` +
            `${bytes} key+value bytes = ${(bytes / N).toFixed(1)} bytes/leaf` +
            (disk === undefined ? "" : `, ${(disk / N).toFixed(1)} bytes/leaf on disk`) +
            `; reopen ${openMs.toFixed(1)} ms; requests in ${proofMs.toFixed(0)} ms, at most 1 getMany each:\n` +
            `        ${describeKind("root")}\n        ${describeKind("inclusion")}\n        ${describeKind("consistency")}`,
        );
      });
    });
  });
}
