// A joint loan's platform agreement between nodes. The branch's node, approving a joint loan,
// asks the platform's node (a signed node-to-node request) to agree to the exact terms it will
// register; the platform's node signs them (common/lending/agreement.ts) only when they are the
// loan of an application it submitted itself, built as the branch must build it: its
// application id and borrower, the principal, rate, method and term, the schedule generated from
// them, the application's fees, the platform named as originator, platform and second funder,
// and the requesting branch as the branch the application was routed to. The ledger refuses a
// joint loan without that signature (JointLoanLedger, LedgerPlatformAgreementMissing).
import { keccak256, toUtf8Bytes } from "ethers";
import { z } from "zod";
import type { TypedDataSigner } from "../../common/auth/eip712.ts";
import { LOAN_AGREEMENT_TYPES, type LoanTermsForAgreement } from "../../common/lending/agreement.ts";
import { loanIdOf } from "../../common/lending/ids.ts";
import { dayToDate } from "../../common/lending/dates.ts";
import { chainFeesOf } from "../../common/lending/fees.ts";
import { generateSchedule } from "../../common/lending/schedule.ts";
import type { StoredApplication } from "./applications.ts";
import { nodeError } from "./errors.ts";

/** Loan terms in JSON (amounts as decimal strings), as the branch's node sends them. */
export type LoanTermsJson = Omit<LoanTermsForAgreement, "principal" | "schedule" | "fees"> & {
  principal: string;
  schedule: Array<{ dueDay: number; principal: string; interest: string }>;
  fees: Array<{ installment: number; amount: string }>;
};

const uint = (bits: number) =>
  z
    .int()
    .min(0)
    .max(2 ** bits - 1);
const decimal = z.string().regex(/^(0|[1-9]\d{0,19})$/, "a decimal amount of fen");
const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "0x and 64 hex digits");

/** The terms of an agreement request (route validation). */
export const LoanTermsJsonSchema = z.strictObject({
  originator: uint(32),
  applicationSerial: hex32,
  borrowerKey: hex32,
  borrowerRegion: uint(32),
  branch: uint(32),
  platform: uint(32),
  funders: z
    .array(z.strictObject({ memberId: uint(32), shareBps: uint(16) }))
    .min(1)
    .max(2),
  principal: decimal,
  aprBps: uint(16),
  method: uint(8),
  startDay: uint(16),
  schedule: z
    .array(z.strictObject({ dueDay: uint(16), principal: decimal, interest: decimal }))
    .min(1)
    .max(60),
  fees: z.array(z.strictObject({ installment: uint(8), amount: decimal })).max(120),
  contractLeaf: hex32,
  consentLeaf: hex32,
  receivingAccount: hex32,
});

/** The amounts of a loan's terms: its principal, each installment's, each fee's. */
type TermAmounts<T> = {
  principal: T;
  schedule: ReadonlyArray<{ dueDay: number; principal: T; interest: T }>;
  fees: ReadonlyArray<{ installment: number; amount: T }>;
};

/** The terms' amounts passed through `convert` (bigint ↔ decimal string). */
function convertAmounts<A, B>(terms: TermAmounts<A>, convert: (amount: A) => B) {
  return {
    principal: convert(terms.principal),
    schedule: terms.schedule.map((i) => ({
      dueDay: i.dueDay,
      principal: convert(i.principal),
      interest: convert(i.interest),
    })),
    fees: terms.fees.map((f) => ({ installment: f.installment, amount: convert(f.amount) })),
  };
}

export function termsToJson(terms: LoanTermsForAgreement): LoanTermsJson {
  return {
    ...terms,
    funders: terms.funders.map((f) => ({ memberId: f.memberId, shareBps: f.shareBps })),
    ...convertAmounts(terms, String),
  };
}

export function termsFromJson(json: LoanTermsJson): LoanTermsForAgreement {
  return { ...json, ...convertAmounts(json, BigInt) };
}

/**
 * Refuses (NODE_ERR_AGREEMENT_REFUSED, naming the first term that differs) terms that are not
 * exactly the joint loan of `stored` — an application this platform submitted — at `branch`.
 */
