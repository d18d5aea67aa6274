// Who may commit heads and govern, checked through the deployed contracts with their custom
// errors: a non-member, a suspended member and the wrong log's operator are each refused.
import { expect } from "chai";
import type { Contract } from "ethers";
import { keccak256, toUtf8Bytes } from "ethers";
import { toHex } from "../../common/bytes.ts";
import { proposalIdOf } from "../../common/consortium/governance.ts";
import { AccountRole } from "../../common/consortium/members.ts";
import { hashLeaf } from "../../common/formats/merkle/rfc9162.ts";
import { BRANCH_A, deployConsortium, UNION, UNION_LOG, type Consortium } from "./consortium.fixture.ts";

describe("EvidenceLog access and governance (deployed)", function () {
  let c: Consortium;
  const root = toHex(hashLeaf(new Uint8Array([1])));

  beforeEach(async function () {
    c = await deployConsortium();
  });

  it("refuses a non-member with EvidenceLogCallerNotMember", async function () {
    const log = c.evidenceLog.connect(c.signers.outsider) as Contract;
    await expect(log.getFunction("commitHead")(UNION_LOG, 1, root, []))
      .to.be.revertedWithCustomError(c.evidenceLog, "EvidenceLogCallerNotMember")
      .withArgs(c.signers.outsider.address);
  });

  it("refuses a suspended member with EvidenceLogMemberInactive", async function () {
    await c.govern(c.registry, "suspendMember", [UNION]);
    const log = c.evidenceLog.connect(c.signers.unionAnchor) as Contract;
    await expect(log.getFunction("commitHead")(UNION_LOG, 1, root, []))
      .to.be.revertedWithCustomError(c.evidenceLog, "EvidenceLogMemberInactive")
      .withArgs(UNION);
  });

  it("refuses the wrong log's operator with EvidenceLogNotOperator", async function () {
    const branchLog = keccak256(toUtf8Bytes("jointledger.log.branchA.1"));
    const branchAnchor = (await c.ethers.getSigners())[11]!;
    await c.govern(c.registry, "addAccount", [BRANCH_A, branchAnchor.address, AccountRole.LogOperator]);
    // a branch's operations key cannot be named operator: the log needs a LogOperator key
    await expect(c.govern(c.evidenceLog, "openLog", [branchLog, BRANCH_A, c.signers.branchAOps.address]))
      .to.be.revertedWithCustomError(c.evidenceLog, "EvidenceLogWrongRole")
      .withArgs(c.signers.branchAOps.address, AccountRole.Operations);
    await c.govern(c.evidenceLog, "openLog", [branchLog, BRANCH_A, branchAnchor.address]);
    const log = c.evidenceLog.connect(branchAnchor) as Contract;
    await expect(log.getFunction("commitHead")(UNION_LOG, 1, root, []))
      .to.be.revertedWithCustomError(c.evidenceLog, "EvidenceLogNotOperator")
      .withArgs(UNION_LOG, branchAnchor.address, c.signers.unionAnchor.address);
    await (await log.getFunction("commitHead")(branchLog, 1, root, [])).wait();
    expect(await c.evidenceLog.getFunction("headCount")(branchLog)).to.equal(1n);
  });

  it("records block time and number with each head and emits HeadCommitted", async function () {
    const log = c.evidenceLog.connect(c.signers.unionAnchor) as Contract;
    const tx = await log.getFunction("commitHead")(UNION_LOG, 1, root, []);
    await expect(tx).to.emit(c.evidenceLog, "HeadCommitted").withArgs(UNION_LOG, 0, 1, root);
    const receipt = await tx.wait();
    const block = await c.ethers.provider.getBlock(receipt!.blockNumber);
    const head = await c.evidenceLog.getFunction("head")(UNION_LOG, 0);
    expect(head.timestamp).to.equal(BigInt(block!.timestamp));
    expect(head.blockNumber).to.equal(BigInt(receipt!.blockNumber));
  });

  it("computes proposal ids in TypeScript exactly as the governor does", async function () {
    const targets = [await c.registry.getAddress()];
    const calldatas = [c.registry.interface.encodeFunctionData("suspendMember", [4])];
    const description = "suspend platform 4 for a data breach (案号 2026-001)";
    const onChain: bigint = await c.governor.getFunction("hashProposal")(
      targets,
      calldatas,
      keccak256(toUtf8Bytes(description)),
    );
    expect(proposalIdOf(targets, calldatas, description)).to.equal(onChain);
    const tx = await (c.governor.connect(c.signers.unionGov) as Contract).getFunction("propose")(
      targets,
      calldatas,
      description,
    );
    await expect(tx).to.emit(c.governor, "ProposalCreated");
    const proposal = await c.governor.getFunction("proposal")(onChain);
    expect(Number(proposal.proposer)).to.equal(UNION);
  });

  it("lets only the governor change membership", async function () {
    for (const signer of [c.signers.deployer, c.signers.unionOps, c.signers.courtOps, c.signers.outsider]) {
      const registry = c.registry.connect(signer) as Contract;
      await expect(registry.getFunction("suspendMember")(BRANCH_A))
        .to.be.revertedWithCustomError(c.registry, "ConsortiumNotGovernor")
        .withArgs(signer.address, await c.governor.getAddress());
    }
  });
});
