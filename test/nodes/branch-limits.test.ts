// The branch's own quotas through its node over a real Anvil chain: GET /v1/branch-limits shows
// governance's ceilings and the limits in force; PUT tightens them at once with the branch's
// governance key (setOwnBranchLimits through the governance outbox); a value above its ceiling is
// refused with 422 NODE_ERR_LIMIT_ABOVE_CEILING naming the ceiling, nothing sent; a node without a
// governance key answers 409 NODE_ERR_NO_GOVERNANCE_KEY.
import { expect } from "chai";
import { type NodeService } from "../../nodes/src/service.ts";
import { MEMBERS } from "../support/consortium-chain.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { BRANCH_A_LIMITS, bearerAs } from "../support/institution-node.ts";

const TOKENS = { clerk: "clerk-token-1", approver: "approver-token-1", admin: "admin-token-1" } as const;

describe("node API: the branch's own quotas under governance's ceilings", function () {
  this.timeout(180_000);
  const suite = lendingSuite("node-limits-");
  let node: NodeService;
  let keyless: NodeService;
  const as = bearerAs(TOKENS);

  before(async function () {
    node = await suite.node({
      config: await suite.config({ tokens: TOKENS }),
      wallet: suite.chain.wallets.branchA,
      governanceWallet: suite.chain.governors.branchA,
    });
    await node.start();
    keyless = await suite.node({
      config: await suite.config({ tokens: TOKENS, sub: "keyless" }),
      wallet: suite.chain.wallets.branchA,
    });
    await keyless.start();
  });

  async function onChainLimits(): Promise<[bigint, bigint, bigint]> {
    const l = (await suite.lending.ledger.getFunction("branchLimits")(MEMBERS.branchA)) as {
      singleLoanMax: bigint;
      dailyDisbursementLimit: bigint;
      outstandingLimit: bigint;
    };
    return [BigInt(l.singleLoanMax), BigInt(l.dailyDisbursementLimit), BigInt(l.outstandingLimit)];
  }

  it("reads the ceilings, tightens the limits at once, refuses a limit above its ceiling with the ceiling", async function () {
    const view = await node.app.inject({ method: "GET", url: "/v1/branch-limits", headers: as("admin") });
    expect(view.statusCode, view.body).to.equal(200);
    const ceilings = {
      singleLoanMaxFen: BRANCH_A_LIMITS.singleLoanMax.toString(),
      dailyDisbursementLimitFen: BRANCH_A_LIMITS.dailyDisbursementLimit.toString(),
      outstandingLimitFen: BRANCH_A_LIMITS.outstandingLimit.toString(),
      netTier1CapitalFen: BRANCH_A_LIMITS.netTier1Capital.toString(),
    };
    expect(view.json()).to.deep.equal({
      branch: MEMBERS.branchA,
      ceilings,
      limits: ceilings,
      governanceAccount: suite.chain.governors.branchA.address.toLowerCase(),
    });

    // tighter than the ceilings: in force at once
    const tighter = {
      singleLoanMaxFen: "5000000",
      dailyDisbursementLimitFen: "50000000",
      outstandingLimitFen: "500000000",
    };
    const set = await node.app.inject({
      method: "PUT",
      url: "/v1/branch-limits",
      headers: as("admin"),
      payload: tighter,
    });
    expect(set.statusCode, set.body).to.equal(200);
    expect((set.json() as { limits: unknown }).limits).to.deep.equal({
      ...tighter,
      netTier1CapitalFen: ceilings.netTier1CapitalFen,
    });
    expect(await onChainLimits()).to.deep.equal([5_000_000n, 50_000_000n, 500_000_000n]);

    // above a ceiling: refused with the ceiling, nothing sent, the limits unchanged
    const above = await node.app.inject({
      method: "PUT",
      url: "/v1/branch-limits",
      headers: as("admin"),
      payload: {
        ...tighter,
        dailyDisbursementLimitFen: (BRANCH_A_LIMITS.dailyDisbursementLimit + 1n).toString(),
      },
    });
    expect(above.statusCode, above.body).to.equal(422);
    expect(above.json()).to.deep.nested.include({
      "error.code": "NODE_ERR_LIMIT_ABOVE_CEILING",
      "error.details.field": "dailyDisbursementLimit",
      "error.details.ceilingFen": BRANCH_A_LIMITS.dailyDisbursementLimit.toString(),
    });
    expect(await onChainLimits()).to.deep.equal([5_000_000n, 50_000_000n, 500_000_000n]);

    // an approver reads but does not set
    expect(
      (await node.app.inject({ method: "GET", url: "/v1/branch-limits", headers: as("approver") }))
        .statusCode,
    ).to.equal(200);
    expect(
      (
        await node.app.inject({
          method: "PUT",
          url: "/v1/branch-limits",
          headers: as("approver"),
          payload: tighter,
        })
      ).statusCode,
    ).to.equal(403);

    // no governance key configured: a clear 409 (this node cannot set them; a client's error, not the service's), nothing sent
    const noKey = await keyless.app.inject({
      method: "PUT",
      url: "/v1/branch-limits",
      headers: as("admin"),
      payload: { ...tighter, singleLoanMaxFen: "4000000" },
    });
    expect(noKey.statusCode, noKey.body).to.equal(409);
    expect(noKey.json()).to.have.nested.property("error.code", "NODE_ERR_NO_GOVERNANCE_KEY");
    expect(await onChainLimits()).to.deep.equal([5_000_000n, 50_000_000n, 500_000_000n]);
    expect(
      (
        (
          await keyless.app.inject({ method: "GET", url: "/v1/branch-limits", headers: as("admin") })
        ).json() as { governanceAccount: unknown }
      ).governanceAccount,
    ).to.equal(null);
  });
});
