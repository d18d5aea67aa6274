// 融易通 (rongyitong): one flat snake_case object, amounts as integer fen (JSON numbers), annual
// rate in bps, compact Beijing-time stamps (yyyyMMddHHmmss), one-digit ID-type codes, coded
// purposes, and at most two fees as flat field pairs (service fee, guarantee fee).
import { z } from "zod";
import { RepaymentMethod } from "../../../common/lending/schedule.ts";
import type { CanonicalFee, FeeDue } from "./canonical.ts";
import type { IdType } from "./identity.ts";
import { applicationOf, codeOf, defineChannel } from "./channel.ts";
import { fieldError } from "./errors.ts";
import {
  borrowerOf,
  bpsOf,
  compactInstant,
  consentOf,
  fenOf,
  positiveFen,
  termIn,
  textOf,
  givenField,
} from "./fields.ts";

const ID = "rongyitong";

/** cert_type */
const CERT_TYPE = {
  "1": "RESIDENT_ID", // 身份证
  "2": "PASSPORT", // 护照
  "3": "HK_MACAO_PERMIT", // 港澳通行证
  "4": "TAIWAN_PERMIT", // 台胞证
} as const satisfies Record<string, IdType>;
/** repay_mode */
const REPAY_MODE = {
  "01": RepaymentMethod.EqualInstallment, // 等额本息
  "02": RepaymentMethod.InterestFirst, // 先息后本
  "03": RepaymentMethod.Bullet, // 到期一次还本付息
} as const satisfies Record<string, RepaymentMethod>;
/** loan_purpose; "99" (other) takes its text from loan_purpose_desc. */
const PURPOSE = {
  "01": "日常消费",
  "02": "经营周转",
  "03": "农业生产",
  "04": "教育",
  "05": "医疗",
  "06": "装修",
  "99": "其他",
} as const;
/** *_fee_mode */
const FEE_MODE = {
  "1": "upfront", // 放款时收取
  "2": "with-first-installment", // 随首期还款
  "3": "monthly", // 按月分期
} as const satisfies Record<string, FeeDue>;

const fen = z.int().min(0);

export const RongyitongApplication = z.strictObject({
  apply_no: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, _ or -"),
  cust_name: z.string(),
  cert_type: codeOf(CERT_TYPE),
  cert_no: z.string().max(40),
  mobile_no: z.string().max(20),
  area_code: z.int().optional(), // GB/T 2260; default: from the resident ID
  acct_no: z.string().max(40),
  loan_amt: fen, // 分
  loan_term: z.int().min(1),
  term_unit: z.enum(["M", "D"]),
  rate_bps: z.int().min(0), // annual, basis points
  repay_mode: codeOf(REPAY_MODE),
  loan_purpose: codeOf(PURPOSE),
  loan_purpose_desc: z.string().optional(),
  svc_fee_amt: fen.optional(),
  svc_fee_mode: codeOf(FEE_MODE).optional(),
  guar_fee_amt: fen.optional(),
  guar_fee_mode: codeOf(FEE_MODE).optional(),
  auth_sign_time: z.string(), // yyyyMMddHHmmss, Beijing time
  auth_file_hash: z.string(), // SHA-256 hex of the signed authorization letter
});
export type RongyitongApplication = z.output<typeof RongyitongApplication>;

function flatFee(
  name: string,
  amount: number | undefined,
  mode: keyof typeof FEE_MODE | undefined,
  fields: { amount: string; mode: string },
): CanonicalFee[] {
  if (amount === undefined) {
    if (mode !== undefined)
      fieldError("NODE_ERR_CHANNEL_VALIDATION", fields.amount, `required when ${fields.mode} is given`);
    return [];
  }
  const amountFen = fenOf(amount, fields.amount);
  if (amountFen === 0n) return []; // a zero fee is no fee
  if (mode === undefined)
    fieldError("NODE_ERR_CHANNEL_VALIDATION", fields.mode, `required when ${fields.amount} is given`);
  return [{ name, amountFen, due: FEE_MODE[mode] }];
}

export const rongyitong = defineChannel({
  id: ID,
  description: "融易通: flat snake_case, integer fen, annual bps, yyyyMMddHHmmss Beijing time",
  schema: RongyitongApplication,
  toCanonical(input, context) {
    const idType = CERT_TYPE[input.cert_type];
    const borrower = borrowerOf(idType, {
      idNumber: givenField(input, "cert_no"),
      name: givenField(input, "cust_name"),
      phone: givenField(input, "mobile_no"),
      region: givenField(input, "area_code"),
      account: givenField(input, "acct_no"),
    });
    const method = REPAY_MODE[input.repay_mode];
    let purpose: string = PURPOSE[input.loan_purpose];
    if (input.loan_purpose === "99") {
      if (input.loan_purpose_desc === undefined)
        fieldError("NODE_ERR_CHANNEL_VALIDATION", "loan_purpose_desc", 'required when loan_purpose is "99"');
      purpose = textOf(input.loan_purpose_desc, "loan_purpose_desc");
    }
    const signedAtMs = compactInstant(input.auth_sign_time, "auth_sign_time");
    return applicationOf(ID, context, {
      applicationId: input.apply_no,
      borrower,
      loan: {
        principalFen: positiveFen(fenOf(input.loan_amt, "loan_amt"), "loan_amt"),
        ...termIn(method, input.loan_term, input.term_unit === "M" ? "months" : "days", "loan_term"),
        aprBps: bpsOf(input.rate_bps, "rate_bps"),
        method,
        purpose,
        fees: [
          ...flatFee("服务费", input.svc_fee_amt, input.svc_fee_mode, {
            amount: "svc_fee_amt",
            mode: "svc_fee_mode",
          }),
          ...flatFee("担保费", input.guar_fee_amt, input.guar_fee_mode, {
            amount: "guar_fee_amt",
            mode: "guar_fee_mode",
          }),
        ],
      },
      consent: consentOf([signedAtMs, "auth_sign_time"], givenField(input, "auth_file_hash"), context),
    });
  },
});
