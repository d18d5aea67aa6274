// A loan contract's terms and the figures computed from them by the lending code the ledger mirrors:
// the schedule (schedule.ts), the fees as the ledger lists them (fees.ts) and the all-in annual cost
// 综合年化成本 (apr.ts). The contract prints these figures, never figures a caller supplies, so the
// document says what the chain will enforce.
import { allInAprBps } from "../../../common/lending/apr.ts";
import { dateToDay } from "../../../common/lending/dates.ts";
import { type ChainFee, type FeeDue, aprFeesOf, chainFeesOf } from "../../../common/lending/fees.ts";
import {
  type Installment,
  type ScheduleInput,
  RepaymentMethod,
  generateSchedule,
  scheduleTotals,
} from "../../../common/lending/schedule.ts";
import { EContractError } from "../errors.ts";

export type ContractParty = {
  /** Legal name (a person's, or an institution's). */
  name: string;
  /** What identifies the party on paper: a masked ID number, or an institution's unified social credit code. */
  identifier: string;
  address?: string;
};

export type ContractFee = { name: string; amountFen: bigint; due: FeeDue };

export type DisputeResolution = { kind: "court"; body: string } | { kind: "arbitration"; body: string };

/** The contract: its parties and terms, and the schedule's inputs (aprBps: the contract, nominal, rate). */
export type ContractTerms = ScheduleInput & {
  /** Printed on every page; the loan id is a good one. */
  contractNumber: string;
  borrower: ContractParty;
  /** The funders: the branch first, then a joint loan's co-funders, each with its share. */
  lenders: ReadonlyArray<ContractParty & { shareBps: number }>;
  /** A joint loan's platform (助贷/联合贷 platform), when there is one. */
  platform?: ContractParty;
  fees: readonly ContractFee[];
  /** Penalty interest on overdue principal (罚息), annual; the ledger keeps rate + penalty within the cap. */
  penaltyAprBps: number;
  /** What the loan is for (借款用途). */
  purpose: string;
  /** The account the loan is paid into, masked (e.g. 6222 **** **** 1234). */
  receivingAccountMasked: string;
  disputeResolution: DisputeResolution;
  /** Where the contract is signed (签订地). */
  place: string;
};

/** The schedule's inputs from a loan's terms (as the canonical application holds them) and its start date. */
export function scheduleInputOf(loan: Omit<ScheduleInput, "startDate">, startDate: string): ScheduleInput {
  return {
    principalFen: loan.principalFen,
    aprBps: loan.aprBps,
    method: loan.method,
    startDate,
    ...(loan.termMonths === undefined ? {} : { termMonths: loan.termMonths }),
    ...(loan.termDays === undefined ? {} : { termDays: loan.termDays }),
  };
}

export type ContractFigures = {
  schedule: Installment[];
  /** The fees as the ledger registers them (installment 0 = at disbursement). */
  chainFees: ChainFee[];
  totalFeesFen: bigint;
  totalInterestFen: bigint;
  /** Everything the borrower pays: principal, interest and every fee. */
  totalRepaidFen: bigint;
  /** 综合年化成本, bps, as apr.ts computes it and the ledger caps it. */
  allInAprBps: number;
};

/** The schedule, fees and all-in annual cost of `terms`; refuses terms the lending code refuses. */
export function contractFigures(terms: ContractTerms): ContractFigures {
  try {
    const schedule = generateSchedule({
      principalFen: terms.principalFen,
      aprBps: terms.aprBps,
      method: terms.method,
      startDate: terms.startDate,
      ...(terms.termMonths === undefined ? {} : { termMonths: terms.termMonths }),
      ...(terms.termDays === undefined ? {} : { termDays: terms.termDays }),
    });
    const startDay = dateToDay(terms.startDate);
    const chainFees = chainFeesOf(terms.fees, schedule.length);
    const allIn = allInAprBps({
      method: terms.method,
      principalFen: terms.principalFen,
      installments: schedule,
      fees: aprFeesOf(chainFees, schedule, startDay),
      startDay,
    });
    const totals = scheduleTotals(schedule);
    const totalFeesFen = chainFees.reduce((s, f) => s + f.amount, 0n);
    return {
      schedule,
      chainFees,
      totalFeesFen,
      totalInterestFen: totals.interestFen,
      totalRepaidFen: totals.totalFen + totalFeesFen,
      allInAprBps: allIn,
    };
  } catch (e) {
    if (e instanceof EContractError) throw e;
    throw new EContractError(
      "NODE_ERR_CONTRACT_BAD_TERMS",
      `contract terms refused: ${(e as Error).message}`,
    );
  }
}

/** 2400 → "24.00%": bps as a percentage with two decimals, exactly (no floating point). */
export function percentOf(bps: number): string {
  return `${Math.trunc(bps / 100)}.${String(Math.abs(bps % 100)).padStart(2, "0")}%`;
}

export const METHOD_NAMES: Readonly<Record<RepaymentMethod, string>> = {
  [RepaymentMethod.EqualInstallment]: "等额本息",
  [RepaymentMethod.InterestFirst]: "先息后本（按月付息、到期还本）",
  [RepaymentMethod.Bullet]: "一次性还本付息",
};

export const FEE_DUE_NAMES: Readonly<Record<FeeDue, string>> = {
  upfront: "放款时收取",
  "with-first-installment": "随第一期还款收取",
  monthly: "随每期还款收取",
};
