// The loan contract (借款合同) and its key-facts sheet (关键信息摘要) as PDF: Chinese text in
// Noto Sans SC (SIL Open Font License, shipped by the @expo-google-fonts/noto-sans-sc npm
// package), embedded as a subset of the glyphs used, so any reader shows it without the font
// installed. Layout by pdf-lib. Saved without object streams: the signing step appends its
// incremental updates to a classic cross-reference table (`sign.ts`).
import { PDFDocument, type PDFFont, type PDFPage, rgb } from "pdf-lib";
import { formatYuan } from "../../../common/lending/money.ts";
import { embedCjkFont } from "../court-package/cjk-font.ts";
import { breakLines } from "./line-break.ts";
import { TextWidths } from "./text-width.ts";
import {
  type ContractFigures,
  type ContractTerms,
  FEE_DUE_NAMES,
  METHOD_NAMES,
  contractFigures,
  percentOf,
} from "./terms.ts";

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 56;
const BODY = 10.5;

export type GeneratedContract = {
  /** The full contract: the key-facts sheet first, then the articles and the schedule. */
  contractPdf: Uint8Array;
  /** The one-page key-facts sheet alone, for the borrower to read before signing. */
  keyFactsPdf: Uint8Array;
  figures: ContractFigures;
};

/** A cursor that writes wrapped lines down the page and starts a new page when one is full. */
class Writer {
  private page: PDFPage;
  private y: number;
  private pageCount = 0;
  private readonly doc: PDFDocument;
  private readonly font: PDFFont;
  private readonly footer: string;
  private readonly widths: TextWidths;

  constructor(doc: PDFDocument, font: PDFFont, footer: string) {
    this.doc = doc;
    this.font = font;
    this.widths = new TextWidths((text, size) => font.widthOfTextAtSize(text, size));
    this.footer = footer;
    this.page = this.newPage();
    this.y = A4[1] - MARGIN;
  }

  private newPage(): PDFPage {
    const page = this.doc.addPage(A4);
    this.pageCount += 1;
    page.drawText(`${this.footer}  第 ${this.pageCount} 页`, {
      x: MARGIN,
      y: MARGIN / 2,
      size: 8,
      font: this.font,
      color: rgb(0.4, 0.4, 0.4),
    });
    return page;
  }

  breakPage(): void {
    this.page = this.newPage();
    this.y = A4[1] - MARGIN;
  }

  private room(height: number): void {
    if (this.y - height < MARGIN) this.breakPage();
  }

  /** Splits text into lines no wider than `width` by the CJK rules of line-break.ts: numbers, amounts and dates whole. */
  private wrap(text: string, size: number, width: number): string[] {
    return breakLines(text, this.widths.measure(size, width), width);
  }

  text(text: string, opts: { size?: number; indent?: number; center?: boolean; gap?: number } = {}): void {
    const size = opts.size ?? BODY;
    const x0 = MARGIN + (opts.indent ?? 0);
    for (const line of this.wrap(text, size, A4[0] - MARGIN - x0)) {
      this.room(size * 1.6);
      const x = opts.center === true ? (A4[0] - this.font.widthOfTextAtSize(line, size)) / 2 : x0;
      this.page.drawText(line, { x, y: this.y - size, size, font: this.font });
      this.y -= size * 1.6;
    }
    this.y -= opts.gap ?? 0;
  }

  /** One table row: each cell at its column's x, right-aligned when the column says so. */
  row(cells: readonly string[], columns: ReadonlyArray<{ x: number; right?: boolean }>, size = 9): void {
    this.room(size * 1.6);
    cells.forEach((cell, i) => {
      const col = columns[i]!;
      const x =
        col.right === true ? MARGIN + col.x - this.font.widthOfTextAtSize(cell, size) : MARGIN + col.x;
      this.page.drawText(cell, { x, y: this.y - size, size, font: this.font });
    });
    this.y -= size * 1.6;
  }

  space(points: number): void {
    this.y -= points;
  }
}

const yuan = (fen: bigint): string => `人民币 ${formatYuan(fen)} 元`;

function termText(terms: ContractTerms, figures: ContractFigures): string {
  if (terms.termDays !== undefined) return `${terms.termDays} 天`;
  if (terms.termMonths !== undefined) return `${terms.termMonths} 个月`;
  return `${figures.schedule.length} 期`;
}

function feeLines(terms: ContractTerms): string[] {
  if (terms.fees.length === 0) return ["无任何费用。"];
  return terms.fees.map((f) => `${f.name}：${yuan(f.amountFen)}，${FEE_DUE_NAMES[f.due]}`);
}

function prepaymentText(): string {
  return (
    "借款人可随时提前结清全部借款，或在当期未还、未逾期时提前偿还部分本金。提前结清的，按实际占用天数计收当期利息，" +
    "已到期未还款项按约定支付，未到期各期只还本金、不收未来利息；提前部分还款的，借款人可选择缩短期限或减少每期还款额，" +
    "所还本金按实际天数计收当期利息。提前还款不收取违约金，任何提前还款费用连同已收利息和费用不得使综合年化成本超过监管上限。"
  );
}

