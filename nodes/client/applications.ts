// Each platform's loan application in its own channel format (nodes/src/channels), built from a
// borrower and the loan asked for: what the demo, the benchmark and the tests post, and what the
// console's filing form sends. No Node APIs here: the console bundles this file for the browser.

export type Borrower = {
  name: string;
  idNumber: string;
  phone: string;
  bankAccount: string;
  regionCode: number;
};

/** The borrower's signed credit-query authorization: when, and the letter's SHA-256 (hex). */
type Authorization = { signedAt: Date; letterSha256: string };

/** A 借贷宝 loan as the platform states it: yuan and annual % as decimal text, the consent's time and digest as given. */
export type JiedaibaoLoan = {
  applicationId: string;
  principalYuan: string;
  termMonths: number;
  annualPercent: string;
  method: "debx" | "xxhb";
  purpose: string;
  consentSignedAt: string;
  consentDigest: string;
};

/** 借贷宝: nested pinyin fields, yuan strings, annual %, ISO times. */
export function jiedaibaoPayload(b: Omit<Borrower, "regionCode">, loan: JiedaibaoLoan) {
  return {
    shenqingBianhao: loan.applicationId,
    jiekuanren: {
      xingming: b.name,
      zhengjian: { leixing: "01", haoma: b.idNumber },
      shoujiHaoma: b.phone,
      yinhangZhanghao: b.bankAccount,
    },
    daikuan: {
      jine: loan.principalYuan,
      qixian: { shuzhi: loan.termMonths, danwei: "yue" },
      nianLilv: loan.annualPercent,
      huankuanFangshi: loan.method,
      yongtu: loan.purpose,
      feiyong: [],
    },
    shouquanshu: { qianshuShijian: loan.consentSignedAt, zhaiyao: loan.consentDigest },
  };
}

/** A 借贷宝 application for farm machinery, repaid in equal installments. */
export function jiedaibaoApplication(
  b: Borrower,
  o: Pick<JiedaibaoLoan, "applicationId" | "principalYuan" | "termMonths" | "annualPercent"> & Authorization,
) {
  return jiedaibaoPayload(b, {
    ...o,
    method: "debx",
    purpose: "农机购置",
    consentSignedAt: o.signedAt.toISOString(),
    consentDigest: `0x${o.letterSha256}`,
  });
}

/** 惠农: camelCase, fen digit strings, monthly ‰, Unix ms. */
export function huinongApplication(
  b: Borrower,
  o: { orderNo: string; amountFen: bigint; termDays: number; monthlyRatePermille: string } & Authorization,
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
  o: { applyNo: string; amountFen: bigint; termMonths: number; rateBps: number } & Authorization,
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

/** Beijing wall-clock time as yyyyMMddHHmmss. */
function beijingCompact(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace(/[-:T]/g, "");
}
