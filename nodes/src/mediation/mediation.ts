// The mediation stage (调解) at 7 days past due. When the keeper moves a loan there, a case
// opens on its own: the parties, what is owed, a restructured repayment plan (plan.ts, all-in
// cost within the cap) and a notice to the borrower with a deadline to answer. The borrower's
// answer is recorded: a refusal, or no answer by the deadline, lets the keeper go on to
// arbitration; an acceptance is a settlement agreement the node drafts (agreement.ts), the
// borrower signs and the branch seals like a loan contract (e-contract's signatures and
// verification). While the agreement is performed the keeper holds arbitration; an installment
// of the plan unpaid after its due day is a breach, and arbitration may follow (法发〔2022〕16号).
// Every record — the case as opened, the answer, the signed agreement — is anchored as evidence
// of the loan, and the originals are kept for the court's package. The signed agreement's leaf is
// then registered in the EvidenceRegistry against the loan (through the node's outbox, once the
// anchor service has committed a head holding it), and right behind it the plan is adopted as the
// loan's schedule on chain (DisputeResolution.adoptSettlement): days past due then count on the
// plan, paying it on time ends the escalation in the ledger itself, and a breach lets the keeper
// go on to arbitration. The case of a loan is held by the loan's branch node alone (the lender of
// record, and the only member the chain takes the adoption from): another node refuses to open,
// show or answer it, and a keeper running elsewhere reaches it through holder.ts.
import { createHash, randomBytes } from "node:crypto";
import type { JointLoanLedger } from "../../../common/chain/generated/contracts.ts";
import { DigestAlgorithm, EvidenceKind, encodeLeaf } from "../../../common/formats/leaf/leaf.ts";
import type { Sublevel } from "../../../common/level.ts";
import { dateToDay, dayToDate, shanghaiDay } from "../../../common/lending/dates.ts";
import type { AnchorEvidence } from "../bureau/consent.ts";
import { canonicalJson, type CanonicalValue } from "../bureau/canonical-json.ts";
import type { ContractVerification } from "../e-contract/verify.ts";
import type { LedgerModel } from "../indexer/model.ts";
import type { SignedHeaders } from "../node-requests.ts";
import type { KeeperNotices } from "../keeper/keeper.ts";
import { agreementPdf } from "./agreement.ts";
import { MediationError } from "../errors.ts";
import { overdueInterest, proposePlan, type ProposedPlan } from "./plan.ts";
import { PolicyService } from "../post-loan/policy-service.ts";
import { readLedgerLoan } from "../servicing.ts";

export type MediationPolicy = {
  /** Months the restructured debt is spread over. */
  termMonths: number;
  /** Days the borrower has to answer before the case lapses. */
  answerDays: number;
};

export const DEFAULT_MEDIATION_POLICY: MediationPolicy = { termMonths: 12, answerDays: 5 };

export type MediationStatus = "proposed" | "accepted" | "refused" | "lapsed" | "breached" | "performed";

/** One anchored record of the case, kept as the original a court is handed. */
export type MediationEvidence = {
  what: "opened" | "answer" | "agreement";
  /** The anchored bytes: canonical JSON for records, base64 of the PDF for the agreement. */
  original: string;
  encoding: "utf8" | "base64";
  digest: string;
  salt: string;
  leafHash: string;
};

export type MediationCase = {
  mediationId: string;
  loanId: string;
  branch: number;
  funders: number[];
  borrowerKey: string;
  openedAt: number;
  answerBy: number;
  daysPastDue: number;
  /** What was owed when the case opened: penalty, interest and principal fallen due. */
  amountDueFen: bigint;
  plan: ProposedPlan;
  status: MediationStatus;
  answer?: { accepted: boolean; at: number; recordedBy: string };
  /** Repayments made since the agreement was signed, and what the plan had fallen due, at a breach. */
  breach?: { at: number; dueFen: bigint; paidFen: bigint };
  noticeIds: string[];
  evidence: MediationEvidence[];
  /** The outbox serial of the agreement leaf's EvidenceRegistry registration, once queued. */
  agreementRegistration?: string;
  /** The outbox serial of the plan's adoption as the loan's schedule on chain, once queued. */
  planAdoption?: string;
};

