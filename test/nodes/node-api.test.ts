// The institution node's API with app.inject(), over a real chain (Anvil) and a real anchor
// service listening on a port: a platform's application is converted and routed to the
// borrower's branch, stored encrypted, shown masked; the borrower's consent is stored and
// anchored before the credit query, which is anchored too; roles are enforced; an application is
// credited to the member that authenticated it; a refused forward keeps nothing; refused API
// tokens are rate-limited per address.
import { expect } from "chai";
import { Contract, toUtf8Bytes, hexlify } from "ethers";
import pino from "pino";
import { FailedTokenLimiter } from "../../nodes/src/http/auth.ts";
import { PII_LOG_REDACT } from "../../nodes/src/privacy/mask.ts";
import { join } from "node:path";
import { createNodeService, type NodeService } from "../../nodes/src/service.ts";
import { approvingDecision, injectAs } from "../support/credit-decision.ts";
import { MEMBERS } from "../support/consortium-chain.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { approveAssistedLoan, chainToday, consentDates, SETTLEMENT } from "../support/institution-node.ts";
import { jiedaibaoPayload, PERSONAL } from "../support/channel-fixtures.ts";
import { CLERK_APPROVER_TOKENS, okBody, reconcileBooks, callsAs } from "../support/node-calls.ts";
import { NODE_SUBLEVELS } from "../../nodes/src/keys.ts";

/** The nodes' clock. */
const CLOCK = Date.parse("2026-11-22T02:05:30Z");

