// The repayment plan a mediation proposes (调解还款方案): what the borrower owes now — the
// principal outstanding and the interest fallen due and unpaid; penalty interest is waived — spread
// again over equal monthly installments from today, at the loan's own rate or lower. The plan is
// the loan's new schedule on chain (DisputeResolution.adoptSettlement), so it is written as the
// ledger keeps a schedule: its principal is the outstanding principal (the ledger's funder splits
// and quotas key off it), and the overdue interest is carried as interest, paid first (each
// installment's total is the equal installment's). Its all-in annual cost is the ledger's measure
// of a settlement — the installments against the outstanding principal received on the start day
// — and is kept within the consortium's cap: a rate that would cross it is lowered until it does not.
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
  /** The overdue interest carried: the installments' interest pays it first. */
  overdueInterestFen: bigint;
  aprBps: number;
  termMonths: number;
  method: typeof RepaymentMethod.EqualInstallment;
  installments: Installment[];
  totalFen: bigint;
  allInAprBps: number;
  capBps: number;
};

/**
 * The interest fallen due and unpaid: of every installment from the one in progress on that is due
 * by `today`, less what was paid of the one in progress (the chain's schedule and progress).
 */
export function overdueInterest(
  schedule: ReadonlyArray<{ dueDay: number | bigint; interest: bigint }>,
  progress: { nextInstallment: number | bigint; currentInterestPaid: bigint },
  today: number,
): bigint {
  const next = Number(progress.nextInstallment);
  const due = schedule.slice(next).filter((i) => Number(i.dueDay) <= today);
  const total = due.reduce((sum, i) => sum + i.interest, 0n);
  return due.length === 0 ? 0n : total - progress.currentInterestPaid;
}

export function proposePlan(input: PlanInput): ProposedPlan {
  const principalFen = input.outstandingPrincipalFen + input.overdueInterestFen;
  const startDay = dateToDay(input.startDate);
  let aprBps = Math.min(input.aprBps, input.capBps);
  for (;;) {
    const installments = carryInterest(
      generateSchedule({
        principalFen,
        aprBps,
        method: RepaymentMethod.EqualInstallment,
        startDate: input.startDate,
        termMonths: input.termMonths,
      }),
      input.overdueInterestFen,
    );
    const allIn = allInAprBps({
      method: RepaymentMethod.EqualInstallment,
      principalFen: input.outstandingPrincipalFen,
      installments,
      fees: [],
      startDay,
    });
    // rounding of the installments can put the measured cost a basis point above the nominal rate
    if (!exceedsCap(allIn, input.capBps) || aprBps === 0) {
      return {
        startDate: input.startDate,
        principalFen,
        overdueInterestFen: input.overdueInterestFen,
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

/** The equal installments over the restructured debt with `interestFen` of their principal moved to interest, earliest first. */
function carryInterest(installments: Installment[], interestFen: bigint): Installment[] {
  let left = interestFen;
  return installments.map((i) => {
    const moved = left < i.principalFen ? left : i.principalFen;
    left -= moved;
    return { ...i, principalFen: i.principalFen - moved, interestFen: i.interestFen + moved };
  });
}