/** What DisputeResolution.adoptSettlement takes: the agreement's leaf and the plan as the ledger keeps a schedule. */
export type PlanAdoption = {
  loanId: string;
  /** The loan's branch, the only member that may adopt; the leaf's submitter. */
  branch: number;
  leafHash: string;
  /** The agreement's 224-byte leaf, 0x-hex. */
  leaf: string;
  startDay: number;
  installments: Array<{ dueDay: number; principal: bigint; interest: bigint }>;
};

/** MediationCase with its bigints as decimal strings, as stored. */
type StoredCase = string;

export type MediationDeps = {
  /** This node's member: it holds the cases of the loans it is the branch of. None: every loan's (a test's single node). */
  memberId?: number;
  /** Checks a keeper's step asked from another node is the union's node's (holder.ts); none: no such steps taken. */
  verifyKeeperRequest?: (headers: SignedHeaders) => Promise<unknown>;
  /**
   * Run before such a step: the node brings `now` up to the chain's latest block, as before its own
   * keeper's rounds (a plan starts on the chain's today, or the chain refuses its adoption).
   */
  beforeStep?: () => Promise<void>;
  ledger: Pick<
    JointLoanLedger,
    "loan" | "progress" | "amountOwed" | "overdue" | "params" | "funders" | "schedule"
  >;
  model: Pick<LedgerModel, "flowsByLoan">;
  /** loanId → the loan's current case (JSON text with bigints as strings). */
  cases: Sublevel<string, StoredCase>;
  notices: KeeperNotices;
  anchor: AnchorEvidence;
  /** Verifies a signed agreement's signatures (borrower's and branch seal), like a contract's. */
  verifyAgreement: (pdf: Uint8Array) => Promise<ContractVerification>;
  /**
   * Queues the registration of an anchored leaf about the loan in the EvidenceRegistry and
   * returns its outbox serial; throws while no committed head holds the leaf (tried again on the
   * next keeper round). None: agreements are anchored only.
   */
  registerLeaf?: (loanId: string, leafHash: string) => Promise<string>;
  /**
   * Queues DisputeResolution.adoptSettlement — the plan as the loan's schedule on chain — behind
   * the agreement's registration (the outbox sends in order) and returns its outbox serial, or
   * undefined where this node may not (only the loan's branch adopts). None, or undefined: the
   * plan stays off chain and the keeper's hold alone stops escalation.
   */
  adoptPlan?: (adoption: PlanAdoption) => Promise<string | undefined>;
  policy?: MediationPolicy;
  /** Unix seconds. */
  now: () => number;
};

const sha256 = (bytes: Uint8Array | string) =>
  `0x${createHash("sha256")
    .update(typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes)
    .digest("hex")}`;

const toJson = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));

const BIGINT_FIELDS = new Set([
  "amountDueFen",
  "principalFen",
  "interestFen",
  "totalFen",
  "dueFen",
  "paidFen",
]);
const fromJson = (text: string): MediationCase =>
  JSON.parse(text, (k, v: unknown) =>
    BIGINT_FIELDS.has(k) && typeof v === "string" ? BigInt(v) : v,
  ) as MediationCase;

export class MediationService extends PolicyService<MediationPolicy, MediationDeps> {
  constructor(deps: MediationDeps) {
    super(deps, DEFAULT_MEDIATION_POLICY);
  }

  async get(loanId: string): Promise<MediationCase | undefined> {
    const text = await this.deps.cases.get(loanId.toLowerCase());
    return text === undefined ? undefined : fromJson(text);
  }

  async require(loanId: string): Promise<MediationCase> {
    await this.requireHolder(loanId);
    const c = await this.get(loanId);
    if (c === undefined)
      throw new MediationError("NODE_ERR_NO_MEDIATION", `loan ${loanId} has no mediation case`);
    return c;
  }

