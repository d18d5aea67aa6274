// Proposal ids, mirrored from ConsortiumGovernor.hashProposal so a node can name a proposal
// before it is on chain (and check the chain agrees).
import { AbiCoder, keccak256, toUtf8Bytes } from "ethers";

/** keccak256(abi.encode(address[] targets, bytes[] calldatas, bytes32 descriptionHash)). */
export function proposalIdOf(
  targets: readonly string[],
  calldatas: readonly string[],
  description: string,
): bigint {
  const descriptionHash = keccak256(toUtf8Bytes(description));
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ["address[]", "bytes[]", "bytes32"],
    [targets, calldatas, descriptionHash],
  );
  return BigInt(keccak256(encoded));
}
