// What the node's API does, as plain methods over injected dependencies: applications (convert,
// route, store encrypted), consent and credit queries (anchored evidence), the indexed ledger,
// reconciliation, the credit-reporting file and documents. Handlers in http/app.ts call these.
import { createHash, randomBytes } from "node:crypto";
import type { AbstractSublevel } from "abstract-level";
import type { TypedDataSigner } from "../../common/auth/eip712.ts";
import { AuthError, bodyHashOf, completeVerification, nonceKey, prepareVerification, recoverSigner, requestDomain, type PendingVerification } from "../../common/auth/request-signing.ts";
import { AccountRole } from "../../common/consortium/members.ts";
import type { Contract } from "ethers";
import { hexlify, keccak256, toUtf8Bytes } from "ethers";
import type { AnchorEvidence } from "./bureau/consent.ts";
import { EvidenceKind, DigestAlgorithm, LEAF_VERSION, leafHashOf } from "../../common/formats/leaf/leaf.ts";
import { loanIdOf } from "../../common/lending/ids.ts";
import { dateToDay, dayToDate } from "../../common/lending/dates.ts";
import { generateSchedule, ScheduleError, type RepaymentMethod } from "../../common/lending/schedule.ts";
import { allInAprBps, AprError, exceedsCap } from "../../common/lending/apr.ts";
import { aprFeesOf, chainFeesOf, type ChainFee } from "../../common/lending/fees.ts";
import { signLoanAgreement, type LoanTermsForAgreement } from "../../common/lending/agreement.ts";
import { checkAgreementTerms, termsFromJson, termsToJson, type LoanTermsJson } from "./loan-agreement.ts";
import type { Outbox } from "./outbox/outbox.ts";
import { OutboxError } from "./outbox/errors.ts";
import type { BureauPurpose } from "./bureau/bureau.ts";
import { queryWithConsent, recordConsent, type ConsentDeps, type CreditQueryDeps } from "./bureau/consent.ts";
import { convertApplication } from "./channels/registry.ts";
import type { DocumentStore } from "./documents/document-store.ts";
import { nodeError } from "./errors.ts";
import type { Actor } from "./actor.ts";
import { UNMASKED_ROLES } from "./actor.ts";
import type { ApplicationStore } from "./applications.ts";
import { LOAN_STATES, REPAYMENT_METHODS, type Loan, type LedgerModel } from "./indexer/model.ts";
import { ledgerInterface, type OutboxEntry, type SettleArgs } from "./outbox/entry.ts";
import { modelLedgerDigest } from "./indexer/ledger-digest.ts";
import type { Cursor } from "./indexer/indexer.ts";
import type { PeerNodes } from "./peers.ts";
import { borrowerKeyOf } from "./privacy/borrower-key.ts";
import { bindReceivingAccount, checkDisbursement, receivingAccountOf, type EntrustedPayee, type ReceivingAccounts } from "./entrusted-payment.ts";
import { maskApplication } from "./privacy/mask.ts";
import { buildCreditReport, type CreditLoan } from "./reconcile/credit-report.ts";
import { reconcileOffLoop } from "./reconcile/off-thread.ts";

export type OperationsDeps = {
  memberId: number;
  consortiumKey: Uint8Array;
  applications: ApplicationStore;
  documents: DocumentStore;
  consent: ConsentDeps;
  creditQuery: CreditQueryDeps;
  model: LedgerModel;
  /** ConsortiumRegistry (read-only): routing applications to the borrower's branch. */
  registry: Contract;
  /** Every chain write goes through the durable outbox. */
  outbox: Outbox;
  /** JointLoanLedger (read-only here): days overdue and next due days for the credit report. */
  ledger: Contract;
  /** The chain's id (signed requests from other members' nodes are bound to it). */
  chainId: () => Promise<bigint>;
  /** Nonces of signed requests already served, remembered until they expire. */
  nonces: AbstractSublevel<any, any, string, string>;
  /** This node's chain key (signs requests to other members' nodes). */
  signer: TypedDataSigner;
  /** Other members' nodes (signed requests), by member id. */
  peers: PeerNodes;
  /** The indexer's committed cursor (the last block in the read model). */
  cursor: () => Promise<Cursor | undefined>;
  /** Anchors evidence records (contracts, vouchers) through the anchor service. */
  anchor: AnchorEvidence;
  now?: () => Date;
  /** How long a cancellation waits for the chain's answer before NODE_ERR_OUTBOX_PENDING (default 60 s). */
  chainWriteTimeoutMs?: number;
  /** Which account each loan this node approved or agreed to pays (entrusted-payment.ts); absent: not kept. */
  receiving?: ReceivingAccounts;
  /** More of one loan's API output, each from its own module (receiving account, income split, prepayments). */
  loanDetails?: Array<(loan: Loan) => Promise<Record<string, unknown>>>;
};

/** A loan as the ledger's `loan(loanId)` view states it (the fields the node's checks read). */
type ChainLoan = { branch: number; state: (typeof LOAN_STATES)[number]; disbursedMask: number };

/** The ledger refusals that mean a cancellation came after money moved (LoanState: 2 Active, 3 Settled). */
function cancelRefusedAsDisbursed(failure: { code: string; args: unknown[] } | undefined): boolean {
  if (failure === undefined) return false;
  if (failure.code === "LedgerPartlyDisbursed") return true;
  return failure.code === "LedgerWrongState" && ["2", "3"].includes(String(failure.args[1]));
}

/** The canonical application's ID types in the borrower-key module's spelling. */
const ID_TYPE_OF_CHANNEL = {
  RESIDENT_ID: "resident-id",
  PASSPORT: "passport",
  HK_MACAO_PERMIT: "hk-macau-permit",
  TAIWAN_PERMIT: "taiwan-permit",
} as const;

/** A request from another member's node, as received (raw body for the signature). */
export type SignedNodeRequest = { method: string; path: string; rawBody: Uint8Array; headers: Record<string, string | string[] | undefined> };

/** Member kinds as the registry numbers them (common/consortium/members.ts). */
export const UNION = 1;
export const BRANCH = 2;
export const PLATFORM = 3;
export const COURT = 4;
const KIND_NAMES: Record<number, string> = { [UNION]: "union", [BRANCH]: "branch", [PLATFORM]: "platform", [COURT]: "court" };

/**
 * A node-to-node request whose headers passed (form, time window, target, the named signer an
 * operations key of an active member of the route's kind): what is known before its body is read.
 * The signature over the body is checked next (signedBody); the operation spends the nonce once
 * its own checks hold, so a refused request writes nothing.
 */
