// Line breaking for the PDFs the node writes (contracts, certificates), after the CJK rules a
// reader expects (GB/T 15834 and the W3C's Chinese layout requirements): Chinese text breaks
// between any two characters, but never inside a number, an amount or a date; a number keeps its
// unit ("70.00%", "60,000.00 元", "12 个月", "2026年3月1日"); Latin words and hashes stay whole;
// closing punctuation never starts a line and opening punctuation never ends one. A piece wider
// than a whole line (a long hash in a narrow column) is the one thing broken between characters.

/** The width of `text` as it will be drawn (the font's advance at the size used). */
export type Measure = (text: string) => number;

/** Letters, digits and what joins them inside one number, date, hash or word. */
const WORD = /[A-Za-z0-9](?:[A-Za-z0-9_.,:/@+-]*[A-Za-z0-9%])?/y;
/** A unit that stays with the number before it, with or without a space between. */
const UNIT = / ?(?:%|‰|万元|元|个月|天|期|年|月|日|时|分|秒|岁|bps)/y;
/** Dates and times go on past these units while digits follow: 2026年3月1日, 3时30分. */
const CONTINUES = new Set(["年", "月", "时", "分"]);
const CLOSING = new Set([..."，。、；：！？）》」』】〕〉%‰,.;:!?)]}"]);
const OPENING = new Set([..."（《「『【〔〈([{"]);

/** The text as pieces no line may break inside, spaces as pieces of their own. */
export function unbreakablePieces(text: string): string[] {
  const pieces: string[] = [];
  let glue = ""; // opening punctuation waiting for what it opens
  const push = (piece: string) => {
    pieces.push(glue + piece);
    glue = "";
  };
  let i = 0;
  while (i < text.length) {
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    if (ch === " ") {
      if (glue !== "") push("");
      pieces.push(" ");
      i += 1;
      continue;
    }
    if (OPENING.has(ch)) {
      glue += ch;
      i += ch.length;
      continue;
    }
    if (CLOSING.has(ch) && glue === "" && pieces.length > 0 && pieces.at(-1) !== " ") {
      pieces[pieces.length - 1] += ch;
      i += ch.length;
      continue;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(text);
    if (word === null) {
      push(ch);
      i += ch.length;
      continue;
    }
    let piece = word[0];
    i = WORD.lastIndex;
    // a number takes its unit, and a date or time its next part: 2026年3月1日 is one piece
    while (/\d$/.test(piece)) {
      UNIT.lastIndex = i;
      const unit = UNIT.exec(text);
      if (unit === null) break;
      piece += unit[0];
      i = UNIT.lastIndex;
      WORD.lastIndex = i;
      const next = CONTINUES.has(unit[0].trim()) ? WORD.exec(text) : null;
      if (next === null || !/^\d/.test(next[0])) break;
      piece += next[0];
      i = WORD.lastIndex;
    }
    push(piece);
  }
  if (glue !== "") push("");
  return pieces;
}

/**
 * `text` as lines no wider than `width`: broken only between the pieces `unbreakablePieces`
 * finds, a space at a break dropped; a piece wider than a line alone is broken between characters.
 */
export function breakLines(text: string, measure: Measure, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  const place = (piece: string) => {
    if (line === "" && piece === " ") return;
    if (line === "" || measure(line + piece) <= width) {
      if (line !== "" || measure(piece) <= width) {
        line += piece;
        return;
      }
    } else {
      lines.push(line.trimEnd());
      line = "";
      if (piece === " ") return;
      if (measure(piece) <= width) {
        line = piece;
        return;
      }
    }
    // wider than a whole line: between characters, as the old layout broke everything
    for (const ch of piece) {
      if (line !== "" && measure(line + ch) > width) {
        lines.push(line);
        line = ch === " " ? "" : ch;
      } else line += ch;
    }
  };
  for (const piece of unbreakablePieces(text)) place(piece);
  lines.push(line.trimEnd());
  return lines;
}
