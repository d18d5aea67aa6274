// Line breaking in the node's PDFs (nodes/src/e-contract/line-break.ts), measured with the font the
// PDFs embed: no line breaks inside a number, an amount or a date, a number keeps its "%" or "元",
// closing punctuation never starts a line; and the generated contract, read back by pdfjs-dist,
// never splits one across two lines whatever the length of the names before it (the old layout
// broke "70.|00%" when a lender's name put the break there).
import { expect } from "chai";
import { PDFDocument, type PDFFont } from "pdf-lib";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { embedCjkFont } from "../../../nodes/src/court-package/cjk-font.ts";
import { generateContract } from "../../../nodes/src/e-contract/generate.ts";
import { breakLines, unbreakablePieces, type Measure } from "../../../nodes/src/e-contract/line-break.ts";
import { jointLoanTerms } from "./fixtures.ts";

/** Numbers with what must stay with them: amounts, percentages, dates, terms. */
const KEPT_WHOLE =
  /\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{2}-\d{2}|\d[\d,]*(?:\.\d+)?(?: ?(?:%|元|个月|天|期))?/g;
const CLOSING_START = /^[，。、；：！？）》」』%,.;:!?)]/;

type Drawn = { str: string; x: number; y: number; width: number };

/** Each text item of each page as pdfjs-dist extracts it (one drawn line or table cell), with where it is. */
async function pdfLines(pdf: Uint8Array): Promise<Drawn[][]> {
  const task = getDocument({ data: new Uint8Array(pdf), useSystemFonts: false });
  const doc = await task.promise;
  const pages: Drawn[][] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    pages.push(
      content.items.flatMap((item) =>
        "str" in item && item.str.trim() !== ""
          ? [
              {
                str: item.str,
                x: item.transform[4] as number,
                y: item.transform[5] as number,
                width: item.width,
              },
            ]
          : [],
      ),
    );
  }
  await task.destroy();
  return pages;
}

/** The right end a wrapped line reaches when it was broken for want of room (A4 less the contract's margin). */
const FULL_LINE_END = 595.28 - 56 - 40;
/** A break inside a number, or between a number and its unit. */
const SPLIT_NUMBER = (before: string, after: string) =>
  (/[\d.,]$/.test(before) && /^[\d.,%元]/.test(after)) ||
  (/\d ?$/.test(before) && /^ ?(?:%|元|个月|期|天)/.test(after));

/** Every number-with-unit of `text` lies whole in one of `lines`. */
function expectKeptWhole(text: string, lines: string[], what: string) {
  for (const match of text.matchAll(KEPT_WHOLE)) {
    expect(
      lines.some((line) => line.includes(match[0])),
      `${what}: "${match[0]}" split across ${JSON.stringify(lines)}`,
    ).to.equal(true);
  }
}

describe("e-contract/line-break: CJK line breaking that keeps numbers whole", function () {
  this.timeout(120_000);
  let font: PDFFont;
  const SIZE = 10.5;
  let measure: Measure;

  before(async function () {
    font = await embedCjkFont(await PDFDocument.create());
    measure = (text) => font.widthOfTextAtSize(text, SIZE);
  });

  it("keeps 70.00% whole where a break between characters fell inside it", function () {
    const text =
      "贷款人（乙方1）：杭州西湖农村商业银行，统一社会信用代码：91330100MA27XXXX1A，出资比例 70.00%";
    // the line ends right after "70.": the old layout put "00%" on the next line
    const width = measure(text.slice(0, text.indexOf("70.") + 3)) + 0.5;
    const lines = breakLines(text, measure, width);
    expect(lines.some((l) => l.endsWith("70."))).to.equal(false);
    expect(lines.at(-1)).to.equal("70.00%");
    expect(lines.join("")).to.equal(text.replace(" 70", "70"));
    for (const line of lines) expect(measure(line)).to.be.at.most(width);
  });

  it("keeps amounts with 元, dates, terms and percentages whole at every width, and no line starts with closing punctuation", function () {
    const text =
      "借款本金为人民币 60,000.00 元，借款期限为 12 个月，自 2026-03-01 起算，首期于2026年4月1日应还人民币 5,497.35 元。" +
      "合同年利率为 18.00%，综合年化成本为 23.96%（含利息及全部费用），逾期本金按年利率 6.00% 按日计收罚息。";
    for (let width = measure("人民币 60,000.00 元，"); width < measure(text); width += 7.3) {
      const lines = breakLines(text, measure, width);
      expectKeptWhole(text, lines, `width ${width.toFixed(1)}`);
      for (const line of lines) {
        expect(line, `width ${width.toFixed(1)}`).to.not.match(CLOSING_START);
        expect(measure(line), `"${line}"`).to.be.at.most(width);
      }
      expect(lines.join("").replaceAll(" ", "")).to.equal(text.replaceAll(" ", ""));
    }
  });

  it("finds the pieces: a number with its unit across one space, a date in 年月日, opening punctuation with what it opens", function () {
    expect(unbreakablePieces("人民币 60,000.00 元，共 12 期")).to.deep.equal([
      "人",
      "民",
      "币",
      " ",
      "60,000.00 元，",
      "共",
      " ",
      "12 期",
    ]);
    expect(unbreakablePieces("于2026年3月1日（北京时间）")).to.deep.equal([
      "于",
      "2026年3月1日",
      "（北",
      "京",
      "时",
      "间）",
    ]);
    expect(unbreakablePieces("hash 0xAbC123, ok.")).to.deep.equal(["hash", " ", "0xAbC123,", " ", "ok."]);
  });

  it("breaks a hash wider than the line between characters, every line within the width", function () {
    const hash = `0x${"0123456789abcdef".repeat(4)}`;
    const width = measure(hash) / 3;
    const lines = breakLines(`区块 ${hash}`, measure, width);
    expect(lines.join("")).to.equal(`区块${hash}`);
    for (const line of lines) expect(measure(line)).to.be.at.most(width);
  });

  it("the generated contract splits no number, amount or date across lines, whatever the names' lengths", async function () {
    let wrapped = 0;
    for (let pad = 0; pad <= 16; pad++) {
      const terms = jointLoanTerms();
      const name = `${terms.lenders[0]!.name}${"农".repeat(pad)}`;
      const { contractPdf } = await generateContract({
        ...terms,
        lenders: [{ ...terms.lenders[0]!, name }, terms.lenders[1]!],
      });
      for (const items of await pdfLines(contractPdf)) {
        for (const [k, line] of items.entries()) {
          const next = items[k + 1];
          // a line the layout broke for want of room, and the line that goes on from it
          if (next === undefined || next.y >= line.y || line.x + line.width < FULL_LINE_END) continue;
          wrapped++;
          const where = `pad ${pad}: "${line.str}" | "${next.str}"`;
          expect(SPLIT_NUMBER(line.str, next.str), where).to.equal(false);
          expect(next.str, where).to.not.match(CLOSING_START);
        }
      }
    }
    expect(wrapped, "lines the layout wrapped").to.be.greaterThan(100);
  });
});
