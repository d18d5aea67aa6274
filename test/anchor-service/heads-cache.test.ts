// The heads kept in memory for proof lookups (anchor-service/src/store/heads-cache.ts) answer as a
// LevelDB scan of the heads sublevel would, after puts, batches (a head marked lost, then
// re-committed) and deletes, including writes made while it was still loading.
import { expect } from "chai";
import { openDb, type AnchorDb, type StoredHead } from "../../anchor-service/src/store/db.ts";
import { HeadsCache } from "../../anchor-service/src/store/heads-cache.ts";
import { seqKey } from "../../anchor-service/src/store/keys.ts";

const head = (treeSize: number, lost = false): StoredHead => ({
  treeSize,
  rootHash: `0x${treeSize.toString(16).padStart(64, "0")}`,
  commits: [
    {
      chainIndex: treeSize,
      transactionHash: "0x01",
      blockNumber: 1,
      blockHash: "0x02",
      blockTimestamp: 3,
      committedAt: "2026-01-01T00:00:00.000Z",
    },
  ],
  ...(lost ? { lost: { detectedAt: "2026-01-01T00:00:01.000Z", reason: "test" } } : {}),
});

/** What #headsFor reads from LevelDB: the first live head containing leaf `seq`, and the earliest. */
async function scan(db: AnchorDb, seq: number): Promise<{ live?: StoredHead; earliest?: StoredHead }> {
  let earliest: StoredHead | undefined;
  for await (const h of db.heads.values({ gte: seqKey(seq + 1) })) {
    earliest ??= h;
    if (h.lost === undefined) return { live: h, earliest };
  }
  return earliest === undefined ? {} : { earliest };
}

async function loaded(cache: HeadsCache): Promise<void> {
  for (let i = 0; i < 1000 && cache.headsFor(0) === undefined; i++) await new Promise((r) => setImmediate(r));
  expect(cache.headsFor(0), "the cache loaded").to.not.equal(undefined);
}

describe("anchor heads cache", function () {
  it("answers as the heads sublevel does, through puts, batches, deletes and writes during loading", async function () {
    const db = await openDb(null);
    try {
      for (const size of [10, 20, 30]) await db.heads.put(seqKey(size), head(size));
      const cache = HeadsCache.follow(db);
      const writing = db.heads.put(seqKey(40), head(40)); // lands while the cache may still be loading
      await loaded(cache);
      await writing;
      const check = async () => {
        for (const seq of [0, 9, 10, 19, 25, 29, 30, 39, 45, 60])
          expect(cache.headsFor(seq), `seq ${seq}`).to.deep.equal(await scan(db, seq));
      };
      await check();
      // heads 20 and 30 lost (a chain restored from an older state), 50 committed again after
      await db.heads.batch([
        { type: "put", key: seqKey(20), value: head(20, true) },
        { type: "put", key: seqKey(30), value: head(30, true) },
        { type: "put", key: seqKey(50), value: head(50) },
      ]);
      await check();
      await db.heads.del(seqKey(40));
      await check();
      expect(cache.headsFor(15)?.earliest?.treeSize).to.equal(20);
      expect(cache.headsFor(15)?.live?.treeSize).to.equal(50);
    } finally {
      await db.root.close();
    }
  });
});
