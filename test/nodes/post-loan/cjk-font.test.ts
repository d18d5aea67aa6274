// The node's own PDFs (loan contract and key-facts sheet, settlement agreement, case certificate) embed the CJK font as a subset of
// the glyphs drawn, and every glyph of that subset must decode: a glyph whose bytes are shifted
// in the subset is drawn blank by PDF readers, which is how unpadded subsets of this font failed.
import { expect } from "chai";
import fontkit from "@pdf-lib/fontkit";
import { PDFDict, PDFDocument, PDFName, PDFRawStream, decodePDFRawStream } from "pdf-lib";
import { embedCjkFont } from "../../../nodes/src/court-package/cjk-font.ts";
import { agreementPdf } from "../../../nodes/src/mediation/agreement.ts";
import { proposePlan } from "../../../nodes/src/mediation/plan.ts";
import { generateContract } from "../../../nodes/src/e-contract/generate.ts";
import { RepaymentMethod } from "../../../common/lending/schedule.ts";
import { jointLoanTerms } from "../e-contract/fixtures.ts";

const CLAUSE = "借款人未按本协议履行的贷款方可依法申请仲裁或向人民法院申请立案电子证据核验证书全部核验通过";

/** The TrueType font programs (FontFile2) a PDF embeds, decoded. */
async function embeddedFonts(pdf: Uint8Array): Promise<Uint8Array[]> {
  const doc = await PDFDocument.load(pdf);
  const fonts: Uint8Array[] = [];
  for (const [, object] of doc.context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFDict)) continue;
    const file = object.get(PDFName.of("FontFile2"));
    const stream = file === undefined ? undefined : doc.context.lookup(file);
    if (stream instanceof PDFRawStream) fonts.push(decodePDFRawStream(stream).decode());
  }
  return fonts;
}

/** How many glyphs of the font program have an outline; throws where a glyph does not decode. */
function outlinedGlyphs(program: Uint8Array): { glyphs: number; outlined: number } {
  const font = fontkit.create(program);
  let outlined = 0;
  for (let id = 0; id < font.numGlyphs; id++) if (font.getGlyph(id).path.toSVG().length > 0) outlined++;
  return { glyphs: font.numGlyphs, outlined };
}

describe("CJK font: embedded as a subset whose every glyph decodes", function () {
  this.timeout(60_000);

  it("a page of Chinese text embeds a small subset with an outline for each character drawn", async function () {
    const doc = await PDFDocument.create();
    const font = await embedCjkFont(doc);
    doc.addPage().drawText(CLAUSE, { x: 20, y: 700, size: 10, font });
    const pdf = await doc.save();
    expect(pdf.length).to.be.below(100_000);
    const [program, ...others] = await embeddedFonts(pdf);
    expect(others).to.have.length(0);
    const distinct = new Set(CLAUSE).size;
    // glyph 0 (.notdef) and one per distinct character, each with its outline
    expect(outlinedGlyphs(program!)).to.deep.equal({ glyphs: distinct + 1, outlined: distinct + 1 });
  });

  it("the settlement agreement is tens of kilobytes, its font subset whole", async function () {
    const plan = proposePlan({
      outstandingPrincipalFen: 836_413n,
      overdueInterestFen: 15_000n,
      aprBps: 1800,
      capBps: 2400,
      startDate: "2026-03-10",
      termMonths: 12,
    });
    const pdf = await agreementPdf(
      {
        mediationId: `0x${"ab".repeat(32)}`,
        loanId: `0x${"cd".repeat(32)}`,
        branch: 2,
        funders: [2, 3],
        borrowerKey: `0x${"ef".repeat(32)}`,
        daysPastDue: 9,
        plan,
      },
      new Date(1_767_225_600_000),
    );
    expect(pdf.length).to.be.below(150_000);
    const [program] = await embeddedFonts(pdf);
    const { glyphs, outlined } = outlinedGlyphs(program!);
    // every glyph but .notdef's neighbours without ink (the space) has its outline
    expect(glyphs - outlined).to.be.at.most(2);
  });

  it("a short contract's font subsets keep every glyph's outline, the key-facts sheet's under 64 KiB", async function () {
    const { contractPdf, keyFactsPdf } = await generateContract(
      jointLoanTerms({ method: RepaymentMethod.Bullet, termMonths: 1 }),
      new Date(1_767_225_600_000),
    );
    for (const pdf of [keyFactsPdf, contractPdf]) {
      const [program, ...others] = await embeddedFonts(pdf);
      expect(others).to.have.length(0);
      // the one-page sheet's subset takes the short loca format, where an odd-length glyph shifted every later one
      if (pdf === keyFactsPdf) expect(program!.length).to.be.below(65_536);
      const { glyphs, outlined } = outlinedGlyphs(program!);
      expect(glyphs).to.be.above(100);
      // every glyph but those without ink (.notdef's neighbours: the space) has its outline
      expect(glyphs - outlined).to.be.at.most(2);
    }
  });
});