export type SignedHeaders = { pending: PendingVerification; kind: number; memberId: number; bodyVerified: boolean };

/** The SignedHeaders this node's signedHeaders made: the operations take one of these, or a raw request they verify themselves. */
const issuedHeaders = new WeakSet<SignedHeaders>();

/** How often served node-to-node requests trigger a sweep of expired nonces. */
const NONCE_SWEEP_INTERVAL_MS = 10 * 60_000;
/**
 * A nonce is swept this long after its request expired: a replay checked its expiry moments
 * before its nonce lookup, and must not find the nonce swept in between.
 */
const NONCE_SWEEP_SLACK_S = 60;

const ACTIVE = 1;
const EMPTY_BODY = new Uint8Array(0);

/** The active members this node routes by, from the registry. */
type Members = { at: number; byRegion: Map<number, number>; kindOf: Map<number, number>; union: number | undefined };

export class NodeOperations {
  readonly deps: OperationsDeps;
  #members: Members | undefined;
  /**
   * Nonce keys of signed requests between their replay check and their durable write: claimed
   * before any await, so of identical requests arriving together exactly one gets through.
   */
  readonly #claimedNonces = new Set<string>();
  /** When expired nonces were last swept (ms; 0: not yet), and the sweep under way. */
  #noncesSweptAt = 0;
  #nonceSweep: Promise<number> | undefined;
  /** A registered loan's all-in APR by loan id: its schedule and fees never change. */
  readonly #allInApr = new Map<string, number>();

  constructor(deps: OperationsDeps) {
    this.deps = deps;
  }

  /** Active members by region (branches), by kind, and the union, from the registry (cached for 30 s). */
  async #activeMembers(): Promise<Members> {
    const now = Date.now();
    if (this.#members !== undefined && now - this.#members.at <= 30_000) return this.#members;
    try {
      const ids = (await this.deps.registry.getFunction("memberIds")()) as bigint[];
      const members: Members = { at: now, byRegion: new Map(), kindOf: new Map(), union: undefined };
      for (const id of ids) {
        const [kind, status, region] = (await this.deps.registry.getFunction("profileOf")(id)) as [bigint, bigint, bigint];
        if (Number(status) !== ACTIVE) continue;
        members.kindOf.set(Number(id), Number(kind));
        if (Number(kind) === BRANCH) members.byRegion.set(Number(region), Number(id));
        if (Number(kind) === UNION) members.union ??= Number(id);
      }
      this.#members = members;
      return members;
    } catch (error) {
      throw nodeError("NODE_ERR_CHAIN_UNAVAILABLE", `cannot read the consortium registry: ${(error as Error).message}`);
    }
  }

