// How each decoded chain event changes the read model. Pure bookkeeping on a PageWriter: no
// chain calls (the indexer hands in what LoanRegistered does not carry), so the same events in
// the same order always give the same model, however they were paged.
import { dayToDate, shanghaiDay } from "../../../common/lending/dates.ts";
import { evidenceChainStart, extendEvidenceChain } from "../../../common/lending/ids.ts";
import type { PageWriter } from "./db.ts";
import {
  borrowerLoanKey,
  dayFlowKey,
  id32,
  loanKey,
  loanPositionKey,
  memberLoanKey,
  stateKey,
  subjectKey,
  whitelistKey,
} from "./keys.ts";
import {
  DISPUTE_STAGES,
  LOAN_STATES,
  REPAYMENT_METHODS,
  type ArbitrationCase,
  type Evidence,
  type EventAt,
  type Exposure,
  type FundFlow,
  type LifecycleAction,
  type LifecycleEntry,
  type Loan,
  type LoanState,
  type Repayment,
  type StageChange,
} from "./model.ts";

export type SourceContract = "ledger" | "disputes" | "evidence";

/** One decoded log with where and when it happened. */
export type ChainEvent = EventAt & { contract: SourceContract; name: string; args: Record<string, unknown> };

/** A registered loan's facts that LoanRegistered does not carry, read from the ledger's views. */
export type RegistrationFacts = { funders: Array<{ memberId: number; shareBps: number }>; startDay: number };

/** What applying an event did, for the indexer's log and counters. */
export type Applied = "applied" | "ignored" | { skipped: string };

const ZERO32 = `0x${"00".repeat(32)}`;

/**
 * Governance, quota, mandate and income-split events the read model does not keep (parameters are read from the
 * chain when needed; an agreed income split shows in each RepaymentShared); LoanExpired comes with the
 * LoanCancelled that books the expiry; a prepayment's new schedule (LoanRescheduled) is read from the chain.
 * AccountWhitelisted is kept: a funder's node checks each disbursement's source account against it.
 */
const IGNORED: ReadonlySet<string> = new Set([
  "ParamsChanged",
  "BranchLimitsChanged",
  "BranchCeilingsChanged",
  "DisputeResolutionSet",
  "ThresholdsChanged",
  "MandateGranted",
  "MandateRevoked",
  "IncomeSplitAgreed",
  "LoanExpired",
  "LoanRescheduled",
]);

export async function applyEvent(
  w: PageWriter,
  e: ChainEvent,
  facts: ReadonlyMap<string, RegistrationFacts>,
): Promise<Applied> {
  if (IGNORED.has(e.name)) return "ignored";
  switch (e.name) {
    case "LoanRegistered":
      return loanRegistered(w, e, facts);
    case "LoanFeesRegistered":
      // emitted right after LoanRegistered in the same transaction
      return withLoan(w, e, (loan) => {
        loan.fees = (e.args.fees as Array<[unknown, unknown]>).map(([installment, amount]) => ({
          installment: num(installment),
          amountFen: big(amount),
        }));
      });
    case "FundsDisbursed":
      return fundsDisbursed(w, e);
    case "LoanActivated":
      return withLoan(w, e, (loan) => setState(w, loan, "Active"));
    case "RepaymentReceived":
      return repaymentReceived(w, e);
    case "PrepaymentReceived":
      return prepaymentReceived(w, e);
    case "RepaymentShared":
      return repaymentShared(w, e);
    case "LoanSettled":
      return withLoan(w, e, (loan) => {
        const day = shanghaiDay(e.timestamp);
        loan.settled = {
          day,
          date: dayToDate(day),
          timestamp: e.timestamp,
          blockNumber: e.blockNumber,
          txHash: e.txHash,
        };
        setState(w, loan, "Settled");
      });
    case "LoanCancelled":
      return withLoan(w, e, async (loan) => {
        loan.cancelReason = num(e.args.reasonCode);
        // a cancelled loan was never disbursed: its whole principal leaves the borrower's exposure
        await addExposure(w, loan.borrowerKey, -(loan.principalFen - loan.principalRepaidFen));
        setState(w, loan, "Cancelled");
      });
    default: {
      const handler = HANDLERS.get(e.name);
      return handler === undefined ? { skipped: `no handler for event ${e.name}` } : handler(w, e);
    }
  }
}

