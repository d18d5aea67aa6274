// The demo consortium on chain: its five founders, the contracts deployed once and bootstrapped
// (union's evidence log, branch limits, settlement-account whitelists, branch A also serving
// Beijing Xicheng, each member's anchor intake quota), and the check that decides on a later start whether that deployment is still
// there (the code at every recorded address has the recorded hash) or must be done again; and the
// founders' member directory (legal names, credit codes, the anchor's SM2 receipt key) adopted by
// governance, as a real consortium adopts its own.
import { randomBytes } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { Contract, type JsonRpcProvider, NonceManager, Wallet, keccak256, parseEther } from "ethers";
import { ConsortiumGovernor } from "../../../common/chain/generated/contracts.ts";
import { RegistryReader } from "../../../common/chain/registry.ts";
import {
  MEMBER_DIRECTORY_PARAMETER_KEY,
  type MemberDirectory,
  directoryBytes,
  directoryDigest,
  memberDirectoryCall,
} from "../../../common/consortium/member-directory.ts";
import { MemberKind } from "../../../common/consortium/members.ts";
import { deployEvidenceCore, deployLending, govern, logIdOf } from "../deploy/consortium.ts";
import { ANVIL_DEV_KEY } from "./chain.ts";
import { LocalConsortiumError } from "./errors.ts";
import { INITIAL_INTAKE_QUOTAS, intakeQuotaCalls } from "./intake-quotas.ts";
import { ACCOUNT_ROLES, type AccountName } from "./keys.ts";
import type { ConsortiumManifest, NodeName } from "./manifest.ts";

export type DemoMember = {
  memberId: number;
  kind: "union" | "branch" | "platform" | "court";
  /** The English legal name (the registry's name too). */
  name: string;
  /** The Chinese legal name (法定名称). */
  nameZh: string;
  /** A fictional unified social credit code with a valid check character: test data, no real entity's. */
  uscc: string;
  regionCode: number;
};

/**
 * The demo founders: a provincial union, two branches in different regions, a platform, a court.
 * Their credit codes are made up (organization codes MA0000001… / MB0000005, no real entity's) yet
 * well formed, each division the member's region, each check character GB 32100-2015's.
 */
export const DEMO_MEMBERS: Record<NodeName, DemoMember> = {
  union: {
    memberId: 1,
    kind: "union",
    name: "Provincial Rural Credit Union",
    nameZh: "浙江省农村信用社联合社",
    uscc: "93330000MA00000014",
    regionCode: 330000,
  },
  branchA: {
    memberId: 2,
    kind: "branch",
    name: "Shangcheng Rural Bank",
    nameZh: "杭州上城农村商业银行股份有限公司",
    uscc: "91330102MA0000002F",
    regionCode: 330102,
  },
  branchB: {
    memberId: 3,
    kind: "branch",
    name: "Zhuji Rural Bank",
    nameZh: "浙江诸暨农村商业银行股份有限公司",
    uscc: "91330681MA0000003R",
    regionCode: 330681,
  },
  platform: {
    memberId: 4,
    kind: "platform",
    name: "Example Lending Platform",
    nameZh: "示例助贷科技有限公司",
    uscc: "91330106MA0000004F",
    regionCode: 330106,
  },
  court: {
    memberId: 5,
    kind: "court",
    name: "Hangzhou Internet Court",
    nameZh: "杭州互联网法院",
    uscc: "11330100MB00000056",
    regionCode: 330100,
  },
};

/** The data directory's member directory file (public): what every node shows members by. */
export const MEMBER_DIRECTORY_FILE = "member-directory.json";

/**
 * The founders' directory, marked as test data; the union operates the evidence log, so its entry
 * carries the anchor service's SM2 receipt key (0x04 ‖ x ‖ y).
 */
export function demoMemberDirectory(anchorReceiptSm2PublicKey: string): MemberDirectory {
  return {
    version: 1,
    testData: true,
    members: (Object.keys(DEMO_MEMBERS) as NodeName[]).map((node) => {
      const { memberId, name, nameZh, uscc } = DEMO_MEMBERS[node];
      return {
        memberId,
        nameZh,
        nameEn: name,
        uscc,
        ...(node === "union" ? { receiptSm2PublicKey: anchorReceiptSm2PublicKey.toLowerCase() } : {}),
      };
    }),
  };
}

/**
 * Makes <dataDir>/member-directory.json a directory governance set, answering its path and SHA-256:
 * a file whose digest is the governed one is kept as it is (governance may have changed it since);
 * otherwise the founders' directory is written and, unless its digest is already governed,
 * proposed, approved and executed through the governor by the demo's governance keys — never
 * set by the deployer. The nodes read the file at each ask and refuse it once it differs.
 */