describe("institution node API (inject) with a real chain and anchor service", function () {
  this.timeout(120_000);
  const logLines: string[] = [];
  // the node logs as in production (info, personal data redacted) into a buffer the privacy test reads
  const logger = pino(
    { level: "info", redact: PII_LOG_REDACT },
    { write: (line: string) => void logLines.push(line) },
  );
  const suite = lendingSuite("node-api-", {
    branch: { tokens: CLERK_APPROVER_TOKENS, start: "sender", logger, now: () => new Date(CLOCK) },
  });
  const { as, api, ok } = callsAs(CLERK_APPROVER_TOKENS);

  it("converts, routes to the borrower's branch, stores encrypted and masks for a clerk", async function () {
    const reply = await api(suite.branch, "clerk", "POST", "/v1/applications/jiedaibao", jiedaibaoPayload());
    expect(reply.statusCode, reply.body).to.equal(200);
    const body = reply.json() as {
      applicationId: string;
      assignedBranch: number;
      borrowerKey: string;
      application: { borrower: { name: string; idNumber: string } };
    };
    expect(body.assignedBranch).to.equal(MEMBERS.branchA);
    expect(body.borrowerKey).to.match(/^0x[0-9a-f]{64}$/);
    expect(body.application.borrower.idNumber).to.equal("110***********002X");
    expect(body.application.borrower.name).to.not.equal("张伟");
    const approver = (
      await api(suite.branch, "approver", "GET", `/v1/applications/${body.applicationId}`)
    ).json() as { application: { borrower: { idNumber: string } } };
    expect(approver.application.borrower.idNumber).to.equal("11010519491231002X");
    // nothing personal in the node's database outside the encrypted values
    const rootDb = suite.branch.root as unknown as {
      iterator(o: unknown): AsyncIterable<[string, Uint8Array]>;
    };
    for await (const [key, value] of rootDb.iterator({ keyEncoding: "utf8", valueEncoding: "view" })) {
      const text = `${key} ${Buffer.from(value).toString("utf8")}`;
      for (const personal of PERSONAL)
        expect(text.includes(personal), `${personal} in ${key}`).to.equal(false);
    }
  });

  it("refuses an application from a region no branch serves, and unauthenticated or under-privileged callers", async function () {
    const elsewhere = jiedaibaoPayload();
    elsewhere.jiekuanren.zhengjian.haoma = "330106198805121536";
    const refused = await api(suite.branch, "clerk", "POST", "/v1/applications/jiedaibao", elsewhere);
    expect(refused.statusCode).to.equal(422);
    expect((refused.json() as { error: { code: string } }).error.code).to.equal(
      "NODE_ERR_NO_BRANCH_FOR_REGION",
    );
    const anonymous = await suite.branch.app.inject({
      method: "POST",
      url: "/v1/applications/jiedaibao",
      payload: jiedaibaoPayload(),
    });
    expect((anonymous.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_AUTH");
    const clerkQuery = await api(suite.branch, "clerk", "POST", "/v1/credit-queries", {
      applicationId: "app_000000000000000000000000",
      purpose: "LOAN_APPROVAL",
    });
    expect(clerkQuery.statusCode).to.equal(403);
    expect((clerkQuery.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_ROLE");
    const unknownChannel = await api(suite.branch, "clerk", "POST", "/v1/applications/nosuch", {});
    expect((unknownChannel.json() as { error: { code: string } }).error.code).to.equal(
      "NODE_ERR_UNKNOWN_CHANNEL",
    );
  });

  it("refuses a credit query without consent, then anchors the consent before the query and the query itself", async function () {
    const created = (
      await api(suite.branch, "clerk", "POST", "/v1/applications/jiedaibao", jiedaibaoPayload())
    ).json() as { applicationId: string };
    const early = await api(suite.branch, "approver", "POST", "/v1/credit-queries", {
      applicationId: created.applicationId,
      purpose: "LOAN_APPROVAL",
    });
    expect((early.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_CONSENT_REQUIRED");
    const letter = Buffer.from("授权书 — signed PDF bytes").toString("base64");
    const { consent: consentLeaf } = await ok<{ consent: { leafHash: string; sequence: number } }>(
      suite.branch,
      "clerk",
      "POST",
      "/v1/consents",
      {
        applicationId: created.applicationId,
        letterBase64: letter,
        ...consentDates(CLOCK),
        scope: ["LOAN_APPROVAL"],
      },
    );
    const result = await ok<{ queryLeafHash: string; querySequence: number; consentLeafHash: string }>(
      suite.branch,
      "approver",
      "POST",
      "/v1/credit-queries",
      { applicationId: created.applicationId, purpose: "LOAN_APPROVAL" },
    );
    expect(result.consentLeafHash).to.equal(consentLeaf.leafHash);
    expect(result.querySequence).to.be.greaterThan(consentLeaf.sequence);
    // both are in the anchor service's log
    for (const leaf of [consentLeaf.leafHash, result.queryLeafHash]) {
      expect(
        (await suite.anchor.app.inject({ method: "GET", url: `/v1/leaves/${leaf}` })).statusCode,
      ).to.equal(200);
    }
  });

  it("approves an assisted loan, registers, disburses and repays it on chain through the outbox; the index and reconciliation agree", async function () {
    // the chain's today (Asia/Shanghai) is the loan's start day: disbursement happens on it
    const { approved, startDate: start } = await approveAssistedLoan(suite.branch, suite.chain, as, {
      letter: "授权书 2",
      contract: "借款合同 signed",
    });
    const { loanId, serial, schedule } = okBody<{
      loanId: string;
      serial: string;
      schedule: Array<{ principalFen: string; interestFen: string; totalFen: string }>;
    }>(approved);
    await waitConfirmed(serial);
    await ok(suite.branch, "clerk", "POST", `/v1/loans/${loanId}/disbursements`, {
      serial: "DSB-0001",
      amountFen: "5000000",
      accountHash: SETTLEMENT,
    });
    await waitConfirmed("DSB-0001");
    await ok(suite.branch, "clerk", "POST", `/v1/loans/${loanId}/repayments`, {
      serial: "RPY-0001",
      amountFen: schedule[0]!.totalFen,
    });
    await waitConfirmed("RPY-0001");
    await suite.branch.indexer.syncOnce();
    const loan = (await api(suite.branch, "clerk", "GET", `/v1/loans/${loanId}`)).json() as {
      state: string;
      disbursedFen: string;
      principalRepaidFen: string;
    };
    expect(loan.state).to.equal("Active");
    expect(loan.disbursedFen).to.equal("5000000");
    expect(loan.principalRepaidFen).to.equal(schedule[0]!.principalFen);
    // the branch's core-banking books for the day reconcile with zero differences
    const books = [
      "serial,loan_id,type,amount,value_date,account_masked",
      `DSB-0001,${loanId},disbursement,50000.00,${start},**** **** **** 6789`,
      `RPY-0001,${loanId},repayment,${(Number(schedule[0]!.totalFen) / 100).toFixed(2)},${start},**** **** **** 6789`,
    ].join("\n");
    const report = await reconcileBooks(suite.branch, as("clerk"), start, books);
    expect(report.matched, JSON.stringify(report)).to.equal(2);
    expect(report.balanced).to.equal(true);
    // 征信报送: the loan is listed with its balance, not overdue
    const month = start.slice(0, 7);
    const credit = await api(suite.branch, "approver", "GET", `/v1/credit-report?month=${month}`);
    expect(credit.statusCode, credit.body).to.equal(200);
    const line = credit.body.split("\n").find((l) => l.includes(loanId));
    expect(line, credit.body).to.not.equal(undefined);
    expect(line).to.contain(((5_000_000 - Number(schedule[0]!.principalFen)) / 100).toFixed(2));
  });

  it("lets the assigned court's node fetch a case's documents with its chain key, and nobody else", async function () {
    const { signRequest, requestDomain } = await import("../../common/auth/request-signing.ts");
    const loans = (await api(suite.branch, "clerk", "GET", "/v1/loans?state=Active")).json() as {
      loans: Array<{ loanId: string }>;
    };
    const loanId = loans.loans[0]!.loanId;
    const fetchAs = async (wallet: typeof suite.chain.wallets.court) => {
      const path = `/v1/cases/${loanId}/documents`;
      const headers = await signRequest(
        wallet,
        requestDomain(suite.chain.chainId, suite.chain.deployment.addresses.consortiumRegistry),
        { method: "GET", path, body: "", target: MEMBERS.branchA },
      );
      lastHeaders = { path, headers };
      return suite.branch.app.inject({ method: "GET", url: path, headers });
    };
    let lastHeaders: { path: string; headers: Record<string, string> } = { path: "", headers: {} };
    // no case yet: even the court is refused
    const early = await fetchAs(suite.chain.wallets.court);
    expect((early.json() as { error: { code: string } }).error.code, early.body).to.equal(
      "NODE_ERR_FORBIDDEN",
    );
    // the loan goes 20 days overdue, a keeper escalates, the union assigns the court
    const lendingDisputes = new Contract(
      suite.lending.addresses.disputeResolution,
      ["function escalate(bytes32) returns (uint8)", "function assignCourt(bytes32,uint32)"],
      suite.chain.wallets.unionOps,
    );
    const schedule = (await api(suite.branch, "clerk", "GET", `/v1/loans/${loanId}`)).json() as {
      startDay: number;
    };
    // the first installment was repaid: the second (due about 61 days in) is the one that goes late
    const target = (schedule.startDay + 61 + 20) * 86_400 - 8 * 3600 + 10 * 3600;
    const now = (await suite.chain.anvil.provider.getBlock("latest"))!.timestamp;
    await suite.chain.anvil.provider.send("evm_increaseTime", [target - now]);
    await suite.chain.anvil.provider.send("evm_mine", []);
    await (await lendingDisputes.getFunction("escalate")(loanId)).wait();
    await (await lendingDisputes.getFunction("assignCourt")(loanId, MEMBERS.court)).wait();
    await suite.branch.indexer.syncOnce();
    // ten identical signed fetches at once: exactly one is served, nine are replays
    const samePath = `/v1/cases/${loanId}/documents`;
    const sameHeaders = await signRequest(
      suite.chain.wallets.court,
      requestDomain(suite.chain.chainId, suite.chain.deployment.addresses.consortiumRegistry),
      { method: "GET", path: samePath, body: "", target: MEMBERS.branchA },
    );
    const concurrent = await Promise.all(
      Array.from({ length: 10 }, () =>
        suite.branch.app.inject({ method: "GET", url: samePath, headers: sameHeaders }),
      ),
    );
    expect(
      concurrent.filter((r) => r.statusCode === 200).length,
      concurrent.map((r) => r.statusCode).join(" "),
    ).to.equal(1);
    expect(
      concurrent.filter((r) => (r.json() as { error?: { code: string } }).error?.code === "NODE_ERR_AUTH")
        .length,
    ).to.equal(9);
    const fetched = await fetchAs(suite.chain.wallets.court);
    expect(fetched.statusCode, fetched.body).to.equal(200);
    const docs = (
      fetched.json() as { documents: Array<{ kind: string; sha256: string; bytesBase64: string }> }
    ).documents;
    expect(docs.map((d) => d.kind).sort()).to.include.members(["contract", "voucher"]);
    expect(docs.find((d) => d.kind === "contract")!.bytesBase64).to.equal(
      Buffer.from("借款合同 signed").toString("base64"),
    );
    const replay = await suite.branch.app.inject({
      method: "GET",
      url: lastHeaders.path,
      headers: lastHeaders.headers,
    });
    expect((replay.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_AUTH");
    const unsigned = await suite.branch.app.inject({ method: "GET", url: lastHeaders.path });
    expect(unsigned.statusCode).to.equal(401);
    expect(
      (unsigned.json() as { error: { code: string; details: { auth: string } } }).error.details.auth,
    ).to.equal("AUTH_MISSING_HEADERS");
    // another member's key is refused; a replayed request is refused
    const stranger = await fetchAs(suite.chain.wallets.branchB);
    expect((stranger.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_ROLE");
  });

  async function waitConfirmed(serial: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const entry = (await api(suite.branch, "clerk", "GET", `/v1/outbox/${serial}`)).json() as {
        state: string;
        failure?: unknown;
      };
      if (entry.state === "confirmed") return;
      if (entry.state === "failed") throw new Error(`${serial} failed: ${JSON.stringify(entry.failure)}`);
      if (Date.now() > deadline) throw new Error(`${serial} still ${entry.state}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A node of another member on the same chain and anchor, in memory, with `directory`. */
  async function memberNode(
    member: "union" | "platform",
    name: string,
    directory: Record<string, string>,
  ): Promise<NodeService> {
    const kind =
      member === "union"
        ? { memberId: MEMBERS.union, memberKind: "union" as const }
        : { memberId: MEMBERS.platform, memberKind: "platform" as const };
    return createNodeService({
      config: { ...suite.baseConfig, ...kind, dataDir: join(suite.dir, name), directory },
      inMemory: true,
      logger: false,
      wallet: member === "union" ? suite.chain.wallets.unionOps : suite.chain.wallets.platform,
      now: () => new Date(CLOCK),
    });
  }

  /**
   * The union's node, listening and forwarding to `branchUrl` as branch A's node, and a
   * platform's node that knows only the union's (their files in the folders `names`).
   */
  async function unionAndPlatform(names: [string, string], branchUrl: string) {
    const union = await memberNode("union", names[0], { [String(MEMBERS.branchA)]: branchUrl });
    const unionUrl = await union.app.listen({ host: "127.0.0.1", port: 0 });
    const platform = await memberNode("platform", names[1], { [String(MEMBERS.union)]: unionUrl });
    return { union, platform };
  }

  /** How many applications `service` holds. */
  async function applicationCount(service: NodeService): Promise<number> {
    return (await service.root.sublevel(NODE_SUBLEVELS.applications.name).keys().all()).length;
  }

  let branchUrl: string;

  it("a platform submits through its own node, signed to the union's, which routes it to the branch: credited to that platform", async function () {
    branchUrl = await suite.branch.app.listen({ host: "127.0.0.1", port: 0 });
    const { union, platform } = await unionAndPlatform(["union", "platform"], branchUrl);
    try {
      const reply = await api(platform, "clerk", "POST", "/v1/applications/jiedaibao", jiedaibaoPayload());
      expect(reply.statusCode, reply.body).to.equal(200);
      const routed = reply.json() as {
        applicationId: string;
        assignedBranch: number;
        submittedTo: { member: number; applicationId: string };
        forwardedTo: { member: number; applicationId: string };
      };
      expect(routed.assignedBranch).to.equal(MEMBERS.branchA);
      expect(routed.submittedTo.member).to.equal(MEMBERS.union);
      expect(routed.forwardedTo.member).to.equal(MEMBERS.branchA);
      // every node on the way keeps its own copy, credited to the platform that signed it
      const credited = async (at: NodeService, applicationId: string) =>
        (
          (await api(at, "approver", "GET", `/v1/applications/${applicationId}`)).json() as {
            application: { platformMemberId: number };
          }
        ).application.platformMemberId;
      expect(await credited(suite.branch, routed.forwardedTo.applicationId)).to.equal(MEMBERS.platform);
      expect(await credited(union, routed.submittedTo.applicationId)).to.equal(MEMBERS.platform);
      expect(await credited(platform, routed.applicationId)).to.equal(MEMBERS.platform);

      const { signRequest, requestDomain } = await import("../../common/auth/request-signing.ts");
      const domain = requestDomain(suite.chain.chainId, suite.chain.deployment.addresses.consortiumRegistry);
      const body = JSON.stringify(jiedaibaoPayload());
      const signedPost = async (
        to: NodeService,
        wallet: typeof suite.chain.wallets.branchB,
        path: string,
        target: number,
      ) =>
        to.app.inject({
          method: "POST",
          url: path,
          headers: {
            "content-type": "application/json",
            ...(await signRequest(wallet, domain, { method: "POST", path, body, target })),
          },
          payload: body,
        });
      // a branch cannot submit as a platform; a platform cannot name itself the credited member of a forward
      expect(
        (
          await signedPost(
            union,
            suite.chain.wallets.branchB,
            "/v1/platform-applications/jiedaibao",
            MEMBERS.union,
          )
        ).json(),
      ).to.have.nested.property("error.code", "NODE_ERR_ROLE");
      const platformPath = "/v1/platform-applications/jiedaibao?platform=5";
      const named = await signedPost(union, suite.chain.wallets.platform, platformPath, MEMBERS.union);
      expect(named.statusCode, named.body).to.equal(400);
      expect((named.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_VALIDATION");
      // only the union's node takes platforms' applications
      const atBranch = await signedPost(
        suite.branch,
        suite.chain.wallets.platform,
        "/v1/platform-applications/jiedaibao",
        MEMBERS.branchA,
      );
      expect((atBranch.json() as { error: { code: string } }).error.code).to.equal(
        "NODE_ERR_WRONG_MEMBER_KIND",
      );
      // a forwarded application signed by a non-union key is refused
      const forwardPath = "/v1/forwarded-applications/jiedaibao?platform=4";
      expect(
        (await signedPost(suite.branch, suite.chain.wallets.branchB, forwardPath, MEMBERS.branchA)).json(),
      ).to.have.nested.property("error.code", "NODE_ERR_ROLE");
      expect(
        (await signedPost(suite.branch, suite.chain.wallets.platform, forwardPath, MEMBERS.branchA)).json(),
      ).to.have.nested.property("error.code", "NODE_ERR_ROLE");
    } finally {
      await platform.close();
      await union.close();
    }
  });

  it("a union clerk cannot credit an application to a platform (?platform= refused); its own application is the union's", async function () {
    const union = await memberNode("union", "union-clerk", { [String(MEMBERS.branchA)]: branchUrl });
    try {
      const atBranch = await applicationCount(suite.branch);
      for (const platform of ["3", "4", "5", "999"]) {
        const refused = await api(
          union,
          "clerk",
          "POST",
          `/v1/applications/jiedaibao?platform=${platform}`,
          jiedaibaoPayload(),
        );
        expect(refused.statusCode, refused.body).to.equal(400);
        expect((refused.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_VALIDATION");
      }
      expect(await applicationCount(union)).to.equal(0);
      expect(await applicationCount(suite.branch)).to.equal(atBranch);
      const payload = jiedaibaoPayload();
      payload.shenqingBianhao = "JDB20261122000777"; // a fresh application id: it is the loan's outbox serial
      const { forwardedTo } = await ok<{ forwardedTo: { applicationId: string } }>(
        union,
        "clerk",
        "POST",
        "/v1/applications/jiedaibao",
        payload,
      );
      const copy = (
        await api(suite.branch, "approver", "GET", `/v1/applications/${forwardedTo.applicationId}`)
      ).json() as { application: { platformMemberId: number } };
      expect(copy.application.platformMemberId).to.equal(MEMBERS.union);
      const letter = {
        applicationId: forwardedTo.applicationId,
        letterBase64: Buffer.from("授权书 (union)").toString("base64"),
        ...consentDates(CLOCK),
        scope: ["LOAN_APPROVAL"],
      };
      expect((await api(suite.branch, "clerk", "POST", "/v1/consents", letter)).statusCode).to.equal(200);
      await approvingDecision(injectAs(suite.branch.app, as), forwardedTo.applicationId);
      // no platform brought it: no platform share, and the loan registers with no platform (the union is no co-funder)
      const startDate = await chainToday(suite.chain);
      const approve = (platformShareBps: number) =>
        suite.branch.app.inject({
          method: "POST",
          url: "/v1/loans",
          headers: as("approver"),
          payload: {
            applicationId: forwardedTo.applicationId,
            contractBase64: Buffer.from("借款合同 (union)").toString("base64"),
            platformShareBps,
            startDate,
          },
        });
      const joint = await approve(3000);
      expect(joint.statusCode, joint.body).to.equal(400);
      expect((joint.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_VALIDATION");
      const assisted = await approve(0);
      expect(assisted.statusCode, assisted.body).to.equal(200);
      const { loanId, serial } = assisted.json() as { loanId: string; serial: string };
      const entry = (await api(suite.branch, "clerk", "GET", `/v1/outbox/${serial}`)).json() as {
        args: { terms: { platform: number; originator: number } };
      };
      expect(entry.args.terms).to.include({ platform: 0, originator: MEMBERS.union });
      await waitConfirmed(serial);
      // the refused joint approval stored no contract
      const contracts = (
        await suite.branch.documents.listByLoan(loanId, {
          userId: "test.admin",
          role: "admin",
          memberId: MEMBERS.branchA,
        })
      ).filter((d) => d.kind === "contract");
      expect(contracts.length).to.equal(1);
    } finally {
      await union.close();
    }
  });

  it("a node whose forward is refused keeps nothing: no copy at the union's node, none at the platform's", async function () {
    // branch A's entry in the union's directory points at the anchor service, which answers 404
    const anchorUrl = suite.baseConfig.anchorUrl;
    const { union, platform } = await unionAndPlatform(["union-refused", "platform-refused"], anchorUrl);
    try {
      const byClerk = await api(union, "clerk", "POST", "/v1/applications/jiedaibao", jiedaibaoPayload());
      expect(byClerk.statusCode, byClerk.body).to.equal(502);
      expect((byClerk.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_PEER_REFUSED");
      const byPlatform = await api(
        platform,
        "clerk",
        "POST",
        "/v1/applications/jiedaibao",
        jiedaibaoPayload(),
      );
      expect(byPlatform.statusCode, byPlatform.body).to.equal(502);
      expect(byPlatform.json()).to.have.nested.property("error.details.code", "NODE_ERR_PEER_REFUSED");
      expect(await applicationCount(union), "the union's node kept the borrower's application").to.equal(0);
      expect(
        await applicationCount(platform),
        "the platform's node kept the borrower's application",
      ).to.equal(0);
    } finally {
      await platform.close();
      await union.close();
    }
    // with no union node to reach at all, the same
    const { freePort } = await import("../support/anvil.ts");
    const stranded = await memberNode("platform", "platform-stranded", {
      [String(MEMBERS.union)]: `http://127.0.0.1:${await freePort()}`,
    });
    try {
      const unreachable = await api(
        stranded,
        "clerk",
        "POST",
        "/v1/applications/jiedaibao",
        jiedaibaoPayload(),
      );
      expect(unreachable.statusCode, unreachable.body).to.equal(503);
      expect((unreachable.json() as { error: { code: string } }).error.code).to.equal(
        "NODE_ERR_PEER_UNAVAILABLE",
      );
      expect(await applicationCount(stranded)).to.equal(0);
    } finally {
      await stranded.close();
    }
  });

  it("rate-limits refused API tokens per source address (429, Retry-After) and logs them without the token", async function () {
    const attacker = "203.0.113.7";
    const guess = (n: number) => `guessed-token-${n}`;
    const from = (remoteAddress: string, headers: Record<string, string>) =>
      suite.branch.app.inject({ method: "GET", url: "/v1/loans", remoteAddress, headers });
    // requests without a token are not token attempts: never limited
    for (let i = 0; i < 12; i++) expect((await from(attacker, {})).statusCode).to.equal(401);
    for (let i = 0; i < 10; i++) {
      const refused = await from(attacker, { authorization: `Bearer ${guess(i)}` });
      expect(refused.statusCode).to.equal(401);
      expect((refused.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_AUTH");
    }
    // the 11th attempt, even with a valid token, waits
    for (const authorization of [`Bearer ${guess(10)}`, as("clerk").authorization]) {
      const limited = await from(attacker, { authorization });
      expect(limited.statusCode, limited.body).to.equal(429);
      expect((limited.json() as { error: { code: string } }).error.code).to.equal(
        "NODE_ERR_AUTH_RATE_LIMITED",
      );
      const retryAfter = Number(limited.headers["retry-after"]);
      expect(retryAfter).to.be.within(1, 60);
    }
    // other addresses are not affected
    expect((await from("198.51.100.20", as("clerk"))).statusCode).to.equal(200);
    // each refusal was logged with its address, and no token appears in the log
    const refusals = logLines.filter((l) => l.includes("API token refused"));
    expect(refusals.length).to.equal(10);
    expect(refusals.every((l) => l.includes(attacker))).to.equal(true);
    for (let i = 0; i <= 10; i++)
      expect(
        logLines.some((l) => l.includes(guess(i))),
        `token ${guess(i)} logged`,
      ).to.equal(false);
    expect(logLines.some((l) => l.includes(CLERK_APPROVER_TOKENS.clerk))).to.equal(false);
  });

  it("answers the indexed ledger's read routes and reconciles an empty day", async function () {
    await suite.branch.indexer.syncOnce();
    const loans = await api(suite.branch, "clerk", "GET", "/v1/loans?state=Settled");
    expect(loans.statusCode).to.equal(200);
    expect((loans.json() as { loans: unknown[] }).loans).to.deep.equal([]);
    const csv = "serial,loan_id,type,amount,value_date,account_masked\n";
    const report = await suite.branch.app.inject({
      method: "POST",
      url: "/v1/reconciliations?day=2026-01-01",
      headers: { ...as("clerk"), "content-type": "text/csv" },
      payload: csv,
    });
    expect(report.statusCode, report.body).to.equal(200);
    expect(report.json()).to.have.property("matched");
  });

  it("leaves no borrower name, ID number, phone or account in any transaction's calldata, any event or any log line", async function () {
    expect(logLines.length, "the node logged the scenario").to.be.greaterThan(0);
    const provider = suite.chain.anvil.provider;
    const latest = await provider.getBlockNumber();
    const haystack: string[] = [...logLines];
    for (let n = 0; n <= latest; n++) {
      const block = await provider.getBlock(n, true);
      for (const tx of block!.prefetchedTransactions) {
        haystack.push(tx.data.toLowerCase());
        const receipt = await provider.getTransactionReceipt(tx.hash);
        for (const log of receipt!.logs) haystack.push([...log.topics, log.data].join("").toLowerCase());
      }
    }
    expect(haystack.length).to.be.greaterThan(50);
    for (const personal of PERSONAL) {
      const asHex = hexlify(toUtf8Bytes(personal)).slice(2).toLowerCase();
      for (const text of haystack) {
        if (text.includes(personal) || text.includes(asHex))
          expect.fail(`${personal} found in ${text.slice(0, 120)}`);
      }
    }
  });
});

describe("FailedTokenLimiter (refused API tokens per address, sliding window)", function () {
  it("refuses an address after maxFailures in the window, counts down Retry-After, and lets it in once the oldest refusal leaves", function () {
    let now = 1_000_000;
    const limiter = new FailedTokenLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterSeconds("a")).to.equal(0);
      limiter.fail("a");
      now += 10_000;
    }
    // refusals at 0 s, 10 s, 20 s; now 30 s: the first leaves the window at 60 s
    expect(limiter.retryAfterSeconds("a")).to.equal(30);
    expect(limiter.retryAfterSeconds("b")).to.equal(0);
    now += 29_000;
    expect(limiter.retryAfterSeconds("a")).to.equal(1);
    now += 1_000;
    expect(limiter.retryAfterSeconds("a")).to.equal(0);
    // one more refusal fills the window again (10 s, 20 s, 60 s): blocked until 70 s
    limiter.fail("a");
    expect(limiter.retryAfterSeconds("a")).to.equal(10);
  });

  it("keeps at most maxAddresses addresses, dropping expired ones first", function () {
    let now = 0;
    const limiter = new FailedTokenLimiter({
      maxFailures: 1,
      windowMs: 1_000,
      maxAddresses: 2,
      now: () => now,
    });
    limiter.fail("old");
    now = 5_000;
    limiter.fail("x");
    limiter.fail("y"); // "old" has expired and goes; x and y stay blocked
    expect(limiter.retryAfterSeconds("x")).to.equal(1);
    expect(limiter.retryAfterSeconds("y")).to.equal(1);
    limiter.fail("z"); // all recent: the oldest entry (x) makes room
    expect(limiter.retryAfterSeconds("x")).to.equal(0);
    expect(limiter.retryAfterSeconds("z")).to.equal(1);
  });
});
