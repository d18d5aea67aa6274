// What the institution-node tests share on top of a consortium chain (./consortium-chain.ts):
// lending deployed with branch A's limits and one whitelisted settlement account, branch A
// serving Beijing Xicheng (110105, where the channel fixtures' borrower ID number is from), a
// node configuration for branch A with its master key file, and back-office users and bearer
// headers from a role → token map. (No describe/it here: Hardhat mocha loads it like a test.)
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { NodeConfigSchema, type NodeConfig } from "../../nodes/src/config.ts";
import { tokenSha256, type Role } from "../../nodes/src/http/auth.ts";
import { createMasterKeyFile } from "../../nodes/src/privacy/crypto-box.ts";
import { deployLending, govern, type LendingDeployment } from "../../scripts/deploy/consortium.ts";
import { MEMBERS, type ConsortiumChain } from "./consortium-chain.ts";

/** Branch A's settlement account (a salted hash; whitelisted through governance). */
export const SETTLEMENT = `0x${"5e".repeat(32)}`;
/** The region branch A serves: Beijing Xicheng, the fixture borrower's ID number's region. */
export const BRANCH_A_REGION = 110105;
export const BRANCH_A_LIMITS = { singleLoanMax: 20_000_000n, dailyDisbursementLimit: 100_000_000n, outstandingLimit: 1_000_000_000n, netTier1Capital: 400_000_000n };

/** Back-office bearer tokens by role. */
export type RoleTokens = Partial<Record<Role, string>>;

/** Deploys lending for branch A (limits, settlement whitelist) and sets its region through governance. */
export async function deployBranchALending(chain: ConsortiumChain): Promise<LendingDeployment> {
  const { deployer, unionOps, branchA } = chain.wallets;
  const lending = await deployLending(deployer, chain.deployment, [unionOps, branchA], [{ memberId: MEMBERS.branchA, limits: BRANCH_A_LIMITS, whitelist: [SETTLEMENT] }]);
  await govern(chain.deployment.governor, [unionOps, branchA], [
    { target: chain.deployment.addresses.consortiumRegistry, data: chain.deployment.registry.interface.encodeFunctionData("setRegion", [MEMBERS.branchA, BRANCH_A_REGION]) },
  ]);
  return lending;
}

/** One back-office user per role in `tokens` (user name `test.<role>`). */
export function usersFor(tokens: RoleTokens): NodeConfig["users"] {
  return Object.entries(tokens).map(([role, token]) => ({ user: `test.${role}`, role: role as Role, tokenSha256: tokenSha256(token) }));
}

/** `as(role)`: the authorization header of that role's token. */
export function bearerAs<T extends RoleTokens>(tokens: T): (role: keyof T) => { authorization: string } {
  return (role) => ({ authorization: `Bearer ${tokens[role]}` });
}

/**
 * Branch A's node configuration on `chain` with `lending`: data in `<dir>/node`, a fresh master
 * key file `<dir>/master.key`, a random consortium key, the chain's RPC URL, silent logging.
 * `overrides` replace any field (rpcUrl behind a proxy, another member, paging, …).
 */
export async function branchNodeConfig(
  chain: ConsortiumChain,
  lending: LendingDeployment,
  options: { dir: string; anchorUrl: string; tokens?: RoleTokens; overrides?: Partial<NodeConfig> },
): Promise<NodeConfig> {
  const masterKeyFile = join(options.dir, "master.key");
  await createMasterKeyFile(masterKeyFile);
  return NodeConfigSchema.parse({
    dataDir: join(options.dir, "node"),
    memberId: MEMBERS.branchA,
    memberKind: "branch",
    keystoreFile: "unused",
    keystorePassword: "unused",
    masterKeyFile,
    consortiumKey: `0x${randomBytes(32).toString("hex")}`,
    rpcUrl: chain.anvil.url,
    anchorUrl: options.anchorUrl,
    consortiumRegistry: chain.deployment.addresses.consortiumRegistry,
    jointLoanLedger: lending.addresses.jointLoanLedger,
    disputeResolution: lending.addresses.disputeResolution,
    evidenceRegistry: chain.deployment.addresses.evidenceRegistry,
    deployBlock: chain.deployment.blockNumber,
    users: usersFor(options.tokens ?? {}),
    logLevel: "silent",
    ...options.overrides,
  });
}
