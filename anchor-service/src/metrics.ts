// Prometheus metrics of the anchor service, on a registry of its own (no globals: each app
// instance — and each test — has its own: common/service/metrics.ts).
import { metricMakers, metricsRegistry } from "../../common/service/metrics.ts";

export type AnchorMetrics = ReturnType<typeof createMetrics>;

export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = metricsRegistry(options);
  const { counter, gauge, histogram } = metricMakers(registry);
  return {
    registry,
    intakeRecords: counter("anchor_intake_records_total", "Evidence records made durable (new leaves)"),
    intakeRequests: counter("anchor_intake_requests_total", "Accepted submit requests"),
    rejectedRequests: counter("anchor_rejected_requests_total", "Requests answered with an error, by code", [
      "code",
    ]),
    queueDepth: gauge("anchor_intake_queue_depth", "Requests waiting for the next group write"),
    logSize: gauge("anchor_log_size", "Leaves in the log"),
    committedSize: gauge("anchor_committed_size", "Leaves in the latest head on chain"),
    commitLatency: histogram(
      "anchor_commit_latency_seconds",
      "Time to commit a head: proof, transaction, confirmations",
      [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    ),
    rpcErrors: counter("anchor_rpc_errors_total", "Failed chain RPC rounds"),
    tsaTokens: counter("anchor_tsa_tokens_total", "RFC 3161 tokens obtained over committed heads, by TSA", [
      "tsa",
    ]),
    tsaFailures: counter(
      "anchor_tsa_failures_total",
      "Failed time-stamp requests (retried with back-off), by TSA",
      ["tsa"],
    ),
  };
}
