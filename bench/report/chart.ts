// The report's charts, drawn on a Canvas: a line chart (linear or log x), a histogram with
// percentile markers, and a grouped bar chart. Each has a title, labelled axes with ticks, grid
// lines and a legend; nothing depends on a font library or a browser.
import { BLACK, Canvas, type Color, GREY, LIGHT_GREY, PALETTE } from "./canvas.ts";
import { textWidth } from "./font.ts";

const SCALE = 2; // font scale: 10×14-pixel characters
const CHAR_H = 7 * SCALE;

export type Tick = { value: number; label: string };

/** "Nice" linear ticks covering [min, max] with about `count` intervals (1, 2, 2.5, 5 × 10^k steps). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max)))
    throw new RangeError(`ticks need finite bounds, got ${min}..${max}`);
  if (max <= min) max = min + 1;
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const first = Math.floor(min / step) * step;
  const out: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1]! < max) out.push(Number((out[out.length - 1]! + step).toPrecision(12)));
  return out;
}

/** Compact tick label: 0, 0.25, 7.5, 950, 2.5k, 40k, 1.2M. */
export function compact(v: number): string {
  const abs = Math.abs(v);
  const trim = (x: number) => String(Number(x.toPrecision(3)));
  if (abs >= 1e6) return `${trim(v / 1e6)}M`;
  if (abs >= 1e4) return `${trim(v / 1e3)}k`;
  if (abs >= 1e3 && abs % 1000 !== 0) return `${trim(v / 1e3)}k`;
  if (abs >= 1e3) return `${v / 1e3}k`;
  return trim(v);
}

type Frame = { left: number; top: number; right: number; bottom: number };

type AxisSpec = {
  title: string;
  xLabel: string;
  yLabel: string;
  xTicks: Tick[];
  yTicks: Tick[];
  x: (v: number) => number;
  y: (v: number) => number;
  minorX?: number[];
};

function frameFor(width: number, height: number): Frame {
  return { left: 110, top: 60, right: width - 30, bottom: height - 80 };
}

/** A chart's size in pixels: 960 × 540 unless its spec says otherwise. */
export type ChartSize = { width?: number; height?: number };

/** The chart's canvas and the frame its plot is drawn in. */
function chartCanvas(size: ChartSize): { c: Canvas; f: Frame } {
  const width = size.width ?? 960;
  const height = size.height ?? 540;
  return { c: new Canvas(width, height), f: frameFor(width, height) };
}

function drawAxes(c: Canvas, f: Frame, a: AxisSpec): void {
  c.text(c.width / 2, 18, a.title, BLACK, SCALE, "center");
  for (const t of a.yTicks) {
    const py = a.y(t.value);
    c.line(f.left, py, f.right, py, LIGHT_GREY);
    c.line(f.left - 6, py, f.left, py, BLACK, 2);
    c.text(f.left - 10, py - CHAR_H / 2, t.label, BLACK, SCALE, "right");
  }
  for (const v of a.minorX ?? []) {
    const px = a.x(v);
    c.line(px, f.top, px, f.bottom, [240, 240, 240]);
    c.line(px, f.bottom, px, f.bottom + 4, BLACK);
  }
  for (const t of a.xTicks) {
    const px = a.x(t.value);
    c.line(px, f.top, px, f.bottom, LIGHT_GREY);
    c.line(px, f.bottom, px, f.bottom + 7, BLACK, 2);
    c.text(px, f.bottom + 12, t.label, BLACK, SCALE, "center");
  }
  c.line(f.left, f.top, f.left, f.bottom, BLACK, 2);
  c.line(f.left, f.bottom, f.right, f.bottom, BLACK, 2);
  c.text((f.left + f.right) / 2, f.bottom + 44, a.xLabel, BLACK, SCALE, "center");
  c.textUp(24, (f.top + f.bottom) / 2, a.yLabel, BLACK, SCALE);
}

/** A horizontal legend centred under the x axis (where the axis title would go). */
function legendBelow(c: Canvas, f: Frame, entries: Array<{ name: string; color: Color }>): void {
  const widths = entries.map((e) => textWidth(e.name, SCALE) + 36);
  const gap = 30;
  const total = widths.reduce((a, b) => a + b, 0) + gap * (entries.length - 1);
  // centred under the plot, moved left as far as needed to stay on the canvas
  let x = Math.max(4, Math.min((f.left + f.right) / 2 - total / 2, c.width - 4 - total));
  entries.forEach((e, i) => {
    c.rect(x, f.bottom + 47, 28, 8, e.color);
    c.text(x + 36, f.bottom + 44, e.name, BLACK, SCALE);
    x += widths[i]! + gap;
  });
}

