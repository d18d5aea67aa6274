// Step 4 of the loan road: money. Disbursements and repayments (voucher stored and anchored,
// then written through the outbox), early settlement at exactly today's figure (提前结清), and
// cancellation of a loan nobody disbursed. Settling or cancelling another branch's loan needs
// this node's unexpired mandate on chain (mandates.ts grants them). Expiry of a loan that missed
// its start day is the keeper's (keeper/keeper.ts, through cases.ts's outboxExpirer).
import { createHash, randomBytes } from "node:crypto";
import type { TypedDataSigner } from "../../common/auth/eip712.ts";
import type { JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import { DigestAlgorithm, EvidenceKind } from "../../common/formats/leaf/leaf.ts";
import { dayToDate } from "../../common/lending/dates.ts";
import type { Actor } from "./actor.ts";
import type { AnchorEvidence } from "./bureau/consent.ts";
import type { DocumentStore } from "./documents/document-store.ts";
import { checkDisbursement, type ReceivingAccounts } from "./entrusted-payment.ts";
import { nodeError } from "./errors.ts";
import { LOAN_STATES } from "./indexer/model.ts";
import { type EnqueueInput, type OutboxEntry, type SettleArgs } from "./outbox/entry.ts";
import { OutboxError } from "./outbox/errors.ts";
import type { Outbox } from "./outbox/outbox.ts";

export type FundFlowsDeps = {
  memberId: number;
  consortiumKey: Uint8Array;
  documents: DocumentStore;
  /** Every chain write goes through the durable outbox. */
  outbox: Outbox;
  /** JointLoanLedger (read-only here): the loan's state, settlementOwed, this node's mandate. */
  ledger: JointLoanLedger;
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
};

/** A loan as the ledger's `loan(loanId)` view states it (the fields the node's checks read). */
type ChainLoan = { branch: number; state: (typeof LOAN_STATES)[number]; disbursedMask: number };

/** The ledger refusals that mean a cancellation came after money moved (LoanState: 2 Active, 3 Settled). */
function cancelRefusedAsDisbursed(failure: { code: string; args: unknown[] } | undefined): boolean {
  if (failure === undefined) return false;
  if (failure.code === "LedgerPartlyDisbursed") return true;
  return failure.code === "LedgerWrongState" && ["2", "3"].includes(String(failure.args[1]));
}

export class FundFlows {
  readonly deps: FundFlowsDeps;

  constructor(deps: FundFlowsDeps) {
    this.deps = deps;
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
                call: (data) => this.#ledgerCall(data),
              },
              loanId,
              {
                accountHash: input.accountHash!,
                ...(input.toAccount === undefined ? {} : { toAccount: input.toAccount }),
              },
            )
          ).paidTo
        : undefined;
    const voucher = {
      type: input.type,
      serial: input.serial,
      loanId: loanId.toLowerCase(),
      amountFen: input.amountFen.toString(),
      member: this.deps.memberId,
      recordedBy: actor.userId,
    };
    const voucherBytes = Buffer.from(JSON.stringify(voucher));
    const digest = `0x${createHash("sha256").update(voucherBytes).digest("hex")}`;
    const flow: EnqueueInput =
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
          };
    // a serial taken by another flow is refused before the voucher is stored or anchored
    await this.deps.outbox.refuseConflict(flow);
    await this.deps.documents.put({
      kind: "voucher",
      bytes: voucherBytes,
      loanId: loanId.toLowerCase(),
      owner: this.deps.memberId,
      meta: { serial: input.serial },
    });
    await this.deps.anchor([
      {
        kind: EvidenceKind.FundFlowVoucher,
        digestAlgorithm: DigestAlgorithm.Sha256,
        digest,
        salt: `0x${randomBytes(32).toString("hex")}`,
        subject: loanId.toLowerCase(),
      },
    ]);
    const entry = await this.deps.outbox.enqueue(flow);
    return {
      serial: input.serial,
      voucher: digest,
      outbox: entry,
      ...(paidTo === undefined ? {} : { paidTo }),
    };
  }

  /** Receiving records (an empty store when none is configured: nothing approved here is known). */
  #receiving(): Pick<ReceivingAccounts, "get"> {
    return this.deps.receiving ?? { get: async () => undefined };
  }

  async #ledgerCall(data: string): Promise<string> {
    return this.deps.ledger.runner!.provider!.call({ to: await this.deps.ledger.getAddress(), data });
  }

  /** The loan as the ledger states it now; NODE_ERR_UNKNOWN_LOAN if it has none. */
  async #chainLoan(loanId: string): Promise<ChainLoan> {
    let loan: { branch: bigint; state: bigint; disbursedMask: bigint };
    try {
      loan = await this.deps.ledger.loan(loanId);
    } catch (error) {
      if ((error as { revert?: { name?: string } }).revert?.name === "LedgerUnknownLoan")
        throw nodeError("NODE_ERR_UNKNOWN_LOAN", `the ledger has no loan ${loanId}`);
      throw nodeError(
        "NODE_ERR_CHAIN_UNAVAILABLE",
        `cannot read loan ${loanId} from the ledger: ${(error as Error).message}`,
      );
    }
    return {
      branch: Number(loan.branch),
      state: LOAN_STATES[Number(loan.state)] ?? "None",
      disbursedMask: Number(loan.disbursedMask),
    };
  }

  /**
   * The ledger takes settlements and cancellations only from the loan's branch or from a member
   * holding the branch's unexpired mandate for the loan (the union's node, typically): refused
   * here first, nothing written.
   */
  async #requireServicer(loanId: string, loan: ChainLoan): Promise<void> {
    if (loan.branch === this.deps.memberId) return;
    const me = await this.deps.signer.getAddress();
    let branch: bigint, expiresAt: bigint, now: number;
    try {
      [branch, expiresAt] = await this.deps.ledger.mandate(loanId, me);
      now = (await this.deps.ledger.runner!.provider!.getBlock("latest"))!.timestamp;
    } catch (error) {
      throw nodeError(
        "NODE_ERR_CHAIN_UNAVAILABLE",
        `cannot read this node's mandate for loan ${loanId}: ${(error as Error).message}`,
      );
    }
    if (Number(branch) === loan.branch && Number(expiresAt) > now) return;
    throw nodeError(
      "NODE_ERR_NO_MANDATE",
      `loan ${loanId} is serviced by branch ${loan.branch}; this node (member ${this.deps.memberId}, account ${me}) holds no unexpired mandate for it`,
      { branch: loan.branch, agent: me.toLowerCase(), expiresAt: Number(expiresAt) },
    );
  }

  /**
   * What settles the loan in full today (提前结清, the ledger's settlementOwed): installments due
   * by today in full, the one in progress with its interest to the day, then principal only.
   */
  async settlementQuote(_actor: Actor, loanId: string) {
    const id = loanId.toLowerCase();
    const loan = await this.#chainLoan(id);
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
    const existing = await this.deps.outbox.status(input.serial);
    if (existing !== undefined) {
      const args = existing.args as SettleArgs;
      if (existing.kind === "settle" && args.loanId === id && args.amount === input.amountFen.toString())
        return { serial: input.serial, voucher: args.voucher, outbox: existing };
      throw new OutboxError(
        "NODE_ERR_OUTBOX_CONFLICT",
        `serial ${input.serial} is already used by a ${existing.kind} entry with other arguments; a new flow needs a new serial`,
        {
          serial: input.serial,
          existing: { kind: existing.kind, state: existing.state },
        },
      );
    }
    await this.#requireServicer(id, await this.#chainLoan(id));
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
      const loan = await this.#chainLoan(id);
      await this.#requireServicer(id, loan);
      if (loan.state === "Active" || loan.state === "Settled" || loan.disbursedMask !== 0) {
        throw nodeError(
          "NODE_ERR_LOAN_DISBURSED",
          `loan ${id} is ${loan.state}${loan.state === "Registered" ? " and partly disbursed" : ""}: a loan with money out is not cancelled; it is repaid or settled`,
          { state: loan.state, disbursedMask: loan.disbursedMask },
        );
      }
      if (loan.state !== "Registered")
        throw nodeError(
          "NODE_ERR_LOAN_STATE",
          `loan ${id} is ${loan.state}; only a registered loan is cancelled`,
          { state: loan.state },
        );
    }
    // same serial and reason: the stored entry; another reason: NODE_ERR_OUTBOX_CONFLICT
    await this.deps.outbox.enqueue({ serial, kind: "cancelLoan", args: { loanId: id, reasonCode } });
    const entry: OutboxEntry = await this.deps.outbox.settled(
      serial,
      this.deps.chainWriteTimeoutMs ?? 60_000,
    );
    if (entry.state === "failed") {
      if (cancelRefusedAsDisbursed(entry.failure))
        throw nodeError(
          "NODE_ERR_LOAN_DISBURSED",
          `loan ${id} was disbursed before the cancellation reached the chain (${entry.failure!.code})`,
          entry.failure,
        );
      throw nodeError(
        "NODE_ERR_CHAIN_REFUSED",
        `the chain refused cancelling loan ${id}: ${entry.failure?.code}`,
        entry.failure,
      );
    }
    if (entry.state !== "confirmed")
      throw nodeError(
        "NODE_ERR_OUTBOX_PENDING",
        `cancelling loan ${id} is still ${entry.state} in the outbox (serial ${serial}); it completes on its own`,
        { serial },
      );
    return { loanId: id, reasonCode, cancelledBy: actor.userId, serial, outbox: entry };
  }
}