  /** A member's kind on chain, active or not (0: no such member). */
  async #kindOf(memberId: number): Promise<number> {
    try {
      const [kind] = (await this.deps.registry.getFunction("profileOf")(memberId)) as [bigint];
      return Number(kind);
    } catch (error) {
      throw nodeError("NODE_ERR_CHAIN_UNAVAILABLE", `cannot read the consortium registry: ${(error as Error).message}`);
    }
  }

  /** The active branch of a region, from the registry (cached for 30 s). */
  async branchForRegion(regionCode: number): Promise<number> {
    const branch = (await this.#activeMembers()).byRegion.get(regionCode);
    if (branch === undefined) throw nodeError("NODE_ERR_NO_BRANCH_FOR_REGION", `no active member branch serves region ${regionCode}; the application cannot be routed`);
    return branch;
  }

  /**
   * An application, credited to `platformMemberId`: the member that authenticated it (this node's
   * own member for a back-office user; the signing platform at the union's node; the platform the
   * union names when it forwards). A platform's node submits it to the union's node, signed; any
   * other node routes it to the borrower's branch and forwards it there when that is another
   * node. The copy here is stored only once the forward succeeded: a refused forward keeps no
   * personal data on this node.
   */
  async submitApplication(actor: Actor, channel: string, payload: unknown, platformMemberId = this.deps.memberId) {
    const now = this.deps.now?.() ?? new Date();
    const application = convertApplication(channel, payload, { platformMemberId, receivedAt: now.toISOString() });
    const borrowerKey = borrowerKeyOf(this.deps.consortiumKey, ID_TYPE_OF_CHANNEL[application.borrower.idType], application.borrower.idNumber);
    const members = await this.#activeMembers();
    if (members.kindOf.get(this.deps.memberId) === PLATFORM) {
      if (members.union === undefined) throw nodeError("NODE_ERR_PEER_UNAVAILABLE", "the registry lists no active union member to submit the application to");
      const reply = await this.deps.peers.call<{ applicationId?: string; assignedBranch?: number; forwardedTo?: { member: number; applicationId?: string } }>(
        members.union,
        "POST",
        `/v1/platform-applications/${encodeURIComponent(channel)}`,
        payload,
      );
      if (!Number.isSafeInteger(reply?.assignedBranch)) {
        throw nodeError("NODE_ERR_PEER_REFUSED", `member ${members.union}'s node accepted the application but named no branch`, { member: members.union, status: 200, code: null });
      }
      // indexed by the platform's own id: a branch asking this node to co-fund the loan names it
      const stored = await this.deps.applications.put({ borrowerKey, assignedBranch: reply.assignedBranch!, channel, application }, now, { indexSubmitted: true });
      return { ...this.#view(actor, stored), submittedTo: { member: members.union, applicationId: reply.applicationId }, ...(reply.forwardedTo === undefined ? {} : { forwardedTo: reply.forwardedTo }) };
    }
    const assignedBranch = await this.branchForRegion(application.borrower.regionCode);
    let forwardedTo: { member: number; applicationId: string | undefined } | undefined;
    if (assignedBranch !== this.deps.memberId && this.deps.peers.urlOf(assignedBranch) !== undefined) {
      // the union's node routes: the branch's node receives the platform's original payload,
      // signed with this node's chain key, and keeps its own (encrypted) copy
      // ?platform names the platform that brought it; the union's own application names none
      const path = `/v1/forwarded-applications/${encodeURIComponent(channel)}${platformMemberId === this.deps.memberId ? "" : `?platform=${platformMemberId}`}`;
      const reply = await this.deps.peers.call<{ applicationId?: string }>(assignedBranch, "POST", path, payload);
      forwardedTo = { member: assignedBranch, applicationId: reply?.applicationId };
    }
    const stored = await this.deps.applications.put({ borrowerKey, assignedBranch, channel, application }, now);
    return { ...this.#view(actor, stored), ...(forwardedTo === undefined ? {} : { forwardedTo }) };
  }

  /**
   * An application forwarded by the union's node: accepted only when signed by an active union
   * member for this node. `platformMemberId` is the platform the union authenticated: it must be
   * an active platform member (the union signs the query, but a union key must not credit an
   * application to a branch, a court or a stranger); absent, the application is the union's own.
   * Refused before anything is stored.
   */
  async receiveForwarded(request: SignedNodeRequest | SignedHeaders, channel: string, payload: unknown, platformMemberId: number | undefined) {
    // before the nonce is spent: a refused request writes nothing
    if (platformMemberId !== undefined) {
      const kind = (await this.#activeMembers()).kindOf.get(platformMemberId);
      if (kind !== PLATFORM) {
        throw nodeError("NODE_ERR_WRONG_MEMBER_KIND", `member ${platformMemberId} is not an active platform member: a forwarded application is credited to the platform that brought it, or (no ?platform) to the union`, { member: platformMemberId, kind: kind === undefined ? null : (KIND_NAMES[kind] ?? kind) });
      }
    }
    const { memberId } = await this.#verifyMemberRequest(request, UNION);
    const actor: Actor = { userId: `union:${memberId}`, role: "clerk", memberId: this.deps.memberId };
    return this.submitApplication(actor, channel, payload, platformMemberId ?? memberId);
  }

  /**
   * A platform's application, submitted by its node to the union's: signed by an active platform
   * member, and credited to that member (no caller names the platform).
   */
  async receivePlatformApplication(request: SignedNodeRequest | SignedHeaders, channel: string, payload: unknown) {
    if ((await this.#activeMembers()).kindOf.get(this.deps.memberId) !== UNION) {
      throw nodeError("NODE_ERR_WRONG_MEMBER_KIND", `platforms submit applications to the union's node; this node is member ${this.deps.memberId}`);
    }
    const { memberId } = await this.#verifyMemberRequest(request, PLATFORM);
    const actor: Actor = { userId: `platform:${memberId}`, role: "clerk", memberId: this.deps.memberId };
    return this.submitApplication(actor, channel, payload, memberId);
  }

  async application(actor: Actor, applicationId: string) {
    return this.#view(actor, await this.deps.applications.get(applicationId));
  }

  #view(actor: Actor, stored: Awaited<ReturnType<ApplicationStore["get"]>>) {
    const application = UNMASKED_ROLES.includes(actor.role) ? stored.application : maskApplication(stored.application);
    return { applicationId: stored.applicationId, borrowerKey: stored.borrowerKey, assignedBranch: stored.assignedBranch, channel: stored.channel, createdAt: stored.createdAt, application };
  }

  async recordConsent(actor: Actor, input: { applicationId: string; letterBase64: string; signedAt: string; validUntil: string; scope: BureauPurpose[] }) {
    const stored = await this.deps.applications.get(input.applicationId);
    const letter = Buffer.from(input.letterBase64, "base64");
    const letterDigest = `0x${createHash("sha256").update(letter).digest("hex")}`;
    // the consent is checked (dates, scope, an earlier letter) before the letter is stored; a retry after a crash in between is idempotent
    if (letter.length === 0) throw nodeError("NODE_ERR_VALIDATION", "letterBase64 holds no bytes; send the signed authorization letter");
    const consent = await recordConsent({ borrowerKey: stored.borrowerKey, letterDigest, signedAt: input.signedAt, validUntil: input.validUntil, scope: input.scope }, this.deps.consent);
    const document = await this.deps.documents.put({ kind: "authorization", bytes: letter, owner: this.deps.memberId, meta: { applicationId: stored.applicationId, storedBy: actor.userId } });
    return { documentId: document.documentId, letterDigest, consent: { leafHash: consent.anchor.leafHash, sequence: consent.anchor.sequence } };
  }

  async creditQuery(actor: Actor, input: { applicationId: string; purpose: BureauPurpose }) {
    const stored = await this.deps.applications.get(input.applicationId);
    return queryWithConsent({ borrowerKey: stored.borrowerKey, purpose: input.purpose, operator: actor.userId }, this.deps.creditQuery);
  }

  /**
   * Approve an application: anchor the signed contract as evidence, build the schedule, and
   * register the loan on chain through the outbox (serial = the platform's application id).
   */
  async approveLoan(actor: Actor, input: { applicationId: string; contractBase64: string; consentLeafHash: string; platformShareBps: number; startDate: string; entrustedPayee?: EntrustedPayee }) {
    const stored = await this.deps.applications.get(input.applicationId);
    const { application } = stored;
    if (stored.assignedBranch !== this.deps.memberId) {
      throw nodeError("NODE_ERR_WRONG_MEMBER_KIND", `application ${input.applicationId} is routed to branch ${stored.assignedBranch}, not this node's member ${this.deps.memberId}`);
    }
    const contract = Buffer.from(input.contractBase64, "base64");
    const contractDigest = `0x${createHash("sha256").update(contract).digest("hex")}`;
    const applicationSerial = keccak256(toUtf8Bytes(application.applicationId));
    const loanId = loanIdOf(application.platformMemberId, applicationSerial);
    // everything that can refuse the approval runs before the contract is stored or anchored
    let schedule: ReturnType<typeof generateSchedule>;
    try {
      schedule = generateSchedule({
        principalFen: application.loan.principalFen,
        aprBps: application.loan.aprBps,
        method: application.loan.method,
        startDate: input.startDate,
        ...(application.loan.termMonths === undefined ? {} : { termMonths: application.loan.termMonths }),
        ...(application.loan.termDays === undefined ? {} : { termDays: application.loan.termDays }),
      });
    } catch (error) {
      // e.g. a startDate of the right shape that is no calendar day (2026-02-30): the caller's to fix, not a 500
      if (error instanceof ScheduleError) throw nodeError("NODE_ERR_VALIDATION", `cannot build the schedule: ${error.message}`, { code: error.code });
      throw error;
    }
    // every fee goes on chain with the loan, and the all-in cost is capped there: refuse here first, with the figure
    const fees = chainFeesOf(application.loan.fees, schedule.length);
    const allInApr = await this.#allInAprWithinCap(application.loan, schedule, fees, dateToDay(input.startDate));
    // the borrower's own account, or the entrusted payee the approval names (受托支付)
    const receiving = bindReceivingAccount(this.deps.consortiumKey, applicationSerial, application.borrower.bankAccount, input.entrustedPayee);
    // the ledger's `platform` is the platform that brought the loan; an application credited to a
    // member of another kind (the union's or this branch's own) has none, and no co-funder
    const viaPlatform = application.platformMemberId !== this.deps.memberId && (await this.#kindOf(application.platformMemberId)) === PLATFORM;
    if (!viaPlatform && input.platformShareBps !== 0) {
      throw nodeError("NODE_ERR_VALIDATION", `application ${input.applicationId} was not brought by a platform (credited to member ${application.platformMemberId}): platformShareBps must be 0`);
    }
    const taken = await this.deps.outbox.status(application.applicationId);
    if (taken !== undefined) {
      // the contract leaf is freshly salted, so a second approval can never equal the first
      throw new OutboxError("NODE_ERR_OUTBOX_CONFLICT", `application ${application.applicationId} was already approved (its registerLoan is ${taken.state}); a new loan needs a new application`, {
        serial: application.applicationId,
        existing: { kind: taken.kind, state: taken.state },
      });
    }
    // the contract's leaf is known before it is anchored (its fields are ours), so a joint loan's
    // platform agrees to the terms before anything is stored: a refusal writes nothing
    const contractRecord = { kind: EvidenceKind.Contract, digestAlgorithm: DigestAlgorithm.Sha256, digest: contractDigest, salt: `0x${randomBytes(32).toString("hex")}`, subject: loanId };
    const contractLeaf = hexlify(leafHashOf({ version: LEAF_VERSION, ...contractRecord, submitter: this.deps.memberId }));
    const branch = this.deps.memberId;
    const platform = application.platformMemberId;
    const funders = input.platformShareBps === 0 ? [{ memberId: branch, shareBps: 10_000 }] : [{ memberId: branch, shareBps: 10_000 - input.platformShareBps }, { memberId: platform, shareBps: input.platformShareBps }];
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
      schedule: schedule.map((i) => ({ dueDay: i.dueDay, principal: i.principalFen, interest: i.interestFen })),
      fees: fees.map((f) => ({ installment: f.installment, amount: f.amount })),
      contractLeaf,
      consentLeaf: input.consentLeafHash,
      // bound on chain: every funder's disbursement goes to this account and nowhere else
      receivingAccount: receiving.receivingAccount,
    };
    // a co-funder must agree on chain to exactly these terms: the platform's node signs them
    const platformAgreement = funders.length === 2 ? await this.#platformAgreement(platform, application.applicationId, terms, input.entrustedPayee) : "0x";
    // anchored first, stored after: an anchoring that fails leaves no contract behind (an anchored
    // leaf whose store then fails is a salted hash nothing refers to: no loan is registered)
    const [contractReceipt] = await this.deps.anchor([contractRecord]);
    if (contractReceipt?.leafHash.toLowerCase() !== contractLeaf) {
      throw nodeError("NODE_ERR_ANCHOR_UNAVAILABLE", `the anchor service recorded the contract as leaf ${String(contractReceipt?.leafHash)}, not ${contractLeaf}`);
    }
    await this.deps.documents.put({ kind: "contract", bytes: contract, loanId, owner: this.deps.memberId, meta: { applicationId: stored.applicationId, approvedBy: actor.userId } });
    const entry = await this.deps.outbox.enqueue({ serial: application.applicationId, kind: "registerLoan", args: { terms, platformAgreement } } as never);
    await this.deps.receiving?.record({ loanId, applicationSerial, ...receiving });
    return { loanId, serial: application.applicationId, outbox: entry, schedule, fees, allInAprBps: allInApr, receiving };
  }

  /** The platform's signed agreement to a joint loan's `terms`, from its node (loan-agreement.ts). */
  async #platformAgreement(platform: number, platformApplicationId: string, terms: LoanTermsForAgreement, entrustedPayee: EntrustedPayee | undefined): Promise<string> {
    if (this.deps.peers.urlOf(platform) === undefined) {
      throw nodeError("NODE_ERR_NO_PLATFORM_NODE", `a joint loan needs platform ${platform}'s agreement from its node, which this node's directory (NODE_DIRECTORY) does not list; approve it with platformShareBps 0, or list the node`);
    }
    const reply = await this.deps.peers.call<{ platformAgreement?: unknown }>(platform, "POST", "/v1/loan-agreements", { applicationId: platformApplicationId, terms: termsToJson(terms), ...(entrustedPayee === undefined ? {} : { entrustedPayee }) });
    const signature = reply?.platformAgreement;
    if (typeof signature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(signature)) {
      throw nodeError("NODE_ERR_PEER_REFUSED", `member ${platform}'s node answered without an agreement signature`, { member: platform, status: 200, code: null });
    }
    return signature;
  }

  /**
   * A branch's node asks this platform's node to agree to a joint loan: signed by an active
   * branch's operations key; signed back only for the loan of an application this node
   * submitted, built exactly as the branch must build it (loan-agreement.ts).
   */
  async agreeToLoan(request: SignedNodeRequest | SignedHeaders, body: { applicationId: string; terms: LoanTermsJson; entrustedPayee?: EntrustedPayee }) {
    if ((await this.#activeMembers()).kindOf.get(this.deps.memberId) !== PLATFORM) {
      throw nodeError("NODE_ERR_WRONG_MEMBER_KIND", `only a platform's node agrees to co-fund loans; this node is member ${this.deps.memberId}`);
    }
    const { memberId: branch } = await this.#verifyMemberRequest(request, BRANCH);
    const stored = await this.deps.applications.getSubmitted(body.applicationId);
    const terms = termsFromJson(body.terms);
    // the platform's share goes to the borrower's own account, or to the entrusted payee the branch names here
    const receiving = bindReceivingAccount(this.deps.consortiumKey, terms.applicationSerial, stored.application.borrower.bankAccount, body.entrustedPayee);
    checkAgreementTerms(stored, terms, this.deps.memberId, branch, receiving.receivingAccount);
    const platformAgreement = await signLoanAgreement(this.deps.signer, await this.deps.chainId(), await this.deps.ledger.getAddress(), terms);
    await this.deps.receiving?.record({ loanId: loanIdOf(terms.originator, terms.applicationSerial), applicationSerial: terms.applicationSerial, ...receiving });
    return { platformAgreement };
  }

  /**
   * The loan's all-in APR (common/lending/apr.ts, every fee included), refused with
   * NODE_ERR_ALL_IN_APR_ABOVE_CAP above the ledger's cap, which the chain would refuse too.
   */
  async #allInAprWithinCap(loan: { principalFen: bigint; method: RepaymentMethod }, schedule: ReturnType<typeof generateSchedule>, fees: ChainFee[], startDay: number): Promise<number> {
    let apr: number;
    try {
      apr = allInAprBps({
        method: loan.method,
        principalFen: loan.principalFen,
        installments: schedule.map((i) => ({ dueDay: i.dueDay, totalFen: i.totalFen })),
        fees: aprFeesOf(fees, schedule, startDay),
        startDay,
      });
    } catch (error) {
      // fees at disbursement that use up the loan have no rate: the borrower would receive nothing
      if (error instanceof AprError) throw nodeError("NODE_ERR_ALL_IN_APR_ABOVE_CAP", `the all-in annual cost cannot be computed: ${error.message}`, { code: error.code });
      throw error;
    }
    let cap: number;
    try {
      cap = Number(((await this.deps.ledger.getFunction("params")()) as { aprCapBps: bigint }).aprCapBps);
    } catch (error) {
      throw nodeError("NODE_ERR_CHAIN_UNAVAILABLE", `cannot read the ledger's rate cap: ${(error as Error).message}`);
    }
    if (exceedsCap(apr, cap)) {
      throw nodeError("NODE_ERR_ALL_IN_APR_ABOVE_CAP", `the loan's all-in annual cost, interest and every fee, is ${apr / 100}% (${apr} bps), above the ${cap / 100}% cap`, { allInAprBps: apr, capBps: cap });
    }
    return apr;
  }

  /** Record a disbursement, repayment or early settlement: anchor its voucher, then write it through the outbox. */
  async fundFlow(actor: Actor, loanId: string, input: { type: "disbursement" | "repayment" | "settlement"; serial: string; amountFen: bigint; accountHash?: string; toAccount?: string }) {
    // money leaves this funder's own settlement account for the loan's bound receiving account only
    const paidTo =
      input.type === "disbursement"
        ? (await checkDisbursement({ memberId: this.deps.memberId, consortiumKey: this.deps.consortiumKey, accounts: this.#receiving(), call: (data) => this.#ledgerCall(data) }, loanId, { accountHash: input.accountHash!, ...(input.toAccount === undefined ? {} : { toAccount: input.toAccount }) })).paidTo
        : undefined;
    const voucher = { type: input.type, serial: input.serial, loanId: loanId.toLowerCase(), amountFen: input.amountFen.toString(), member: this.deps.memberId, recordedBy: actor.userId };
    const voucherBytes = Buffer.from(JSON.stringify(voucher));
    const digest = `0x${createHash("sha256").update(voucherBytes).digest("hex")}`;
    const flow =
      input.type === "disbursement"
        ? { serial: input.serial, kind: "disburse", args: { loanId, amount: input.amountFen, accountHash: input.accountHash!, voucher: digest } }
        : { serial: input.serial, kind: input.type === "settlement" ? "settle" : "repay", args: { loanId, amount: input.amountFen, voucher: digest } };
    // a serial taken by another flow is refused before the voucher is stored or anchored
    await this.deps.outbox.refuseConflict(flow as never);
    await this.deps.documents.put({ kind: "voucher", bytes: voucherBytes, loanId: loanId.toLowerCase(), owner: this.deps.memberId, meta: { serial: input.serial } });
    await this.deps.anchor([{ kind: EvidenceKind.FundFlowVoucher, digestAlgorithm: DigestAlgorithm.Sha256, digest, salt: `0x${randomBytes(32).toString("hex")}`, subject: loanId.toLowerCase() }]);
    const entry = await this.deps.outbox.enqueue(flow as never);
    return { serial: input.serial, voucher: digest, outbox: entry, ...(paidTo === undefined ? {} : { paidTo }) };
  }

  /** Receiving records (an empty store when none is configured: nothing approved here is known). */
  #receiving(): Pick<ReceivingAccounts, "get"> {
    return this.deps.receiving ?? { get: async () => undefined };
  }

  async #ledgerCall(data: string): Promise<string> {
    return this.deps.ledger.runner!.provider!.call({ to: await this.deps.ledger.getAddress(), data });
  }

  /** The loan as the ledger states it now; NODE_ERR_UNKNOWN_LOAN if it has none. */
  async #chainLoan(loanId: string): Promise<ChainLoan> {
    let loan: { branch: bigint; state: bigint; disbursedMask: bigint };
    try {
      loan = (await this.deps.ledger.getFunction("loan")(loanId)) as typeof loan;
    } catch (error) {
      if ((error as { revert?: { name?: string } }).revert?.name === "LedgerUnknownLoan") throw nodeError("NODE_ERR_UNKNOWN_LOAN", `the ledger has no loan ${loanId}`);
      throw nodeError("NODE_ERR_CHAIN_UNAVAILABLE", `cannot read loan ${loanId} from the ledger: ${(error as Error).message}`);
    }
    return { branch: Number(loan.branch), state: LOAN_STATES[Number(loan.state)] ?? "None", disbursedMask: Number(loan.disbursedMask) };
  }

  /**
   * The ledger takes settlements and cancellations only from the loan's branch or from a member
   * holding the branch's unexpired mandate for the loan (the union's node, typically): refused
   * here first, nothing written.
   */
  async #requireServicer(loanId: string, loan: ChainLoan): Promise<void> {
    if (loan.branch === this.deps.memberId) return;
    const me = await this.deps.signer.getAddress();
    let branch: bigint, expiresAt: bigint, now: number;
    try {
      const data = await this.deps.ledger.runner!.provider!.call({ to: await this.deps.ledger.getAddress(), data: ledgerInterface.encodeFunctionData("mandate", [loanId, me]) });
      [branch, expiresAt] = ledgerInterface.decodeFunctionResult("mandate", data) as unknown as [bigint, bigint];
      now = (await this.deps.ledger.runner!.provider!.getBlock("latest"))!.timestamp;
    } catch (error) {
      throw nodeError("NODE_ERR_CHAIN_UNAVAILABLE", `cannot read this node's mandate for loan ${loanId}: ${(error as Error).message}`);
    }
    if (Number(branch) === loan.branch && Number(expiresAt) > now) return;
    throw nodeError("NODE_ERR_NO_MANDATE", `loan ${loanId} is serviced by branch ${loan.branch}; this node (member ${this.deps.memberId}, account ${me}) holds no unexpired mandate for it`, { branch: loan.branch, agent: me.toLowerCase(), expiresAt: Number(expiresAt) });
  }

  /**
   * What settles the loan in full today (提前结清, the ledger's settlementOwed): installments due
   * by today in full, the one in progress with its interest to the day, then principal only.
   */
  async settlementQuote(_actor: Actor, loanId: string) {
    const id = loanId.toLowerCase();
    const loan = await this.#chainLoan(id);
    if (loan.state !== "Active") throw nodeError("NODE_ERR_LOAN_STATE", `loan ${id} is ${loan.state}; only an active loan is settled early`, { state: loan.state });
    let owed: [bigint, bigint, bigint];
    let today: bigint;
    try {
      owed = (await this.deps.ledger.getFunction("settlementOwed")(id)) as [bigint, bigint, bigint];
      today = (await this.deps.ledger.getFunction("today")()) as bigint;
    } catch (error) {
      throw nodeError("NODE_ERR_CHAIN_UNAVAILABLE", `cannot read what settles loan ${id}: ${(error as Error).message}`);
    }
    const [penaltyFen, interestFen, principalFen] = owed.map(BigInt) as [bigint, bigint, bigint];
    const day = Number(today);
    return { loanId: id, day, date: dayToDate(day), penaltyFen, interestFen, principalFen, totalFen: penaltyFen + interestFen + principalFen };
  }

  /**
   * Settle a loan early, in full: the amount received must be exactly today's settlementOwed
   * (refused otherwise, nothing written); the voucher is anchored and `settle` goes through the
   * outbox. The chain checks the amount again on the day it is mined (LedgerSettlementMismatch
   * if the day turned in between: the entry fails and a new serial settles at the new figure).
   */
  async settleLoan(actor: Actor, loanId: string, input: { serial: string; amountFen: bigint }) {
    const id = loanId.toLowerCase();
    // a retry of a settlement already taken answers it again (the loan is settled by now, so the quote would refuse it)
    const existing = await this.deps.outbox.status(input.serial);
    if (existing !== undefined) {
      const args = existing.args as SettleArgs;
      if (existing.kind === "settle" && args.loanId === id && args.amount === input.amountFen.toString()) return { serial: input.serial, voucher: args.voucher, outbox: existing };
      throw new OutboxError("NODE_ERR_OUTBOX_CONFLICT", `serial ${input.serial} is already used by a ${existing.kind} entry with other arguments; a new flow needs a new serial`, {
        serial: input.serial,
        existing: { kind: existing.kind, state: existing.state },
      });
    }
    await this.#requireServicer(id, await this.#chainLoan(id));
    const owed = await this.settlementQuote(actor, id);
    if (input.amountFen !== owed.totalFen) {
      throw nodeError("NODE_ERR_SETTLEMENT_MISMATCH", `loan ${id} is settled today (${owed.date}) by ${owed.totalFen} fen, not ${input.amountFen}`, {
        amountFen: input.amountFen.toString(),
        owedFen: owed.totalFen.toString(),
        penaltyFen: owed.penaltyFen.toString(),
        interestFen: owed.interestFen.toString(),
        principalFen: owed.principalFen.toString(),
        date: owed.date,
      });
    }
    return { ...(await this.fundFlow(actor, id, { type: "settlement", serial: input.serial, amountFen: input.amountFen })), owed };
  }

  /**
   * Cancel a registered loan nobody has disbursed (the branch's or the union's node), through the
   * outbox under the serial `cancel:<loanId>`, and wait for the chain's answer: a loan with money
   * out is refused before anything is written, and a disbursement that landed first comes back
   * as the same NODE_ERR_LOAN_DISBURSED (the ledger's LedgerPartlyDisbursed / LedgerWrongState).
   */
  async cancelLoan(actor: Actor, loanId: string, reasonCode: number) {
    const id = loanId.toLowerCase();
    const serial = `cancel:${id}`;
    if ((await this.deps.outbox.status(serial)) === undefined) {
      const loan = await this.#chainLoan(id);
      await this.#requireServicer(id, loan);
      if (loan.state === "Active" || loan.state === "Settled" || loan.disbursedMask !== 0) {
        throw nodeError("NODE_ERR_LOAN_DISBURSED", `loan ${id} is ${loan.state}${loan.state === "Registered" ? " and partly disbursed" : ""}: a loan with money out is not cancelled; it is repaid or settled`, { state: loan.state, disbursedMask: loan.disbursedMask });
      }
      if (loan.state !== "Registered") throw nodeError("NODE_ERR_LOAN_STATE", `loan ${id} is ${loan.state}; only a registered loan is cancelled`, { state: loan.state });
    }
    // same serial and reason: the stored entry; another reason: NODE_ERR_OUTBOX_CONFLICT
    await this.deps.outbox.enqueue({ serial, kind: "cancelLoan", args: { loanId: id, reasonCode } });
    const entry: OutboxEntry = await this.deps.outbox.settled(serial, this.deps.chainWriteTimeoutMs ?? 60_000);
    if (entry.state === "failed") {
      if (cancelRefusedAsDisbursed(entry.failure)) throw nodeError("NODE_ERR_LOAN_DISBURSED", `loan ${id} was disbursed before the cancellation reached the chain (${entry.failure!.code})`, entry.failure);
      throw nodeError("NODE_ERR_CHAIN_REFUSED", `the chain refused cancelling loan ${id}: ${entry.failure?.code}`, entry.failure);
    }
    if (entry.state !== "confirmed") throw nodeError("NODE_ERR_OUTBOX_PENDING", `cancelling loan ${id} is still ${entry.state} in the outbox (serial ${serial}); it completes on its own`, { serial });
    return { loanId: id, reasonCode, cancelledBy: actor.userId, serial, outbox: entry };
  }

  async outboxStatus(_actor: Actor, serial: string) {
    const entry = await this.deps.outbox.status(serial);
    if (entry === undefined) throw nodeError("NODE_ERR_NOT_FOUND", `no outbox entry ${serial}`);
    return entry;
  }

  async loans(_actor: Actor, query: { state?: "Registered" | "Active" | "Settled" | "Cancelled"; branch?: number; platform?: number }) {
    const { model } = this.deps;
    if (query.state !== undefined) return model.loansByState(query.state);
    if (query.branch !== undefined) return model.loansByBranch(query.branch);
    if (query.platform !== undefined) return model.loansByPlatform(query.platform);
    return model.loansByBranch(this.deps.memberId);
  }

  /**
   * One indexed loan with its all-in APR (interest and every registered fee, common/lending/apr.ts,
   * as approval computed it; null while the chain's schedule cannot be read) and, once settled,
   * the flow that settled it.
   */
  async loan(_actor: Actor, loanId: string) {
    const loan = await this.deps.model.loan(loanId.toLowerCase());
    if (loan === undefined) throw nodeError("NODE_ERR_UNKNOWN_LOAN", `no loan ${loanId} in this node's index (yet)`);
    const allInAprBps = await this.#loanAllInApr(loan);
    const details = Object.assign({}, ...(await Promise.all((this.deps.loanDetails ?? []).map((detail) => detail(loan))))) as Record<string, unknown>;
    if (loan.settled === undefined) return { ...loan, allInAprBps, ...details };
    const flow = (await this.deps.model.flowsByLoan(loan.loanId)).find((f) => f.type === "repayment" && f.txHash === loan.settled!.txHash);
    return { ...loan, allInAprBps, ...details, settlement: flow === undefined || flow.type !== "repayment" ? null : { serial: flow.serial, date: flow.date, amountFen: flow.amountFen, penaltyFen: flow.penaltyFen, interestFen: flow.interestFen, principalFen: flow.principalFen, txHash: flow.txHash } };
  }

  /** The all-in APR of a registered loan from its schedule on chain and its indexed fees (cached: neither changes). */
  async #loanAllInApr(loan: Loan): Promise<number | null> {
    const cached = this.#allInApr.get(loan.loanId);
    if (cached !== undefined) return cached;
    let schedule: Array<{ dueDay: bigint; principal: bigint; interest: bigint }>;
    try {
      schedule = (await this.deps.ledger.getFunction("schedule")(loan.loanId)) as typeof schedule;
    } catch {
      return null;
    }
    const installments = schedule.map((i) => ({ dueDay: Number(i.dueDay), totalFen: BigInt(i.principal) + BigInt(i.interest) }));
    const fees = (loan.fees ?? []).map((f) => ({ installment: f.installment, amount: BigInt(f.amountFen) }));
    let apr: number;
    try {
      apr = allInAprBps({ method: REPAYMENT_METHODS.indexOf(loan.method) as RepaymentMethod, principalFen: BigInt(loan.principalFen), installments, fees: aprFeesOf(fees, installments, loan.startDay), startDay: loan.startDay });
    } catch (error) {
      // a loan the ledger registered always has a rate; anything else is shown as unknown, not a 500
      if (error instanceof AprError || error instanceof RangeError) return null;
      throw error;
    }
    this.#allInApr.set(loan.loanId, apr);
    return apr;
  }

  async flowsByDay(_actor: Actor, day: string) {
    return this.deps.model.flowsByDay(day);
  }

  /**
   * The ledger digest of this node's index (indexer/ledger-digest.ts) with the last indexed
   * block: read between two equal cursors, so it describes exactly that block.
   */
  async indexDigest(_actor: Actor) {
    for (let attempt = 0; ; attempt++) {
      const before = await this.deps.cursor();
      const digest = await modelLedgerDigest(this.deps.model);
      const modelDigest = await this.deps.model.digest();
      const after = await this.deps.cursor();
      if (before?.blockHash === after?.blockHash || attempt >= 20) {
        return { ...digest, cursor: after === undefined ? null : { blockNumber: after.blockNumber, blockHash: after.blockHash }, modelDigest };
      }
    }
  }

  /** The loan's documents this caller may read (records only; reading one is logged). */
  async loanDocuments(actor: Actor, loanId: string) {
    return this.deps.documents.listByLoan(loanId.toLowerCase(), actor);
  }

  async exposure(_actor: Actor, borrowerKey: string) {
    return { borrowerKey: borrowerKey.toLowerCase(), outstandingFen: await this.deps.model.borrowerExposure(borrowerKey.toLowerCase()) };
  }

  /**
   * 对账 of this institution's side of the day's flows: the disbursements it made (funder = this
   * member) and the repayments it collected as the loan's servicing branch (full amount). Other
   * members' flows of the day are not in its books.
   */
  async reconcile(_actor: Actor, day: string, books: Uint8Array | string, format: "json" | "csv"): Promise<Uint8Array> {
    const me = this.deps.memberId;
    const branchOf = new Map<string, number | undefined>();
    const ours = [];
    for (const f of await this.deps.model.flowsByDay(day)) {
      if (f.type === "disbursement") {
        if (f.funder === me) ours.push(f);
        continue;
      }
      if (!branchOf.has(f.loanId)) branchOf.set(f.loanId, (await this.deps.model.loan(f.loanId))?.branch);
      if (branchOf.get(f.loanId) === me) ours.push(f);
    }
    const chain = ours.map((f) => ({ serial: f.serial, loanId: f.loanId, type: f.type, amountFen: f.amountFen, day: f.date }));
    // a large day's books take seconds: reconciled in a worker thread, off the event loop
    return reconcileOffLoop(day, books, chain, format);
  }

  /** 征信报送 for this member's loans, with days overdue and the next due day read from the ledger. */
  async creditReport(_actor: Actor, month: string): Promise<string> {
    const loans = await this.deps.model.loansByBranch(this.deps.memberId);
    const rows: CreditLoan[] = [];
    for (const l of loans) {
      if (l.state === "None") continue; // never indexed as such: a registered loan is at least Registered
      const open = l.state === "Registered" || l.state === "Active";
      let daysOverdue = 0;
      let nextDueDay: number | null = null;
      if (l.state === "Active") {
        const [days] = (await this.deps.ledger.getFunction("overdue")(l.loanId)) as [bigint, bigint, bigint];
        const schedule = (await this.deps.ledger.getFunction("schedule")(l.loanId)) as Array<{ dueDay: bigint }>;
        const progress = (await this.deps.ledger.getFunction("progress")(l.loanId)) as { nextInstallment: bigint };
        daysOverdue = Number(days);
        nextDueDay = Number(schedule[Number(progress.nextInstallment)]?.dueDay ?? 0) || null;
      }
      rows.push({
        loanId: l.loanId,
        borrowerKey: l.borrowerKey,
        principalFen: l.principalFen,
        outstandingFen: open ? l.disbursedFen - l.principalRepaidFen : 0n,
        state: l.state,
        daysOverdue,
        nextDueDay,
      });
    }
    return buildCreditReport(month, rows).csv;
  }

  /**
   * A court member's node fetches a case's documents: the request is signed with the court's
   * chain key (EIP-712, nonce, expiry); the signer must be an active court member, and the
   * document store's policy lets it read only loans whose arbitration case is assigned to it.
   */
  async caseDocuments(request: SignedNodeRequest | SignedHeaders, loanId: string) {
    const { signer, memberId } = await this.#verifyMemberRequest(request, COURT);
    const actor: Actor = { userId: signer, role: "court-clerk", memberId };
    const documents = await this.deps.documents.exportCaseDocuments({ loanId: loanId.toLowerCase() }, actor);
    return { loanId: loanId.toLowerCase(), documents: documents.map((d) => ({ documentId: d.documentId, kind: d.kind, sha256: d.sha256, bytesBase64: Buffer.from(d.bytes).toString("base64") })) };
  }

  /**
   * A request from another member's node, checked in three steps so that a caller who fails a
   * cheap check never has its body read (http/app.ts runs them as the request arrives):
   *   1. signedHeaders, from the headers alone: form, time window, the target (this node's
   *      member), and the named signer an operations key of an active member of `kind` (its
   *      governance and log-operator keys sign nothing between nodes);
   *   2. signedBody, once the body is read and before it is parsed: the EIP-712 signature over
   *      method, path, the body's SHA-256, nonce, expiry and target;
   *   3. the operation, once its own checks hold: the nonce spent (a replay is refused).
   */
  async signedHeaders(request: Pick<SignedNodeRequest, "method" | "path" | "headers">, kind: number): Promise<SignedHeaders> {
    const domain = requestDomain(await this.deps.chainId(), await this.deps.registry.getAddress());
    const pending = prepareVerification(domain, { ...request, rawBody: EMPTY_BODY }, { now: Math.floor(Date.now() / 1000), maxTtlSeconds: 300, requireTarget: true });
    const target = pending.value.target!;
    // a request signed for another member's node is not this node's to serve
    if (target !== this.deps.memberId) {
      throw nodeError("NODE_ERR_WRONG_TARGET", `this request is signed for member ${target}'s node; this is member ${this.deps.memberId}'s`, { target, member: this.deps.memberId });
    }
    const kindName = KIND_NAMES[kind] ?? `kind ${kind}`;
    const [memberId, status, role] = (await this.deps.registry.getFunction("accountOf")(pending.signer)) as [bigint, bigint, bigint];
    const [actual] = (await this.deps.registry.getFunction("profileOf")(memberId)) as [bigint];
    if (Number(status) !== ACTIVE || Number(actual) !== kind) throw nodeError("NODE_ERR_ROLE", `${pending.signer} is not an account of an active ${kindName} member`);
    if (Number(role) !== AccountRole.Operations) throw nodeError("NODE_ERR_ROLE", `${pending.signer} is not one of member ${memberId}'s operations keys; node-to-node requests are signed with the node's operations key`);
    const headers: SignedHeaders = { pending, kind, memberId: Number(memberId), bodyVerified: false };
    issuedHeaders.add(headers);
    return headers;
  }

  /** Step 2: the named signer's signature over the exact body bytes (AUTH_BAD_SIGNATURE otherwise). */
  signedBody(headers: SignedHeaders, rawBody: Uint8Array): void {
    const pending = { ...headers.pending, value: { ...headers.pending.value, bodyHash: bodyHashOf(rawBody) } };
    completeVerification(pending, recoverSigner(pending));
    headers.bodyVerified = true;
  }

  /**
   * Step 3: the nonce, refused a second time. Remembered only for a request a member signed (any
   * key can sign, and strangers must not fill the store).
   */
  async #spendNonce(headers: SignedHeaders): Promise<{ signer: string; memberId: number }> {
    if (!headers.bodyVerified) throw new AuthError("AUTH_BAD_SIGNATURE", "the signature over the body was not checked");
    const { signer, nonce, expiresAt } = headers.pending;
    const key = Buffer.from(nonceKey(signer, nonce)).toString("hex");
    // Check and claim with no await in between, then the durable check and write: identical
    // requests arriving together would otherwise all pass the check before any write lands.
    const replay = () => nodeError("NODE_ERR_AUTH", "this signed request was used before; sign it again with a new nonce");
    if (this.#claimedNonces.has(key)) throw replay();
    this.#claimedNonces.add(key);
    try {
      // expiry again, now: the sweep may drop the nonce of a request expired for NONCE_SWEEP_SLACK_S
      if (expiresAt < Math.floor(Date.now() / 1000)) throw new AuthError("AUTH_EXPIRED", `request expired at ${expiresAt} while it was being checked; sign it again`);
      if ((await this.deps.nonces.get(key)) !== undefined) throw replay();
      await this.deps.nonces.put(key, String(expiresAt));
    } finally {
      // once written, the durable store refuses it
      this.#claimedNonces.delete(key);
    }
    // inside the request that triggers it, so its deletions belong to a request that spent a nonce
    if (Date.now() - this.#noncesSweptAt >= NONCE_SWEEP_INTERVAL_MS) await this.sweepExpiredNonces().catch(() => 0);
    return { signer, memberId: headers.memberId };
  }

  /**
   * The caller of a node-to-node operation, its nonce spent: headers this node checked for `kind`
   * (steps 1 and 2 done as the request arrived), or a raw request checked here in full.
   */
  async #verifyMemberRequest(caller: SignedNodeRequest | SignedHeaders, kind: number): Promise<{ signer: string; memberId: number }> {
    if (issuedHeaders.has(caller as SignedHeaders)) {
      const headers = caller as SignedHeaders;
      if (headers.kind !== kind) throw nodeError("NODE_ERR_ROLE", `${headers.pending.signer} is not an account of an active ${KIND_NAMES[kind] ?? `kind ${kind}`} member`);
      return this.#spendNonce(headers);
    }
    const request = caller as SignedNodeRequest;
    const headers = await this.signedHeaders(request, kind);
    this.signedBody(headers, request.rawBody);
    return this.#spendNonce(headers);
  }

  /** The caller of another room's node-to-node operation (income-split.ts), its nonce spent, once that operation's own checks held. */
  async verifyMemberRequest(caller: SignedNodeRequest | SignedHeaders, kind: number): Promise<{ signer: string; memberId: number }> {
    return this.#verifyMemberRequest(caller, kind);
  }

  /**
   * Deletes the nonces of requests expired more than NONCE_SWEEP_SLACK_S ago (an expired request
   * is refused before its nonce is looked at, so they are no longer needed); the store would otherwise grow with every
   * request ever served. Runs in a request whose nonce was just recorded, at most every
   * NONCE_SWEEP_INTERVAL_MS.
   * Returns how many it deleted.
   */
  async sweepExpiredNonces(nowSeconds = Math.floor(Date.now() / 1000)): Promise<number> {
    if (this.#nonceSweep !== undefined) return this.#nonceSweep;
    this.#noncesSweptAt = Date.now();
    this.#nonceSweep = (async () => {
      const expired: string[] = [];
      for await (const [key, expiresAt] of this.deps.nonces.iterator()) if (Number(expiresAt) + NONCE_SWEEP_SLACK_S < nowSeconds) expired.push(key);
      if (expired.length > 0) await this.deps.nonces.batch(expired.map((key) => ({ type: "del" as const, key })));
      return expired.length;
    })();
    try {
      return await this.#nonceSweep;
    } finally {
      this.#nonceSweep = undefined;
    }
  }

  async document(actor: Actor, documentId: string, purpose: string): Promise<Uint8Array> {
    return this.deps.documents.get(documentId, { actor, purpose });
  }
}

// where the salted receiving-account hash is computed now; kept exported here for existing callers
export { receivingAccountOf };
