// The benchmark report's pure parts: PNG charts (valid, right size, ink where it belongs), the
// reader of bench/anchor.ts's table, statistics, gas rows, and the Markdown report from a fixture
// of results. No timing is asserted: `npm run bench` measures, these check the arithmetic and
// the formatting.
import { expect } from "chai";
import { PNG } from "pngjs";
import { parseAnchorReport } from "../../bench/report/anchor-table.ts";
import { Canvas, PALETTE, WHITE } from "../../bench/report/canvas.ts";
import { barChart, compact, histogram, lineChart, niceTicks } from "../../bench/report/chart.ts";
import { ingestChart, latencyChart, loanChart } from "../../bench/report/charts.ts";
import { formatReport, ratio } from "../../bench/report/markdown.ts";
import { bins, latency, percentile, rateOverProgress } from "../../bench/report/stats.ts";
import type { BenchResults, LoanResult, ScalingResult } from "../../bench/report/types.ts";
import { gasRows } from "../../bench/parts/gas.ts";

const ANCHOR_REPORT = `# Anchor service benchmark

Machine: 2 cores (AMD EPYC), 24 GiB, Node v24.21.0, linux 6.18.44-fc-v657.
Code: commit 79540a1.

| # | metric | this run | target | met |
|---|---|---|---|---|
| a | durable ingest through HTTP (signed requests, fsynced LevelDB, receipts returned) | **26,519 records/s** (200,000 records in 7.54 s) | ≥ 50,000 records/s | **no** |
| b | baseline: OZ StandardMerkleTree per 1,000 + all proofs + LevelDB synced batch, in-process | **3,273 records/s** (N = 197,000 of 200,000, 60.2 s) | — | — |
| a/b | ratio service / baseline | **8.1×** | ≥ 15× | **no** |
| a | submit → anchored (GET says anchored), 200 samples during the ingest | p50 1,282 ms, **p99 1,649 ms** | p99 ≤ 2,000 ms | **yes** |
| a | submit → anchored at light load (30 requests, one every 300 ms; for reference) | p50 674 ms, p99 1,151 ms | (p99 ≤ 2,000 ms) | (yes) |
| a | proof lookup GET /v1/leaves/:hash, 2,000 random, sequential, all anchored | p50 0.94 ms, **p99 5.04 ms** (2,000 proofs verified) | p99 ≤ 5 ms | **no** |
| c | gas per anchored leaf, the service's own heads in this run (13 heads, median 16,000 leaves) | **6.97 gas/leaf** | — | — |
| d | storage on disk at 1,000,000 leaves, after compactRange | **161.0 bytes/leaf** (161.1 before compaction) | ≤ 200 bytes/leaf | **yes** |

## Details

- Ingest: something | not a table
`;

const lat = (p50: number, p99: number) => ({ count: 100, p50, p90: (p50 + p99) / 2, p99, max: p99 * 1.5 });

const LOANS: LoanResult = {
  loans: 20,
  ceilingLoans: 100,
  principalFen: 1_000_000,
  prepareSeconds: 4.2,
  node: [
    {
      op: "registration",
      count: 20,
      seconds: 5,
      perSecond: 4,
      acceptMs: lat(120, 300),
      onChainMs: lat(900, 2500),
    },
    {
      op: "disbursement",
      count: 40,
      seconds: 5,
      perSecond: 8,
      acceptMs: lat(110, 280),
      onChainMs: lat(800, 2100),
      cpuMsPerFlow: { anvil: 3, anchor: 4.5, branch: 6, platform: 5, union: 1.5, bench: 2, total: 22 },
    },
    {
      op: "repayment",
      count: 20,
      seconds: 4,
      perSecond: 5,
      acceptMs: lat(100, 250),
      onChainMs: lat(700, 1900),
    },
  ],
  ceiling: [
    { op: "registration", count: 100, seconds: 0.5, perSecond: 200, gasPerCall: 309_070 },
    { op: "disbursement", count: 200, seconds: 0.8, perSecond: 250, gasPerCall: 84_970 },
    { op: "repayment", count: 100, seconds: 0.4, perSecond: 250, gasPerCall: 107_180 },
  ],
};

