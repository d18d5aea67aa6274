// Servicing a loan on the ledger, shared by the rooms that move money or change a loan's terms
// (fund-flows.ts, prepayment.ts, income-split.ts, mandates.ts, branch-limits.ts): the loan as
// JointLoanLedger states it now, who may service it (its branch, or a member whose operations
// account holds the branch's unexpired mandate), the voucher a money movement anchors before it
// is written, and a chain write awaited through the outbox. Each check refuses what the ledger
// would refuse, with the ledger's values, before anything is written.
import { createHash, randomBytes } from "node:crypto";
import type { JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import { LOAN_STATES, type LoanStateName } from "../../common/chain/generated/enums.ts";
import { decodeRevert } from "../../common/chain/revert.ts";
import { DigestAlgorithm, EvidenceKind } from "../../common/formats/leaf/leaf.ts";
import type { AnchorEvidence } from "./bureau/consent.ts";
import type { DocumentStore } from "./documents/document-store.ts";
import { nodeError, type NodeError, OutboxError } from "./errors.ts";
import type { EnqueueInput, OutboxEntry, OutboxFailure } from "./outbox/entry.ts";
import type { Outbox } from "./outbox/outbox.ts";

/** A loan as the ledger's `loan(loanId)` view states it (the fields the node's checks read). */
export type LedgerLoan = { branch: number; platform: number; state: LoanStateName; disbursedMask: number };

/** The ledger's `loan(loanId)` view now; NODE_ERR_UNKNOWN_LOAN if it has none, NODE_ERR_CHAIN_UNAVAILABLE if it cannot be read. */
export async function readLedgerLoan(
  ledger: Pick<JointLoanLedger, "loan">,
  loanId: string,
): Promise<Awaited<ReturnType<JointLoanLedger["loan"]>>> {
  try {
    return await ledger.loan(loanId);
  } catch (error) {
    if (decodeRevert(error)?.name === "LedgerUnknownLoan")
      throw nodeError("NODE_ERR_UNKNOWN_LOAN", `the ledger has no loan ${loanId}`);
    throw nodeError(
      "NODE_ERR_CHAIN_UNAVAILABLE",
      `cannot read loan ${loanId} from the ledger: ${(error as Error).message}`,
    );
  }
}

/** The loan as the ledger states it now; NODE_ERR_UNKNOWN_LOAN if it has none. */
export async function ledgerLoan(ledger: Pick<JointLoanLedger, "loan">, loanId: string): Promise<LedgerLoan> {
  const loan = await readLedgerLoan(ledger, loanId);
  return {
    branch: Number(loan.branch),
    platform: Number(loan.platform),
    state: LOAN_STATES[Number(loan.state)] ?? "None",
    disbursedMask: Number(loan.disbursedMask),
  };
}

export type ServicerDeps = {
  memberId: number;
  /** JointLoanLedger, read-only: the mandate this node's account holds. */
  ledger: Pick<JointLoanLedger, "mandate">;
  /** This node's operations account (the mandate's agent). */
  account: () => Promise<string>;
  /** Unix seconds of the chain's latest block: the clock the ledger compares a mandate's expiry with. */
  chainNow: () => Promise<number>;
};

/**
 * The ledger takes settlements, prepayments and cancellations only from the loan's branch or
 * from a member holding the branch's unexpired mandate for the loan (the union's node,
 * typically): NODE_ERR_NO_MANDATE here first, nothing written.
 */
export async function requireServicer(deps: ServicerDeps, loanId: string, loan: LedgerLoan): Promise<void> {
  if (loan.branch === deps.memberId) return;
  const me = (await deps.account()).toLowerCase();
  let branch: bigint, expiresAt: bigint, now: number;
  try {
    [branch, expiresAt] = await deps.ledger.mandate(loanId, me);
    now = await deps.chainNow();
  } catch (error) {
    throw nodeError(
      "NODE_ERR_CHAIN_UNAVAILABLE",
      `cannot read this node's mandate for loan ${loanId}: ${(error as Error).message}`,
    );
  }
  if (Number(branch) === loan.branch && Number(expiresAt) > now) return;
  throw nodeError(
    "NODE_ERR_NO_MANDATE",
    `loan ${loanId} is serviced by branch ${loan.branch}; this node (member ${deps.memberId}, account ${me}) holds no unexpired mandate for it`,
    { branch: loan.branch, agent: me, expiresAt: Number(expiresAt) },
  );
}

/**
 * A loan with no money out (registered, nothing disbursed), as the ledger requires before a
 * cancellation or an income split: NODE_ERR_LOAN_DISBURSED (why: what money out means for it),
 * else NODE_ERR_LOAN_STATE (only a registered loan `takes`).
 */
export function requireUndisbursed(
  loanId: string,
  loan: LedgerLoan,
  words: { disbursed: string; onlyRegistered: string },
): void {
  if (loan.state === "Active" || loan.state === "Settled" || loan.disbursedMask !== 0) {
    throw nodeError(
      "NODE_ERR_LOAN_DISBURSED",
      `loan ${loanId} is ${loan.state}${loan.state === "Registered" ? " and partly disbursed" : ""}: ${words.disbursed}`,
      { state: loan.state, disbursedMask: loan.disbursedMask },
    );
  }
  if (loan.state !== "Registered")
    throw nodeError(
      "NODE_ERR_LOAN_STATE",
      `loan ${loanId} is ${loan.state}; only a registered loan ${words.onlyRegistered}`,
      { state: loan.state },
    );
}

/** The ledger refusals that mean a write came after money moved (LoanState: 2 Active, 3 Settled). */
export function refusedAsDisbursed(failure: { code: string; args: unknown[] } | undefined): boolean {
  if (failure === undefined) return false;
  if (failure.code === "LedgerPartlyDisbursed") return true;
  return failure.code === "LedgerWrongState" && ["2", "3"].includes(String(failure.args[1]));
}

/**
 * A flow's serial already in the outbox: its answer again when `same` says the retry asks for
 * the same thing, NODE_ERR_OUTBOX_CONFLICT otherwise; undefined when the serial is new.
 */
export async function retriedFlow(
  outbox: Pick<Outbox, "status">,
  serial: string,
  same: (entry: OutboxEntry) => boolean,
): Promise<{ serial: string; voucher: string; outbox: OutboxEntry } | undefined> {
  const existing = await outbox.status(serial);
  if (existing === undefined) return undefined;
  if (same(existing))
    return { serial, voucher: (existing.args as { voucher: string }).voucher, outbox: existing };
  throw new OutboxError(
    "NODE_ERR_OUTBOX_CONFLICT",
    `serial ${serial} is already used by a ${existing.kind} entry with other arguments; a new flow needs a new serial`,
    { serial, existing: { kind: existing.kind, state: existing.state } },
  );
}

/** A flow's place in a sequence (a batch file's rows of one loan): queue after `after`, then say `queued()`. */
export type QueueTurn = { after: Promise<void>; queued: () => void };

export type VoucherDeps = {
  memberId: number;
  outbox: Outbox;
  documents: Pick<DocumentStore, "put">;
  /** Anchors evidence records (vouchers) through the anchor service. */
  anchor: AnchorEvidence;
};

/**
 * A money movement's voucher kept and anchored, then its flow written through the outbox: a
 * serial taken by another flow is refused before the voucher is stored or anchored. The flow
 * carries the voucher's SHA-256 digest. With a `turn`, the flow is queued only once `turn.after`
 * resolves (its rejection is thrown), and `turn.queued()` is called as the enqueue is (the
 * outbox takes the order at the call): a batch's flows keep their order while their vouchers
 * are anchored, and their entries written, together.
 */
export async function writeWithVoucher(
  deps: VoucherDeps,
  loanId: string,
  voucher: Record<string, unknown> & { serial: string },
  flowOf: (digest: string) => EnqueueInput,
  turn?: QueueTurn,
): Promise<{ voucher: string; outbox: OutboxEntry }> {
  const bytes = Buffer.from(JSON.stringify(voucher));
  const digest = `0x${createHash("sha256").update(bytes).digest("hex")}`;
  const flow = flowOf(digest);
  await deps.outbox.refuseConflict(flow);
  await deps.documents.put({
    kind: "voucher",
    bytes,
    loanId,
    owner: deps.memberId,
    meta: { serial: voucher.serial },
  });
  await deps.anchor([
    {
      kind: EvidenceKind.FundFlowVoucher,
      digestAlgorithm: DigestAlgorithm.Sha256,
      digest,
      salt: `0x${randomBytes(32).toString("hex")}`,
      subject: loanId,
    },
  ]);
  await turn?.after;
  const entry = deps.outbox.enqueue(flow);
  turn?.queued();
  return { voucher: digest, outbox: await entry };
}

/**
 * A chain write through the outbox, awaited: its confirmed entry; a refusal as `refusal` names it
 * (default NODE_ERR_CHAIN_REFUSED with the ledger's code and values); NODE_ERR_OUTBOX_PENDING
 * when the chain has not answered within `timeoutMs` (the entry completes on its own).
 */
export async function awaitChainWrite(
  outbox: Pick<Outbox, "enqueue" | "settled">,
  flow: EnqueueInput,
  options: { what: string; timeoutMs?: number; refusal?: (failure: OutboxFailure) => NodeError | undefined },
): Promise<OutboxEntry> {
  await outbox.enqueue(flow);
  const entry = await outbox.settled(flow.serial, options.timeoutMs ?? 60_000);
  if (entry.state === "failed") {
    const named = entry.failure === undefined ? undefined : options.refusal?.(entry.failure);
    throw (
      named ??
      nodeError(
        "NODE_ERR_CHAIN_REFUSED",
        `the chain refused ${options.what}: ${entry.failure?.code}`,
        entry.failure,
      )
    );
  }
  if (entry.state !== "confirmed")
    throw nodeError(
      "NODE_ERR_OUTBOX_PENDING",
      `${options.what} is still ${entry.state} in the outbox (serial ${flow.serial}); it completes on its own`,
      { serial: flow.serial },
    );
  return entry;
}
