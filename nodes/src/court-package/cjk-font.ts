// The CJK font every PDF the node makes embeds (the loan contract and its key-facts sheet, the
// settlement agreement, the case certificate): Noto Sans SC, embedded as a subset of the glyphs
// drawn (tens of kilobytes a file instead of the whole 6.5 MB font).
//
// @pdf-lib/fontkit (1.1.1) copies each glyph's bytes into the subset as the font stores them, and
// a subset under 64 KiB gets the short `loca` format, whose offsets are stored halved: a glyph of
// odd length — Noto Sans SC stores many — shifts every later glyph by a byte, and readers draw
// those glyphs blank. The fontkit given to pdf-lib here pads each copied glyph to an even length
// (a zero byte after the glyph's data is never read), so the offsets stay exact.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { PDFDocument, PDFFont } from "pdf-lib";

const FONT_FILE = "@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf";
let fontBytes: Promise<Uint8Array> | undefined;

/** The part of fontkit's TrueType subset the padding touches (its glyph buffers and running offset). */
type GlyfSubset = { glyf: Uint8Array[]; offset: number; _addGlyph(gid: number): number };

type Fontkit = Parameters<PDFDocument["registerFontkit"]>[0];

// The font parsed once per process, not once per PDF (fontkit copies and parses all 6.5 MB each
// time, about a fifth of a contract's generation): pdf-lib only reads the parsed font, and each
// document takes a subset of its own (createSubset), so documents share nothing they write.
const parsedFonts = new WeakMap<object, ReturnType<Fontkit["create"]>>();

// fontkit's modules are a sixth of a node's module loading at boot: loaded at the first PDF
let evenGlyphFontkit: Promise<Fontkit> | undefined;
const loadFontkit = () =>
  (evenGlyphFontkit ??= import("@pdf-lib/fontkit").then(({ default: fontkit }) => padded(fontkit)));

const padded = (fontkit: Fontkit): Fontkit => ({
  create(buffer, postscriptName) {
    const parsed = postscriptName === undefined ? parsedFonts.get(buffer) : undefined;
    if (parsed !== undefined) return parsed;
    const font = fontkit.create(buffer, postscriptName);
    const createSubset = font.createSubset.bind(font);
    font.createSubset = () => {
      const subset = createSubset();
      const glyf = subset as unknown as GlyfSubset;
      const addGlyph = glyf._addGlyph.bind(glyf);
      glyf._addGlyph = (gid) => {
        const index = addGlyph(gid);
        const bytes = glyf.glyf[index]!;
        if (bytes.length % 2 === 1) {
          // fontkit's own Buffer class: its encoder takes no other chunk
          const padded = (bytes.constructor as unknown as { alloc(size: number): Uint8Array }).alloc(
            bytes.length + 1,
          );
          padded.set(bytes);
          glyf.glyf[index] = padded;
          glyf.offset += 1;
        }
        return index;
      };
      return subset;
    };
    if (postscriptName === undefined) parsedFonts.set(buffer, font);
    return font;
  },
});

export async function embedCjkFont(doc: PDFDocument): Promise<PDFFont> {
  doc.registerFontkit(await loadFontkit());
  fontBytes ??= readFile(createRequire(import.meta.url).resolve(FONT_FILE));
  return doc.embedFont(await fontBytes, { subset: true });
}
