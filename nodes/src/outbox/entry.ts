// What an outbox entry is: one chain write of this node, named by its serial number, with its
// arguments in a JSON-safe canonical form (bigints as decimal strings, hex in lower case), so
// the stored entry is exactly what will be sent and two requests compare by their JSON. Also the
// calldata each kind becomes (and which contract it goes to), and the on-chain serial derived
// from the human one.
import { keccak256, toUtf8Bytes, type Interface } from "ethers";
import { z } from "zod";
import {
  DisputeResolution,
  EvidenceRegistry,
  JointLoanLedger,
} from "../../../common/chain/generated/contracts.ts";
import { loanIdOf } from "../../../common/lending/ids.ts";
import { OutboxError } from "../errors.ts";

/** JointLoanLedger writes, then DisputeResolution writes (the overdue road to a court). */
export const LEDGER_KINDS = [
  "registerLoan",
  "disburse",
  "repay",
  "cancelLoan",
  "settle",
  "expireLoan",
  "grantMandate",
  "revokeMandate",
  "setOwnBranchLimits",
  "agreeIncomeSplit",
  "prepay",
] as const;
export const DISPUTE_KINDS = [
  "escalate",
  "assignCourt",
  "acceptCase",
  "recordRuling",
  "closeCase",
  "adoptSettlement",
] as const;
/** EvidenceRegistry writes: a signed contract's leaf registered by its submitter, endorsed by a co-funder. */
export const EVIDENCE_KINDS = ["registerEvidence", "endorseEvidence"] as const;
export const OUTBOX_KINDS = [...LEDGER_KINDS, ...DISPUTE_KINDS, ...EVIDENCE_KINDS] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];
export type DisputeKind = (typeof DISPUTE_KINDS)[number];

/**
 * queued: waiting to be sent (or to be sent again: nothing of it can be mined any more).
 * sent: a signed transaction is recorded and may be in flight; the chain decides.
 * confirmed: the flow is on chain (final). failed: the chain refused it (final; see README).
 */
export const OUTBOX_STATES = ["queued", "sent", "confirmed", "failed"] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Why the chain refused a flow: the custom error's name and its arguments (bigints as strings). */
export type OutboxFailure = { code: string; args: JsonValue[]; message?: string };

// ------------------------------------------------------------------ validation

/** Printable ASCII without spaces: serials are keys in LevelDB and in the banks' own systems. */
const SERIAL = /^[\x21-\x7e]{1,128}$/;

const bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits (32 bytes)")
  .transform((s) => s.toLowerCase());

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be 0x followed by 40 hex digits (an account address)")
  .transform((s) => s.toLowerCase());

function uintNumber(bits: number) {
  return z
    .int()
    .min(0)
    .max(2 ** bits - 1);
}

/** A bigint, a decimal string or a safe integer, stored as a decimal string. */
function uintString(bits: number) {
  const max = (1n << BigInt(bits)) - 1n;
  return z
    .union([z.bigint(), z.string().regex(/^(0|[1-9][0-9]*)$/, "must be a decimal integer"), z.int().min(0)])
    .transform((v) => BigInt(v))
    .refine((v) => v >= 0n && v <= max, `must be an integer from 0 to 2^${bits} - 1`)
    .transform((v) => v.toString());
}

/** An evidence leaf's 224-byte encoding (common/formats/leaf/LEAF.md). */
const leafEncoding = z
  .string()
  .regex(/^0x[0-9a-fA-F]{448}$/, "must be the leaf's 224-byte encoding")
  .transform((v) => v.toLowerCase());