/** The events with a function of their own that needs only the event (the loan's others are above). */
const HANDLERS: ReadonlyMap<string, (w: PageWriter, e: ChainEvent) => Promise<Applied>> = new Map(
  Object.entries({
    DisputeStageChanged: disputeStageChanged,
    ArbitrationTriggered: arbitrationTriggered,
    CourtAssigned: caseEvent,
    CaseAccepted: caseEvent,
    RulingRecorded: caseEvent,
    CaseClosed: caseEvent,
    EvidenceRegistered: evidenceRegistered,
    EvidenceRevoked: evidenceLifecycle,
    EvidenceSuperseded: evidenceLifecycle,
    LegalHoldPlaced: evidenceLifecycle,
    LegalHoldReleased: evidenceLifecycle,
    EvidenceEndorsed: evidenceLifecycle,
    AccountWhitelisted: accountWhitelisted,
  }),
);

async function accountWhitelisted(w: PageWriter, e: ChainEvent): Promise<Applied> {
  const key = whitelistKey(num(e.args.member), str(e.args.accountHash));
  if (e.args.allowed === true) w.mark("whitelist", key);
  else w.del("whitelist", key);
  return Promise.resolve("applied");
}

// ------------------------------------------------------------------ loans and fund flows

async function loanRegistered(
  w: PageWriter,
  e: ChainEvent,
  facts: ReadonlyMap<string, RegistrationFacts>,
): Promise<Applied> {
  const loanId = str(e.args.loanId);
  if ((await w.get<Loan>("loans", loanKey(loanId))) !== undefined)
    return { skipped: `loan ${loanId} registered twice` };
  const f = facts.get(loanId);
  if (f === undefined) return { skipped: `no registration facts for loan ${loanId}` };
  const contractLeaf = str(e.args.contractLeaf);
  const consentLeaf = str(e.args.consentLeaf);
  const loan: Loan = {
    loanId,
    branch: num(e.args.branch),
    platform: num(e.args.platform),
    borrowerKey: str(e.args.borrowerKey),
    principalFen: big(e.args.principal),
    aprBps: num(e.args.aprBps),
    method: enumName(REPAYMENT_METHODS, e.args.method, "repayment method"),
    state: "Registered",
    stage: "None",
    stageChangedAt: null,
    startDay: f.startDay,
    funders: f.funders.map((x) => ({ ...x, disbursedFen: 0n, principalRepaidFen: 0n, incomeFen: 0n })),
    registeredBlock: e.blockNumber,
    registeredAt: e.timestamp,
    registeredTx: e.txHash,
    evidence: {
      contractLeaf,
      consentLeaf,
      chain: evidenceChainStart(contractLeaf, consentLeaf),
      vouchers: 0,
    },
    disbursedFen: 0n,
    principalRepaidFen: 0n,
    interestRepaidFen: 0n,
    penaltyRepaidFen: 0n,
    lastFlowDay: null,
    cancelReason: null,
    caseId: null,
    assignedCaseId: null,
  };
  w.put("loans", loanKey(loanId), loan);
  w.mark("loansByState", stateKey(LOAN_STATES.indexOf("Registered"), loanId));
  w.mark("loansByBranch", memberLoanKey(loan.branch, loanId));
  w.mark("loansByPlatform", memberLoanKey(loan.platform, loanId));
  w.mark("loansByBorrower", borrowerLoanKey(loan.borrowerKey, loanId));
  await addExposure(w, loan.borrowerKey, loan.principalFen);
  return "applied";
}

