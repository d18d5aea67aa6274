// The room the node's routes call: a loan's contract drafted from its stored application (the
// terms the approval will register: principal, rate, method, term, fees, start date, the funders'
// shares), and a signed contract verified against the configured trust anchors before it may be
// anchored as the loan's contract.
import { createHash } from "node:crypto";
import type { TrustAnchors } from "../../../common/pki/trust-anchors.ts";
import type { StoredApplication } from "../applications.ts";
import { EContractError } from "../errors.ts";
import { type GeneratedContract, generateContract } from "./generate.ts";
import { type ContractParty, type ContractTerms, type DisputeResolution, scheduleInputOf } from "./terms.ts";
import { type ContractVerification, type RolePolicies, verifySignedContract } from "./verify.ts";
import { Room } from "../room.ts";

export type LoanContractsDeps = {
  memberId: number;
  applications: { get(applicationId: string): Promise<StoredApplication> };
  /** A member's name and identifier as printed on a contract (this branch, a platform). */
  partyOf: (memberId: number) => Promise<ContractParty>;
  /** The court or arbitration body this branch's contracts name. */
  disputeResolution: DisputeResolution;
  /** The penalty rate a loan at this contract rate is charged (the ledger's: min(governed rate, cap − contract rate)). */
  penaltyAprBps: (contractAprBps: number) => Promise<number>;
  /** Where this branch signs its contracts. */
  place: string;
  /** The CA roots a signed contract must chain to, and the policies that mark each signer's role. */
  anchors: TrustAnchors;
  roles: RolePolicies;
  now?: () => Date;
};

export type DraftInput = { startDate: string; platformShareBps: number };

export type DraftedContract = GeneratedContract & { contractNumber: string; contractDigest: string };

/** Masks all but the last four characters of an account or ID number. */
export function masked(value: string, keep = 4): string {
  return `${"*".repeat(Math.max(0, value.length - keep))}${value.slice(-keep)}`;
}

export class LoanContracts extends Room<LoanContractsDeps> {
  /** The contract and key-facts sheet for an application routed to this branch. */
  async draft(applicationId: string, input: DraftInput): Promise<DraftedContract> {
    const stored = await this.deps.applications.get(applicationId);
    if (stored.assignedBranch !== this.deps.memberId) {
      throw new EContractError(
        "NODE_ERR_CONTRACT_BAD_TERMS",
        `application ${applicationId} is routed to branch ${stored.assignedBranch}, not this node's member ${this.deps.memberId}`,
      );
    }
    const { application } = stored;
    const branch = await this.deps.partyOf(this.deps.memberId);
    const platform =
      input.platformShareBps === 0 ? undefined : await this.deps.partyOf(application.platformMemberId);
    const lenders =
      platform === undefined
        ? [{ ...branch, shareBps: 10_000 }]
        : [
            { ...branch, shareBps: 10_000 - input.platformShareBps },
            { ...platform, shareBps: input.platformShareBps },
          ];
    const terms: ContractTerms = {
      contractNumber: `${this.deps.memberId}-${applicationId}`,
      borrower: { name: application.borrower.name, identifier: masked(application.borrower.idNumber) },
      lenders,
      ...(platform === undefined ? {} : { platform }),
      ...scheduleInputOf(application.loan, input.startDate),
      fees: application.loan.fees,
      penaltyAprBps: await this.deps.penaltyAprBps(application.loan.aprBps),
      purpose: application.loan.purpose,
      receivingAccountMasked: masked(application.borrower.bankAccount),
      disputeResolution: this.deps.disputeResolution,
      place: this.deps.place,
    };
    const generated = await generateContract(terms, this.deps.now?.() ?? new Date());
    return {
      ...generated,
      contractNumber: terms.contractNumber,
      contractDigest: `0x${createHash("sha256").update(generated.contractPdf).digest("hex")}`,
    };
  }

  /** A signed contract's signatures, or a refusal with its code (verify.ts). */
  verify(pdf: Uint8Array): Promise<ContractVerification> {
    return verifySignedContract(pdf, this.deps.anchors, this.deps.roles);
  }
}