const LoanTermsInput = z.strictObject({
  originator: uintNumber(32),
  /** keccak256(utf8(serial)): the entry's serial is the application serial (may be left out). */
  applicationSerial: bytes32.optional(),
  borrowerKey: bytes32,
  borrowerRegion: uintNumber(32),
  branch: uintNumber(32),
  platform: uintNumber(32),
  funders: z.array(z.strictObject({ memberId: uintNumber(32), shareBps: uintNumber(16) })).min(1),
  principal: uintString(64),
  aprBps: uintNumber(16),
  method: uintNumber(8),
  startDay: uintNumber(16),
  schedule: z
    .array(z.strictObject({ dueDay: uintNumber(16), principal: uintString(32), interest: uintString(32) }))
    .min(1),
  /** installment 0 = at disbursement, k = with installment k (IJointLoanLedger.Fee). */
  fees: z
    .array(z.strictObject({ installment: uintNumber(8), amount: uintString(32) }))
    .max(120)
    .default([]),
  contractLeaf: bytes32,
  consentLeaf: bytes32,
  /** Salted hash of the account every disbursement goes to (bound on chain at registration). */
  receivingAccount: bytes32,
});

/** Each kind's arguments; their output is the stored, canonical form (see the types below). */
const ARGS = {
  /** `platformAgreement`: a joint loan's platform signature (common/lending/agreement.ts), "0x" for none. */
  registerLoan: z.strictObject({
    terms: LoanTermsInput,
    platformAgreement: z
      .string()
      .regex(/^0x([0-9a-fA-F]{130})?$/, "0x, or 0x and a 65-byte signature")
      .transform((v) => v.toLowerCase())
      .default("0x"),
  }),
  /** The funder is whoever signs: the node's own member; `accountHash` is its own settlement account the money leaves (the destination is the loan's bound receiving account). */
  disburse: z.strictObject({
    loanId: bytes32,
    amount: uintString(256),
    accountHash: bytes32,
    voucher: bytes32,
  }),
  repay: z.strictObject({ loanId: bytes32, amount: uintString(256), voucher: bytes32 }),
  cancelLoan: z.strictObject({ loanId: bytes32, reasonCode: uintNumber(16) }),
  /** Early settlement in full: `amount` must be the ledger's settlementOwed on the day it is mined. */
  settle: z.strictObject({ loanId: bytes32, amount: uintString(256), voucher: bytes32 }),
  /** A keeper expiring a loan that missed its start day undisbursed (any member may). */
  expireLoan: z.strictObject({ loanId: bytes32 }),
  /** The branch lets `agent` (another member's operations account) service one loan until `expiresAt` (unix seconds). */
  grantMandate: z.strictObject({ loanId: bytes32, agent: address, expiresAt: uintNumber(40).min(1) }),
  revokeMandate: z.strictObject({ loanId: bytes32, agent: address }),
  /** The branch's own quotas in fen, sent with its governance key; `branch` is for finding the effect only (the ledger takes the caller's). */
  setOwnBranchLimits: z.strictObject({
    branch: uintNumber(32).min(1),
    singleLoanMax: uintString(64),
    dailyDisbursementLimit: uintString(64),
    outstandingLimit: uintString(64),
  }),
  /** A joint loan's agreed income split, with the platform's EIP-712 IncomeSplit signature (done once incomeShare shows it). */
  agreeIncomeSplit: z.strictObject({
    loanId: bytes32,
    platformIncomeShareBps: z.int().min(0).max(10_000),
    platformSignature: z
      .string()
      .regex(/^0x[0-9a-fA-F]{130}$/, "0x and a 65-byte signature")
      .transform((v) => v.toLowerCase()),
  }),
  /**
   * A partial prepayment: `principal` off the open principal, `mode` IJointLoanLedger.PrepaymentMode
   * (0 shorten the term, 1 lower the installments), `fee` the prepayment fee; `amount` must be the
   * ledger's prepaymentOwed (interest + principal paid + fee) on the day it is mined.
   */
  prepay: z.strictObject({
    loanId: bytes32,
    principal: uintString(256),
    mode: z.int().min(0).max(1),
    fee: uintString(256),
    amount: uintString(256),
    voucher: bytes32,
  }),
  // stages 1..3 are the ones escalate can reach (Reminder, Mediation, Arbitration)
  /** `stage`: the stage the keeper expects the call to reach (done once the loan is there or beyond). */
  escalate: z.strictObject({ loanId: bytes32, stage: z.int().min(1).max(3) }),
  assignCourt: z.strictObject({ loanId: bytes32, court: uintNumber(32).min(1) }),
  acceptCase: z.strictObject({ loanId: bytes32 }),
  recordRuling: z.strictObject({
    loanId: bytes32,
    ruling: bytes32.refine((v) => !/^0x0{64}$/.test(v), "a ruling digest must not be zero"),
  }),
  closeCase: z.strictObject({ loanId: bytes32 }),
  /**
   * A mediation's accepted plan adopted as the loan's schedule by its branch: the signed
   * agreement's registered leaf (224-byte encoding), the plan's start day and its installments.
   */
  adoptSettlement: z.strictObject({
    loanId: bytes32,
    leaf: leafEncoding,
    startDay: uintNumber(16),
    installments: z
      .array(z.strictObject({ dueDay: uintNumber(16), principal: uintString(32), interest: uintString(32) }))
      .min(1)
      .max(60),
  }),
  /**
   * An anchored leaf about `loanId` registered in the EvidenceRegistry by its submitter: the leaf's
   * 224-byte encoding and its inclusion proof against the committed head of `treeSize` leaves.
   */
  registerEvidence: z.strictObject({
    loanId: bytes32,
    leaf: leafEncoding,
    logId: bytes32,
    treeSize: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
    leafIndex: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
    proof: z.array(bytes32).max(64),
  }),
  /** `memberId` endorses the registered leaf `leafHash` about `loanId` (the member is for finding the effect: the registry takes the caller's). */
  endorseEvidence: z.strictObject({ loanId: bytes32, leafHash: bytes32, memberId: uintNumber(32).min(1) }),
} as const;