function disputeText(terms: ContractTerms): string {
  const d = terms.disputeResolution;
  return d.kind === "court"
    ? `因本合同引起的或与本合同有关的任何争议，由双方协商解决；协商不成的，任何一方均可向${d.body}提起诉讼。`
    : `因本合同引起的或与本合同有关的任何争议，提交${d.body}，按照申请仲裁时该会现行有效的仲裁规则进行仲裁。仲裁裁决是终局的，对双方均有约束力。`;
}

function lenderNames(terms: ContractTerms): string {
  return terms.lenders
    .map((l) => (terms.lenders.length > 1 ? `${l.name}（出资 ${percentOf(l.shareBps)}）` : l.name))
    .join("、");
}

/** The key-facts sheet (关键信息摘要): the figures a borrower must see before signing, on one page. */
function writeKeyFacts(w: Writer, terms: ContractTerms, figures: ContractFigures): void {
  const first = figures.schedule[0]!;
  w.text("借款关键信息摘要", { size: 18, center: true, gap: 4 });
  w.text(`合同编号：${terms.contractNumber}`, { size: 9, center: true, gap: 10 });
  const facts: Array<[string, string]> = [
    ["借款人", terms.borrower.name],
    ["贷款人", lenderNames(terms)],
    ...(terms.platform === undefined ? [] : ([["合作平台", terms.platform.name]] as Array<[string, string]>)),
    ["借款本金", yuan(terms.principalFen)],
    ["借款期限", `${termText(terms, figures)}，自 ${terms.startDate} 起`],
    ["还款方式", `${METHOD_NAMES[terms.method]}，共 ${figures.schedule.length} 期`],
    ["合同年利率", percentOf(terms.aprBps)],
    ["综合年化成本", `${percentOf(figures.allInAprBps)}（含利息及全部费用，按 IRR 年化）`],
    ["利息总额", yuan(figures.totalInterestFen)],
    ["费用总额", yuan(figures.totalFeesFen)],
    ["还款总额", `${yuan(figures.totalRepaidFen)}（本金、利息及全部费用）`],
    ["首期还款", `${first.dueDate} 应还 ${yuan(first.totalFen)}`],
    ["逾期罚息", `逾期本金按年利率 ${percentOf(terms.penaltyAprBps)} 按日计收`],
    ["提前还款", "可随时提前结清或部分提前还款，不收违约金"],
    [
      "争议解决",
      terms.disputeResolution.kind === "court"
        ? `${terms.disputeResolution.body}诉讼`
        : `${terms.disputeResolution.body}仲裁`,
    ],
    ["收款账户", terms.receivingAccountMasked],
  ];
  for (const [label, value] of facts) {
    w.text(`${label}：${value}`, { size: 11, gap: 2 });
  }
  w.space(6);
  w.text("费用明细：", { size: 11 });
  for (const line of feeLines(terms)) w.text(line, { size: 10, indent: 16 });
  w.space(8);
  w.text(
    "请您仔细阅读本摘要及借款合同全文。综合年化成本按国家有关规定以内部收益率法计算，已包括利息和本合同约定的全部费用；" +
      "除本合同列明的费用外，贷款人及合作机构不向您收取任何其他费用。",
    { size: 9.5 },
  );
}

