// The committer's sync at start reads every head the chain holds for its log: side by side, at
// most HEAD_READS_AT_ONCE at a time (one by one, a restart after a long run waited for a thousand
// round trips before the service listened), each once, and reconciles exactly as before: heads
// still on chain stay, the heads of a chain restored from an older state are marked lost.
import { expect } from "chai";
import pino from "pino";
import type { EvidenceLogClient } from "../../../anchor-service/src/chain/evidence-log-client.ts";
import { Committer, HEAD_READS_AT_ONCE } from "../../../anchor-service/src/committer/committer.ts";
import type { MerkleStore } from "../../../anchor-service/src/log/merkle-store.ts";
import { openDb, type AnchorDb, type StoredHead } from "../../../anchor-service/src/store/db.ts";
import { seqKey } from "../../../anchor-service/src/store/keys.ts";

const HEADS = 60;
const root = (i: number) => `0x${i.toString(16).padStart(64, "0")}`;
const stored = (i: number): StoredHead => ({
  treeSize: (i + 1) * 10,
  rootHash: root(i),
  commits: [
    {
      chainIndex: i,
      transactionHash: root(1000 + i),
      blockNumber: 20 + i,
      blockHash: root(2000 + i),
      blockTimestamp: 1_700_000_000 + i,
      committedAt: new Date(0).toISOString(),
    },
  ],
});

/** A chain holding the first `count` of the HEADS heads, counting reads in flight. */
function fakeChain(count = HEADS) {
  const reads: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const identity = { chainId: "31337", genesisHash: root(1), evidenceLogCodeHash: root(2) };
  const chain = {
    identity: async () => identity,
    headCount: async () => count,
    async head(index: number) {
      reads.push(index);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return {
        index,
        treeSize: (index + 1) * 10,
        rootHash: root(index),
        timestamp: 1_700_000_000 + index,
        blockNumber: 20 + index,
      };
    },
  };
  return { chain, reads, maxInFlight: () => maxInFlight };
}

describe("anchor committer: the sync at start reads the chain's heads side by side", function () {
  let db: AnchorDb;
  beforeEach(async function () {
    db = await openDb(null);
    await db.heads.batch(
      Array.from({ length: HEADS }, (_, i) => ({
        type: "put" as const,
        key: seqKey(stored(i).treeSize),
        value: stored(i),
      })),
    );
  });
  afterEach(async function () {
    await db.root.close();
  });

  const committer = (chain: ReturnType<typeof fakeChain>["chain"]) => {
    return new Committer({
      db,
      merkle: { size: HEADS * 10 } as MerkleStore,
      chain: chain as unknown as EvidenceLogClient,
      log: pino({ level: "silent" }),
      intervalMs: 1_000,
      commitLeaves: 1_000_000,
    });
  };

  it(`reads every head once, up to ${HEAD_READS_AT_ONCE} at a time, and keeps the heads still on chain`, async function () {
    const fake = fakeChain();
    const c = committer(fake.chain);
    await c.sync();
    expect(c.state.kind).to.equal("ok");
    expect([...fake.reads].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: HEADS }, (_, i) => i));
    expect(fake.maxInFlight()).to.be.greaterThan(1).and.at.most(HEAD_READS_AT_ONCE);
    expect((await c.heads()).filter((h) => h.lost !== undefined)).to.deep.equal([]);
  });

  it("marks the heads a chain restored from an older state no longer holds as lost, and only those", async function () {
    const fake = fakeChain(50);
    const c = committer(fake.chain);
    await c.sync();
    expect([...fake.reads].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
    const lost = (await c.heads()).filter((h) => h.lost !== undefined).map((h) => h.treeSize);
    expect(lost).to.deep.equal(Array.from({ length: 10 }, (_, i) => (51 + i) * 10));
  });
});
