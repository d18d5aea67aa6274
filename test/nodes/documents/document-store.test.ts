// DocumentStore (nodes/src/documents): one suite body runs against memory-level and a real
// LevelDB in a temp directory. Covers round trips, encryption at rest (the raw database never
// holds the plaintext), tampering, the access policy matrix (every role × owning/other member ×
// court assigned/not × document kind) with one access-log entry per attempt, listings, court
// exports, input validation and the log's order across concurrency and reopening.
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import type { AbstractLevel } from "abstract-level";
import { MemoryLevel } from "memory-level";
import {
  DocumentError,
  PrivacyError,
  type DocumentErrorCode,
  type PrivacyErrorCode,
} from "../../../nodes/src/errors.ts";
import type {
  AccessLogEntry,
  DocumentMeta,
  PutDocument,
} from "../../../nodes/src/documents/document-store.ts";
import { DocumentStore } from "../../../nodes/src/documents/document-store.ts";
import { documentSublevels, type DocumentSublevels } from "../../../nodes/src/documents/keys.ts";
import type { Actor, DocumentKind, Role } from "../../../nodes/src/documents/policy.ts";
import { ROLES } from "../../../nodes/src/documents/policy.ts";
import { levelBackends } from "../../support/level-backends.ts";
import { deriveKey, generateKey } from "../../../nodes/src/privacy/crypto-box.ts";

// ---- Backends ---------------------------------------------------------------------------------

type Root = AbstractLevel<any, any, any>;
type Backing = { db: Root; reopen(): Promise<void>; dispose(): Promise<void> };
type Backend = { name: string; create(): Promise<Backing> };

const backends: Backend[] = levelBackends("document-store-");

// ---- Fixtures ---------------------------------------------------------------------------------

const BANK = 101; // owns the documents
const COURT = 401; // the court the first loan's case is assigned to
const LOAN_ASSIGNED = `0x${"a1".repeat(32)}`;
const LOAN_OTHER = `0x${"b2".repeat(32)}`;
const CASE = `0x${"c3".repeat(32)}`;
const MASTER = generateKey();
const KEY = deriveKey(MASTER, "documents");

const utf8 = (s: string) => new TextEncoder().encode(s);
const sha256 = (b: Uint8Array) => `0x${createHash("sha256").update(b).digest("hex")}`;
const actor = (role: Role, memberId: number, userId = `${role}-${memberId}`): Actor => ({
  userId,
  role,
  memberId,
});

/** Chain index stand-in: which (court, loan) pairs are in an assigned case; counts its calls. */
class Assignments {
  readonly pairs = new Set<string>([`${COURT}:${LOAN_ASSIGNED}`]);
  calls = 0;
  failing = false;
  readonly courtMayRead = async (court: number, loanId: string): Promise<boolean> => {
    this.calls++;
    if (this.failing) throw new Error("chain index unavailable");
    return this.pairs.has(`${court}:${loanId}`);
  };
}

async function codeOf(fn: () => Promise<unknown>): Promise<DocumentErrorCode | PrivacyErrorCode | undefined> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof DocumentError || error instanceof PrivacyError) return error.code;
    throw error;
  }
  return undefined;
}

/** Every raw key and value in the database, across all sublevels, as bytes. */
async function rawEntries(db: Root): Promise<[Buffer, Buffer][]> {
  const out: [Buffer, Buffer][] = [];
  for await (const [k, v] of db.iterator({ keyEncoding: "buffer", valueEncoding: "buffer" }))
    out.push([k as Buffer, v as Buffer]);
  return out;
}