// The stored arguments of each kind: what its schema puts out (amounts as decimal strings, hex
// in lower case), the registerLoan application serial always in place.
type ArgsOf<K extends OutboxKind> = z.output<(typeof ARGS)[K]>;

export type LoanTermsArgs = Omit<z.output<typeof LoanTermsInput>, "applicationSerial"> & {
  applicationSerial: string;
};
export type RegisterLoanArgs = { terms: LoanTermsArgs; platformAgreement: string };

export type OutboxArgs = { [K in OutboxKind]: K extends "registerLoan" ? RegisterLoanArgs : ArgsOf<K> };

export type OutboxEntry<K extends OutboxKind = OutboxKind> = {
  /** The human serial; on chain keccak256(utf8(serial)) (the application serial of a registerLoan). */
  serial: string;
  kind: K;
  args: OutboxArgs[K];
  state: OutboxState;
  /** Position in the outbox: entries are sent in this order. */
  seq: number;
  /** The transaction that is (or was) in flight or landed. */
  txHash?: string;
  nonce?: number;
  /**
   * Signed bytes kept in the entry itself. The sender records a transaction's bytes once, beside the
   * entries (Outbox.signedBytes reads them by txHash); an entry holds its own only when written by an
   * older store, or when another transaction carried its flow (then they are those of its own
   * recorded one, kept for a rewind).
   */
  rawTx?: string;
  /** Chain head just before the first send: where a search for the flow's events starts. */
  fromBlock?: number;
  /** Times the sender has worked on the entry (sends and failed tries). */
  attempts: number;
  /** Transactions of this entry that were mined but reverted (see the sender's revert handling). */
  reverts?: number;
  lastError?: string;
  failure?: OutboxFailure;
  /** ISO 8601. */
  createdAt: string;
  updatedAt: string;
  /** The block holding the flow, once confirmed. */
  blockNumber?: number;
};

/** What enqueue takes: amounts may be bigints; the registerLoan application serial is optional. */
export type EnqueueInput =
  | {
      serial: string;
      kind: "registerLoan";
      args: { terms: z.input<typeof LoanTermsInput>; platformAgreement?: string };
    }
  | { serial: string; kind: DisputeKind; args: z.input<(typeof ARGS)[DisputeKind]> }
  | { [K in Exclude<OutboxKind, "registerLoan" | DisputeKind>]: EnqueueOf<K> }[Exclude<
      OutboxKind,
      "registerLoan" | DisputeKind
    >];
