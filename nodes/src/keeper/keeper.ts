// The keeper: once a day (any node may run it; the union does by default) it walks the active
// loans of the index, asks the ledger how many days each is past due, calls
// DisputeResolution.escalate where a stage threshold is reached, and sends the borrower a
// friendly reminder (逾期友好提醒) for each missed installment as soon as it sees it late. The
// reminder always comes before mediation: a loan first seen already 8 days late is reminded
// first and moved to mediation only once the reminder went out (the notice service checks the
// 08:00–21:00 Asia/Shanghai window and the contact cap when it sends, so a reminder may wait for
// the morning, and so does the escalation). Arbitration waits until mediation was tried: a loan
// that reaches 15 days without a mediation case (first seen that late) gets one opened, and
// arbitration waits while the case is pending or its agreement is being performed (the
// mediation port). It also expires registered
// loans nobody disbursed whose start day has passed (JointLoanLedger.expireLoan), releasing
// their quotas. It writes nothing on chain itself: each escalation goes through the `escalate`
// port, which in a node is the durable outbox (one sender per key, so no nonce contention).
import type { DisputeResolution, JointLoanLedger } from "../../../common/chain/generated/contracts.ts";
import { DISPUTE_STAGES, LoanState } from "../../../common/chain/generated/enums.ts";
import type { Sublevel } from "../../../common/level.ts";
import type { LedgerModel } from "../indexer/model.ts";
import type { NoticeOutcome, NoticeRequest } from "../notices/notices.ts";

/** How the keeper reaches a borrower: the node's notice service (gateway, window, cap, evidence). */
export type KeeperNotices = { deliver(request: NoticeRequest): Promise<NoticeOutcome> };

/** The mediation stage as the keeper needs it (mediation/mediation.ts in a node). */
export type KeeperMediation = {
  /** Opens the loan's mediation case unless it has one for this overdue episode. */
  open(loanId: string): Promise<boolean>;
  /** False while a case is waiting for the borrower's answer or its agreement is being performed. */
  mayArbitrate(loanId: string): Promise<boolean>;
};

/** A friendly reminder for one missed installment. */
export type ReminderRecord = { loanId: string; installment: number; scheduledAt: number; sentAt?: number };

const STAGE = { None: 0, Reminder: 1, Mediation: 2, Arbitration: 3 } as const;

export type KeeperDeps = {
  model: Pick<LedgerModel, "loansByState" | "loan">;
  /** JointLoanLedger, read-only: `overdue`, `loan`, `progress`, `amountOwed`, `today`. */
  ledger: Pick<JointLoanLedger, "overdue" | "loan" | "progress" | "amountOwed" | "today">;
  /** DisputeResolution, read-only: `escalate.staticCall` from a member's account previews the move. */
  disputes: { escalate: Pick<DisputeResolution["escalate"], "staticCall"> };
  /** Moves the loan to `stage` on chain and resolves once that is done (the node: its outbox). */
  escalate: (loanId: string, stage: number) => Promise<void>;
  /** Expires a loan that missed its start day undisbursed and resolves once done (the node: its outbox); none: not expired. */
  expire?: (loanId: string) => Promise<void>;
  /** Reminders by `loanId!installment` (3 digits): one per missed installment. */
  reminders: Sublevel<string, ReminderRecord>;
  notices: KeeperNotices;
  mediation?: KeeperMediation;
  /** Unix seconds. */
  now: () => number;
  /** Run before each round (a node brings its clock up to the chain's latest block). */
  beforeRound?: () => Promise<void>;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
};

export type KeeperRound = {
  checked: number;
  escalated: string[];
  expired: string[];
  remindersScheduled: number;
  remindersSent: number;
  /** Escalations the chain would take that wait: for the reminder, or for mediation. */
  held: Array<{ loanId: string; waitingFor: "reminder" | "mediation" }>;
  mediationsOpened: string[];
};

export class Keeper {
  readonly deps: KeeperDeps;

