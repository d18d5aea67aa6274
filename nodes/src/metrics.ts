// The institution node's Prometheus metrics, on a registry of its own (common/service/metrics.ts):
// the outbox's entries by state and the index's distance from the chain head, brought up to date
// before each scrape; the credit bureau client's events as they happen (bureau/client.ts emits
// them, wired in service.ts). The shell adds node_http_requests_total and
// node_http_request_duration_seconds to the same registry (httpPrefix "node").
import { Counter, Gauge, Histogram } from "prom-client";
import { metricsRegistry } from "../../common/service/metrics.ts";
import type { BreakerState, BureauClientEvent } from "./bureau/client.ts";
import type { IndexerStatus } from "./indexer/indexer.ts";
import { OUTBOX_STATES, type OutboxState } from "./outbox/entry.ts";

const BREAKER_STATES: readonly BreakerState[] = ["closed", "open", "half-open"];

/** What the node reads before each scrape. */
export type NodeMetricSources = {
  outboxCounts: () => Promise<Record<OutboxState, number>>;
  indexerStatus: () => IndexerStatus;
};

export type NodeMetrics = ReturnType<typeof createNodeMetrics>;

export function createNodeMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = metricsRegistry(options);
  const registers = [registry];
  const outboxEntries = new Gauge({
    name: "node_outbox_entries",
    help: "Chain writes in the outbox, by state",
    labelNames: ["state"],
    registers,
  });
  const indexerHead = new Gauge({
    name: "node_indexer_head_block",
    help: "The chain head the indexer last saw",
    registers,
  });
  const indexerBlock = new Gauge({
    name: "node_indexer_block",
    help: "The last block the index holds",
    registers,
  });
  const indexerLag = new Gauge({
    name: "node_indexer_lag_blocks",
    help: "Blocks between the chain head and the index (confirmations included)",
    registers,
  });
  const indexerLastSync = new Gauge({
    name: "node_indexer_last_sync_timestamp_seconds",
    help: "When the indexer last completed a sync (Unix seconds)",
    registers,
  });
  const indexerResets = new Gauge({
    name: "node_indexer_resets",
    help: "Times the index was rebuilt after the chain lost blocks, since start",
    registers,
  });
  const bureau = {
    queries: new Counter({
      name: "node_bureau_queries_total",
      help: "Credit bureau queries begun",
      registers,
    }),
    attempts: new Counter({
      name: "node_bureau_attempts_total",
      help: "Tries that reached the credit bureau (first tries and retries)",
      registers,
    }),
    successes: new Counter({
      name: "node_bureau_successes_total",
      help: "Credit bureau queries answered",
      registers,
    }),
    failures: new Counter({
      name: "node_bureau_failures_total",
      help: "Failed tries, by error code (NODE_ERR_BUREAU_…, UNEXPECTED for an adapter bug) and whether the failure may pass",
      labelNames: ["code", "transient"],
      registers,
    }),
    timeouts: new Counter({
      name: "node_bureau_timeouts_total",
      help: "Tries the credit bureau did not answer in time",
      registers,
    }),
    retries: new Counter({
      name: "node_bureau_retries_total",
      help: "Retries after a transient failure",
      registers,
    }),
    rejected: new Counter({
      name: "node_bureau_rejected_total",
      help: "Queries the circuit breaker refused without sending",
      registers,
    }),
    duration: new Histogram({
      name: "node_bureau_query_duration_seconds",
      help: "Time to an answered credit bureau query, retries included",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    breaker: new Gauge({
      name: "node_bureau_breaker_state",
      help: "The circuit breaker's state (1 for the current one)",
      labelNames: ["state"],
      registers,
    }),
  };
  for (const state of OUTBOX_STATES) outboxEntries.set({ state }, 0);
  for (const state of BREAKER_STATES) bureau.breaker.set({ state }, state === "closed" ? 1 : 0);

  return {
    registry,
    /** The BureauClient's onEvent: one event, one update. */
    bureauEvent(event: BureauClientEvent): void {
      switch (event.type) {
        case "call":
          return bureau.queries.inc();
        case "attempt":
          return bureau.attempts.inc();
        case "success":
          bureau.successes.inc();
          return bureau.duration.observe(event.durationMs / 1000);
        case "failure":
          bureau.failures.inc({ code: event.code, transient: String(event.transient) });
          if (event.code === "NODE_ERR_BUREAU_TIMEOUT") bureau.timeouts.inc();
          return;
        case "retry":
          return bureau.retries.inc();
        case "rejected":
          return bureau.rejected.inc();
        case "state":
          for (const state of BREAKER_STATES) bureau.breaker.set({ state }, state === event.to ? 1 : 0);
          return;
      }
    },
    /** Reads the outbox and the indexer's position (the shell's beforeScrape). */
    async refresh(sources: NodeMetricSources): Promise<void> {
      const counts = await sources.outboxCounts();
      for (const state of OUTBOX_STATES) outboxEntries.set({ state }, counts[state]);
      const status = sources.indexerStatus();
      if (status.head !== null) indexerHead.set(status.head);
      if (status.cursor !== undefined) indexerBlock.set(status.cursor.blockNumber);
      // before the first page the index holds nothing: the whole chain is behind
      if (status.head !== null) indexerLag.set(Math.max(0, status.head - (status.cursor?.blockNumber ?? 0)));
      if (status.lastSyncAt !== null) indexerLastSync.set(status.lastSyncAt / 1000);
      indexerResets.set(status.resets);
    },
  };
}
