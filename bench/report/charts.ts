// Which charts the report has and what goes into each (pure: results and raw samples in, PNG
// bytes out): loan throughput (nodes vs chain ceiling), ingest rate over log size, and the
// latency distributions of submit → anchored and proof lookups at the largest log size.
import { barChart, histogram, lineChart } from "./chart.ts";
import { fmt, ms } from "./markdown.ts";
import { bins, latency } from "./stats.ts";
import type { ChartRef, LoanResult, ScalingResult } from "./types.ts";

export type ChartFile = ChartRef & { png: Buffer };
export type LatencySamples = { leaves: number; anchoredMs: number[]; lookupMs: number[] };

const power = (n: number) => {
  const k = Math.log10(n);
  return Number.isInteger(k) ? `10^${k}` : fmt(n);
};

export function loanChart(loans: LoanResult): ChartFile {
  const title = "Loan operations per second: through the nodes vs the chain's ceiling";
  const png = barChart({
    title,
    yLabel: "operations per second",
    series: ["through the nodes' APIs", "chain ceiling (pre-signed txs)"],
    groups: loans.node.map((n) => ({
      label: `${n.op}s`,
      values: [n.perSecond, loans.ceiling.find((c) => c.op === n.op)?.perSecond ?? Number.NaN],
    })),
    format: (v) => (v >= 100 ? fmt(v) : v >= 10 ? fmt(v, 1) : fmt(v, 2)),
  }).toPng();
  return { title, file: "charts/loan-throughput.png", png };
}

export function ingestChart(scaling: ScalingResult): ChartFile {
  const title = `Anchor ingest rate over log size (HTTP, ${scaling.concurrency} clients, ${fmt(scaling.perRequest)} records a request)`;
  const png = lineChart({
    title,
    xLabel: "log size (leaves acknowledged)",
    yLabel: "records per second",
    xScale: "log",
    series: scaling.runs.map((r) => ({
      name: `run to ${power(r.leaves)}: avg ${fmt(r.perSecond)}/s`,
      points: r.rateOverSize,
    })),
  }).toPng();
  return { title, file: "charts/ingest-rate.png", png };
}

export function latencyChart(kind: "anchored" | "lookup", samples: LatencySamples): ChartFile {
  const values = kind === "anchored" ? samples.anchoredMs : samples.lookupMs;
  const l = latency(values);
  const b = bins(values, 40);
  const title =
    kind === "anchored"
      ? `Submit → anchored at ${fmt(samples.leaves)} leaves (${fmt(values.length)} requests during the ingest)`
      : `Proof lookup latency at ${fmt(samples.leaves)} leaves (${fmt(values.length)} sequential GETs)`;
  const png = histogram({
    title,
    xLabel: `latency (ms)${b.folded > 0 ? `; ${b.folded} slower samples counted in the last bin` : ""}`,
    yLabel: kind === "anchored" ? "requests" : "lookups",
    counts: b.counts,
    edges: b.edges,
    markers: [
      { value: l.p50, label: `p50 ${ms(l.p50)}` },
      { value: l.p99, label: `p99 ${ms(l.p99)}` },
    ],
  }).toPng();
  return {
    title,
    file: kind === "anchored" ? "charts/anchored-latency.png" : "charts/lookup-latency.png",
    png,
  };
}
