// A joint loan's platform agreement (LoanTermsVerifier.agreementDigest, the verifier at
// JointLoanLedger.termsVerifier()): the platform co-funder
// signs, with an account of its own, the EIP-712 typed data
//   LoanAgreement(bytes32 loanId, bytes32 termsHash),  termsHash = keccak256(abi.encode(terms))
// in the domain { name "JointLoanLedger", version "1", chainId, verifyingContract: the ledger }.
// The ledger refuses to register a joint loan without it (LedgerPlatformAgreementMissing), so a
// branch cannot commit a platform to fund a loan it never agreed to, nor change any term after.
// The platform's node produces the signature; the branch's node sends it with registerLoan.
import { keccak256 } from "ethers";
import { typedDataHash, type TypedDataSigner } from "../auth/eip712.ts";
import { loanIdOf } from "./ids.ts";

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

/** LoanTerms' fields before its arrays' tails: one ABI word each (IJointLoanLedger.LoanTerms). */
const TERMS_HEAD_WORDS = 16;

/**
 * keccak256(abi.encode(terms)), the bytes encoded directly into one buffer: ethers' ABI coder
 * took about 2.5 ms for a twelve-installment loan, most of a platform's work per agreement, this
 * about a tenth of that. Held to ethers' encoding of the compiled LoanTermsVerifier's own
 * parameter type on random terms (test/common/agreement-hash.test.ts). A value out of its
 * field's range is refused (RangeError), as ethers refuses it.
 */
export function loanTermsHash(terms: LoanTermsForAgreement): string {
  const { funders, schedule, fees } = terms;
  const fundersAt = TERMS_HEAD_WORDS * 32;
  const scheduleAt = fundersAt + 32 * (1 + 2 * funders.length);
  const feesAt = scheduleAt + 32 * (1 + 3 * schedule.length);
  const out = Buffer.alloc(32 + feesAt + 32 * (1 + 2 * fees.length));
  let at = 0;
  const uint = (value: bigint | number | string, bits: number, field: string) => {
    const v = BigInt(value);
    if (v < 0n || v >= 1n << BigInt(bits))
      throw new RangeError(`terms.${field} ${String(value)} does not fit uint${bits}`);
    // every field is at most 64 bits: the word's last 8 bytes
    out.writeBigUInt64BE(v, at + 24);
    at += 32;
  };
  const bytes32 = (value: string, field: string) => {
    if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new RangeError(`terms.${field} is not 32 bytes of hex`);
    out.write(value.slice(2), at, "hex");
    at += 32;
  };
  // abi.encode of one dynamic tuple: its offset, then the tuple (offsets from the tuple's start)
  uint(32, 64, "offset");
  uint(terms.originator, 32, "originator");
  bytes32(terms.applicationSerial, "applicationSerial");
  bytes32(terms.borrowerKey, "borrowerKey");
  uint(terms.borrowerRegion, 32, "borrowerRegion");
  uint(terms.branch, 32, "branch");
  uint(terms.platform, 32, "platform");
  uint(fundersAt, 64, "offset");
  uint(terms.principal, 64, "principal");
  uint(terms.aprBps, 16, "aprBps");
  uint(terms.method, 8, "method");
  uint(terms.startDay, 16, "startDay");
  uint(scheduleAt, 64, "offset");
  uint(feesAt, 64, "offset");
  bytes32(terms.contractLeaf, "contractLeaf");
  bytes32(terms.consentLeaf, "consentLeaf");
  bytes32(terms.receivingAccount, "receivingAccount");
  uint(funders.length, 64, "funders.length");
  for (const f of funders) {
    uint(f.memberId, 32, "funders.memberId");
    uint(f.shareBps, 16, "funders.shareBps");
  }
  uint(schedule.length, 64, "schedule.length");
  for (const i of schedule) {
    uint(i.dueDay, 16, "schedule.dueDay");
    uint(i.principal, 32, "schedule.principal");
    uint(i.interest, 32, "schedule.interest");
  }
  uint(fees.length, 64, "fees.length");
  for (const f of fees) {
    uint(f.installment, 8, "fees.installment");
    uint(f.amount, 32, "fees.amount");
  }
  return keccak256(out);
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
  return typedDataHash(domain, types, value);
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
  return typedDataHash(domain, types, value);
}

/** The income shares of a loan: [branch, platform] as agreed, or its funding shares. */
export function incomeShares(fundingShares: readonly number[], platformIncomeShareBps?: number): number[] {
  if (platformIncomeShareBps === undefined || fundingShares.length !== 2) return [...fundingShares];
  return [10_000 - platformIncomeShareBps, platformIncomeShareBps];
}