  /**
   * Opens the loan's case unless it has one not yet performed; true if it opened one now. A case
   * whose opening notice could not go out yet (window, cap) is notified again.
   */
  async open(loanId: string): Promise<boolean> {
    const id = loanId.toLowerCase();
    await this.requireHolder(id);
    const existing = await this.get(id);
    if (existing !== undefined && existing.status === "proposed" && existing.noticeIds.length === 0) {
      await this.#notify(existing, "mediation-opened.v1", dayToDate(shanghaiDay(existing.answerBy)));
      await this.#save(existing);
    }
    if (existing !== undefined) {
      await this.#registerAgreement(existing);
      // registered in an earlier round whose adoption could not be queued
      const agreement = existing.evidence.find((e) => e.what === "agreement");
      if (existing.agreementRegistration !== undefined && agreement !== undefined)
        await this.#adoptPlan(existing, agreement);
    }
    if (existing !== undefined && existing.status !== "performed") return false;
    const now = this.deps.now();
    const [loan, progress, owed, overdue, params, funders, schedule] = await Promise.all([
      this.deps.ledger.loan(id),
      this.deps.ledger.progress(id),
      this.deps.ledger.amountOwed(id),
      this.deps.ledger.overdue(id),
      this.deps.ledger.params(),
      this.deps.ledger.funders(id),
      this.deps.ledger.schedule(id),
    ]);
    const [penalty, interest, principal] = owed;
    const today = shanghaiDay(now);
    const plan = proposePlan({
      outstandingPrincipalFen: loan.principal - progress.principalRepaid,
      overdueInterestFen: overdueInterest(schedule, progress, today),
      aprBps: Number(loan.aprBps),
      capBps: Number(params.aprCapBps),
      startDate: dayToDate(today),
      termMonths: this.policy.termMonths,
    });
    const c: MediationCase = {
      mediationId: sha256(`mediation|${id}|${now}`),
      loanId: id,
      branch: Number(loan.branch),
      funders: funders.map((f) => Number(f.memberId)),
      borrowerKey: loan.borrowerKey.toLowerCase(),
      openedAt: now,
      answerBy: now + this.policy.answerDays * 86_400,
      daysPastDue: Number(overdue[0]),
      amountDueFen: penalty + interest + principal,
      plan,
      status: "proposed",
      noticeIds: [],
      evidence: [],
    };
    await this.#anchorRecord(c, "opened", this.#openedRecord(c));
    await this.#notify(c, "mediation-opened.v1", dayToDate(shanghaiDay(c.answerBy)));
    await this.#save(c);
    return true;
  }

  /**
   * Throws NODE_ERR_MEDIATION_HELD_BY_BRANCH unless this node holds the loan's case: it is the
   * loan's branch (read from the chain, which no node's index can lag).
   */
  async requireHolder(loanId: string): Promise<void> {
    const memberId = this.deps.memberId;
    if (memberId === undefined) return;
    // a loan the ledger has none of is NODE_ERR_UNKNOWN_LOAN (the raw revert answered 500)
    const branch = Number((await readLedgerLoan(this.deps.ledger, loanId.toLowerCase())).branch);
    if (branch !== memberId)
      throw new MediationError(
        "NODE_ERR_MEDIATION_HELD_BY_BRANCH",
        `loan ${loanId} is member ${branch}'s: its mediation case is held by that branch's node, not member ${memberId}'s`,
        { branch },
      );
  }

  /** The borrower's refusal, recorded (by a staff member who took it, or the borrower's app). */
  async refuse(loanId: string, recordedBy: string): Promise<MediationCase> {
    const c = await this.#proposed(loanId);
    c.status = "refused";
    c.answer = { accepted: false, at: this.deps.now(), recordedBy };
    await this.#anchorRecord(c, "answer", { mediationId: c.mediationId, loanId: c.loanId, ...c.answer });
    await this.#save(c);
    return c;
  }

  /** The agreement to sign, drafted from the case's plan (same bytes for the same case). */
  async agreementDraft(loanId: string): Promise<Uint8Array> {
    const c = await this.require(loanId);
    return agreementPdf(c, new Date(c.openedAt * 1000));
  }

