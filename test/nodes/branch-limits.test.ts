// The branch's own quotas through its node over a real Anvil chain: GET /v1/branch-limits shows
// governance's ceilings and the limits in force; PUT tightens them at once with the branch's
// governance key (setOwnBranchLimits through the governance outbox); a value above its ceiling is
// refused with 422 NODE_ERR_LIMIT_ABOVE_CEILING naming the ceiling, nothing sent; a node without a
// governance key answers 409 NODE_ERR_NO_GOVERNANCE_KEY.
import { expect } from "chai";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAnchorService, type AnchorService } from "../../anchor-service/src/service.ts";
import { createNodeService, type NodeService } from "../../nodes/src/service.ts";
import type { LendingDeployment } from "../../scripts/ops/deploy/consortium.ts";
import { MEMBERS, startConsortiumChain, type ConsortiumChain } from "../support/consortium-chain.ts";
import { BRANCH_A_LIMITS, bearerAs, branchNodeConfig, deployBranchALending } from "../support/institution-node.ts";

const TOKENS = { clerk: "clerk-token-1", approver: "approver-token-1", admin: "admin-token-1" } as const;

describe("node API: the branch's own quotas under governance's ceilings", function () {
  this.timeout(180_000);
  let chain: ConsortiumChain;
  let anchor: AnchorService;
  let node: NodeService;
  let keyless: NodeService;
  let dir: string;
  let lending: LendingDeployment;
  const as = bearerAs(TOKENS);

  before(async function () {
    chain = await startConsortiumChain();
    dir = await mkdtemp(join(tmpdir(), "node-limits-"));
    lending = await deployBranchALending(chain);
    anchor = await createAnchorService({ config: chain.config({ dataDir: join(dir, "anchor"), commitIntervalMs: 3_600_000 }), inMemory: true, logger: false });
    await anchor.start();
    const anchorUrl = await anchor.app.listen({ host: "127.0.0.1", port: 0 });
    node = await createNodeService({ config: await branchNodeConfig(chain, lending, { dir, anchorUrl, tokens: TOKENS }), inMemory: true, logger: false, wallet: chain.wallets.branchA, governanceWallet: chain.governors.branchA });
    await node.start();
    const other = join(dir, "keyless");
    await mkdir(other, { recursive: true });
    keyless = await createNodeService({ config: await branchNodeConfig(chain, lending, { dir: other, anchorUrl, tokens: TOKENS }), inMemory: true, logger: false, wallet: chain.wallets.branchA });
    await keyless.start();
  });

  after(async function () {
    await keyless?.close();
    await node?.close();
    await anchor?.close();
    await chain?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function onChainLimits(): Promise<[bigint, bigint, bigint]> {
    const l = (await lending.ledger.getFunction("branchLimits")(MEMBERS.branchA)) as { singleLoanMax: bigint; dailyDisbursementLimit: bigint; outstandingLimit: bigint };
    return [BigInt(l.singleLoanMax), BigInt(l.dailyDisbursementLimit), BigInt(l.outstandingLimit)];
  }

  it("reads the ceilings, tightens the limits at once, refuses a limit above its ceiling with the ceiling", async function () {
    const view = await node.app.inject({ method: "GET", url: "/v1/branch-limits", headers: as("admin") });
    expect(view.statusCode, view.body).to.equal(200);
    const ceilings = { singleLoanMaxFen: BRANCH_A_LIMITS.singleLoanMax.toString(), dailyDisbursementLimitFen: BRANCH_A_LIMITS.dailyDisbursementLimit.toString(), outstandingLimitFen: BRANCH_A_LIMITS.outstandingLimit.toString(), netTier1CapitalFen: BRANCH_A_LIMITS.netTier1Capital.toString() };
    expect(view.json()).to.deep.equal({ branch: MEMBERS.branchA, ceilings, limits: ceilings, governanceAccount: chain.governors.branchA.address.toLowerCase() });

    // tighter than the ceilings: in force at once
    const tighter = { singleLoanMaxFen: "5000000", dailyDisbursementLimitFen: "50000000", outstandingLimitFen: "500000000" };
    const set = await node.app.inject({ method: "PUT", url: "/v1/branch-limits", headers: as("admin"), payload: tighter });
    expect(set.statusCode, set.body).to.equal(200);
    expect((set.json() as { limits: unknown }).limits).to.deep.equal({ ...tighter, netTier1CapitalFen: ceilings.netTier1CapitalFen });
    expect(await onChainLimits()).to.deep.equal([5_000_000n, 50_000_000n, 500_000_000n]);

    // above a ceiling: refused with the ceiling, nothing sent, the limits unchanged
    const above = await node.app.inject({ method: "PUT", url: "/v1/branch-limits", headers: as("admin"), payload: { ...tighter, dailyDisbursementLimitFen: (BRANCH_A_LIMITS.dailyDisbursementLimit + 1n).toString() } });
    expect(above.statusCode, above.body).to.equal(422);
    expect(above.json()).to.deep.nested.include({ "error.code": "NODE_ERR_LIMIT_ABOVE_CEILING", "error.details.field": "dailyDisbursementLimit", "error.details.ceilingFen": BRANCH_A_LIMITS.dailyDisbursementLimit.toString() });
    expect(await onChainLimits()).to.deep.equal([5_000_000n, 50_000_000n, 500_000_000n]);

    // an approver reads but does not set
    expect((await node.app.inject({ method: "GET", url: "/v1/branch-limits", headers: as("approver") })).statusCode).to.equal(200);
    expect((await node.app.inject({ method: "PUT", url: "/v1/branch-limits", headers: as("approver"), payload: tighter })).statusCode).to.equal(403);

    // no governance key configured: a clear 409 (this node cannot set them; a client's error, not the service's), nothing sent
    const noKey = await keyless.app.inject({ method: "PUT", url: "/v1/branch-limits", headers: as("admin"), payload: { ...tighter, singleLoanMaxFen: "4000000" } });
    expect(noKey.statusCode, noKey.body).to.equal(409);
    expect(noKey.json()).to.have.nested.property("error.code", "NODE_ERR_NO_GOVERNANCE_KEY");
    expect(await onChainLimits()).to.deep.equal([5_000_000n, 50_000_000n, 500_000_000n]);
    expect(((await keyless.app.inject({ method: "GET", url: "/v1/branch-limits", headers: as("admin") })).json() as { governanceAccount: unknown }).governanceAccount).to.equal(null);
  });
});
