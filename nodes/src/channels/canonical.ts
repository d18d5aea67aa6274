// The one canonical loan application every channel adapter produces (the patent's 行内数据标准化转换:
// each platform's application, whatever its shape, becomes one bank-internal form). Downstream
// code (routing to the borrower's branch, consent checks, registration on chain) reads only this.
//
// Money is bigint fen; times are ISO 8601 with offset (adapters emit Asia/Shanghai, +08:00);
// personal data is normalized so the same person always looks the same (the borrower key is an
// HMAC of the normalized ID number). The all-in APR cap is NOT checked here: the loan carries its
// nominal aprBps and its fees, and the lending module computes and caps the all-in rate.
import { z } from "zod";
import {
  MAX_TERM_DAYS,
  MAX_TERM_MONTHS,
  MIN_TERM_DAYS,
  MIN_TERM_MONTHS,
  RepaymentMethod,
} from "../../../common/lending/schedule.ts";
import { ID_TYPES, idNumberProblem, isMainlandRegionCode } from "./identity.ts";

/** When the borrower pays a fee: at disbursement (paid separately, never deducted), with installment 1, or with every installment. */
export const FEE_DUE = ["upfront", "with-first-installment", "monthly"] as const;
export type FeeDue = (typeof FEE_DUE)[number];

/** aprBps is a uint16 on chain. */
export const MAX_APR_BPS = 65_535;
/** principal is a uint64 on chain. */
export const MAX_PRINCIPAL_FEN = 2n ** 64n - 1n;

const isoWithOffset = z.iso.datetime({
  offset: true,
  error: "ISO 8601 with an offset, e.g. 2026-11-22T10:00:00+08:00",
});

export const CanonicalFee = z.strictObject({
  name: z.string().min(1).max(64),
  amountFen: z.bigint().positive(),
  due: z.enum(FEE_DUE),
});
export type CanonicalFee = z.infer<typeof CanonicalFee>;

export const CanonicalBorrower = z
  .strictObject({
    name: z.string().min(1).max(64),
    idType: z.enum(ID_TYPES),
    /** Upper-case, no spaces; a resident ID's check digit is valid (GB 11643). */
    idNumber: z.string(),
    /** 11-digit mainland mobile number, digits only. */
    phone: z.string().regex(/^1[3-9]\d{9}$/, "an 11-digit mainland mobile number"),
    /** Six-digit GB/T 2260 code of a mainland region; routes the application to that region's branch. */
    regionCode: z.int().refine(isMainlandRegionCode, "a six-digit GB/T 2260 code of a mainland region"),
    /** Digits only. */
    bankAccount: z.string().regex(/^\d{8,32}$/, "8-32 digits"),
  })
  .superRefine((b, ctx) => {
    const problem = idNumberProblem(b.idType, b.idNumber);
    if (problem !== undefined) ctx.addIssue({ code: "custom", path: ["idNumber"], message: problem });
  });

export const CanonicalLoan = z
  .strictObject({
    principalFen: z.bigint().positive().max(MAX_PRINCIPAL_FEN),
    /** EqualInstallment and InterestFirst; Bullet may use this or termDays. */
    termMonths: z.int().min(MIN_TERM_MONTHS).max(MAX_TERM_MONTHS).optional(),
    /** Bullet only. */
    termDays: z.int().min(MIN_TERM_DAYS).max(MAX_TERM_DAYS).optional(),
    /** Nominal annual interest rate in basis points (fees are separate). */
    aprBps: z.int().min(0).max(MAX_APR_BPS),
    method: z.literal([
      RepaymentMethod.EqualInstallment,
      RepaymentMethod.InterestFirst,
      RepaymentMethod.Bullet,
    ]),
    purpose: z.string().min(1).max(200),
    fees: z.array(CanonicalFee),
  })
  .superRefine((loan, ctx) => {
    const problem = termProblem(loan.method, loan.termMonths, loan.termDays);
    if (problem !== undefined)
      ctx.addIssue({ code: "custom", path: [problem.field], message: problem.message });
  });

export const CanonicalConsent = z.strictObject({
  /** When the borrower signed the credit-query authorization letter (征信查询授权书). */
  signedAt: isoWithOffset,
  /** SHA-256 of the signed letter, 0x and 64 lower-case hex digits. */
  documentDigest: z.string().regex(/^0x[0-9a-f]{64}$/, "0x and 64 lower-case hex digits"),
});

export const CanonicalApplication = z.strictObject({
  /** The adapter's id ("jiedaibao", "csv-batch", …). */
  channel: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/),
  /** The platform's own application id. */
  applicationId: z.string().min(1).max(64),
  /** The platform's consortium member id (from the authenticated caller, not the payload). */
  platformMemberId: z
    .int()
    .min(1)
    .max(2 ** 32 - 1),
  borrower: CanonicalBorrower,
  loan: CanonicalLoan,
  consent: CanonicalConsent,
  /** When the node received the application. */
  receivedAt: isoWithOffset,
});
export type CanonicalApplication = z.infer<typeof CanonicalApplication>;

/**
 * What is wrong with a term, in canonical field names, or undefined: exactly one of months and
 * days; days only for Bullet (as generateSchedule requires).
 */
export function termProblem(
  method: number,
  termMonths: number | undefined,
  termDays: number | undefined,
): { field: "termMonths" | "termDays"; message: string } | undefined {
  if (termMonths === undefined && termDays === undefined)
    return { field: "termMonths", message: "a term in months or days is required" };
  if (termMonths !== undefined && termDays !== undefined)
    return { field: "termDays", message: "give the term in months or in days, not both" };
  if (termDays !== undefined && method !== RepaymentMethod.Bullet) {
    return {
      field: "termDays",
      message: "a term in days is only for bullet repayment; monthly methods take months",
    };
  }
  return undefined;
}
