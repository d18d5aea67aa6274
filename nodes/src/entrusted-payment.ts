// Where a loan's money goes. A loan binds one receiving account on chain at registration
// (LoanTerms.receivingAccount, a salted hash): the borrower's own account, or for entrusted
// payment (受托支付) a payee the approval names — the merchant or seller the borrower buys from —
// and every funder's disbursement goes there and nowhere else. This module computes that hash,
// remembers which of the two a loan this node approved or agreed to pays (never the account
// number), and checks a disbursement before anything is written: the money leaves this funder's
// own whitelisted settlement account, and goes to the loan's bound account when the clerk names
// the destination.
import { createHmac } from "node:crypto";
import { nodeError } from "./errors.ts";
import { accountHashOf, normalizeAccount } from "./privacy/borrower-key.ts";

/** Who a loan's receiving account belongs to. */
export const RECEIVING_KINDS = ["borrower-account", "entrusted-payee"] as const;
export type ReceivingKind = (typeof RECEIVING_KINDS)[number];

/** An approval's entrusted payee: the account the principal is paid into instead of the borrower's. */
export type EntrustedPayee = { accountNumber: string };

/**
 * The salted hash of a loan's receiving account: SHA-256(salt ‖ digits) with a salt every member
 * derives alike from the consortium key and the application serial, so the branch that registers
 * and the platform that agrees compute the same value, and the chain learns nothing enumerable
 * about the account. The borrower's account and an entrusted payee's are hashed alike.
 */
export function receivingAccountOf(
  consortiumKey: Uint8Array,
  applicationSerial: string,
  bankAccount: string,
): string {
  const salt = createHmac("sha256", consortiumKey)
    .update(`JointLedger.receiving-account.v1:${applicationSerial.toLowerCase()}`, "utf8")
    .digest();
  return accountHashOf(salt, bankAccount);
}

/**
 * The account a new loan binds: the borrower's own, or the entrusted payee's. A "payee" that is
 * the borrower's own account is refused (NODE_ERR_BAD_PAYEE): the loan would claim entrusted
 * payment while paying the borrower.
 */
export function bindReceivingAccount(
  consortiumKey: Uint8Array,
  applicationSerial: string,
  borrowerAccount: string,
  payee: EntrustedPayee | undefined,
): { kind: ReceivingKind; receivingAccount: string } {
  if (payee === undefined)
    return {
      kind: "borrower-account",
      receivingAccount: receivingAccountOf(consortiumKey, applicationSerial, borrowerAccount),
    };
  if (normalizeAccount(payee.accountNumber) === normalizeAccount(borrowerAccount)) {
    throw nodeError(
      "NODE_ERR_BAD_PAYEE",
      "the entrusted payee's account is the borrower's own account: approve without entrustedPayee to pay the borrower",
    );
  }
  return {
    kind: "entrusted-payee",
    receivingAccount: receivingAccountOf(consortiumKey, applicationSerial, payee.accountNumber),
  };
}

/** What this node knows of a loan's receiving account (written when it approved or agreed to the loan). */
export type ReceivingRecord = {
  loanId: string;
  applicationSerial: string;
  kind: ReceivingKind;
  receivingAccount: string;
  recordedAt: string;
};

/** The loan's API output: which account it pays, as its salted hash (null: this node neither approved nor agreed to it). */
export type ReceivingView = { kind: ReceivingKind | null; receivingAccount: string | null };

/** A JSON sublevel as this module uses it (keys.ts: receiving-accounts). */
export type RecordStore<V> = {
  get(key: string): Promise<V | undefined>;
  put(key: string, value: V): Promise<void>;
};

/** Receiving records by loan id (sublevel "receiving-accounts", JSON). */
export class ReceivingAccounts {
  readonly #db: RecordStore<ReceivingRecord>;

  constructor(db: RecordStore<ReceivingRecord>) {
    this.#db = db;
  }

  async record(record: Omit<ReceivingRecord, "recordedAt">, now = new Date()): Promise<void> {
    const loanId = record.loanId.toLowerCase();
    await this.#db.put(loanId, {
      ...record,
      loanId,
      receivingAccount: record.receivingAccount.toLowerCase(),
      recordedAt: now.toISOString(),
    });
  }

  async get(loanId: string): Promise<ReceivingRecord | undefined> {
    return this.#db.get(loanId.toLowerCase());
  }

  async view(loanId: string): Promise<ReceivingView> {
    const record = await this.get(loanId);
    return record === undefined
      ? { kind: null, receivingAccount: null }
      : { kind: record.kind, receivingAccount: record.receivingAccount };
  }
}

export type DisbursementCheckDeps = {
  memberId: number;
  consortiumKey: Uint8Array;
  accounts: Pick<ReceivingAccounts, "get">;
  /** The ledger's settlement-account whitelist (JointLoanLedger.isWhitelisted). */
  isWhitelisted: (memberId: number, accountHash: string) => Promise<boolean>;
};

/**
 * Refuses, before any voucher is stored or anchored, a disbursement the ledger would refuse or
 * that pays the wrong account: a source that is not this funder's own whitelisted settlement
 * account (NODE_ERR_ACCOUNT_NOT_WHITELISTED, the ledger's LedgerAccountNotWhitelisted), and a
 * named destination that is not the loan's bound receiving account
 * (NODE_ERR_RECEIVING_ACCOUNT_MISMATCH; the chain pays only the bound one, so a payment
 * instruction to any other account would not be the disbursement recorded).
 */
export async function checkDisbursement(
  deps: DisbursementCheckDeps,
  loanId: string,
  input: { accountHash: string; toAccount?: string },
): Promise<{ paidTo: ReceivingView }> {
  const id = loanId.toLowerCase();
  const accountHash = input.accountHash.toLowerCase();
  let whitelisted: boolean;
  try {
    whitelisted = await deps.isWhitelisted(deps.memberId, accountHash);
  } catch (error) {
    throw nodeError(
      "NODE_ERR_CHAIN_UNAVAILABLE",
      `cannot read the ledger's settlement-account whitelist: ${(error as Error).message}`,
    );
  }
  if (!whitelisted) {
    throw nodeError(
      "NODE_ERR_ACCOUNT_NOT_WHITELISTED",
      `${accountHash} is not a settlement account of member ${deps.memberId} on the ledger: a funder disburses only from its own whitelisted settlement account`,
      { funder: deps.memberId, accountHash },
    );
  }
  const record = await deps.accounts.get(id);
  if (input.toAccount !== undefined) {
    if (record === undefined)
      throw nodeError(
        "NODE_ERR_UNKNOWN_LOAN",
        `this node neither approved nor agreed to loan ${id}: it holds no receiving account to check toAccount against`,
      );
    if (
      receivingAccountOf(deps.consortiumKey, record.applicationSerial, input.toAccount) !==
      record.receivingAccount
    ) {
      throw nodeError(
        "NODE_ERR_RECEIVING_ACCOUNT_MISMATCH",
        `toAccount is not loan ${id}'s receiving account (the ${record.kind === "entrusted-payee" ? "entrusted payee's" : "borrower's"} account bound on chain at registration); its money goes there and nowhere else`,
        { kind: record.kind, receivingAccount: record.receivingAccount },
      );
    }
  }
  return {
    paidTo:
      record === undefined
        ? { kind: null, receivingAccount: null }
        : { kind: record.kind, receivingAccount: record.receivingAccount },
  };
}
