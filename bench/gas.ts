// Gas per anchored leaf on the benchmark's Anvil chain: EvidenceLog.commitHead measured with the
// same scenario code as `npm run gas:snapshot` (scripts/ops/gas/commit-head.ts) at batch sizes of
// 100, 1,000 and 10,000 leaves appended between heads, against two "one record per transaction"
// alternatives: a size-1 head per document, and a plain transaction that carries the 224-byte
// leaf as calldata (21,000 + calldata, no contract at all: a lower bound for any per-document
// transaction).
import type { Contract, JsonRpcProvider, Wallet } from "ethers";
import { ContractFactory, NonceManager } from "ethers";
import { measureCommitHeadGas, type CommitScenario } from "../scripts/ops/gas/commit-head.ts";
import { loadArtifact } from "../scripts/ops/deploy/consortium.ts";

export type GasRow = { name: string; leaves: number; logSize: number; gas: number; gasPerLeaf: number };
export type GasResult = {
  rows: GasRow[];
  plainTx: { gas: number; calldataBytes: number; zeroBytes: number };
  hardfork: string | undefined;
};

export const BATCH_SIZES = [1, 100, 1_000, 10_000] as const;

export async function measureGas(
  provider: JsonRpcProvider,
  deployer: Wallet,
  sender: Wallet,
  recipient: string,
  leaf: Uint8Array,
  logSizes: readonly number[],
  log: (line: string) => void,
): Promise<GasResult> {
  const signer = new NonceManager(deployer);
  const ethersLike = {
    deployContract: async (name: string, args: unknown[] = []): Promise<Contract> => {
      const { abi, bytecode } = await loadArtifact(name);
      const contract = await new ContractFactory(abi, bytecode, signer).deploy(...args);
      await contract.waitForDeployment();
      return contract as unknown as Contract;
    },
    getSigners: async () => [{ address: await deployer.getAddress() }],
  };
  const scenarios: Array<CommitScenario & { leaves: number; logSize: number }> = [];
  for (const size of logSizes) {
    for (const b of BATCH_SIZES) {
      scenarios.push({
        name: `commitHead ${(size - b).toLocaleString("en-US")} → ${size.toLocaleString("en-US")}`,
        from: size - b,
        to: size,
        leaves: b,
        logSize: size,
      });
    }
  }
  const gas = await measureCommitHeadGas(ethersLike, scenarios, (line) => log(`gas: ${line}`));
  const rows = scenarios.map((s) => ({
    name: s.name,
    leaves: s.leaves,
    logSize: s.logSize,
    gas: gas[s.name]!,
    gasPerLeaf: gas[s.name]! / s.leaves,
  }));

  const tx = await sender.sendTransaction({ to: recipient, data: `0x${Buffer.from(leaf).toString("hex")}` });
  const receipt = await tx.wait();
  const plainTx = {
    gas: Number(receipt!.gasUsed),
    calldataBytes: leaf.length,
    zeroBytes: leaf.filter((b) => b === 0).length,
  };
  log(`gas: plain transaction with the ${leaf.length}-byte leaf as calldata: ${plainTx.gas} gas`);

  let hardfork: string | undefined;
  try {
    const info = (await provider.send("anvil_nodeInfo", [])) as { hardFork?: string };
    hardfork = info.hardFork;
  } catch {
    hardfork = undefined;
  }
  return { rows, plainTx, hardfork };
}
