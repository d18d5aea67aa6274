// Partial prepayment (提前部分还款): the borrower pays part of the principal early, any day while
// the installment in progress is untouched and not late, with interest accrued to the day on the
// part prepaid and any prepayment fee; the rest of the schedule then either ends sooner with the
// same installments (shorten-term, 缩短期限) or keeps its term with lower installments
// (lower-installments, 减少月供), the borrower's choice, recomputed and recorded on chain
// (JointLoanLedger.prepay / prepaymentOwed, LoanRescheduled). The node quotes from the chain's
// own figures, refuses before anything is written what the ledger would refuse (with its
// values), anchors the voucher and sends `prepay` through the outbox, exactly once by serial.
import { createHash, randomBytes } from "node:crypto";
import type { Provider } from "ethers";
import { pagedLogs } from "../../common/chain/logs.ts";
import { decodeRevert } from "../../common/chain/revert.ts";
import { dayToDate } from "../../common/lending/dates.ts";
import { DigestAlgorithm, EvidenceKind } from "../../common/formats/leaf/leaf.ts";
import type { AnchorEvidence } from "./bureau/consent.ts";
import type { DocumentStore } from "./documents/document-store.ts";
import { nodeError } from "./errors.ts";
import type { Loan } from "./indexer/model.ts";
import { LOAN_STATES } from "./indexer/model.ts";
import { OutboxError } from "./outbox/errors.ts";
import type { Outbox } from "./outbox/outbox.ts";
import { ledgerInterface, type OutboxEntry, type PrepayArgs } from "./outbox/entry.ts";

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
  /** eth_call on the ledger. */
  call: (data: string) => Promise<string>;
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

type ChainLoan = { branch: number; state: (typeof LOAN_STATES)[number] };

export class PrepaymentOperations {
  readonly deps: PrepaymentDeps;

  constructor(deps: PrepaymentDeps) {
    this.deps = deps;
  }

