// The CJK font the node's own PDFs embed (the settlement agreement, the case certificate): Noto
// Sans SC, as the loan contract uses it (e-contract/generate.ts). Embedded whole (about 6.5 MB a
// file): pdf-lib's subsetting of this font drops most CJK glyphs (poppler renders a subset-embedded
// certificate with its Chinese text missing), and a court certificate or an agreement to be signed
// must read in full.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import fontkit from "@pdf-lib/fontkit";
import type { PDFDocument, PDFFont } from "pdf-lib";

const FONT_FILE = "@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf";
let fontBytes: Promise<Uint8Array> | undefined;

export async function embedCjkFont(doc: PDFDocument): Promise<PDFFont> {
  doc.registerFontkit(fontkit);
  fontBytes ??= readFile(createRequire(import.meta.url).resolve(FONT_FILE));
  return doc.embedFont(await fontBytes, { subset: false });
}
