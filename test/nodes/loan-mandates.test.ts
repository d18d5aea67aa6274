// Mandates through the nodes' APIs over a real Anvil chain: branch A's admin lets the union's
// operations account service one registered loan (POST /v1/loans/:loanId/mandates, grantMandate
// through the outbox). Without the mandate — before it, and after DELETE revoked it — the union's
// node refuses to cancel the loan (403 NODE_ERR_NO_MANDATE, nothing in its outbox); with it, the
// union's node cancels the loan on chain. An agent that is not another active member's operations
// account, an expiry in the past and another branch's loan are refused before anything is written.
import { expect } from "chai";
import { type NodeService } from "../../nodes/src/service.ts";
import { MEMBERS } from "../support/consortium-chain.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { approveAssistedLoan } from "../support/institution-node.ts";
import { STAFF_TOKENS, callsAs, expectRefusal, okBody } from "../support/node-calls.ts";

describe("node API: mandates let another member's node service one loan", function () {
  this.timeout(180_000);
  const suite = lendingSuite("node-mandates-", { branch: { tokens: STAFF_TOKENS } });
  let union: NodeService;
  const { as, api } = callsAs(STAFF_TOKENS);

  before(async function () {
    const unionConfig = await suite.config({
      tokens: STAFF_TOKENS,
      sub: "union",
      overrides: { memberId: MEMBERS.union, memberKind: "union" },
    });
    union = await suite.node({ config: unionConfig, wallet: suite.chain.wallets.unionOps });
    await union.start();
  });

  async function chainNow(): Promise<number> {
    return (await suite.chain.anvil.provider.getBlock("latest"))!.timestamp;
  }

  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

  async function unionCancels(loanId: string) {
    return api(union, "approver", "POST", `/v1/loans/${loanId}/cancellation`, { reasonCode: 7 });
  }

  /** A mandate for `agent` until `expiresAt` (seconds) asked of `node` by `role` (the reply is the caller's to check). */
  const grant = (node: NodeService, role: "clerk" | "admin", url: string, agent: string, expiresAt: number) =>
    api(node, role, "POST", url, { agent, expiresAt: iso(expiresAt) });

  it("the union's node cancels the loan only while it holds the branch's mandate", async function () {
    const { approved } = await approveAssistedLoan(suite.branch, suite.chain, as, {
      letter: "授权书 MANDATE",
      contract: "借款合同 MANDATE",
    });
    const { loanId, serial } = okBody<{ loanId: string; serial: string }>(approved);
    const registered = await suite.branch.outbox.settled(serial, 20_000);
    expect(registered.state, JSON.stringify(registered)).to.equal("confirmed");
    const agent = suite.chain.wallets.unionOps.address.toLowerCase();
    const mandateUrl = `/v1/loans/${loanId}/mandates`;

    // no mandate: refused before anything is written
    expectRefusal(await unionCancels(loanId), 403, { code: "NODE_ERR_NO_MANDATE" });
    expect(await union.outbox.status(`cancel:${loanId}`)).to.equal(undefined);
    const none = okBody(await api(suite.branch, "clerk", "GET", `${mandateUrl}/${agent}`));
    expect(none).to.deep.equal({ loanId, agent, branch: null, expiresAt: null, active: false });

    // refused grants: not another member's operations account, an expiry already past, a clerk
    const countBefore = (await suite.branch.outbox.list()).length;
    for (const [who, code, status] of [
      [suite.chain.wallets.outsider.address, "NODE_ERR_BAD_MANDATE_AGENT", 422],
      [suite.chain.wallets.branchA.address, "NODE_ERR_BAD_MANDATE_AGENT", 422],
    ] as const) {
      const reply = await grant(suite.branch, "admin", mandateUrl, who, (await chainNow()) + 86_400);
      expectRefusal(reply, status, { code });
    }
    const past = await grant(suite.branch, "admin", mandateUrl, agent, (await chainNow()) - 60);
    expectRefusal(past, 400, { code: "NODE_ERR_VALIDATION" });
    const byClerk = await grant(suite.branch, "clerk", mandateUrl, agent, (await chainNow()) + 86_400);
    expect(byClerk.statusCode, byClerk.body).to.equal(403);
    // the union's node cannot grant a mandate for branch A's loan
    const branchB = suite.chain.wallets.branchB.address;
    const foreign = await grant(union, "admin", mandateUrl, branchB, (await chainNow()) + 86_400);
    expectRefusal(foreign, 409, { code: "NODE_ERR_WRONG_MEMBER_KIND" });
    expect((await suite.branch.outbox.list()).length).to.equal(countBefore);

    // granted, then revoked: still refused
    const expiresAt = (await chainNow()) + 86_400;
    const granted = okBody<{ mandate: unknown }>(
      await grant(suite.branch, "admin", mandateUrl, agent, expiresAt),
    );
    expect(granted.mandate).to.deep.equal({
      loanId,
      agent,
      branch: MEMBERS.branchA,
      expiresAt: iso(expiresAt),
      active: true,
    });
    const [onChainBranch, onChainExpiry] = (await suite.lending.ledger.getFunction("mandate")(
      loanId,
      agent,
    )) as [bigint, bigint];
    expect([Number(onChainBranch), Number(onChainExpiry)]).to.deep.equal([MEMBERS.branchA, expiresAt]);
    const revoke = () => api(suite.branch, "admin", "DELETE", `${mandateUrl}/${agent}`);
    const revoked = okBody<{ mandate: { active: boolean } }>(await revoke());
    expect(revoked.mandate.active).to.equal(false);
    expectRefusal(await revoke(), 404, { code: "NODE_ERR_NOT_FOUND" }); // nothing left to revoke
    expectRefusal(await unionCancels(loanId), 403, { code: "NODE_ERR_NO_MANDATE" });

    // granted again: the union's node cancels the loan on chain
    okBody(await grant(suite.branch, "admin", mandateUrl, agent, expiresAt + 3600));
    const cancelled = await unionCancels(loanId);
    expect(cancelled.statusCode, cancelled.body).to.equal(200);
    expect(
      Number(((await suite.lending.ledger.getFunction("loan")(loanId)) as { state: bigint }).state),
    ).to.equal(4); // Cancelled
  });
});
