// Credit decisions through branch A's node API on a live chain and anchor service: the policy
// (anchored, replaced by an admin with its next version only), a decision needing a fresh credit
// query, approve, decline with reasons and a notice, refer → manual approval, maker-checker
// (the same approver twice refused), each decision a record anchored as kind CreditDecision.
import { expect } from "chai";
import { tokenSha256 } from "../../../nodes/src/http/auth.ts";
import type { NodeService } from "../../../nodes/src/service.ts";
import { defaultPolicy, type CreditPolicy } from "../../../nodes/src/credit-decision/policy.ts";
import { bearerAs, chainToday, consentDates, usersFor } from "../../support/institution-node.ts";
import { lendingSuite } from "../../support/lending-suite.ts";
import { jiedaibaoPayload } from "../../support/channel-fixtures.ts";
import { simulatorPassingPolicy } from "../../support/credit-policy.ts";

const TOKENS = { clerk: "clerk-token-1", approver: "approver-token-1", admin: "admin-token-1" } as const;
const SECOND_APPROVER = "approver-token-2";

type Record_ = {
  decisionId: string;
  outcome: string;
  reasons: string[];
  mode: string;
  decidedBy: string[];
  policyVersion: number;
  anchor: { leafHash: string };
  notice?: { zh: string; en: string; reasons: Array<{ code: string }> };
};

