// The union's credit-query service (征信查询系统单元) over Anvil: branches' nodes query the bureau
// through the union's node with signed requests carrying their consent; platforms' and courts'
// nodes are refused; one borrower gets one report, whichever branch asks; the fallback channel
// answers when the primary is down, and the union's anchored log says which channel did.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Wallet } from "ethers";
import { queryWithConsent } from "../../nodes/src/bureau/consent.ts";
import { BureauSimulator } from "../../nodes/src/bureau/simulator.ts";
import type { NodeConfig } from "../../nodes/src/config.ts";
import { UNION_CREDIT_QUERY_PATH } from "../../nodes/src/credit-service/union-client.ts";
import type { UnionCreditService } from "../../nodes/src/credit-service/union-credit.ts";
import { toHex } from "../../common/bytes.ts";
import { DigestAlgorithm, EvidenceKind, leafHashOf } from "../../common/formats/leaf/leaf.ts";
import { PeerNodes } from "../../nodes/src/peers.ts";
import type { NodeService } from "../../nodes/src/service.ts";
import { MEMBERS } from "../support/consortium-chain.ts";
import { jiedaibaoPayload } from "../support/channel-fixtures.ts";
import { AMPLE_MONTHLY_INCOME_FEN } from "../support/credit-decision.ts";
import { consentAt, consentDates } from "../support/institution-node.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { STAFF_TOKENS, expectRefusal, callsAs } from "../support/node-calls.ts";

const borrower = () => `0x${randomBytes(32).toString("hex")}`;
const DAY = 86_400_000;