function legend(c: Canvas, f: Frame, entries: Array<{ name: string; color: Color }>): void {
  if (entries.length === 0) return;
  const width = Math.max(...entries.map((e) => textWidth(e.name, SCALE))) + 44;
  const x = f.right - width - 8;
  let y = f.top + 8;
  c.rect(x - 6, y - 6, width + 10, entries.length * 24 + 6, [255, 255, 255]);
  c.line(x - 6, y - 6, x + width + 4, y - 6, GREY);
  c.line(x - 6, y + entries.length * 24, x + width + 4, y + entries.length * 24, GREY);
  c.line(x - 6, y - 6, x - 6, y + entries.length * 24, GREY);
  c.line(x + width + 4, y - 6, x + width + 4, y + entries.length * 24, GREY);
  for (const e of entries) {
    c.rect(x, y + 3, 28, 8, e.color);
    c.text(x + 36, y, e.name, BLACK, SCALE);
    y += 24;
  }
}

export type LineSeries = { name: string; points: ReadonlyArray<readonly [number, number]>; color?: Color };

export type LineChartSpec = ChartSize & {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  xScale?: "linear" | "log";
};

export function lineChart(spec: LineChartSpec): Canvas {
  const { c, f } = chartCanvas(spec);
  const all = spec.series.flatMap((s) => s.points);
  const log = spec.xScale === "log";
  const xs = all.map(([x]) => x).filter((x) => (log ? x > 0 : Number.isFinite(x)));
  const ys = all.map(([, y]) => y).filter(Number.isFinite);
  let xTicks: Tick[];
  let minorX: number[] = [];
  let xMin: number;
  let xMax: number;
  if (log) {
    // a point exactly on a power of ten gets a decade of room on its left, off the y axis
    const lo = Math.floor(Math.log10(xs.length === 0 ? 1 : Math.min(...xs)) - 0.05);
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(xs.length === 0 ? 10 : Math.max(...xs))));
    xMin = lo;
    xMax = hi;
    xTicks = [];
    for (let k = lo; k <= hi; k++) {
      xTicks.push({ value: 10 ** k, label: compact(10 ** k) });
      if (k < hi) for (let m = 2; m <= 9; m++) minorX.push(m * 10 ** k);
    }
  } else {
    const ticks = niceTicks(xs.length === 0 ? 0 : Math.min(...xs), xs.length === 0 ? 1 : Math.max(...xs));
    xMin = ticks[0]!;
    xMax = ticks[ticks.length - 1]!;
    xTicks = ticks.map((v) => ({ value: v, label: compact(v) }));
  }
  // headroom above the highest point for the legend
  const yValues = niceTicks(0, ys.length === 0 ? 1 : Math.max(...ys) * 1.3);
  const yMax = yValues[yValues.length - 1]!;
  const x = (v: number) => f.left + (((log ? Math.log10(v) : v) - xMin) / (xMax - xMin)) * (f.right - f.left);
  const y = (v: number) => f.bottom - (v / yMax) * (f.bottom - f.top);
  minorX = minorX.filter((v) => x(v) > f.left && x(v) < f.right);
  drawAxes(c, f, {
    title: spec.title,
    xLabel: spec.xLabel,
    yLabel: spec.yLabel,
    xTicks,
    yTicks: yValues.map((v) => ({ value: v, label: compact(v) })),
    x,
    y,
    minorX,
  });
  spec.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const pts = s.points.filter(([px, py]) => Number.isFinite(py) && (log ? px > 0 : Number.isFinite(px)));
    for (let k = 1; k < pts.length; k++)
      c.line(x(pts[k - 1]![0]), y(pts[k - 1]![1]), x(pts[k]![0]), y(pts[k]![1]), color, 3);
    for (const [px, py] of pts) c.rect(x(px) - 4, y(py) - 4, 9, 9, color);
  });
  legend(
    c,
    f,
    spec.series.map((s, i) => ({ name: s.name, color: s.color ?? PALETTE[i % PALETTE.length]! })),
  );
  return c;
}

