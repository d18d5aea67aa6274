// The repayment plan a mediation proposes (调解还款方案): what the borrower owes now — the
// principal outstanding and the interest fallen due and unpaid; penalty interest is waived — spread
// again over equal monthly installments from today, at the loan's own rate or lower. The plan's
// all-in annual cost, measured on the restructured debt as the ledger measures a loan's, is kept
// within the consortium's cap: a rate that would cross it is lowered until it does not.
import { allInAprBps, exceedsCap } from "../../../common/lending/apr.ts";
import { dateToDay } from "../../../common/lending/dates.ts";
import { RepaymentMethod, generateSchedule, type Installment } from "../../../common/lending/schedule.ts";

export type PlanInput = {
  outstandingPrincipalFen: bigint;
  /** Interest of installments fallen due and unpaid (penalty interest is not carried over). */
  overdueInterestFen: bigint;
  /** The loan's contractual rate; the plan's is this or lower. */
  aprBps: number;
  /** The ledger's all-in cap (LedgerParams.aprCapBps). */
  capBps: number;
  /** 'YYYY-MM-DD', Asia/Shanghai: the day the plan starts (today). */
  startDate: string;
  termMonths: number;
};

export type ProposedPlan = {
  startDate: string;
  /** The restructured debt: outstanding principal plus overdue interest. */
  principalFen: bigint;
  aprBps: number;
  termMonths: number;
  method: typeof RepaymentMethod.EqualInstallment;
  installments: Installment[];
  totalFen: bigint;
  allInAprBps: number;
  capBps: number;
};

export function proposePlan(input: PlanInput): ProposedPlan {
  const principalFen = input.outstandingPrincipalFen + input.overdueInterestFen;
  const startDay = dateToDay(input.startDate);
  let aprBps = Math.min(input.aprBps, input.capBps);
  for (;;) {
    const installments = generateSchedule({
      principalFen,
      aprBps,
      method: RepaymentMethod.EqualInstallment,
      startDate: input.startDate,
      termMonths: input.termMonths,
    });
    const allIn = allInAprBps({
      method: RepaymentMethod.EqualInstallment,
      principalFen,
      installments,
      fees: [],
      startDay,
    });
    // rounding of the installments can put the measured cost a basis point above the nominal rate
    if (!exceedsCap(allIn, input.capBps) || aprBps === 0) {
      return {
        startDate: input.startDate,
        principalFen,
        aprBps,
        termMonths: input.termMonths,
        method: RepaymentMethod.EqualInstallment,
        installments,
        totalFen: installments.reduce((sum, i) => sum + i.totalFen, 0n),
        allInAprBps: allIn,
        capBps: input.capBps,
      };
    }
    aprBps -= 1;
  }
}
