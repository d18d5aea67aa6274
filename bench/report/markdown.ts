// bench/report.md from a BenchResults (pure: the tests feed it a fixture). A summary table with
// each figure's ratio against its baseline, then one section per part with the details.
import type { Latency } from "./stats.ts";
import type { BenchResults, CeilingPhase, LoanOp, LoanResult, NodePhase, Section } from "./types.ts";

/** The anchor service's targets (bench/README.md), which the scaling runs are read against too. */
export const TARGETS = { lookupP99Ms: 5, bytesPerLeaf: 200 } as const;

export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : "—";

/** Milliseconds with sensible precision: 0.42 ms, 12.3 ms, 1,234 ms. */
export const ms = (n: number): string =>
  !Number.isFinite(n) ? "—" : n >= 100 ? `${fmt(n)} ms` : n >= 10 ? `${fmt(n, 1)} ms` : `${fmt(n, 2)} ms`;

/** A rate with two significant decimals when small: 3.27/s, 41.8/s, 1,250/s. */
export const rate = (n: number): string =>
  !Number.isFinite(n) ? "—" : n >= 100 ? fmt(n) : n >= 10 ? fmt(n, 1) : fmt(n, 2);

export const ratio = (a: number, b: number): string => {
  if (!(Number.isFinite(a) && Number.isFinite(b)) || b === 0) return "—";
  const r = a / b;
  // a small ratio also as "1/N": 0.0194× reads better as 1/52
  return r >= 10 ? `${fmt(r, 1)}×` : r >= 0.1 ? `${fmt(r, 2)}×` : `${fmt(r, 4)}× (1/${fmt(b / a)})`;
};

/** 10^4 → "10,000 (10^4)". */
export const leaves = (n: number): string => {
  const k = Math.log10(n);
  return Number.isInteger(k) ? `${fmt(n)} (10^${k})` : fmt(n);
};

const p50p99 = (l: Latency) => `${ms(l.p50)} / ${ms(l.p99)}`;

const OP_NAMES: Record<LoanOp, string> = {
  registration: "registrations",
  disbursement: "disbursements",
  repayment: "repayments",
};

function failedOrSkipped(s: Section<unknown>): string | undefined {
  if (s.status === "failed") return `**This part failed:** ${s.error.split("\n")[0]}`;
  if (s.status === "skipped") return `Skipped: ${s.reason}.`;
  return undefined;
}

/** A part's details from its value, or in their place why it failed or was skipped; then a blank line. */
function partOrReason<T>(out: string[], s: Section<T>, details: (value: T) => void): void {
  if (s.status === "ok") details(s.value);
  else out.push(failedOrSkipped(s)!);
  out.push("");
}

type SummaryRow = { part: string; measure: string; value: string; baseline: string; ratio: string };

