// The intake's group write (anchor-service/src/intake/intake.ts) on a real in-memory level:
// requests that queue behind a write go out together in one batch; a record repeated within a
// request, across the requests of one group, or already stored gets one leaf and one receipt;
// packed and object records are the same leaves; every receipt verifies.
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { Wallet } from "ethers";
import type { Receipt } from "../../common/auth/receipts.ts";
import { receiptDomain, verifyReceipt } from "../../common/auth/receipts.ts";
import type { EvidenceRecord } from "../../common/evidence/leaf.ts";
import { encodeLeaf } from "../../common/evidence/leaf.ts";
import { hashLeaf } from "../../common/merkle/rfc9162.ts";
import { HashTable } from "../../anchor-service/src/intake/hash-table.ts";
import { Intake, type IntakeRequest } from "../../anchor-service/src/intake/intake.ts";
import { MerkleStore } from "../../anchor-service/src/log/merkle-store.ts";
import { openDb, type AnchorDb } from "../../anchor-service/src/store/db.ts";
import { RECORD_BYTES, RecordStore, packRecord } from "../../anchor-service/src/store/records.ts";

const service = new Wallet(`0x${"33".repeat(32)}`);
const domain = receiptDomain(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
const hex32 = () => `0x${randomBytes(32).toString("hex")}`;
const rec = (n: string, submitter = 2): EvidenceRecord => ({ version: 1, kind: 7, digestAlgorithm: 1, digest: `0x${createHash("sha256").update(n).digest("hex")}`, salt: hex32(), submitter, subject: hex32() });
const leafHex = (r: EvidenceRecord) => `0x${Buffer.from(hashLeaf(encodeLeaf(r))).toString("hex")}`;
let nonce = 0;
const request = (records: EvidenceRecord[] | Uint8Array): IntakeRequest => ({ signer: service.address, memberId: 2, nonceKey: new Uint8Array(36).fill(++nonce % 256), expiresAt: 2_000_000_000, records });
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
    intake = new Intake({ db, records, merkle, receiptSigner: service, receiptDomain: () => domain, logId: `0x${"ab".repeat(32)}`, maxMergeDelaySeconds: 60, now: () => 1_790_000_000, onAppended: (leaves, requests) => writes.push([leaves, requests]) });
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
    // two hashes sharing their first 8 bytes: one prefix, two hashes
    const a = h(1);
    const b = a.slice();
    b[31] = b[31]! ^ 1;
    const prefixes = new HashTable(8, 2);
    expect([prefixes.intern(a), prefixes.intern(b)]).to.deep.equal([0, 0]);
    const whole = new HashTable(32, 2);
    expect([whole.intern(a), whole.intern(b)]).to.deep.equal([0, 1]);
  });

  it("a packed record and the same record as an object are one leaf", async function () {
    const r = rec("same");
    const [viaObject] = await intake.submit(request([r]));
    const [viaPacked] = await intake.submit(request(packed([{ ...r, digest: r.digest.toUpperCase().replace("0X", "0x") }])));
    expect(viaPacked).to.deep.equal(viaObject);
    expect(merkle.size).to.equal(1);
  });
});
