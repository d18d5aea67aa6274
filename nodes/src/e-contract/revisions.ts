// What a later signature's incremental update may change in the document an earlier signer signed:
// nothing anyone sees. Every object of the earlier revision must be unchanged in the later one,
// except that the catalog may gain the form (/AcroForm), the form its fields, and a page its
// annotations — and every annotation added must be an invisible signature widget (zero-area /Rect,
// no appearance stream). Otherwise a later signer could re-define a content stream, swap a font or
// lay a visible annotation over the signed text and seal what the earlier signer never saw.
import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFName,
  PDFNumber,
  PDFRawStream,
  PDFRef,
  type PDFObject,
} from "pdf-lib";

/** Keys that signing adds to existing objects; ignored when comparing them. */
const GROWS = new Set(["/AcroForm", "/Annots", "/Fields", "/SigFlags"]);

function serialized(obj: PDFObject | undefined): string {
  if (obj === undefined) return "undefined";
  if (obj instanceof PDFRawStream)
    return `${obj.dict.toString()}stream:${Buffer.from(obj.contents).toString("base64")}`;
  if (obj instanceof PDFDict) {
    const entries = [...obj.entries()]
      .filter(([k]) => !GROWS.has(k.toString()))
      .map(([k, v]) => `${k.toString()} ${v.toString()}`);
    return `<<${entries.sort().join(" ")}>>`;
  }
  return obj.toString();
}

function isInvisibleSignatureWidget(doc: PDFDocument, ref: PDFObject): boolean {
  const annot = ref instanceof PDFRef ? doc.context.lookup(ref) : ref;
  if (!(annot instanceof PDFDict)) return false;
  if (
    annot.get(PDFName.of("Subtype")) !== PDFName.of("Widget") ||
    annot.get(PDFName.of("FT")) !== PDFName.of("Sig")
  )
    return false;
  if (annot.get(PDFName.of("AP")) !== undefined) return false;
  const rect = annot.get(PDFName.of("Rect"));
  if (!(rect instanceof PDFArray) || rect.size() !== 4) return false;
  const [x1, y1, x2, y2] = rect.asArray().map((n) => (n instanceof PDFNumber ? n.asNumber() : NaN)) as [
    number,
    number,
    number,
    number,
  ];
  return (x2 - x1) * (y2 - y1) === 0;
}

function annotsOf(doc: PDFDocument, pageRef: PDFRef): PDFObject[] {
  const page = doc.context.lookup(pageRef);
  const annots = page instanceof PDFDict ? page.get(PDFName.of("Annots")) : undefined;
  const array = annots instanceof PDFRef ? doc.context.lookup(annots) : annots;
  return array instanceof PDFArray ? array.asArray() : [];
}

/**
 * Undefined when `after` only adds signature fields to `before` (a prefix of it, one revision
 * earlier); otherwise what changed, for the refusal's message.
 */
export async function visibleChange(before: Uint8Array, after: Uint8Array): Promise<string | undefined> {
  const old = await PDFDocument.load(before, { updateMetadata: false, throwOnInvalidObject: true });
  const now = await PDFDocument.load(after, { updateMetadata: false, throwOnInvalidObject: true });
  for (const [ref, obj] of old.context.enumerateIndirectObjects()) {
    if (serialized(obj) !== serialized(now.context.lookup(ref))) return `object ${ref.toString()} changed`;
  }
  const oldPages = old.getPages().map((p) => p.ref);
  const newPages = now.getPages().map((p) => p.ref);
  if (oldPages.join() !== newPages.join()) return "the pages changed";
  for (const pageRef of newPages) {
    const had = new Set(annotsOf(old, pageRef).map((a) => a.toString()));
    for (const annot of annotsOf(now, pageRef)) {
      if (!had.has(annot.toString()) && !isInvisibleSignatureWidget(now, annot))
        return `page ${pageRef.toString()} gained an annotation ${annot.toString()} that is not an invisible signature field`;
    }
  }
  return undefined;
}
