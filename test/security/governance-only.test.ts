// Every governance-only function of every deployed contract, called by every other role,
// reverts with the access error — and the same call made by the governor does not (so the
// revert is about the caller, not the arguments). The list is checked against the Solidity
// sources: a new onlyGovernor / onlySelf function fails this test until it is listed here.
// contracts/test/ConsortiumGovernor.t.sol covers suspendMember and openLog for five callers and
// JointLoanLedger.t.sol setParams for one; this covers every such function for every role.
import { expect } from "chai";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Wallet, keccak256, toUtf8Bytes, type Contract } from "ethers";
import { AccountRole, operations } from "../../common/consortium/members.ts";
import {
  deployLending,
  govern,
  logIdOf,
  type LendingDeployment,
} from "../../scripts/ops/deploy/consortium.ts";
import {
  MEMBERS,
  startConsortiumChain,
  UNION_LOG,
  type ConsortiumChain,
} from "../support/consortium-chain.ts";

type Call = {
  contract: string;
  fn: string;
  target: () => Contract;
  args: () => Promise<unknown[]> | unknown[];
  access: "governor" | "self";
};

async function solidityFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (entry.name !== "test") out.push(...(await solidityFiles(join(dir, entry.name))));
    } else if (entry.name.endsWith(".sol")) out.push(join(dir, entry.name));
  }
  return out;
}

