// The nightly batch's Prometheus metrics, on the node's registry: loans scanned, early warnings
// by level, credit re-queries by outcome, each run's duration and when the last one finished.
import type { Registry } from "prom-client";
import { metricMakers } from "../../../common/service/metrics.ts";
import { WARNING_LEVELS, type BatchRun } from "./batch.ts";

export function postLoanBatchMetrics(registry: Registry): (run: BatchRun, seconds: number) => void {
  const { counter, gauge, histogram } = metricMakers(registry);
  const scanned = counter("node_post_loan_loans_scanned_total", "Loans the nightly post-loan batch assessed");
  const warnings = counter("node_post_loan_warnings_total", "Early warnings raised, by level", ["level"]);
  const requeries = counter(
    "node_post_loan_credit_requeries_total",
    "Post-loan credit re-queries, by outcome (made, out-of-scope of the consent, failed)",
    ["outcome"],
  );
  const duration = histogram(
    "node_post_loan_batch_duration_seconds",
    "Wall-clock seconds of a batch run (its last segment, for a resumed run)",
    [1, 5, 15, 30, 60, 120, 300, 600, 1200],
  );
  const finished = gauge(
    "node_post_loan_last_run_timestamp_seconds",
    "When the last post-loan batch run finished (Unix seconds)",
  );
  for (const level of WARNING_LEVELS) warnings.inc({ level }, 0);
  return (run, seconds) => {
    scanned.inc(run.scanned);
    for (const level of WARNING_LEVELS) warnings.inc({ level }, run.warnings[level]);
    requeries.inc({ outcome: "made" }, run.creditQueries.made);
    requeries.inc({ outcome: "out-of-scope" }, run.creditQueries.outOfScope);
    requeries.inc({ outcome: "failed" }, run.creditQueries.failed);
    duration.observe(seconds);
    if (run.finishedAt !== null) finished.set(run.finishedAt);
  };
}
