// Partial prepayment (提前部分还款): the borrower pays part of the principal early, any day while
// the installment in progress is untouched and not late, with interest accrued to the day on the
// part prepaid and any prepayment fee; the rest of the schedule then either ends sooner with the
// same installments (shorten-term, 缩短期限) or keeps its term with lower installments
// (lower-installments, 减少月供), the borrower's choice, recomputed and recorded on chain
// (JointLoanLedger.prepay / prepaymentOwed, LoanRescheduled). The node quotes from the chain's
// own figures, refuses before anything is written what the ledger would refuse (with its
// values), anchors the voucher and sends `prepay` through the outbox, exactly once by serial.
import type { Provider } from "ethers";
import { JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import type { PrepaymentReceivedEvent } from "../../common/chain/generated/typechain/lending/JointLoanLedger.ts";
import { pagedLogs } from "../../common/chain/logs.ts";
import { decodeRevert } from "../../common/chain/revert.ts";
import { dayToDate } from "../../common/lending/dates.ts";
import type { AnchorEvidence } from "./bureau/consent.ts";
import type { DocumentStore } from "./documents/document-store.ts";
import { nodeError } from "./errors.ts";
import type { Loan } from "./indexer/model.ts";
import { LOAN_STATES } from "./indexer/model.ts";
import type { Outbox } from "./outbox/outbox.ts";
import type { OutboxArgs } from "./outbox/entry.ts";
import { ledgerLoan, requireServicer, retriedFlow, writeWithVoucher } from "./servicing.ts";
import { Room } from "./room.ts";

/** IJointLoanLedger.PrepaymentMode, in enum order, as the API names them. */
export const PREPAYMENT_MODES = ["shorten-term", "lower-installments"] as const;
export type PrepaymentMode = (typeof PREPAYMENT_MODES)[number];

export type PrepaymentInput = { principalFen: bigint; mode: PrepaymentMode; feeFen?: bigint };

/** One installment of the schedule a prepayment leaves (from the one in progress on). */
export type QuotedInstallment = {
  installment: number;
  dueDay: number;
  dueDate: string;
  principalFen: bigint;
  interestFen: bigint;
  totalFen: bigint;
};

export type PrepaymentQuote = {
  loanId: string;
  day: number;
  date: string;
  mode: PrepaymentMode;
  /** The principal that comes off the loan. */
  principalFen: bigint;
  /** What of it the borrower pays (less only where the all-in cap forgives part, as in an early settlement). */
  principalPaidFen: bigint;
  /** Interest accrued to the day on the principal prepaid. */
  interestFen: bigint;
  feeFen: bigint;
  /** The largest prepayment fee the all-in cap allows today. */
  maxFeeFen: bigint;
  /** What the borrower pays today: interest, principal paid and fee. */
  totalFen: bigint;
  /** The schedule from the installment in progress on, as it will stand. */
  schedule: QuotedInstallment[];
};

export type PrepaymentDeps = {
  memberId: number;
  /** JointLoanLedger, read-only: the loan, the mandate, the prepayment figures and the schedule. */
  ledger: Pick<JointLoanLedger, "loan" | "mandate" | "prepaymentOwed" | "today" | "progress" | "schedule">;
  /** For the loan's prepayment events (paged: a Besu endpoint limits eth_getLogs ranges). */
  provider: Provider;
  ledgerAddress: string;
  logPageBlocks: number;
  outbox: Outbox;
  documents: Pick<DocumentStore, "put">;
  anchor: AnchorEvidence;
  /** This node's operations account (the mandate a non-branch node must hold) and the chain's clock. */
  account: () => Promise<string>;
  chainNow: () => Promise<number>;
};

export class PrepaymentOperations extends Room<PrepaymentDeps> {
  /** What prepaying `principalFen` in `mode` takes today and the schedule it leaves, as the ledger computes it. */
  async quote(loanId: string, input: PrepaymentInput): Promise<PrepaymentQuote> {
    const id = loanId.toLowerCase();
    const loan = await ledgerLoan(this.deps.ledger, id);
    if (loan.state !== "Active")
      throw nodeError("NODE_ERR_LOAN_STATE", `loan ${id} is ${loan.state}; only an active loan is prepaid`, {
        state: loan.state,
      });
    const feeFen = input.feeFen ?? 0n;
    const mode = PREPAYMENT_MODES.indexOf(input.mode);
    const { ledger } = this.deps;
    let owed: Awaited<ReturnType<JointLoanLedger["prepaymentOwed"]>>;
    let today: bigint;
    let progress: Awaited<ReturnType<JointLoanLedger["progress"]>>;
    try {
      owed = await ledger.prepaymentOwed(id, input.principalFen, mode, feeFen);
      today = await ledger.today();
      progress = await ledger.progress(id);
    } catch (error) {
      throw refusalOf(id, decodeRevert(error), error);
    }
    const [interestFen, principalPaidFen, maxFeeFen, installments] = [
      BigInt(owed[0]),
      BigInt(owed[1]),
      BigInt(owed[2]),
      owed[3],
    ];
    const from = Number(progress.nextInstallment);
    const day = Number(today);
    return {
      loanId: id,
      day,
      date: dayToDate(day),
      mode: input.mode,
      principalFen: input.principalFen,
      principalPaidFen,
      interestFen,
      feeFen,
      maxFeeFen,
      totalFen: interestFen + principalPaidFen + feeFen,
      schedule: installments.map((i, k) => ({
        installment: from + k,
        dueDay: Number(i.dueDay),
        dueDate: dayToDate(Number(i.dueDay)),
        principalFen: BigInt(i.principal),
        interestFen: BigInt(i.interest),
        totalFen: BigInt(i.principal) + BigInt(i.interest),
      })),
    };
  }

  /**
   * Prepay part of an active loan's principal: the same serial again answers its entry; the
   * loan's branch (or a member holding its mandate) only; the amount received, when stated, must
   * be exactly today's quote. The voucher is anchored and `prepay` goes through the outbox with
   * today's figures; the chain checks them again on the day it is mined (LedgerPrepaymentMismatch
   * if the day turned: the entry fails and a new serial prepays at the new figure).
   */
  async prepay(
    actorId: string,
    loanId: string,
    input: PrepaymentInput & { serial: string; receivedFen?: bigint },
  ) {
    const id = loanId.toLowerCase();
    const mode = PREPAYMENT_MODES.indexOf(input.mode);
    const feeFen = input.feeFen ?? 0n;
    const retried = await retriedFlow(this.deps.outbox, input.serial, (entry) => {
      const args = entry.args as OutboxArgs["prepay"];
      const same =
        entry.kind === "prepay" &&
        args.loanId === id &&
        args.principal === input.principalFen.toString() &&
        args.mode === mode &&
        args.fee === feeFen.toString();
      return same && (input.receivedFen === undefined || args.amount === input.receivedFen.toString());
    });
    if (retried !== undefined) return retried;
    await requireServicer(this.deps, id, await ledgerLoan(this.deps.ledger, id));
    const quote = await this.quote(id, input);
    if (input.receivedFen !== undefined && input.receivedFen !== quote.totalFen) {
      throw nodeError(
        "NODE_ERR_PREPAYMENT_MISMATCH",
        `prepaying ${quote.principalFen} fen of loan ${id} today (${quote.date}) takes ${quote.totalFen} fen, not ${input.receivedFen}`,
        {
          receivedFen: input.receivedFen.toString(),
          owedFen: quote.totalFen.toString(),
          interestFen: quote.interestFen.toString(),
          principalPaidFen: quote.principalPaidFen.toString(),
          feeFen: quote.feeFen.toString(),
          date: quote.date,
        },
      );
    }
    const voucher = {
      type: "prepayment",
      serial: input.serial,
      loanId: id,
      amountFen: quote.totalFen.toString(),
      principalFen: quote.principalFen.toString(),
      mode: input.mode,
      feeFen: feeFen.toString(),
      member: this.deps.memberId,
      recordedBy: actorId,
    };
    const written = await writeWithVoucher(this.deps, id, voucher, (digest) => ({
      serial: input.serial,
      kind: "prepay",
      args: {
        loanId: id,
        principal: input.principalFen,
        mode,
        fee: feeFen,
        amount: quote.totalFen,
        voucher: digest,
      },
    }));
    return { serial: input.serial, ...written, quote };
  }

  /**
   * The loan's output: its schedule as the chain states it now (rewritten by each prepayment) and
   * its prepayments (PrepaymentReceived events); null while the chain cannot be read.
   */
  async loanDetail(
    loan: Pick<Loan, "loanId" | "registeredBlock">,
  ): Promise<{ schedule: unknown; prepayments: unknown }> {
    try {
      const installments = await this.deps.ledger.schedule(loan.loanId);
      const schedule = installments.map((i, k) => ({
        installment: k,
        dueDay: Number(i.dueDay),
        dueDate: dayToDate(Number(i.dueDay)),
        principalFen: BigInt(i.principal),
        interestFen: BigInt(i.interest),
        totalFen: BigInt(i.principal) + BigInt(i.interest),
      }));
      const prepayments = [];
      const filter = {
        address: this.deps.ledgerAddress,
        topics: [JointLoanLedger.interface.getEvent("PrepaymentReceived").topicHash, loan.loanId],
      };
      for await (const page of pagedLogs(this.deps.provider, filter, {
        fromBlock: loan.registeredBlock,
        pageBlocks: this.deps.logPageBlocks,
      })) {
        for (const log of page) {
          const a = JointLoanLedger.interface
            .parseLog(log)!
            .args.toObject() as PrepaymentReceivedEvent.OutputObject;
          prepayments.push({
            serial: String(a.serial).toLowerCase(),
            mode: PREPAYMENT_MODES[Number(a.mode)] ?? Number(a.mode),
            principalFen: a.principal,
            principalPaidFen: a.principalPaid,
            interestFen: a.interest,
            feeFen: a.fee,
            blockNumber: log.blockNumber,
            txHash: log.transactionHash,
          });
        }
      }
      return { schedule, prepayments };
    } catch {
      return { schedule: null, prepayments: null };
    }
  }
}

/** A revert of prepaymentOwed (prepay's checks) as the node's code, with the ledger's values. */
export function refusalOf(
  loanId: string,
  revert: { name: string; args: unknown[] } | undefined,
  error: unknown,
) {
  const a = (revert?.args ?? []).map(String);
  switch (revert?.name) {
    case "LedgerUnknownLoan":
      return nodeError("NODE_ERR_UNKNOWN_LOAN", `the ledger has no loan ${loanId}`);
    case "LedgerWrongState":
      return nodeError(
        "NODE_ERR_LOAN_STATE",
        `loan ${loanId} is ${LOAN_STATES[Number(a[1])] ?? a[1]}; only an active loan is prepaid`,
        { state: LOAN_STATES[Number(a[1])] ?? a[1] },
      );
    case "LedgerBadPrepayment":
      return nodeError(
        "NODE_ERR_BAD_PREPAYMENT",
        `a partial prepayment of loan ${loanId} takes more than nothing and less than the ${a[2]} fen of principal still open (not ${a[1]}); all of it is an early settlement`,
        { principalFen: a[1], outstandingFen: a[2] },
      );
    case "LedgerInstallmentOpen":
      return nodeError(
        "NODE_ERR_INSTALLMENT_OPEN",
        `installment ${Number(a[1]) + 1} of loan ${loanId} is partly paid, owes penalty or is past due: repay it before prepaying`,
        { installment: Number(a[1]) },
      );
    case "LedgerPrepaymentFeeAboveCap":
      return nodeError(
        "NODE_ERR_PREPAYMENT_FEE_ABOVE_CAP",
        `a prepayment fee of ${a[1]} fen would take loan ${loanId}'s all-in cost above the cap; at most ${a[2]} fen fits today`,
        { feeFen: a[1], maxFeeFen: a[2] },
      );
    case "LedgerPrepaymentMismatch":
      return nodeError(
        "NODE_ERR_PREPAYMENT_MISMATCH",
        `loan ${loanId}'s prepayment takes ${a[2]} fen today, not ${a[1]}`,
        { receivedFen: a[1], owedFen: a[2] },
      );
    default:
      if (revert !== undefined)
        return nodeError(
          "NODE_ERR_CHAIN_REFUSED",
          `the ledger refuses this prepayment of loan ${loanId}: ${revert.name}`,
          { code: revert.name, args: a },
        );
      return nodeError(
        "NODE_ERR_CHAIN_UNAVAILABLE",
        `cannot read what prepays loan ${loanId}: ${(error as Error).message}`,
      );
  }
}