for (const backend of backends) {
  describe(`nodes/documents DocumentStore (${backend.name})`, function () {
    this.timeout(20_000);
    let backing: Backing;
    let sublevels: DocumentSublevels;
    let assignments: Assignments;
    let store: DocumentStore;
    let clock: number;

    const openStore = async () => {
      sublevels = documentSublevels(backing.db);
      store = await DocumentStore.open({
        sublevels,
        key: KEY,
        courtMayRead: assignments.courtMayRead,
        now: () => clock,
      });
    };
    const put = (doc: Partial<PutDocument> & { kind: DocumentKind }) => {
      clock += 1000;
      return store.put({ bytes: utf8(`${doc.kind} ${clock}`), owner: BANK, ...doc });
    };

    beforeEach(async () => {
      backing = await backend.create();
      assignments = new Assignments();
      clock = Date.UTC(2025, 0, 1);
      await openStore();
    });
    afterEach(async () => {
      await backing.dispose();
    });

    describe("put and get", () => {
      it("returns a random 32-byte id and the plaintext's SHA-256; the owner's clerk reads the bytes back", async () => {
        const bytes = new Uint8Array(randomBytes(100_000));
        const { documentId, sha256: digest } = await store.put({
          kind: "contract",
          bytes,
          loanId: LOAN_ASSIGNED,
          owner: BANK,
          meta: { pages: 3, mime: "application/pdf" },
        });
        expect(documentId).to.match(/^0x[0-9a-f]{64}$/);
        expect(digest).to.equal(sha256(bytes));
        const back = await store.get(documentId, { actor: actor("clerk", BANK), purpose: "loan review" });
        expect(Buffer.from(back).equals(Buffer.from(bytes))).to.equal(true);
      });

      it("writes the sealed blob, the record and the loan index", async () => {
        const { documentId } = await put({
          kind: "voucher",
          loanId: LOAN_ASSIGNED,
          caseId: CASE,
          meta: { serial: "FX-1" },
        });
        const [record] = await store.listByLoan(LOAN_ASSIGNED, actor("admin", BANK));
        expect(record).to.deep.include({
          documentId,
          kind: "voucher",
          owner: BANK,
          loanId: LOAN_ASSIGNED,
          caseId: CASE,
          meta: { serial: "FX-1" },
        });
        expect(record!.createdAt).to.equal(new Date(clock).toISOString());
        const blob = await sublevels.blobs.get(Buffer.from(documentId.slice(2), "hex"));
        expect(blob!.length).to.equal(record!.size + 29);
      });

      it("lower-cases loan and case ids and accepts documents without a loan", async () => {
        const { documentId } = await put({
          kind: "other",
          loanId: LOAN_ASSIGNED.toUpperCase().replace("0X", "0x"),
        });
        expect(
          (await store.listByLoan(LOAN_ASSIGNED, actor("clerk", BANK))).map((r) => r.documentId),
        ).to.deep.equal([documentId]);
        const free = await put({ kind: "other" });
        expect(
          await store.get(free.documentId, { actor: actor("clerk", BANK), purpose: "p" }),
        ).to.have.length.greaterThan(0);
      });

      it("stores no plaintext: no raw key or value in the database contains the document or a 12-byte piece of it", async () => {
        const secret = utf8(
          "借款人 欧阳娜娜 身份证 110101199003071233 手机 13812345678 账户 6222021234567890123。".repeat(20),
        );
        await store.put({
          kind: "credit-report",
          bytes: secret,
          loanId: LOAN_ASSIGNED,
          owner: BANK,
          meta: { bureau: "PBOC", pages: 12 },
        });
        const entries = await rawEntries(backing.db);
        expect(entries.length).to.be.greaterThan(2);
        const windows = new Set<string>();
        for (let i = 0; i + 12 <= secret.length; i++)
          windows.add(Buffer.from(secret.subarray(i, i + 12)).toString("hex"));
        for (const [k, v] of entries) {
          for (const part of [k, v]) {
            const hex = part.toString("hex");
            for (const needle of ["110101199003071233", "13812345678", "6222021234567890123", "欧阳娜娜"]) {
              expect(part.includes(Buffer.from(needle)), needle).to.equal(false);
            }
            for (let i = 0; i + 24 <= hex.length; i += 2)
              expect(windows.has(hex.slice(i, i + 24))).to.equal(false);
          }
        }
      });

      it("refuses malformed documents with NODE_ERR_BAD_DOCUMENT and writes nothing", async () => {
        const bad: [string, unknown][] = [
          ["unknown kind", { kind: "photo", bytes: utf8("x"), owner: BANK }],
          ["empty bytes", { kind: "contract", bytes: new Uint8Array(0), owner: BANK }],
          ["bytes as a string", { kind: "contract", bytes: "x", owner: BANK }],
          ["owner 0", { kind: "contract", bytes: utf8("x"), owner: 0 }],
          ["owner 2^32", { kind: "contract", bytes: utf8("x"), owner: 2 ** 32 }],
          ["short loanId", { kind: "contract", bytes: utf8("x"), owner: BANK, loanId: "0x1234" }],
          ["caseId without loanId", { kind: "ruling", bytes: utf8("x"), owner: COURT, caseId: CASE }],
          ["nested meta", { kind: "contract", bytes: utf8("x"), owner: BANK, meta: { a: { b: 1 } } }],
          ["meta array", { kind: "contract", bytes: utf8("x"), owner: BANK, meta: [1] }],
          [
            "meta key with a space",
            { kind: "contract", bytes: utf8("x"), owner: BANK, meta: { "file name": "a" } },
          ],
          [
            "long meta value",
            { kind: "contract", bytes: utf8("x"), owner: BANK, meta: { note: "x".repeat(513) } },
          ],
        ];
        for (const [why, doc] of bad)
          expect(await codeOf(() => store.put(doc as PutDocument)), why).to.equal("NODE_ERR_BAD_DOCUMENT");
        const small = await DocumentStore.open({
          sublevels,
          key: KEY,
          courtMayRead: assignments.courtMayRead,
          maxBytes: 10,
        });
        expect(
          await codeOf(() => small.put({ kind: "contract", bytes: new Uint8Array(11), owner: BANK })),
        ).to.equal("NODE_ERR_BAD_DOCUMENT");
        expect(await rawEntries(backing.db)).to.deep.equal([]);
      });

      it("refuses personal data in metadata with NODE_ERR_PII_IN_METADATA", async () => {
        const metas: DocumentMeta[] = [
          { idNumber: "x" },
          { borrowerName: "x" },
          { phone: "x" },
          { note: "borrower 110101199003071233" },
          { contact: 13812345678 },
          { card: "6222 0212 3456 7890 128" },
          { card: "4111111111111111" },
        ];
        for (const meta of metas)
          expect(await codeOf(() => put({ kind: "contract", meta })), JSON.stringify(meta)).to.equal(
            "NODE_ERR_PII_IN_METADATA",
          );
        // ordinary numbers pass: timestamps, serials, wrong-check-digit lookalikes
        await put({
          kind: "contract",
          meta: { file: "contract-20250101123000.pdf", serial: "2024000123", ref: "110101199003071234" },
        });
        // digests and ids whose digits happen to look like a phone or a card number are not personal data
        await put({
          kind: "contract",
          meta: {
            reportDigest: `0x${"ab".repeat(10)}c13812345678d${"ef".repeat(21)}`,
            applicationId: "app_e4111111111111111e0a1b2c",
          },
        });
        expect(await codeOf(() => put({ kind: "contract", meta: { note: "0x12 13812345678" } }))).to.equal(
          "NODE_ERR_PII_IN_METADATA",
        );
      });
    });

    describe("access policy", () => {
      // The README's table, written out independently of policy.ts.
      type Doc = { name: string; kind: DocumentKind; loanId?: string };
      const DOCS: Doc[] = [
        { name: "contract of the assigned loan", kind: "contract", loanId: LOAN_ASSIGNED },
        { name: "contract of an unassigned loan", kind: "contract", loanId: LOAN_OTHER },
        { name: "credit report of the assigned loan", kind: "credit-report", loanId: LOAN_ASSIGNED },
        { name: "document of no loan", kind: "other" },
      ];
      const MEMBERS = [
        { name: "owning member", memberId: BANK },
        { name: "other member (the assigned court)", memberId: COURT },
        { name: "other member (an unassigned court)", memberId: 402 },
      ];
      function expected(
        role: Role,
        memberId: number,
        doc: Doc,
      ): { outcome: "granted" | "refused"; reason?: string } {
        if (memberId === BANK) return { outcome: "granted" };
        if (role !== "court-clerk") return { outcome: "refused", reason: "other-member" };
        if (doc.kind === "credit-report")
          return { outcome: "refused", reason: "credit-report-stays-in-node" };
        if (doc.loanId === undefined) return { outcome: "refused", reason: "no-loan" };
        if (memberId === COURT && doc.loanId === LOAN_ASSIGNED) return { outcome: "granted" };
        return { outcome: "refused", reason: "court-not-assigned" };
      }

      it("every role × owning/other member × court assigned/not × document: decision, error code and one log entry each", async () => {
        const ids: string[] = [];
        for (const doc of DOCS)
          ids.push(
            (await put({ kind: doc.kind, ...(doc.loanId === undefined ? {} : { loanId: doc.loanId }) }))
              .documentId,
          );
        const attempts: {
          actor: Actor;
          documentId: string;
          purpose: string;
          expect: ReturnType<typeof expected>;
        }[] = [];
        for (const role of ROLES) {
          for (const member of MEMBERS) {
            for (const [i, doc] of DOCS.entries()) {
              const who = actor(role, member.memberId);
              const purpose = `matrix ${role} ${member.name} ${doc.name}`;
              const want = expected(role, member.memberId, doc);
              const code = await codeOf(() => store.get(ids[i]!, { actor: who, purpose }));
              expect(code, purpose).to.equal(want.outcome === "granted" ? undefined : "NODE_ERR_FORBIDDEN");
              attempts.push({ actor: who, documentId: ids[i]!, purpose, expect: want });
            }
          }
        }
        expect(attempts.length).to.equal(ROLES.length * MEMBERS.length * DOCS.length);
        const log = await store.accessLog({ limit: 10_000 });
        expect(log.length).to.equal(attempts.length);
        log.forEach((entry, i) => {
          const a = attempts[i]!;
          expect(entry.seq).to.equal(i);
          expect(entry).to.deep.include({
            action: "read",
            actor: a.actor,
            documentId: a.documentId,
            purpose: a.purpose,
            outcome: a.expect.outcome,
          });
          expect(entry.reason).to.equal(a.expect.reason);
        });
        // per document: that document's attempts, in order
        for (const id of ids) {
          const mine = await store.accessLog({ documentId: id });
          expect(mine.map((e) => e.seq)).to.deep.equal(
            log.filter((e) => e.documentId === id).map((e) => e.seq),
          );
          expect(mine.length).to.equal(ROLES.length * MEMBERS.length);
        }
        // the court check is asked only for court clerks of other members, on documents with a loan that are not credit reports
        expect(assignments.calls).to.equal(2 * 2);
      });

      it("refuses and logs a missing actor, a malformed actor and a missing purpose", async () => {
        const { documentId } = await put({ kind: "contract", loanId: LOAN_ASSIGNED });
        const bad: [unknown, string][] = [
          [undefined, "p"],
          [{ userId: "u", role: "teller", memberId: BANK }, "p"],
          [{ userId: "", role: "clerk", memberId: BANK }, "p"],
          [{ userId: "u", role: "clerk", memberId: -1 }, "p"],
          [actor("clerk", BANK), ""],
          [actor("clerk", BANK), "   "],
        ];
        for (const [who, purpose] of bad) {
          expect(await codeOf(() => store.get(documentId, { actor: who as Actor, purpose }))).to.equal(
            "NODE_ERR_FORBIDDEN",
          );
        }
        const log = await store.accessLog({ documentId });
        expect(log.map((e) => `${e.outcome}:${e.reason}`)).to.deep.equal([
          "refused:bad-actor",
          "refused:bad-actor",
          "refused:bad-actor",
          "refused:bad-actor",
          "refused:no-purpose",
          "refused:no-purpose",
        ]);
        expect(log[1]!.actor).to.deep.equal({ userId: "u", role: "teller", memberId: BANK });
        expect(log[3]!.actor.memberId).to.equal(null);
      });

      it("logs unknown and malformed document ids as refused not-found", async () => {
        const unknown = `0x${"ee".repeat(32)}`;
        expect(
          await codeOf(() => store.get(unknown, { actor: actor("clerk", BANK), purpose: "p" })),
        ).to.equal("NODE_ERR_DOCUMENT_NOT_FOUND");
        expect(
          await codeOf(() => store.get("not-an-id", { actor: actor("clerk", BANK), purpose: "p" })),
        ).to.equal("NODE_ERR_DOCUMENT_NOT_FOUND");
        const log = await store.accessLog();
        expect(log.map((e) => [e.documentId, e.outcome, e.reason])).to.deep.equal([
          [unknown, "refused", "not-found"],
          ["not-an-id", "refused", "not-found"],
        ]);
        expect((await store.accessLog({ documentId: unknown })).length).to.equal(1);
      });

      it("fails closed when the court check throws, and logs the refusal", async () => {
        const { documentId } = await put({ kind: "contract", loanId: LOAN_ASSIGNED });
        assignments.failing = true;
        let thrown: unknown;
        try {
          await store.get(documentId, { actor: actor("court-clerk", COURT), purpose: "case review" });
        } catch (error) {
          thrown = error;
        }
        expect((thrown as Error).message).to.equal("chain index unavailable");
        expect((await store.accessLog())[0]).to.deep.include({
          outcome: "refused",
          reason: "court-check-failed",
        });
      });

      it("masks ID, phone and card numbers typed into the purpose before logging it", async () => {
        const { documentId } = await put({ kind: "contract" });
        await store.get(documentId, {
          actor: actor("approver", BANK),
          purpose: "核对 110101199003071233 13812345678",
        });
        const [entry] = await store.accessLog();
        expect(entry!.purpose).to.equal("核对 110***********1233 138****5678");
        for (const [, v] of await rawEntries(backing.db))
          expect(v.includes(Buffer.from("110101199003071233"))).to.equal(false);
      });
    });

    describe("tampering", () => {
      it("a flipped byte in the stored blob gives NODE_ERR_DECRYPT, logged as failed, no bytes", async () => {
        const { documentId } = await put({ kind: "contract" });
        const id = Buffer.from(documentId.slice(2), "hex");
        const sealed = (await sublevels.blobs.get(id))!;
        for (const i of [0, 1, 13, sealed.length - 17, sealed.length - 1]) {
          const tampered = new Uint8Array(sealed);
          tampered[i]! ^= 0x04;
          await sublevels.blobs.put(id, tampered);
          expect(
            await codeOf(() => store.get(documentId, { actor: actor("clerk", BANK), purpose: "p" })),
            `byte ${i}`,
          ).to.equal("NODE_ERR_DECRYPT");
        }
        expect((await store.accessLog()).map((e) => `${e.outcome}:${e.reason}`)).to.deep.equal(
          Array(5).fill("failed:decrypt-failed"),
        );
      });

      it("a blob moved under another document id does not open (aad = document id)", async () => {
        const a = await put({ kind: "contract" });
        const b = await put({ kind: "contract" });
        const blobA = await sublevels.blobs.get(Buffer.from(a.documentId.slice(2), "hex"));
        await sublevels.blobs.put(Buffer.from(b.documentId.slice(2), "hex"), blobA!);
        expect(
          await codeOf(() => store.get(b.documentId, { actor: actor("clerk", BANK), purpose: "p" })),
        ).to.equal("NODE_ERR_DECRYPT");
      });

      it("a store opened with another key cannot read the documents", async () => {
        const { documentId } = await put({ kind: "contract" });
        const other = await DocumentStore.open({
          sublevels,
          key: deriveKey(generateKey(), "documents"),
          courtMayRead: assignments.courtMayRead,
        });
        expect(
          await codeOf(() => other.get(documentId, { actor: actor("clerk", BANK), purpose: "p" })),
        ).to.equal("NODE_ERR_DECRYPT");
      });
    });

    describe("listByLoan", () => {
      it("lists what the actor may read, oldest first, and logs nothing", async () => {
        const contract = await put({ kind: "contract", loanId: LOAN_ASSIGNED });
        const report = await put({ kind: "credit-report", loanId: LOAN_ASSIGNED });
        const voucher = await put({ kind: "voucher", loanId: LOAN_ASSIGNED });
        await put({ kind: "contract", loanId: LOAN_OTHER });
        const ids = async (who: Actor, loan = LOAN_ASSIGNED) =>
          (await store.listByLoan(loan, who)).map((r) => r.documentId);
        expect(await ids(actor("clerk", BANK))).to.deep.equal([
          contract.documentId,
          report.documentId,
          voucher.documentId,
        ]);
        expect(await ids(actor("court-clerk", COURT))).to.deep.equal([
          contract.documentId,
          voucher.documentId,
        ]);
        expect(await ids(actor("court-clerk", 402))).to.deep.equal([]);
        expect(await ids(actor("admin", COURT))).to.deep.equal([]);
        expect(await ids(actor("court-clerk", COURT), LOAN_OTHER)).to.deep.equal([]);
        expect(await store.accessLog()).to.deep.equal([]);
      });

      it("asks the court check once per listing", async () => {
        for (let i = 0; i < 5; i++) await put({ kind: "contract", loanId: LOAN_ASSIGNED });
        await store.listByLoan(LOAN_ASSIGNED, actor("court-clerk", COURT));
        expect(assignments.calls).to.equal(1);
      });

      it("refuses a malformed loan id or actor", async () => {
        expect(await codeOf(() => store.listByLoan("0x12", actor("clerk", BANK)))).to.equal(
          "NODE_ERR_BAD_DOCUMENT",
        );
        expect(await codeOf(() => store.listByLoan(LOAN_ASSIGNED, { role: "clerk" } as Actor))).to.equal(
          "NODE_ERR_FORBIDDEN",
        );
      });
    });

    describe("exportCaseDocuments", () => {
      it("gives the assigned court every document of the loan but credit reports, and logs each one", async () => {
        const contract = await put({
          kind: "contract",
          loanId: LOAN_ASSIGNED,
          bytes: utf8("contract bytes"),
        });
        const report = await put({ kind: "credit-report", loanId: LOAN_ASSIGNED });
        const voucher = await put({ kind: "voucher", loanId: LOAN_ASSIGNED, bytes: utf8("voucher bytes") });
        const ruling = await put({ kind: "ruling", loanId: LOAN_ASSIGNED, caseId: CASE, owner: COURT });
        await put({ kind: "contract", loanId: LOAN_OTHER });
        const court = actor("court-clerk", COURT);
        const exported = await store.exportCaseDocuments({ loanId: LOAN_ASSIGNED, caseId: CASE }, court);
        expect(exported.map((d) => [d.documentId, d.kind])).to.deep.equal([
          [contract.documentId, "contract"],
          [voucher.documentId, "voucher"],
          [ruling.documentId, "ruling"],
        ]);
        expect(new TextDecoder().decode(exported[0]!.bytes)).to.equal("contract bytes");
        for (const d of exported) expect(sha256(d.bytes)).to.equal(d.sha256);
        const log = await store.accessLog();
        expect(log.map((e) => [e.documentId, e.action, e.outcome, e.reason ?? null])).to.deep.equal([
          [contract.documentId, "export", "granted", null],
          [report.documentId, "export", "refused", "credit-report-stays-in-node"],
          [voucher.documentId, "export", "granted", null],
          [ruling.documentId, "export", "granted", null],
        ]);
        expect(log[0]!.purpose).to.equal(`court export for case ${CASE}`);
        expect(log[0]!.actor).to.deep.equal(court);
      });

      it("refuses an unassigned court and anyone who is not a court clerk, logging each document", async () => {
        await put({ kind: "contract", loanId: LOAN_ASSIGNED });
        await put({ kind: "voucher", loanId: LOAN_ASSIGNED });
        expect(
          await codeOf(() => store.exportCaseDocuments({ loanId: LOAN_ASSIGNED }, actor("court-clerk", 402))),
        ).to.equal("NODE_ERR_FORBIDDEN");
        expect(
          await codeOf(() => store.exportCaseDocuments({ loanId: LOAN_ASSIGNED }, actor("admin", BANK))),
        ).to.equal("NODE_ERR_FORBIDDEN");
        expect(
          await codeOf(() => store.exportCaseDocuments({ loanId: "0x1" }, actor("court-clerk", COURT))),
        ).to.equal("NODE_ERR_BAD_DOCUMENT");
        expect((await store.accessLog()).map((e) => `${e.outcome}:${e.reason}`)).to.deep.equal([
          "refused:court-not-assigned",
          "refused:court-not-assigned",
          "refused:not-court",
          "refused:not-court",
        ]);
      });

      it("is all or nothing: one damaged document aborts the export and every entry says so", async () => {
        const a = await put({ kind: "contract", loanId: LOAN_ASSIGNED });
        const b = await put({ kind: "voucher", loanId: LOAN_ASSIGNED });
        const id = Buffer.from(b.documentId.slice(2), "hex");
        const sealed = new Uint8Array((await sublevels.blobs.get(id))!);
        sealed[20]! ^= 1;
        await sublevels.blobs.put(id, sealed);
        expect(
          await codeOf(() =>
            store.exportCaseDocuments({ loanId: LOAN_ASSIGNED }, actor("court-clerk", COURT)),
          ),
        ).to.equal("NODE_ERR_DECRYPT");
        expect((await store.accessLog()).map((e) => [e.documentId, e.outcome, e.reason])).to.deep.equal([
          [a.documentId, "failed", "export-aborted"],
          [b.documentId, "failed", "decrypt-failed"],
        ]);
      });
    });

    describe("access log", () => {
      it("keeps order and unique seqs under concurrent reads", async () => {
        const { documentId } = await put({ kind: "contract", loanId: LOAN_ASSIGNED });
        const who = [actor("clerk", BANK), actor("clerk", COURT), actor("court-clerk", COURT)];
        await Promise.allSettled(
          Array.from({ length: 60 }, (_, i) =>
            store.get(documentId, { actor: who[i % 3]!, purpose: `r${i}` }),
          ),
        );
        const log = await store.accessLog();
        expect(log.map((e) => e.seq)).to.deep.equal(Array.from({ length: 60 }, (_, i) => i));
        expect(log.filter((e) => e.outcome === "granted").length).to.equal(40);
        expect(new Set(log.map((e) => e.purpose)).size).to.equal(60);
      });

      it("continues its seq after reopening the database", async () => {
        const { documentId } = await put({ kind: "contract" });
        await store.get(documentId, { actor: actor("clerk", BANK), purpose: "before" });
        await store.get(documentId, { actor: actor("clerk", 999), purpose: "before" }).catch(() => {});
        await backing.reopen();
        await openStore();
        expect(
          new TextDecoder().decode(
            await store.get(documentId, { actor: actor("clerk", BANK), purpose: "after" }),
          ),
        ).to.match(/^contract /);
        const log: AccessLogEntry[] = await store.accessLog({ documentId });
        expect(log.map((e) => [e.seq, e.purpose, e.outcome])).to.deep.equal([
          [0, "before", "granted"],
          [1, "before", "refused"],
          [2, "after", "granted"],
        ]);
        expect((await store.accessLog({ fromSeq: 1, limit: 1 })).map((e) => e.seq)).to.deep.equal([1]);
      });

      it("records the time of each attempt", async () => {
        const { documentId } = await put({ kind: "contract" });
        clock = Date.UTC(2025, 5, 1, 8, 30);
        await store.get(documentId, { actor: actor("clerk", BANK), purpose: "p" });
        expect((await store.accessLog())[0]!.at).to.equal("2025-06-01T08:30:00.000Z");
      });
    });

    it("refuses sublevels with the wrong encodings or from different databases", async () => {
      const wrong = {
        ...sublevels,
        records: backing.db.sublevel("x", { keyEncoding: "view", valueEncoding: "view" }),
      };
      let error: unknown;
      try {
        await DocumentStore.open({
          sublevels: wrong as unknown as DocumentSublevels,
          key: KEY,
          courtMayRead: assignments.courtMayRead,
        });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(TypeError);
      const elsewhere = new MemoryLevel();
      const mixed = { ...sublevels, blobs: documentSublevels(elsewhere).blobs };
      error = undefined;
      try {
        await DocumentStore.open({ sublevels: mixed, key: KEY, courtMayRead: assignments.courtMayRead });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(TypeError);
      expect(
        await codeOf(() =>
          DocumentStore.open({ sublevels, key: new Uint8Array(16), courtMayRead: assignments.courtMayRead }),
        ),
      ).to.equal("NODE_ERR_BAD_KEY");
    });
  });
}