  /** What prepaying `principalFen` in `mode` takes today and the schedule it leaves, as the ledger computes it. */
  async quote(loanId: string, input: PrepaymentInput): Promise<PrepaymentQuote> {
    const id = loanId.toLowerCase();
    const loan = await this.#chainLoan(id);
    if (loan.state !== "Active")
      throw nodeError("NODE_ERR_LOAN_STATE", `loan ${id} is ${loan.state}; only an active loan is prepaid`, {
        state: loan.state,
      });
    const feeFen = input.feeFen ?? 0n;
    const mode = PREPAYMENT_MODES.indexOf(input.mode);
    let owed: [bigint, bigint, bigint, Array<{ dueDay: bigint; principal: bigint; interest: bigint }>];
    let today: bigint;
    let progress: { nextInstallment: bigint };
    try {
      owed = ledgerInterface.decodeFunctionResult(
        "prepaymentOwed",
        await this.deps.call(
          ledgerInterface.encodeFunctionData("prepaymentOwed", [id, input.principalFen, mode, feeFen]),
        ),
      ) as unknown as typeof owed;
      [today] = ledgerInterface.decodeFunctionResult(
        "today",
        await this.deps.call(ledgerInterface.encodeFunctionData("today", [])),
      ) as unknown as [bigint];
      [progress] = ledgerInterface.decodeFunctionResult(
        "progress",
        await this.deps.call(ledgerInterface.encodeFunctionData("progress", [id])),
      ) as unknown as [typeof progress];
    } catch (error) {
      throw refusalOf(id, decodeRevert(error, [ledgerInterface]), error);
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
    const existing = await this.deps.outbox.status(input.serial);
    if (existing !== undefined) {
      const args = existing.args as PrepayArgs;
      const same =
        existing.kind === "prepay" &&
        args.loanId === id &&
        args.principal === input.principalFen.toString() &&
        args.mode === mode &&
        args.fee === feeFen.toString();
      if (same && (input.receivedFen === undefined || args.amount === input.receivedFen.toString()))
        return { serial: input.serial, voucher: args.voucher, outbox: existing };
      throw new OutboxError(
        "NODE_ERR_OUTBOX_CONFLICT",
        `serial ${input.serial} is already used by a ${existing.kind} entry with other arguments; a new flow needs a new serial`,
        { serial: input.serial, existing: { kind: existing.kind, state: existing.state } },
      );
    }
    await this.#requireServicer(id, await this.#chainLoan(id));
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
    const voucherBytes = Buffer.from(JSON.stringify(voucher));
    const digest = `0x${createHash("sha256").update(voucherBytes).digest("hex")}`;
    const flow = {
      serial: input.serial,
      kind: "prepay" as const,
      args: {
        loanId: id,
        principal: input.principalFen,
        mode,
        fee: feeFen,
        amount: quote.totalFen,
        voucher: digest,
      },
    };
    // a serial taken meanwhile by another flow is refused before the voucher is stored or anchored
    await this.deps.outbox.refuseConflict(flow);
    await this.deps.documents.put({
      kind: "voucher",
      bytes: voucherBytes,
      loanId: id,
      owner: this.deps.memberId,
      meta: { serial: input.serial },
    });
    await this.deps.anchor([
      {
        kind: EvidenceKind.FundFlowVoucher,
        digestAlgorithm: DigestAlgorithm.Sha256,
        digest,
        salt: `0x${randomBytes(32).toString("hex")}`,
        subject: id,
      },
    ]);
    const entry: OutboxEntry = await this.deps.outbox.enqueue(flow);
    return { serial: input.serial, voucher: digest, outbox: entry, quote };
  }

  /**
   * The loan's output: its schedule as the chain states it now (rewritten by each prepayment) and
   * its prepayments (PrepaymentReceived events); null while the chain cannot be read.
   */
  async loanDetail(
    loan: Pick<Loan, "loanId" | "registeredBlock">,
  ): Promise<{ schedule: unknown; prepayments: unknown }> {
    try {
      const [installments] = ledgerInterface.decodeFunctionResult(
        "schedule",
        await this.deps.call(ledgerInterface.encodeFunctionData("schedule", [loan.loanId])),
      ) as unknown as [Array<{ dueDay: bigint; principal: bigint; interest: bigint }>];
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
        topics: [ledgerInterface.getEvent("PrepaymentReceived")!.topicHash, loan.loanId],
      };
      for await (const page of pagedLogs(this.deps.provider, filter, {
        fromBlock: loan.registeredBlock,
        pageBlocks: this.deps.logPageBlocks,
      })) {
        for (const log of page) {
          const a = ledgerInterface.parseLog(log)!.args as unknown as {
            serial: string;
            mode: bigint;
            principal: bigint;
            principalPaid: bigint;
            interest: bigint;
            fee: bigint;
          };
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

  async #chainLoan(loanId: string): Promise<ChainLoan> {
    let loan: { branch: bigint; state: bigint };
    try {
      [loan] = ledgerInterface.decodeFunctionResult(
        "loan",
        await this.deps.call(ledgerInterface.encodeFunctionData("loan", [loanId])),
      ) as unknown as [typeof loan];
    } catch (error) {
      if (decodeRevert(error, [ledgerInterface])?.name === "LedgerUnknownLoan")
        throw nodeError("NODE_ERR_UNKNOWN_LOAN", `the ledger has no loan ${loanId}`);
      throw nodeError(
        "NODE_ERR_CHAIN_UNAVAILABLE",
        `cannot read loan ${loanId} from the ledger: ${(error as Error).message}`,
      );
    }
    return { branch: Number(loan.branch), state: LOAN_STATES[Number(loan.state)] ?? "None" };
  }

  /** The ledger takes a prepayment from the loan's branch or a member holding its unexpired mandate: refused here first. */
  async #requireServicer(loanId: string, loan: ChainLoan): Promise<void> {
    if (loan.branch === this.deps.memberId) return;
    const me = (await this.deps.account()).toLowerCase();
    let branch: bigint, expiresAt: bigint, now: number;
    try {
      [branch, expiresAt] = ledgerInterface.decodeFunctionResult(
        "mandate",
        await this.deps.call(ledgerInterface.encodeFunctionData("mandate", [loanId, me])),
      ) as unknown as [bigint, bigint];
      now = await this.deps.chainNow();
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
      { branch: loan.branch, agent: me, expiresAt: Number(expiresAt) },
    );
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