async function fundsDisbursed(w: PageWriter, e: ChainEvent): Promise<Applied> {
  return withLoan(w, e, (loan) => {
    const funder = num(e.args.funder);
    const amount = big(e.args.amount);
    const flow: FundFlow = {
      ...flowBase(e, loan.loanId, amount),
      type: "disbursement",
      funder,
      accountHash: str(e.args.accountHash),
    };
    putFlow(w, flow);
    loan.disbursedFen += amount;
    const book = loan.funders.find((f) => f.memberId === funder);
    if (book !== undefined) book.disbursedFen += amount;
    bookFlow(loan, flow);
  });
}

async function repaymentReceived(w: PageWriter, e: ChainEvent): Promise<Applied> {
  return withLoan(w, e, async (loan) => {
    const paid = {
      penalty: big(e.args.penalty),
      interest: big(e.args.interest),
      principal: big(e.args.principal),
    };
    await bookRepayment(w, e, loan, paid, paid.principal);
  });
}

/**
 * A partial prepayment, booked as a repayment of what the borrower paid: the principal paid, and
 * as income the interest to the day with the prepayment fee (the ledger splits both like
 * interest). The principal that came off the loan — what the all-in cap forgave included — leaves
 * the loan's outstanding and the borrower's exposure, as the ledger releases it. Its
 * RepaymentShared events follow with the same serial; its voucher extends the evidence chain.
 */
async function prepaymentReceived(w: PageWriter, e: ChainEvent): Promise<Applied> {
  return withLoan(w, e, async (loan) => {
    const income = big(e.args.interest) + big(e.args.fee);
    const paid = { penalty: 0n, interest: income, principal: big(e.args.principalPaid) };
    await bookRepayment(w, e, loan, paid, big(e.args.principal));
  });
}

/** A repayment flow of what was `paid`, booked on the loan; `released` principal leaves its outstanding and the borrower's exposure. */
async function bookRepayment(
  w: PageWriter,
  e: ChainEvent,
  loan: Loan,
  paid: { penalty: bigint; interest: bigint; principal: bigint },
  released: bigint,
): Promise<void> {
  const flow: Repayment = {
    ...flowBase(e, loan.loanId, paid.penalty + paid.interest + paid.principal),
    type: "repayment",
    penaltyFen: paid.penalty,
    interestFen: paid.interest,
    principalFen: paid.principal,
    split: [],
  };
  putFlow(w, flow);
  loan.penaltyRepaidFen += paid.penalty;
  loan.interestRepaidFen += paid.interest;
  loan.principalRepaidFen += released;
  bookFlow(loan, flow);
  await addExposure(w, loan.borrowerKey, -released);
}

/** RepaymentShared follows its RepaymentReceived (or PrepaymentReceived) in the same transaction: same serial. */
async function repaymentShared(w: PageWriter, e: ChainEvent): Promise<Applied> {
  return withLoan(w, e, async (loan) => {
    const serial = str(e.args.serial);
    const flow = await w.get<FundFlow>("flows", id32(serial));
    if (flow === undefined || flow.type !== "repayment")
      return { skipped: `RepaymentShared for unknown repayment ${serial}` };
    const funder = num(e.args.funder);
    const principal = big(e.args.principal);
    const income = big(e.args.income);
    flow.split.push({ funder, principalFen: principal, incomeFen: income });
    w.put("flows", id32(serial), flow);
    const book = loan.funders.find((f) => f.memberId === funder);
    if (book !== undefined) {
      book.principalRepaidFen += principal;
      book.incomeFen += income;
    }
    return undefined;
  });
}

function flowBase(e: ChainEvent, loanId: string, amountFen: bigint) {
  const day = shanghaiDay(e.timestamp);
  return {
    serial: str(e.args.serial),
    loanId,
    amountFen,
    voucher: str(e.args.voucher),
    day,
    date: dayToDate(day),
    timestamp: e.timestamp,
    blockNumber: e.blockNumber,
    logIndex: e.logIndex,
    txHash: e.txHash,
  };
}

function putFlow(w: PageWriter, flow: FundFlow): void {
  const serial = id32(flow.serial);
  w.put("flows", serial, flow);
  w.put("flowsByDay", dayFlowKey(flow.day, flow.blockNumber, flow.logIndex), serial);
  w.put("flowsByLoan", loanPositionKey(flow.loanId, flow.blockNumber, flow.logIndex), serial);
}

