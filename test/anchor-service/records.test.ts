// Records in aligned blocks of 256 (anchor-service/src/store/records.ts): written through the
// intake in groups of odd sizes, so blocks are filled across writes, the last one partly; every
// record reads back at its sequence, leaf hashes come back for ranges across block edges, and
// the count survives reopening a real LevelDB directory.
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet } from "ethers";
import type { EvidenceRecord } from "../../common/formats/leaf/leaf.ts";
import { encodeLeaf } from "../../common/formats/leaf/leaf.ts";
import { hashLeaf } from "../../common/formats/merkle/rfc9162.ts";
import { MerkleStore } from "../../anchor-service/src/log/merkle-store.ts";
import { openDb, type AnchorDb } from "../../anchor-service/src/store/db.ts";
import { seqKey } from "../../anchor-service/src/store/keys.ts";
import { RECORD_BYTES, packRecord } from "../../common/formats/leaf/packed.ts";
import {
  BLOCK_RECORDS,
  RECENT_BATCH_RECORDS,
  RECENT_BATCHES_KEPT,
  RecordStore,
} from "../../anchor-service/src/store/records.ts";
import type { StoredBatch } from "../../anchor-service/src/store/db.ts";
import { BatchTree } from "../../common/formats/receipt/batch-tree.ts";
import { testIntake } from "../support/intake.ts";

const service = new Wallet(`0x${"44".repeat(32)}`);
const rec = (i: number): EvidenceRecord =>
  ({
    version: 1,
    kind: 1 + (i % 7),
    digestAlgorithm: 1,
    digest: `0x${createHash("sha256").update(`doc ${i}`).digest("hex")}`,
    salt: `0x${randomBytes(32).toString("hex")}`,
    submitter: 2,
    subject: `0x${"00".repeat(32)}`,
  }) as EvidenceRecord;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

async function fill(db: AnchorDb, sizes: number[], all: EvidenceRecord[]): Promise<void> {
  const records = new RecordStore(db);
  const merkle = await MerkleStore.open(db.nodes, records, {
    size: await records.count(),
    storedFromLevel: 3,
  });
  const intake = testIntake({ db, records, merkle }, service);
  let nonce = all.length;
  for (const size of sizes) {
    const batch = Array.from({ length: size }, (_, i) => rec(all.length + i));
    // two requests at once: the second is written in the first's group or the next one
    const half = Math.floor(size / 2);
    await Promise.all(
      [batch.slice(0, half), batch.slice(half)]
        .filter((b) => b.length > 0)
        .map((b) =>
          intake.submit({
            signer: service.address,
            memberId: 2,
            nonceKey: new Uint8Array(36)
              .fill(++nonce % 256)
              .map((v, k) => (k < 4 ? (nonce >> (8 * k)) & 0xff : v)),
            expiresAt: 2_000_000_000,
            records: b,
          }),
        ),
    );
    all.push(...batch);
  }
  await intake.close();
}

