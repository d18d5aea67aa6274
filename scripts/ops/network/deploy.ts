// npx node scripts/ops/network/deploy.ts --network <folder> [--rpc <url>]
//
// Deploys and bootstraps the consortium on a network written by `npm run network:besu`, with the
// existing deployment code (scripts/ops/deploy/consortium.ts): registry, governor, evidence log and
// registry with the founding members; the union's evidence log opened for the anchor service and
// each member's anchor intake quota set (scripts/ops/local/intake-quotas.ts);
// ledger and dispute resolution with each branch's quotas; the folder's member directory (legal
// names, the anchor's SM2 receipt key) adopted — the governed steps approved by the
// union's and branch A's governance keys. Every founding account gets its one role: the node's
// account operations, the anchor operator's log operator, the governance key governance. The contracts must land where the generator predicted (the env files
// already point there); the deploy block is then written into the nodes' env files.
// Run it once, on a fresh chain. Run again, it only checks the deployment.
import { readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { printUsageIfAsked } from "../usage.ts";
import type { JsonRpcProvider } from "ethers";
import { EvidenceLog } from "../../../common/chain/generated/contracts.ts";
import { AccountRole, type AccountInit } from "../../../common/consortium/members.ts";
import { directoryDigest, memberDirectoryCall } from "../../../common/consortium/member-directory.ts";
import { deployEvidenceCore, deployLending, govern } from "../deploy/consortium.ts";
import { describeIntakeQuotas, intakeQuotaCalls, intakeQuotasOnChain } from "../local/intake-quotas.ts";
import { UNION_LOG_ID, type ContractAddresses } from "./besu/consortium.ts";
import type { NetworkManifest } from "./besu/generate.ts";
import { setEnvValue } from "./besu/env-files.ts";
import { besuProvider, openNetworkFolder, type NetworkFolder } from "./network-folder.ts";

export type DeployResult = {
  status: "deployed" | "already-deployed";
  contracts: ContractAddresses;
  deployBlock: number;
};

const log = (line: string) => process.stdout.write(`${line}\n`);

function mismatch(expected: ContractAddresses, actual: Partial<ContractAddresses>): string[] {
  return Object.entries(actual)
    .filter(([name, address]) => address !== expected[name as keyof ContractAddresses])
    .map(([name, address]) => `${name} at ${address}, expected ${expected[name as keyof ContractAddresses]}`);
}

async function alreadyDeployed(folder: NetworkFolder, provider: JsonRpcProvider): Promise<DeployResult> {
  const { contracts, anchor } = folder.manifest;
  const missing = [];
  for (const [name, address] of Object.entries(contracts))
    if ((await provider.getCode(address)) === "0x") missing.push(name);
  const operator = missing.includes("evidenceLog")
    ? undefined
    : (await EvidenceLog.at(contracts.evidenceLog, provider).logInfo(UNION_LOG_ID)).operator;
  if (missing.length > 0 || operator !== anchor.operator) {
    throw new Error(
      `a partial deployment is on this chain (missing: ${missing.join(", ") || "none"}; union log operator ${operator ?? "none"}). ` +
        "Nothing depends on a consortium that was never completed: reset the chain (docker compose down -v, then up) and deploy again.",
    );
  }
  const deployBlock = Number(
    (await readEnvValue(folder, folder.manifest.members[0]!.node.envFile, "NODE_DEPLOY_BLOCK")) ?? 0,
  );
  return { status: "already-deployed", contracts, deployBlock };
}

async function readEnvValue(folder: NetworkFolder, file: string, name: string): Promise<string | undefined> {
  return (await folder.env(file))[name];
}

/** Rewrite a file in place atomically, keeping its mode (env files are 0600). */
async function replaceFile(file: string, content: string): Promise<void> {
  const { mode } = await stat(file);
  const temporary = `${file}.tmp-${process.pid}`;
  await writeFile(temporary, content, { mode: mode & 0o777 });
  await rename(temporary, file);
}

/**
 * The folder's member directory, which the deployment governs: refused before anything is deployed
 * unless its bytes are the ones the generator wrote (the SHA-256 in network.json), since every
 * node's env file already names this file and a node shows only the governed bytes.
 */
async function generatedDirectory(folder: NetworkFolder): Promise<Uint8Array> {
  // network.json's type says it is there; a folder written by an older generator has none
  const directory = folder.manifest.memberDirectory as NetworkManifest["memberDirectory"] | undefined;
  if (directory === undefined)
    throw new Error(
      "network.json names no member directory: this folder predates it; generate the network again (npm run network:besu)",
    );
  const { file, sha256 } = directory;
  const bytes = await readFile(path.join(folder.dir, file));
  const digest = directoryDigest(bytes).toString(16).padStart(64, "0");
  if (digest !== sha256)
    throw new Error(
      `${file} has SHA-256 ${digest}, not the ${sha256} the generator wrote: generate the network again with --member-directory, or deploy and then adopt the changed file with govern.ts propose member-directory`,
    );
  return bytes;
}

/** A founding member's accounts with their roles, as the manifest names them. */
export function founderAccounts(
  manifest: NetworkManifest,
  member: NetworkManifest["members"][number],
): AccountInit[] {
  return member.accounts.map((account) => {
    if (account === member.node.account) return { account, role: AccountRole.Operations };
    if (account === member.governance?.account) return { account, role: AccountRole.Governance };
    if (account === manifest.anchor.operator) return { account, role: AccountRole.LogOperator };
    throw new Error(
      `network.json: ${account} of member ${member.key} is neither its node's, its governance nor the anchor operator's account`,
    );
  });
}

export async function deployNetwork(dir: string, rpcUrl?: string): Promise<DeployResult> {
  const folder = await openNetworkFolder(dir);
  const { manifest } = folder;
  const provider = besuProvider(rpcUrl ?? manifest.anchor.rpcUrl);
  try {
    const chainId = Number((await provider.getNetwork()).chainId);
    if (chainId !== manifest.chainId)
      throw new Error(`the RPC endpoint serves chain ${chainId}; ${dir} is for chain ${manifest.chainId}`);
    const deployer = await folder.deployerWallet(provider);
    const nonce = await provider.getTransactionCount(deployer.address);
    if (nonce > 0) return await alreadyDeployed(folder, provider);

    const directory = await generatedDirectory(folder);
    const approvers = [
      await folder.governanceWallet("union", provider),
      await folder.governanceWallet("branchA", provider),
    ];
    log(
      `deploying to chain ${chainId} as ${deployer.address} (approvals: union's and branch A's governance keys)`,
    );
    const founders = manifest.members.map((m) => ({
      id: m.id,
      kind: m.kindCode,
      regionCode: m.regionCode,
      name: m.name,
      accounts: founderAccounts(manifest, m),
    }));
    const core = await deployEvidenceCore(deployer, founders);
    const coreWrong = mismatch(manifest.contracts, core.addresses);
    if (coreWrong.length > 0)
      throw new Error(`contracts are not where the env files expect them: ${coreWrong.join("; ")}`);
    log(
      `  consortium registry ${core.addresses.consortiumRegistry}, governor ${core.addresses.consortiumGovernor}, founders bootstrapped in block ${core.blockNumber}`,
    );
    await govern(
      core.governor,
      approvers,
      [
        {
          target: core.addresses.evidenceLog,
          data: core.evidenceLog.interface.encodeFunctionData("openLog", [
            UNION_LOG_ID,
            1,
            manifest.anchor.operator,
          ]),
        },
        ...intakeQuotaCalls(core.addresses.consortiumRegistry),
        memberDirectoryCall(core.addresses.consortiumRegistry, directory),
      ],
      `open evidence log ${manifest.anchor.logName}; set the anchor intake quotas; adopt the member directory`,
    );
    log(
      `  evidence log ${manifest.anchor.logName} opened for the anchor service (${manifest.anchor.operator})`,
    );
    log(
      `  member directory ${manifest.memberDirectory.file} governed (SHA-256 ${manifest.memberDirectory.sha256}${manifest.memberDirectory.testData ? ", fictional test identities" : ""}), binding the anchor's SM2 receipt key`,
    );
    log(`  ${describeIntakeQuotas(await intakeQuotasOnChain(provider, core.addresses.consortiumRegistry))}`);
    const limits = Object.fromEntries(
      Object.entries(manifest.branchLimits).map(([k, v]) => [k, BigInt(v)]),
    ) as {
      singleLoanMax: bigint;
      dailyDisbursementLimit: bigint;
      outstandingLimit: bigint;
      netTier1Capital: bigint;
    };
    const branches = manifest.members
      .filter((m) => m.kind === "branch")
      .map((m) => ({ memberId: m.id, limits, whitelist: [] }));
    const lending = await deployLending(deployer, core, approvers, branches);
    const lendingWrong = mismatch(manifest.contracts, lending.addresses);
    if (lendingWrong.length > 0)
      throw new Error(`contracts are not where the env files expect them: ${lendingWrong.join("; ")}`);
    log(
      `  joint loan ledger ${lending.addresses.jointLoanLedger}, dispute resolution ${lending.addresses.disputeResolution}; quotas set for ${branches.length} branch(es)`,
    );

    for (const member of manifest.members) {
      const file = path.join(dir, member.node.envFile);
      await replaceFile(
        file,
        setEnvValue(await readFile(file, "utf8"), "NODE_DEPLOY_BLOCK", core.blockNumber),
      );
    }
    log(`  NODE_DEPLOY_BLOCK=${core.blockNumber} written to ${manifest.members.length} env files`);
    return { status: "deployed", contracts: manifest.contracts, deployBlock: core.blockNumber };
  } finally {
    provider.destroy();
  }
}

const DEPLOY_USAGE =
  "usage: node scripts/ops/network/deploy.ts --network <folder written by npm run network:besu> [--rpc <url>]\n";

if (import.meta.main) {
  printUsageIfAsked(
    process.argv.slice(2),
    `${DEPLOY_USAGE}
Deploys the consortium's contracts on the Besu network npm run network:besu wrote, governs the
founding members in, and writes NODE_DEPLOY_BLOCK and the addresses into the folder's env files.
Run again, it only checks the deployment.

  --network DIR   the folder npm run network:besu wrote
  --rpc URL       the chain's RPC endpoint (default: the folder's anchor rpcUrl)
  -h, --help      this text
`,
  );
  const { values } = parseArgs({
    options: { network: { type: "string" }, rpc: { type: "string" } },
    strict: true,
  });
  if (values.network === undefined) {
    process.stderr.write(DEPLOY_USAGE);
    process.exit(2);
  }
  try {
    const result = await deployNetwork(values.network, values.rpc);
    log(
      result.status === "deployed"
        ? `deployed; start the anchor service and the nodes with the env files in ${values.network}/env`
        : `already deployed (deploy block ${result.deployBlock}); nothing to do`,
    );
  } catch (error) {
    process.stderr.write(`deploy: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