const SCALING: ScalingResult = {
  mode: "http",
  concurrency: 8,
  perRequest: 1000,
  runs: [
    {
      leaves: 10_000,
      warmupRecords: 1_000,
      seconds: 0.45,
      perSecond: 20_000,
      rateOverSize: [[8_000, 19_000]],
      anchoredMs: lat(1100, 1400),
      bytesBeforeCompaction: 1_990_000,
      bytesAfterCompaction: 1_810_000,
      heads: 2,
      lookupMs: lat(0.9, 3.1),
      verifyMs: lat(0.4, 1.2),
      lookupsVerified: 100,
      bundlesVerified: 100,
    },
    {
      leaves: 100_000,
      warmupRecords: 4_000,
      seconds: 4.8,
      perSecond: 20_000,
      rateOverSize: [
        [8_000, 18_000],
        [16_000, 21_000],
        [100_000, 20_500],
      ],
      anchoredMs: lat(1300, 1900),
      bytesBeforeCompaction: 18_300_000,
      bytesAfterCompaction: 18_100_000,
      heads: 11,
      lookupMs: lat(1.1, 4.2),
      verifyMs: lat(0.45, 1.3),
      lookupsVerified: 100,
      bundlesVerified: 100,
    },
  ],
};

const GAS_SNAPSHOT = {
  solc: "0.8.28",
  optimizerRuns: 10000,
  budget: { commitHead: 120000, registerLoan: 350000, disburse: 90000, repay: 120000, escalate: 60000 },
  commitHead: { "commitHead 990,000 → 1,000,000 (one 10k batch)": 111418 },
  ledger: {
    "registerLoan (2 funders, 12 installments) #B": 309165,
    "disburse (branch 70%) #B": 83644,
    "repay (2 funders, one installment on time)": 106318,
  },
};