function summaryRows(r: BenchResults): SummaryRow[] {
  const rows: SummaryRow[] = [];
  if (r.anchor.status === "ok") {
    const f = r.anchor.value.figures;
    if (f.ingestPerSecond !== undefined && f.baselinePerSecond !== undefined) {
      rows.push({
        part: "1",
        measure: "anchor durable ingest over HTTP",
        value: `${fmt(f.ingestPerSecond)} records/s`,
        baseline: `${fmt(f.baselinePerSecond)} records/s (OpenZeppelin merkle-tree per batch, in-process)`,
        ratio:
          f.ratio !== undefined
            ? `${fmt(f.ratio, 1)}× (target ≥ 15×)`
            : ratio(f.ingestPerSecond, f.baselinePerSecond),
      });
    }
  } else {
    rows.push({ part: "1", measure: "anchor benchmark", value: r.anchor.status, baseline: "—", ratio: "—" });
  }
  if (r.loans.status === "ok") {
    for (const n of r.loans.value.node) {
      const c = r.loans.value.ceiling.find((x) => x.op === n.op);
      rows.push({
        part: "2",
        measure: `loan ${OP_NAMES[n.op]} through the nodes`,
        value: `${rate(n.perSecond)}/s${batched(n) ? ` (${fmt(n.packing!.flowsPerTransaction, 1)} flows per transaction)` : ""}`,
        baseline: c === undefined ? "—" : `${rate(c.perSecond)}/s (chain ceiling: pre-signed transactions)`,
        ratio: c === undefined ? "—" : ratio(n.perSecond, c.perSecond),
      });
    }
    const file = r.loans.value.repaymentFile;
    const c = r.loans.value.ceiling.find((x) => x.op === "repayment");
    if (file !== undefined && c !== undefined)
      rows.push({
        part: "2",
        measure: `repayment file (${fmt(file.rows)} rows, one per loan) through the branch`,
        value: `${rate(file.perSecond)} rows/s`,
        baseline: `${rate(c.perSecond)}/s (repayment ceiling)`,
        ratio: ratio(file.perSecond, c.perSecond),
      });
  } else {
    rows.push({ part: "2", measure: "loan throughput", value: r.loans.status, baseline: "—", ratio: "—" });
  }
  if (r.scaling.status === "ok" && r.scaling.value.runs.length > 0) {
    const runs = r.scaling.value.runs;
    const big = runs[runs.length - 1]!;
    rows.push({
      part: "3",
      measure: `proof lookup p99 at ${fmt(big.leaves)} leaves`,
      value: ms(big.lookupMs.p99),
      baseline: `target ${TARGETS.lookupP99Ms} ms`,
      ratio: ratio(big.lookupMs.p99, TARGETS.lookupP99Ms),
    });
    rows.push({
      part: "3",
      measure: `offline bundle verification p99 at ${fmt(big.leaves)} leaves`,
      value: ms(big.verifyMs.p99),
      baseline: `proof lookup p99 ${ms(big.lookupMs.p99)}`,
      ratio: ratio(big.verifyMs.p99, big.lookupMs.p99),
    });
  }
  if (r.gas.status === "ok") {
    for (const g of r.gas.value.rows.filter((x) =>
      /^registerLoan.*#B|^disburse \(branch.*#B|^repay \(2 funders, one|^commitHead 990,000/.test(x.name),
    )) {
      rows.push({
        part: "3",
        measure: `gas: ${g.name}`,
        value: fmt(g.gas),
        baseline: g.budget === undefined ? "—" : `budget ${fmt(g.budget)}`,
        ratio: g.budget === undefined ? "—" : ratio(g.gas, g.budget),
      });
    }
  }
  if (r.scaling.status === "ok" && r.scaling.value.runs.length > 0) {
    const runs = r.scaling.value.runs;
    const big = runs[runs.length - 1]!;
    const small = runs[0]!;
    if (big !== small)
      rows.push({
        part: "4",
        measure: `ingest at ${fmt(big.leaves)} leaves vs ${fmt(small.leaves)}`,
        value: `${fmt(big.perSecond)} records/s`,
        baseline: `${fmt(small.perSecond)} records/s at ${fmt(small.leaves)}`,
        ratio: ratio(big.perSecond, small.perSecond),
      });
    rows.push({
      part: "4",
      measure: `storage at ${fmt(big.leaves)} leaves (compacted)`,
      value: `${fmt(big.bytesAfterCompaction / big.leaves, 1)} bytes/leaf`,
      baseline: `target ${TARGETS.bytesPerLeaf} bytes/leaf`,
      ratio: ratio(big.bytesAfterCompaction / big.leaves, TARGETS.bytesPerLeaf),
    });
  } else {
    rows.push({ part: "4", measure: "scaling", value: r.scaling.status, baseline: "—", ratio: "—" });
  }
  return rows;
}

/** Whether the nodes put more than one flow of the phase into a transaction. */
const batched = (n: NodePhase) => n.packing !== undefined && n.packing.flowsPerTransaction > 1;

function nodeRow(n: NodePhase, c: CeilingPhase | undefined): string {
  const p = n.packing;
  return `| ${OP_NAMES[n.op]} | ${fmt(n.count)} | **${rate(n.perSecond)}/s** (${fmt(n.seconds, 1)} s) | ${c === undefined ? "—" : `**${rate(c.perSecond)}/s** (${fmt(c.seconds, 2)} s)`} | ${c === undefined ? "—" : `**${ratio(n.perSecond, c.perSecond)}**`} | ${p50p99(n.acceptMs)} | ${p50p99(n.onChainMs)} | ${c === undefined ? "—" : fmt(c.gasPerCall)} | ${p === undefined ? "—" : fmt(p.flowsPerTransaction, 2)} | ${p === undefined ? "—" : fmt(p.gasPerCall)} |`;
}

