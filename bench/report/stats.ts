// Percentiles and histogram bins for the report (pure; shared by the runs and the tests).

/** Nearest-rank percentile of an ascending list (p in 0..100); NaN for an empty list. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export type Latency = { count: number; p50: number; p90: number; p99: number; max: number };

/** Summary of latency samples (any order), in the samples' unit. */
export function latency(samples: readonly number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

export type Bins = {
  edges: number[];
  counts: number[];
  /** samples above the last edge, counted in the last bin */ folded: number;
};

/**
 * `count` equal bins from 0 up to the largest sample, or up to 3 × p99 when the tail is longer
 * than that (the samples beyond are counted in the last bin and reported as `folded`).
 */
export function bins(samples: readonly number[], count = 40): Bins {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`bins: count must be a positive integer, got ${count}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const max = sorted[sorted.length - 1] ?? 1;
  const cap = 3 * percentile(sorted, 99);
  const upper = sorted.length === 0 ? 1 : max > cap && cap > 0 ? cap : max > 0 ? max : 1;
  const width = upper / count;
  const counts = new Array<number>(count).fill(0);
  let folded = 0;
  for (const s of sorted) {
    if (s > upper) folded++;
    counts[Math.min(count - 1, Math.max(0, Math.floor(s / width)))]!++;
  }
  return { edges: Array.from({ length: count + 1 }, (_, i) => i * width), counts, folded };
}

/**
 * Rate over progress from completion events: for each stretch of at least `window` units (the
 * last one if at least half that), [units done at its end, units per second over it]. Fixed-size
 * windows smooth the bursts of concurrent requests finishing together.
 */
export function rateOverProgress(
  events: ReadonlyArray<readonly [atMs: number, done: number]>,
  startMs: number,
  window: number,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let from: readonly [number, number] = [startMs, 0];
  for (const [i, e] of events.entries()) {
    const isLast = i === events.length - 1;
    const span = e[1] - from[1];
    if (span >= window || (isLast && span >= window / 2)) {
      if (e[0] > from[0]) out.push([e[1], (span * 1000) / (e[0] - from[0])]);
      from = e;
    }
  }
  return out;
}
