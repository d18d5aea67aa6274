// Contract generation (nodes/src/e-contract/generate.ts): the PDFs' text, read back by an
// independent parser (pdfjs-dist), carries the terms and the all-in annual cost computed by
// common/lending/apr.ts; the CJK font is embedded as a subset; the key-facts sheet is one page.
import { expect } from "chai";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { PDFDocument, PDFName, PDFDict } from "pdf-lib";
import { allInAprBps } from "../../../common/lending/apr.ts";
import { dateToDay } from "../../../common/lending/dates.ts";
import { aprFeesOf, chainFeesOf } from "../../../common/lending/fees.ts";
import { formatYuan } from "../../../common/lending/money.ts";
import { RepaymentMethod, generateSchedule } from "../../../common/lending/schedule.ts";
import { EContractError } from "../../../nodes/src/errors.ts";
import { generateContract } from "../../../nodes/src/e-contract/generate.ts";
import { percentOf } from "../../../nodes/src/e-contract/terms.ts";
import { jointLoanTerms } from "./fixtures.ts";

/** The text of every page, as a PDF reader extracts it (items joined, whitespace dropped). */
async function pdfText(pdf: Uint8Array): Promise<{ pages: string[] }> {
  const task = getDocument({ data: new Uint8Array(pdf), useSystemFonts: false });
  const doc = await task.promise;
  const pages: string[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    pages.push(
      content.items
        .map((i) => ("str" in i ? i.str : ""))
        .join("")
        .replace(/\s+/g, ""),
    );
  }
  await task.destroy();
  return { pages };
}

const squash = (s: string): string => s.replace(/\s+/g, "");

describe("e-contract: generating the contract PDF and the key-facts sheet", function () {
  this.timeout(60_000);

  it("carries the parties, principal, all-in annual cost from apr.ts, schedule, fees, prepayment, penalty and the court", async () => {
    const terms = jointLoanTerms();
    const { contractPdf, keyFactsPdf, figures } = await generateContract(terms);

    // The all-in cost computed here independently of the module, from the lending code.
    const schedule = generateSchedule({
      principalFen: terms.principalFen,
      aprBps: terms.aprBps,
      method: terms.method,
      startDate: terms.startDate,
      termMonths: 12,
    });
    const startDay = dateToDay(terms.startDate);
    const expectedApr = allInAprBps({
      method: terms.method,
      principalFen: terms.principalFen,
      installments: schedule.map((i) => ({ dueDay: i.dueDay, totalFen: i.totalFen })),
      fees: aprFeesOf(chainFeesOf(terms.fees, schedule.length), schedule, startDay),
      startDay,
    });
    expect(figures.allInAprBps).to.equal(expectedApr);
    expect(expectedApr).to.be.greaterThan(terms.aprBps); // the fees count

    const text = (await pdfText(contractPdf)).pages.join("");
    for (const needle of [
      "个人借款合同",
      "借款关键信息摘要",
      "张三",
      "杭州西湖农村商业银行",
      "联合金融科技有限公司",
      "100000.00",
      `综合年化成本为${percentOf(expectedApr)}`,
      `合同年利率为${percentOf(terms.aprBps)}`,
      "平台服务费",
      "担保费",
      "账户管理费",
      "提前还款",
      `年利率${percentOf(terms.penaltyAprBps)}按日计收罚息`,
      "杭州市西湖区人民法院提起诉讼",
      "还款计划表",
      "等额本息",
    ]) {
      expect(text, needle).to.contain(squash(needle));
    }
    for (const i of schedule)
      expect(text).to.contain(
        `${i.dueDate}${formatYuan(i.principalFen)}${formatYuan(i.interestFen)}${formatYuan(i.totalFen)}`,
      );

    const sheet = await pdfText(keyFactsPdf);
    expect(sheet.pages).to.have.length(1);
    expect(sheet.pages[0]).to.contain(`综合年化成本：${percentOf(expectedApr)}`);
    expect(sheet.pages[0]).to.contain(`还款总额：人民币${formatYuan(figures.totalRepaidFen)}元`);
  });

  it("names an arbitration body when disputes go to arbitration", async () => {
    const { contractPdf } = await generateContract(
      jointLoanTerms({
        disputeResolution: { kind: "arbitration", body: "杭州仲裁委员会" },
        method: RepaymentMethod.Bullet,
        termMonths: undefined,
        termDays: 90,
        fees: [],
      }),
    );
    const text = (await pdfText(contractPdf)).pages.join("");
    expect(text).to.contain("提交杭州仲裁委员会");
    expect(text).to.contain("一次性还本付息");
    expect(text).to.contain("无任何费用");
  });

  it("embeds the CJK font once, as a subset (the whole file well under the 10 MB font)", async () => {
    const { contractPdf } = await generateContract(jointLoanTerms());
    expect(contractPdf.length).to.be.lessThan(600_000);
    const doc = await PDFDocument.load(contractPdf);
    const fonts = doc.context
      .enumerateIndirectObjects()
      .map(([, o]) => o)
      .filter(
        (o): o is PDFDict =>
          o instanceof PDFDict &&
          o.get(PDFName.of("Type")) === PDFName.of("Font") &&
          o.get(PDFName.of("Subtype")) === PDFName.of("CIDFontType2"),
      );
    expect(fonts).to.have.length(1);
    const name = fonts[0]!.get(PDFName.of("BaseFont"))!.toString();
    expect(name).to.match(/^\/NotoSansSC-Regular/);
  });

  it("refuses terms the lending code refuses, with its code", async () => {
    try {
      await generateContract(jointLoanTerms({ termMonths: 0 }));
      expect.fail("accepted a zero-month term");
    } catch (e) {
      expect(e).to.be.instanceOf(EContractError);
      expect((e as EContractError).code).to.equal("NODE_ERR_CONTRACT_BAD_TERMS");
    }
  });
});
