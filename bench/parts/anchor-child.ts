// Part 1: bench/anchor.ts as a child process (it has no machine-readable output: its Markdown
// report is written to a temporary file and its first table read back). Its progress lines are
// passed through with a prefix. It never writes bench/anchor-report.md from here.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseAnchorReport } from "../report/anchor-table.ts";
import type { AnchorResult } from "../report/types.ts";
import { REPO_ROOT } from "./anchor-process.ts";

/** Settings for a quick run of anchor.ts, each applied only when the caller's environment does not set it. */
export const ANCHOR_QUICK_ENV: Record<string, string> = {
  BENCH_RECORDS: "50000",
  BENCH_BASELINE_SECONDS: "15",
  BENCH_STORAGE_RECORDS: "100000",
  BENCH_LOOKUPS: "1000",
};

export async function runAnchorBenchmark(opts: {
  quick: boolean;
  log: (line: string) => void;
}): Promise<AnchorResult> {
  const dir = await mkdtemp(path.join(tmpdir(), "bench-anchor-report-"));
  const reportFile = path.join(dir, "anchor-report.md");
  const env: Record<string, string> = {};
  if (opts.quick)
    for (const [k, v] of Object.entries(ANCHOR_QUICK_ENV))
      if (process.env[k] === undefined || process.env[k] === "") env[k] = v;
  const started = performance.now();
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(REPO_ROOT, "bench", "anchor.ts")], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...env, BENCH_REPORT: reportFile },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let printingReport = false;
      const relay = (stream: NodeJS.ReadableStream, isErr: boolean) => {
        let buffered = "";
        stream.on("data", (d: Buffer) => {
          buffered += d.toString("utf8");
          const lines = buffered.split("\n");
          buffered = lines.pop()!;
          for (const line of lines) {
            // anchor.ts prints its whole report at the end: the combined report carries its table
            if (line.startsWith("# ")) printingReport = true;
            if (printingReport && !/^\[\s*[0-9.]+ s\]/.test(line)) continue;
            opts.log(`anchor.ts${isErr ? " (stderr)" : ""}: ${line}`);
          }
        });
      };
      relay(child.stdout!, false);
      relay(child.stderr!, true);
      child.on("error", reject);
      child.on("exit", (c) => resolve(c));
    });
    if (code !== 0) throw new Error(`bench/anchor.ts exited with code ${code}`);
    const parsed = parseAnchorReport(await readFile(reportFile, "utf8"));
    if (parsed.rows.length === 0) throw new Error("bench/anchor.ts's report has no table to read");
    return {
      title: parsed.title,
      settings: parsed.preamble,
      rows: parsed.rows,
      figures: parsed.figures,
      seconds: (performance.now() - started) / 1000,
      env,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
