// Step 4 of the loan road: money. Disbursements and repayments (voucher stored and anchored,
// then written through the outbox), early settlement at exactly today's figure (提前结清), and
// cancellation of a loan nobody disbursed. Settling or cancelling another branch's loan needs
// this node's unexpired mandate on chain (mandates.ts grants them). Expiry of a loan that missed
// its start day is the keeper's (keeper/keeper.ts, through cases.ts's outboxExpirer).
import type { TypedDataSigner } from "../../common/auth/eip712.ts";
import type { JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import { dayToDate } from "../../common/lending/dates.ts";
import type { Actor } from "./actor.ts";
import type { AnchorEvidence } from "./bureau/consent.ts";
import type { DocumentStore } from "./documents/document-store.ts";
import type { LedgerModel } from "./indexer/model.ts";
import { checkDisbursement, type ReceivingAccounts } from "./entrusted-payment.ts";
import { nodeError } from "./errors.ts";
import type { OutboxArgs } from "./outbox/entry.ts";
import type { Outbox } from "./outbox/outbox.ts";
import type { QueueTurn } from "./servicing.ts";
import {
  awaitChainWrite,
  ledgerLoan,
  refusedAsDisbursed,
  requireServicer,
  requireUndisbursed,
  retriedFlow,
  writeWithVoucher,
  type ServicerDeps,
} from "./servicing.ts";

export type FundFlowsDeps = {
  memberId: number;
  consortiumKey: Uint8Array;
  documents: DocumentStore;
  /** Every chain write goes through the durable outbox. */
  outbox: Outbox;
  /** JointLoanLedger (read-only here): the loan's state, settlementOwed, this node's mandate. */
  ledger: JointLoanLedger;
  /** The indexed ledger: the settlement accounts it whitelists (AccountWhitelisted). */
  model: Pick<LedgerModel, "isWhitelisted">;
  /** This node's chain key (its address is the mandate's agent). */
  signer: TypedDataSigner;
  /** Anchors evidence records (vouchers) through the anchor service. */
  anchor: AnchorEvidence;
  /** How long a cancellation waits for the chain's answer before NODE_ERR_OUTBOX_PENDING (default 60 s). */
  chainWriteTimeoutMs?: number;
  /** Which account each loan this node approved or agreed to pays (entrusted-payment.ts); absent: not kept. */
  receiving?: ReceivingAccounts;
};

export type FlowInput = {
  type: "disbursement" | "repayment" | "settlement";
  serial: string;
  amountFen: bigint;
  accountHash?: string;
  toAccount?: string;
  /** A batch file's row: queued only after the loan's earlier row (servicing.ts, writeWithVoucher); the voucher is anchored meanwhile. */
  turn?: QueueTurn;
};

export class FundFlows {
  readonly deps: FundFlowsDeps;
  /** Who may settle or cancel here: the loan's branch, or this node's account under its mandate. */
  readonly #servicer: ServicerDeps;

  constructor(deps: FundFlowsDeps) {
    this.deps = deps;
    this.#servicer = {
      memberId: deps.memberId,
      ledger: deps.ledger,
      account: () => deps.signer.getAddress(),
      chainNow: async () => (await deps.ledger.runner!.provider!.getBlock("latest"))!.timestamp,
    };
  }

  /**
   * An account the indexed ledger whitelists is taken without a chain read (a whitelist changes
   * only by AccountWhitelisted, which the indexer applies as its block comes; the ledger itself
   * refuses a disbursement from an account delisted since); any other is the ledger's to answer,
   * so one whitelisted moments ago is not refused.
   */
  async #whitelisted(memberId: number, accountHash: string): Promise<boolean> {
    if (await this.deps.model.isWhitelisted(memberId, accountHash)) return true;
    return this.deps.ledger.isWhitelisted(memberId, accountHash);
  }

  /** Record a disbursement, repayment or early settlement: anchor its voucher, then write it through the outbox. */
  async record(actor: Actor, loanId: string, input: FlowInput) {
    // money leaves this funder's own settlement account for the loan's bound receiving account only
    const paidTo =
      input.type === "disbursement"
        ? (
            await checkDisbursement(
              {
                memberId: this.deps.memberId,
                consortiumKey: this.deps.consortiumKey,
                accounts: this.#receiving(),
                isWhitelisted: (memberId, accountHash) => this.#whitelisted(memberId, accountHash),
              },
              loanId,
              {
                accountHash: input.accountHash!,
                ...(input.toAccount === undefined ? {} : { toAccount: input.toAccount }),
              },
            )
          ).paidTo
        : undefined;
    const id = loanId.toLowerCase();
    const voucher = {
      type: input.type,
      serial: input.serial,
      loanId: id,
      amountFen: input.amountFen.toString(),
      member: this.deps.memberId,
      recordedBy: actor.userId,
    };
    const written = await writeWithVoucher(
      this.deps,
      id,
      voucher,
      (digest) =>
        input.type === "disbursement"
          ? {
              serial: input.serial,
              kind: "disburse",
              args: { loanId, amount: input.amountFen, accountHash: input.accountHash!, voucher: digest },
            }
          : {
              serial: input.serial,
              kind: input.type === "settlement" ? "settle" : "repay",
              args: { loanId, amount: input.amountFen, voucher: digest },
            },
      input.turn,
    );
    return { serial: input.serial, ...written, ...(paidTo === undefined ? {} : { paidTo }) };
  }

  /** Receiving records (an empty store when none is configured: nothing approved here is known). */
  #receiving(): Pick<ReceivingAccounts, "get"> {
    return this.deps.receiving ?? { get: async () => undefined };
  }

  /**
   * What settles the loan in full today (提前结清, the ledger's settlementOwed): installments due
   * by today in full, the one in progress with its interest to the day, then principal only.
   */
  async settlementQuote(_actor: Actor, loanId: string) {
    const id = loanId.toLowerCase();
    const loan = await ledgerLoan(this.deps.ledger, id);
    if (loan.state !== "Active")
      throw nodeError(
        "NODE_ERR_LOAN_STATE",
        `loan ${id} is ${loan.state}; only an active loan is settled early`,
        { state: loan.state },
      );
    let owed: [bigint, bigint, bigint];
    let today: bigint;
    try {
      const [penalty, interest, principal] = await this.deps.ledger.settlementOwed(id);
      owed = [penalty, interest, principal];
      today = await this.deps.ledger.today();
    } catch (error) {
      throw nodeError(
        "NODE_ERR_CHAIN_UNAVAILABLE",
        `cannot read what settles loan ${id}: ${(error as Error).message}`,
      );
    }
    const [penaltyFen, interestFen, principalFen] = owed.map(BigInt) as [bigint, bigint, bigint];
    const day = Number(today);
    return {
      loanId: id,
      day,
      date: dayToDate(day),
      penaltyFen,
      interestFen,
      principalFen,
      totalFen: penaltyFen + interestFen + principalFen,
    };
  }

  /**
   * Settle a loan early, in full: the amount received must be exactly today's settlementOwed
   * (refused otherwise, nothing written); the voucher is anchored and `settle` goes through the
   * outbox. The chain checks the amount again on the day it is mined (LedgerSettlementMismatch
   * if the day turned in between: the entry fails and a new serial settles at the new figure).
   */
  async settle(actor: Actor, loanId: string, input: { serial: string; amountFen: bigint }) {
    const id = loanId.toLowerCase();
    // a retry of a settlement already taken answers it again (the loan is settled by now, so the quote would refuse it)
    const retried = await retriedFlow(this.deps.outbox, input.serial, (entry) => {
      const args = entry.args as OutboxArgs["settle"];
      return entry.kind === "settle" && args.loanId === id && args.amount === input.amountFen.toString();
    });
    if (retried !== undefined) return retried;
    await requireServicer(this.#servicer, id, await ledgerLoan(this.deps.ledger, id));
    const owed = await this.settlementQuote(actor, id);
    if (input.amountFen !== owed.totalFen) {
      throw nodeError(
        "NODE_ERR_SETTLEMENT_MISMATCH",
        `loan ${id} is settled today (${owed.date}) by ${owed.totalFen} fen, not ${input.amountFen}`,
        {
          amountFen: input.amountFen.toString(),
          owedFen: owed.totalFen.toString(),
          penaltyFen: owed.penaltyFen.toString(),
          interestFen: owed.interestFen.toString(),
          principalFen: owed.principalFen.toString(),
          date: owed.date,
        },
      );
    }
    return {
      ...(await this.record(actor, id, {
        type: "settlement",
        serial: input.serial,
        amountFen: input.amountFen,
      })),
      owed,
    };
  }

  /**
   * Cancel a registered loan nobody has disbursed (the branch's or the union's node), through the
   * outbox under the serial `cancel:<loanId>`, and wait for the chain's answer: a loan with money
   * out is refused before anything is written, and a disbursement that landed first comes back
   * as the same NODE_ERR_LOAN_DISBURSED (the ledger's LedgerPartlyDisbursed / LedgerWrongState).
   */
  async cancel(actor: Actor, loanId: string, reasonCode: number) {
    const id = loanId.toLowerCase();
    const serial = `cancel:${id}`;
    if ((await this.deps.outbox.status(serial)) === undefined) {
      const loan = await ledgerLoan(this.deps.ledger, id);
      await requireServicer(this.#servicer, id, loan);
      requireUndisbursed(id, loan, {
        disbursed: "a loan with money out is not cancelled; it is repaid or settled",
        onlyRegistered: "is cancelled",
      });
    }
    // same serial and reason: the stored entry; another reason: NODE_ERR_OUTBOX_CONFLICT
    const entry = await awaitChainWrite(
      this.deps.outbox,
      { serial, kind: "cancelLoan", args: { loanId: id, reasonCode } },
      {
        what: `cancelling loan ${id}`,
        ...(this.deps.chainWriteTimeoutMs === undefined ? {} : { timeoutMs: this.deps.chainWriteTimeoutMs }),
        refusal: (failure) =>
          refusedAsDisbursed(failure)
            ? nodeError(
                "NODE_ERR_LOAN_DISBURSED",
                `loan ${id} was disbursed before the cancellation reached the chain (${failure.code})`,
                failure,
              )
            : undefined,
      },
    );
    return { loanId: id, reasonCode, cancelledBy: actor.userId, serial, outbox: entry };
  }
}
