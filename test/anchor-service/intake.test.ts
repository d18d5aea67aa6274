// The intake's group write (anchor-service/src/intake/intake.ts) on a real in-memory level:
// requests that queue behind a write go out together in one batch; a record repeated within a
// request, across the requests of one group, or already stored gets one leaf and one receipt;
// packed and object records are the same leaves; every receipt verifies.
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { Wallet } from "ethers";
import type { Receipt } from "../../common/formats/receipt/receipts.ts";
import { verifyReceipt } from "../../common/formats/receipt/receipts.ts";
import type { EvidenceRecord } from "../../common/formats/leaf/leaf.ts";
import { encodeLeaf } from "../../common/formats/leaf/leaf.ts";
import { hashLeaf, rootFromLeafHashes } from "../../common/formats/merkle/rfc9162.ts";
import { HashTable } from "../../anchor-service/src/intake/hash-table.ts";
import { Intake, type IntakeRequest } from "../../anchor-service/src/intake/intake.ts";
import { MerkleStore } from "../../anchor-service/src/log/merkle-store.ts";
import { openDb, type AnchorDb } from "../../anchor-service/src/store/db.ts";
import { RECORD_BYTES, packRecord } from "../../common/formats/leaf/packed.ts";
import { RecordStore } from "../../anchor-service/src/store/records.ts";
import { TEST_RECEIPT_DOMAIN, testIntake } from "../support/intake.ts";

const service = new Wallet(`0x${"33".repeat(32)}`);
const domain = TEST_RECEIPT_DOMAIN;
const hex32 = () => `0x${randomBytes(32).toString("hex")}`;
const rec = (n: string, submitter = 2): EvidenceRecord => ({
  version: 1,
  kind: 7,
  digestAlgorithm: 1,
  digest: `0x${createHash("sha256").update(n).digest("hex")}`,
  salt: hex32(),
  submitter,
  subject: hex32(),
});
const leafHex = (r: EvidenceRecord) => `0x${Buffer.from(hashLeaf(encodeLeaf(r))).toString("hex")}`;
let nonce = 0;
const request = (records: EvidenceRecord[] | Uint8Array): IntakeRequest => ({
  signer: service.address,
  memberId: 2,
  nonceKey: new Uint8Array(36).fill(++nonce % 256),
  expiresAt: 2_000_000_000,
  records,
});
const packed = (records: EvidenceRecord[]) => {
  const out = new Uint8Array(records.length * RECORD_BYTES);
  records.forEach((r, i) => out.set(packRecord(r), i * RECORD_BYTES));
  return out;
};

