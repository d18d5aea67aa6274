// Is a flow on chain already, and is it ours? Asked before anything is signed, after a
// transaction reverted, when its contract refuses a duplicate, and when the chain lost blocks: the
// serial, the loan, its state or case, and the flow's event, compared with the entry.
import { concat, sha256, toBeHex, zeroPadValue } from "ethers";
import type { JsonRpcApiProvider, Log, TransactionReceipt } from "ethers";
import type { OutboxArgs, OutboxEntry, OutboxFailure, RegisterLoanArgs } from "./entry.ts";
import { evidenceInterface, ledgerInterface, loanIdOfEntry, onChainSerial, targetOf } from "./entry.ts";
import {
  DisputeResolution,
  EvidenceRegistry,
  JointLoanLedger,
} from "../../../common/chain/generated/contracts.ts";
import type {
  FundsDisbursedEvent,
  PrepaymentReceivedEvent,
  RepaymentReceivedEvent,
} from "../../../common/chain/generated/typechain/lending/JointLoanLedger.ts";
import { LoanState } from "../../../common/chain/generated/enums.ts";
import { pagedLogs } from "../../../common/chain/logs.ts";
import { revertFailure } from "./rpc-errors.ts";

/** The flow's trace on chain: none, ours (done), or someone else's flow holding our serial or loan id. */
export type Effect =
  | { kind: "none" }
  | { kind: "done"; txHash?: string; blockNumber?: number }
  | { kind: "conflict"; failure: OutboxFailure };

export type FlowEffectsOptions = {
  provider: JsonRpcApiProvider;
  /** JointLoanLedger address. */
  ledger: string;
  /** DisputeResolution address (the dispute kinds are "none" without it). */
  disputeResolution?: string | undefined;
  /** EvidenceRegistry address (the evidence kinds are "none" without it). */
  evidenceRegistry?: string | undefined;
  /** Where searches for a flow's events start when the entry has no fromBlock (ledger deployment block). */
  fromBlock?: number | undefined;
  /** eth_getLogs range per request (default 2,000 blocks). */
  logPageBlocks?: number | undefined;
};

/**
 * How a packable kind's flow shows in a receipt: its contract's (`targetOf`) `event`, whose
 * indexed fields after the signature are `topics` — the loan for the ledger's events, the leaf (and
 * the endorsing member) for the registry's — and, where `serial`, whose serial field is the flow's
 * (a registration's is its loan id). Only kinds whose contract refuses them twice are packed: the
 * ledger a used serial or loan id, the registry a registered leaf or a member's second endorsement.
 */
type OwnEvent = { event: string; topics: (entry: OutboxEntry) => string[]; serial: boolean };

const byLoan = (entry: OutboxEntry): string[] => [loanIdOfEntry(entry)];

export const OWN_EVENT = {
  registerLoan: { event: "LoanRegistered", topics: byLoan, serial: false },
  disburse: { event: "FundsDisbursed", topics: byLoan, serial: true },
  repay: { event: "RepaymentReceived", topics: byLoan, serial: true },
  settle: { event: "RepaymentReceived", topics: byLoan, serial: true },
  prepay: { event: "PrepaymentReceived", topics: byLoan, serial: true },
  registerEvidence: {
    event: "EvidenceRegistered",
    topics: (entry) => [leafHashOfEncoding((entry.args as OutboxArgs["registerEvidence"]).leaf)],
    serial: false,
  },
  endorseEvidence: {
    event: "EvidenceEndorsed",
    topics: (entry) => {
      const a = entry.args as OutboxArgs["endorseEvidence"];
      return [a.leafHash, zeroPadValue(toBeHex(a.memberId), 32)];
    },
    serial: false,
  },
} as const satisfies Partial<Record<OutboxEntry["kind"], OwnEvent>>;

const EVENT_SOURCES = { ledger: ledgerInterface, evidence: evidenceInterface } as const;

/** Each packable kind's contract and its event's signature topic, worked out once. */
const OWN_TOPIC = new Map(
  Object.entries(OWN_EVENT as Record<string, OwnEvent>).map(([kind, own]) => {
    const contract = targetOf({ kind: kind as OutboxEntry["kind"] }) as keyof typeof EVENT_SOURCES;
    return [kind, { contract, topic: EVENT_SOURCES[contract].getEvent(own.event)!.topicHash }];
  }),
);

/** RFC 9162's leaf hash of an evidence leaf's encoding: the registry's key for it. */
function leafHashOfEncoding(leaf: string): string {
  return sha256(concat(["0x00", leaf]));
}

