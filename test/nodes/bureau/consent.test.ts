// Consent before query: recordConsent anchors the authorization letter; queryWithConsent refuses
// without an anchored consent in force for the purpose, queries, keeps the report only in the
// encrypted document store, and anchors the query log.
import { expect } from "chai";
import { MemoryLevel } from "memory-level";
import { EvidenceKind } from "../../../common/formats/leaf/leaf.ts";
import type { BureauPurpose } from "../../../nodes/src/bureau/bureau.ts";
import { BureauClient } from "../../../nodes/src/bureau/client.ts";
import type { ConsentInput, CreditQueryDeps } from "../../../nodes/src/bureau/consent.ts";
import {
  CREDIT_REPORT_DOCUMENT_KIND,
  anchorPendingQueryLogs,
  listConsents,
  openBureauSublevels,
  queryWithConsent,
  recordConsent,
} from "../../../nodes/src/bureau/consent.ts";
import { BureauSimulator } from "../../../nodes/src/bureau/simulator.ts";
import {
  FakeAnchor,
  FakeClock,
  FakeDocuments,
  RecordingBureau,
  codeOf,
  keyN,
  rejectionOf,
  sha256Hex,
} from "./fixtures.ts";

const DAY = 24 * 3600 * 1000;
const MEMBER = 3;

/** A node's bureau wiring: in-memory LevelDB, simulator behind a client, fakes that record. */
function node(options: { notFoundRate?: number } = {}) {
  const clock = new FakeClock();
  const events: string[] = [];
  const db = new MemoryLevel();
  const { consents, queryLogs } = openBureauSublevels(db);
  const simulator = new BureauSimulator({
    seed: "consent",
    latencyMs: 0,
    mode: "normal",
    now: clock.now,
    ...options,
  });
  const bureau = new RecordingBureau(simulator, events);
  const anchor = new FakeAnchor(events);
  const documents = new FakeDocuments(events);
  const client = new BureauClient(bureau, { retries: 0, failureThreshold: 100, now: clock.now });
  const deps: CreditQueryDeps = {
    consents,
    queryLogs,
    anchor: anchor.anchor,
    client,
    documents,
    institution: MEMBER,
    now: clock.now,
  };
  return { clock, events, db, simulator, bureau, anchor, documents, deps };
}

function consentFor(
  borrowerKey: string,
  clock: FakeClock,
  overrides: Partial<ConsentInput> = {},
): ConsentInput {
  return {
    borrowerKey,
    letterDigest: sha256Hex(`authorization letter for ${borrowerKey} #${overrides.scope?.join() ?? ""}`),
    signedAt: new Date(clock.now() - DAY).toISOString(),
    validUntil: new Date(clock.now() + 30 * DAY).toISOString(),
    scope: ["LOAN_APPROVAL", "POST_LOAN_MANAGEMENT"],
    ...overrides,
  };
}

function ask(borrowerKey: string, purpose: BureauPurpose = "LOAN_APPROVAL") {
  return { borrowerKey, purpose, operator: "officer-07" };
}

/** Everything in the node's LevelDB, keys and values, as text. */
async function dumpDb(db: MemoryLevel): Promise<string> {
  let out = "";
  for await (const [k, v] of db.iterator({ keyEncoding: "utf8", valueEncoding: "utf8" }))
    out += `${k}=${v}\n`;
  return out;
}

