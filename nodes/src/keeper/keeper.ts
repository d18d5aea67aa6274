// The keeper: once a day (any node may run it; the union does by default) it walks the active
// loans of the index, asks the ledger how many days each is past due, calls
// DisputeResolution.escalate where a stage threshold is reached, and schedules a reminder to the
// borrower for each loan at the Reminder stage — only inside the 08:00–21:00 Asia/Shanghai
// contact window. It also expires registered loans nobody disbursed whose start day has
// passed (JointLoanLedger.expireLoan), releasing their quotas. It writes nothing itself: each escalation goes through the `escalate`
// port, which in a node is the durable outbox (one sender per key, so no nonce contention).
import type { DisputeResolution, JointLoanLedger } from "../../../common/chain/generated/contracts.ts";
import { DISPUTE_STAGES, LoanState } from "../../../common/chain/generated/enums.ts";
import type { Sublevel } from "../../../common/level.ts";
import type { LedgerModel } from "../indexer/model.ts";
import { nextContactTime } from "../reconcile/contact-window.ts";

/** How a reminder reaches a borrower: SMS gateway, app push… (a recording one in tests). */
export type ReminderSender = (reminder: {
  loanId: string;
  borrowerKey: string;
  daysPastDue: number;
  at: number;
}) => Promise<void>;

export type KeeperDeps = {
  model: LedgerModel;
  /** JointLoanLedger, read-only: `overdue(loanId)` and `loan(loanId)`. */
  ledger: JointLoanLedger;
  /** DisputeResolution, read-only: `escalate.staticCall` from a member's account previews the move. */
  disputes: DisputeResolution;
  /** Moves the loan to `stage` on chain and resolves once that is done (the node: its outbox). */
  escalate: (loanId: string, stage: number) => Promise<void>;
  /** Expires a loan that missed its start day undisbursed and resolves once done (the node: its outbox); none: not expired. */
  expire?: (loanId: string) => Promise<void>;
  /** Reminders scheduled and sent, by `loanId!stageChangedAt` (one per entry into Reminder). */
  reminders: Sublevel<string, { loanId: string; at: number; sentAt?: number }>;
  send: ReminderSender;
  /** Unix seconds. */
  now: () => number;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
};

export type KeeperRound = {
  checked: number;
  escalated: string[];
  expired: string[];
  remindersScheduled: number;
  remindersSent: number;
};

export class Keeper {
  readonly deps: KeeperDeps;

  constructor(deps: KeeperDeps) {
    this.deps = deps;
  }

  /** One round: escalate what is due, schedule reminders, send the ones whose time has come. */
  async runOnce(): Promise<KeeperRound> {
    const round: KeeperRound = {
      checked: 0,
      escalated: [],
      expired: [],
      remindersScheduled: 0,
      remindersSent: 0,
    };
    const now = this.deps.now();
    if (this.deps.expire !== undefined) round.expired = await this.#expireMissed(this.deps.expire);
    for (const loan of await this.deps.model.loansByState("Active")) {
      round.checked++;
      const [days, , stageBefore] = await this.deps.ledger.overdue(loan.loanId);
      if (days === 0n) continue;
      let stage = DISPUTE_STAGES[Number(stageBefore)] ?? "None";
      if (stage === "None" || stage === "Reminder" || stage === "Mediation") {
        // escalate is idempotent on chain: a call that changes nothing costs a little gas only
        const after = await this.deps.disputes.escalate.staticCall(loan.loanId);
        if (Number(after) > Number(stageBefore)) {
          await this.deps.escalate(loan.loanId, Number(after));
          round.escalated.push(loan.loanId);
          stage = DISPUTE_STAGES[Number(after)] ?? stage;
          this.deps.log?.info({ loanId: loan.loanId, stage }, "escalated an overdue loan");
        }
      }
      if (stage === "Reminder") {
        // one reminder per time the loan reached the Reminder stage
        const onChain = await this.deps.ledger.loan(loan.loanId);
        const key = `${loan.loanId}!${onChain.stageChangedAt}`;
        if ((await this.deps.reminders.get(key)) === undefined) {
          await this.deps.reminders.put(key, { loanId: loan.loanId, at: nextContactTime(now) });
          round.remindersScheduled++;
        }
      }
    }
    round.remindersSent = await this.#sendDue(now);
    return round;
  }

  /**
   * Registered loans whose start day is behind the ledger's today and that nobody disbursed can
   * never be disbursed: expiring them gives their quotas back. The chain's own state decides (the
   * index may lag a disbursement).
   */
  async #expireMissed(expire: (loanId: string) => Promise<void>): Promise<string[]> {
    const expired: string[] = [];
    const today = Number(await this.deps.ledger.today());
    for (const loan of await this.deps.model.loansByState("Registered")) {
      if (loan.startDay >= today || loan.disbursedFen > 0n) continue;
      const onChain = await this.deps.ledger.loan(loan.loanId);
      if (
        Number(onChain.state) !== LoanState.Registered ||
        onChain.disbursedMask !== 0n ||
        Number(onChain.startDay) >= today
      )
        continue;
      await expire(loan.loanId);
      expired.push(loan.loanId);
      this.deps.log?.info(
        { loanId: loan.loanId, startDay: loan.startDay, today },
        "expired a loan that missed its start day",
      );
    }
    return expired;
  }

  /** Send every scheduled reminder whose time (always inside the contact window) has come. */
  async #sendDue(now: number): Promise<number> {
    let sent = 0;
    for await (const [key, reminder] of this.deps.reminders.iterator()) {
      if (reminder.sentAt !== undefined || reminder.at > now) continue;
      const loan = await this.deps.model.loan(reminder.loanId);
      if (loan === undefined) continue;
      const [days] = await this.deps.ledger.overdue(reminder.loanId);
      if (days === 0n) {
        await this.deps.reminders.put(key, { ...reminder, sentAt: -1 }); // cured before the window opened
        continue;
      }
      await this.deps.send({
        loanId: reminder.loanId,
        borrowerKey: loan.borrowerKey,
        daysPastDue: Number(days),
        at: now,
      });
      await this.deps.reminders.put(key, { ...reminder, sentAt: now });
      sent++;
    }
    return sent;
  }
}
