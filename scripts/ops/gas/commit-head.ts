// Gas of EvidenceLog.commitHead, the anchor service's hot path on chain, at realistic log
// sizes. Shared by `npm run gas:snapshot` (writes gas/snapshot.json) and the gas test (compares
// against it), so both measure exactly the same scenarios.
import { keccak256, toUtf8Bytes, type BaseContract, type ContractRunner } from "ethers";
import { toHex } from "../../../common/bytes.ts";
import { ConsortiumRegistry, EvidenceLog } from "../../../common/chain/generated/contracts.ts";
import { logOperator } from "../../../common/consortium/members.ts";
import {
  consistencyProof,
  hashLeaf,
  memoRangeHasher,
  type RangeHasher,
} from "../../../common/formats/merkle/rfc9162.ts";

/** One measured commit: the log had a head of size `from`; the new head has size `to`. */
export type CommitScenario = { name: string; from: number; to: number };

export const COMMIT_SCENARIOS: readonly CommitScenario[] = [
  { name: "commitHead first head (1,000 leaves, no proof)", from: 0, to: 1_000 },
  { name: "commitHead 999 → 1,000", from: 999, to: 1_000 },
  { name: "commitHead 900 → 1,000", from: 900, to: 1_000 },
  { name: "commitHead 999,999 → 1,000,000", from: 999_999, to: 1_000_000 },
  { name: "commitHead 990,000 → 1,000,000 (one 10k batch)", from: 990_000, to: 1_000_000 },
  {
    name: "commitHead 524,287 → 1,000,000 (worst case: 21 hashes, 38 compressions)",
    from: 524_287,
    to: 1_000_000,
  },
  { name: "commitHead 1,000,000 → 1,048,575", from: 1_000_000, to: 1_048_575 },
];

/** The budget the foundation issue sets for one head commit at a million leaves. */
export const COMMIT_HEAD_GAS_BUDGET = 120_000;

/** Deterministic leaf hashes: leaf i is its 4-byte big-endian index. */
export function syntheticRange(size: number): RangeHasher {
  const hashes = new Array<Uint8Array>(size);
  const leaf = new Uint8Array(4);
  const view = new DataView(leaf.buffer);
  for (let i = 0; i < size; i++) {
    view.setUint32(0, i);
    hashes[i] = hashLeaf(leaf);
  }
  return memoRangeHasher(hashes);
}

type Ethers = {
  deployContract: (name: string, args: unknown[]) => Promise<unknown>;
  getSigners: () => Promise<{ address: string }[]>;
};

/** A contract Hardhat (or the bench's deployer) deployed, as its generated typed handle. */
export async function typed<T>(
  deployed: Promise<unknown>,
  contract: { at(address: string, runner?: ContractRunner | null): T },
): Promise<T> {
  const c = (await deployed) as BaseContract;
  return contract.at(await c.getAddress(), c.runner);
}

/**
 * Deploy a one-member consortium whose log-operator account is the first signer, open one log per
 * scenario, commit the `from` head (if any) and measure the commit of the `to` head.
 */
export async function measureCommitHeadGas(
  ethers: Ethers,
  scenarios: readonly CommitScenario[] = COMMIT_SCENARIOS,
  onProgress: (line: string) => void = () => {},
): Promise<Record<string, number>> {
  const [operator] = await ethers.getSigners();
  const registry = await typed(ethers.deployContract("ConsortiumRegistry", []), ConsortiumRegistry);
  const evidenceLog = await typed(
    ethers.deployContract("EvidenceLog", [await registry.getAddress()]),
    EvidenceLog,
  );
  // the deployer acts as governor here: this measures commitHead, not governance
  const founders = [
    { id: 1, kind: 1, regionCode: 330000, name: "Union", accounts: [logOperator(operator!.address)] },
  ];
  await (await registry.bootstrap(operator!.address, founders)).wait();

  const largest = Math.max(...scenarios.map((s) => s.to));
  onProgress(`building a synthetic log of ${largest.toLocaleString("en-US")} leaves…`);
  const range = syntheticRange(largest);
  const gas: Record<string, number> = {};
  for (const [i, s] of scenarios.entries()) {
    const logId = keccak256(toUtf8Bytes(`gas.${i}`));
    await (await evidenceLog.openLog(logId, 1, operator!.address)).wait();
    if (s.from > 0) {
      await (await evidenceLog.commitHead(logId, s.from, toHex(range(0, s.from)), [])).wait();
    }
    const proof = s.from === 0 ? [] : consistencyProof(s.from, s.to, range).map(toHex);
    const tx = await evidenceLog.commitHead(logId, s.to, toHex(range(0, s.to)), proof);
    const receipt = await tx.wait();
    if (receipt === null) throw new Error(`commitHead of ${s.name} was not mined`);
    gas[s.name] = Number(receipt.gasUsed);
    onProgress(`${s.name}: ${gas[s.name]} gas (proof of ${proof.length} hashes)`);
  }
  return gas;
}
