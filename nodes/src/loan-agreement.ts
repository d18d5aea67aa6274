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
import type { LoanTermsForAgreement } from "../../common/lending/agreement.ts";
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