  /**
   * The borrower's acceptance: the agreement signed by the borrower and sealed by the branch. It
   * must be the node's draft with signatures appended, and every signature must verify.
   */
  async accept(loanId: string, signedPdf: Uint8Array, recordedBy: string): Promise<MediationCase> {
    const c = await this.#proposed(loanId);
    const draft = await agreementPdf(c, new Date(c.openedAt * 1000));
    if (signedPdf.length <= draft.length || !Buffer.from(signedPdf.subarray(0, draft.length)).equals(draft))
      throw new MediationError(
        "NODE_ERR_MEDIATION_AGREEMENT_MISMATCH",
        `the signed file is not case ${c.mediationId}'s agreement with signatures appended`,
      );
    await this.deps.verifyAgreement(signedPdf);
    c.status = "accepted";
    c.answer = { accepted: true, at: this.deps.now(), recordedBy };
    await this.#anchorRecord(c, "answer", { mediationId: c.mediationId, loanId: c.loanId, ...c.answer });
    c.evidence.push({
      what: "agreement",
      original: Buffer.from(signedPdf).toString("base64"),
      encoding: "base64",
      ...(await this.#anchor(c.loanId, EvidenceKind.Contract, signedPdf)),
    });
    const first = c.plan.installments[0]!;
    await this.#notify(c, "mediation-agreed.v1", first.dueDate, first.totalFen);
    await this.#save(c);
    await this.#registerAgreement(c);
    return c;
  }

  /**
   * Queues the signed agreement's registration in the EvidenceRegistry unless queued already. Its
   * leaf is only in a committed head a while after the acceptance: until then this leaves the case
   * as it is, and the keeper's next round (open) tries again.
   */
  async #registerAgreement(c: MediationCase): Promise<void> {
    const agreement = c.evidence.find((e) => e.what === "agreement");
    if (
      this.deps.registerLeaf === undefined ||
      agreement === undefined ||
      c.agreementRegistration !== undefined
    )
      return;
    try {
      c.agreementRegistration = await this.deps.registerLeaf(c.loanId, agreement.leafHash);
    } catch {
      return;
    }
    await this.#save(c);
    await this.#adoptPlan(c, agreement);
  }

