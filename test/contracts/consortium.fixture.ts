// A deployed demo consortium on the in-process Hardhat network: the union (1), two branches in
// different regions (2, 3), a platform (4) and a court (5); the union's evidence log opened
// through governance. Used by the contract tests in this folder. Every key has one role: `*Ops`
// operations, `*Gov` governance, `unionAnchor` the union log's operator.
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { Contract } from "ethers";
import { keccak256, toUtf8Bytes } from "ethers";
import { network } from "hardhat";
import {
  MemberKind,
  governance,
  logOperator,
  operations,
  type MemberInit,
} from "../../common/consortium/members.ts";

export const UNION = 1;
export const BRANCH_A = 2;
export const BRANCH_B = 3;
export const PLATFORM = 4;
export const COURT = 5;
export const UNION_LOG = keccak256(toUtf8Bytes("jointledger.log.union.1"));

export type Consortium = Awaited<ReturnType<typeof deployConsortium>>;

/** Hardhat's accounts in order, by role: `*Ops` operations, `*Gov` governance, `unionAnchor` the union log's operator. */
const SIGNER_NAMES = [
  "deployer",
  "unionOps",
  "unionAnchor",
  "branchAOps",
  "branchBOps",
  "platformOps",
  "courtOps",
  "outsider",
  "unionGov",
  "branchAGov",
  "branchBGov",
] as const;
export type ConsortiumSigners = Record<(typeof SIGNER_NAMES)[number], HardhatEthersSigner>;

export async function deployConsortium() {
  const connection = await network.create();
  const { ethers } = connection;
  const accounts = await ethers.getSigners();
  const signers = Object.fromEntries(
    SIGNER_NAMES.map((name, i) => [name, accounts[i]!]),
  ) as ConsortiumSigners;
  const registry = (await ethers.deployContract(
    "ConsortiumRegistry",
    [],
    signers.deployer,
  )) as unknown as Contract;
  const governor = (await ethers.deployContract("ConsortiumGovernor", [
    await registry.getAddress(),
    5000,
    7 * 24 * 3600,
  ])) as unknown as Contract;
  const evidenceLog = (await ethers.deployContract("EvidenceLog", [
    await registry.getAddress(),
  ])) as unknown as Contract;
  const evidenceRegistry = (await ethers.deployContract("EvidenceRegistry", [
    await registry.getAddress(),
    await evidenceLog.getAddress(),
  ])) as unknown as Contract;
  const founders: MemberInit[] = [
    {
      id: UNION,
      kind: MemberKind.Union,
      regionCode: 330000,
      name: "Provincial Rural Credit Union",
      accounts: [
        operations(signers.unionOps.address),
        logOperator(signers.unionAnchor.address),
        governance(signers.unionGov.address),
      ],
    },
    {
      id: BRANCH_A,
      kind: MemberKind.Branch,
      regionCode: 330102,
      name: "Shangcheng Rural Bank",
      accounts: [operations(signers.branchAOps.address), governance(signers.branchAGov.address)],
    },
    {
      id: BRANCH_B,
      kind: MemberKind.Branch,
      regionCode: 330681,
      name: "Zhuji Rural Bank",
      accounts: [operations(signers.branchBOps.address), governance(signers.branchBGov.address)],
    },
    {
      id: PLATFORM,
      kind: MemberKind.Platform,
      regionCode: 330106,
      name: "Example Lending Platform",
      accounts: [operations(signers.platformOps.address)],
    },
    {
      id: COURT,
      kind: MemberKind.Court,
      regionCode: 330100,
      name: "Hangzhou Internet Court",
      accounts: [operations(signers.courtOps.address)],
    },
  ];
  await (await registry.getFunction("bootstrap")(await governor.getAddress(), founders)).wait();

  let proposals = 0;
  /** Pass calls through governance with the union's and branch A's governance keys (2 of 3). */
  async function govern(target: Contract, method: string, args: unknown[]): Promise<void> {
    const targets = [await target.getAddress()];
    const calldatas = [target.interface.encodeFunctionData(method, args)];
    const description = `test proposal ${++proposals}: ${method}`;
    const id: bigint = await governor.getFunction("hashProposal")(
      targets,
      calldatas,
      keccak256(toUtf8Bytes(description)),
    );
    await (
      await (governor.connect(signers.unionGov) as Contract).getFunction("propose")(
        targets,
        calldatas,
        description,
      )
    ).wait();
    await (await (governor.connect(signers.branchAGov) as Contract).getFunction("approve")(id)).wait();
    await (
      await (governor.connect(signers.unionGov) as Contract).getFunction("execute")(
        targets,
        calldatas,
        keccak256(toUtf8Bytes(description)),
      )
    ).wait();
  }

  await govern(evidenceLog, "openLog", [UNION_LOG, UNION, signers.unionAnchor.address]);
  return {
    connection,
    ethers,
    registry,
    governor,
    evidenceLog,
    evidenceRegistry,
    govern,
    signers,
  };
}