type EnqueueOf<K extends OutboxKind> = { serial: string; kind: K; args: z.input<(typeof ARGS)[K]> };

export type NormalizedEntry = { serial: string; kind: OutboxKind; args: OutboxArgs[OutboxKind] };

function bad(message: string, details?: unknown): OutboxError {
  return new OutboxError("NODE_ERR_OUTBOX_BAD_ENTRY", message, details);
}

/** Validate an enqueue request and put its arguments in canonical form (fixed key order). */
export function normalizeEntry(input: EnqueueInput): NormalizedEntry {
  if (typeof input !== "object" || input === null)
    throw bad("an outbox entry must be an object with serial, kind and args");
  const { serial, kind } = input as { serial: unknown; kind: unknown };
  if (typeof serial !== "string" || !SERIAL.test(serial)) {
    throw bad("serial must be 1 to 128 printable ASCII characters without spaces");
  }
  if (typeof kind !== "string" || !(OUTBOX_KINDS as readonly string[]).includes(kind)) {
    throw bad(`kind must be one of ${OUTBOX_KINDS.join(", ")}`);
  }
  const parsed = ARGS[kind as OutboxKind].safeParse(input.args);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      path: i.path.map(String).join("."),
      message: i.message,
    }));
    throw bad(
      `invalid ${kind} arguments: ${issues.map((i) => `${i.path || "args"} ${i.message}`).join("; ")}`,
      issues,
    );
  }
  if (kind === "registerLoan") {
    const onChain = onChainSerial(serial);
    const { terms: t, platformAgreement } = parsed.data as z.output<(typeof ARGS)["registerLoan"]>;
    if (t.applicationSerial !== undefined && t.applicationSerial !== onChain) {
      throw bad(`terms.applicationSerial must be keccak256(utf8(serial)) = ${onChain}, or be left out`);
    }
    const { originator, applicationSerial: _given, ...rest } = t;
    // the application serial in its place, whether it was given or left out
    const terms: LoanTermsArgs = { originator, applicationSerial: onChain, ...rest };
    return { serial, kind: "registerLoan", args: { terms, platformAgreement } };
  }
  if (kind === "registerEvidence") {
    const a = parsed.data as OutboxArgs["registerEvidence"];
    if (a.leafIndex >= a.treeSize) throw bad(`leafIndex ${a.leafIndex} is outside a tree of ${a.treeSize}`);
  }
  // every other kind's schema is a strict object: its output holds exactly the declared keys, in
  // declaration order, amounts and hex already canonical
  return { serial, kind: kind as OutboxKind, args: parsed.data as OutboxArgs[OutboxKind] };
}

// ------------------------------------------------------------------ on-chain form

// as plain Interfaces: calldata is built from each kind's stored JSON arguments, checked by the schemas above
export const ledgerInterface: Interface = JointLoanLedger.interface;
export const disputeInterface: Interface = DisputeResolution.interface;
export const evidenceInterface: Interface = EvidenceRegistry.interface;
/** Which contract an entry's call goes to. */
export function targetOf(entry: Pick<NormalizedEntry, "kind">): "ledger" | "disputes" | "evidence" {
  if ((EVIDENCE_KINDS as readonly string[]).includes(entry.kind)) return "evidence";
  return (DISPUTE_KINDS as readonly string[]).includes(entry.kind) ? "disputes" : "ledger";
}

/** keccak256(utf8(serial)): the serial as the ledger stores it. */
export function onChainSerial(serial: string): string {
  return keccak256(toUtf8Bytes(serial));
}

