// A real chain for service tests: Anvil with the consortium's contracts deployed from the build
// artifacts, the demo founders bootstrapped, and the union's evidence log opened through
// governance. Shared by the anchor-service tests and benchmarks.
import { createHash, randomBytes } from "node:crypto";
import { parseEther, type Wallet } from "ethers";
import { requestDomain, signRequest } from "../../common/auth/request-signing.ts";
import { submissionHeaders, type RecordInput } from "../../common/anchor/client.ts";
import { ConfigSchema, type Config } from "../../anchor-service/src/config.ts";
import { governance, logOperator, operations } from "../../common/consortium/members.ts";
import { deployEvidenceCore, govern, logIdOf, type Deployment } from "../../scripts/ops/deploy/consortium.ts";
import { startAnvil, type AnvilNode } from "./anvil.ts";

export const UNION_LOG = logIdOf("union.1");

/** Member ids of the demo founders. */
export const MEMBERS = { union: 1, branchA: 2, branchB: 3, platform: 4, court: 5 } as const;

export type ConsortiumChain = {
  anvil: AnvilNode;
  deployment: Deployment;
  chainId: bigint;
  /** One key per role: `unionOps`, `branchA`, `branchB`, `platform`, `court` are operations keys, `anchor` the union's log operator. */
  wallets: {
    deployer: Wallet;
    unionOps: Wallet;
    anchor: Wallet;
    branchA: Wallet;
    branchB: Wallet;
    court: Wallet;
    platform: Wallet;
    outsider: Wallet;
  };
  /** Governance keys of the union and the two branches (they alone propose, approve and execute). */
  governors: { union: Wallet; branchA: Wallet; branchB: Wallet };
  /** Enough governance keys to pass a proposal: the union's and branch A's (2 of 3). */
  approvers: Wallet[];
  /** A valid anchor-service configuration for this chain (override fields as needed). */
  config(overrides: Partial<Config> & { dataDir: string }): Config;
  /** Suspend a member through governance (the union's and both branches' governance keys approve). */
  suspend(memberId: number): Promise<void>;
  /** Signed headers for POST /v1/leaves with this body. */
  /**
   * A signed request's headers; for POST /v1/leaves with records, also the signer's submission
   * signature over them (as its member; left out for a body whose records cannot be hashed, which
   * the service refuses before it looks for one).
   */
  sign(signer: Wallet, body: string, path?: string): Promise<Record<string, string>>;
  /** The x-jl-submission-signature header for `body`'s records, signed by `signer` as `memberId` (default: the signer's member) for `logId` (default: the union's). */
  submission(
    signer: Wallet,
    body: string,
    options?: { memberId?: number; logId?: string },
  ): Promise<Record<string, string>>;
  stop(): Promise<void>;
};

/** One of the chain's keys by role name (`union`: the union's operations key). */
export function walletOf(chain: ConsortiumChain, role: string): Wallet {
  const wallets: Record<string, Wallet> = { ...chain.wallets, union: chain.wallets.unionOps };
  const wallet = wallets[role];
  if (wallet === undefined) throw new Error(`no key for ${role}`);
  return wallet;
}

