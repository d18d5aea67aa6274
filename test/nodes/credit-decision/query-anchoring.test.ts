// A credit query that returned anchored serves the decision straight away, even when the pass that
// anchors pending query logs (every 10 s on a node) meets the query's log while the query is still
// writing it: the pass must not write back the copy it read (no report yet) over the finished log.
// The interleaving is forced with held promises, not with load. Also: an admin's first policy
// version on a fresh node is stored (replacing it once waited forever on its own turn).
import { expect } from "chai";
import { MemoryLevel } from "memory-level";
import type { ApplicationStore, StoredApplication } from "../../../nodes/src/applications.ts";
import { BureauClient } from "../../../nodes/src/bureau/client.ts";
import {
  anchorPendingQueryLogs,
  openBureauSublevels,
  queryWithConsent,
  recordConsent,
  type AnchorEvidence,
  type CreditQueryDeps,
} from "../../../nodes/src/bureau/consent.ts";
import { BureauSimulator } from "../../../nodes/src/bureau/simulator.ts";
import { CreditDecisions } from "../../../nodes/src/credit-decision/decisions.ts";
import { CreditPolicies, type StoredPolicy } from "../../../nodes/src/credit-decision/policy.ts";
import { DecisionRecords, type DecisionRecord } from "../../../nodes/src/credit-decision/records.ts";
import { ReviewQueue, type QueuedReview } from "../../../nodes/src/credit-decision/review-queue.ts";
import { NodeError } from "../../../nodes/src/errors.ts";
import { jiedaibaoExpected } from "../../support/channel-fixtures.ts";
import { simulatorPassingPolicy } from "../../support/credit-policy.ts";
import { FakeAnchor, FakeClock, FakeDocuments, keyN, rejectionOf, sha256Hex } from "../bureau/fixtures.ts";

const DAY = 86_400_000;
const MEMBER = 3;
const APPLICATION_ID = `0x${"ab".repeat(32)}`;
const APPROVER = { userId: "approver-1", role: "approver", memberId: MEMBER } as const;

function held<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A branch's bureau and decision rooms over one in-memory LevelDB; the report store waits for `storeReport` when given. */
async function branch(storeReport?: Promise<void>) {
  const clock = new FakeClock();
  const db = new MemoryLevel();
  const anchor = new FakeAnchor();
  const documents = new FakeDocuments();
  const reportStoring = held();
  const deps: CreditQueryDeps = {
    ...openBureauSublevels(db),
    anchor: anchor.anchor,
    client: new BureauClient(
      new BureauSimulator({ seed: "anchoring", latencyMs: 0, mode: "normal", now: clock.now }),
      { retries: 0, now: clock.now },
    ),
    documents: {
      put: async (kind, bytes, meta) => {
        reportStoring.resolve();
        await storeReport;
        return documents.put(kind, bytes, meta);
      },
    },
    institution: MEMBER,
    now: clock.now,
  };
  const borrowerKey = keyN(1);
  await recordConsent(
    {
      borrowerKey,
      letterDigest: sha256Hex("authorization letter"),
      signedAt: new Date(clock.now() - DAY).toISOString(),
      validUntil: new Date(clock.now() + 30 * DAY).toISOString(),
      scope: ["LOAN_APPROVAL"],
    },
    deps,
  );
  const stored: StoredApplication = {
    applicationId: APPLICATION_ID,
    borrowerKey,
    assignedBranch: MEMBER,
    channel: "jiedaibao",
    createdAt: new Date(clock.now()).toISOString(),
    application: jiedaibaoExpected,
  };
  const applications: Pick<ApplicationStore, "get"> = { get: async () => stored };
  const policies = new CreditPolicies(
    db.sublevel<string, StoredPolicy>("policies", { valueEncoding: "json" }),
    anchor.anchor,
    () => new Date(clock.now()),
  );
  await policies.replace("admin-1", { ...simulatorPassingPolicy(), version: 2 });
  const decisions = new CreditDecisions({
    memberId: MEMBER,
    applications: applications as ApplicationStore,
    policies,
    records: new DecisionRecords(
      db.sublevel<string, DecisionRecord | string>("decisions", { valueEncoding: "json" }),
      anchor.anchor,
    ),
    queue: new ReviewQueue(db.sublevel<string, QueuedReview>("queue", { valueEncoding: "json" })),
    bureau: deps,
    documents: { get: async (id) => documents.puts.find((p) => p.id === id)!.bytes },
    exposure: async () => 0n,
    now: () => new Date(clock.now()),
  });
  const query = () =>
    queryWithConsent({ borrowerKey, purpose: "LOAN_APPROVAL", operator: "approver-1" }, deps);
  const decide = () =>
    decisions.run(APPROVER, { applicationId: APPLICATION_ID, monthlyIncomeFen: 1_000_000_000n });
  return { deps, anchor, reportStoring: reportStoring.promise, query, decide };
}