function decode(png: Buffer): PNG {
  expect([...png.subarray(0, 8)]).to.deep.equal([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return PNG.sync.read(png);
}

/** How many pixels of the decoded image have exactly this colour. */
function countColour(img: PNG, [r, g, b]: readonly [number, number, number]): number {
  let n = 0;
  for (let o = 0; o < img.data.length; o += 4)
    if (img.data[o] === r && img.data[o + 1] === g && img.data[o + 2] === b) n++;
  return n;
}

describe("benchmark report: charts", function () {
  it("draws text in the bitmap font where asked, and nothing elsewhere", function () {
    const c = new Canvas(20, 12);
    c.text(1, 1, "I", [0, 0, 0], 1);
    // 'I' is ".###." over "..#.." rows: its top bar at columns 2..4, its stem at column 3
    expect(c.at(2, 1)).to.deep.equal([0, 0, 0]);
    expect(c.at(4, 1)).to.deep.equal([0, 0, 0]);
    expect(c.at(1, 1)).to.deep.equal([...WHITE]);
    expect(c.at(3, 4)).to.deep.equal([0, 0, 0]);
    expect(c.at(2, 4)).to.deep.equal([...WHITE]);
    expect(c.at(10, 5)).to.deep.equal([...WHITE]);
  });

  it("a line chart is a valid PNG of the asked size with each series drawn in its colour", function () {
    const png = lineChart({
      title: "rate",
      xLabel: "size",
      yLabel: "records/s",
      xScale: "log",
      width: 640,
      height: 400,
      series: [
        {
          name: "a",
          points: [
            [1e3, 5],
            [1e4, 7],
          ],
        },
        {
          name: "b",
          points: [
            [1e4, 3],
            [1e5, 9],
          ],
        },
      ],
    }).toPng();
    const img = decode(png);
    expect([img.width, img.height]).to.deep.equal([640, 400]);
    expect(countColour(img, PALETTE[0]!)).to.be.greaterThan(200);
    expect(countColour(img, PALETTE[1]!)).to.be.greaterThan(200);
    expect(countColour(img, PALETTE[2]!)).to.equal(0);
  });

  it("a histogram's bars are as tall as their counts, and marker lines are drawn", function () {
    const counts = [1, 0, 4];
    const img = decode(
      histogram({
        title: "h",
        xLabel: "ms",
        yLabel: "n",
        counts,
        edges: [0, 1, 2, 3],
        markers: [{ value: 1.5, label: "p50" }],
        width: 500,
        height: 300,
      }).toPng(),
    );
    expect([img.width, img.height]).to.deep.equal([500, 300]);
    const bar = countColour(img, PALETTE[0]!);
    expect(bar).to.be.greaterThan(0);
    // the empty middle bin draws nothing: its centre column has no bar colour
    const plotLeft = 110;
    const plotRight = 500 - 30;
    const ticks = niceTicks(0, 3);
    const xOf = (v: number) =>
      Math.round(
        plotLeft + ((v - ticks[0]!) / (ticks[ticks.length - 1]! - ticks[0]!)) * (plotRight - plotLeft),
      );
    const column = (x: number) =>
      Array.from({ length: 300 }, (_, y) => y).filter(
        (y) =>
          img.data[(y * 500 + x) * 4 + 2] === PALETTE[0]![2] &&
          img.data[(y * 500 + x) * 4] === PALETTE[0]![0],
      ).length;
    expect(column(xOf(1.25))).to.equal(0);
    expect(column(xOf(2.5))).to.be.greaterThan(column(xOf(0.5)) * 3);
    expect(countColour(img, PALETTE[3]!)).to.be.greaterThan(0); // the marker
    expect(() => histogram({ title: "", xLabel: "", yLabel: "", counts: [1, 2], edges: [0, 1] })).to.throw(
      RangeError,
    );
  });

  it("a bar chart draws one bar per series in each group", function () {
    const img = decode(
      barChart({
        title: "b",
        yLabel: "ops/s",
        series: ["x", "y"],
        groups: [
          { label: "g1", values: [1, 10] },
          { label: "g2", values: [2, 20] },
        ],
        width: 600,
        height: 360,
      }).toPng(),
    );
    expect([img.width, img.height]).to.deep.equal([600, 360]);
    expect(countColour(img, PALETTE[1]!)).to.be.greaterThan(countColour(img, PALETTE[0]!) * 3);
  });

  it("the report's charts render from results, with their file names", function () {
    const loan = loanChart(LOANS);
    expect(loan.file).to.equal("charts/loan-throughput.png");
    expect(decode(loan.png).width).to.equal(960);
    const ingest = ingestChart(SCALING);
    expect(ingest.file).to.equal("charts/ingest-rate.png");
    expect(decode(ingest.png).height).to.equal(540);
    const samples = { leaves: 100_000, anchoredMs: [1000, 1200, 1900], lookupMs: [0.5, 0.9, 1.1, 40] };
    expect(latencyChart("lookup", samples).file).to.equal("charts/lookup-latency.png");
    expect(decode(latencyChart("anchored", samples).png).width).to.equal(960);
  });

  it("ticks are nice round numbers covering the range, labels compact", function () {
    expect(niceTicks(0, 23_000)).to.deep.equal([0, 5000, 10000, 15000, 20000, 25000]);
    expect(niceTicks(0, 1)).to.deep.equal(
      [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1].map((v) => Number(v.toPrecision(12))),
    );
    expect([compact(0), compact(2500), compact(40_000), compact(1_000_000), compact(0.25)]).to.deep.equal([
      "0",
      "2.5k",
      "40k",
      "1M",
      "0.25",
    ]);
  });
});

describe("benchmark report: numbers", function () {
  it("percentiles are nearest-rank; latency summaries sort their samples", function () {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(sorted, 50), percentile(sorted, 99), percentile(sorted, 100)]).to.deep.equal([
      50, 99, 100,
    ]);
    expect(Number.isNaN(percentile([], 50))).to.equal(true);
    const l = latency([5, 1, 3]);
    expect([l.count, l.p50, l.max]).to.deep.equal([3, 3, 5]);
  });

  it("histogram bins count every sample and fold a long tail into the last bin", function () {
    const samples = [...Array.from({ length: 99 }, () => 1), 1000];
    const b = bins(samples, 10);
    expect(b.counts.reduce((a, n) => a + n, 0)).to.equal(100);
    expect(b.folded).to.equal(1);
    expect(b.edges).to.have.length(11);
    expect(b.edges[10]).to.equal(3); // 3 × p99 (1)
    expect(() => bins([1], 0)).to.throw(RangeError);
  });

  it("rate over progress uses windows of at least the given size", function () {
    // 1,000 units every 100 ms, from t = 0
    const events = Array.from({ length: 10 }, (_, i) => [(i + 1) * 100, (i + 1) * 1000] as const);
    const curve = rateOverProgress(events, 0, 3000);
    expect(curve.map(([done]) => done)).to.deep.equal([3000, 6000, 9000]);
    for (const [, r] of curve) expect(Math.round(r)).to.equal(10_000);
    // a last stretch of at least half a window is kept, a shorter one dropped
    expect(rateOverProgress(events, 0, 4000).map(([done]) => done)).to.deep.equal([4000, 8000, 10000]);
    expect(rateOverProgress(events, 0, 7000).map(([done]) => done)).to.deep.equal([7000]);
  });

  it("ratios read well both ways", function () {
    expect(ratio(26_519, 3_273)).to.equal("8.10×");
    expect(ratio(4, 200)).to.equal("0.0200× (1/50)");
    expect(ratio(300, 10)).to.equal("30.0×");
    expect(ratio(1, 0)).to.equal("—");
  });

  it("gas rows carry the budget of their operation", function () {
    const g = gasRows(GAS_SNAPSHOT);
    expect(g.rows.map((r) => [r.name.split(" ")[0], r.budget])).to.deep.equal([
      ["registerLoan", 350000],
      ["disburse", 90000],
      ["repay", 120000],
      ["commitHead", 120000],
    ]);
  });
});

