// 对账: this member's side of a day — the disbursements it made (funder = this member) and the
// repayments it collected as the loan's servicing branch (full amount) — against its own books.
// Other members' flows of the day are not in its books. The matching is reconcile/reconcile.ts;
// a large day's books are matched in a worker thread (reconcile/off-thread.ts).
import type { Actor } from "./actor.ts";
import type { LedgerModel } from "./indexer/model.ts";
import { reconcileOffLoop } from "./reconcile/off-thread.ts";
import { Room } from "./room.ts";

export type ReconciliationDeps = { memberId: number; model: LedgerModel };

export class Reconciliation extends Room<ReconciliationDeps> {
  async reconcile(
    _actor: Actor,
    day: string,
    books: Uint8Array | string,
    format: "json" | "csv",
  ): Promise<Uint8Array> {
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
    const chain = ours.map((f) => ({
      serial: f.serial,
      loanId: f.loanId,
      type: f.type,
      amountFen: f.amountFen,
      day: f.date,
    }));
    // a large day's books take seconds: reconciled in a worker thread, off the event loop
    return reconcileOffLoop(day, books, chain, format);
  }
}
