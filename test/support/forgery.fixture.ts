// The look-alike forgery: an account outside the consortium deploys its own EvidenceLog and
// EvidenceRegistry look-alikes (contracts/test/LookalikeEvidence.sol) whose log names the real
// ConsortiumRegistry and claims an operator member, commits a one-leaf head holding a made-up
// document credited to a member, and builds the bundle with the project's own buildBundle. Every
// hash in it is right and the head is on the consortium's chain: only the trust anchor (the
// registry's official evidence pair) tells it from genuine evidence.
import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ContractFactory, type Contract, type Signer, type TransactionReceipt } from "ethers";
import { toHex } from "../../common/bytes.ts";
import { buildBundle, type EvidenceBundle } from "../../common/formats/bundle/bundle.ts";
import {
  DigestAlgorithm,
  EvidenceKind,
  leafHashOf,
  type EvidenceRecord,
} from "../../common/formats/leaf/leaf.ts";
import {
  signSubmission,
  submissionDomain,
  submissionProofOf,
} from "../../common/formats/receipt/submission.ts";
import { MEMBERS, UNION_LOG, type ConsortiumChain } from "./consortium-chain.ts";

const ARTIFACTS = "artifacts/contracts/test/LookalikeEvidence.sol";

async function deploy(name: string, signer: Signer, args: unknown[]): Promise<Contract> {
  const { abi, bytecode } = JSON.parse(await readFile(`${ARTIFACTS}/${name}.json`, "utf8")) as {
    abi: unknown[];
    bytecode: string;
  };
  const contract = await new ContractFactory(abi as never, bytecode, signer).deploy(...args);
  await contract.waitForDeployment();
  return contract as unknown as Contract;
}

export type Forgery = {
  bundle: EvidenceBundle;
  document: Buffer;
  evidenceLog: string;
  evidenceRegistry: string;
};

export async function forgeLookalikeBundle(
  forger: Signer,
  options: {
    consortiumRegistry: string;
    logId: string;
    operatorMember: number;
    submitter: number;
    document?: Buffer;
  },
): Promise<Forgery> {
  const document =
    options.document ??
    Buffer.from(
      `loan contract LN-2026-9999 (made up) ${randomBytes(4).toString("hex")}\nLender: member ${options.submitter}\n`,
    );
  const log = await deploy("LookalikeEvidenceLog", forger, [
    options.consortiumRegistry,
    options.operatorMember,
  ]);
  const registry = await deploy("LookalikeEvidenceRegistry", forger, [await log.getAddress()]);
  const record: EvidenceRecord = {
    version: 1,
    kind: EvidenceKind.Contract,
    digestAlgorithm: DigestAlgorithm.Sha256,
    digest: `0x${createHash("sha256").update(document).digest("hex")}`,
    salt: `0x${randomBytes(32).toString("hex")}`,
    submitter: options.submitter,
    subject: `0x${randomBytes(32).toString("hex")}`,
  };
  // a one-leaf tree's root is the leaf hash (RFC 9162), and its inclusion proof is empty
  const root = toHex(leafHashOf(record));
  const receipt = (await (
    await log.getFunction("commitHead")(options.logId, 1, root, [])
  ).wait()) as TransactionReceipt;
  const provider = forger.provider!;
  const block = (await provider.getBlock(receipt.blockNumber))!;
  // the forger signs the submission with its own key: self-consistent offline, nobody's member key
  const chainId = (await provider.getNetwork()).chainId;
  const signed = await signSubmission(
    forger,
    submissionDomain(chainId, await log.getAddress()),
    options.logId,
    [leafHashOf(record)],
  );
  const bundle = buildBundle({
    record,
    log: { logId: options.logId, operatorMember: options.operatorMember, leafIndex: 0 },
    head: { treeSize: 1, rootHash: root, headIndex: 0 },
    inclusionProof: [],
    anchor: {
      chainId: (await provider.getNetwork()).chainId,
      evidenceLog: (await log.getAddress()).toLowerCase(),
      evidenceRegistry: (await registry.getAddress()).toLowerCase(),
      consortiumRegistry: options.consortiumRegistry.toLowerCase(),
      transactionHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      blockHash: block.hash!,
      blockTimestamp: block.timestamp,
    },
    status: {
      state: "Unknown",
      legalHold: false,
      replacement: null,
      endorsements: [],
      checkedAtBlock: receipt.blockNumber,
    },
    submission: submissionProofOf([leafHashOf(record)], 0, {
      signature: signed.signature,
      signer: await forger.getAddress(),
    }),
  });
  return {
    bundle,
    document,
    evidenceLog: bundle.anchor.evidenceLog,
    evidenceRegistry: bundle.anchor.evidenceRegistry,
  };
}

/** The forgery on a test consortium chain: the outsider's look-alike of the union's log, naming the real registry, crediting `document` to branch A. */
export function forgeUnionLookalike(chain: ConsortiumChain, document?: Buffer): Promise<Forgery> {
  return forgeLookalikeBundle(chain.wallets.outsider, {
    consortiumRegistry: chain.deployment.addresses.consortiumRegistry,
    logId: UNION_LOG,
    operatorMember: MEMBERS.union,
    submitter: MEMBERS.branchA,
    ...(document === undefined ? {} : { document }),
  });
}