/** Every flow's voucher extends the loan's evidence chain, in chain order, as the ledger does. */
function bookFlow(loan: Loan, flow: FundFlow): void {
  loan.evidence.chain = extendEvidenceChain(loan.evidence.chain, flow.voucher);
  loan.evidence.vouchers += 1;
  loan.lastFlowDay = flow.day;
}

function setState(w: PageWriter, loan: Loan, state: LoanState): void {
  w.del("loansByState", stateKey(LOAN_STATES.indexOf(loan.state), loan.loanId));
  loan.state = state;
  w.mark("loansByState", stateKey(LOAN_STATES.indexOf(state), loan.loanId));
}

/** Outstanding principal per borrower; an entry that reaches zero is deleted (absent = 0). */
async function addExposure(w: PageWriter, borrowerKey: string, deltaFen: bigint): Promise<void> {
  const key = id32(borrowerKey);
  const before = (await w.get<Exposure>("exposure", key))?.outstandingFen ?? 0n;
  const after = before + deltaFen;
  if (after === 0n) w.del("exposure", key);
  else w.put("exposure", key, { outstandingFen: after } satisfies Exposure);
}

/** Load the event's loan, let `change` edit it, store it; skip events of loans never registered here. */
async function withLoan(w: PageWriter, e: ChainEvent, change: (loan: Loan) => unknown): Promise<Applied> {
  const loanId = str(e.args.loanId);
  const loan = await w.get<Loan>("loans", loanKey(loanId));
  if (loan === undefined)
    return { skipped: `${e.name} for unknown loan ${loanId} (fromBlock after its registration?)` };
  const result = (await change(loan)) as Applied | undefined;
  if (result !== undefined && result !== "applied") return result;
  w.put("loans", loanKey(loanId), loan);
  return "applied";
}

// ------------------------------------------------------------------ disputes

async function disputeStageChanged(w: PageWriter, e: ChainEvent): Promise<Applied> {
  return withLoan(w, e, (loan) => {
    const previous = enumName(DISPUTE_STAGES, e.args.previousStage, "dispute stage");
    const stage = enumName(DISPUTE_STAGES, e.args.newStage, "dispute stage");
    loan.stage = stage;
    loan.stageChangedAt = e.timestamp;
    const change: StageChange = {
      loanId: loan.loanId,
      previous,
      stage,
      timestamp: e.timestamp,
      blockNumber: e.blockNumber,
      logIndex: e.logIndex,
      txHash: e.txHash,
    };
    w.put("stages", loanPositionKey(loan.loanId, e.blockNumber, e.logIndex), change);
  });
}

async function arbitrationTriggered(w: PageWriter, e: ChainEvent): Promise<Applied> {
  return withLoan(w, e, (loan) => {
    const caseId = str(e.args.caseId);
    const c: ArbitrationCase = {
      caseId,
      loanId: loan.loanId,
      evidenceChain: str(e.args.evidenceChain),
      triggeredAt: e.timestamp,
      triggeredBlock: e.blockNumber,
      court: null,
      assignedAt: null,
      acceptedAt: null,
      ruling: null,
      ruledAt: null,
      closedAt: null,
    };
    w.put("cases", id32(caseId), c);
    loan.caseId = caseId;
  });
}

async function caseEvent(w: PageWriter, e: ChainEvent): Promise<Applied> {
  const caseId = str(e.args.caseId);
  const c = await w.get<ArbitrationCase>("cases", id32(caseId));
  if (c === undefined) return { skipped: `${e.name} for unknown case ${caseId}` };
  switch (e.name) {
    case "CourtAssigned": {
      // a re-assignment replaces the court; the case keeps its trigger time
      c.court = num(e.args.court);
      c.assignedAt = e.timestamp;
      const loan = await w.get<Loan>("loans", loanKey(c.loanId));
      if (loan !== undefined) {
        loan.assignedCaseId = caseId;
        w.put("loans", loanKey(c.loanId), loan);
      }
      break;
    }
    case "CaseAccepted":
      c.acceptedAt = e.timestamp;
      break;
    case "RulingRecorded":
      c.ruling = str(e.args.ruling);
      c.ruledAt = e.timestamp;
      break;
    case "CaseClosed":
      c.closedAt = e.timestamp;
      break;
  }
  w.put("cases", id32(caseId), c);
  return "applied";
}