describe("anchor records: aligned blocks of 256", function () {
  this.timeout(60_000);
  const sizes = [1, 254, 2, 300, 512, 7, 255];

  it("stores every record at its sequence across partly filled and rewritten blocks", async function () {
    const db = await openDb(null);
    const all: EvidenceRecord[] = [];
    try {
      await fill(db, sizes, all);
      const records = new RecordStore(db);
      const total = sizes.reduce((a, b) => a + b, 0);
      expect(await records.count()).to.equal(total);
      let blocks = 0;
      for await (const [, value] of db.records.iterator()) {
        blocks++;
        expect(value.length % RECORD_BYTES).to.equal(0);
      }
      expect(blocks).to.equal(Math.ceil(total / BLOCK_RECORDS));
      const expected = all.map((r) => hex(hashLeaf(encodeLeaf(r))));
      expect((await records.leafHashes(0, total)).map(hex)).to.deep.equal(expected);
      for (const [from, to] of [
        [250, 260],
        [255, 257],
        [0, 1],
        [total - 3, total],
        [511, 1025],
      ] as const) {
        expect((await records.leafHashes(from, to)).map(hex), `[${from}, ${to})`).to.deep.equal(
          expected.slice(from, to),
        );
      }
      const seqs = [0, 255, 256, 257, 511, 512, total - 1, total, total + 300];
      const packed = await records.packedMany(seqs);
      seqs.forEach((s, i) => {
        if (s < total) expect(hex(packed[i]!)).to.equal(hex(packRecord(all[s]!)));
        else expect(packed[i]).to.equal(undefined);
      });
      expect((await records.get(300))?.record).to.deep.equal(all[300]);
    } finally {
      await db.root.close();
    }
  });

  it("keeps its count and contents in a real LevelDB directory across reopening, and appends after", async function () {
    const dir = await mkdtemp(join(tmpdir(), "anchor-records-"));
    const all: EvidenceRecord[] = [];
    try {
      let db = await openDb(dir);
      await fill(db, [300, 10], all);
      await db.root.close();
      db = await openDb(dir);
      await fill(db, [250], all); // continues the partly filled second block
      await db.root.close();
      db = await openDb(dir);
      const records = new RecordStore(db);
      expect(await records.count()).to.equal(560);
      expect((await records.leafHashes(0, 560)).map(hex)).to.deep.equal(
        all.map((r) => hex(hashLeaf(encodeLeaf(r)))),
      );
      await db.root.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("moves a database from one key per record to blocks, also when an earlier move was cut short", async function () {
    const dir = await mkdtemp(join(tmpdir(), "anchor-upgrade-"));
    try {
      const all = Array.from({ length: 4500 }, (_, i) => rec(i)); // more than one run of 4,096
      const expected = all.map((r) => hex(hashLeaf(encodeLeaf(r))));
      // the old layout: seq → the packed record
      let db = await openDb(dir);
      await db.records.batch(
        all.map((r, i) => ({ type: "put" as const, key: seqKey(i), value: packRecord(r) })),
      );
      expect(await new RecordStore(db).upgradeLayout()).to.equal(4500);
      let records = new RecordStore(db);
      expect(await records.count()).to.equal(4500);
      expect((await records.leafHashes(0, 4500)).map(hex)).to.deep.equal(expected);
      expect(await records.upgradeLayout()).to.equal(0); // once
      await db.root.close();

      // a move cut short after its first run: 16 full blocks, then the records not yet moved
      await rm(dir, { recursive: true, force: true });
      db = await openDb(dir);
      const firstRun = new Uint8Array(4096 * RECORD_BYTES);
      all.slice(0, 4096).forEach((r, i) => firstRun.set(packRecord(r), i * RECORD_BYTES));
      await db.records.batch([
        ...RecordStore.blockPuts(0, undefined, firstRun).map((p) => ({
          type: "put" as const,
          key: p.key,
          value: p.value,
        })),
        ...all
          .slice(4096)
          .map((r, i) => ({ type: "put" as const, key: seqKey(4096 + i), value: packRecord(r) })),
      ]);
      await db.root.close();
      db = await openDb(dir);
      records = new RecordStore(db);
      expect(await records.upgradeLayout()).to.equal(404);
      expect(await records.count()).to.equal(4500);
      expect((await records.leafHashes(0, 4500)).map(hex)).to.deep.equal(expected);
      let keys = 0;
      for await (const _ of db.records.keys()) keys++;
      expect(keys).to.equal(Math.ceil(4500 / BLOCK_RECORDS));
      await db.root.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses to rewrite a block from the wrong stored part", function () {
    const packed = new Uint8Array(RECORD_BYTES * 3);
    expect(() => RecordStore.blockPuts(5, new Uint8Array(RECORD_BYTES * 4), packed)).to.throw(/internal/);
    expect(
      RecordStore.blockPuts(254, new Uint8Array(RECORD_BYTES * 254), packed).map(
        (p) => p.value.length / RECORD_BYTES,
      ),
    ).to.deep.equal([256, 1]);
  });
});

describe("anchor records: the receipt batches kept in memory after intake", function () {
  this.timeout(60_000);
  const hexOf = (bytes: number) => `0x${randomBytes(bytes).toString("hex")}`;
  /** `count` batches of `size` records each handed over as the intake does after each durable write. */
  function remember(store: RecordStore, count: number, size: number): void {
    for (let i = 0, first = 0; i < count; i++, first += size) {
      const batch: StoredBatch = {
        logId: hexOf(32),
        maxMergeDelaySeconds: 60,
        firstSequence: first,
        count: size,
        root: hexOf(32),
        signature: hexOf(65),
        receivedAt: 1_700_000_000,
        service: service.address,
        submission: { signature: hexOf(65), signer: service.address },
      };
      store.rememberBatch(batch, new BatchTree(Array.from({ length: size }, () => randomBytes(32))));
    }
  }

  it("keeps at most RECENT_BATCHES_KEPT batches of one-record requests, the newest", async function () {
    const db = await openDb(null);
    try {
      const store = new RecordStore(db);
      const total = RECENT_BATCHES_KEPT + 1_000;
      remember(store, total, 1);
      expect(store.remembered).to.deep.equal({ batches: RECENT_BATCHES_KEPT, records: RECENT_BATCHES_KEPT });
      // nothing is stored here: a batch is found only while remembered
      expect(await store.batchOf(total - RECENT_BATCHES_KEPT - 1)).to.equal(undefined);
      expect((await store.batchOf(total - RECENT_BATCHES_KEPT))?.firstSequence).to.equal(
        total - RECENT_BATCHES_KEPT,
      );
      expect((await store.batchOf(total - 1))?.firstSequence).to.equal(total - 1);
    } finally {
      await db.root.close();
    }
  });

  it("keeps at most RECENT_BATCH_RECORDS records of large requests", async function () {
    const db = await openDb(null);
    try {
      const store = new RecordStore(db);
      remember(store, Math.ceil(RECENT_BATCH_RECORDS / 1_000) + 20, 1_000);
      const { batches, records } = store.remembered;
      expect(records)
        .to.be.at.most(RECENT_BATCH_RECORDS)
        .and.above(RECENT_BATCH_RECORDS - 1_000);
      expect(batches).to.equal(records / 1_000);
    } finally {
      await db.root.close();
    }
  });
});
