// Prometheus metrics of the anchor service, on a registry of its own (no globals: each app
// instance — and each test — has its own: common/service/metrics.ts).
import { Counter, Gauge, Histogram } from "prom-client";
import { metricsRegistry } from "../../common/service/metrics.ts";

export type AnchorMetrics = ReturnType<typeof createMetrics>;

export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = metricsRegistry(options);
  return {
    registry,
    intakeRecords: new Counter({
      name: "anchor_intake_records_total",
      help: "Evidence records made durable (new leaves)",
      registers: [registry],
    }),
    intakeRequests: new Counter({
      name: "anchor_intake_requests_total",
      help: "Accepted submit requests",
      registers: [registry],
    }),
    rejectedRequests: new Counter({
      name: "anchor_rejected_requests_total",
      help: "Requests answered with an error, by code",
      labelNames: ["code"],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "anchor_intake_queue_depth",
      help: "Requests waiting for the next group write",
      registers: [registry],
    }),
    logSize: new Gauge({ name: "anchor_log_size", help: "Leaves in the log", registers: [registry] }),
    committedSize: new Gauge({
      name: "anchor_committed_size",
      help: "Leaves in the latest head on chain",
      registers: [registry],
    }),
    commitLatency: new Histogram({
      name: "anchor_commit_latency_seconds",
      help: "Time to commit a head: proof, transaction, confirmations",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    rpcErrors: new Counter({
      name: "anchor_rpc_errors_total",
      help: "Failed chain RPC rounds",
      registers: [registry],
    }),
    tsaTokens: new Counter({
      name: "anchor_tsa_tokens_total",
      help: "RFC 3161 tokens obtained over committed heads, by TSA",
      labelNames: ["tsa"],
      registers: [registry],
    }),
    tsaFailures: new Counter({
      name: "anchor_tsa_failures_total",
      help: "Failed time-stamp requests (retried with back-off), by TSA",
      labelNames: ["tsa"],
      registers: [registry],
    }),
  };
}