// ------------------------------------------------------------------ evidence

async function evidenceRegistered(w: PageWriter, e: ChainEvent): Promise<Applied> {
  const leafHash = str(e.args.leafHash);
  if ((await w.get<Evidence>("evidence", id32(leafHash))) !== undefined)
    return { skipped: `evidence ${leafHash} registered twice` };
  const submitter = num(e.args.submitter);
  const subject = str(e.args.subject);
  const evidence: Evidence = {
    leafHash,
    submitter,
    kind: num(e.args.kind),
    subject,
    logId: str(e.args.logId),
    leafIndex: num(e.args.leafIndex),
    registeredAt: e.timestamp,
    registeredBlock: e.blockNumber,
    state: "Active",
    legalHold: false,
    replacement: null,
    endorsers: [],
    records: [lifecycle(e, "Registered", 0, submitter, null)],
  };
  w.put("evidence", id32(leafHash), evidence);
  // bytes32 zero means "no subject"
  if (subject !== ZERO32) w.mark("evidenceBySubject", subjectKey(subject, leafHash));
  return "applied";
}

async function evidenceLifecycle(w: PageWriter, e: ChainEvent): Promise<Applied> {
  const leafHash = str(e.args.leafHash);
  const evidence = await w.get<Evidence>("evidence", id32(leafHash));
  if (evidence === undefined) return { skipped: `${e.name} for unknown evidence ${leafHash}` };
  if (e.name === "EvidenceEndorsed") {
    evidence.endorsers.push(num(e.args.memberId));
  } else {
    const action: LifecycleAction =
      e.name === "EvidenceRevoked"
        ? "Revoked"
        : e.name === "EvidenceSuperseded"
          ? "Superseded"
          : e.name === "LegalHoldPlaced"
            ? "LegalHoldPlaced"
            : "LegalHoldReleased";
    const replacement = action === "Superseded" ? str(e.args.replacement) : null;
    if (action === "Revoked") evidence.state = "Revoked";
    if (action === "Superseded") {
      evidence.state = "Superseded";
      evidence.replacement = replacement;
    }
    if (action === "LegalHoldPlaced") evidence.legalHold = true;
    if (action === "LegalHoldReleased") evidence.legalHold = false;
    evidence.records.push(lifecycle(e, action, num(e.args.reasonCode), num(e.args.byMember), replacement));
  }
  w.put("evidence", id32(leafHash), evidence);
  return "applied";
}

function lifecycle(
  e: ChainEvent,
  action: LifecycleAction,
  reasonCode: number,
  byMember: number,
  replacement: string | null,
): LifecycleEntry {
  return {
    action,
    reasonCode,
    byMember,
    timestamp: e.timestamp,
    replacement,
    blockNumber: e.blockNumber,
    txHash: e.txHash,
  };
}

// ------------------------------------------------------------------ argument coercion

function str(v: unknown): string {
  if (typeof v !== "string") throw new TypeError(`expected a hex string, got ${typeof v}`);
  return v.toLowerCase();
}

function big(v: unknown): bigint {
  if (typeof v !== "bigint") throw new TypeError(`expected a bigint, got ${typeof v}`);
  return v;
}

/** An enum value's name; a number the model does not know means the contract changed: fail loudly. */
function enumName<T extends string>(names: readonly T[], v: unknown, what: string): T {
  const name = names[num(v)];
  if (name === undefined)
    throw new RangeError(`unknown ${what} ${String(v)}: the contract has more values than the indexer knows`);
  return name;
}

function num(v: unknown): number {
  const n = Number(big(v));
  if (!Number.isSafeInteger(n)) throw new RangeError(`${String(v)} is not a safe integer`);
  return n;
}