describe("credit-decision: a query's log anchored while the pending pass runs", () => {
  it("the pass meeting the log mid-query leaves it to the query: the decision finds the anchored query with its report", async () => {
    // the report is stored only once the pass has read the log (its first copy, no report yet)
    const storeReport = held();
    const { deps, anchor, reportStoring, query, decide } = await branch(storeReport.promise);
    const querying = query();
    await reportStoring;
    // the pass's anchor answers only after the query has returned (a slow anchor service under load)
    const passAnchoring = held();
    const slowAnchor: AnchorEvidence = async (records) => {
      passAnchoring.resolve();
      await querying;
      return anchor.anchor(records);
    };
    const pass = anchorPendingQueryLogs({ queryLogs: deps.queryLogs, anchor: slowAnchor });
    // the pass has read the first copy: it anchors it now, or (locked out) waits for the query
    await Promise.race([passAnchoring.promise, new Promise((r) => setTimeout(r, 100))]);
    storeReport.resolve();
    const result = await querying;
    expect(await pass).to.equal(0);

    const { record } = await decide();
    expect(record.queryLeafHash).to.equal(result.queryLeafHash);
    const [log] = await deps.queryLogs.values().all();
    expect(log!.documentId).to.equal(result.documentId);
    expect(log!.anchor!.leafHash).to.equal(result.queryLeafHash);
  });

  it("a query whose anchoring failed is refused with what to wait for (the node's pending anchoring), then decides once anchored", async () => {
    const { deps, anchor, query, decide } = await branch();
    anchor.failWith = new Error("anchor down");
    expect(((await rejectionOf(query())) as Error).message).to.equal("anchor down");
    const refused = await rejectionOf(decide());
    expect(refused).to.be.instanceOf(NodeError);
    const { code, message, details } = refused as NodeError;
    expect(code).to.equal("NODE_ERR_CREDIT_QUERY_STALE");
    expect(message).to.include("logged but not anchored yet");
    expect(details).to.deep.equal({ freshnessDays: 30, pendingQueries: 1 });

    anchor.failWith = undefined;
    expect(await anchorPendingQueryLogs(deps)).to.equal(1);
    const [log] = await deps.queryLogs.values().all();
    expect((await decide()).record.queryLeafHash).to.equal(log!.anchor!.leafHash);
  });
});

describe("credit-decision: the policy replaced on a node that never anchored the default", () => {
  it("an admin's first policy version, before the default was ever anchored, is stored after the default (a refused one stores nothing)", async () => {
    const anchor = new FakeAnchor();
    const db = new MemoryLevel();
    const policies = new CreditPolicies(
      db.sublevel<string, StoredPolicy>("policies", { valueEncoding: "json" }),
      anchor.anchor,
    );
    const refused = await rejectionOf(
      policies.replace("admin-1", { ...simulatorPassingPolicy(), version: 3 }),
    );
    expect((refused as NodeError).code).to.equal("NODE_ERR_POLICY_VERSION");
    expect(anchor.calls).to.have.length(0);
    const stored = await policies.replace("admin-1", { ...simulatorPassingPolicy(), version: 2 });
    expect(stored.policy.version).to.equal(2);
    expect((await policies.version(1)).setBy).to.equal("default-policy.json");
    expect((await policies.current()).policy.version).to.equal(2);
  });
});