function writeContract(w: Writer, terms: ContractTerms, figures: ContractFigures): void {
  w.text("个人借款合同", { size: 18, center: true, gap: 4 });
  w.text(`合同编号：${terms.contractNumber}`, { size: 9, center: true, gap: 10 });
  w.text(
    `借款人（甲方）：${terms.borrower.name}，证件号码：${terms.borrower.identifier}${terms.borrower.address === undefined ? "" : `，住所：${terms.borrower.address}`}`,
  );
  terms.lenders.forEach((l, i) =>
    w.text(
      `贷款人（乙方${terms.lenders.length > 1 ? i + 1 : ""}）：${l.name}，统一社会信用代码：${l.identifier}${terms.lenders.length > 1 ? `，出资比例 ${percentOf(l.shareBps)}` : ""}`,
    ),
  );
  if (terms.platform !== undefined)
    w.text(`合作平台：${terms.platform.name}，统一社会信用代码：${terms.platform.identifier}`);
  w.space(6);
  w.text("甲乙双方经平等协商，就甲方向乙方借款事宜订立本合同，共同遵守。", { gap: 4 });

  const articles: Array<[string, string]> = [
    [
      "第一条 借款金额与用途",
      `借款本金为${yuan(terms.principalFen)}。借款用途：${terms.purpose}。甲方不得将借款用于购房、证券、期货等投资及法律法规禁止的用途。`,
    ],
    [
      "第二条 借款期限与发放",
      `借款期限为${termText(terms, figures)}，自 ${terms.startDate} 起算。乙方将借款足额发放至甲方指定账户 ${terms.receivingAccountMasked}，不预先扣除利息。`,
    ],
    [
      "第三条 利率与综合年化成本",
      `合同年利率为 ${percentOf(terms.aprBps)}。本借款的综合年化成本为 ${percentOf(figures.allInAprBps)}，已包括利息及本合同约定的全部费用（按内部收益率法计算）。` +
        `利息总额${yuan(figures.totalInterestFen)}，费用总额${yuan(figures.totalFeesFen)}，还款总额${yuan(figures.totalRepaidFen)}。`,
    ],
    [
      "第四条 还款方式",
      `还款方式为${METHOD_NAMES[terms.method]}，共 ${figures.schedule.length} 期，各期应还金额和日期见本合同所附还款计划表。每期应还款项须于还款日 24 时（北京时间）前足额存入还款账户。`,
    ],
    [
      "第五条 费用",
      `${feeLines(terms).join("；")}${terms.fees.length === 0 ? "" : "。"}除上述费用外，乙方及合作机构不收取其他任何费用。`,
    ],
    ["第六条 提前还款", prepaymentText()],
    [
      "第七条 逾期与违约",
      `甲方未按期足额还款的，自逾期之日起对逾期本金按年利率 ${percentOf(terms.penaltyAprBps)} 按日计收罚息，不计复利；合同利率与罚息利率之和不超过监管规定的上限。` +
        "甲方逾期超过九十日、提供虚假资料或改变借款用途的，乙方有权宣布借款提前到期，并依法追索。逾期信息将依法报送金融信用信息基础数据库。",
    ],
    ["第八条 争议解决", disputeText(terms)],
    [
      "第九条 电子签名与存证",
      "本合同以电子形式订立。甲方以其数字证书进行电子签名，乙方加盖电子签章，均为《中华人民共和国电子签名法》规定的可靠电子签名，与手写签名或盖章具有同等法律效力。" +
        "本合同签署后，其哈希值锚定于联盟链存证，任何一方均可据此核验本合同未被篡改。",
    ],
    ["第十条 其他", `本合同自甲方电子签名、乙方加盖电子签章之日起生效。签订地：${terms.place}。`],
  ];
  for (const [title, body] of articles) {
    w.text(title, { size: 11.5 });
    w.text(body, { indent: 12, gap: 4 });
  }

  w.breakPage();
  w.text("附件：还款计划表", { size: 13, center: true, gap: 6 });
  const columns = [
    { x: 0 },
    { x: 40 },
    { x: 210, right: true },
    { x: 310, right: true },
    { x: 410, right: true },
  ] as const;
  w.row(["期数", "还款日", "本金（元）", "利息（元）", "应还合计（元）"], columns, 9.5);
  for (const i of figures.schedule) {
    w.row(
      [
        String(i.index),
        i.dueDate,
        formatYuan(i.principalFen),
        formatYuan(i.interestFen),
        formatYuan(i.totalFen),
      ],
      columns,
    );
  }
  w.space(4);
  w.text(
    `合计：本金 ${formatYuan(terms.principalFen)} 元，利息 ${formatYuan(figures.totalInterestFen)} 元；另有费用 ${formatYuan(figures.totalFeesFen)} 元（见第五条）。`,
    { size: 9.5, gap: 16 },
  );
  w.text("甲方（电子签名）：", { gap: 18 });
  w.text("乙方（电子签章）：");
}

async function newDocument(
  title: string,
  terms: ContractTerms,
  createdAt: Date,
): Promise<{ doc: PDFDocument; font: PDFFont }> {
  const doc = await PDFDocument.create();
  // the padded subset: a short document's subset is under 64 KiB, where plain fontkit blanks glyphs
  const font = await embedCjkFont(doc);
  doc.setTitle(`${title} ${terms.contractNumber}`);
  doc.setSubject(title);
  doc.setLanguage("zh-CN");
  doc.setProducer("JointLedger node");
  doc.setCreator("JointLedger node");
  doc.setCreationDate(createdAt);
  doc.setModificationDate(createdAt);
  return { doc, font };
}

/**
 * The contract and the key-facts sheet for `terms`. `createdAt` is the documents' date (so the same
 * terms and date give the same bytes). Refuses terms the lending code refuses
 * (NODE_ERR_CONTRACT_BAD_TERMS).
 */
export async function generateContract(
  terms: ContractTerms,
  createdAt: Date = new Date(),
): Promise<GeneratedContract> {
  const figures = contractFigures(terms);
  const footer = `合同编号 ${terms.contractNumber}`;

  const contract = await newDocument("个人借款合同", terms, createdAt);
  const w = new Writer(contract.doc, contract.font, footer);
  writeKeyFacts(w, terms, figures);
  w.breakPage();
  writeContract(w, terms, figures);

  const sheet = await newDocument("借款关键信息摘要", terms, createdAt);
  writeKeyFacts(new Writer(sheet.doc, sheet.font, footer), terms, figures);
  if (sheet.doc.getPageCount() !== 1) throw new Error("the key-facts sheet must fit on one page");

  return {
    contractPdf: await contract.doc.save({ useObjectStreams: false }),
    keyFactsPdf: await sheet.doc.save({ useObjectStreams: false }),
    figures,
  };
}