export async function adoptMemberDirectory(options: {
  provider: JsonRpcProvider;
  contracts: Pick<ConsortiumManifest["contracts"], "consortiumRegistry" | "consortiumGovernor">;
  approvers: Wallet[];
  dataDir: string;
  anchorReceiptSm2PublicKey: string;
  log: (line: string) => void;
}): Promise<{ file: string; sha256: string }> {
  const { provider, contracts, dataDir, log } = options;
  const file = path.join(dataDir, MEMBER_DIRECTORY_FILE);
  const hex = (digest: bigint) => digest.toString(16).padStart(64, "0");
  const governed = await new RegistryReader(contracts.consortiumRegistry, provider).parameter(
    MEMBER_DIRECTORY_PARAMETER_KEY,
  );
  const existing = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (existing !== undefined && governed !== 0n && directoryDigest(existing) === governed) {
    log(`member directory: ${file}, the governed one (SHA-256 ${hex(governed)})`);
    return { file, sha256: hex(governed) };
  }
  const bytes = directoryBytes(demoMemberDirectory(options.anchorReceiptSm2PublicKey));
  const digest = directoryDigest(bytes);
  // written whole and renamed into place: a node never reads half a directory
  await writeFile(`${file}.tmp`, bytes, { mode: 0o644 });
  await rename(`${file}.tmp`, file);
  if (governed === digest) {
    log(`member directory: ${file} rewritten to the governed founders' directory (SHA-256 ${hex(digest)})`);
    return { file, sha256: hex(digest) };
  }
  const call = memberDirectoryCall(contracts.consortiumRegistry, bytes);
  const governor = new Contract(contracts.consortiumGovernor, ConsortiumGovernor.abi, provider);
  await govern(
    governor,
    options.approvers.map((w) => w.connect(provider)),
    [call],
    `${call.summary} (npm start, ${new Date().toISOString()})`,
  );
  log(
    `member directory: governance adopted ${file}, the founders' legal names and credit codes (test data) and the anchor's SM2 receipt key (SHA-256 ${hex(digest)}${governed === 0n ? "" : `, replacing ${hex(governed)}`})`,
  );
  return { file, sha256: hex(digest) };
}

/**
 * The registry keeps one region per member. The channel fixtures' borrowers hold Beijing Xicheng
 * (110105) resident IDs, so governance moves branch A there; applications from 110105 route to it.
 */
export const BRANCH_A_SERVED_REGION = 110105;

/** The union's evidence log, operated by the anchor service. */
export const UNION_LOG_ID = logIdOf("union.1");

const KIND_ON_CHAIN = {
  union: MemberKind.Union,
  branch: MemberKind.Branch,
  platform: MemberKind.Platform,
  court: MemberKind.Court,
} as const;

/** Each member's chain accounts: its node's (operations) key first; the union adds its governance and anchor keys, branch A its governance key. */
export const MEMBER_ACCOUNTS: Record<NodeName, Exclude<AccountName, "deployer">[]> = {
  union: ["union", "union-governance", "union-anchor"],
  branchA: ["branchA", "branchA-governance"],
  branchB: ["branchB"],
  platform: ["platform"],
  court: ["court"],
};

/** Demo lending limits (fen): 200,000 yuan per loan, 1 million a day, 10 million outstanding, 4 million net tier-1 capital. */
const BRANCH_LIMITS = {
  singleLoanMax: 20_000_000n,
  dailyDisbursementLimit: 100_000_000n,
  outstandingLimit: 1_000_000_000n,
  netTier1Capital: 400_000_000n,
};

export const CONTRACT_FIELDS = [
  "consortiumRegistry",
  "consortiumGovernor",
  "evidenceLog",
  "evidenceRegistry",
  "jointLoanLedger",
  "disputeResolution",
] as const;

export type DeployedConsortium = {
  contracts: ConsortiumManifest["contracts"];
  settlementAccounts: Record<NodeName, string[]>;
  regions: Record<NodeName, number>;
};

/** A fresh settlement account hash (a salted hash of an account number the demo never needs). */
function settlementAccount(): string {
  return `0x${randomBytes(32).toString("hex")}`;
}