describe("the union's credit-query service: branches query through the union's node", function () {
  this.timeout(120_000);
  const suite = lendingSuite("node-credit-service-");
  let union: NodeService;
  let branchA: NodeService;
  let branchB: NodeService;
  let platform: NodeService;
  const primary = new BureauSimulator({ seed: "union-primary", latencyMs: 1, notFoundRate: 0 });
  const fallback = new BureauSimulator({ seed: "union-fallback", latencyMs: 1, notFoundRate: 0 });
  const directory: Record<string, string> = {};
  const { api, ok } = callsAs(STAFF_TOKENS);
  let unionService: UnionCreditService;
  /** Branch A's application queried through the union in the first test, and that query's leaf. */
  let queried: { applicationId: string; queryLeafHash: string; borrowerKey: string };

  before(async function () {
    const base: NodeConfig = await suite.config({ tokens: STAFF_TOKENS });
    const node = (
      name: string,
      kind: Partial<NodeConfig>,
      wallet: Wallet,
      extra: { bureau?: BureauSimulator; bureauFallback?: BureauSimulator } = {},
    ) =>
      suite.node({
        config: { ...base, ...kind, dataDir: join(suite.dir, name), directory },
        wallet,
        ...extra,
      });
    union = await node(
      "union",
      { memberId: MEMBERS.union, memberKind: "union" },
      suite.chain.wallets.unionOps,
      {
        bureau: primary,
        bureauFallback: fallback,
      },
    );
    branchA = await node("branchA", { creditQueryVia: "union" }, suite.chain.wallets.branchA);
    branchB = await node(
      "branchB",
      { memberId: MEMBERS.branchB, creditQueryVia: "union" },
      suite.chain.wallets.branchB,
    );
    platform = await node(
      "platform",
      { memberId: MEMBERS.platform, memberKind: "platform" },
      suite.chain.wallets.platform,
    );
    for (const [member, svc] of [
      [MEMBERS.union, union],
      [MEMBERS.branchA, branchA],
      [MEMBERS.branchB, branchB],
      [MEMBERS.platform, platform],
    ] as const) {
      directory[String(member)] = await svc.app.listen({ host: "127.0.0.1", port: 0 });
    }
    unionService = union.creditService!;
  });

  const signedBy = (wallet: Wallet) =>
    new PeerNodes({
      signer: wallet,
      directory,
      chainId: async () => suite.chain.chainId,
      registryAddress: async () => suite.chain.deployment.addresses.consortiumRegistry,
    });

  /** A recorded consent as a branch shows it to the union: its anchored leaf and what the leaf commits to. */
  const shownConsent = (anchored: Awaited<ReturnType<typeof consentAt>>) => ({
    leafHash: anchored.anchor.leafHash,
    letterDigest: anchored.letterDigest,
    salt: anchored.salt,
    signedAt: anchored.signedAt,
    validUntil: anchored.validUntil,
    scope: anchored.scope,
  });
  /** A credit query sent straight to the union's node, signed by `wallet`. */
  const queryUnion = (wallet: Wallet, body: Record<string, unknown>) =>
    signedBy(wallet).request(MEMBERS.union, "POST", UNION_CREDIT_QUERY_PATH, body);

  it("a branch's credit query goes through the union: the union checks the consent, queries the bureau and anchors its log; the branch logs and anchors its own", async function () {
    const submitted = await api(branchA, "clerk", "POST", "/v1/applications/jiedaibao", jiedaibaoPayload());
    const { applicationId } = submitted.json() as { applicationId: string };
    await ok(branchA, "clerk", "POST", "/v1/consents", {
      applicationId,
      letterBase64: Buffer.from("授权书 union query").toString("base64"),
      ...consentDates(),
      scope: ["LOAN_APPROVAL"],
    });
    const before = primary.stats.received;
    const result = await ok<{
      reportDigest: string;
      queryLeafHash: string;
      consentLeafHash: string;
      documentId: string;
    }>(branchA, "approver", "POST", "/v1/credit-queries", { applicationId, purpose: "LOAN_APPROVAL" });
    expect(primary.stats.received).to.equal(before + 1);
    // the branch's own query log, as a direct query writes it (the decision's freshness check reads it)
    const borrowerKey = (await branchA.ops.credit.deps.applications.get(applicationId)).borrowerKey;
    const branchLogs = await branchA.ops.credit.deps.creditQuery.queryLogs
      .values({ gt: `${borrowerKey}!`, lt: `${borrowerKey}!~` })
      .all();
    expect(branchLogs).to.have.length(1);
    expect(branchLogs[0]!.anchor?.leafHash).to.equal(result.queryLeafHash);
    expect(branchLogs[0]!.entry.reportDigest).to.equal(result.reportDigest);
    // the union's log of the ask: branch A, under that consent, from the primary channel
    queried = { applicationId, queryLeafHash: result.queryLeafHash, borrowerKey };
    const unionLogs = await unionService.logsOf(borrowerKey);
    expect(
      unionLogs.map((l) => [
        l.entry.asker,
        l.entry.channel,
        l.entry.cached,
        l.entry.consentLeafHash,
        l.entry.reportDigest,
      ]),
    ).to.deep.equal([[MEMBERS.branchA, "primary", false, result.consentLeafHash, result.reportDigest]]);
    for (const leaf of [unionLogs[0]!.anchor!.leafHash, result.queryLeafHash]) {
      expect(
        (await suite.anchor.app.inject({ method: "GET", url: `/v1/leaves/${leaf}` })).statusCode,
      ).to.equal(200);
    }
    // the credit decision reads the report the union answered, as it reads one queried directly
    const decision = await ok<{ record: { queryLeafHash: string } }>(
      branchA,
      "approver",
      "POST",
      "/v1/decisions",
      {
        applicationId,
        monthlyIncomeFen: AMPLE_MONTHLY_INCOME_FEN,
      },
    );
    expect(decision.record.queryLeafHash).to.equal(result.queryLeafHash);
  });

  it("one borrower gets one report: a second branch asking within the window gets the union's report, logged with its own name", async function () {
    const key = borrower();
    await consentAt(branchA, key);
    await consentAt(branchB, key);
    const before = primary.stats.received + fallback.stats.received;
    const first = await queryWithConsent(
      { borrowerKey: key, purpose: "LOAN_APPROVAL", operator: "officer.a" },
      branchA.ops.credit.deps.creditQuery,
    );
    const second = await queryWithConsent(
      { borrowerKey: key, purpose: "LOAN_APPROVAL", operator: "officer.b" },
      branchB.ops.credit.deps.creditQuery,
    );
    expect(primary.stats.received + fallback.stats.received).to.equal(before + 1);
    expect(second.reportDigest).to.equal(first.reportDigest);
    expect(second.report.reportId).to.equal(first.report.reportId);
    const logs = await unionService.logsOf(key);
    expect(logs.map((l) => [l.entry.asker, l.entry.who, l.entry.cached])).to.deep.equal([
      [MEMBERS.branchA, "officer.a", false],
      [MEMBERS.branchB, "officer.b", true],
    ]);
    // past the union's freshness window (30 days) the next ask queries the bureau again
    const cached = (await unionService.deps.reports.get(key))!;
    await unionService.deps.reports.put(key, {
      ...cached,
      queriedAt: new Date(Date.now() - 31 * DAY).toISOString(),
    });
    const third = await queryWithConsent(
      { borrowerKey: key, purpose: "LOAN_APPROVAL", operator: "officer.b" },
      branchB.ops.credit.deps.creditQuery,
    );
    expect(primary.stats.received + fallback.stats.received).to.equal(before + 2);
    expect(third.report.reportId).to.not.equal(first.report.reportId);
    expect((await unionService.logsOf(key)).map((l) => l.entry.cached)).to.deep.equal([false, true, false]);
  });

  it("uses the fallback channel when the primary is down, and the union's log records it", async function () {
    const key = borrower();
    await consentAt(branchA, key);
    primary.setMode("outage");
    try {
      const before = fallback.stats.served;
      const answer = await queryWithConsent(
        { borrowerKey: key, purpose: "LOAN_APPROVAL", operator: "officer.a" },
        branchA.ops.credit.deps.creditQuery,
      );
      expect(fallback.stats.served).to.equal(before + 1);
      const logs = await unionService.logsOf(key);
      expect(logs.map((l) => [l.entry.channel, l.entry.reportDigest])).to.deep.equal([
        ["fallback", answer.reportDigest],
      ]);
    } finally {
      primary.setMode("normal");
    }
  });

  it("refuses a platform's and a court's node (NODE_ERR_ROLE), and a platform node's own query (NODE_ERR_CREDIT_QUERY_NOT_ALLOWED), writing nothing", async function () {
    const key = borrower();
    const anchored = await consentAt(branchA, key);
    const body = {
      borrowerKey: key,
      purpose: "LOAN_APPROVAL",
      operator: "someone",
      consent: shownConsent(anchored),
    };
    for (const wallet of [suite.chain.wallets.platform, suite.chain.wallets.court]) {
      const reply = await queryUnion(wallet, body);
      expect(reply.status, JSON.stringify(reply.body)).to.equal(403);
      expect((reply.body as { error: { code: string } }).error.code).to.equal("NODE_ERR_ROLE");
    }
    const own = await queryWithConsent(
      { borrowerKey: key, purpose: "LOAN_APPROVAL", operator: "p" },
      platform.ops.credit.deps.creditQuery,
    ).then(
      () => undefined,
      (e: unknown) => e as { code: string },
    );
    expect(own?.code).to.equal("NODE_ERR_CREDIT_QUERY_NOT_ALLOWED");
    expect(await unionService.logsOf(key)).to.deep.equal([]);
  });

  it("refuses a consent that is not the leaf the branch anchored (another salt), and one the anchor service never saw", async function () {
    const key = borrower();
    const anchored = await consentAt(branchA, key);
    const consent = shownConsent(anchored);
    const before = primary.stats.received;
    const nonces = async () => (await union.ops.requests.deps.nonces.keys().all()).length;
    const noncesBefore = await nonces();
    const forged = await queryUnion(suite.chain.wallets.branchA, {
      borrowerKey: key,
      purpose: "LOAN_APPROVAL",
      operator: "x",
      consent: { ...consent, salt: `0x${"11".repeat(32)}` },
    });
    expect(forged.status).to.equal(403);
    expect((forged.body as { error: { code: string } }).error.code).to.equal("NODE_ERR_CONSENT_REQUIRED");
    // branch A's consent shown by branch B: not the leaf B would have anchored
    const elsewhere = await queryUnion(suite.chain.wallets.branchB, {
      borrowerKey: key,
      purpose: "LOAN_APPROVAL",
      operator: "x",
      consent,
    });
    expect((elsewhere.body as { error: { code: string } }).error.code).to.equal("NODE_ERR_CONSENT_REQUIRED");
    // a well-formed leaf for another letter that was never anchored
    const salt = `0x${"22".repeat(32)}`;
    const letterDigest = `0x${"33".repeat(32)}`;
    const leafHash = toHex(
      leafHashOf({
        version: 1,
        kind: EvidenceKind.Consent,
        digestAlgorithm: DigestAlgorithm.Sha256,
        digest: letterDigest,
        salt,
        submitter: MEMBERS.branchA,
        subject: key,
      }),
    );
    const unanchored = await queryUnion(suite.chain.wallets.branchA, {
      borrowerKey: key,
      purpose: "LOAN_APPROVAL",
      operator: "x",
      consent: { ...consent, salt, letterDigest, leafHash },
    });
    expect(unanchored.status).to.equal(403);
    expect((unanchored.body as { error: { message: string } }).error.message).to.match(/is not anchored/);
    expect(primary.stats.received).to.equal(before);
    expect(await unionService.logsOf(key)).to.deep.equal([]);
    // a field the request does not define (a name, an ID number) is refused, not passed on
    const extra = await queryUnion(suite.chain.wallets.branchA, {
      borrowerKey: key,
      purpose: "LOAN_APPROVAL",
      operator: "x",
      consent,
      name: "张三",
    });
    expect(extra.status).to.equal(400);
    // refused before the nonce is spent: nothing written, not even that
    expect(await nonces()).to.equal(noncesBefore);
  });

  it("a credit objection (征信异议): filed at the branch and anchored, sent to the union, answered by the union's admin and anchored; the branch reads the answer", async function () {
    const unknown = await api(branchA, "clerk", "POST", "/v1/credit-objections", {
      applicationId: queried.applicationId,
      queryLeafHash: `0x${"44".repeat(32)}`,
      entry: "account 1",
      reason: "不是我的贷款",
    });
    expectRefusal(unknown, 404, { code: "NODE_ERR_OBJECTION_UNKNOWN_QUERY" });
    const objection = await ok<{ objectionId: string; anchor: { leafHash: string } }>(
      branchA,
      "clerk",
      "POST",
      "/v1/credit-objections",
      {
        applicationId: queried.applicationId,
        queryLeafHash: queried.queryLeafHash,
        entry: "account 1",
        reason: "这笔贷款不是我的 (not my loan)",
      },
    );
    expect(
      (await suite.anchor.app.inject({ method: "GET", url: `/v1/leaves/${objection.anchor.leafHash}` }))
        .statusCode,
    ).to.equal(200);

    // at the union: the admin sees it with its text; another role may not
    expect((await api(union, "approver", "GET", "/v1/union/credit-objections")).statusCode).to.equal(403);
    const listed = (await api(union, "admin", "GET", "/v1/union/credit-objections")).json() as {
      objections: { objectionId: string; branch: number; objection: { reason: string } }[];
    };
    const atUnion = listed.objections.find((o) => o.objectionId === objection.objectionId);
    expect(atUnion?.branch).to.equal(MEMBERS.branchA);
    expect(atUnion?.objection.reason).to.equal("这笔贷款不是我的 (not my loan)");
    // another branch cannot read it
    const other = await signedBy(suite.chain.wallets.branchB).request(
      MEMBERS.union,
      "GET",
      `/v1/union/credit-objections/${objection.objectionId}`,
    );
    expect((other.body as { error: { code: string } }).error.code).to.equal("NODE_ERR_OBJECTION_NOT_FOUND");

    expect(await unionService.deps.reports.get(queried.borrowerKey)).to.not.equal(undefined);
    const answerUrl = `/v1/union/credit-objections/${objection.objectionId}/answer`;
    const answered = await ok<{ answer: { answerLeafHash: string } }>(union, "admin", "POST", answerUrl, {
      outcome: "upheld",
      answer: "经核实，该账户记录有误，已提请征信中心更正",
    });
    const answerLeaf = answered.answer.answerLeafHash;
    expect(
      (await suite.anchor.app.inject({ method: "GET", url: `/v1/leaves/${answerLeaf}` })).statusCode,
    ).to.equal(200);
    // upheld: the union's report is dropped, so the next query asks the bureau again
    expect(await unionService.deps.reports.get(queried.borrowerKey)).to.equal(undefined);
    const again = await api(union, "admin", "POST", answerUrl, { outcome: "rejected", answer: "x" });
    expectRefusal(again, 409, { code: "NODE_ERR_OBJECTION_ANSWERED" });

    const atBranch = (
      await api(branchA, "clerk", "GET", `/v1/credit-objections?applicationId=${queried.applicationId}`)
    ).json() as {
      objections: {
        objectionId: string;
        answer?: { outcome: string; answerLeafHash: string };
        answerText?: string;
      }[];
    };
    expect(
      atBranch.objections.map((o) => [
        o.objectionId,
        o.answer?.outcome,
        o.answer?.answerLeafHash,
        o.answerText,
      ]),
    ).to.deep.equal([
      [objection.objectionId, "upheld", answerLeaf, "经核实，该账户记录有误，已提请征信中心更正"],
    ]);
  });
});
