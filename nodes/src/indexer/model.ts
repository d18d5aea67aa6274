// The node's copy of the shared ledger, as the indexer builds it from chain events, and the
// queries on it (plain async methods; the HTTP layer is built on top elsewhere). Layout of every
// sublevel: keys.ts. Amounts are integer fen as bigint (`…Fen`); a `day` is the Asia/Shanghai
// day number the contracts use (days since 1970-01-01), a `date` the same day as 'YYYY-MM-DD'.
import { createHash } from "node:crypto";
import { dateToDay } from "../../../common/lending/dates.ts";
import type { IndexerDb } from "./db.ts";
import { MODEL_SUBLEVELS, hex32, id32, prefixRange, uintBytes, whitelistKey } from "./keys.ts";

import {
  DISPUTE_STAGES,
  EVIDENCE_STATES,
  LIFECYCLE_ACTIONS,
  LOAN_STATES,
  REPAYMENT_METHODS,
  type DisputeStageName,
  type EvidenceStateName,
  type LifecycleActionName,
  type LoanStateName,
  type RepaymentMethodName,
} from "../../../common/chain/generated/enums.ts";

/** The contracts' enums (generated; the index is the on-chain number); the model stores their names. */
export { DISPUTE_STAGES, EVIDENCE_STATES, LIFECYCLE_ACTIONS, LOAN_STATES, REPAYMENT_METHODS };
export type LoanState = LoanStateName;
export type DisputeStage = DisputeStageName;
export type { RepaymentMethodName };
export type EvidenceState = EvidenceStateName;
export type LifecycleAction = LifecycleActionName;

/** One funder of a loan and what it has disbursed and got back (from its own events). */
export type LoanFunder = {
  memberId: number;
  shareBps: number;
  disbursedFen: bigint;
  /** Its RepaymentShared principal credits. */
  principalRepaidFen: bigint;
  /** Its RepaymentShared income (interest + penalty). */
  incomeFen: bigint;
};

export type Loan = {
  loanId: string;
  branch: number;
  /** The platform that brought the loan (a funder too only in a joint loan). */
  platform: number;
  borrowerKey: string;
  principalFen: bigint;
  aprBps: number;
  method: RepaymentMethodName;
  state: LoanState;
  stage: DisputeStage;
  /** Block time of the last stage change (null: never escalated). */
  stageChangedAt: number | null;
  startDay: number;
  funders: LoanFunder[];
  /** The fees registered with the loan (installment 0 = at disbursement, k = with installment k); absent: none. */
  fees?: Array<{ installment: number; amountFen: bigint }>;
  registeredBlock: number;
  registeredAt: number;
  registeredTx: string;
  evidence: {
    contractLeaf: string;
    consentLeaf: string;
    /** The ledger's evidence chain, recomputed: start(contract, consent), then every voucher. */
    chain: string;
    vouchers: number;
  };
  disbursedFen: bigint;
  principalRepaidFen: bigint;
  interestRepaidFen: bigint;
  penaltyRepaidFen: bigint;
  /** Day of the latest disbursement or repayment (null: none yet). */
  lastFlowDay: number | null;
  /** When LoanSettled was emitted (absent: not settled): an early settlement or the last repayment, by the flow in the same transaction. */
  settled?: { day: number; date: string; timestamp: number; blockNumber: number; txHash: string };
  /** LoanCancelled's reason code (null unless cancelled). */
  cancelReason: number | null;
  /** The latest arbitration case triggered for this loan. */
  caseId: string | null;
  /** The latest case a court was assigned to (what the chain's caseOf falls back on). */
  assignedCaseId: string | null;
};

/** Where and when a chain event happened: its block time (unix seconds), block, log and transaction. */
export type EventAt = { timestamp: number; blockNumber: number; logIndex: number; txHash: string };

type FlowBase = EventAt & {
  serial: string;
  loanId: string;
  amountFen: bigint;
  voucher: string;
  day: number;
  date: string;
};
export type Disbursement = FlowBase & { type: "disbursement"; funder: number; accountHash: string };
/** One funder's part of a repayment (RepaymentShared). */
export type RepaymentSplit = { funder: number; principalFen: bigint; incomeFen: bigint };
export type Repayment = FlowBase & {
  type: "repayment";
  penaltyFen: bigint;
  interestFen: bigint;
  principalFen: bigint;
  split: RepaymentSplit[];
};
export type FundFlow = Disbursement | Repayment;

/** One DisputeStageChanged. */
export type StageChange = EventAt & { loanId: string; previous: DisputeStage; stage: DisputeStage };

/** An arbitration case; times are block times (null: not yet). */
export type ArbitrationCase = {
  caseId: string;
  loanId: string;
  /** The loan's evidence chain when arbitration was triggered. */
  evidenceChain: string;
  triggeredAt: number;
  triggeredBlock: number;
  court: number | null;
  assignedAt: number | null;
  acceptedAt: number | null;
  ruling: string | null;
  ruledAt: number | null;
  closedAt: number | null;
};

export type LifecycleEntry = {
  action: LifecycleAction;
  reasonCode: number;
  byMember: number;
  timestamp: number;
  replacement: string | null;
  blockNumber: number;
  txHash: string;
};

/** A leaf in the EvidenceRegistry, as its events tell it. */
export type Evidence = {
  leafHash: string;
  submitter: number;
  kind: number;
  subject: string;
  logId: string;
  leafIndex: number;
  registeredAt: number;
  registeredBlock: number;
  state: EvidenceState;
  legalHold: boolean;
  replacement: string | null;
  endorsers: number[];
  records: LifecycleEntry[];
};

/** Stored under `exposure`: one borrower's outstanding principal across the consortium. */
export type Exposure = { outstandingFen: bigint };

