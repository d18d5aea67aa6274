// 惠农 (huinong): camelCase JSON with a nested loan object, amounts in fen as digit strings (so
// no JSON number ever carries money), a monthly rate in per mille (月息 ‰), Unix-millisecond
// timestamps, and upper-case enum codes.
import { z } from "zod";
import { RepaymentMethod } from "../../../common/lending/schedule.ts";
import type { FeeDue } from "./canonical.ts";
import type { IdType } from "./identity.ts";
import { applicationOf, codeOf, defineChannel } from "./channel.ts";
import {
  borrowerOf,
  consentOf,
  feeOf,
  fenOf,
  monthlyPermilleToBps,
  positiveFen,
  termOf,
  textOf,
  unixMsInstant,
} from "./fields.ts";

const ID = "huinong";

const CERTIFICATE_KIND = {
  ID_CARD: "RESIDENT_ID",
  PASSPORT: "PASSPORT",
  HK_MACAO_PASS: "HK_MACAO_PERMIT",
  TAIWAN_PASS: "TAIWAN_PERMIT",
} as const satisfies Record<string, IdType>;
const REPAYMENT = {
  EQUAL_INSTALLMENT: RepaymentMethod.EqualInstallment,
  INTEREST_FIRST: RepaymentMethod.InterestFirst,
  BULLET: RepaymentMethod.Bullet,
} as const satisfies Record<string, RepaymentMethod>;
const CHARGE_AT = {
  DISBURSEMENT: "upfront",
  FIRST_INSTALLMENT: "with-first-installment",
  EVERY_INSTALLMENT: "monthly",
} as const satisfies Record<string, FeeDue>;

const fenString = z.string().regex(/^\d{1,20}$/, 'fen as a digit string, e.g. "1500000"');

export const HuinongApplication = z.strictObject({
  orderNo: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, _ or -"),
  customer: z.strictObject({
    realName: z.string(),
    certificate: z.strictObject({ kind: codeOf(CERTIFICATE_KIND), number: z.string().max(40) }),
    mobile: z.string().max(20),
    areaCode: z.string().optional(), // GB/T 2260; default: from the resident ID
    repaymentCard: z.string().max(40),
  }),
  loan: z.strictObject({
    amountFen: fenString,
    termMonths: z.int().min(1).optional(),
    termDays: z.int().min(1).optional(),
    monthlyRatePermille: z.string(), // 月息 ‰, e.g. "12.5" = 15% a year
    repayment: codeOf(REPAYMENT),
    purpose: z.string(),
    charges: z
      .array(z.strictObject({ title: z.string(), amountFen: fenString, chargeAt: codeOf(CHARGE_AT) }))
      .max(10)
      .default([]),
  }),
  authorization: z.strictObject({
    signedAtMs: z.int(), // Unix milliseconds
    letterSha256: z.string(),
  }),
});
export type HuinongApplication = z.output<typeof HuinongApplication>;

export const huinong = defineChannel({
  id: ID,
  description: "惠农: camelCase with a nested loan object, fen digit strings, monthly ‰ rate, Unix ms",
  schema: HuinongApplication,
  toCanonical(input, context) {
    const { customer, loan, authorization } = input;
    const idType = CERTIFICATE_KIND[customer.certificate.kind];
    const method = REPAYMENT[loan.repayment];
    return applicationOf(ID, context, {
      applicationId: input.orderNo,
      borrower: borrowerOf(idType, {
        idNumber: [customer.certificate.number, "customer.certificate.number"],
        name: [customer.realName, "customer.realName"],
        phone: [customer.mobile, "customer.mobile"],
        region: [customer.areaCode, "customer.areaCode"],
        account: [customer.repaymentCard, "customer.repaymentCard"],
      }),
      loan: {
        principalFen: positiveFen(fenOf(loan.amountFen, "loan.amountFen"), "loan.amountFen"),
        ...termOf(method, loan.termMonths, loan.termDays, {
          months: "loan.termMonths",
          days: "loan.termDays",
        }),
        aprBps: monthlyPermilleToBps(loan.monthlyRatePermille, "loan.monthlyRatePermille"),
        method,
        purpose: textOf(loan.purpose, "loan.purpose"),
        fees: loan.charges.flatMap((charge, i) =>
          feeOf(
            [charge.title, `loan.charges[${i}].title`],
            fenOf(charge.amountFen, `loan.charges[${i}].amountFen`),
            CHARGE_AT[charge.chargeAt],
          ),
        ),
      },
      consent: consentOf(
        [unixMsInstant(authorization.signedAtMs, "authorization.signedAtMs"), "authorization.signedAtMs"],
        [authorization.letterSha256, "authorization.letterSha256"],
        context,
      ),
    });
  },
});
