// Credit-query logs whose anchoring failed are anchored later (credit-service/pending.ts): with the
// anchor service refusing a node's submissions, the union's log of a branch's ask and the branch's
// own query log stay pending — stored, never lost — and once the anchor service takes submissions
// again the node's pass anchors them; the union's pending log also survives the node being stopped
// and started again on its data directory.
import { expect } from "chai";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Wallet } from "ethers";
import type { NodeConfig } from "../../nodes/src/config.ts";
import { createNodeService, type NodeService } from "../../nodes/src/service.ts";
import { MEMBERS } from "../support/consortium-chain.ts";
import { jiedaibaoPayload } from "../support/channel-fixtures.ts";
import { consentDates } from "../support/institution-node.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { STAFF_TOKENS, callsAs } from "../support/node-calls.ts";

/** A proxy in front of the anchor service that, while `blocked`, refuses every submission (503) and still serves reads. */
async function blockableAnchor(
  target: string,
): Promise<{ url: string; blocked: boolean; close(): Promise<void> }> {
  const upstream = new URL(target);
  const state = { blocked: false };
  const server: Server = createServer((req, res) => {
    if (state.blocked && req.method === "POST") {
      req.resume();
      res.writeHead(503, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ error: { code: "ANCHOR_ERR_STORAGE_UNAVAILABLE", message: "blocked by the test" } }),
      );
      return;
    }
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

describe("credit-query logs whose anchoring failed are anchored once the anchor service is back", function () {
  this.timeout(120_000);
  const suite = lendingSuite("node-credit-pending-");
  const { api, ok } = callsAs(STAFF_TOKENS);
  const directory: Record<string, string> = {};
  let unionAnchor: Awaited<ReturnType<typeof blockableAnchor>>;
  let branchAnchor: Awaited<ReturnType<typeof blockableAnchor>>;
  let base: NodeConfig;
  let union: NodeService;
  let branch: NodeService;

  // the first union node is closed by the test itself, the second by the suite
  const unionNode = (make: typeof suite.node = (o) => suite.node(o)) =>
    make({
      config: {
        ...base,
        memberId: MEMBERS.union,
        memberKind: "union",
        dataDir: join(suite.dir, "union"),
        anchorUrl: unionAnchor.url,
        directory,
      },
      wallet: suite.chain.wallets.unionOps as Wallet,
      // on disk: the pending log must outlive the process
      inMemory: false,
    });

  before(async function () {
    base = await suite.config({ tokens: STAFF_TOKENS });
    unionAnchor = await blockableAnchor(suite.anchorUrl);
    branchAnchor = await blockableAnchor(suite.anchorUrl);
    union = await unionNode((o) => createNodeService({ logger: false, ...o }));
    branch = await suite.node({
      config: {
        ...base,
        dataDir: join(suite.dir, "branch"),
        anchorUrl: branchAnchor.url,
        creditQueryVia: "union",
        directory,
      },
      wallet: suite.chain.wallets.branchA,
    });
    directory[String(MEMBERS.union)] = await union.app.listen({ host: "127.0.0.1", port: 0 });
    directory[String(MEMBERS.branchA)] = await branch.app.listen({ host: "127.0.0.1", port: 0 });
  });

  after(async function () {
    await unionAnchor?.close();
    await branchAnchor?.close();
  });

  /** An application at the branch with the borrower's consent anchored; its id and borrower key. */
  async function consentedApplication(id: string) {
    const payload = jiedaibaoPayload();
    payload.shenqingBianhao = id;
    const { applicationId, borrowerKey } = await ok<{ applicationId: string; borrowerKey: string }>(
      branch,
      "clerk",
      "POST",
      "/v1/applications/jiedaibao",
      payload,
    );
    await ok(branch, "clerk", "POST", "/v1/consents", {
      applicationId,
      letterBase64: Buffer.from(`授权书 ${id}`).toString("base64"),
      ...consentDates(),
      scope: ["LOAN_APPROVAL"],
    });
    return { applicationId, borrowerKey };
  }

  const query = (applicationId: string) =>
    api(branch, "approver", "POST", "/v1/credit-queries", { applicationId, purpose: "LOAN_APPROVAL" });
  /** The engine's decision on the application, with an income no debt-to-income rule refuses. */
  const decide = (applicationId: string) =>
    api(branch, "approver", "POST", "/v1/decisions", { applicationId, monthlyIncomeFen: "1000000000" });
  const leafKnown = async (leafHash: string) =>
    (await suite.anchor.app.inject({ method: "GET", url: `/v1/leaves/${leafHash}` })).statusCode === 200;

  it("the union's log of a branch's ask, pending through an outage and a restart of the union's node, is anchored afterwards", async function () {
    const { applicationId, borrowerKey } = await consentedApplication("JDB-PENDING-UNION");
    unionAnchor.blocked = true;
    const refused = await query(applicationId);
    expect(refused.statusCode, refused.body).to.not.equal(200);
    // the bureau was asked and the ask is logged, but nothing of it is anchored
    const [pending, ...more] = await union.creditService!.logsOf(borrowerKey);
    expect(more).to.deep.equal([]);
    expect(pending!.anchor).to.equal(undefined);
    // still refused: the pass finds it and fails again, keeping it pending
    expect(await union.pendingAnchoring.runOnce()).to.equal(0);
    expect((await union.creditService!.logsOf(borrowerKey))[0]!.anchor).to.equal(undefined);

    // the union's node stops with the log pending and starts again once the anchor service is back
    await union.close();
    unionAnchor.blocked = false;
    union = await unionNode();
    directory[String(MEMBERS.union)] = await union.app.listen({ host: "127.0.0.1", port: 0 });
    expect(await union.pendingAnchoring.runOnce()).to.equal(1);
    const [anchored] = await union.creditService!.logsOf(borrowerKey);
    expect(anchored!.digest).to.equal(pending!.digest);
    expect(await leafKnown(anchored!.anchor!.leafHash)).to.equal(true);
    await suite.anchor.committer.runOnce();
    const bundle = await suite.anchor.app.inject({
      method: "GET",
      url: `/v1/bundles/${anchored!.anchor!.leafHash}`,
    });
    expect(bundle.statusCode, bundle.body).to.equal(200);
    expect(await union.pendingAnchoring.runOnce()).to.equal(0);
  });

  it("the branch's own query log, pending while its anchoring fails, is anchored afterwards and then serves the credit decision", async function () {
    const { applicationId, borrowerKey } = await consentedApplication("JDB-PENDING-BRANCH");
    branchAnchor.blocked = true;
    const refused = await query(applicationId);
    expect(refused.statusCode, refused.body).to.not.equal(200);
    const logs = () =>
      branch.ops.credit.deps.creditQuery.queryLogs
        .values({ gt: `${borrowerKey}!`, lt: `${borrowerKey}!~` })
        .all();
    const [pending] = await logs();
    expect(pending!.anchor).to.equal(undefined);
    // an unanchored query serves no decision
    const stale = await decide(applicationId);
    expect((stale.json() as { error?: { code: string } }).error?.code).to.equal(
      "NODE_ERR_CREDIT_QUERY_STALE",
    );

    branchAnchor.blocked = false;
    expect(await branch.pendingAnchoring.runOnce()).to.equal(1);
    const [anchored] = await logs();
    expect(await leafKnown(anchored!.anchor!.leafHash)).to.equal(true);
    const decided = await decide(applicationId);
    expect(decided.statusCode, decided.body).to.equal(200);
  });
});