/**
 * The loan part again with a block every few seconds (a QBFT network's rhythm rather than
 * automine's block per transaction): how many flows each node gets into one block. No ceiling is
 * run there: it is the automine part's.
 */
function blockTimeLines(section: Section<LoanResult>): string[] {
  const seconds = section.status === "ok" ? section.value.blockTimeSeconds : undefined;
  const out = [
    `### 2b. The same loans on a ${seconds === undefined ? "fixed" : `${seconds}-second`} block time`,
    "",
  ];
  if (section.status !== "ok") {
    out.push(`Not run: ${section.status === "skipped" ? section.reason : section.error}.`, "");
    return out;
  }
  const v = section.value;
  out.push(
    `The same ${fmt(v.loans)} loans on a fresh chain where Anvil mines a block every ${fmt(v.blockTimeSeconds ?? 0)} s (\`--block-time\`), as a QBFT network does, everything else as above. Flows per block per node: how many of the phase's flows one node got into one block (its transactions' flows), mean and most.`,
    "",
    "| operation | count | through the nodes | node: POST accepted p50 / p99 | node: POST → mined p50 / p99 | flows per block per node: mean / most | node: flows per transaction |",
    "|---|---|---|---|---|---|---|",
  );
  for (const n of v.node) {
    const b = n.flowsPerBlockPerNode;
    out.push(
      `| ${OP_NAMES[n.op]} | ${fmt(n.count)} | **${rate(n.perSecond)}/s** (${fmt(n.seconds, 1)} s) | ${p50p99(n.acceptMs)} | ${p50p99(n.onChainMs)} | ${b === undefined ? "—" : `${fmt(b.mean, 1)} / ${fmt(b.max)}`} | ${n.packing === undefined ? "—" : fmt(n.packing.flowsPerTransaction, 2)} |`,
    );
  }
  out.push("");
  return out;
}

/**
 * When the nodes batched: what that means for the ratio, and the same flows pre-signed in batches
 * of the node path's size beside it (context: the issue's ratio stays one flow per transaction).
 */
function batchingLines(v: LoanResult): string[] {
  const packed = v.node.filter(batched);
  if (packed.length === 0 && v.ceilingBatched === undefined) return [];
  const out = [
    `**The nodes batch.** A node's account, delegated (EIP-7702) to the consortium's batch executor, sends several ready flows in one transaction (\`execute\` to itself, every call as the account, all or none): ${v.node
      .filter((n) => n.packing !== undefined)
      .map((n) => `${OP_NAMES[n.op]} ${fmt(n.packing!.flowsPerTransaction, 2)} flows per transaction`)
      .join(
        ", ",
      )}. The ratio above stays the issue's: the node path against the chain's ceiling for the same flows one per pre-signed transaction. For context, the same flows pre-signed in batches of the node path's size (its mean flows per transaction, rounded), on fresh loans of the same chain:`,
    "",
  ];
  if (v.ceilingBatched !== undefined && v.ceilingBatched.length > 0) {
    out.push(
      "| operation | batch size | batched ceiling | gas per flow: batched / one per transaction / node path (per call) | node / batched ceiling |",
    );
    out.push("|---|---|---|---|---|");
    for (const b of v.ceilingBatched) {
      const n = v.node.find((x) => x.op === b.op);
      const c = v.ceiling.find((x) => x.op === b.op);
      out.push(
        `| ${OP_NAMES[b.op]} | ${b.batchSize} | **${rate(b.perSecond)}/s** (${fmt(b.seconds, 2)} s) | ${fmt(b.gasPerCall)} / ${c === undefined ? "—" : fmt(c.gasPerCall)} / ${n?.packing === undefined ? "—" : fmt(n.packing.gasPerCall)} | ${n === undefined ? "—" : ratio(n.perSecond, b.perSecond)} |`,
      );
    }
  } else out.push("(no batched ceiling in this run: its accounts were not delegated when the ceiling ran)");
  out.push("");
  return out;
}

