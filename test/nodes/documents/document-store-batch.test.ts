// DocumentStore's batched writes (nodes/src/documents): documents stored together go in one
// LevelDB batch, checked first so one refused stores none; documents stored at the same time by
// different callers each land whole; a batch that fails leaves none of its documents half-written
// (no blob without its record, no record without its loan index) and the store keeps working.
// One suite body against memory-level and an on-disk LevelDB.
import { expect } from "chai";
import type { AbstractLevel } from "abstract-level";
import { DocumentError } from "../../../nodes/src/errors.ts";
import { DocumentStore, type PutDocument } from "../../../nodes/src/documents/document-store.ts";
import { documentSublevels } from "../../../nodes/src/documents/keys.ts";
import type { Actor } from "../../../nodes/src/documents/policy.ts";
import { deriveKey, generateKey } from "../../../nodes/src/privacy/crypto-box.ts";
import { levelBackends } from "../../support/level-backends.ts";
import { rejectedBy } from "../../support/expect-error.ts";

type Root = AbstractLevel<string | Buffer | Uint8Array, unknown, unknown>;

const BANK = 101;
const LOAN = `0x${"a1".repeat(32)}`;
const KEY = deriveKey(generateKey(), "documents");
const CLERK: Actor = { userId: "clerk-1", role: "clerk", memberId: BANK };
const utf8 = (s: string) => new TextEncoder().encode(s);
const voucher = (n: number): PutDocument => ({
  kind: "voucher",
  bytes: utf8(`voucher ${n}`),
  loanId: LOAN,
  owner: BANK,
  meta: { serial: `DSB-${n}` },
});

/** Every key and value in the database, raw. */
async function rawCount(db: Root): Promise<number> {
  let n = 0;
  for await (const _ of db.keys({ keyEncoding: "buffer" })) n++;
  return n;
}

for (const backend of levelBackends<unknown, unknown>("document-batch-")) {
  describe(`nodes/documents DocumentStore batched writes (${backend.name})`, function () {
    this.timeout(20_000);
    let backing: Awaited<ReturnType<typeof backend.create>>;
    let store: DocumentStore;
    let batches: number;
    let failNext: boolean;

    const open = async () => {
      const db = backing.db as Root;
      const batch = db.batch.bind(db) as (...args: unknown[]) => Promise<void>;
      // counts the store's batches and, when asked, fails the next one as a full disk would
      (db as unknown as { batch: (...args: unknown[]) => Promise<void> }).batch = async (...args) => {
        batches++;
        if (failNext) {
          failNext = false;
          throw new Error("IO error: no space left on device");
        }
        return batch(...args);
      };
      store = await DocumentStore.open({
        sublevels: documentSublevels(db),
        key: KEY,
        courtMayRead: async () => false,
      });
    };

    beforeEach(async () => {
      backing = await backend.create();
      batches = 0;
      failNext = false;
      await open();
    });

    afterEach(async () => {
      await backing.dispose();
    });

    it("stores documents that belong together in one batch, each readable, in the loan's listing", async function () {
      const stored = await store.putMany([voucher(1), voucher(2), voucher(3)]);
      expect(batches).to.equal(1);
      expect(new Set(stored.map((s) => s.documentId)).size).to.equal(3);
      for (const [i, s] of stored.entries())
        expect(
          Buffer.from(await store.get(s.documentId, { actor: CLERK, purpose: "check" })).toString(),
        ).to.equal(`voucher ${i + 1}`);
      expect((await store.listByLoan(LOAN, CLERK)).map((r) => r.documentId)).to.have.members(
        stored.map((s) => s.documentId),
      );
    });

    it("one document refused (personal data in its meta, no bytes): none stored, nothing written", async function () {
      const before = await rawCount(backing.db as Root);
      const refused = await rejectedBy(
        store.putMany([voucher(1), { ...voucher(2), meta: { note: "13812345678" } }, voucher(3)]),
        DocumentError,
      );
      expect(refused.code).to.equal("NODE_ERR_PII_IN_METADATA");
      expect(
        (
          await rejectedBy(
            store.putMany([voucher(4), { ...voucher(5), bytes: new Uint8Array(0) }]),
            DocumentError,
          )
        ).code,
      ).to.equal("NODE_ERR_BAD_DOCUMENT");
      expect((await rejectedBy(store.putMany([]), DocumentError)).code).to.equal("NODE_ERR_BAD_DOCUMENT");
      expect(batches).to.equal(0);
      expect(await rawCount(backing.db as Root)).to.equal(before);
    });

    it("documents stored at the same time by different callers each land whole, each caller answered with its own", async function () {
      const stored = await Promise.all(Array.from({ length: 24 }, (_, i) => store.put(voucher(i))));
      const listed = await store.listByLoan(LOAN, CLERK);
      expect(listed).to.have.length(24);
      for (const [i, s] of stored.entries())
        expect(
          Buffer.from(await store.get(s.documentId, { actor: CLERK, purpose: "check" })).toString(),
        ).to.equal(`voucher ${i}`);
    });

    it("a batch that fails leaves none of its documents half-written, and the next one stores", async function () {
      const before = await rawCount(backing.db as Root);
      failNext = true;
      await rejectedBy(store.putMany([voucher(1), voucher(2)]), Error);
      expect(await rawCount(backing.db as Root), "no blob, record or index of the failed batch").to.equal(
        before,
      );
      expect(await store.listByLoan(LOAN, CLERK)).to.deep.equal([]);
      const [later] = await store.putMany([voucher(3)]);
      expect(await store.listByLoan(LOAN, CLERK)).to.have.length(1);
      await backing.reopen();
      await open();
      expect((await store.listByLoan(LOAN, CLERK)).map((r) => r.documentId)).to.deep.equal([
        later!.documentId,
      ]);
    });
  });
}
