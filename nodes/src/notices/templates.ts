// The texts sent to borrowers, by template id. A template's id names its exact wording (a new
// wording is a new id), so the id and the content digest anchored with a notice say what the
// borrower read. Parameters are amounts, dates and the loan's reference, never a name or number.
import { formatYuan } from "../../../common/lending/money.ts";

export type NoticeParams = {
  /** The loan's short reference printed for the borrower (the start of its id). */
  loanRef: string;
  daysPastDue?: number;
  amountDueFen?: bigint;
  /** 'YYYY-MM-DD': a reply or payment deadline. */
  deadline?: string;
};

type Template = (p: NoticeParams) => string;

const yuan = (fen: bigint | undefined) => formatYuan(fen ?? 0n);

export const NOTICE_TEMPLATES = {
  // 逾期友好提醒: within the first days past due
  "reminder.v1": (p) =>
    `【联合贷款】您的贷款（编号${p.loanRef}）已逾期${p.daysPastDue ?? 0}天，应还${yuan(p.amountDueFen)}元，请尽快还款。如已还款请忽略。`,
  // 调解通知: the mediation case and its proposed plan
  "mediation-opened.v1": (p) =>
    `【联合贷款】您的贷款（编号${p.loanRef}）已逾期${p.daysPastDue ?? 0}天，现启动调解，已为您拟定还款计划，请于${p.deadline ?? ""}前登录应用查看并答复。`,
  // 调解协议达成
  "mediation-agreed.v1": (p) =>
    `【联合贷款】您的贷款（编号${p.loanRef}）调解协议已签署，请按新还款计划按时还款，首期应还${yuan(p.amountDueFen)}元，到期日${p.deadline ?? ""}。`,
  // 征信负面信息报送前告知 (征信业管理条例 Art. 15)
  "credit-negative.v1": (p) =>
    `【联合贷款】您的贷款（编号${p.loanRef}）已逾期${p.daysPastDue ?? 0}天，如未在${p.deadline ?? ""}前还款，逾期信息将按规定报送金融信用信息基础数据库。`,
} as const satisfies Record<string, Template>;

export type NoticeTemplateId = keyof typeof NOTICE_TEMPLATES;

export function renderNotice(templateId: NoticeTemplateId, params: NoticeParams): string {
  return NOTICE_TEMPLATES[templateId](params);
}
