// Realistic sample payloads, one per channel, and the canonical application each must become.
// Expected values are written out by hand: yuan → fen by reading the decimals, rates by the
// definitions (18.25% = 1825 bps; 12.5‰ a month × 12 = 15% = 1500 bps), times by reading the
// wall clock in Beijing. The resident IDs are GB 11643's own example (11010519491231002X) and
// numbers whose check digit was computed from that standard.
import type { CanonicalApplication } from "../../nodes/src/channels/canonical.ts";
import type { ChannelContext } from "../../nodes/src/channels/channel.ts";

export const context: ChannelContext = { platformMemberId: 7, receivedAt: "2026-11-22T02:05:30Z" };
/** context.receivedAt in Beijing time. */
export const receivedAt = "2026-11-22T10:05:30+08:00";

export const DIGEST = "a9efbcbbe4cd5dc4d0eccecb828af26be2fec47c6419cf9c3395cf2c42c95197";

/** A fixture's canonical application: from platform 7 (`context`), its consent letter DIGEST, received at `receivedAt`. */
function canonical(
  channel: CanonicalApplication["channel"],
  applicationId: string,
  borrower: CanonicalApplication["borrower"],
  loan: CanonicalApplication["loan"],
  consentSignedAt: string,
): CanonicalApplication {
  return {
    channel,
    applicationId,
    platformMemberId: 7,
    borrower,
    loan,
    consent: { signedAt: consentSignedAt, documentDigest: `0x${DIGEST}` },
    receivedAt,
  };
}

/** An entrusted payee's bank account (the merchant a jiedaibaoPayload() borrower buys from). */
export const PAYEE_ACCOUNT = "6217000010012345678";

export function jiedaibaoPayload() {
  return {
    shenqingBianhao: "JDB20261122000123",
    jiekuanren: {
      xingming: " 张伟 ",
      zhengjian: { leixing: "01", haoma: "110105 19491231 002x" },
      shoujiHaoma: "+86 138-0013-8000",
      yinhangZhanghao: "6222 0210 0112 3456 789",
    },
    daikuan: {
      jine: "50000.00",
      qixian: { shuzhi: 12, danwei: "yue" },
      nianLilv: "18.25",
      huankuanFangshi: "debx",
      yongtu: "家庭装修",
      feiyong: [
        { mingcheng: "担保费", jine: "300.5", shouquFangshi: "shouqi" },
        { mingcheng: "账户管理费", jine: "0", shouquFangshi: "anyue" },
      ],
    },
    shouquanshu: { qianshuShijian: "2026-11-22T10:00:00+08:00", zhaiyao: `0x${DIGEST.toUpperCase()}` },
  };
}

export const jiedaibaoExpected = canonical(
  "jiedaibao",
  "JDB20261122000123",
  {
    name: "张伟",
    idType: "RESIDENT_ID",
    idNumber: "11010519491231002X",
    phone: "13800138000",
    regionCode: 110105,
    bankAccount: "6222021001123456789",
  },
  {
    principalFen: 5_000_000n,
    termMonths: 12,
    aprBps: 1825,
    method: 0,
    purpose: "家庭装修",
    fees: [{ name: "担保费", amountFen: 30_050n, due: "with-first-installment" }],
  },
  "2026-11-22T10:00:00+08:00",
);

export function rongyitongPayload() {
  return {
    apply_no: "RYT2026112200042",
    cust_name: "李娜",
    cert_type: "1",
    cert_no: "330106198805121536",
    mobile_no: "13912345678",
    area_code: 330110,
    acct_no: "6217000010001234567",
    loan_amt: 3_000_000,
    loan_term: 6,
    term_unit: "M",
    rate_bps: 1500,
    repay_mode: "02",
    loan_purpose: "02",
    svc_fee_amt: 9000,
    svc_fee_mode: "3",
    guar_fee_amt: 0,
    auth_sign_time: "20261122093015",
    auth_file_hash: DIGEST.toUpperCase(),
  };
}

export const rongyitongExpected = canonical(
  "rongyitong",
  "RYT2026112200042",
  {
    name: "李娜",
    idType: "RESIDENT_ID",
    idNumber: "330106198805121536",
    phone: "13912345678",
    regionCode: 330110, // given: wins over the ID's 330106
    bankAccount: "6217000010001234567",
  },
  {
    principalFen: 3_000_000n,
    termMonths: 6,
    aprBps: 1500,
    method: 1,
    purpose: "经营周转",
    fees: [{ name: "服务费", amountFen: 9000n, due: "monthly" }],
  },
  "2026-11-22T09:30:15+08:00",
);

export function huinongPayload() {
  return {
    orderNo: "HN-20261122-0007",
    customer: {
      realName: "王建国",
      certificate: { kind: "ID_CARD", number: "510122199208064412" },
      mobile: "0086 15912345678",
      repaymentCard: "6228480402564890018",
    },
    loan: {
      amountFen: "1500000",
      termDays: 90,
      monthlyRatePermille: "12.5",
      repayment: "BULLET",
      purpose: "购买化肥种子",
      charges: [{ title: "服务费", amountFen: "4500", chargeAt: "DISBURSEMENT" }],
    },
    // 2026-11-22T08:15:42.250+08:00
    authorization: { signedAtMs: 1_795_306_542_250, letterSha256: DIGEST },
  };
}

export const huinongExpected = canonical(
  "huinong",
  "HN-20261122-0007",
  {
    name: "王建国",
    idType: "RESIDENT_ID",
    idNumber: "510122199208064412",
    phone: "15912345678",
    regionCode: 510122,
    bankAccount: "6228480402564890018",
  },
  {
    principalFen: 1_500_000n,
    termDays: 90,
    aprBps: 1500,
    method: 2,
    purpose: "购买化肥种子",
    fees: [{ name: "服务费", amountFen: 4500n, due: "upfront" }],
  },
  "2026-11-22T08:15:42.250+08:00",
);

/** Personal data in the fixtures: no error message may contain any of these. */
export const PERSONAL = [
  "11010519491231002X",
  "330106198805121536",
  "510122199208064412",
  "13800138000",
  "13912345678",
  "15912345678",
  "张伟",
  "李娜",
  "王建国",
  "6222021001123456789",
];
