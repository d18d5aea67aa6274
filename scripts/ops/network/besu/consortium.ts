// The founding consortium a generated network is bootstrapped with: the provincial union, two
// branches in different regions, one lending platform and one court (the same founders as the
// local consortium), their chain accounts, and the contract addresses the deployment will have.
// The addresses are known in advance because a fresh deployer account creates the contracts with
// nonces 0, 1, 2, …; scripts/ops/network/deploy.ts checks the chain agrees.
import { getCreateAddress } from "ethers";
import { logIdOf } from "../../deploy/consortium.ts";

export type MemberKey = "union" | "branchA" | "branchB" | "platform" | "court";
export type MemberKind = "union" | "branch" | "platform" | "court";

/** ConsortiumRegistry.MemberKind values. */
export const KIND_CODE: Record<MemberKind, number> = { union: 1, branch: 2, platform: 3, court: 4 };

export type FounderPlan = { key: MemberKey; id: number; kind: MemberKind; regionCode: number; name: string };

export const FOUNDERS: readonly FounderPlan[] = [
  { key: "union", id: 1, kind: "union", regionCode: 330000, name: "Provincial Rural Credit Union" },
  { key: "branchA", id: 2, kind: "branch", regionCode: 330102, name: "Shangcheng Rural Bank" },
  { key: "branchB", id: 3, kind: "branch", regionCode: 330681, name: "Zhuji Rural Bank" },
  { key: "platform", id: 4, kind: "platform", regionCode: 330106, name: "Example Lending Platform" },
  { key: "court", id: 5, kind: "court", regionCode: 330100, name: "Hangzhou Internet Court" },
];

/** The union's evidence log, operated by the anchor service. */
export const UNION_LOG_NAME = "union.1";
export const UNION_LOG_ID = logIdOf(UNION_LOG_NAME);

/** Governed quota defaults for each founding branch (fen); edit network.json before deploying to change them. */
export const DEFAULT_BRANCH_LIMITS = {
  singleLoanMax: "20000000",
  dailyDisbursementLimit: "100000000",
  outstandingLimit: "1000000000",
  netTier1Capital: "400000000",
} as const;

export type ContractAddresses = {
  consortiumRegistry: string;
  consortiumGovernor: string;
  evidenceLog: string;
  evidenceRegistry: string;
  jointLoanLedger: string;
  disputeResolution: string;
};

/**
 * The deployer's nonces in scripts/ops/deploy/consortium.ts: registry 0, governor 1, evidence log 2,
 * evidence registry 3, naming the official evidence pair 4, bootstrap call 5, ledger 6, dispute
 * resolution 7.
 */
export const DEPLOYER_NONCES: Record<keyof ContractAddresses, number> = {
  consortiumRegistry: 0,
  consortiumGovernor: 1,
  evidenceLog: 2,
  evidenceRegistry: 3,
  jointLoanLedger: 6,
  disputeResolution: 7,
};

export function predictedAddresses(deployer: string): ContractAddresses {
  const at = (nonce: number) => getCreateAddress({ from: deployer, nonce });
  return Object.fromEntries(
    Object.entries(DEPLOYER_NONCES).map(([name, nonce]) => [name, at(nonce)]),
  ) as ContractAddresses;
}
