// The shared ledger as this node indexed it, for the back office: loans (one with its all-in
// APR and, once settled, the flow that settled it), a day's fund flows, a borrower's exposure,
// the index digest every node can compare, and the outbox's entries.
import { callsOf, type Call } from "../../common/chain/batch.ts";
import type { JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import { allInAprBps, AprError } from "../../common/lending/apr.ts";
import { aprFeesOf } from "../../common/lending/fees.ts";
import { loanIdOf } from "../../common/lending/ids.ts";
import type { RepaymentMethod } from "../../common/lending/schedule.ts";
import type { Actor } from "./actor.ts";
import { nodeError } from "./errors.ts";
import type { Cursor } from "./indexer/indexer.ts";
import { modelLedgerDigest } from "./indexer/ledger-digest.ts";
import { REPAYMENT_METHODS, type LedgerModel, type Loan } from "./indexer/model.ts";
import type { Outbox } from "./outbox/outbox.ts";
import { Room } from "./room.ts";

export type LedgerReadsDeps = {
  memberId: number;
  model: LedgerModel;
  /** JointLoanLedger (read-only): a loan's schedule for its all-in APR. */
  ledger: JointLoanLedger;
  outbox: Outbox;
  /** The indexer's committed cursor (the last block in the read model). */
  cursor: () => Promise<Cursor | undefined>;
  /** More of one loan's API output, each from its own module (receiving account, income split, prepayments). */
  loanDetails?: Array<(loan: Loan) => Promise<Record<string, unknown>>>;
};

export type LoansQuery = {
  state?: "Registered" | "Active" | "Settled" | "Cancelled";
  branch?: number;
  platform?: number;
};

export class LedgerReads extends Room<LedgerReadsDeps> {
  /** A registered loan's all-in APR by loan id: its schedule and fees never change. */
  readonly #allInApr = new Map<string, number>();

  async loans(_actor: Actor, query: LoansQuery) {
    const { model } = this.deps;
    if (query.state !== undefined) return model.loansByState(query.state);
    if (query.branch !== undefined) return model.loansByBranch(query.branch);
    if (query.platform !== undefined) return model.loansByPlatform(query.platform);
    return model.loansByBranch(this.deps.memberId);
  }

  /**
   * One indexed loan with its all-in APR (interest and every registered fee, common/lending/apr.ts,
   * as approval computed it; null while the chain's schedule cannot be read) and, once settled,
   * the flow that settled it.
   */
  async loan(_actor: Actor, loanId: string) {
    const loan = await this.deps.model.loan(loanId.toLowerCase());
    if (loan === undefined)
      throw nodeError("NODE_ERR_UNKNOWN_LOAN", `no loan ${loanId} in this node's index (yet)`);
    const allInAprBps = await this.#loanAllInApr(loan);
    // what the ledger still counts against the borrower's and the branch's limits: the principal
    // not yet repaid until the loan is settled or cancelled, when it releases the rest
    const open = loan.state === "Registered" || loan.state === "Active";
    const outstandingFen = open ? loan.principalFen - loan.principalRepaidFen : 0n;
    const details = Object.assign(
      {},
      ...(await Promise.all((this.deps.loanDetails ?? []).map((detail) => detail(loan)))),
    ) as Record<string, unknown>;
    if (loan.settled === undefined) return { ...loan, allInAprBps, outstandingFen, ...details };
    const flow = (await this.deps.model.flowsByLoan(loan.loanId)).find(
      (f) => f.type === "repayment" && f.txHash === loan.settled!.txHash,
    );
    return {
      ...loan,
      allInAprBps,
      outstandingFen,
      ...details,
      settlement:
        flow === undefined || flow.type !== "repayment"
          ? null
          : {
              serial: flow.serial,
              date: flow.date,
              amountFen: flow.amountFen,
              penaltyFen: flow.penaltyFen,
              interestFen: flow.interestFen,
              principalFen: flow.principalFen,
              txHash: flow.txHash,
            },
    };
  }

  /** The all-in APR of a registered loan from the schedule it was registered with and its indexed fees (cached: neither changes). */
  async #loanAllInApr(loan: Loan): Promise<number | null> {
    const cached = this.#allInApr.get(loan.loanId);
    if (cached !== undefined) return cached;
    let schedule: ReadonlyArray<{ dueDay: bigint; principal: bigint; interest: bigint }>;
    try {
      schedule = await this.#registeredSchedule(loan);
    } catch {
      return null;
    }
    const installments = schedule.map((i) => ({
      dueDay: Number(i.dueDay),
      totalFen: BigInt(i.principal) + BigInt(i.interest),
    }));
    const fees = (loan.fees ?? []).map((f) => ({ installment: f.installment, amount: BigInt(f.amountFen) }));
    let apr: number;
    try {
      apr = allInAprBps({
        method: REPAYMENT_METHODS.indexOf(loan.method) as RepaymentMethod,
        principalFen: BigInt(loan.principalFen),
        installments,
        fees: aprFeesOf(fees, installments, loan.startDay),
        startDay: loan.startDay,
      });
    } catch (error) {
      // a loan the ledger registered always has a rate; anything else is shown as unknown, not a 500
      if (error instanceof AprError || error instanceof RangeError) return null;
      throw error;
    }
    this.#allInApr.set(loan.loanId, apr);
    return apr;
  }

  /**
   * The schedule in the loan's registerLoan call: a partial prepayment rewrites the ledger's
   * schedule, and the APR approval computed is the one of the loan as registered. The call is this
   * loan's registerLoan to the ledger among the transaction's calls (a batch carries several
   * loans'); a registration where none can be read falls back to the ledger's schedule.
   */
  async #registeredSchedule(
    loan: Loan,
  ): Promise<ReadonlyArray<{ dueDay: bigint; principal: bigint; interest: bigint }>> {
    const { ledger } = this.deps;
    const tx = await ledger.runner?.provider?.getTransaction(loan.registeredTx);
    const ledgerAddress = (await ledger.getAddress()).toLowerCase();
    let calls: Call[] = [];
    try {
      if (tx !== null && tx !== undefined) calls = callsOf(tx);
    } catch {
      // not a batch this node can read: the ledger's schedule below
    }
    for (const { to, data } of calls) {
      if (to.toLowerCase() !== ledgerAddress) continue;
      let call: ReturnType<JointLoanLedger["interface"]["parseTransaction"]>;
      try {
        call = ledger.interface.parseTransaction({ data });
      } catch {
        continue;
      }
      if (call?.name !== "registerLoan") continue;
      const terms = call.args[0] as {
        originator: bigint;
        applicationSerial: string;
        schedule: Array<{ dueDay: bigint; principal: bigint; interest: bigint }>;
      };
      if (loanIdOf(Number(terms.originator), terms.applicationSerial) === loan.loanId.toLowerCase())
        return terms.schedule;
    }
    return ledger.schedule(loan.loanId);
  }

  async flowsByDay(_actor: Actor, day: string) {
    return this.deps.model.flowsByDay(day);
  }

  async exposure(_actor: Actor, borrowerKey: string) {
    return {
      borrowerKey: borrowerKey.toLowerCase(),
      outstandingFen: await this.deps.model.borrowerExposure(borrowerKey.toLowerCase()),
    };
  }

  /**
   * The ledger digest of this node's index (indexer/ledger-digest.ts) with the last indexed
   * block: read between two equal cursors, so it describes exactly that block.
   */
  async indexDigest(_actor: Actor) {
    for (let attempt = 0; ; attempt++) {
      const before = await this.deps.cursor();
      const digest = await modelLedgerDigest(this.deps.model);
      const modelDigest = await this.deps.model.digest();
      const after = await this.deps.cursor();
      if (before?.blockHash === after?.blockHash || attempt >= 20) {
        return {
          ...digest,
          cursor: after === undefined ? null : { blockNumber: after.blockNumber, blockHash: after.blockHash },
          modelDigest,
        };
      }
    }
  }

  async outboxStatus(_actor: Actor, serial: string) {
    const entry = await this.deps.outbox.status(serial);
    if (entry === undefined) throw nodeError("NODE_ERR_NOT_FOUND", `no outbox entry ${serial}`);
    return entry;
  }
}