describe("anchor intake: group writes and duplicates", function () {
  let db: AnchorDb;
  let intake: Intake;
  let merkle: MerkleStore;
  let writes: Array<[number, number]>;
  beforeEach(async function () {
    writes = [];
    db = await openDb(null);
    const records = new RecordStore(db);
    merkle = await MerkleStore.open(db.nodes, records, { size: 0 });
    intake = testIntake({ db, records, merkle }, service, {
      onAppended: (leaves, requests) => writes.push([leaves, requests]),
    });
  });
  afterEach(async function () {
    await intake.close();
    await db.root.close();
  });

  it("one leaf and one receipt per record, whether repeated in a request, across a group or stored before", async function () {
    const [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map((n) => rec(n));
    const first = intake.submit(request([a!, b!])); // written alone (the queue was empty)
    // these two queue behind it and are written together in the next group
    const second = intake.submit(request(packed([c!, d!, c!, a!])));
    const third = intake.submit(request([d!, e!, b!, e!]));
    const replies = await Promise.all([first, second, third]);
    const all = replies.flat();
    expect(merkle.size).to.equal(5);
    expect(writes, "two writes: the first request alone, then the other two together").to.deep.equal([
      [2, 1],
      [3, 2],
    ]);
    const byLeaf = new Map<string, Receipt>();
    for (const receipt of all) {
      const seen = byLeaf.get(receipt.leafHash);
      if (seen !== undefined) expect(receipt).to.deep.equal(seen);
      else byLeaf.set(receipt.leafHash, receipt);
      expect(verifyReceipt(domain, receipt, service.address)).to.deep.equal({ ok: true });
    }
    expect(byLeaf.size).to.equal(5);
    expect(replies.map((r) => r.map((x) => x.leafHash))).to.deep.equal([
      [leafHex(a!), leafHex(b!)],
      [leafHex(c!), leafHex(d!), leafHex(c!), leafHex(a!)],
      [leafHex(d!), leafHex(e!), leafHex(b!), leafHex(e!)],
    ]);
    // sequences: a, b first; then c, d (second request's batch), then e (third's)
    expect(replies[1]!.map((r) => r.sequence)).to.deep.equal([2, 3, 2, 0]);
    expect(replies[2]!.map((r) => r.sequence)).to.deep.equal([3, 4, 1, 4]);
    expect(replies[2]![1]!.batch.firstSequence).to.equal(4);
    expect(replies[1]![0]!.batch.count).to.equal(2);
  });

  it("the group's hash table numbers distinct keys in order of first sight, prefixes apart from whole hashes", function () {
    const h = (n: number) => new Uint8Array(createHash("sha256").update(String(n)).digest());
    const table = new HashTable(32, 3000);
    const keys = Array.from({ length: 3000 }, (_, i) => h(i % 1000)); // each key three times
    const ids = keys.map((k) => table.intern(k.slice())); // copies: compared by content, not identity
    expect(ids.slice(0, 1000)).to.deep.equal(Array.from({ length: 1000 }, (_, i) => i));
    expect(ids.slice(1000, 2000)).to.deep.equal(ids.slice(0, 1000));
    expect(table.keys).to.have.length(1000);
    expect(keys.map((k) => table.find(k.slice()))).to.deep.equal(ids); // find: the same numbers, nothing added
    expect(table.find(h(5000))).to.equal(-1);
    expect(table.keys).to.have.length(1000);
    // two hashes sharing their first 8 bytes: one prefix, two hashes
    const a = h(1);
    const b = a.slice();
    b[31] = b[31]! ^ 1;
    const prefixes = new HashTable(8, 2);
    expect([prefixes.intern(a), prefixes.intern(b)]).to.deep.equal([0, 0]);
    const whole = new HashTable(32, 2);
    expect([whole.intern(a), whole.intern(b)]).to.deep.equal([0, 1]);
  });

  /** Holds the next group write until released (or failed), and notes when each group's batch is made. */
  function gateWrites() {
    const events: string[] = [];
    let release!: (error?: Error) => void;
    const held = new Promise<Error | undefined>((resolve) => (release = resolve));
    let writes = 0;
    let batches = 0;
    const root = db.root as unknown as { batch: () => { write: (o?: unknown) => Promise<void> } };
    const makeBatch = root.batch.bind(root);
    root.batch = () => {
      const batch = makeBatch();
      events.push(`batch ${++batches}`);
      const write = batch.write.bind(batch);
      batch.write = async (options?: unknown) => {
        const n = ++writes;
        events.push(`write ${n} issued`);
        if (n === 1) {
          const error = await held;
          if (error !== undefined) {
            await (batch as unknown as { close(): Promise<void> }).close();
            events.push(`write ${n} failed`);
            throw error;
          }
        }
        await write(options);
        events.push(`write ${n} durable`);
      };
      return batch;
    };
    const until = async (event: string) => {
      for (let i = 0; i < 500 && !events.includes(event); i++) await new Promise((r) => setTimeout(r, 2));
      expect(events, `waiting for "${event}"`).to.include(event);
    };
    return { events, release, until };
  }

  it("the next group is prepared while one is written, against it: its nonces are replays, its records keep their receipts, the block carries on", async function () {
    const gate = gateWrites();
    const many = (tag: string, n: number) => Array.from({ length: n }, (_, i) => rec(`${tag} ${i}`));
    const firstRecords = many("first", 300); // fills block 0 and starts block 1
    const firstRequest = request(firstRecords);
    const first = intake.submit(firstRequest);
    await gate.until("write 1 issued");
    const replay = intake.submit({ ...request(many("replay", 2)), nonceKey: firstRequest.nonceKey });
    const secondRecords = [...many("second", 100), firstRecords[299]!, firstRecords[0]!];
    const second = intake.submit(request(secondRecords));
    const replayRefused = replay.then(
      () => expect.fail("a replayed nonce was accepted"),
      (error: { code?: string }) => error.code,
    );
    await gate.until("batch 2"); // prepared with write 1 still held
    expect(gate.events).to.deep.equal(["batch 1", "write 1 issued", "batch 2"]);
    gate.release();
    const [r1, r2] = await Promise.all([first, second]);
    expect(await replayRefused).to.equal("ANCHOR_ERR_REPLAY");
    expect(gate.events).to.deep.equal([
      "batch 1",
      "write 1 issued",
      "batch 2",
      "write 1 durable",
      "write 2 issued",
      "write 2 durable",
    ]);
    expect(merkle.size).to.equal(400);
    expect(r2!.slice(0, 100).map((r) => r.sequence)).to.deep.equal(
      Array.from({ length: 100 }, (_, i) => 300 + i),
    );
    expect(r2![100]).to.deep.equal(r1![299]);
    expect(r2![101]).to.deep.equal(r1![0]);
    for (const receipt of [...r1!, ...r2!])
      expect(verifyReceipt(domain, receipt, service.address)).to.deep.equal({ ok: true });
    // what is stored is exactly the 400 leaves in order, and the tree over them
    const stored = await new RecordStore(db).leafHashes(0, 400);
    const expected = [...firstRecords, ...secondRecords.slice(0, 100)].map(leafHex);
    expect(stored.map((h) => `0x${Buffer.from(h).toString("hex")}`)).to.deep.equal(expected);
    const reopened = await MerkleStore.open(db.nodes, new RecordStore(db), { size: 400 });
    expect(Buffer.from(await reopened.root(400)).toString("hex")).to.equal(
      Buffer.from(rootFromLeafHashes(stored)).toString("hex"),
    );
    expect(Buffer.from(await merkle.root(400)).toString("hex")).to.equal(
      Buffer.from(rootFromLeafHashes(stored)).toString("hex"),
    );
  });

  it("a failed write fails the group prepared against it too; nothing of either is stored and the log carries on from where it was", async function () {
    await intake.submit(request([rec("before")]));
    const gate = gateWrites();
    const first = intake.submit(request([rec("lost 1"), rec("lost 2")]));
    await gate.until("write 1 issued");
    const second = intake.submit(request([rec("lost 3")]));
    await gate.until("batch 2");
    const failure = Object.assign(new Error("disk full"), { code: "LEVEL_IO_ERROR" });
    gate.release(failure);
    const outcomes = await Promise.allSettled([first, second]);
    expect(
      outcomes.map((o) => (o.status === "rejected" ? (o.reason as Error).message : "fulfilled")),
    ).to.deep.equal(["disk full", "disk full"]);
    expect(gate.events).to.not.include("write 2 issued");
    expect(merkle.size).to.equal(1);
    const [again] = await intake.submit(request([rec("lost 3")]));
    expect(again!.sequence).to.equal(1);
    expect(merkle.size).to.equal(2);
    const stored = await new RecordStore(db).leafHashes(0, 2);
    expect(Buffer.from(await merkle.root(2)).toString("hex")).to.equal(
      Buffer.from(rootFromLeafHashes(stored)).toString("hex"),
    );
  });

  it("a packed record and the same record as an object are one leaf", async function () {
    const r = rec("same");
    const [viaObject] = await intake.submit(request([r]));
    const [viaPacked] = await intake.submit(
      request(packed([{ ...r, digest: r.digest.toUpperCase().replace("0X", "0x") }])),
    );
    expect(viaPacked).to.deep.equal(viaObject);
    expect(merkle.size).to.equal(1);
  });
});