describe("consent before credit query", () => {
  describe("recordConsent", () => {
    it("stores the consent with its salt and anchors it as kind Consent: digest = letter digest, subject = borrower key", async () => {
      const { deps, anchor, clock } = node();
      const input = consentFor(keyN(1), clock);
      const stored = await recordConsent(input, deps);
      expect(anchor.calls).to.have.length(1);
      const [record] = anchor.calls[0]!;
      expect(record).to.deep.equal({
        kind: EvidenceKind.Consent,
        digestAlgorithm: 1,
        digest: input.letterDigest,
        salt: stored.salt,
        subject: keyN(1),
      });
      expect(stored.salt).to.match(/^0x[0-9a-f]{64}$/);
      expect(stored.anchor.anchoredAt).to.equal(new Date(clock.now()).toISOString());
      const [again] = await listConsents(keyN(1), deps);
      expect(again).to.deep.equal(stored);

      const other = await recordConsent(consentFor(keyN(2), clock), deps);
      expect(other.salt).to.not.equal(stored.salt);
    });

    it("returns an anchored consent unchanged when recorded again, without a new leaf", async () => {
      const { deps, anchor, clock } = node();
      const input = consentFor(keyN(1), clock);
      const [first, second] = await Promise.all([recordConsent(input, deps), recordConsent(input, deps)]);
      expect(second).to.deep.equal(first);
      expect(anchor.calls).to.have.length(1);
    });

    it("rejects malformed or contradictory consents with NODE_ERR_CONSENT_INVALID", async () => {
      const { deps, anchor, clock } = node();
      const ok = consentFor(keyN(1), clock);
      const bad: Partial<ConsentInput>[] = [
        { borrowerKey: "110101199003071234" },
        { letterDigest: "0x1234" },
        { signedAt: "2025-05-31" },
        { validUntil: ok.signedAt },
        { signedAt: new Date(clock.now() + 60_000).toISOString() },
        {
          validUntil: new Date(clock.now() - 60_000).toISOString(),
          signedAt: new Date(clock.now() - DAY).toISOString(),
        },
        { scope: [] },
        { scope: ["LOAN_APPROVAL", "LOAN_APPROVAL"] },
        { scope: ["MARKETING" as BureauPurpose] },
      ];
      for (const overrides of bad) {
        expect(
          await codeOf(recordConsent({ ...ok, ...overrides }, deps)),
          JSON.stringify(overrides),
        ).to.equal("NODE_ERR_CONSENT_INVALID");
      }
      expect(anchor.calls).to.have.length(0);
      await recordConsent(ok, deps);
      expect(await codeOf(recordConsent({ ...ok, scope: ["GUARANTEE_REVIEW"] }, deps))).to.equal(
        "NODE_ERR_CONSENT_INVALID",
      );
    });

    it("keeps a consent whose anchoring failed un-anchored, and re-anchors the same record (same salt) when recorded again", async () => {
      const { deps, anchor, clock } = node();
      const input = consentFor(keyN(1), clock);
      anchor.failWith = new Error("anchor service unreachable");
      expect(await rejectionOf(recordConsent(input, deps))).to.equal(anchor.failWith);
      const [pending] = await listConsents(keyN(1), deps);
      expect(pending!.anchor).to.equal(undefined);

      anchor.failWith = undefined;
      const anchored = await recordConsent(input, deps);
      expect(anchored.salt).to.equal(pending!.salt);
      expect(anchor.calls.map((c) => c[0]!.salt)).to.deep.equal([pending!.salt, pending!.salt]);
    });
  });

  describe("queryWithConsent refuses", () => {
    it("NODE_ERR_CONSENT_REQUIRED without a consent for this borrower (another borrower's does not count)", async () => {
      const { deps, bureau, anchor, documents, clock } = node();
      await recordConsent(consentFor(keyN(2), clock), deps);
      expect(await codeOf(queryWithConsent(ask(keyN(1)), deps))).to.equal("NODE_ERR_CONSENT_REQUIRED");
      expect(bureau.queries).to.have.length(0);
      expect(anchor.calls.flat().filter((r) => r.kind === EvidenceKind.CreditQuery)).to.have.length(0);
      expect(documents.puts).to.have.length(0);
    });

    it("NODE_ERR_CONSENT_EXPIRED once now is past validUntil", async () => {
      const { deps, bureau, clock } = node();
      const input = consentFor(keyN(1), clock);
      await recordConsent(input, deps);
      await clock.advance(Date.parse(input.validUntil) - clock.now()); // exactly validUntil: still in force
      await queryWithConsent(ask(keyN(1)), deps);
      await clock.advance(1);
      expect(await codeOf(queryWithConsent(ask(keyN(1)), deps))).to.equal("NODE_ERR_CONSENT_EXPIRED");
      expect(bureau.queries).to.have.length(1);
    });

    it("NODE_ERR_CONSENT_SCOPE when no consent in force covers the purpose", async () => {
      const { deps, bureau, clock } = node();
      await recordConsent(consentFor(keyN(1), clock, { scope: ["POST_LOAN_MANAGEMENT"] }), deps);
      expect(await codeOf(queryWithConsent(ask(keyN(1), "LOAN_APPROVAL"), deps))).to.equal(
        "NODE_ERR_CONSENT_SCOPE",
      );
      expect(await codeOf(queryWithConsent(ask(keyN(1), "GUARANTEE_REVIEW"), deps))).to.equal(
        "NODE_ERR_CONSENT_SCOPE",
      );
      expect(bureau.queries).to.have.length(0);
      await queryWithConsent(ask(keyN(1), "POST_LOAN_MANAGEMENT"), deps);
      expect(bureau.queries).to.have.length(1);
    });

    it("NODE_ERR_CONSENT_SCOPE, not _EXPIRED, when the purpose was covered only by an expired consent but another is in force", async () => {
      const { deps, clock } = node();
      await recordConsent(
        consentFor(keyN(1), clock, {
          scope: ["LOAN_APPROVAL"],
          validUntil: new Date(clock.now() + DAY).toISOString(),
        }),
        deps,
      );
      await recordConsent(consentFor(keyN(1), clock, { scope: ["GUARANTEE_REVIEW"] }), deps);
      await clock.advance(2 * DAY);
      expect(await codeOf(queryWithConsent(ask(keyN(1), "LOAN_APPROVAL"), deps))).to.equal(
        "NODE_ERR_CONSENT_SCOPE",
      );
      await queryWithConsent(ask(keyN(1), "GUARANTEE_REVIEW"), deps);
    });

    it("NODE_ERR_BUREAU_BAD_REQUEST for a malformed request, before anything else", async () => {
      const { deps, bureau } = node();
      expect(await codeOf(queryWithConsent({ ...ask(keyN(1)), operator: "" }, deps))).to.equal(
        "NODE_ERR_BUREAU_BAD_REQUEST",
      );
      expect(
        await codeOf(queryWithConsent({ ...ask(keyN(1)), purpose: "MARKETING" as BureauPurpose }, deps)),
      ).to.equal("NODE_ERR_BUREAU_BAD_REQUEST");
      expect(bureau.queries).to.have.length(0);
    });
  });

  describe("ordering", () => {
    it("anchors the consent before the query, and the query log after the report is stored", async () => {
      const { deps, events, clock } = node();
      await recordConsent(consentFor(keyN(1), clock), deps);
      await queryWithConsent(ask(keyN(1)), deps);
      expect(events).to.deep.equal([
        `anchor:${EvidenceKind.Consent}`,
        "bureau:query",
        `documents:${CREDIT_REPORT_DOCUMENT_KIND}`,
        `anchor:${EvidenceKind.CreditQuery}`,
      ]);
    });

    it("sends no query when the consent's anchoring failed", async () => {
      const { deps, anchor, bureau, events, clock } = node();
      anchor.failWith = new Error("anchor down");
      await recordConsent(consentFor(keyN(1), clock), deps).catch(() => undefined);
      anchor.failWith = undefined;
      expect(await codeOf(queryWithConsent(ask(keyN(1)), deps))).to.equal("NODE_ERR_CONSENT_REQUIRED");
      expect(bureau.queries).to.have.length(0);
      expect(events).to.deep.equal([`anchor-failed:${EvidenceKind.Consent}`]);
    });
  });

  describe("query log and report", () => {
    it("anchors the query log as kind CreditQuery: digest = SHA-256 of canonical {who, when, purpose, reportDigest}, subject = borrower key", async () => {
      const { deps, anchor, documents, clock } = node();
      const consent = await recordConsent(consentFor(keyN(1), clock), deps);
      const result = await queryWithConsent(ask(keyN(1)), deps);

      const raw = documents.puts[0]!.bytes;
      expect(result.reportDigest).to.equal(sha256Hex(raw));
      const when = new Date(clock.now()).toISOString();
      // Written out by hand: keys in code-unit order, no spaces.
      const expectedDocument = `{"purpose":"LOAN_APPROVAL","reportDigest":"${result.reportDigest}","when":"${when}","who":"officer-07"}`;
      const [record] = anchor.calls[1]!;
      expect(record!.kind).to.equal(EvidenceKind.CreditQuery);
      expect(record!.digestAlgorithm).to.equal(1);
      expect(record!.digest).to.equal(sha256Hex(expectedDocument));
      expect(record!.subject).to.equal(keyN(1));
      expect(record!.salt).to.match(/^0x[0-9a-f]{64}$/);
      expect(record!.salt).to.not.equal(consent.salt);

      expect(result.queryLeafHash).to.equal(
        sha256Hex(`${record!.kind}|${record!.digest}|${record!.salt}|${record!.subject}`),
      );
      expect(result.consentLeafHash).to.equal(consent.anchor.leafHash);
      expect(result.documentId).to.equal(documents.puts[0]!.id);

      const logs = await deps.queryLogs.values().all();
      expect(logs).to.have.length(1);
      expect(logs[0]!.document).to.equal(expectedDocument);
      expect(logs[0]!.salt).to.equal(record!.salt);
      expect(logs[0]!.anchor!.leafHash).to.equal(result.queryLeafHash);
      expect(logs[0]!.entry).to.deep.equal({
        who: "officer-07",
        when,
        purpose: "LOAN_APPROVAL",
        reportDigest: result.reportDigest,
      });
    });

    it("keeps the report bytes only in the encrypted document store and returns the figures without them", async () => {
      const { deps, documents, db, clock } = node();
      await recordConsent(consentFor(keyN(1), clock), deps);
      const result = await queryWithConsent(ask(keyN(1)), deps);
      expect(documents.puts).to.have.length(1);
      const [put] = documents.puts;
      expect(put!.kind).to.equal(CREDIT_REPORT_DOCUMENT_KIND);
      expect(put!.meta).to.deep.equal({
        borrowerKey: keyN(1),
        reportDigest: result.reportDigest,
        reportId: result.report.reportId,
        purpose: "LOAN_APPROVAL",
        queriedAt: new Date(clock.now()).toISOString(),
      });
      expect(result.report).to.not.have.property("raw");
      expect(result.report.score >= 300 && result.report.score <= 900).to.equal(true);

      const dump = await dumpDb(db);
      const rawText = new TextDecoder().decode(put!.bytes);
      expect(dump.includes(result.report.reportId)).to.equal(false);
      expect(dump.includes(rawText)).to.equal(false);
      expect(dump.includes('"summary"')).to.equal(false);
      expect(dump.includes(`"score":${result.report.score}`)).to.equal(false);
    });

    it("keeps the query log pending when its anchoring fails, and anchors it later", async () => {
      const { deps, anchor, documents, clock } = node();
      await recordConsent(consentFor(keyN(1), clock), deps);
      anchor.failWith = new Error("anchor down");
      await queryWithConsent(ask(keyN(1)), deps).then(
        () => expect.fail("should have failed"),
        (e: Error) => expect(e.message).to.equal("anchor down"),
      );
      expect(documents.puts).to.have.length(1);
      const [pending] = await deps.queryLogs.values().all();
      expect(pending!.anchor).to.equal(undefined);

      anchor.failWith = undefined;
      expect(await anchorPendingQueryLogs(deps)).to.equal(1);
      const [anchored] = await deps.queryLogs.values().all();
      expect(anchored!.anchor!.leafHash).to.match(/^0x[0-9a-f]{64}$/);
      expect(anchor.calls.at(-1)![0]!.salt).to.equal(pending!.salt); // the same record
      expect(await anchorPendingQueryLogs(deps)).to.equal(0);
    });

    it("still logs and later anchors the query when storing the report fails", async () => {
      const { deps, anchor, bureau, clock } = node();
      await recordConsent(consentFor(keyN(1), clock), deps);
      const storeDown = new Error("document store down");
      deps.documents = { put: () => Promise.reject(storeDown) };
      expect(await rejectionOf(queryWithConsent(ask(keyN(1)), deps))).to.equal(storeDown);
      expect(bureau.queries).to.have.length(1);
      const [pending] = await deps.queryLogs.values().all();
      expect(pending!.anchor).to.equal(undefined);
      expect(pending!.documentId).to.equal(undefined);
      expect(await anchorPendingQueryLogs(deps)).to.equal(1);
      expect(anchor.calls.at(-1)![0]!.digest).to.equal(pending!.digest);
    });

    it("passes bureau errors through, with no report stored and no query log", async () => {
      const { deps, anchor, documents, simulator, clock } = node({ notFoundRate: 1 });
      await recordConsent(consentFor(keyN(1), clock), deps);
      expect(await codeOf(queryWithConsent(ask(keyN(1)), deps))).to.equal("NODE_ERR_BUREAU_NOT_FOUND");
      simulator.setMode("outage");
      expect(await codeOf(queryWithConsent(ask(keyN(1)), deps))).to.equal("NODE_ERR_BUREAU_UNAVAILABLE");
      expect(documents.puts).to.have.length(0);
      expect(anchor.calls).to.have.length(1);
      expect(await deps.queryLogs.values().all()).to.have.length(0);
    });

    it("logs every query: queriesLast6Months grows with each one", async () => {
      const { deps, anchor, clock } = node();
      await recordConsent(consentFor(keyN(1), clock), deps);
      const first = await queryWithConsent(ask(keyN(1)), deps);
      await clock.advance(60_000);
      const second = await queryWithConsent(ask(keyN(1), "POST_LOAN_MANAGEMENT"), deps);
      expect(second.report.queriesLast6Months).to.equal(first.report.queriesLast6Months + 1);
      expect(second.queryLeafHash).to.not.equal(first.queryLeafHash);
      expect(anchor.calls.flat().filter((r) => r.kind === EvidenceKind.CreditQuery)).to.have.length(2);
      expect(await deps.queryLogs.values().all()).to.have.length(2);
    });
  });
});