export type HistogramSpec = ChartSize & {
  title: string;
  xLabel: string;
  yLabel: string;
  /** counts[i] is the number of samples in [edges[i], edges[i+1]). */
  counts: readonly number[];
  edges: readonly number[];
  markers?: Array<{ value: number; label: string }>;
  color?: Color;
};

export function histogram(spec: HistogramSpec): Canvas {
  if (spec.edges.length !== spec.counts.length + 1)
    throw new RangeError(
      `a histogram needs counts.length + 1 edges, got ${spec.counts.length} counts and ${spec.edges.length} edges`,
    );
  const { c, f } = chartCanvas(spec);
  const xTicksValues = niceTicks(spec.edges[0]!, spec.edges[spec.edges.length - 1]!);
  const xMin = xTicksValues[0]!;
  const xMax = xTicksValues[xTicksValues.length - 1]!;
  const yValues = niceTicks(0, Math.max(1, ...spec.counts) * 1.1);
  const yMax = yValues[yValues.length - 1]!;
  const x = (v: number) => f.left + ((v - xMin) / (xMax - xMin)) * (f.right - f.left);
  const y = (v: number) => f.bottom - (v / yMax) * (f.bottom - f.top);
  drawAxes(c, f, {
    title: spec.title,
    xLabel: spec.xLabel,
    yLabel: spec.yLabel,
    xTicks: xTicksValues.map((v) => ({ value: v, label: compact(v) })),
    yTicks: yValues.map((v) => ({ value: v, label: compact(v) })),
    x,
    y,
  });
  const color = spec.color ?? PALETTE[0]!;
  spec.counts.forEach((n, i) => {
    if (n === 0) return;
    const x0 = x(spec.edges[i]!);
    const x1 = x(spec.edges[i + 1]!);
    c.rect(x0 + 1, y(n), Math.max(1, x1 - x0 - 1), f.bottom - y(n), color);
  });
  (spec.markers ?? []).forEach((m, i) => {
    const px = x(m.value);
    const markerColor = PALETTE[(i + 3) % PALETTE.length]!;
    c.line(px, f.top, px, f.bottom, markerColor, 2, [8, 5]);
    // the label on the right of its line, or on the left where it would run off the plot
    const fits = px + 6 + textWidth(m.label, SCALE) <= f.right;
    c.text(fits ? px + 6 : px - 6, f.top + 6 + i * 20, m.label, markerColor, SCALE, fits ? "left" : "right");
  });
  return c;
}

export type BarChartSpec = ChartSize & {
  title: string;
  yLabel: string;
  /** One group per category (x axis), one bar per series in it. */
  groups: Array<{ label: string; values: number[] }>;
  series: string[];
  /** Printed above each bar. */
  format?: (v: number) => string;
};

export function barChart(spec: BarChartSpec): Canvas {
  const { c, f } = chartCanvas(spec);
  const values = spec.groups.flatMap((g) => g.values).filter(Number.isFinite);
  const yValues = niceTicks(0, Math.max(1, ...values) * 1.15);
  const yMax = yValues[yValues.length - 1]!;
  const y = (v: number) => f.bottom - (v / yMax) * (f.bottom - f.top);
  const slot = (f.right - f.left) / Math.max(1, spec.groups.length);
  const x = (i: number) => f.left + slot * (i + 0.5);
  drawAxes(c, f, {
    title: spec.title,
    xLabel: "",
    yLabel: spec.yLabel,
    xTicks: spec.groups.map((g, i) => ({ value: i, label: g.label })),
    yTicks: yValues.map((v) => ({ value: v, label: compact(v) })),
    x,
    y,
  });
  const barWidth = Math.min(80, (slot * 0.7) / Math.max(1, spec.series.length));
  const format = spec.format ?? compact;
  spec.groups.forEach((g, gi) => {
    const start = x(gi) - (barWidth * spec.series.length) / 2;
    g.values.forEach((v, si) => {
      if (!Number.isFinite(v)) return;
      const bx = start + si * barWidth;
      c.rect(bx + 2, y(v), barWidth - 4, f.bottom - y(v), PALETTE[si % PALETTE.length]!);
      c.text(bx + barWidth / 2, y(v) - CHAR_H - 4, format(v), BLACK, SCALE, "center");
    });
  });
  legendBelow(
    c,
    f,
    spec.series.map((name, i) => ({ name, color: PALETTE[i % PALETTE.length]! })),
  );
  return c;
}
