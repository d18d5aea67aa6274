// Fees as the ledger registers them (IJointLoanLedger.Fee): an amount in fen and when it is due —
// installment 0 = at disbursement (it reduces the cash received, as a deduction would), k = with
// installment k. The ledger counts every one in the all-in annual cost (SCHEDULE.md).
import type { AprFee } from "./apr.ts";

export type ChainFee = { installment: number; amount: bigint };

/** When an application's fee is due: at disbursement, with installment 1, or with every installment. */
export type FeeDue = "upfront" | "with-first-installment" | "monthly";

/** An application's fees as the ledger's list: a monthly fee becomes one fee per installment. */
export function chainFeesOf(
  fees: ReadonlyArray<{ amountFen: bigint; due: FeeDue }>,
  installmentCount: number,
): ChainFee[] {
  const out: ChainFee[] = [];
  for (const f of fees) {
    if (f.amountFen <= 0n) continue; // a zero fee is no fee (the ledger refuses zero amounts)
    if (f.due === "upfront") out.push({ installment: 0, amount: f.amountFen });
    else if (f.due === "with-first-installment") out.push({ installment: 1, amount: f.amountFen });
    else for (let k = 1; k <= installmentCount; k++) out.push({ installment: k, amount: f.amountFen });
  }
  return out;
}

/** The ledger's fees as allInAprBps takes them: at the start day, or on installment k's due day. */
export function aprFeesOf(
  fees: readonly ChainFee[],
  schedule: ReadonlyArray<{ dueDay: number }>,
  startDay: number,
): AprFee[] {
  return fees.map((f) => {
    if (f.installment === 0) return { dueDay: startDay, amountFen: f.amount };
    const inst = schedule[f.installment - 1];
    if (inst === undefined)
      throw new RangeError(
        `fee due with installment ${f.installment}, but the schedule has ${schedule.length}`,
      );
    return { dueDay: inst.dueDay, amountFen: f.amount };
  });
}
