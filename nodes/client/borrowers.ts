// Synthetic borrowers for the demo, the benchmark and the tests (never real people): a resident ID of the given region with a
// valid GB 11643 check digit, a mobile number, a Luhn-valid bank card, a common name; fresh for
// every run, so repeated runs on one chain never hit one borrower's consortium-wide limit. And
// each platform's application in its own channel format (nodes/src/channels).
import { createHash, randomInt } from "node:crypto";
import { residentIdCheckDigit } from "../src/channels/identity.ts";

export type Borrower = {
  name: string;
  idNumber: string;
  phone: string;
  bankAccount: string;
  regionCode: number;
};

const SURNAMES = [
  "王",
  "李",
  "张",
  "刘",
  "陈",
  "杨",
  "赵",
  "黄",
  "周",
  "吴",
  "徐",
  "孙",
  "胡",
  "朱",
  "高",
  "林",
];
const GIVEN = [
  "建华",
  "秀英",
  "志强",
  "海燕",
  "国平",
  "丽娟",
  "春梅",
  "文彬",
  "晓东",
  "玉兰",
  "德明",
  "桂芳",
];

const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join("");

export function newBorrower(regionCode: number): Borrower {
  const birth = new Date(Date.UTC(1965 + randomInt(30), randomInt(12), 1 + randomInt(28)));
  const first17 = `${regionCode}${birth.toISOString().slice(0, 10).replaceAll("-", "")}${digits(3)}`;
  const card = `622202${digits(12)}`;
  return {
    name: `${SURNAMES[randomInt(SURNAMES.length)]}${GIVEN[randomInt(GIVEN.length)]}`,
    idNumber: `${first17}${residentIdCheckDigit(first17)}`,
    phone: `13${randomInt(10)}${digits(8)}`,
    bankAccount: `${card}${luhnCheckDigit(card)}`,
    regionCode,
  };
}

/** The digits and name of a borrower that must never show up on chain or in a log. */
export function personalData(b: Borrower): string[] {
  return [b.name, b.idNumber, b.phone, b.bankAccount];
}

/** The masked account a core-banking export shows. */
export function maskedAccount(b: Borrower): string {
  return `**** **** **** ${b.bankAccount.slice(-4)}`;
}

export function luhnCheckDigit(payload: string): string {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    let d = Number(payload[payload.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** The borrower's signed authorization letter (授权书): stand-in bytes and their SHA-256. */
export function authorizationLetter(b: Borrower, applicationId: string): { bytes: Buffer; sha256: string } {
  const bytes = Buffer.from(
    `征信查询授权书 / credit-query authorization\napplication ${applicationId}\nsigned by the borrower (demo document)\n`,
    "utf8",
  );
  return { bytes, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/** Beijing wall-clock time as yyyyMMddHHmmss. */
function beijingCompact(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace(/[-:T]/g, "");
}

/** 借贷宝: nested pinyin fields, yuan strings, annual %, ISO times. */
export function jiedaibaoApplication(
  b: Borrower,
  o: {
    applicationId: string;
    principalYuan: string;
    termMonths: number;
    annualPercent: string;
    signedAt: Date;
    letterSha256: string;
  },
) {
  return {
    shenqingBianhao: o.applicationId,
    jiekuanren: {
      xingming: b.name,
      zhengjian: { leixing: "01", haoma: b.idNumber },
      shoujiHaoma: b.phone,
      yinhangZhanghao: b.bankAccount,
    },
    daikuan: {
      jine: o.principalYuan,
      qixian: { shuzhi: o.termMonths, danwei: "yue" },
      nianLilv: o.annualPercent,
      huankuanFangshi: "debx",
      yongtu: "农机购置",
      feiyong: [],
    },
    shouquanshu: { qianshuShijian: o.signedAt.toISOString(), zhaiyao: `0x${o.letterSha256}` },
  };
}

/** 惠农: camelCase, fen digit strings, monthly ‰, Unix ms. */
export function huinongApplication(
  b: Borrower,
  o: {
    orderNo: string;
    amountFen: bigint;
    termDays: number;
    monthlyRatePermille: string;
    signedAt: Date;
    letterSha256: string;
  },
) {
  return {
    orderNo: o.orderNo,
    customer: {
      realName: b.name,
      certificate: { kind: "ID_CARD", number: b.idNumber },
      mobile: b.phone,
      repaymentCard: b.bankAccount,
    },
    loan: {
      amountFen: o.amountFen.toString(),
      termDays: o.termDays,
      monthlyRatePermille: o.monthlyRatePermille,
      repayment: "BULLET",
      purpose: "购买化肥种子",
      charges: [],
    },
    authorization: { signedAtMs: o.signedAt.getTime(), letterSha256: o.letterSha256 },
  };
}

/** 融易通: flat snake_case, integer fen, annual bps, yyyyMMddHHmmss. */
export function rongyitongApplication(
  b: Borrower,
  o: {
    applyNo: string;
    amountFen: bigint;
    termMonths: number;
    rateBps: number;
    signedAt: Date;
    letterSha256: string;
  },
) {
  return {
    apply_no: o.applyNo,
    cust_name: b.name,
    cert_type: "1",
    cert_no: b.idNumber,
    mobile_no: b.phone,
    area_code: b.regionCode,
    acct_no: b.bankAccount,
    loan_amt: Number(o.amountFen),
    loan_term: o.termMonths,
    term_unit: "M",
    rate_bps: o.rateBps,
    repay_mode: "01",
    loan_purpose: "03",
    auth_sign_time: beijingCompact(o.signedAt),
    auth_file_hash: o.letterSha256,
  };
}