export function checkAgreementTerms(
  stored: StoredApplication,
  terms: LoanTermsForAgreement,
  platform: number,
  branch: number,
  receivingAccount: string,
): void {
  const { application } = stored;
  const loan = application.loan;
  const refuse = (what: string, details?: unknown): never => {
    throw nodeError("NODE_ERR_AGREEMENT_REFUSED", `platform ${platform} does not agree: ${what}`, details);
  };
  if (terms.originator !== platform || terms.platform !== platform)
    refuse("the loan must name this platform as originator and platform");
  if (terms.applicationSerial !== keccak256(toUtf8Bytes(application.applicationId)))
    refuse("the application serial is not this application's");
  if (terms.branch !== branch || stored.assignedBranch !== branch)
    refuse(`the application was routed to branch ${stored.assignedBranch}, not ${branch}`);
  if (
    terms.funders.length !== 2 ||
    terms.funders[0]!.memberId !== branch ||
    terms.funders[1]!.memberId !== platform
  )
    refuse("the funders must be the branch and this platform");
  if (terms.borrowerKey.toLowerCase() !== stored.borrowerKey.toLowerCase())
    refuse("the borrower is not this application's");
  // the platform's share is paid to the borrower's own account, and only there
  if (terms.receivingAccount.toLowerCase() !== receivingAccount.toLowerCase())
    refuse("the receiving account is not the borrower's account in this application");
  if (terms.borrowerRegion !== application.borrower.regionCode)
    refuse("the borrower's region is not this application's");
  if (
    BigInt(terms.principal) !== loan.principalFen ||
    terms.aprBps !== loan.aprBps ||
    terms.method !== loan.method
  )
    refuse("principal, rate or method differ from the application");
  let schedule: ReturnType<typeof generateSchedule>;
  try {
    schedule = generateSchedule({
      principalFen: loan.principalFen,
      aprBps: loan.aprBps,
      method: loan.method,
      startDate: dayToDate(terms.startDay),
      ...(loan.termMonths === undefined ? {} : { termMonths: loan.termMonths }),
      ...(loan.termDays === undefined ? {} : { termDays: loan.termDays }),
    });
  } catch (error) {
    return refuse(`no schedule from the start day: ${(error as Error).message}`);
  }
  const expected = schedule.map((i) => `${i.dueDay}:${i.principalFen}:${i.interestFen}`).join(",");
  const got = terms.schedule.map((i) => `${i.dueDay}:${BigInt(i.principal)}:${BigInt(i.interest)}`).join(",");
  if (got !== expected) refuse("the schedule is not the application's schedule from the start day");
  const fees = chainFeesOf(loan.fees, schedule.length)
    .map((f) => `${f.installment}:${f.amount}`)
    .join(",");
  if (terms.fees.map((f) => `${f.installment}:${BigInt(f.amount)}`).join(",") !== fees)
    refuse("the fees are not the application's fees");
}

/** LoanTerms' fields before its arrays' tails: one ABI word each (IJointLoanLedger.LoanTerms). */
const TERMS_HEAD_WORDS = 16;

/**
 * keccak256(abi.encode(terms)): common/lending/agreement.ts loanTermsHash, the same bytes encoded
 * directly into one buffer. ethers' ABI coder takes about 2 ms for a twelve-installment loan, most
 * of a platform's work per agreement; this takes a small fraction of that. A value out of its
 * field's range is refused (RangeError), as ethers refuses it.
 */
export function termsHashOf(terms: LoanTermsForAgreement): string {
  const { funders, schedule, fees } = terms;
  const fundersAt = TERMS_HEAD_WORDS * 32;
  const scheduleAt = fundersAt + 32 * (1 + 2 * funders.length);
  const feesAt = scheduleAt + 32 * (1 + 3 * schedule.length);
  const out = Buffer.alloc(32 + feesAt + 32 * (1 + 2 * fees.length));
  let at = 0;
  const uint = (value: bigint | number | string, bits: number, field: string) => {
    const v = BigInt(value);
    if (v < 0n || v >= 1n << BigInt(bits))
      throw new RangeError(`terms.${field} ${String(value)} does not fit uint${bits}`);
    // every field is at most 64 bits: the word's last 8 bytes
    out.writeBigUInt64BE(v, at + 24);
    at += 32;
  };
  const bytes32 = (value: string, field: string) => {
    if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new RangeError(`terms.${field} is not 32 bytes of hex`);
    out.write(value.slice(2), at, "hex");
    at += 32;
  };
  // abi.encode of one dynamic tuple: its offset, then the tuple (offsets from the tuple's start)
  uint(32, 64, "offset");
  uint(terms.originator, 32, "originator");
  bytes32(terms.applicationSerial, "applicationSerial");
  bytes32(terms.borrowerKey, "borrowerKey");
  uint(terms.borrowerRegion, 32, "borrowerRegion");
  uint(terms.branch, 32, "branch");
  uint(terms.platform, 32, "platform");
  uint(fundersAt, 64, "offset");
  uint(terms.principal, 64, "principal");
  uint(terms.aprBps, 16, "aprBps");
  uint(terms.method, 8, "method");
  uint(terms.startDay, 16, "startDay");
  uint(scheduleAt, 64, "offset");
  uint(feesAt, 64, "offset");
  bytes32(terms.contractLeaf, "contractLeaf");
  bytes32(terms.consentLeaf, "consentLeaf");
  bytes32(terms.receivingAccount, "receivingAccount");
  uint(funders.length, 64, "funders.length");
  for (const f of funders) {
    uint(f.memberId, 32, "funders.memberId");
    uint(f.shareBps, 16, "funders.shareBps");
  }
  uint(schedule.length, 64, "schedule.length");
  for (const i of schedule) {
    uint(i.dueDay, 16, "schedule.dueDay");
    uint(i.principal, 32, "schedule.principal");
    uint(i.interest, 32, "schedule.interest");
  }
  uint(fees.length, 64, "fees.length");
  for (const f of fees) {
    uint(f.installment, 8, "fees.installment");
    uint(f.amount, 32, "fees.amount");
  }
  return keccak256(out);
}

/**
 * The platform's agreement signature over `terms` (common/lending/agreement.ts signLoanAgreement:
 * the same typed data, its terms hash from termsHashOf).
 */
export function signAgreement(
  signer: TypedDataSigner,
  chainId: bigint,
  ledger: string,
  terms: LoanTermsForAgreement,
): Promise<string> {
  return signer.signTypedData(
    { name: "JointLoanLedger", version: "1", chainId, verifyingContract: ledger },
    { LoanAgreement: [...LOAN_AGREEMENT_TYPES.LoanAgreement] },
    { loanId: loanIdOf(terms.originator, terms.applicationSerial), termsHash: termsHashOf(terms) },
  );
}