export class LedgerModel {
  readonly db: IndexerDb;

  constructor(db: IndexerDb) {
    this.db = db;
  }

  async loan(loanId: string): Promise<Loan | undefined> {
    return (await this.db.model.loans.get(id32(loanId))) as Loan | undefined;
  }

  async loansByState(state: LoanState): Promise<Loan[]> {
    const n = LOAN_STATES.indexOf(state);
    if (n < 0) throw new RangeError(`unknown loan state ${String(state)}`);
    return this.#loansUnder("loansByState", uintBytes(n, 1));
  }

  /** Loans whose branch is `memberId`. */
  async loansByBranch(memberId: number): Promise<Loan[]> {
    return this.#loansUnder("loansByBranch", uintBytes(memberId, 4));
  }

  /** Loans the platform `memberId` brought (joint or assisted). */
  async loansByPlatform(memberId: number): Promise<Loan[]> {
    return this.#loansUnder("loansByPlatform", uintBytes(memberId, 4));
  }

  async loansByBorrower(borrowerKey: string): Promise<Loan[]> {
    return this.#loansUnder("loansByBorrower", id32(borrowerKey));
  }

  /** Outstanding principal of the borrower's registered and active loans, consortium-wide. */
  async borrowerExposure(borrowerKey: string): Promise<bigint> {
    const e = (await this.db.model.exposure.get(id32(borrowerKey))) as Exposure | undefined;
    return e === undefined ? 0n : e.outstandingFen;
  }

  async flow(serial: string): Promise<FundFlow | undefined> {
    return (await this.db.model.flows.get(id32(serial))) as FundFlow | undefined;
  }

  /** Disbursements and repayments booked on Shanghai date `date` ('YYYY-MM-DD'), in chain order. */
  async flowsByDay(date: string): Promise<FundFlow[]> {
    return this.#flowsUnder("flowsByDay", uintBytes(dateToDay(date), 4));
  }

  /** A loan's fund flows in chain order. */
  async flowsByLoan(loanId: string): Promise<FundFlow[]> {
    return this.#flowsUnder("flowsByLoan", id32(loanId));
  }

  /** Every DisputeStageChanged of the loan, in chain order. */
  async stageHistory(loanId: string): Promise<StageChange[]> {
    const out: StageChange[] = [];
    for await (const value of this.db.model.stages.values(prefixRange(id32(loanId))))
      out.push(value as StageChange);
    return out;
  }

  async case(caseId: string): Promise<ArbitrationCase | undefined> {
    return (await this.db.model.cases.get(id32(caseId))) as ArbitrationCase | undefined;
  }

  /**
   * The loan's current or last arbitration case, as DisputeResolution.caseOf answers: while the
   * loan is in arbitration, the case just triggered (court null until assigned); otherwise the
   * last case a court was assigned to; undefined if there is none.
   */
  async caseOf(loanId: string): Promise<ArbitrationCase | undefined> {
    const loan = await this.loan(loanId);
    if (loan === undefined) return undefined;
    const caseId = loan.stage === "Arbitration" ? loan.caseId : loan.assignedCaseId;
    return caseId === null ? undefined : this.case(caseId);
  }

  /** Whether the ledger whitelists `accountHash` as a settlement account of `memberId` (as indexed). */
  async isWhitelisted(memberId: number, accountHash: string): Promise<boolean> {
    return (await this.db.model.whitelist.get(whitelistKey(memberId, accountHash))) !== undefined;
  }

  async evidence(leafHash: string): Promise<Evidence | undefined> {
    return (await this.db.model.evidence.get(id32(leafHash))) as Evidence | undefined;
  }

  /** Registered evidence about `subject` (for example a loan id), in leaf-hash order. */
  async evidenceOf(subject: string): Promise<Evidence[]> {
    const out: Evidence[] = [];
    for await (const key of this.db.model.evidenceBySubject.keys(prefixRange(id32(subject)))) {
      const e = await this.evidence(hex32(key, 32));
      if (e !== undefined) out.push(e);
    }
    return out;
  }

  /**
   * SHA-256 over the whole read model: every sublevel in a fixed order, every entry in key order,
   * values as canonical JSON (sorted keys). Two nodes that indexed the same chain agree on it.
   */
  async digest(): Promise<string> {
    const hash = createHash("sha256");
    for (const name of MODEL_SUBLEVELS) {
      hash.update(`${name}\n`);
      for await (const [key, value] of this.db.model[name].iterator()) {
        hash.update(Buffer.from(key).toString("hex"));
        hash.update("=");
        hash.update(value instanceof Uint8Array ? Buffer.from(value).toString("hex") : canonicalJson(value));
        hash.update("\n");
      }
    }
    return `0x${hash.digest("hex")}`;
  }

  async #loansUnder(
    index: "loansByState" | "loansByBranch" | "loansByPlatform" | "loansByBorrower",
    prefix: Uint8Array,
  ): Promise<Loan[]> {
    const out: Loan[] = [];
    for await (const key of this.db.model[index].keys(prefixRange(prefix))) {
      const loan = await this.loan(hex32(key, key.length - 32));
      if (loan !== undefined) out.push(loan);
    }
    return out;
  }

  async #flowsUnder(index: "flowsByDay" | "flowsByLoan", prefix: Uint8Array): Promise<FundFlow[]> {
    const out: FundFlow[] = [];
    for await (const serial of this.db.model[index].values(prefixRange(prefix))) {
      const flow = await this.flow(hex32(serial as Uint8Array));
      if (flow !== undefined) out.push(flow);
    }
    return out;
  }
}

/** JSON with object keys sorted at every level and bigints as decimal strings. */
export function canonicalJson(value: unknown): string {
  if (typeof value === "bigint") return JSON.stringify(value.toString());
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}