  constructor(deps: KeeperDeps) {
    this.deps = deps;
  }

  /** One round: remind, escalate what is due, open mediation cases. */
  async runOnce(): Promise<KeeperRound> {
    await this.deps.beforeRound?.();
    const round: KeeperRound = {
      checked: 0,
      escalated: [],
      expired: [],
      remindersScheduled: 0,
      remindersSent: 0,
      held: [],
      mediationsOpened: [],
    };
    if (this.deps.expire !== undefined) round.expired = await this.#expireMissed(this.deps.expire);
    for (const loan of await this.deps.model.loansByState("Active")) {
      round.checked++;
      const [days, , stageBefore] = await this.deps.ledger.overdue(loan.loanId);
      if (days === 0n) continue;
      let stage = Number(stageBefore);
      if (stage > STAGE.Mediation) continue;
      const reminded = await this.#remind(loan.loanId, loan.borrowerKey, Number(days), round);
      // escalate is idempotent on chain: a call that changes nothing costs a little gas only
      const after = Number(await this.deps.disputes.escalate.staticCall(loan.loanId));
      if (after > stage) {
        if (after >= STAGE.Mediation && !reminded) {
          round.held.push({ loanId: loan.loanId, waitingFor: "reminder" });
        } else if (after >= STAGE.Arbitration && !(await this.#mediated(loan.loanId, round))) {
          round.held.push({ loanId: loan.loanId, waitingFor: "mediation" });
        } else {
          await this.deps.escalate(loan.loanId, after);
          round.escalated.push(loan.loanId);
          stage = after;
          this.deps.log?.info(
            { loanId: loan.loanId, stage: DISPUTE_STAGES[after] },
            "escalated an overdue loan",
          );
        }
      }
      if (stage === STAGE.Mediation && this.deps.mediation !== undefined) {
        if (await this.deps.mediation.open(loan.loanId)) round.mediationsOpened.push(loan.loanId);
      }
    }
    return round;
  }

  /**
   * May the loan go on to arbitration? Only once mediation was tried: escalate moves a loan
   * straight to the stage its days past due reach, so a loan first seen 15 days late never
   * stood at Mediation on chain; its case is opened here (if it has none for this episode) and
   * arbitration waits for a refusal, a lapse or a breach. True with no mediation port.
   */
  async #mediated(loanId: string, round: KeeperRound): Promise<boolean> {
    const mediation = this.deps.mediation;
    if (mediation === undefined) return true;
    if (await mediation.open(loanId)) round.mediationsOpened.push(loanId);
    return mediation.mayArbitrate(loanId);
  }

  /**
   * The reminder for the loan's missed installment: scheduled the first time the keeper sees it
   * late and sent when the notice service lets it (window, cap). True once it was delivered.
   */
  async #remind(loanId: string, borrowerKey: string, daysPastDue: number, round: KeeperRound) {
    const progress = await this.deps.ledger.progress(loanId);
    const installment = Number(progress.nextInstallment) + 1;
    const key = `${loanId}!${String(installment).padStart(3, "0")}`;
    let record = await this.deps.reminders.get(key);
    if (record === undefined) {
      record = { loanId, installment, scheduledAt: this.deps.now() };
      await this.deps.reminders.put(key, record);
      round.remindersScheduled++;
    }
    if (record.sentAt !== undefined) return true;
    const [penalty, interest, principal] = await this.deps.ledger.amountOwed(loanId);
    const outcome = await this.deps.notices.deliver({
      noticeId: `reminder:${loanId}:${installment}`,
      loanId,
      borrowerKey,
      templateId: "reminder.v1",
      params: { loanRef: loanId.slice(2, 10), daysPastDue, amountDueFen: penalty + interest + principal },
    });
    if (outcome.status !== "delivered") return false;
    await this.deps.reminders.put(key, { ...record, sentAt: this.deps.now() });
    round.remindersSent++;
    return true;
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
}
