// A joint loan's platform agreement (LoanTermsVerifier.agreementDigest, the verifier at
// JointLoanLedger.termsVerifier()): the platform co-funder
// signs, with an account of its own, the EIP-712 typed data
//   LoanAgreement(bytes32 loanId, bytes32 termsHash),  termsHash = keccak256(abi.encode(terms))
// in the domain { name "JointLoanLedger", version "1", chainId, verifyingContract: the ledger }.
// The ledger refuses to register a joint loan without it (LedgerPlatformAgreementMissing), so a
// branch cannot commit a platform to fund a loan it never agreed to, nor change any term after.
// The platform's node produces the signature; the branch's node sends it with registerLoan.
import { AbiCoder, TypedDataEncoder, keccak256 } from "ethers";
import type { TypedDataSigner } from "../auth/eip712.ts";
import { loanIdOf } from "./ids.ts";

/** IJointLoanLedger.LoanTerms as an ABI tuple type, field for field. */
export const LOAN_TERMS_TUPLE =
  "tuple(uint32 originator, bytes32 applicationSerial, bytes32 borrowerKey, uint32 borrowerRegion, uint32 branch, uint32 platform, tuple(uint32 memberId, uint16 shareBps)[] funders, uint64 principal, uint16 aprBps, uint8 method, uint16 startDay, tuple(uint16 dueDay, uint32 principal, uint32 interest)[] schedule, tuple(uint8 installment, uint32 amount)[] fees, bytes32 contractLeaf, bytes32 consentLeaf, bytes32 receivingAccount)";

/** LoanTerms as registerLoan takes them (amounts as bigint or decimal strings). */
export type LoanTermsForAgreement = {
  originator: number;
  applicationSerial: string;
  borrowerKey: string;
  borrowerRegion: number;
  branch: number;
  platform: number;
  funders: ReadonlyArray<{ memberId: number; shareBps: number }>;
  principal: bigint | string;
  aprBps: number;
  method: number;
  startDay: number;
  schedule: ReadonlyArray<{ dueDay: number; principal: bigint | string; interest: bigint | string }>;
  fees: ReadonlyArray<{ installment: number; amount: bigint | string }>;
  contractLeaf: string;
  consentLeaf: string;
  /** Salted hash of the account disbursements are paid into (the borrower's, or an entrusted payee's). */
  receivingAccount: string;
};

export const LOAN_AGREEMENT_TYPES = {
  LoanAgreement: [
    { name: "loanId", type: "bytes32" },
    { name: "termsHash", type: "bytes32" },
  ],
} as const;

/** keccak256(abi.encode(terms)). */
export function loanTermsHash(terms: LoanTermsForAgreement): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode([LOAN_TERMS_TUPLE], [terms]));
}

/** The typed data the platform signs (ethers' signTypedData(domain, types, value)). */
export function loanAgreementTypedData(
  chainId: bigint | number,
  ledger: string,
  terms: LoanTermsForAgreement,
) {
  return {
    domain: { name: "JointLoanLedger", version: "1", chainId, verifyingContract: ledger },
    types: { LoanAgreement: [...LOAN_AGREEMENT_TYPES.LoanAgreement] },
    value: { loanId: loanIdOf(terms.originator, terms.applicationSerial), termsHash: loanTermsHash(terms) },
  };
}

/** The digest the ledger's LoanTermsVerifier.agreementDigest(terms) returns. */
export function loanAgreementDigest(
  chainId: bigint | number,
  ledger: string,
  terms: LoanTermsForAgreement,
): string {
  const { domain, types, value } = loanAgreementTypedData(chainId, ledger, terms);
  return TypedDataEncoder.hash(domain, types, value);
}

/** The platform's 65-byte agreement signature over `terms`. */
export async function signLoanAgreement(
  signer: TypedDataSigner,
  chainId: bigint | number,
  ledger: string,
  terms: LoanTermsForAgreement,
): Promise<string> {
  const { domain, types, value } = loanAgreementTypedData(chainId, ledger, terms);
  return signer.signTypedData(domain, types, value);
}

/**
 * A joint loan's agreed income split (LoanTermsVerifier.incomeSplitDigest): the platform signs
 *   IncomeSplit(bytes32 loanId, uint16 platformIncomeShareBps)
 * in the same domain, and the branch sends it with JointLoanLedger.agreeIncomeSplit before any
 * disbursement; the loan's income (interest and penalty) then splits by these shares, principal
 * still by funding share (`incomeShares`).
 */
export const INCOME_SPLIT_TYPES = {
  IncomeSplit: [
    { name: "loanId", type: "bytes32" },
    { name: "platformIncomeShareBps", type: "uint16" },
  ],
} as const;

export function incomeSplitTypedData(
  chainId: bigint | number,
  ledger: string,
  loanId: string,
  platformIncomeShareBps: number,
) {
  return {
    domain: { name: "JointLoanLedger", version: "1", chainId, verifyingContract: ledger },
    types: { IncomeSplit: [...INCOME_SPLIT_TYPES.IncomeSplit] },
    value: { loanId, platformIncomeShareBps },
  };
}

/** The digest the ledger's LoanTermsVerifier.incomeSplitDigest(loanId, bps) returns. */
export function incomeSplitDigest(
  chainId: bigint | number,
  ledger: string,
  loanId: string,
  platformIncomeShareBps: number,
): string {
  const { domain, types, value } = incomeSplitTypedData(chainId, ledger, loanId, platformIncomeShareBps);
  return TypedDataEncoder.hash(domain, types, value);
}

/** The income shares of a loan: [branch, platform] as agreed, or its funding shares. */
export function incomeShares(fundingShares: readonly number[], platformIncomeShareBps?: number): number[] {
  if (platformIncomeShareBps === undefined || fundingShares.length !== 2) return [...fundingShares];
  return [10_000 - platformIncomeShareBps, platformIncomeShareBps];
}
