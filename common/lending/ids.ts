// Ids derived exactly as the contracts derive them (JointLoanLedger.loanIdOf,
// DisputeResolution.caseIdOf), so a node can name a loan or case before it is on chain.
import { AbiCoder, keccak256 } from "ethers";

const abi = AbiCoder.defaultAbiCoder();

/** keccak256(abi.encode("JointLedger.loan.v1", uint32 originator, bytes32 applicationSerial)). */
export function loanIdOf(originator: number, applicationSerial: string): string {
  return keccak256(
    abi.encode(["string", "uint32", "bytes32"], ["JointLedger.loan.v1", originator, applicationSerial]),
  );
}

/**
 * keccak256(abi.encode("JointLedger.case.v1", bytes32 loanId, uint256 triggeredAt)): the case
 * opened when the loan reached arbitration at block time `triggeredAt` (unix seconds).
 */
export function caseIdOf(loanId: string, triggeredAt: number | bigint): string {
  return keccak256(
    abi.encode(["string", "bytes32", "uint256"], ["JointLedger.case.v1", loanId, triggeredAt]),
  );
}

/** keccak256(abi.encode("JointLedger.evidence.v1", contractLeaf, consentLeaf)): a loan's evidence chain at registration. */
export function evidenceChainStart(contractLeaf: string, consentLeaf: string): string {
  return keccak256(
    abi.encode(["string", "bytes32", "bytes32"], ["JointLedger.evidence.v1", contractLeaf, consentLeaf]),
  );
}

/** The evidence chain after one more fund-flow voucher: keccak256(abi.encode(chain, voucher)). */
export function extendEvidenceChain(chain: string, voucher: string): string {
  return keccak256(abi.encode(["bytes32", "bytes32"], [chain, voucher]));
}
