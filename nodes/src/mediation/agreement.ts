// The settlement agreement (调解协议) as PDF, for the borrower to sign and the branch to seal
// exactly as a loan contract is (e-contract/sign.ts, checked by e-contract/verify.ts): the
// parties by role and pseudonymous key, the debt restructured, the new schedule, and the clause
// that an unperformed agreement lets the lender go to arbitration (法发〔2022〕16号). Same CJK font
// as the contract, embedded as a subset; saved without object streams so signatures append.
import { PDFDocument } from "pdf-lib";
import { embedCjkFont } from "../court-package/cjk-font.ts";
import { formatYuan } from "../../../common/lending/money.ts";
import { percentOf } from "../e-contract/terms.ts";
import type { ProposedPlan } from "./plan.ts";

export type AgreementFacts = {
  mediationId: string;
  loanId: string;
  branch: number;
  funders: number[];
  borrowerKey: string;
  daysPastDue: number;
  plan: ProposedPlan;
};

export async function agreementPdf(facts: AgreementFacts, createdAt: Date): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await embedCjkFont(doc);
  doc.setTitle(`调解协议 ${facts.mediationId}`);
  doc.setLanguage("zh-CN");
  doc.setProducer("JointLedger node");
  doc.setCreationDate(createdAt);
  doc.setModificationDate(createdAt);
  const { plan } = facts;
  const lines = [
    "逾期贷款调解协议 Mediation settlement agreement",
    `调解编号 ${facts.mediationId}`,
    `贷款编号 ${facts.loanId}`,
    `甲方（借款人）密钥 ${facts.borrowerKey}`,
    `乙方（贷款行）成员 ${facts.branch}；出资方 ${facts.funders.join("、")}`,
    `一、截至 ${plan.startDate}，借款人逾期 ${facts.daysPastDue} 天。双方同意将未还本金及已到期未付利息合计 ${formatYuan(plan.principalFen)} 元重新安排还款，逾期罚息予以减免。`,
    `二、新还款计划：等额本息，${plan.termMonths} 期，年利率 ${percentOf(plan.aprBps)}，综合年化成本 ${percentOf(plan.allInAprBps)}（不超过上限 ${percentOf(plan.capBps)}），合计应还 ${formatYuan(plan.totalFen)} 元。`,
    ...plan.installments.map(
      (i) =>
        `  第 ${i.index} 期 ${i.dueDate} 应还 ${formatYuan(i.totalFen)} 元（本金 ${formatYuan(i.principalFen)}，利息 ${formatYuan(i.interestFen)}）`,
    ),
    "三、借款人按期履行本协议的，贷款方不再就原逾期申请仲裁或起诉。",
    "四、借款人未按本协议履行的，贷款方可依法申请仲裁或向人民法院申请立案（法发〔2022〕16号）。",
    "五、本协议经借款人电子签名、贷款行电子签章后生效，协议摘要存证于联盟链。",
    "甲方（电子签名）：",
    "乙方（电子签章）：",
  ];
  let page = doc.addPage([595.28, 841.89]);
  let y = 790;
  for (const line of lines) {
    for (let rest = line; rest.length > 0; rest = rest.slice(44)) {
      if (y < 60) {
        page = doc.addPage([595.28, 841.89]);
        y = 790;
      }
      page.drawText(rest.slice(0, 44), { x: 56, y, size: 10.5, font });
      y -= 17;
    }
  }
  return doc.save({ useObjectStreams: false });
}
