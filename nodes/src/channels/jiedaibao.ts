// 借贷宝 (jiedaibao): nested JSON with pinyin field names, amounts in yuan as decimal strings,
// annual rate in percent, ISO 8601 times with offset, two-digit ID-type codes.
import { z } from "zod";
import { RepaymentMethod } from "../../../common/lending/schedule.ts";
import type { FeeDue } from "./canonical.ts";
import type { IdType } from "./identity.ts";
import { applicationOf, codeOf, defineChannel } from "./channel.ts";
import {
  DECIMAL,
  borrowerOf,
  consentOf,
  feeOf,
  isoInstant,
  percentToBps,
  positiveFen,
  termIn,
  textOf,
  yuanToFen,
} from "./fields.ts";

const ID = "jiedaibao";

/** 证件类型 */
const ID_TYPE = {
  "01": "RESIDENT_ID", // 居民身份证
  "02": "PASSPORT", // 护照
  "03": "HK_MACAO_PERMIT", // 港澳居民来往内地通行证
  "04": "TAIWAN_PERMIT", // 台湾居民来往大陆通行证
} as const satisfies Record<string, IdType>;
/** 还款方式 */
const METHOD = {
  debx: RepaymentMethod.EqualInstallment, // 等额本息
  xxhb: RepaymentMethod.InterestFirst, // 先息后本
  ychbfx: RepaymentMethod.Bullet, // 一次还本付息
} as const satisfies Record<string, RepaymentMethod>;
/** 收取方式 */
const FEE_DUE = {
  fangkuan: "upfront", // 放款时
  shouqi: "with-first-installment", // 随首期
  anyue: "monthly", // 按月
} as const satisfies Record<string, FeeDue>;

const yuan = z.string().regex(DECIMAL, 'a yuan amount like "12000.50"');

export const JiedaibaoApplication = z.strictObject({
  shenqingBianhao: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, _ or -"), // 申请编号
  jiekuanren: z.strictObject({
    xingming: z.string(), // 姓名
    zhengjian: z.strictObject({
      leixing: codeOf(ID_TYPE), // 证件类型
      haoma: z.string().max(40), // 证件号码
    }),
    shoujiHaoma: z.string().max(20), // 手机号码
    diquDaima: z.string().optional(), // 地区代码 (GB/T 2260); default: from the resident ID
    yinhangZhanghao: z.string().max(40), // 银行账号
  }),
  daikuan: z.strictObject({
    jine: yuan, // 金额 (元)
    qixian: z.strictObject({ shuzhi: z.int().min(1), danwei: z.enum(["yue", "tian"]) }), // 期限: 数值, 单位 月/天
    nianLilv: z.string(), // 年利率 (%), e.g. "18.25"
    huankuanFangshi: codeOf(METHOD), // 还款方式
    yongtu: z.string(), // 用途
    feiyong: z // 费用
      .array(z.strictObject({ mingcheng: z.string(), jine: yuan, shouquFangshi: codeOf(FEE_DUE) }))
      .max(10)
      .default([]),
  }),
  shouquanshu: z.strictObject({
    qianshuShijian: z.string(), // 签署时间, ISO 8601 with offset
    zhaiyao: z.string(), // SHA-256 摘要
  }),
});
export type JiedaibaoApplication = z.output<typeof JiedaibaoApplication>;

export const jiedaibao = defineChannel({
  id: ID,
  description: "借贷宝: nested pinyin fields, yuan decimal strings, annual % rate, ISO 8601 times",
  schema: JiedaibaoApplication,
  toCanonical(input, context) {
    const { jiekuanren: p, daikuan: loan, shouquanshu: consent } = input;
    const idType = ID_TYPE[p.zhengjian.leixing];
    const method = METHOD[loan.huankuanFangshi];
    const { shuzhi, danwei } = loan.qixian;
    return applicationOf(ID, context, {
      applicationId: input.shenqingBianhao,
      borrower: borrowerOf(idType, {
        idNumber: [p.zhengjian.haoma, "jiekuanren.zhengjian.haoma"],
        name: [p.xingming, "jiekuanren.xingming"],
        phone: [p.shoujiHaoma, "jiekuanren.shoujiHaoma"],
        region: [p.diquDaima, "jiekuanren.diquDaima"],
        account: [p.yinhangZhanghao, "jiekuanren.yinhangZhanghao"],
      }),
      loan: {
        principalFen: positiveFen(yuanToFen(loan.jine, "daikuan.jine"), "daikuan.jine"),
        ...termIn(method, shuzhi, danwei === "yue" ? "months" : "days", "daikuan.qixian.shuzhi"),
        aprBps: percentToBps(loan.nianLilv, "daikuan.nianLilv"),
        method,
        purpose: textOf(loan.yongtu, "daikuan.yongtu"),
        fees: loan.feiyong.flatMap((fee, i) =>
          feeOf(
            [fee.mingcheng, `daikuan.feiyong[${i}].mingcheng`],
            yuanToFen(fee.jine, `daikuan.feiyong[${i}].jine`),
            FEE_DUE[fee.shouquFangshi],
          ),
        ),
      },
      consent: consentOf(
        [isoInstant(consent.qianshuShijian, "shouquanshu.qianshuShijian"), "shouquanshu.qianshuShijian"],
        [consent.zhaiyao, "shouquanshu.zhaiyao"],
        context,
      ),
    });
  },
});