/** Reads a flow's trace from the ledger, DisputeResolution and EvidenceRegistry. */
export class FlowEffects {
  readonly #options: FlowEffectsOptions;
  // made once: a contract object parses its whole ABI when it is created, which cost more CPU
  // than the rest of a flow's checks together when it was made afresh for each look
  readonly #ledger: JointLoanLedger;
  #disputes: DisputeResolution | undefined;
  #registry: EvidenceRegistry | undefined;

  constructor(options: FlowEffectsOptions) {
    this.#options = options;
    this.#ledger = JointLoanLedger.at(options.ledger, options.provider);
  }

  /**
   * Whether a mined transaction's receipt holds this entry's own event, logged by the contract its
   * call goes to (a batch's receipt holds the ledger's and the registry's): its loan and serial, or
   * its leaf and member. How a batch's receipt is read call by call. Kinds without one in OWN_EVENT
   * are never packed, and answer true.
   */
  inReceipt(entry: OutboxEntry, receipt: Pick<TransactionReceipt, "logs">): boolean {
    const own = (OWN_EVENT as Partial<Record<string, OwnEvent>>)[entry.kind];
    if (own === undefined) return true;
    const { contract, topic } = OWN_TOPIC.get(entry.kind)!;
    const address = (
      contract === "ledger" ? this.#options.ledger : this.#options.evidenceRegistry
    )?.toLowerCase();
    const topics = own.topics(entry);
    const serial = own.serial ? onChainSerial(entry.serial) : undefined;
    return receipt.logs.some(
      (log) =>
        log.address.toLowerCase() === address &&
        log.topics[0] === topic &&
        topics.every((t, i) => log.topics[i + 1] === t) &&
        (serial === undefined || String(ledgerInterface.parseLog(log)!.args.serial).toLowerCase() === serial),
    );
  }

