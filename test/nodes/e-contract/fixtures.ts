// Contract terms for the e-contract tests: a joint loan of a branch and a platform co-funder with
// every kind of fee, dated from today so no fixture carries an absolute future date.
import { dayToDate, shanghaiDay } from "../../../common/lending/dates.ts";
import { parseYuan } from "../../../common/lending/money.ts";
import { RepaymentMethod } from "../../../common/lending/schedule.ts";
import type { ContractTerms } from "../../../nodes/src/e-contract/terms.ts";

export function jointLoanTerms(overrides: Partial<ContractTerms> = {}): ContractTerms {
  return {
    contractNumber: "JL-0x5e1c0f2a",
    borrower: { name: "张三", identifier: "3301**********1234", address: "浙江省杭州市西湖区" },
    lenders: [
      { name: "杭州西湖农村商业银行", identifier: "91330100MA27XXXX1A", shareBps: 7000 },
      { name: "联合金融科技有限公司", identifier: "91330100MA27YYYY2B", shareBps: 3000 },
    ],
    platform: { name: "联合金融科技有限公司", identifier: "91330100MA27YYYY2B" },
    principalFen: parseYuan("100000"),
    aprBps: 1800,
    method: RepaymentMethod.EqualInstallment,
    startDate: dayToDate(shanghaiDay(Math.floor(Date.now() / 1000))),
    termMonths: 12,
    fees: [
      { name: "平台服务费", amountFen: parseYuan("50"), due: "monthly" },
      { name: "担保费", amountFen: parseYuan("600"), due: "with-first-installment" },
      { name: "账户管理费", amountFen: parseYuan("200"), due: "upfront" },
    ],
    penaltyAprBps: 600,
    purpose: "个人消费（家庭装修）",
    receivingAccountMasked: "6222 **** **** 1234",
    disputeResolution: { kind: "court", body: "杭州市西湖区人民法院" },
    place: "浙江省杭州市",
    ...overrides,
  };
}
