// Deploys the consortium's contracts to any JSON-RPC chain from the Hardhat build artifacts
// (run `npx hardhat build` first), bootstraps the founding members and passes the first
// governance decisions. Used by the end-to-end tests and the local consortium (`npm start`).
import { readFile } from "node:fs/promises";
import type { JsonFragment, Signer } from "ethers";
import { Contract, ContractFactory, NonceManager, keccak256, toUtf8Bytes } from "ethers";
import { batchSupport, deployBatchExecutor } from "../../../common/chain/batch.ts";
import { ConsortiumGovernor, ConsortiumRegistry } from "../../../common/chain/generated/contracts.ts";
import type { AccountInit } from "../../../common/consortium/members.ts";

type Artifact = { abi: JsonFragment[]; bytecode: string };

const ARTIFACTS: Record<string, string> = {
  ConsortiumRegistry: "consortium/ConsortiumRegistry.sol",
  ConsortiumGovernor: "consortium/ConsortiumGovernor.sol",
  EvidenceLog: "evidence/EvidenceLog.sol",
  EvidenceRegistry: "evidence/EvidenceRegistry.sol",
  JointLoanLedger: "lending/JointLoanLedger.sol",
  DisputeResolution: "lending/DisputeResolution.sol",
};

export async function loadArtifact(name: string, root = "artifacts/contracts"): Promise<Artifact> {
  const path = `${root}/${ARTIFACTS[name]}/${name}.json`;
  try {
    return JSON.parse(await readFile(path, "utf8")) as Artifact;
  } catch (error) {
    throw new Error(`cannot read ${path}: run \`npx hardhat build\` first (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/** A founding member; each account carries its one role (operations, log operator, governance). */
export type FounderInit = {
  id: number;
  kind: number;
  regionCode: number;
  name: string;
  accounts: AccountInit[];
};

export type Deployment = {
  registry: Contract;
  governor: Contract;
  evidenceLog: Contract;
  evidenceRegistry: Contract;
  addresses: {
    consortiumRegistry: string;
    consortiumGovernor: string;
    evidenceLog: string;
    evidenceRegistry: string;
  };
  blockNumber: number;
};

async function deploy(name: string, signer: Signer, args: unknown[]): Promise<Contract> {
  const { abi, bytecode } = await loadArtifact(name);
  const contract = await new ContractFactory(abi, bytecode, signer).deploy(...args);
  await contract.waitForDeployment();
  return contract as unknown as Contract;
}

/** Deploy registry, governor, evidence log and registry; bootstrap the founders once. */
export async function deployEvidenceCore(signer: Signer, founders: FounderInit[]): Promise<Deployment> {
  // count nonces locally: back-to-back deployments must not reuse one the node has not indexed yet
  const deployer = signer instanceof NonceManager ? signer : new NonceManager(signer);
  const registry = await deploy("ConsortiumRegistry", deployer, []);
  const registryAddress = await registry.getAddress();
  const governor = await deploy("ConsortiumGovernor", deployer, [registryAddress, 5000, 7 * 24 * 3600]);
  const evidenceLog = await deploy("EvidenceLog", deployer, [registryAddress]);
  const evidenceRegistry = await deploy("EvidenceRegistry", deployer, [
    registryAddress,
    await evidenceLog.getAddress(),
  ]);
  // the official evidence pair is part of the trust anchor a court reads from the registry
  const typedRegistry = ConsortiumRegistry.at(registryAddress, deployer);
  await (
    await typedRegistry.bootstrapEvidenceContracts(
      await evidenceLog.getAddress(),
      await evidenceRegistry.getAddress(),
    )
  ).wait();
  const receipt = await (await typedRegistry.bootstrap(await governor.getAddress(), founders)).wait();
  return {
    registry,
    governor,
    evidenceLog,
    evidenceRegistry,
    addresses: {
      consortiumRegistry: registryAddress,
      consortiumGovernor: await governor.getAddress(),
      evidenceLog: await evidenceLog.getAddress(),
      evidenceRegistry: await evidenceRegistry.getAddress(),
    },
    blockNumber: receipt!.blockNumber,
  };
}

let proposals = 0;

/**
 * Pass calls through the governor: the first approver proposes, the rest approve, then the first
 * executes. `approvers` must be governance keys of enough active governors to meet the threshold.
 */
export async function govern(
  governor: Contract,
  approvers: Signer[],
  calls: Array<{ target: string; data: string }>,
  description?: string,
): Promise<void> {
  const text = description ?? `proposal ${Date.now()}-${++proposals}`;
  const targets = calls.map((c) => c.target);
  const datas = calls.map((c) => c.data);
  const g = ConsortiumGovernor.at(await governor.getAddress(), governor.runner);
  const id = await g.hashProposal(targets, datas, keccak256(toUtf8Bytes(text)));
  await (await g.connect(approvers[0]).propose(targets, datas, text)).wait();
  for (const approver of approvers.slice(1)) await (await g.connect(approver).approve(id)).wait();
  await (await g.connect(approvers[0]).execute(targets, datas, keccak256(toUtf8Bytes(text)))).wait();
}

/** keccak256("jointledger.log." + name): the id of a member's evidence log. */
export function logIdOf(name: string): string {
  return keccak256(toUtf8Bytes(`jointledger.log.${name}`));
}

/** DOMAIN.md defaults for the ledger's governed parameters (amounts in fen). */
export const DEFAULT_LEDGER_PARAMS = {
  aprCapBps: 2400,
  platformShareFloorBps: 3000,
  coFundingCapitalRatioBps: 2500,
  penaltyAprBps: 1200,
  minTermDays: 7,
  maxTermDays: 1096,
  minPrincipal: 300_000n,
  maxPrincipal: 20_000_000n,
  borrowerOutstandingLimit: 30_000_000n,
} as const;

export const DEFAULT_STAGE_THRESHOLDS = { reminderDays: 3, mediationDays: 7, arbitrationDays: 15 } as const;

export type LendingDeployment = {
  ledger: Contract;
  disputes: Contract;
  addresses: { jointLoanLedger: string; disputeResolution: string };
  blockNumber: number;
};

/**
 * Deploy JointLoanLedger and DisputeResolution on an existing consortium and, through the
 * governor (with `approvers`), connect them and set each branch's quotas and each member's
 * whitelisted settlement accounts (a funder disburses only from its own; a platform has no quotas).
 * Where the chain can run batches, BatchExecutor is put at its CREATE2 address too (once per chain),
 * so the members' accounts can batch their ledger calls (common/chain/batch.ts).
 */
export async function deployLending(
  signer: Signer,
  core: Deployment,
  approvers: Signer[],
  branches: Array<{
    memberId: number;
    limits?: {
      singleLoanMax: bigint;
      dailyDisbursementLimit: bigint;
      outstandingLimit: bigint;
      netTier1Capital: bigint;
    };
    whitelist: string[];
  }>,
): Promise<LendingDeployment> {
  const deployer = signer instanceof NonceManager ? signer : new NonceManager(signer);
  const registry = core.addresses.consortiumRegistry;
  const ledger = await deploy("JointLoanLedger", deployer, [registry, DEFAULT_LEDGER_PARAMS]);
  const ledgerAddress = await ledger.getAddress();
  const disputes = await deploy("DisputeResolution", deployer, [
    registry,
    ledgerAddress,
    DEFAULT_STAGE_THRESHOLDS,
  ]);
  const disputesAddress = await disputes.getAddress();
  const calls = [
    {
      target: ledgerAddress,
      data: ledger.interface.encodeFunctionData("setDisputeResolution", [disputesAddress]),
    },
  ];
  for (const b of branches) {
    if (b.limits !== undefined)
      calls.push({
        target: ledgerAddress,
        data: ledger.interface.encodeFunctionData("setBranchLimits", [b.memberId, b.limits]),
      });
    for (const account of b.whitelist) {
      calls.push({
        target: ledgerAddress,
        data: ledger.interface.encodeFunctionData("setAccountWhitelisted", [b.memberId, account, true]),
      });
    }
  }
  // the governor executes at most 32 calls per proposal
  for (let i = 0; i < calls.length; i += 32) await govern(core.governor, approvers, calls.slice(i, i + 32));
  // last: the consortium's contracts keep the addresses their deployer's nonces give them (the
  // Besu generator writes them into the env files before anything is deployed)
  if ((await batchSupport(deployer.provider!)) === "deployable") await deployBatchExecutor(deployer);
  const provider = deployer.provider!;
  return {
    ledger,
    disputes,
    addresses: { jointLoanLedger: ledgerAddress, disputeResolution: disputesAddress },
    blockNumber: await provider.getBlockNumber(),
  };
}