/** The repayment file beside the repayment ceilings. */
function repaymentFileLines(v: LoanResult): string[] {
  const file = v.repaymentFile;
  if (file === undefined) return [];
  const c = v.ceiling.find((x) => x.op === "repayment");
  const b = v.ceilingBatched?.find((x) => x.op === "repayment");
  return [
    `A day's repayment file at the branch (\`POST /v1/batch-files/repayment\`, ${fmt(file.rows)} rows, one per loan), upload → every row confirmed: **${rate(file.perSecond)} rows/s** (${fmt(file.seconds, 1)} s${file.packing === undefined ? "" : `, ${fmt(file.packing.flowsPerTransaction, 2)} rows per transaction`})${c === undefined ? "" : `; against the repayment ceiling ${rate(c.perSecond)}/s: **${ratio(file.perSecond, c.perSecond)}**`}${b === undefined ? "" : ` (against the batched one, ${b.batchSize} a transaction, ${rate(b.perSecond)}/s: ${ratio(file.perSecond, b.perSecond)})`}.`,
    "",
  ];
}

export function formatReport(r: BenchResults): string {
  const out: string[] = [];
  const m = r.meta;
  out.push("# JointLedger benchmark report");
  out.push("");
  out.push(
    `Generated by \`npm run bench\`${m.quick ? " in **quick mode** (`BENCH_QUICK=1`: smaller runs, 10^4 and 10^5 leaves only)" : ""} on ${m.startedAt}, ${fmt(m.totalSeconds)} s in total. ${m.machine} Code: ${m.commit}.`,
  );
  out.push("");
  // the load at the end counts the benchmark's own last part: only the start says whether others were busy
  out.push(
    `Load average (1 min) ${fmt(m.loadStart, 2)} at the start, ${fmt(m.loadEnd, 2)} at the end (the benchmark's own work included), on ${m.cores} cores${m.loadStart > m.cores / 2 ? " — **the machine was busy with other work: absolute figures are low and noisy; the ratios, measured side by side, are the steadier numbers**" : ""}.`,
  );
  out.push("");
  out.push("## Summary: each figure against its baseline");
  out.push("");
  out.push("| part | measure | this run | baseline | ratio |");
  out.push("|---|---|---|---|---|");
  for (const s of summaryRows(r))
    out.push(`| ${s.part} | ${s.measure} | ${s.value} | ${s.baseline} | ${s.ratio} |`);
  out.push("");

  // 1 ----------------------------------------------------------------------------------------
  out.push("## 1. Anchor service benchmark (`bench/anchor.ts`)");
  out.push("");
  partOrReason(out, r.anchor, (a) => {
    out.push(
      `Run as a child process${
        Object.keys(a.env).length > 0
          ? ` with ${Object.entries(a.env)
              .map(([k, v]) => `\`${k}=${v}\``)
              .join(" ")}`
          : " with its defaults"
      } (${fmt(a.seconds)} s). Its report's table, verbatim; the details it adds (CPU by thread, gas scenarios, storage by sublevel) are what \`npm run bench:anchor\` writes to \`bench/anchor-report.md\`:`,
    );
    out.push("");
    for (const line of a.settings) out.push(`> ${line}`);
    out.push("");
    out.push("| # | metric | this run | target | met |");
    out.push("|---|---|---|---|---|");
    for (const row of a.rows)
      out.push(`| ${row.id} | ${row.metric} | ${row.value} | ${row.target} | ${row.met} |`);
  });

  // 2 ----------------------------------------------------------------------------------------
  out.push("## 2. Loan throughput through the institution nodes");
  out.push("");
  partOrReason(out, r.loans, (v) => {
    out.push(
      `Real Anvil (automine), the anchor service and the union's, branch A's and the platform's nodes, each its own process started the way an operator starts them (\`anchor-service/src/server.ts\`, \`nodes/src/server.ts\`, LevelDB on disk). ${fmt(v.loans)} joint loans of ${fmt(v.principalFen / 100)} yuan (branch 70 %, platform 30 %, 12 monthly installments). Applications (submitted on the platform's node, which signs them to the union's node, which forwards them to branch A) and anchored consents were prepared first (${fmt(v.prepareSeconds, 1)} s, not timed). Then, per operation, every request was sent (\`BENCH_LOAN_IN_FLIGHT\` POSTs in flight, default 32) and the clock stopped when the last transaction was mined: registrations (\`POST /v1/loans\` at the branch, which first gets the platform's signed agreement to the terms from its node), disbursements (each funder from its own node: 2 per loan), repayments (the first installment, at the branch). The nodes' exactly-once outbox pipelines: each node keeps many transactions in flight (consecutive nonces; a loan's flows signed in its order, several of them in flight and in one block) and one poller awaits their receipts.`,
    );
    out.push("");
    out.push(
      `The chain ceiling, on the same Anvil with the nodes and the anchor service stopped: the same contract calls, one flow per transaction — the nodes' own calldata read back from the chain (each flow's own call, from a plain transaction or from a node's batch), with fresh application serials, borrower keys, flow serials and so loan ids, cycled to ${fmt(v.ceilingLoans)} loans (each joint loan's agreement signed again over its new terms with the platform's key) — signed in advance with the same member keys and gas limits (a call that went in a batch: its own estimate with the outbox's 25 % margin), sent as raw transactions (\`eth_sendRawTransaction\`, as many in flight as the node path's POSTs) until the last one was mined.`,
    );
    out.push("");
    out.push(
      "| operation | count | through the nodes | chain ceiling | node / ceiling | node: POST accepted p50 / p99 | node: POST → mined p50 / p99 | ceiling gas per flow | node: flows per transaction | node: gas per call |",
    );
    out.push("|---|---|---|---|---|---|---|---|---|---|");
    for (const n of v.node)
      out.push(
        nodeRow(
          n,
          v.ceiling.find((c) => c.op === n.op),
        ),
      );
    out.push("");
    out.push(...batchingLines(v));
    out.push(...repaymentFileLines(v));
    const all = v.registrationAllTx;
    const registered = v.node.find((n) => n.op === "registration");
    if (all !== undefined && registered !== undefined) {
      const perLoan = Object.entries(all.transactionsPerLoan)
        .map(([kind, n]) => `${fmt(n, 2)} ${kind}`)
        .join(", ");
      out.push(
        `Context, not the ratio above: the chain's ceiling for **all** the transactions a joint registration makes — per loan ${perLoan} (the contract's evidence registration, the anchor's heads its proof needs, the platform's endorsement) — replayed from the node path's own transactions on the chain as it stood before the registrations, pre-signed, in three waves (loans and heads, then registrations, then endorsements): ${rate(all.perSecond)} loans/s; the node path's ${rate(registered.perSecond)} registrations/s is ${fmt(registered.perSecond / all.perSecond, 2)}× that.`,
      );
      out.push("");
    }
    const cpu = v.node.filter((n) => n.cpuMsPerFlow !== undefined);
    if (cpu.length > 0) {
      out.push(
        `CPU milliseconds per flow of each process while its phase ran (the processes' own user + system time over the phase's flows), and the rate ${m.cores} cores allow at that cost:`,
      );
      out.push("");
      const names = Object.keys(cpu[0]!.cpuMsPerFlow!).filter((k) => k !== "total");
      out.push(`| operation | ${names.join(" | ")} | total | ${m.cores} cores allow |`);
      out.push(`|---|${names.map(() => "---|").join("")}---|---|`);
      for (const n of cpu) {
        const c = n.cpuMsPerFlow!;
        out.push(
          `| ${n.op}s | ${names.map((k) => fmt(c[k] ?? 0, 1)).join(" | ")} | **${fmt(c.total!, 1)}** | ${fmt((m.cores * 1000) / c.total!)}/s |`,
        );
      }
      out.push("");
    }
    const chart = r.charts.find((c) => c.file.includes("loan"));
    if (chart !== undefined) out.push(`![${chart.title}](${chart.file})`);
  });
  if (r.loansBlockTime !== undefined) out.push("", ...blockTimeLines(r.loansBlockTime));

  // 3 ----------------------------------------------------------------------------------------
  out.push("## 3. Proof lookup, offline verification, gas per operation");
  out.push("");
  partOrReason(out, r.scaling, (v) => {
    out.push(
      "Measured on each scaling run's log (part 4) once every leaf was anchored: random leaves, one request at a time. *Lookup*: `GET /v1/leaves/:hash` (status, inclusion proof, head) over HTTP, send to last byte; each proof then checked against its head outside the timing. *Offline verification*: a bundle from `GET /v1/bundles/:hash` parsed (`parseBundleJson`) and checked without a chain (`verifyOffline`: leaf encoding and Merkle path), in-process.",
    );
    out.push("");
    out.push(
      "| log size | lookup p50 / p99 | lookup max | proofs verified | offline verification p50 / p99 | bundles verified |",
    );
    out.push("|---|---|---|---|---|---|");
    for (const run of v.runs)
      out.push(
        `| ${leaves(run.leaves)} | ${p50p99(run.lookupMs)} | ${ms(run.lookupMs.max)} | ${fmt(run.lookupsVerified)}/${fmt(run.lookupMs.count)} | ${p50p99(run.verifyMs)} | ${fmt(run.bundlesVerified)}/${fmt(run.verifyMs.count)} |`,
      );
    const chart = r.charts.find((c) => c.file.includes("lookup"));
    if (chart !== undefined) out.push("", `![${chart.title}](${chart.file})`);
  });
  partOrReason(out, r.gas, (v) => {
    out.push(
      `Gas per operation from \`gas/snapshot.json\` (solc ${v.solc}, ${fmt(v.optimizerRuns)} optimizer runs; checked against the contracts by \`test/contracts/gas.test.ts\`, re-measured by \`npm run gas:snapshot\`), not re-measured here:`,
    );
    out.push("");
    out.push("| operation | gas | budget | of budget |");
    out.push("|---|---|---|---|");
    for (const row of v.rows)
      out.push(
        `| ${row.name} | ${fmt(row.gas)} | ${row.budget === undefined ? "—" : fmt(row.budget)} | ${row.budget === undefined ? "—" : `${fmt((row.gas / row.budget) * 100)} %`} |`,
      );
  });

  // 4 ----------------------------------------------------------------------------------------
  out.push("## 4. Scaling: ingest rate and bytes per leaf by log size");
  out.push("");
  partOrReason(out, r.scaling, (v) => {
    out.push(
      `Each size is a fresh anchor service (its own process, production defaults, LevelDB on disk) on a fresh Anvil, filled **over HTTP** (signed \`POST /v1/leaves\`, ${fmt(v.perRequest)} records a request, ${v.concurrency} clients in the benchmark's process, requests signed before the clock starts) while its committer anchors heads on chain. The first 1–4 requests warm the fresh process up, one at a time, before the clock starts (they are in the log, not in the rate). Ingest rate: first timed send to last durable reply. Submit → anchored: from a request's send until a head covering its last record is listed by \`GET /v1/heads\` (polled every 50 ms). Bytes: the service's data directory after it stopped, then after LevelDB's \`compactRange\`.`,
    );
    out.push("");
    out.push(
      "| log size | ingest | vs the smallest | submit → anchored p50 / p99 | heads | bytes/leaf (compacted) | bytes/leaf (as left) |",
    );
    out.push("|---|---|---|---|---|---|---|");
    const first = v.runs[0];
    for (const run of v.runs) {
      out.push(
        `| ${leaves(run.leaves)} | **${fmt(run.perSecond)} records/s** (${fmt(run.leaves - run.warmupRecords)} in ${fmt(run.seconds, 1)} s) | ${first === undefined ? "—" : ratio(run.perSecond, first.perSecond)} | ${p50p99(run.anchoredMs)} | ${fmt(run.heads)} | **${fmt(run.bytesAfterCompaction / run.leaves, 1)}** | ${fmt(run.bytesBeforeCompaction / run.leaves, 1)} |`,
      );
    }
    out.push("");
    for (const chart of r.charts.filter((c) => !c.file.includes("loan") && !c.file.includes("lookup")))
      out.push(`![${chart.title}](${chart.file})`, "");
  });
  out.push(
    "Reproduce: `npm run bench` (full: 10^4, 10^5 and 10^6 leaves) or `BENCH_QUICK=1 npm run bench`; options in `bench/README.md`.",
  );
  out.push("");
  return out.join("\n");
}
