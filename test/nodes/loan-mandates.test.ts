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
import { approveAssistedLoan, bearerAs } from "../support/institution-node.ts";

const TOKENS = { clerk: "clerk-token-1", approver: "approver-token-1", admin: "admin-token-1" } as const;

describe("node API: mandates let another member's node service one loan", function () {
  this.timeout(180_000);
  const suite = lendingSuite("node-mandates-", { branch: { tokens: TOKENS } });
  let union: NodeService;
  const as = bearerAs(TOKENS);

  before(async function () {
    const unionConfig = await suite.config({
      tokens: TOKENS,
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
    return union.app.inject({
      method: "POST",
      url: `/v1/loans/${loanId}/cancellation`,
      headers: as("approver"),
      payload: { reasonCode: 7 },
    });
  }

  it("the union's node cancels the loan only while it holds the branch's mandate", async function () {
    const { approved } = await approveAssistedLoan(suite.branch, suite.chain, as, {
      letter: "授权书 MANDATE",
      contract: "借款合同 MANDATE",
    });
    expect(approved.statusCode, approved.body).to.equal(200);
    const { loanId, serial } = approved.json() as { loanId: string; serial: string };
    const registered = await suite.branch.outbox.settled(serial, 20_000);
    expect(registered.state, JSON.stringify(registered)).to.equal("confirmed");
    const agent = suite.chain.wallets.unionOps.address.toLowerCase();
    const mandateUrl = `/v1/loans/${loanId}/mandates`;

    // no mandate: refused before anything is written
    const before = await unionCancels(loanId);
    expect(before.statusCode, before.body).to.equal(403);
    expect(before.json()).to.have.nested.property("error.code", "NODE_ERR_NO_MANDATE");
    expect(await union.outbox.status(`cancel:${loanId}`)).to.equal(undefined);
    const none = await suite.branch.app.inject({
      method: "GET",
      url: `${mandateUrl}/${agent}`,
      headers: as("clerk"),
    });
    expect(none.statusCode, none.body).to.equal(200);
    expect(none.json()).to.deep.equal({ loanId, agent, branch: null, expiresAt: null, active: false });

    // refused grants: not another member's operations account, an expiry already past, a clerk
    const countBefore = (await suite.branch.outbox.list()).length;
    for (const [who, code, status] of [
      [suite.chain.wallets.outsider.address, "NODE_ERR_BAD_MANDATE_AGENT", 422],
      [suite.chain.wallets.branchA.address, "NODE_ERR_BAD_MANDATE_AGENT", 422],
    ] as const) {
      const reply = await suite.branch.app.inject({
        method: "POST",
        url: mandateUrl,
        headers: as("admin"),
        payload: { agent: who, expiresAt: iso((await chainNow()) + 86_400) },
      });
      expect(reply.statusCode, reply.body).to.equal(status);
      expect(reply.json()).to.have.nested.property("error.code", code);
    }
    const past = await suite.branch.app.inject({
      method: "POST",
      url: mandateUrl,
      headers: as("admin"),
      payload: { agent, expiresAt: iso((await chainNow()) - 60) },
    });
    expect(past.statusCode, past.body).to.equal(400);
    expect(past.json()).to.have.nested.property("error.code", "NODE_ERR_VALIDATION");
    const byClerk = await suite.branch.app.inject({
      method: "POST",
      url: mandateUrl,
      headers: as("clerk"),
      payload: { agent, expiresAt: iso((await chainNow()) + 86_400) },
    });
    expect(byClerk.statusCode, byClerk.body).to.equal(403);
    // the union's node cannot grant a mandate for branch A's loan
    const foreign = await union.app.inject({
      method: "POST",
      url: mandateUrl,
      headers: as("admin"),
      payload: { agent: suite.chain.wallets.branchB.address, expiresAt: iso((await chainNow()) + 86_400) },
    });
    expect(foreign.statusCode, foreign.body).to.equal(409);
    expect(foreign.json()).to.have.nested.property("error.code", "NODE_ERR_WRONG_MEMBER_KIND");
    expect((await suite.branch.outbox.list()).length).to.equal(countBefore);

    // granted, then revoked: still refused
    const expiresAt = (await chainNow()) + 86_400;
    const granted = await suite.branch.app.inject({
      method: "POST",
      url: mandateUrl,
      headers: as("admin"),
      payload: { agent, expiresAt: iso(expiresAt) },
    });
    expect(granted.statusCode, granted.body).to.equal(200);
    expect((granted.json() as { mandate: unknown }).mandate).to.deep.equal({
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
    const revoked = await suite.branch.app.inject({
      method: "DELETE",
      url: `${mandateUrl}/${agent}`,
      headers: as("admin"),
    });
    expect(revoked.statusCode, revoked.body).to.equal(200);
    expect((revoked.json() as { mandate: { active: boolean } }).mandate.active).to.equal(false);
    const again = await suite.branch.app.inject({
      method: "DELETE",
      url: `${mandateUrl}/${agent}`,
      headers: as("admin"),
    });
    expect(again.statusCode, again.body).to.equal(404); // nothing left to revoke
    expect(again.json()).to.have.nested.property("error.code", "NODE_ERR_NOT_FOUND");
    const afterRevoke = await unionCancels(loanId);
    expect(afterRevoke.statusCode, afterRevoke.body).to.equal(403);
    expect(afterRevoke.json()).to.have.nested.property("error.code", "NODE_ERR_NO_MANDATE");

    // granted again: the union's node cancels the loan on chain
    const regranted = await suite.branch.app.inject({
      method: "POST",
      url: mandateUrl,
      headers: as("admin"),
      payload: { agent, expiresAt: iso(expiresAt + 3600) },
    });
    expect(regranted.statusCode, regranted.body).to.equal(200);
    const cancelled = await unionCancels(loanId);
    expect(cancelled.statusCode, cancelled.body).to.equal(200);
    expect(
      Number(((await suite.lending.ledger.getFunction("loan")(loanId)) as { state: bigint }).state),
    ).to.equal(4); // Cancelled
  });
});
