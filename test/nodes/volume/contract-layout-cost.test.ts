// A contract's generation without the quadratic line measuring (nodes/src/e-contract/text-width.ts)
// and with the CJK font parsed once per process (court-package/cjk-font.ts): the lines broken are
// the ones exact shaped widths give, for the contract's own kinds of text at every width; a long
// paragraph is shaped a bounded number of times, not once per piece; documents that share the
// parsed font still each embed a subset of only their own glyphs.
import { expect } from "chai";
import { PDFDocument, type PDFFont } from "pdf-lib";
import { embedCjkFont } from "../../../nodes/src/court-package/cjk-font.ts";
import { generateContract } from "../../../nodes/src/e-contract/generate.ts";
import { breakLines } from "../../../nodes/src/e-contract/line-break.ts";
import { TextWidths } from "../../../nodes/src/e-contract/text-width.ts";
import { jointLoanTerms } from "../e-contract/fixtures.ts";

/** Contract-like text: Chinese clauses, amounts, rates, dates, Latin names and hashes, punctuation. */
function paragraph(seed: number, length: number): string {
  const parts = [
    "借款人应按期足额偿还本金和利息，",
    "逾期的按合同约定计收罚息。",
    "60,000.00 元",
    "年化利率 14.40%",
    "2026年3月1日",
    "12 个月",
    "Zhang San ",
    "（杭州西湖农村商业银行）",
    "0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "AVATAR Wave Type ",
    "《借款合同》第十二条；",
  ];
  let state = seed;
  let out = "";
  while (out.length < length) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    out += parts[state % parts.length];
  }
  return out;
}

async function font(): Promise<PDFFont> {
  return embedCjkFont(await PDFDocument.create());
}

describe("contract layout cost: estimated widths, one parsed font", function () {
  this.timeout(120_000);

  it("breaks every line where the shaped widths break it, at every size and width", async function () {
    const f = await font();
    const widths = new TextWidths((text, size) => f.widthOfTextAtSize(text, size));
    let lines = 0;
    for (let seed = 1; seed <= 15; seed++) {
      const text = paragraph(seed, 300);
      for (const size of [8, 9, 10.5, 14]) {
        for (const width of [60, 150, 301.5, 483]) {
          const exact = breakLines(text, (t) => f.widthOfTextAtSize(t, size), width);
          expect(
            breakLines(text, widths.measure(size, width), width),
            `seed ${seed} ${size}/${width}`,
          ).to.deep.equal(exact);
          lines += exact.length;
        }
      }
    }
    expect(lines).to.be.greaterThan(4_000);
  });

  it("shapes a long paragraph a bounded number of times, not once per piece", async function () {
    const f = await font();
    let shaped = 0;
    let shapedChars = 0;
    const widths = new TextWidths((text, size) => {
      shaped++;
      shapedChars += text.length;
      return f.widthOfTextAtSize(text, size);
    });
    const text = paragraph(7, 4_000);
    let asked = 0;
    const measure = widths.measure(10.5, 483);
    breakLines(
      text,
      (t) => {
        asked++;
        return measure(t);
      },
      483,
    );
    // each distinct character once, plus the candidates near a line's end
    expect(asked).to.be.greaterThan(1_000);
    expect(shaped, `${shaped} shapings for ${asked} measures`).to.be.lessThan(asked / 2);
    // the exact measure shaped every candidate line whole: quadratic in the line's length
    expect(shapedChars, "characters shaped").to.be.lessThan(text.length * 20);
  });

  it("documents sharing the parsed font each embed a subset of their own glyphs only", async function () {
    const subsetSize = async (text: string) => {
      const doc = await PDFDocument.create();
      const f = await embedCjkFont(doc);
      doc.addPage().drawText(text, { font: f, size: 12 });
      return (await doc.save()).length;
    };
    const small = await subsetSize("甲");
    await subsetSize(paragraph(3, 2_000)); // many glyphs through the shared font in between
    expect(await subsetSize("甲"), "the same one-glyph document again").to.equal(small);
    const contract = await generateContract(jointLoanTerms());
    expect(contract.contractPdf.length).to.be.lessThan(1_000_000);
  });
});
