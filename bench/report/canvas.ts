// A minimal RGBA raster for the report's charts: filled rectangles, thick and dashed lines,
// text in the 5×7 bitmap font (horizontal or rotated a quarter turn), PNG encoding with pngjs.
import { PNG } from "pngjs";
import { ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyph, textWidth } from "./font.ts";

export type Color = readonly [number, number, number];

export const WHITE: Color = [255, 255, 255];
export const BLACK: Color = [0, 0, 0];
export const GREY: Color = [120, 120, 120];
export const LIGHT_GREY: Color = [225, 225, 225];
/** Distinguishable series colours (Tableau 10, first five). */
export const PALETTE: readonly Color[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
];

export type Align = "left" | "center" | "right";

export class Canvas {
  readonly width: number;
  readonly height: number;
  readonly data: Buffer;

  constructor(width: number, height: number, background: Color = WHITE) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
      throw new RangeError(`canvas size must be positive integers, got ${width}×${height}`);
    this.width = width;
    this.height = height;
    this.data = Buffer.alloc(width * height * 4);
    this.rect(0, 0, width, height, background);
  }

  pixel(x: number, y: number, c: Color): void {
    const px = Math.round(x);
    const py = Math.round(y);
    if (px < 0 || py < 0 || px >= this.width || py >= this.height) return;
    const o = (py * this.width + px) * 4;
    this.data[o] = c[0];
    this.data[o + 1] = c[1];
    this.data[o + 2] = c[2];
    this.data[o + 3] = 255;
  }

  /** The colour at (x, y), for tests. */
  at(x: number, y: number): Color {
    const o = (y * this.width + x) * 4;
    return [this.data[o]!, this.data[o + 1]!, this.data[o + 2]!];
  }

  rect(x: number, y: number, w: number, h: number, c: Color): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let py = y0; py < y1; py++) for (let px = x0; px < x1; px++) this.pixel(px, py, c);
  }

  /** A line `thickness` pixels wide; `dash` = [on, off] lengths in pixels for a dashed line. */
  line(
    x0: number,
    y0: number,
    x1: number,
    y1: number,
    c: Color,
    thickness = 1,
    dash?: readonly [number, number],
  ): void {
    const length = Math.hypot(x1 - x0, y1 - y0);
    const steps = Math.max(1, Math.ceil(length * 2));
    const half = (thickness - 1) / 2;
    for (let i = 0; i <= steps; i++) {
      const t = i / steps;
      if (dash !== undefined && (t * length) % (dash[0] + dash[1]) >= dash[0]) continue;
      const x = x0 + (x1 - x0) * t;
      const y = y0 + (y1 - y0) * t;
      if (thickness <= 1) this.pixel(x, y, c);
      else this.rect(x - half, y - half, thickness, thickness, c);
    }
  }

  /** Text whose top edge is at y; x is its left edge, centre or right edge per `align`. */
  text(x: number, y: number, text: string, c: Color, scale = 2, align: Align = "left"): void {
    const width = textWidth(text, scale);
    let left = Math.round(align === "left" ? x : align === "center" ? x - width / 2 : x - width);
    const top = Math.round(y);
    for (const char of text) {
      const rows = glyph(char);
      for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
        for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
          if ((rows[gy]! >> (GLYPH_WIDTH - 1 - gx)) & 1)
            this.rect(left + gx * scale, top + gy * scale, scale, scale, c);
        }
      }
      left += ADVANCE * scale;
    }
  }

  /** Text rotated a quarter turn anticlockwise (reads bottom to top), centred on (cx, cy). */
  textUp(cx: number, cy: number, text: string, c: Color, scale = 2): void {
    const width = textWidth(text, scale);
    const left = Math.round(cx - (GLYPH_HEIGHT * scale) / 2);
    let bottom = Math.round(cy + width / 2);
    for (const char of text) {
      const rows = glyph(char);
      for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
        for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
          // glyph column gx runs up from `bottom`, glyph row gy runs right from `left`
          if ((rows[gy]! >> (GLYPH_WIDTH - 1 - gx)) & 1)
            this.rect(left + gy * scale, bottom - (gx + 1) * scale, scale, scale, c);
        }
      }
      bottom -= ADVANCE * scale;
    }
  }

  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    this.data.copy(png.data);
    return PNG.sync.write(png, { colorType: 6 });
  }
}