export async function deployDemoConsortium(
  provider: JsonRpcProvider,
  wallets: Record<AccountName, Wallet>,
  log: (line: string) => void,
): Promise<DeployedConsortium> {
  const signer = (name: AccountName) => wallets[name].connect(provider);
  const deployer = new NonceManager(signer("deployer"));
  const approvers = [signer("union-governance"), signer("branchA-governance")];
  const deployBlock = (await provider.getBlockNumber()) + 1;
  log(
    "contracts: deploying ConsortiumRegistry, ConsortiumGovernor, EvidenceLog, EvidenceRegistry and bootstrapping the five founders",
  );
  const core = await deployEvidenceCore(
    deployer,
    (Object.keys(DEMO_MEMBERS) as NodeName[]).map((node) => {
      const m = DEMO_MEMBERS[node];
      return {
        id: m.memberId,
        kind: KIND_ON_CHAIN[m.kind],
        regionCode: m.regionCode,
        name: m.name,
        accounts: MEMBER_ACCOUNTS[node].map((a) => ({ account: wallets[a].address, role: ACCOUNT_ROLES[a] })),
      };
    }),
  );
  const settlementAccounts: Record<NodeName, string[]> = {
    union: [],
    branchA: [settlementAccount()],
    branchB: [settlementAccount()],
    platform: [settlementAccount()],
    court: [],
  };
  log(
    "contracts: deploying JointLoanLedger and DisputeResolution; branch limits and settlement accounts through governance",
  );
  // each funder disburses from its own whitelisted settlement account into the loan's bound
  // receiving account: the platform's account is whitelisted for the platform alone
  const lending = await deployLending(deployer, core, approvers, [
    { memberId: DEMO_MEMBERS.branchA.memberId, limits: BRANCH_LIMITS, whitelist: settlementAccounts.branchA },
    { memberId: DEMO_MEMBERS.branchB.memberId, limits: BRANCH_LIMITS, whitelist: settlementAccounts.branchB },
    { memberId: DEMO_MEMBERS.platform.memberId, whitelist: settlementAccounts.platform },
  ]);
  log(
    `contracts: governance opens the union's evidence log, moves branch A to region ${BRANCH_A_SERVED_REGION} and sets each member's anchor intake quota (${INITIAL_INTAKE_QUOTAS.recordsPerSecond} records/s, ${INITIAL_INTAKE_QUOTAS.recordsPerDay} records/day)`,
  );
  await govern(core.governor, approvers, [
    ...intakeQuotaCalls(core.addresses.consortiumRegistry),
    {
      target: core.addresses.evidenceLog,
      data: core.evidenceLog.interface.encodeFunctionData("openLog", [
        UNION_LOG_ID,
        DEMO_MEMBERS.union.memberId,
        wallets["union-anchor"].address,
      ]),
    },
    {
      target: core.addresses.consortiumRegistry,
      data: core.registry.interface.encodeFunctionData("setRegion", [
        DEMO_MEMBERS.branchA.memberId,
        BRANCH_A_SERVED_REGION,
      ]),
    },
    ...settlementAccounts.platform.map((account) => ({
      target: lending.addresses.jointLoanLedger,
      data: lending.ledger.interface.encodeFunctionData("setAccountWhitelisted", [
        DEMO_MEMBERS.platform.memberId,
        account,
        true,
      ]),
    })),
  ]);
  const addresses = { ...core.addresses, ...lending.addresses };
  return {
    contracts: { ...addresses, deployBlock, codeHashes: await codeHashes(provider, addresses) },
    settlementAccounts,
    regions: regionsOnChain(),
  };
}

/** Each member's region as the registry holds it after the bootstrap. */
export function regionsOnChain(): Record<NodeName, number> {
  const regions = Object.fromEntries(
    (Object.keys(DEMO_MEMBERS) as NodeName[]).map((n) => [n, DEMO_MEMBERS[n].regionCode]),
  ) as Record<NodeName, number>;
  regions.branchA = BRANCH_A_SERVED_REGION;
  return regions;
}

export async function codeHashes(
  provider: JsonRpcProvider,
  addresses: Record<(typeof CONTRACT_FIELDS)[number], string>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const field of CONTRACT_FIELDS) out[field] = keccak256(await provider.getCode(addresses[field]));
  return out;
}

/** Why the recorded deployment cannot be reused on this chain, or undefined if it can. */
export async function deploymentProblem(
  provider: JsonRpcProvider,
  contracts: ConsortiumManifest["contracts"],
): Promise<string | undefined> {
  for (const field of CONTRACT_FIELDS) {
    const code = await provider.getCode(contracts[field]);
    if (code === "0x") return `no contract at ${contracts[field]} (${field}) on this chain`;
    const hash = keccak256(code);
    if (hash !== contracts.codeHashes[field])
      return `the code at ${contracts[field]} (${field}) has hash ${hash}, not the recorded ${contracts.codeHashes[field]}`;
  }
  return undefined;
}

/**
 * On the local chain: top up every generated account from Anvil's development account. On an
 * external chain: refuse to go on if the deployer has no funds while gas costs something.
 */
export async function fundAccounts(
  provider: JsonRpcProvider,
  wallets: Record<AccountName, Wallet>,
  local: boolean,
  log: (line: string) => void,
): Promise<void> {
  if (!local) {
    const feeData = await provider.getFeeData();
    const free = (feeData.gasPrice ?? 0n) === 0n && (feeData.maxFeePerGas ?? 0n) === 0n;
    const balance = await provider.getBalance(wallets.deployer.address);
    if (!free && balance === 0n) {
      throw new LocalConsortiumError(
        "LOCAL_UNFUNDED",
        `the external chain charges gas and the generated accounts hold nothing: fund ${Object.values(wallets)
          .map((w) => w.address)
          .join(", ")} (keys in the data directory's keys/), then start again`,
      );
    }
    return;
  }
  const faucet = new NonceManager(new Wallet(ANVIL_DEV_KEY, provider));
  // Anvil's account holds 10,000 ether: 100 each is far more than the demo spends
  const low = parseEther("10");
  const pending = [];
  for (const wallet of Object.values(wallets)) {
    if ((await provider.getBalance(wallet.address)) >= low) continue;
    pending.push(await faucet.sendTransaction({ to: wallet.address, value: parseEther("100") }));
  }
  for (const tx of pending) await tx.wait();
  if (pending.length > 0) log(`chain: funded ${pending.length} account(s) from Anvil's development account`);
}
