// Text widths for line breaking without shaping every candidate line. The line breaker asks the
// width of the line so far plus the next piece, piece after piece; pdf-lib answers each by laying
// the whole string out through fontkit (GSUB/GPOS), so a paragraph cost time quadratic in its
// length and breaking lines was most of a contract's generation. Here a string's width is first
// estimated as the sum of its characters' advances, each shaped once per size; only when the
// estimate is too close to the line's width to decide (within what kerning could move it) is the
// string shaped whole. The lines broken are the ones exact widths give.
import type { Measure } from "./line-break.ts";

/** How far an estimate may be from the shaped width: kerning and contextual forms, generously. */
const TOLERANCE_SHARE = 0.02;

export class TextWidths {
  readonly #shaped: (text: string, size: number) => number;
  readonly #advances = new Map<number, Map<string, number>>();

  /** `shaped`: the exact width of `text` at `size` (e.g. pdf-lib's font.widthOfTextAtSize). */
  constructor(shaped: (text: string, size: number) => number) {
    this.#shaped = shaped;
  }

  /** The sum of the characters' advances at `size`. */
  estimate(text: string, size: number): number {
    let advances = this.#advances.get(size);
    if (advances === undefined) {
      advances = new Map<string, number>();
      this.#advances.set(size, advances);
    }
    let sum = 0;
    for (const ch of text) {
      let advance = advances.get(ch);
      if (advance === undefined) {
        advance = this.#shaped(ch, size);
        advances.set(ch, advance);
      }
      sum += advance;
    }
    return sum;
  }

  /**
   * A measure for lines of `width` at `size` that compares with `width` as the exact width does:
   * the estimate where it is clearly on one side, the shaped width where it is close.
   */
  measure(size: number, width: number): Measure {
    const tolerance = width * TOLERANCE_SHARE + size;
    return (text) => {
      const estimate = this.estimate(text, size);
      return Math.abs(estimate - width) <= tolerance ? this.#shaped(text, size) : estimate;
    };
  }
}