  /** Is the flow on chain already, and is it ours? */
  async effect(entry: OutboxEntry): Promise<Effect> {
    const loanId = loanIdOfEntry(entry);
    switch (entry.kind) {
      case "escalate": {
        // any member's keeper may have moved the loan there already: the effect is the stage
        const loan = await this.#loan(loanId);
        return loan !== undefined && Number(loan.stage) >= (entry.args as OutboxArgs["escalate"]).stage
          ? { kind: "done" }
          : { kind: "none" };
      }
      case "adoptSettlement": {
        // the agreement whose plan is the loan's schedule: this entry's leaf
        if (this.#options.disputeResolution === undefined) return { kind: "none" };
        const adopted = await this.#disputeView(this.#options.disputeResolution).settlementOf(loanId);
        const leafHash = leafHashOfEncoding((entry.args as OutboxArgs["adoptSettlement"]).leaf);
        return adopted.toLowerCase() === leafHash ? { kind: "done" } : { kind: "none" };
      }
      case "assignCourt":
      case "acceptCase":
      case "recordRuling":
      case "closeCase":
        return this.#caseEffect(entry, loanId);
      case "registerEvidence":
      case "endorseEvidence":
        return this.#evidenceEffect(entry);
      case "registerLoan": {
        const loan = await this.#loan(loanId);
        if (loan === undefined) return { kind: "none" };
        const t = (entry.args as RegisterLoanArgs).terms;
        const same =
          Number(loan.branch) === t.branch &&
          Number(loan.platform) === t.platform &&
          BigInt(loan.principal) === BigInt(t.principal) &&
          Number(loan.aprBps) === t.aprBps &&
          Number(loan.method) === t.method &&
          Number(loan.startDay) === t.startDay &&
          String(loan.borrowerKey).toLowerCase() === t.borrowerKey;
        if (!same)
          return {
            kind: "conflict",
            failure: {
              code: "LedgerDuplicateLoan",
              args: [loanId],
              message: "a loan with this id and other terms is on chain",
            },
          };
        const log = await this.#findLog(entry, "LoanRegistered", loanId, () => true);
        return {
          kind: "done",
          ...(log === undefined ? {} : { txHash: log.transactionHash, blockNumber: log.blockNumber }),
        };
      }
      case "grantMandate":
      case "revokeMandate": {
        // the mandate as the ledger holds it: granted with this expiry, or gone
        const [, expiresAt] = await this.#ledgerView().mandate(
          loanId,
          (entry.args as OutboxArgs["grantMandate"] | OutboxArgs["revokeMandate"]).agent,
        );
        const want =
          entry.kind === "grantMandate" ? BigInt((entry.args as OutboxArgs["grantMandate"]).expiresAt) : 0n;
        return BigInt(expiresAt) === want ? { kind: "done" } : { kind: "none" };
      }
      case "setOwnBranchLimits": {
        // the quotas as the ledger holds them: these three values
        const a = entry.args as OutboxArgs["setOwnBranchLimits"];
        const l = await this.#ledgerView().branchLimits(a.branch);
        const same =
          BigInt(l.singleLoanMax) === BigInt(a.singleLoanMax) &&
          BigInt(l.dailyDisbursementLimit) === BigInt(a.dailyDisbursementLimit) &&
          BigInt(l.outstandingLimit) === BigInt(a.outstandingLimit);
        return same ? { kind: "done" } : { kind: "none" };
      }
      case "agreeIncomeSplit": {
        // the split as the ledger holds it: agreed at this share
        const [agreed, bps] = await this.#ledgerView().incomeShare(loanId);
        return agreed && Number(bps) === (entry.args as OutboxArgs["agreeIncomeSplit"]).platformIncomeShareBps
          ? { kind: "done" }
          : { kind: "none" };
      }
      // an expiry is done once the loan is cancelled, whoever did it (another keeper, its branch)
      case "expireLoan":
      case "cancelLoan": {
        const loan = await this.#loan(loanId);
        if (loan === undefined || Number(loan.state) !== LoanState.Cancelled) return { kind: "none" };
        const log = await this.#findLog(entry, "LoanCancelled", loanId, () => true);
        return {
          kind: "done",
          ...(log === undefined ? {} : { txHash: log.transactionHash, blockNumber: log.blockNumber }),
        };
      }
      case "prepay": {
        const a = entry.args as OutboxArgs["prepay"];
        return this.#serialEffect(
          entry,
          loanId,
          "PrepaymentReceived",
          (args: PrepaymentReceivedEvent.OutputObject) =>
            BigInt(args.principal) === BigInt(a.principal) &&
            Number(args.mode) === a.mode &&
            BigInt(args.fee) === BigInt(a.fee) &&
            BigInt(args.principalPaid) + BigInt(args.interest) + BigInt(args.fee) === BigInt(a.amount) &&
            String(args.voucher).toLowerCase() === a.voucher,
          "other loan, amount, mode or voucher",
        );
      }
      case "disburse":
        return this.#serialEffect(
          entry,
          loanId,
          "FundsDisbursed",
          (args: FundsDisbursedEvent.OutputObject) =>
            disbursedOurs(args, entry.args as OutboxArgs["disburse"]),
          "other loan, amount or voucher",
        );
      // a settlement is booked like a repayment: one RepaymentReceived with its serial
      case "repay":
      case "settle":
        return this.#serialEffect(
          entry,
          loanId,
          "RepaymentReceived",
          (args: RepaymentReceivedEvent.OutputObject) => repaidOurs(args, entry.args as OutboxArgs["repay"]),
          "other loan, amount or voucher",
        );
    }
  }

  /**
   * A fund flow's trace: its on-chain serial used, and the `event` carrying that serial matching
   * the entry (`ours`). A serial used by any other flow (`differs` says how) is a conflict.
   */
  async #serialEffect<T>(
    entry: OutboxEntry,
    loanId: string,
    event: string,
    ours: (args: T) => boolean,
    differs: string,
  ): Promise<Effect> {
    const serial = onChainSerial(entry.serial);
    const used = await this.#ledgerView().serialUsed(serial);
    if (!used) return { kind: "none" };
    const log = await this.#findLog(
      entry,
      event,
      loanId,
      (args) => String(args.serial).toLowerCase() === serial,
    );
    if (log !== undefined && ours(ledgerInterface.parseLog(log)!.args.toObject() as T))
      return { kind: "done", txHash: log.transactionHash, blockNumber: log.blockNumber };
    return {
      kind: "conflict",
      failure: {
        code: "LedgerDuplicateSerial",
        args: [serial],
        message: `the serial was used on chain by another flow (${differs})`,
      },
    };
  }

  /**
   * A court write's trace in the loan's current case (DisputeResolution.caseOf): the court
   * assigned, the acceptance or closing time set, the ruling recorded (another ruling: conflict).
   */
  async #caseEffect(entry: OutboxEntry, loanId: string): Promise<Effect> {
    if (this.#options.disputeResolution === undefined) return { kind: "none" };
    const c = await this.#disputeView(this.#options.disputeResolution).caseOf(loanId);
    if (/^0x0{64}$/.test(c.caseId)) return { kind: "none" };
    switch (entry.kind) {
      case "assignCourt":
        return Number(c.court) === (entry.args as OutboxArgs["assignCourt"]).court
          ? { kind: "done" }
          : { kind: "none" };
      case "acceptCase":
        return c.acceptedAt !== 0n ? { kind: "done" } : { kind: "none" };
      case "closeCase":
        return c.closedAt !== 0n ? { kind: "done" } : { kind: "none" };
      default: {
        const ruling = String(c.ruling).toLowerCase();
        if (/^0x0{64}$/.test(ruling)) return { kind: "none" };
        if (ruling === (entry.args as OutboxArgs["recordRuling"]).ruling) return { kind: "done" };
        return {
          kind: "conflict",
          failure: {
            code: "DisputeRulingConflict",
            args: [loanId, ruling],
            message: "another ruling is recorded for this case",
          },
        };
      }
    }
  }

  /**
   * An evidence write's trace in the EvidenceRegistry: the leaf registered (by anyone allowed to:
   * its submitter or a court, the same record either way), or this member among its endorsers.
   */
  async #evidenceEffect(entry: OutboxEntry): Promise<Effect> {
    const address = this.#options.evidenceRegistry;
    if (address === undefined) return { kind: "none" };
    this.#registry ??= EvidenceRegistry.at(address, this.#options.provider);
    const registry = this.#registry;
    if (entry.kind === "endorseEvidence") {
      const a = entry.args as OutboxArgs["endorseEvidence"];
      const endorsers = await registry.endorsers(a.leafHash);
      return endorsers.some((m) => Number(m) === a.memberId) ? { kind: "done" } : { kind: "none" };
    }
    // the leaf hash is RFC 9162's over the encoding the entry sends
    const leafHash = leafHashOfEncoding((entry.args as OutboxArgs["registerEvidence"]).leaf);
    const status = await registry.status(leafHash);
    return Number(status.state) === 0 ? { kind: "none" } : { kind: "done" };
  }

  /** The ledger's views, read through this sender's provider. */
  #ledgerView(): JointLoanLedger {
    return this.#ledger;
  }

  /** DisputeResolution's views, read through this sender's provider. */
  #disputeView(address: string): DisputeResolution {
    this.#disputes ??= DisputeResolution.at(address, this.#options.provider);
    return this.#disputes;
  }

  /** loan(loanId), or undefined if the ledger does not know it. */
  async #loan(loanId: string): Promise<Awaited<ReturnType<JointLoanLedger["loan"]>> | undefined> {
    try {
      return await this.#ledgerView().loan(loanId);
    } catch (error) {
      if (revertFailure(error)?.code === "LedgerUnknownLoan") return undefined;
      throw error;
    }
  }

  /** The first `event` of `loanId` that `match`es, searched from the entry's fromBlock in pages. */
  async #findLog(
    entry: OutboxEntry,
    event: string,
    loanId: string,
    match: (args: Record<string, unknown>) => boolean,
  ): Promise<Log | undefined> {
    const fragment = ledgerInterface.getEvent(event)!;
    const topics = [fragment.topicHash, loanId];
    const latest = await this.#options.provider.getBlockNumber();
    const page = this.#options.logPageBlocks ?? 2_000;
    // a fromBlock above the head means the chain lost blocks since: search all of the ledger's life
    const from =
      entry.fromBlock !== undefined && entry.fromBlock <= latest
        ? entry.fromBlock
        : (this.#options.fromBlock ?? 0);
    for await (const logs of pagedLogs(
      this.#options.provider,
      { address: this.#options.ledger, topics },
      { fromBlock: from, toBlock: latest, pageBlocks: page },
    )) {
      for (const log of logs) {
        const parsed = ledgerInterface.parseLog(log);
        if (parsed !== null && match(parsed.args)) return log;
      }
    }
    return undefined;
  }
}

function disbursedOurs(args: FundsDisbursedEvent.OutputObject, a: OutboxArgs["disburse"]): boolean {
  return (
    args.amount === BigInt(a.amount) &&
    args.accountHash.toLowerCase() === a.accountHash &&
    args.voucher.toLowerCase() === a.voucher
  );
}

function repaidOurs(args: RepaymentReceivedEvent.OutputObject, a: OutboxArgs["repay"]): boolean {
  return (
    args.penalty + args.interest + args.principal === BigInt(a.amount) &&
    args.voucher.toLowerCase() === a.voucher
  );
}
