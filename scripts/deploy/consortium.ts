// Deploys the consortium's contracts to any JSON-RPC chain from the Hardhat build artifacts
// (run `npx hardhat build` first), bootstraps the founding members and passes the first
// governance decisions. Used by the end-to-end tests and the local consortium (`npm start`).
import { readFile } from "node:fs/promises";
import type { Signer } from "ethers";
import { Contract, ContractFactory, NonceManager, keccak256, toUtf8Bytes } from "ethers";

type Artifact = { abi: unknown[]; bytecode: string };

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
    throw new Error(`cannot read ${path}: run \`npx hardhat build\` first (${(error as Error).message})`);
  }
}

export type FounderInit = { id: number; kind: number; regionCode: number; name: string; accounts: string[] };

export type Deployment = {
  registry: Contract;
  governor: Contract;
  evidenceLog: Contract;
  evidenceRegistry: Contract;
  addresses: { consortiumRegistry: string; consortiumGovernor: string; evidenceLog: string; evidenceRegistry: string };
  blockNumber: number;
};

async function deploy(name: string, signer: Signer, args: unknown[]): Promise<Contract> {
  const { abi, bytecode } = await loadArtifact(name);
  const contract = await new ContractFactory(abi as never, bytecode, signer).deploy(...args);
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
  const evidenceRegistry = await deploy("EvidenceRegistry", deployer, [registryAddress, await evidenceLog.getAddress()]);
  const receipt = await (await registry.getFunction("bootstrap")(await governor.getAddress(), founders)).wait();
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
 * Pass calls through the governor: the first approver proposes, the rest approve, then execute.
 * `approvers` must be enough active governors' accounts to meet the threshold.
 */
export async function govern(governor: Contract, approvers: Signer[], calls: Array<{ target: string; data: string }>, description?: string): Promise<void> {
  const text = description ?? `proposal ${Date.now()}-${++proposals}`;
  const targets = calls.map((c) => c.target);
  const datas = calls.map((c) => c.data);
  const id = await governor.getFunction("hashProposal")(targets, datas, keccak256(toUtf8Bytes(text)));
  await (await (governor.connect(approvers[0]!) as Contract).getFunction("propose")(targets, datas, text)).wait();
  for (const approver of approvers.slice(1)) await (await (governor.connect(approver) as Contract).getFunction("approve")(id)).wait();
  await (await (governor.connect(approvers[0]!) as Contract).getFunction("execute")(targets, datas, keccak256(toUtf8Bytes(text)))).wait();
}

/** keccak256("jointledger.log." + name): the id of a member's evidence log. */
export function logIdOf(name: string): string {
  return keccak256(toUtf8Bytes(`jointledger.log.${name}`));
}