describe("security: governance-only functions refuse every other role (deployed contracts on Anvil)", function () {
  this.timeout(120_000);
  let chain: ConsortiumChain;
  let lending: LendingDeployment;
  let roles: Record<string, string>;
  /** A second log-operator key of the union, so that rotating the log's operator can succeed. */
  const spareAnchor = Wallet.createRandom().address;

  before(async function () {
    chain = await startConsortiumChain();
    lending = await deployLending(chain.wallets.deployer, chain.deployment, chain.approvers, [
      {
        memberId: MEMBERS.branchA,
        limits: {
          singleLoanMax: 20_000_000n,
          dailyDisbursementLimit: 100_000_000n,
          outstandingLimit: 1_000_000_000n,
          netTier1Capital: 400_000_000n,
        },
        whitelist: [`0x${"5e".repeat(32)}`],
      },
    ]);
    // the platform is suspended so that reinstating it is a call the governor can make
    await chain.suspend(MEMBERS.platform);
    await govern(chain.deployment.governor, chain.approvers, [
      {
        target: chain.deployment.addresses.consortiumRegistry,
        data: chain.deployment.registry.interface.encodeFunctionData("addAccount", [
          MEMBERS.union,
          spareAnchor,
          AccountRole.LogOperator,
        ]),
      },
    ]);
    const w = chain.wallets;
    // every account that is not the governor: each member's operations key, the anchor operator,
    // the governance keys (they vote in the governor, they are not it), the deployer (who
    // bootstrapped the registry), a stranger, and the other contracts themselves
    roles = {
      "union ops": w.unionOps.address,
      "union anchor operator": w.anchor.address,
      "union governance key": chain.governors.union.address,
      "branch A governance key": chain.governors.branchA.address,
      "branch B governance key": chain.governors.branchB.address,
      "branch A": w.branchA.address,
      "branch B": w.branchB.address,
      "platform (suspended)": w.platform.address,
      court: w.court.address,
      deployer: w.deployer.address,
      outsider: w.outsider.address,
      "JointLoanLedger contract": lending.addresses.jointLoanLedger,
      "DisputeResolution contract": lending.addresses.disputeResolution,
      "EvidenceLog contract": chain.deployment.addresses.evidenceLog,
      "EvidenceRegistry contract": chain.deployment.addresses.evidenceRegistry,
      "ConsortiumRegistry contract": chain.deployment.addresses.consortiumRegistry,
    };
  });

  after(async function () {
    await chain?.stop();
  });

  const d = () => chain.deployment;
  const fresh = () => Wallet.createRandom().address;
  const calls = (): Call[] => [
    {
      contract: "ConsortiumRegistry",
      fn: "addMember",
      target: () => d().registry,
      access: "governor",
      args: () => [
        { id: 6, kind: 2, regionCode: 330200, name: "New Rural Bank", accounts: [operations(fresh())] },
      ],
    },
    {
      contract: "ConsortiumRegistry",
      fn: "addAccount",
      target: () => d().registry,
      access: "governor",
      args: () => [MEMBERS.branchA, fresh(), AccountRole.Operations],
    },
    {
      contract: "ConsortiumRegistry",
      fn: "removeAccount",
      target: () => d().registry,
      access: "governor",
      args: () => [MEMBERS.union, chain.wallets.anchor.address],
    },
    {
      contract: "ConsortiumRegistry",
      fn: "suspendMember",
      target: () => d().registry,
      access: "governor",
      args: () => [MEMBERS.court],
    },
    {
      contract: "ConsortiumRegistry",
      fn: "reinstateMember",
      target: () => d().registry,
      access: "governor",
      args: () => [MEMBERS.platform],
    },
    {
      contract: "ConsortiumRegistry",
      fn: "setRegion",
      target: () => d().registry,
      access: "governor",
      args: () => [MEMBERS.branchB, 330682],
    },
    {
      contract: "ConsortiumRegistry",
      fn: "setGovernor",
      target: () => d().registry,
      access: "governor",
      args: () => [fresh()],
    },
    {
      contract: "ConsortiumRegistry",
      fn: "setEvidenceContracts",
      target: () => d().registry,
      access: "governor",
      args: () => [d().addresses.evidenceLog, d().addresses.evidenceRegistry],
    },
    {
      contract: "ConsortiumRegistry",
      fn: "setParameter",
      target: () => d().registry,
      access: "governor",
      args: () => [keccak256(toUtf8Bytes("anchor.intake.recordsPerSecond")), 5_000],
    },
    {
      contract: "ConsortiumGovernor",
      fn: "setThreshold",
      target: () => d().governor,
      access: "self",
      args: () => [6_000],
    },
    {
      contract: "ConsortiumGovernor",
      fn: "setApprovalPeriod",
      target: () => d().governor,
      access: "self",
      args: () => [3 * 86_400],
    },
    {
      contract: "EvidenceLog",
      fn: "openLog",
      target: () => d().evidenceLog,
      access: "governor",
      args: () => [logIdOf("union.2"), MEMBERS.union, spareAnchor],
    },
    {
      contract: "EvidenceLog",
      fn: "setLogOperator",
      target: () => d().evidenceLog,
      access: "governor",
      args: () => [UNION_LOG, spareAnchor],
    },
    {
      contract: "JointLoanLedger",
      fn: "setParams",
      target: () => lending.ledger,
      access: "governor",
      args: async () => [await lending.ledger.getFunction("params")()],
    },
    // declared onlyGovernor in LedgerExtension, which the ledger delegates these calls to
    {
      contract: "LedgerExtension",
      fn: "setBranchLimits",
      target: () => lending.ledger,
      access: "governor",
      args: async () => [MEMBERS.branchA, await lending.ledger.getFunction("branchLimits")(MEMBERS.branchA)],
    },
    {
      contract: "LedgerExtension",
      fn: "setAccountWhitelisted",
      target: () => lending.ledger,
      access: "governor",
      args: () => [MEMBERS.branchA, `0x${"77".repeat(32)}`, true],
    },
    {
      contract: "JointLoanLedger",
      fn: "setDisputeResolution",
      target: () => lending.ledger,
      access: "governor",
      args: () => [fresh()],
    },
    {
      contract: "DisputeResolution",
      fn: "setThresholds",
      target: () => lending.disputes,
      access: "governor",
      args: async () => [await lending.disputes.getFunction("thresholds")()],
    },
  ];

  /** The revert data of an eth_call from `from`, or undefined if it succeeds. */
  async function revertOf(from: string, to: string, data: string): Promise<string | undefined> {
    try {
      await chain.anvil.provider.call({ from, to, data });
      return undefined;
    } catch (error) {
      const revert = (error as { data?: string }).data;
      if (typeof revert !== "string") throw error;
      return revert;
    }
  }

  it("the list covers every onlyGovernor and onlySelf function in contracts/ (tests excluded)", async function () {
    const declared: string[] = [];
    for (const file of await solidityFiles("contracts")) {
      const source = await readFile(file, "utf8");
      for (const m of source.matchAll(/function\s+(\w+)\s*\([^)]*\)[^{;]*\b(onlyGovernor|onlySelf)\b/g))
        declared.push(`${file.split("/").pop()!.replace(".sol", "")}.${m[1]}`);
    }
    expect(declared.length).to.be.greaterThan(10);
    expect(
      calls()
        .map((c) => `${c.contract}.${c.fn}`)
        .sort(),
    ).to.deep.equal(declared.sort());
  });

  it("each is refused for every other role with ConsortiumNotGovernor / GovernorOnlySelf, and goes through for the governor", async function () {
    const governor = d().addresses.consortiumGovernor;
    let refusals = 0;
    for (const call of calls()) {
      const contract = call.target();
      const to = await contract.getAddress();
      const data = contract.interface.encodeFunctionData(call.fn, await call.args());
      for (const [role, from] of Object.entries(roles)) {
        const revert = await revertOf(from, to, data);
        const where = `${call.contract}.${call.fn} called by ${role}`;
        expect(revert, `${where} did not revert`).to.not.equal(undefined);
        const decoded = contract.interface.parseError(revert!) ?? d().registry.interface.parseError(revert!);
        if (call.access === "governor") {
          expect(decoded?.name, where).to.equal("ConsortiumNotGovernor");
          expect(decoded!.args[0], where).to.equal(from);
          expect(decoded!.args[1], where).to.equal(governor);
        } else {
          expect(decoded?.name, where).to.equal("GovernorOnlySelf");
          expect(decoded!.args[0], where).to.equal(from);
        }
        refusals++;
      }
      // the same call from the governor (itself, for onlySelf) is not refused: the caller is what failed
      expect(await revertOf(governor, to, data), `${call.contract}.${call.fn} by the governor`).to.equal(
        undefined,
      );
    }
    expect(refusals).to.equal(calls().length * Object.keys(roles).length);
  });

  it("the registry's one-time bootstrap is refused for everyone once done, the deployer included", async function () {
    const data = d().registry.interface.encodeFunctionData("bootstrap", [
      fresh(),
      [{ id: 9, kind: 1, regionCode: 330000, name: "Usurper", accounts: [operations(fresh())] }],
    ]);
    for (const [role, from] of Object.entries(roles)) {
      const revert = await revertOf(from, d().addresses.consortiumRegistry, data);
      expect(d().registry.interface.parseError(revert!)?.name, role).to.equal("RegistryAlreadyBootstrapped");
    }
  });

  it("the deployer's one-time naming of the evidence contracts is refused for everyone once done, the deployer included", async function () {
    const data = d().registry.interface.encodeFunctionData("bootstrapEvidenceContracts", [
      d().addresses.evidenceLog,
      d().addresses.evidenceRegistry,
    ]);
    for (const [role, from] of [
      ...Object.entries(roles),
      ["governor", d().addresses.consortiumGovernor] as const,
    ]) {
      const decoded = d().registry.interface.parseError(
        (await revertOf(from, d().addresses.consortiumRegistry, data))!,
      );
      if (from === chain.wallets.deployer.address) {
        expect(decoded?.name, role).to.equal("RegistryEvidenceContractsSet");
        expect([...decoded!.args], role).to.deep.equal([
          d().addresses.evidenceLog,
          d().addresses.evidenceRegistry,
        ]);
      } else {
        expect(decoded?.name, role).to.equal("RegistryNotBootstrapper");
        expect([...decoded!.args], role).to.deep.equal([from, chain.wallets.deployer.address]);
      }
    }
  });

  it("the ledger's dispute-stage hook is refused for every caller but DisputeResolution", async function () {
    const data = lending.ledger.interface.encodeFunctionData("setDisputeStage", [`0x${"ab".repeat(32)}`, 4]);
    for (const [role, from] of Object.entries(roles)) {
      if (from === lending.addresses.disputeResolution) continue;
      const revert = await revertOf(from, lending.addresses.jointLoanLedger, data);
      const decoded = lending.ledger.interface.parseError(revert!);
      expect(decoded?.name, role).to.equal("LedgerNotDisputeResolution");
    }
  });
});