/** The loan an entry is about (for registerLoan, the id the ledger will give it). */
export function loanIdOfEntry(entry: Pick<NormalizedEntry, "kind" | "args">): string {
  if (entry.kind === "registerLoan") {
    const { terms } = entry.args as RegisterLoanArgs;
    return loanIdOf(terms.originator, terms.applicationSerial);
  }
  return (entry.args as { loanId: string }).loanId;
}

/** A kind's contract function and its arguments, from the stored JSON (amounts back to bigints). */
type Call<K extends OutboxKind> = (args: OutboxArgs[K], serial: string) => [name: string, values: unknown[]];

const CALLS: { [K in OutboxKind]: Call<K> } = {
  registerLoan: ({ terms, platformAgreement }) => [
    "registerLoan",
    [
      {
        ...terms,
        principal: BigInt(terms.principal),
        schedule: terms.schedule.map((i) => ({
          dueDay: i.dueDay,
          principal: BigInt(i.principal),
          interest: BigInt(i.interest),
        })),
        // entries stored before fees were registered have none
        fees: (terms.fees ?? []).map((f) => ({ installment: f.installment, amount: BigInt(f.amount) })),
      },
      platformAgreement ?? "0x",
    ],
  ],
  disburse: (a, serial) => [
    "disburse",
    [a.loanId, BigInt(a.amount), a.accountHash, onChainSerial(serial), a.voucher],
  ],
  repay: (a, serial) => ["repay", [a.loanId, BigInt(a.amount), onChainSerial(serial), a.voucher]],
  cancelLoan: (a) => ["cancelLoan", [a.loanId, a.reasonCode]],
  settle: (a, serial) => ["settle", [a.loanId, BigInt(a.amount), onChainSerial(serial), a.voucher]],
  expireLoan: (a) => ["expireLoan", [a.loanId]],
  grantMandate: (a) => ["grantMandate", [a.loanId, a.agent, a.expiresAt]],
  revokeMandate: (a) => ["revokeMandate", [a.loanId, a.agent]],
  setOwnBranchLimits: (a) => [
    "setOwnBranchLimits",
    [BigInt(a.singleLoanMax), BigInt(a.dailyDisbursementLimit), BigInt(a.outstandingLimit)],
  ],
  agreeIncomeSplit: (a) => ["agreeIncomeSplit", [a.loanId, a.platformIncomeShareBps, a.platformSignature]],
  prepay: (a, serial) => [
    "prepay",
    [
      a.loanId,
      BigInt(a.principal),
      a.mode,
      BigInt(a.fee),
      BigInt(a.amount),
      onChainSerial(serial),
      a.voucher,
    ],
  ],
  escalate: (a) => ["escalate", [a.loanId]],
  assignCourt: (a) => ["assignCourt", [a.loanId, a.court]],
  acceptCase: (a) => ["acceptCase", [a.loanId]],
  recordRuling: (a) => ["recordRuling", [a.loanId, a.ruling]],
  closeCase: (a) => ["closeCase", [a.loanId]],
  adoptSettlement: (a) => [
    "adoptSettlement",
    [
      a.loanId,
      a.leaf,
      a.startDay,
      a.installments.map((i) => ({
        dueDay: i.dueDay,
        principal: BigInt(i.principal),
        interest: BigInt(i.interest),
      })),
    ],
  ],
  registerEvidence: (a) => ["register", [a.leaf, a.logId, a.treeSize, a.leafIndex, a.proof]],
  endorseEvidence: (a) => ["endorse", [a.leafHash]],
};

const INTERFACES = { ledger: ledgerInterface, disputes: disputeInterface, evidence: evidenceInterface };

function callOf<K extends OutboxKind>(kind: K, args: OutboxArgs[K], serial: string): [string, unknown[]] {
  return CALLS[kind](args, serial);
}

/** The contract call an entry stands for (to the contract targetOf names). */
export function calldataOf(entry: Pick<NormalizedEntry, "serial" | "kind" | "args">): string {
  const [name, values] = callOf(entry.kind, entry.args, entry.serial);
  return INTERFACES[targetOf(entry)].encodeFunctionData(name, values);
}