  /** Queues the plan's adoption as the loan's schedule once, right behind the agreement's registration. */
  async #adoptPlan(c: MediationCase, agreement: MediationEvidence): Promise<void> {
    if (this.deps.adoptPlan === undefined || c.planAdoption !== undefined) return;
    const leaf = encodeLeaf({
      version: 1,
      kind: EvidenceKind.Contract,
      digestAlgorithm: DigestAlgorithm.Sha256,
      digest: agreement.digest,
      salt: agreement.salt,
      submitter: c.branch,
      subject: c.loanId,
    });
    const serial = await this.deps.adoptPlan({
      loanId: c.loanId,
      branch: c.branch,
      leafHash: agreement.leafHash,
      leaf: `0x${Buffer.from(leaf).toString("hex")}`,
      startDay: dateToDay(c.plan.startDate),
      installments: c.plan.installments.map((i) => ({
        dueDay: i.dueDay,
        principal: i.principalFen,
        interest: i.interestFen,
      })),
    });
    if (serial === undefined) return;
    c.planAdoption = serial;
    await this.#save(c);
  }

  /**
   * May the keeper take the loan to arbitration? Not while the case waits for an answer within
   * its deadline or its agreement is performed; yes after a refusal, a lapse or a breach, or with
   * no case at all. Lapses and breaches are found (and recorded) here.
   */
  async mayArbitrate(loanId: string): Promise<boolean> {
    const c = await this.get(loanId);
    if (c === undefined) return true;
    const now = this.deps.now();
    if (c.status === "proposed") {
      if (now <= c.answerBy) return false;
      c.status = "lapsed";
      await this.#save(c);
      return true;
    }
    if (c.status === "accepted") {
      const performance = await this.performance(c);
      // adopted on chain: the plan is the ledger's schedule, and its days past due decide (queued
      // in the outbox but not yet sent, the old schedule's days would read as a breach)
      if (
        c.planAdoption !== undefined &&
        (await this.#adoptedOnChain(c)) &&
        (await this.deps.ledger.overdue(c.loanId))[0] > 0n
      )
        performance.breached = true;
      if (performance.breached) {
        c.status = "breached";
        c.breach = { at: now, dueFen: performance.dueFen, paidFen: performance.paidFen };
        await this.#save(c);
        return true;
      }
      if (performance.paidFen >= c.plan.totalFen) {
        c.status = "performed";
        await this.#save(c);
      }
      return false;
    }
    return c.status !== "performed";
  }

  /** Is the loan's schedule on chain the case's plan (its adoption sent and mined)? */
  async #adoptedOnChain(c: MediationCase): Promise<boolean> {
    // installments paid before the adoption stay at the head of the ledger's schedule
    const schedule = (await this.deps.ledger.schedule(c.loanId)).slice(-c.plan.installments.length);
    return (
      schedule.length === c.plan.installments.length &&
      c.plan.installments.every(
        (p, i) =>
          Number(schedule[i]!.dueDay) === p.dueDay &&
          schedule[i]!.principal === p.principalFen &&
          schedule[i]!.interest === p.interestFen,
      )
    );
  }

  /** What the plan has fallen due (installments whose due day has passed) against what was repaid since the answer. */
  async performance(c: MediationCase): Promise<{ dueFen: bigint; paidFen: bigint; breached: boolean }> {
    const today = shanghaiDay(this.deps.now());
    const dueFen = c.plan.installments.filter((i) => i.dueDay < today).reduce((s, i) => s + i.totalFen, 0n);
    const since = c.answer?.at ?? c.openedAt;
    const paidFen = (await this.deps.model.flowsByLoan(c.loanId))
      .filter((f) => f.type === "repayment" && f.timestamp >= since)
      .reduce((s, f) => s + f.amountFen, 0n);
    return { dueFen, paidFen, breached: paidFen < dueFen };
  }

  async #proposed(loanId: string): Promise<MediationCase> {
    const c = await this.require(loanId);
    if (c.status === "proposed" && this.deps.now() > c.answerBy) {
      c.status = "lapsed";
      await this.#save(c);
    }
    if (c.status !== "proposed")
      throw new MediationError(
        "NODE_ERR_MEDIATION_STATE",
        `loan ${c.loanId}'s mediation is ${c.status}; only a proposed case takes an answer`,
        { status: c.status },
      );
    return c;
  }

  #openedRecord(c: MediationCase): CanonicalValue {
    return JSON.parse(
      toJson({
        mediationId: c.mediationId,
        loanId: c.loanId,
        branch: c.branch,
        funders: c.funders,
        borrowerKey: c.borrowerKey,
        openedAt: c.openedAt,
        answerBy: c.answerBy,
        daysPastDue: c.daysPastDue,
        amountDueFen: c.amountDueFen,
        plan: c.plan,
      }),
    ) as CanonicalValue;
  }

  async #anchorRecord(c: MediationCase, what: "opened" | "answer", record: CanonicalValue) {
    const original = canonicalJson(record);
    c.evidence.push({
      what,
      original,
      encoding: "utf8",
      ...(await this.#anchor(c.loanId, EvidenceKind.Document, original)),
    });
  }

  /** Anchors `bytes` (SHA-256, a fresh salt) as evidence of the loan: what the case keeps of it. */
  async #anchor(loanId: string, kind: EvidenceKind, bytes: Uint8Array | string) {
    const salt = `0x${randomBytes(32).toString("hex")}`;
    const digest = sha256(bytes);
    const [receipt] = await this.deps.anchor([
      { kind, digestAlgorithm: DigestAlgorithm.Sha256, digest, salt, subject: loanId },
    ]);
    return { digest, salt, leafHash: receipt!.leafHash };
  }

  async #notify(
    c: MediationCase,
    templateId: "mediation-opened.v1" | "mediation-agreed.v1",
    deadline: string,
    amountDueFen?: bigint,
  ) {
    const noticeId = `${templateId.split(".")[0]}:${c.loanId}:${c.openedAt}`;
    const outcome = await this.deps.notices.deliver({
      noticeId,
      loanId: c.loanId,
      borrowerKey: c.borrowerKey,
      templateId,
      params: {
        loanRef: c.loanId.slice(2, 10),
        daysPastDue: c.daysPastDue,
        deadline,
        ...(amountDueFen !== undefined ? { amountDueFen } : {}),
      },
    });
    if (outcome.status === "delivered" && !c.noticeIds.includes(noticeId)) c.noticeIds.push(noticeId);
  }

  async #save(c: MediationCase): Promise<void> {
    await this.deps.cases.put(c.loanId, toJson(c));
  }
}