export async function startConsortiumChain(options: { anvilArgs?: string[] } = {}): Promise<ConsortiumChain> {
  const anvil = await startAnvil({ ...(options.anvilArgs === undefined ? {} : { args: options.anvilArgs }) });
  const [deployer, unionOps, anchor, branchA, branchB, court] = [0, 1, 2, 3, 4, 5].map((i) =>
    anvil.wallet(i),
  ) as [Wallet, Wallet, Wallet, Wallet, Wallet, Wallet];
  const outsider = anvil.wallet(9);
  const platform = anvil.wallet(6);
  // governance keys beyond Anvil's ten funded accounts (7 and 8 serve the benchmarks), funded here
  const governors = { union: anvil.wallet(10), branchA: anvil.wallet(11), branchB: anvil.wallet(12) };
  for (const wallet of Object.values(governors))
    await (await deployer.sendTransaction({ to: wallet.address, value: parseEther("100") })).wait();
  const approvers = [governors.union, governors.branchA];
  const deployment = await deployEvidenceCore(deployer, [
    {
      id: MEMBERS.union,
      kind: 1,
      regionCode: 330000,
      name: "Provincial Rural Credit Union",
      accounts: [
        operations(unionOps.address),
        logOperator(anchor.address),
        governance(governors.union.address),
      ],
    },
    {
      id: MEMBERS.branchA,
      kind: 2,
      regionCode: 330102,
      name: "Shangcheng Rural Bank",
      accounts: [operations(branchA.address), governance(governors.branchA.address)],
    },
    {
      id: MEMBERS.branchB,
      kind: 2,
      regionCode: 330681,
      name: "Zhuji Rural Bank",
      accounts: [operations(branchB.address), governance(governors.branchB.address)],
    },
    {
      id: MEMBERS.platform,
      kind: 3,
      regionCode: 330106,
      name: "Example Lending Platform",
      accounts: [operations(platform.address)],
    },
    {
      id: MEMBERS.court,
      kind: 4,
      regionCode: 330100,
      name: "Hangzhou Internet Court",
      accounts: [operations(court.address)],
    },
  ]);
  await govern(deployment.governor, approvers, [
    {
      target: deployment.addresses.evidenceLog,
      data: deployment.evidenceLog.interface.encodeFunctionData("openLog", [
        UNION_LOG,
        MEMBERS.union,
        anchor.address,
      ]),
    },
  ]);
  const chainId = (await anvil.provider.getNetwork()).chainId;
  const memberOf = new Map<string, number>([
    [unionOps.address, MEMBERS.union],
    [branchA.address, MEMBERS.branchA],
    [branchB.address, MEMBERS.branchB],
    [platform.address, MEMBERS.platform],
    [court.address, MEMBERS.court],
  ]);
  const submission = async (
    signer: Wallet,
    body: string,
    memberId = memberOf.get(signer.address) ?? 0,
    logId = UNION_LOG,
  ): Promise<Record<string, string>> => {
    try {
      const { records } = JSON.parse(body) as { records: RecordInput[] };
      const info = { chainId: String(chainId), evidenceLog: deployment.addresses.evidenceLog, logId };
      return await submissionHeaders(signer, info, memberId, records);
    } catch {
      return {};
    }
  };
  return {
    anvil,
    deployment,
    chainId,
    wallets: { deployer, unionOps, anchor, branchA, branchB, court, platform, outsider },
    governors,
    approvers,
    config: (overrides) =>
      ConfigSchema.parse({
        rpcUrl: anvil.url,
        ...deployment.addresses,
        logId: UNION_LOG,
        operatorKey: (anchor as unknown as { privateKey: string }).privateKey,
        commitIntervalMs: 200,
        membershipCacheMs: 0,
        logLevel: "silent",
        ...overrides,
      }),
    suspend: (memberId) =>
      govern(
        deployment.governor,
        [governors.union, governors.branchA, governors.branchB],
        [
          {
            target: deployment.addresses.consortiumRegistry,
            data: deployment.registry.interface.encodeFunctionData("suspendMember", [memberId]),
          },
        ],
      ),
    sign: async (signer, body, path = "/v1/leaves") => ({
      ...(await signRequest(signer, requestDomain(chainId, deployment.addresses.consortiumRegistry), {
        method: "POST",
        path,
        body,
      })),
      ...(path.split("?")[0] === "/v1/leaves" ? await submission(signer, body) : {}),
    }),
    submission: (signer, body, options = {}) => submission(signer, body, options.memberId, options.logId),
    stop: () => anvil.stop(),
  };
}

/** A random evidence record for `document` (SHA-256 digest, fresh salt, random subject). */
export function recordFor(document: string | Uint8Array, kind = 1) {
  return {
    kind,
    digestAlgorithm: 1,
    digest: `0x${createHash("sha256").update(document).digest("hex")}`,
    salt: `0x${randomBytes(32).toString("hex")}`,
    subject: `0x${randomBytes(32).toString("hex")}`,
  };
}