describe("node API: credit decisions", function () {
  this.timeout(120_000);
  const suite = lendingSuite("node-decisions-");
  let node: NodeService;
  const as = bearerAs(TOKENS);
  const second = { authorization: `Bearer ${SECOND_APPROVER}` };
  let version = 1;
  // the node's clock, moved forward to age a credit query or outlive a consent
  let clockOffsetMs = 0;

  const inject = (
    method: "GET" | "POST" | "PUT",
    url: string,
    headers: { authorization: string },
    payload?: object,
  ) => node.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });

  /** The next policy version: every rule the default's, loosened so the simulator's borrower passes, then `changes`. */
  async function putPolicy(changes: Partial<CreditPolicy>) {
    version++;
    const reply = await inject("PUT", "/v1/credit-policy", as("admin"), {
      ...simulatorPassingPolicy(),
      ...changes,
      version,
    });
    expect(reply.statusCode, reply.body).to.equal(200);
  }

  /** An application with its own id, submitted by the clerk (no consent, no query yet); its id. */
  async function submittedApplication(id: string, changes: { jine?: string } = {}): Promise<string> {
    const payload = jiedaibaoPayload();
    payload.shenqingBianhao = id;
    if (changes.jine !== undefined) payload.daikuan.jine = changes.jine;
    const submitted = await inject("POST", "/v1/applications/jiedaibao", as("clerk"), payload);
    expect(submitted.statusCode, submitted.body).to.equal(200);
    return (submitted.json() as { applicationId: string }).applicationId;
  }

  /** An application (own id), the borrower's consent and a credit query under it. */
  async function queriedApplication(id: string, changes: { jine?: string } = {}): Promise<string> {
    const applicationId = await submittedApplication(id, changes);
    const consent = await inject("POST", "/v1/consents", as("clerk"), {
      applicationId,
      letterBase64: Buffer.from(`授权书 ${id}`).toString("base64"),
      ...consentDates(Date.now() + clockOffsetMs),
      scope: ["LOAN_APPROVAL"],
    });
    expect(consent.statusCode, consent.body).to.equal(200);
    const query = await inject("POST", "/v1/credit-queries", as("approver"), {
      applicationId,
      purpose: "LOAN_APPROVAL",
    });
    expect(query.statusCode, query.body).to.equal(200);
    return applicationId;
  }

  const run = (applicationId: string, monthlyIncomeFen = "5000000") =>
    inject("POST", "/v1/decisions", as("approver"), { applicationId, monthlyIncomeFen });

  before(async function () {
    const config = await suite.config({
      overrides: {
        users: [
          ...usersFor(TOKENS),
          { user: "test.approver2", role: "approver", tokenSha256: tokenSha256(SECOND_APPROVER) },
        ],
      },
    });
    node = await suite.node({
      config,
      wallet: suite.chain.wallets.branchA,
      now: () => new Date(Date.now() + clockOffsetMs),
    });
    await node.start();
  });

  it("the committed default policy is in force as version 1, anchored; an admin's next version replaces it, any other version or a bad one is refused", async function () {
    const current = await inject("GET", "/v1/credit-policy", as("clerk"));
    expect(current.statusCode, current.body).to.equal(200);
    const body = current.json() as { policy: CreditPolicy; anchor: { leafHash: string } };
    expect(body.policy).to.deep.equal(defaultPolicy());
    expect(body.anchor.leafHash).to.match(/^0x[0-9a-f]{64}$/);
    const skipped = await inject("PUT", "/v1/credit-policy", as("admin"), { ...defaultPolicy(), version: 3 });
    expect(skipped.statusCode).to.equal(409);
    expect((skipped.json() as { error: { code: string; details: unknown } }).error).to.deep.include({
      code: "NODE_ERR_POLICY_VERSION",
      details: { current: 1, given: 3 },
    });
    const bad = await inject("PUT", "/v1/credit-policy", as("admin"), {
      ...defaultPolicy(),
      version: 2,
      referBelowScore: 200,
    });
    expect(bad.statusCode).to.equal(422);
    expect((bad.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_BAD_POLICY");
    const byApprover = await inject("PUT", "/v1/credit-policy", as("approver"), {
      ...defaultPolicy(),
      version: 2,
    });
    expect(byApprover.statusCode).to.equal(403);
    // nothing of the refused ones took effect
    expect(
      ((await inject("GET", "/v1/credit-policy", as("clerk"))).json() as { policy: { version: number } })
        .policy.version,
    ).to.equal(1);
    await putPolicy({});
    const replaced = (await inject("GET", "/v1/credit-policy", as("clerk"))).json() as {
      policy: { version: number };
      anchor: { leafHash: string };
    };
    expect(replaced.policy.version).to.equal(2);
    expect(replaced.anchor.leafHash).to.not.equal(body.anchor.leafHash);
  });

  it("a decision without a credit query of the borrower is refused (NODE_ERR_CREDIT_QUERY_STALE) and records nothing", async function () {
    const applicationId = await submittedApplication("JDB-DECISION-NO-QUERY");
    const refused = await run(applicationId);
    expect(refused.statusCode, refused.body).to.equal(409);
    expect((refused.json() as { error: { code: string } }).error.code).to.equal(
      "NODE_ERR_CREDIT_QUERY_STALE",
    );
    // nothing queued, nothing recorded (the next test queries this same borrower and decides)
    const queue = (await inject("GET", "/v1/decisions/queue", as("clerk"))).json() as { waiting: unknown[] };
    expect(queue.waiting).to.deep.equal([]);
  });

  it("approves automatically: an anchored record (automatic, the approver who ran it, the policy version); a second run is refused", async function () {
    const applicationId = await queriedApplication("JDB-DECISION-APPROVE");
    const reply = await run(applicationId);
    expect(reply.statusCode, reply.body).to.equal(200);
    const { record } = reply.json() as { record: Record_ };
    expect(record).to.deep.include({
      outcome: "approve",
      reasons: [],
      mode: "automatic",
      decidedBy: ["test.approver"],
      policyVersion: version,
    });
    expect(record.notice).to.equal(undefined);
    const read = await inject("GET", `/v1/decisions/${record.decisionId}`, as("clerk"));
    expect(read.statusCode).to.equal(200);
    expect((read.json() as Record_).anchor.leafHash).to.equal(record.anchor.leafHash);
    const again = await run(applicationId, "1");
    expect(again.statusCode).to.equal(409);
    expect((again.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_DECISION_EXISTS");
  });

  it("declines with the reasons a borrower is told and a decline notice in Chinese and English", async function () {
    const applicationId = await queriedApplication("JDB-DECISION-DECLINE");
    const reply = await run(applicationId, "0");
    expect(reply.statusCode, reply.body).to.equal(200);
    const { record } = reply.json() as { record: Record_ };
    expect(record.outcome).to.equal("decline");
    expect(record.reasons).to.deep.equal(["INCOME_NOT_VERIFIED"]);
    expect(record.notice!.reasons.map((r) => r.code)).to.deep.equal(["INCOME_NOT_VERIFIED"]);
    expect(record.notice!.zh).to.include("未能核实收入");
    expect(record.notice!.en).to.include("income could not be verified");
    // a decline is final: not in the review queue, no manual answer
    const answer = await inject("POST", `/v1/decisions/queue/${applicationId}`, as("approver"), {
      outcome: "approve",
    });
    expect(answer.statusCode).to.equal(409);
    expect((answer.json() as { error: { code: string } }).error.code).to.equal(
      "NODE_ERR_DECISION_NOT_REFERRED",
    );
  });

  it("refers a large loan to the review queue; an approver's manual approval is a new record answering the referral", async function () {
    // 50,000 yuan: above referAbovePrincipalFen, below the dual-approval threshold
    await putPolicy({ referAbovePrincipalFen: "4000000", dualApprovalAboveFen: "30000000" });
    const applicationId = await queriedApplication("JDB-DECISION-REFER");
    const reply = await run(applicationId);
    expect(reply.statusCode, reply.body).to.equal(200);
    const referred = reply.json() as { record: Record_; review: { needsSecondApprover: boolean } };
    expect(referred.record).to.deep.include({ outcome: "refer", reasons: ["LARGE_AMOUNT"] });
    expect(referred.review).to.deep.equal({ needsSecondApprover: false });
    const queue = (await inject("GET", "/v1/decisions/queue", as("clerk"))).json() as {
      waiting: Array<{ applicationId: string; referral: string }>;
    };
    expect(queue.waiting.map((w) => [w.applicationId, w.referral])).to.deep.equal([
      [applicationId, referred.record.decisionId],
    ]);
    const byClerk = await inject("POST", `/v1/decisions/queue/${applicationId}`, as("clerk"), {
      outcome: "approve",
    });
    expect(byClerk.statusCode).to.equal(403);
    const answer = await inject("POST", `/v1/decisions/queue/${applicationId}`, as("approver"), {
      outcome: "approve",
    });
    expect(answer.statusCode, answer.body).to.equal(200);
    const { record } = answer.json() as { record: Record_ & { answers: string } };
    expect(record).to.deep.include({
      outcome: "approve",
      mode: "manual",
      decidedBy: ["test.approver"],
      answers: referred.record.decisionId,
    });
    expect(
      ((await inject("GET", "/v1/decisions/queue", as("clerk"))).json() as { waiting: unknown[] }).waiting,
    ).to.deep.equal([]);
  });

  it("maker-checker: above the threshold the first approval is held, the same approver again is refused, a different approver completes it", async function () {
    await putPolicy({ referAbovePrincipalFen: "4000000", dualApprovalAboveFen: "4000000" });
    const applicationId = await queriedApplication("JDB-DECISION-MAKER-CHECKER");
    const referred = (await run(applicationId)).json() as {
      record: Record_;
      review: { needsSecondApprover: boolean };
    };
    expect(referred.review).to.deep.equal({ needsSecondApprover: true });
    const maker = await inject("POST", `/v1/decisions/queue/${applicationId}`, as("approver"), {
      outcome: "approve",
    });
    expect(maker.statusCode, maker.body).to.equal(200);
    expect(maker.json()).to.deep.equal({ awaiting: { approvedBy: ["test.approver"] } });
    const twice = await inject("POST", `/v1/decisions/queue/${applicationId}`, as("approver"), {
      outcome: "approve",
    });
    expect(twice.statusCode).to.equal(409);
    expect((twice.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_SAME_APPROVER");
    const checker = await inject("POST", `/v1/decisions/queue/${applicationId}`, second, {
      outcome: "approve",
    });
    expect(checker.statusCode, checker.body).to.equal(200);
    const { record } = checker.json() as { record: Record_ };
    expect(record).to.deep.include({
      outcome: "approve",
      mode: "manual",
      decidedBy: ["test.approver", "test.approver2"],
    });
  });

  it("a referral declined by an approver carries the approver's reasons and the notice", async function () {
    const applicationId = await queriedApplication("JDB-DECISION-MANUAL-DECLINE");
    await run(applicationId);
    const answer = await inject("POST", `/v1/decisions/queue/${applicationId}`, as("approver"), {
      outcome: "decline",
      reasons: ["DEBT_TO_INCOME_TOO_HIGH"],
    });
    expect(answer.statusCode, answer.body).to.equal(200);
    const { record } = answer.json() as { record: Record_ };
    expect(record).to.deep.include({
      outcome: "decline",
      mode: "manual",
      reasons: ["DEBT_TO_INCOME_TOO_HIGH"],
    });
    expect(record.notice!.reasons.map((r) => r.code)).to.deep.equal(["DEBT_TO_INCOME_TOO_HIGH"]);
  });
  describe("approval (POST /v1/loans) needs an approving decision, a fresh credit query and its consent", function () {
    const approve = async (applicationId: string, extra: Record<string, unknown> = {}) =>
      inject("POST", "/v1/loans", as("approver"), {
        applicationId,
        contractBase64: Buffer.from(`借款合同 ${applicationId}`).toString("base64"),
        platformShareBps: 0,
        startDate: await chainToday(suite.chain),
        ...extra,
      });
    const codeOf = (reply: { json(): unknown }) => (reply.json() as { error: { code: string } }).error.code;
    const outboxOf = (serial: string) => inject("GET", `/v1/outbox/${serial}`, as("approver"));
    /** Approval of the application refused (409) with `code`, and nothing queued under its serial. */
    async function expectApprovalRefused(applicationId: string, code: string, serial: string): Promise<void> {
      const refused = await approve(applicationId);
      expect(refused.statusCode, refused.body).to.equal(409);
      expect(codeOf(refused)).to.equal(code);
      expect((await outboxOf(serial)).statusCode).to.equal(404);
    }

    before(async function () {
      await putPolicy({});
    });

    afterEach(function () {
      clockOffsetMs = 0;
    });

    it("without a consent there is no query and no decision, and approval is refused (NODE_ERR_DECISION_REQUIRED), writing nothing", async function () {
      const applicationId = await submittedApplication("JDB-GATE-NO-CONSENT");
      await expectApprovalRefused(applicationId, "NODE_ERR_DECISION_REQUIRED", "JDB-GATE-NO-CONSENT");
    });

    it("a declined or a referred, unreviewed application is refused (NODE_ERR_DECISION_DECLINED / _REQUIRED)", async function () {
      const declined = await queriedApplication("JDB-GATE-DECLINED");
      await run(declined, "0");
      const refused = await approve(declined);
      expect(refused.statusCode).to.equal(409);
      expect(codeOf(refused)).to.equal("NODE_ERR_DECISION_DECLINED");
      await putPolicy({ referAbovePrincipalFen: "4000000" });
      const referred = await queriedApplication("JDB-GATE-REFERRED");
      expect(((await run(referred)).json() as { record: Record_ }).record.outcome).to.equal("refer");
      const waiting = await approve(referred);
      expect(waiting.statusCode).to.equal(409);
      expect(codeOf(waiting)).to.equal("NODE_ERR_DECISION_REQUIRED");
      // the approver's manual approval opens the way
      await inject("POST", `/v1/decisions/queue/${referred}`, as("approver"), { outcome: "approve" });
      const approved = await approve(referred);
      expect(approved.statusCode, approved.body).to.equal(200);
      await putPolicy({});
    });

    it("registers the consent its credit query was made under, whatever leaf the caller names: another leaf is refused (NODE_ERR_CONSENT_MISMATCH)", async function () {
      const applicationId = await queriedApplication("JDB-GATE-APPROVED");
      const { record } = (await run(applicationId)).json() as {
        record: Record_ & { consentLeafHash: string };
      };
      expect(record.outcome).to.equal("approve");
      const forged = await approve(applicationId, { consentLeafHash: `0x${"c0".repeat(32)}` });
      expect(forged.statusCode).to.equal(409);
      expect(codeOf(forged)).to.equal("NODE_ERR_CONSENT_MISMATCH");
      expect((await outboxOf("JDB-GATE-APPROVED")).statusCode).to.equal(404);
      const approved = await approve(applicationId);
      expect(approved.statusCode, approved.body).to.equal(200);
      const body = approved.json() as { serial: string; decisionId: string; consentLeafHash: string };
      expect(body.decisionId).to.equal(record.decisionId);
      const entry = (await outboxOf(body.serial)).json() as { args: { terms: { consentLeaf: string } } };
      expect(entry.args.terms.consentLeaf).to.equal(record.consentLeafHash);
      expect(body.consentLeafHash).to.equal(record.consentLeafHash);
    });

    it("a decision on a credit query older than the policy's freshness window is refused at approval (NODE_ERR_CREDIT_QUERY_STALE)", async function () {
      const applicationId = await queriedApplication("JDB-GATE-STALE");
      expect(((await run(applicationId)).json() as { record: Record_ }).record.outcome).to.equal("approve");
      clockOffsetMs = (defaultPolicy().reportFreshnessDays + 1) * 86_400_000;
      await expectApprovalRefused(applicationId, "NODE_ERR_CREDIT_QUERY_STALE", "JDB-GATE-STALE");
    });

    it("a consent that expired after the decision is refused at approval (NODE_ERR_DECISION_CONSENT)", async function () {
      const applicationId = await submittedApplication("JDB-GATE-CONSENT-EXPIRED");
      // the borrower's latest letter, valid for one day: the query is made under it
      const signedAt = new Date(Date.now() - 60_000);
      const consent = await inject("POST", "/v1/consents", as("clerk"), {
        applicationId,
        letterBase64: Buffer.from("授权书 one day").toString("base64"),
        signedAt: signedAt.toISOString(),
        validUntil: new Date(signedAt.getTime() + 86_400_000).toISOString(),
        scope: ["LOAN_APPROVAL"],
      });
      expect(consent.statusCode, consent.body).to.equal(200);
      expect(
        (
          await inject("POST", "/v1/credit-queries", as("approver"), {
            applicationId,
            purpose: "LOAN_APPROVAL",
          })
        ).statusCode,
      ).to.equal(200);
      const { record } = (await run(applicationId)).json() as {
        record: Record_ & { consentLeafHash: string };
      };
      expect(record.consentLeafHash).to.equal(
        (consent.json() as { consent: { leafHash: string } }).consent.leafHash,
      );
      clockOffsetMs = 2 * 86_400_000;
      await expectApprovalRefused(applicationId, "NODE_ERR_DECISION_CONSENT", "JDB-GATE-CONSENT-EXPIRED");
    });
  });
});