describe("benchmark report: bench/anchor.ts's table and the Markdown report", function () {
  it("reads anchor.ts's table row by row and its headline figures", function () {
    const r = parseAnchorReport(ANCHOR_REPORT);
    expect(r.title).to.equal("Anchor service benchmark");
    expect(r.rows).to.have.length(8);
    expect(r.rows[2]).to.deep.equal({
      id: "a/b",
      metric: "ratio service / baseline",
      value: "**8.1×**",
      target: "≥ 15×",
      met: "**no**",
    });
    expect(r.figures).to.deep.equal({
      ingestPerSecond: 26519,
      baselinePerSecond: 3273,
      ratio: 8.1,
      anchoredP99Ms: 1649,
      lookupP99Ms: 5.04,
      gasPerLeaf: 6.97,
      bytesPerLeaf: 161,
    });
    expect(r.preamble[0]).to.match(/^Machine: 2 cores/);
  });

  it("passes rows through when their wording changes, and finds nothing in a report without a table", function () {
    const changed = parseAnchorReport(
      ANCHOR_REPORT.replace("durable ingest through HTTP", "ingest over HTTP/2").replace("**8.1×**", "n/a"),
    );
    expect(changed.rows).to.have.length(8);
    expect(changed.figures.ingestPerSecond).to.equal(26519);
    expect(changed.figures.ratio).to.equal(undefined);
    const empty = parseAnchorReport("# Anchor service benchmark\n\nno table today\n");
    expect(empty.rows).to.deep.equal([]);
    expect(empty.figures).to.deep.equal({});
  });

  const results = (): BenchResults => {
    const anchor = parseAnchorReport(ANCHOR_REPORT);
    return {
      meta: {
        startedAt: "2026-11-22T12:00:00.000Z",
        totalSeconds: 300,
        quick: true,
        machine: "Machine: 2 cores (test), 24 GiB, Node v24.",
        commit: "commit abc1234",
        loadStart: 0.4,
        loadEnd: 0.6,
        cores: 2,
      },
      anchor: {
        status: "ok",
        value: {
          title: anchor.title,
          settings: anchor.preamble,
          rows: anchor.rows,
          figures: anchor.figures,
          seconds: 120,
          env: { BENCH_RECORDS: "50000" },
        },
      },
      loans: { status: "ok", value: LOANS },
      gas: { status: "ok", value: gasRows(GAS_SNAPSHOT) },
      scaling: { status: "ok", value: SCALING },
      charts: [
        { title: "Loans", file: "charts/loan-throughput.png" },
        { title: "Lookups", file: "charts/lookup-latency.png" },
        { title: "Ingest", file: "charts/ingest-rate.png" },
      ],
    };
  };

  it("formats the summary with each figure's ratio against its baseline", function () {
    const text = formatReport(results());
    const summary = text.slice(text.indexOf("## Summary"), text.indexOf("## 1."));
    for (const row of [
      "| 1 | anchor durable ingest over HTTP | 26,519 records/s | 3,273 records/s (OpenZeppelin merkle-tree per batch, in-process) | 8.1× (target ≥ 15×) |",
      "| 2 | loan registrations through the nodes | 4.00/s | 200/s (chain ceiling: pre-signed transactions) | 0.0200× (1/50) |",
      "| 2 | loan disbursements through the nodes | 8.00/s | 250/s",
      "| 3 | proof lookup p99 at 100,000 leaves | 4.20 ms | target 5 ms | 0.84× |",
      "| 3 | gas: registerLoan (2 funders, 12 installments) #B | 309,165 | budget 350,000 | 0.88× |",
      "| 4 | ingest at 100,000 leaves vs 10,000 | 20,000 records/s | 20,000 records/s at 10,000 | 1.00× |",
      "| 4 | storage at 100,000 leaves (compacted) | 181.0 bytes/leaf | target 200 bytes/leaf | 0.91× |",
    ])
      expect(summary).to.contain(row);
    expect(text).to.contain("in **quick mode**");
    expect(text).to.not.contain("the machine was busy");
  });

  it("formats each part's details: anchor rows verbatim, loans side by side, scaling per size, charts linked", function () {
    const text = formatReport(results());
    for (const row of [
      "| a/b | ratio service / baseline | **8.1×** | ≥ 15× | **no** |",
      "`BENCH_RECORDS=50000`",
      "| registrations | 20 | **4.00/s** (5.0 s) | **200/s** (0.50 s) | **0.0200× (1/50)** | 120 ms / 300 ms | 900 ms / 2,500 ms | 309,070 |",
      "cycled to 100 loans",
      "| 100,000 (10^5) | **20,000 records/s** (96,000 in 4.8 s) | 1.00× | 1,300 ms / 1,900 ms | 11 | **181.0** | 183.0 |",
      "| 10,000 (10^4) | 0.90 ms / 3.10 ms | 4.65 ms | 100/100 | 0.40 ms / 1.20 ms | 100/100 |",
      "| commitHead 990,000 → 1,000,000 (one 10k batch) | 111,418 | 120,000 | 93 % |",
      "![Loans](charts/loan-throughput.png)",
      "![Lookups](charts/lookup-latency.png)",
      "![Ingest](charts/ingest-rate.png)",
      "| operation | anvil | anchor | branch | platform | union | bench | total | 2 cores allow |",
      "| disbursements | 3.0 | 4.5 | 6.0 | 5.0 | 1.5 | 2.0 | **22.0** | 91/s |",
      "a loan's flows signed in its order, several of them in flight and in one block",
    ])
      expect(text).to.contain(row);
    // the outbox pipelines: the report no longer says it sends one flow of a loan at a time
    expect(text).not.to.match(/one per loan at a time|one transaction at a time/);
    // phases without a CPU reading get no row
    expect(text).not.to.contain("| registrations | 3.0");
  });

  it("gives the loans on a fixed block time their own table: flows per block per node, no ceiling", function () {
    const timed = results();
    const registration = LOANS.node.find((n) => n.op === "registration")!;
    timed.loansBlockTime = {
      status: "ok",
      value: {
        ...LOANS,
        blockTimeSeconds: 2,
        ceiling: [],
        node: [
          { ...registration, seconds: 16, perSecond: 18.75, flowsPerBlockPerNode: { mean: 50, max: 84 } },
        ],
      },
    };
    const text = formatReport(timed);
    const part = text.slice(text.indexOf("### 2b."), text.indexOf("## 3."));
    expect(part).to.contain("### 2b. The same loans on a 2-second block time");
    expect(part).to.contain("a block every 2 s");
    expect(part).to.match(/\| registrations \| 20 \| \*\*18\.8\/s\*\* \(16\.0 s\) \| .* \| 50\.0 \/ 84 \|/);
    // not measured there: the ratio against a ceiling stays the automine part's
    expect(part).not.to.contain("node / ceiling");
    timed.loansBlockTime = { status: "skipped", reason: "not in BENCH_PARTS (loans)" };
    expect(formatReport(timed)).to.contain("Not run: not in BENCH_PARTS (loans).");
    expect(formatReport(results())).not.to.contain("### 2b.");
  });

  it("gives the all-transactions registration ceiling as context beside the registerLoan one, only when measured", function () {
    expect(formatReport(results())).not.to.contain("Context, not the ratio above");
    const measured = results();
    const loans = measured.loans as { status: "ok"; value: LoanResult };
    loans.value = {
      ...LOANS,
      registrationAllTx: {
        op: "registration",
        count: 100,
        seconds: 1.25,
        perSecond: 80,
        gasPerCall: 150_000,
        transactionsPerLoan: { registerLoan: 1, commitHead: 0.05, register: 1, endorse: 1 },
      },
    };
    const text = formatReport(measured);
    expect(text).to.contain(
      "per loan 1.00 registerLoan, 0.05 commitHead, 1.00 register, 1.00 endorse (the contract's evidence registration",
    );
    expect(text).to.contain("80.0 loans/s; the node path's 4.00 registrations/s is 0.05× that");
    // the registration row's ratio stays the registerLoan-only one
    expect(text).to.contain(
      "| registrations | 20 | **4.00/s** (5.0 s) | **200/s** (0.50 s) | **0.0200× (1/50)** |",
    );
  });

  it("says when the nodes batch, keeps the one-flow-per-transaction ratio, and sets the batched ceiling and the file beside it", function () {
    const plain = formatReport(results());
    expect(plain).not.to.contain("The nodes batch");
    expect(plain).not.to.contain("repayment file");
    const measured = results();
    const loans = measured.loans as { status: "ok"; value: LoanResult };
    const packing = (flowsPerTransaction: number, gasPerCall: number) => ({
      transactions: 20 / flowsPerTransaction,
      flowsPerTransaction,
      callsPerTransaction: flowsPerTransaction,
      gasPerCall,
    });
    loans.value = {
      ...LOANS,
      node: LOANS.node.map((n, i) => ({
        ...n,
        packing: packing([5, 2.5, 4][i]!, [300_000, 62_000, 99_000][i]!),
      })),
      ceilingBatched: [
        { op: "registration", count: 100, seconds: 0.25, perSecond: 400, gasPerCall: 301_000, batchSize: 5 },
        { op: "repayment", count: 100, seconds: 0.2, perSecond: 500, gasPerCall: 100_000, batchSize: 4 },
      ],
      repaymentFile: { rows: 20, seconds: 2, perSecond: 10, packing: packing(10, 87_000) },
    };
    const text = formatReport(measured);
    const summary = text.slice(text.indexOf("## Summary"), text.indexOf("## 1."));
    // the ratio stays node path / one flow per pre-signed transaction
    expect(summary).to.contain(
      "| 2 | loan registrations through the nodes | 4.00/s (5.0 flows per transaction) | 200/s (chain ceiling: pre-signed transactions) | 0.0200× (1/50) |",
    );
    expect(summary).to.contain(
      "| 2 | repayment file (20 rows, one per loan) through the branch | 10.0 rows/s | 250/s (repayment ceiling) | 0.04",
    );
    expect(text).to.contain(
      "| registrations | 20 | **4.00/s** (5.0 s) | **200/s** (0.50 s) | **0.0200× (1/50)** | 120 ms / 300 ms | 900 ms / 2,500 ms | 309,070 | 5.00 | 300,000 |",
    );
    expect(text).to.contain("**The nodes batch.**");
    expect(text).to.contain(
      "registrations 5.00 flows per transaction, disbursements 2.50 flows per transaction",
    );
    expect(text).to.contain("The ratio above stays the issue's");
    expect(text).to.contain(
      "| registrations | 5 | **400/s** (0.25 s) | 301,000 / 309,070 / 300,000 | 0.0100× (1/100) |",
    );
    expect(text).to.contain(
      "| repayments | 4 | **500/s** (0.20 s) | 100,000 / 107,180 / 99,000 | 0.0100× (1/100) |",
    );
    expect(text).to.contain(
      "**10.0 rows/s** (2.0 s, 10.00 rows per transaction); against the repayment ceiling 250/s: **0.0400× (1/25)** (against the batched one, 4 a transaction, 500/s: 0.0200× (1/50))",
    );
  });

  it("reports a failed or skipped part in its place and warns when the machine was busy", function () {
    const r = results();
    r.loans = { status: "failed", error: "anchor service did not start\nstack…" };
    r.anchor = { status: "skipped", reason: "not in BENCH_PARTS (loans,scaling)" };
    r.meta.loadStart = 3.5;
    const text = formatReport(r);
    expect(text).to.contain("**This part failed:** anchor service did not start");
    expect(text).to.not.contain("stack…");
    expect(text).to.contain("Skipped: not in BENCH_PARTS (loans,scaling).");
    expect(text).to.contain("| 2 | loan throughput | failed | — | — |");
    expect(text).to.contain("the machine was busy with other work");
    // a high load at the end alone is the benchmark's own work
    r.meta.loadStart = 0.2;
    r.meta.loadEnd = 1.9;
    expect(formatReport(r)).to.not.contain("the machine was busy with other work");
  });
});
