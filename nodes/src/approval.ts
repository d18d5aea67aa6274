// Step 3 of the loan road: approval. The branch builds the schedule and the fees, checks the
// all-in APR against the ledger's cap, gets a joint loan's platform to sign the exact terms,
// anchors the signed contract, stores it and registers the loan through the outbox — every
// refusal before anything is written. The platform's side (agreeToLoans) signs only the loan of
// an application it submitted, built exactly from it (loan-agreement.ts). Under load a branch's
// approvals share their platform's agreement requests: those arriving while one is in flight go
// together in the next, one signed request and one verification for many loans.
import { createHash, randomBytes } from "node:crypto";
import { hexlify, keccak256, toUtf8Bytes } from "ethers";
import { coalescedSubmit } from "../../common/anchor/coalesce.ts";
import type { TypedDataSigner } from "../../common/auth/eip712.ts";
import type { JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import { DigestAlgorithm, EvidenceKind, LEAF_VERSION, leafHashOf } from "../../common/formats/leaf/leaf.ts";
import { signLoanAgreement, type LoanTermsForAgreement } from "../../common/lending/agreement.ts";
import { allInAprBps, AprError, exceedsCap } from "../../common/lending/apr.ts";
import { dateToDay } from "../../common/lending/dates.ts";
import { aprFeesOf, chainFeesOf, type ChainFee } from "../../common/lending/fees.ts";
import { loanIdOf } from "../../common/lending/ids.ts";
import { generateSchedule, ScheduleError, type RepaymentMethod } from "../../common/lending/schedule.ts";
import type { Actor } from "./actor.ts";
import type { ApplicationStore } from "./applications.ts";
import type { AnchorEvidence } from "./bureau/consent.ts";
import type { DocumentStore } from "./documents/document-store.ts";
import {
  bindReceivingAccount,
  receivingAccountOf,
  type EntrustedPayee,
  type ReceivingAccounts,
} from "./entrusted-payment.ts";
import { NodeError, nodeError, OutboxError } from "./errors.ts";
import { checkAgreementTerms, termsFromJson, termsToJson, type LoanTermsJson } from "./loan-agreement.ts";
import { BRANCH, PLATFORM, type ConsortiumMembers } from "./members.ts";
import {
  MemberKinds,
  type NodeRequests,
  type SignedHeaders,
  type SignedNodeRequest,
} from "./node-requests.ts";
import { scheduleInputOf } from "./e-contract/terms.ts";
import type { Outbox } from "./outbox/outbox.ts";
import type { PeerNodes } from "./peers.ts";
import { Room } from "./room.ts";

export type LoanApprovalDeps = {
  memberId: number;
  consortiumKey: Uint8Array;
  applications: ApplicationStore;
  documents: DocumentStore;
  members: ConsortiumMembers;
  requests: NodeRequests;
  /** Every chain write goes through the durable outbox. */
  outbox: Outbox;
  /** JointLoanLedger (read-only here): the rate cap, the agreement's domain. */
  ledger: JointLoanLedger;
  /** The chain's id (the platform's agreement is bound to it). */
  chainId: () => Promise<bigint>;
  /** This node's chain key (a platform's node signs agreements with it). */
  signer: TypedDataSigner;
  peers: PeerNodes;
  /** Anchors evidence records (the contract) through the anchor service. */
  anchor: AnchorEvidence;
  /** Which account each loan this node approved or agreed to pays (entrusted-payment.ts); absent: not kept. */
  receiving?: ReceivingAccounts;
  /**
   * Checks a signed contract before it is anchored (e-contract/contracts.ts verify: the borrower's
   * signature and the branch's seal, chains to the configured CA), throwing its refusal; absent: the
   * contract's bytes are anchored unchecked.
   */
  verifyContract?: (pdf: Uint8Array) => Promise<unknown>;
  /**
   * Approval anchored the signed contract and queued the loan: the contract's registration in the
   * EvidenceRegistry (and a joint loan's platform's endorsement) is due (e-contract/endorsements.ts).
   */
  contractAnchored?: ContractAnchored;
  /**
   * The credit decision's word on an application (credit-decision/decisions.ts approvalGate): an
   * approving decision, a fresh credit query, its consent in force; answers the consent's leaf.
   * Absent: every approval is refused (NODE_ERR_DECISION_REQUIRED).
   */
  decisionGate?: (
    applicationId: string,
    borrowerKey: string,
  ) => Promise<{ consentLeafHash: string; decisionId: string }>;
};

/** Approval anchored `contract.leafHash`, the signed contract of `loanId` (registered by outbox serial `loanSerial`; `platform` 0: no co-funder). */
export type ContractAnchored = (contract: {
  loanId: string;
  leafHash: string;
  loanSerial: string;
  platform: number;
}) => Promise<void>;

export type ApproveLoanInput = {
  applicationId: string;
  contractBase64: string;
  consentLeafHash?: string | undefined;
  platformShareBps: number;
  startDate: string;
  entrustedPayee?: EntrustedPayee;
};

// where the salted receiving-account hash is computed (entrusted-payment.ts), for existing callers
export { receivingAccountOf };

/** One joint loan a branch asks its platform to agree to: the platform's application id and the exact terms. */
export type AgreementRequest = {
  applicationId: string;
  terms: LoanTermsJson;
  entrustedPayee?: EntrustedPayee;
};

/** The loan agreements one signed request asks for at most (route validation, and what a branch sends). */
export const AGREEMENTS_PER_REQUEST = 64;

/** The batch route a branch's node asks its platform's node on. */
const AGREEMENTS_PATH = "/v1/loan-agreements/batch";

const AGREEMENT_SIGNATURE = /^0x[0-9a-fA-F]{130}$/;

/**
 * A platform's refusal of a request for several loans may be one loan's doing (terms that are not
 * its application's): each loan of it is then asked alone, so one bad loan fails only its own approval.
 */
function refusedByPeer(error: unknown): boolean {
  if (!(error instanceof NodeError) || error.code !== "NODE_ERR_PEER_REFUSED") return false;
  const status = (error.details as { status?: unknown } | undefined)?.status;
  return typeof status === "number" && status >= 400 && status < 500;
}

export class LoanApproval extends Room<LoanApprovalDeps> {
  /** Per platform: its agreement requests, coalesced (those arriving while two are in flight go together next). */
  readonly #agreementRequests = new Map<number, (items: readonly AgreementRequest[]) => Promise<string[]>>();
  /** The rate-cap read in flight: approvals arriving while it runs share its answer. */
  #capRead: Promise<number> | undefined;
  /** Members' kinds, each read from the registry once (a member's kind never changes). */
  readonly #kinds = new MemberKinds((memberId) => this.deps.members.kindOf(memberId));

  /**
   * Approve an application: anchor the signed contract as evidence, build the schedule, and
   * register the loan on chain through the outbox (serial = the platform's application id).
   */
  async approve(actor: Actor, input: ApproveLoanInput) {
    const stored = await this.deps.applications.get(input.applicationId);
    const { application } = stored;
    if (stored.assignedBranch !== this.deps.memberId) {
      throw nodeError(
        "NODE_ERR_WRONG_MEMBER_KIND",
        `application ${input.applicationId} is routed to branch ${stored.assignedBranch}, not this node's member ${this.deps.memberId}`,
      );
    }
    // no loan without an approving credit decision made on a fresh query under a consent in force;
    // the consent leaf registered with the loan is that consent's, not the caller's word
    if (this.deps.decisionGate === undefined)
      throw nodeError("NODE_ERR_DECISION_REQUIRED", "this node has no credit decisions: it approves no loan");
    // the reads the checks below need (none writes) are started together and each awaited where
    // its check comes, so an approval waits for the slowest of them, not for their sum, and a
    // request failing several checks is still refused by the first
    const gateRead = started(this.deps.decisionGate(stored.applicationId, stored.borrowerKey));
    const capRead = started(this.#aprCap());
    const kindRead =
      application.platformMemberId === this.deps.memberId
        ? undefined
        : started(this.#kinds.of(application.platformMemberId));
    const takenRead = started(this.deps.outbox.status(application.applicationId));
    const gate = await gateRead;
    if (
      input.consentLeafHash !== undefined &&
      input.consentLeafHash.toLowerCase() !== gate.consentLeafHash.toLowerCase()
    ) {
      throw nodeError(
        "NODE_ERR_CONSENT_MISMATCH",
        `consentLeafHash ${input.consentLeafHash} is not the consent ${gate.consentLeafHash} the application's credit query was made under`,
        { given: input.consentLeafHash, consentLeafHash: gate.consentLeafHash },
      );
    }
    const contract = Buffer.from(input.contractBase64, "base64");
    // a contract whose signatures do not hold is refused before anything is written
    await this.deps.verifyContract?.(contract);
    const contractDigest = `0x${createHash("sha256").update(contract).digest("hex")}`;
    const applicationSerial = keccak256(toUtf8Bytes(application.applicationId));
    const loanId = loanIdOf(application.platformMemberId, applicationSerial);
    // everything that can refuse the approval runs before the contract is stored or anchored
    let schedule: ReturnType<typeof generateSchedule>;
    try {
      schedule = generateSchedule(scheduleInputOf(application.loan, input.startDate));
    } catch (error) {
      // e.g. a startDate of the right shape that is no calendar day (2026-02-30): the caller's to fix, not a 500
      if (error instanceof ScheduleError)
        throw nodeError("NODE_ERR_VALIDATION", `cannot build the schedule: ${error.message}`, {
          code: error.code,
        });
      throw error;
    }
    // every fee goes on chain with the loan, and the all-in cost is capped there: refuse here first, with the figure
    const fees = chainFeesOf(application.loan.fees, schedule.length);
    const allInApr = await this.#allInAprWithinCap(
      application.loan,
      schedule,
      fees,
      dateToDay(input.startDate),
      capRead,
    );
    // the borrower's own account, or the entrusted payee the approval names (受托支付)
    const receiving = bindReceivingAccount(
      this.deps.consortiumKey,
      applicationSerial,
      application.borrower.bankAccount,
      input.entrustedPayee,
    );
    // the ledger's `platform` is the platform that brought the loan; an application credited to a
    // member of another kind (the union's or this branch's own) has none, and no co-funder
    const viaPlatform = kindRead !== undefined && (await kindRead) === PLATFORM;
    if (!viaPlatform && input.platformShareBps !== 0) {
      throw nodeError(
        "NODE_ERR_VALIDATION",
        `application ${input.applicationId} was not brought by a platform (credited to member ${application.platformMemberId}): platformShareBps must be 0`,
      );
    }
    const taken = await takenRead;
    if (taken !== undefined) {
      // the contract leaf is freshly salted, so a second approval can never equal the first
      throw new OutboxError(
        "NODE_ERR_OUTBOX_CONFLICT",
        `application ${application.applicationId} was already approved (its registerLoan is ${taken.state}); a new loan needs a new application`,
        {
          serial: application.applicationId,
          existing: { kind: taken.kind, state: taken.state },
        },
      );
    }
    // the contract's leaf is known before it is anchored (its fields are ours), so a joint loan's
    // platform agrees to the terms before anything is stored: a refusal writes nothing
    const contractRecord = {
      kind: EvidenceKind.Contract,
      digestAlgorithm: DigestAlgorithm.Sha256,
      digest: contractDigest,
      salt: `0x${randomBytes(32).toString("hex")}`,
      subject: loanId,
    };
    const contractLeaf = hexlify(
      leafHashOf({ version: LEAF_VERSION, ...contractRecord, submitter: this.deps.memberId }),
    );
    const branch = this.deps.memberId;
    const platform = application.platformMemberId;
    const funders =
      input.platformShareBps === 0
        ? [{ memberId: branch, shareBps: 10_000 }]
        : [
            { memberId: branch, shareBps: 10_000 - input.platformShareBps },
            { memberId: platform, shareBps: input.platformShareBps },
          ];
    const terms = {
      originator: platform,
      applicationSerial,
      borrowerKey: stored.borrowerKey,
      borrowerRegion: application.borrower.regionCode,
      branch,
      platform: viaPlatform ? platform : 0,
      funders,
      principal: application.loan.principalFen,
      aprBps: application.loan.aprBps,
      method: application.loan.method,
      startDay: dateToDay(input.startDate),
      schedule: schedule.map((i) => ({
        dueDay: i.dueDay,
        principal: i.principalFen,
        interest: i.interestFen,
      })),
      fees: fees.map((f) => ({ installment: f.installment, amount: f.amount })),
      contractLeaf,
      consentLeaf: gate.consentLeafHash,
      // bound on chain: every funder's disbursement goes to this account and nowhere else
      receivingAccount: receiving.receivingAccount,
    };
    // a co-funder must agree on chain to exactly these terms: the platform's node signs them.
    // Its agreement and the contract's anchoring run at once (neither needs the other): nothing is
    // stored at this node before both are in, so a refusal by either stores nothing; the contract's
    // leaf may then be in the log already, a salted hash that no document or loan refers to
    if (funders.length === 2) this.#platformNodeOf(platform);
    const agreement =
      funders.length === 2
        ? started(this.#platformAgreement(platform, application.applicationId, terms, input.entrustedPayee))
        : Promise.resolve("0x");
    // anchored first, stored after: an anchoring that fails leaves no contract behind (an anchored
    // leaf whose store then fails is a salted hash nothing refers to: no loan is registered)
    const anchoring = started(this.deps.anchor([contractRecord]));
    const platformAgreement = await agreement;
    const [contractReceipt] = await anchoring;
    if (contractReceipt?.leafHash.toLowerCase() !== contractLeaf) {
      throw nodeError(
        "NODE_ERR_ANCHOR_UNAVAILABLE",
        `the anchor service recorded the contract as leaf ${String(contractReceipt?.leafHash)}, not ${contractLeaf}`,
      );
    }
    await this.deps.documents.put({
      kind: "contract",
      bytes: contract,
      loanId,
      owner: this.deps.memberId,
      meta: { applicationId: stored.applicationId, approvedBy: actor.userId, decisionId: gate.decisionId },
    });
    // recorded before the loan is queued: a crash in between leaves a registration to do, not a contract forgotten
    await this.deps.contractAnchored?.({
      loanId,
      leafHash: contractLeaf,
      loanSerial: application.applicationId,
      platform: funders.length === 2 ? platform : 0,
    });
    const entry = await this.deps.outbox.enqueue({
      serial: application.applicationId,
      kind: "registerLoan",
      args: { terms, platformAgreement },
    });
    await this.deps.receiving?.record({ loanId, applicationSerial, ...receiving });
    return {
      loanId,
      serial: application.applicationId,
      outbox: entry,
      schedule,
      fees,
      allInAprBps: allInApr,
      receiving,
      decisionId: gate.decisionId,
      consentLeafHash: gate.consentLeafHash,
    };
  }

  /**
   * The platform's signed agreement to a joint loan's `terms`, from its node (loan-agreement.ts),
   * in a request shared with the other approvals waiting for that platform's agreement.
   */
  async #platformAgreement(
    platform: number,
    platformApplicationId: string,
    terms: LoanTermsForAgreement,
    entrustedPayee: EntrustedPayee | undefined,
  ): Promise<string> {
    this.#platformNodeOf(platform);
    let ask = this.#agreementRequests.get(platform);
    if (ask === undefined) {
      ask = coalescedSubmit((items: readonly AgreementRequest[]) => this.#askAgreements(platform, items), {
        maxRecords: AGREEMENTS_PER_REQUEST,
        separable: refusedByPeer,
      });
      this.#agreementRequests.set(platform, ask);
    }
    const [signature] = await ask([
      {
        applicationId: platformApplicationId,
        terms: termsToJson(terms),
        ...(entrustedPayee === undefined ? {} : { entrustedPayee }),
      },
    ]);
    return signature!;
  }

  /** One signed request to `platform`'s node for `items`' agreements: one signature each, in order. */
  async #askAgreements(platform: number, items: readonly AgreementRequest[]): Promise<string[]> {
    const reply = await this.deps.peers.call<{ platformAgreements?: unknown }>(
      platform,
      "POST",
      AGREEMENTS_PATH,
      { agreements: items },
    );
    const signatures = reply?.platformAgreements;
    if (
      !Array.isArray(signatures) ||
      signatures.length !== items.length ||
      !signatures.every((s): s is string => typeof s === "string" && AGREEMENT_SIGNATURE.test(s))
    ) {
      throw nodeError(
        "NODE_ERR_PEER_REFUSED",
        `member ${platform}'s node answered without an agreement signature for each of the ${items.length} loans asked`,
        { member: platform, status: 200, code: null },
      );
    }
    return signatures;
  }

  /** Refuses a joint loan whose platform has no node in this node's directory (nothing is started). */
  #platformNodeOf(platform: number): void {
    if (this.deps.peers.urlOf(platform) === undefined) {
      throw nodeError(
        "NODE_ERR_NO_PLATFORM_NODE",
        `a joint loan needs platform ${platform}'s agreement from its node, which this node's directory (NODE_DIRECTORY) does not list; approve it with platformShareBps 0, or list the node`,
      );
    }
  }

  /**
   * A branch's node asks this platform's node to agree to a joint loan: signed by an active
   * branch's operations key; signed back only for the loan of an application this node
   * submitted, built exactly as the branch must build it (loan-agreement.ts).
   */
  async agreeToLoan(request: SignedNodeRequest | SignedHeaders, body: AgreementRequest) {
    const { platformAgreements } = await this.agreeToLoans(request, { agreements: [body] });
    return { platformAgreement: platformAgreements[0]! };
  }

  /**
   * As agreeToLoan, for several loans in one signed request: every loan is checked before any is
   * signed, and one refused refuses the request as a whole with that loan's code, naming its
   * index and application (the branch then asks for the others alone); nothing is recorded then.
   */
  async agreeToLoans(
    request: SignedNodeRequest | SignedHeaders,
    body: { agreements: readonly AgreementRequest[] },
  ): Promise<{ platformAgreements: string[] }> {
    if ((await this.deps.members.active()).kindOf.get(this.deps.memberId) !== PLATFORM) {
      throw nodeError(
        "NODE_ERR_WRONG_MEMBER_KIND",
        `only a platform's node agrees to co-fund loans; this node is member ${this.deps.memberId}`,
      );
    }
    const { memberId: branch } = await this.deps.requests.verify(request, BRANCH);
    const checked: Array<{
      terms: LoanTermsForAgreement;
      receiving: ReturnType<typeof bindReceivingAccount>;
    }> = [];
    for (const [index, item] of body.agreements.entries()) {
      try {
        checked.push(await this.#checkAgreement(item, branch));
      } catch (error) {
        if (body.agreements.length === 1 || !(error instanceof NodeError)) throw error;
        throw nodeError(
          error.code,
          `loan agreement ${index} (application ${item.applicationId}) of ${body.agreements.length}: ${error.message}`,
          { index, applicationId: item.applicationId, refusal: error.details ?? null },
        );
      }
    }
    const chainId = await this.deps.chainId();
    const ledger = await this.deps.ledger.getAddress();
    const platformAgreements: string[] = [];
    for (const { terms } of checked)
      platformAgreements.push(await signLoanAgreement(this.deps.signer, chainId, ledger, terms));
    const accounts = this.deps.receiving;
    if (accounts !== undefined)
      await Promise.all(
        checked.map(({ terms, receiving }) =>
          accounts.record({
            loanId: loanIdOf(terms.originator, terms.applicationSerial),
            applicationSerial: terms.applicationSerial,
            ...receiving,
          }),
        ),
      );
    return { platformAgreements };
  }

  /** One loan of an agreement request checked against the application this node submitted; writes nothing. */
  async #checkAgreement(item: AgreementRequest, branch: number) {
    const stored = await this.deps.applications.getSubmitted(item.applicationId);
    const terms = termsFromJson(item.terms);
    // the platform's share goes to the borrower's own account, or to the entrusted payee the branch names here
    const receiving = bindReceivingAccount(
      this.deps.consortiumKey,
      terms.applicationSerial,
      stored.application.borrower.bankAccount,
      item.entrustedPayee,
    );
    checkAgreementTerms(stored, terms, this.deps.memberId, branch, receiving.receivingAccount);
    return { terms, receiving };
  }

  /**
   * The loan's all-in APR (common/lending/apr.ts, every fee included), refused with
   * NODE_ERR_ALL_IN_APR_ABOVE_CAP above the ledger's cap, which the chain would refuse too.
   */
  async #allInAprWithinCap(
    loan: { principalFen: bigint; method: RepaymentMethod },
    schedule: ReturnType<typeof generateSchedule>,
    fees: ChainFee[],
    startDay: number,
    capRead: Promise<number>,
  ): Promise<number> {
    let apr: number;
    try {
      apr = allInAprBps({
        method: loan.method,
        principalFen: loan.principalFen,
        installments: schedule,
        fees: aprFeesOf(fees, schedule, startDay),
        startDay,
      });
    } catch (error) {
      // fees at disbursement that use up the loan have no rate: the borrower would receive nothing
      if (error instanceof AprError)
        throw nodeError(
          "NODE_ERR_ALL_IN_APR_ABOVE_CAP",
          `the all-in annual cost cannot be computed: ${error.message}`,
          { code: error.code },
        );
      throw error;
    }
    const cap = await capRead;
    if (exceedsCap(apr, cap)) {
      throw nodeError(
        "NODE_ERR_ALL_IN_APR_ABOVE_CAP",
        `the loan's all-in annual cost, interest and every fee, is ${apr / 100}% (${apr} bps), above the ${cap / 100}% cap`,
        { allInAprBps: apr, capBps: cap },
      );
    }
    return apr;
  }

  /**
   * The ledger's all-in rate cap, in bps (NODE_ERR_CHAIN_UNAVAILABLE when the chain does not
   * answer): approvals arriving while a read is in flight share it (an answer no older than that
   * read; the ledger checks the cap again at registration).
   */
  #aprCap(): Promise<number> {
    this.#capRead ??= this.#readAprCap().finally(() => (this.#capRead = undefined));
    return this.#capRead;
  }

  async #readAprCap(): Promise<number> {
    try {
      return Number((await this.deps.ledger.params()).aprCapBps);
    } catch (error) {
      throw nodeError(
        "NODE_ERR_CHAIN_UNAVAILABLE",
        `cannot read the ledger's rate cap: ${(error as Error).message}`,
      );
    }
  }
}

/**
 * `promise`, already running, with its rejection observed now: awaited later it still throws
 * there, and left unawaited (an earlier check refused the request) it is no unhandled rejection.
 */
function started<T>(promise: Promise<T>): Promise<T> {
  const running = Promise.resolve(promise);
  running.catch(() => {});
  return running;
}
