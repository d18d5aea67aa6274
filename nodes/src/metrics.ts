// The institution node's Prometheus metrics, on a registry of its own (common/service/metrics.ts):
// the outbox's entries by state and the index's distance from the chain head, brought up to date
// before each scrape; the credit bureau client's events as they happen (bureau/client.ts emits
// them, wired in wiring/credit.ts). The shell adds node_http_requests_total and
// node_http_request_duration_seconds to the same registry (httpPrefix "node").
import { metricMakers, metricsRegistry } from "../../common/service/metrics.ts";
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
  const make = metricMakers(registry);
  const outboxEntries = make.gauge("node_outbox_entries", "Chain writes in the outbox, by state", ["state"]);
  const indexer = indexerGauges(make);
  const bureau = bureauMetrics(make);
  for (const state of OUTBOX_STATES) outboxEntries.set({ state }, 0);
  for (const state of BREAKER_STATES) bureau.breaker.set({ state }, state === "closed" ? 1 : 0);
  return {
    registry,
    /** The BureauClient's onEvent: one event, one update. */
    bureauEvent: (event: BureauClientEvent): void => countBureauEvent(bureau, event),
    /** Reads the outbox and the indexer's position (the shell's beforeScrape). */
    async refresh(sources: NodeMetricSources): Promise<void> {
      const counts = await sources.outboxCounts();
      for (const state of OUTBOX_STATES) outboxEntries.set({ state }, counts[state]);
      const status = sources.indexerStatus();
      if (status.head !== null) indexer.head.set(status.head);
      if (status.cursor !== undefined) indexer.block.set(status.cursor.blockNumber);
      // before the first page the index holds nothing: the whole chain is behind
      if (status.head !== null) indexer.lag.set(Math.max(0, status.head - (status.cursor?.blockNumber ?? 0)));
      if (status.lastSyncAt !== null) indexer.lastSync.set(status.lastSyncAt / 1000);
      indexer.resets.set(status.resets);
    },
  };
}

type Makers = ReturnType<typeof metricMakers>;

/** Where the index stands against the chain. */
function indexerGauges({ gauge }: Makers) {
  return {
    head: gauge("node_indexer_head_block", "The chain head the indexer last saw"),
    block: gauge("node_indexer_block", "The last block the index holds"),
    lag: gauge(
      "node_indexer_lag_blocks",
      "Blocks between the chain head and the index (confirmations included)",
    ),
    lastSync: gauge(
      "node_indexer_last_sync_timestamp_seconds",
      "When the indexer last completed a sync (Unix seconds)",
    ),
    resets: gauge(
      "node_indexer_resets",
      "Times the index was rebuilt after the chain lost blocks, since start",
    ),
  };
}

/** The credit bureau client's queries, tries, failures and circuit breaker. */
function bureauMetrics({ counter, gauge, histogram }: Makers) {
  return {
    queries: counter("node_bureau_queries_total", "Credit bureau queries begun"),
    attempts: counter(
      "node_bureau_attempts_total",
      "Tries that reached the credit bureau (first tries and retries)",
    ),
    successes: counter("node_bureau_successes_total", "Credit bureau queries answered"),
    failures: counter(
      "node_bureau_failures_total",
      "Failed tries, by error code (NODE_ERR_BUREAU_…, UNEXPECTED for an adapter bug) and whether the failure may pass",
      ["code", "transient"],
    ),
    timeouts: counter("node_bureau_timeouts_total", "Tries the credit bureau did not answer in time"),
    retries: counter("node_bureau_retries_total", "Retries after a transient failure"),
    rejected: counter("node_bureau_rejected_total", "Queries the circuit breaker refused without sending"),
    duration: histogram(
      "node_bureau_query_duration_seconds",
      "Time to an answered credit bureau query, retries included",
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    ),
    breaker: gauge("node_bureau_breaker_state", "The circuit breaker's state (1 for the current one)", [
      "state",
    ]),
  };
}

function countBureauEvent(bureau: ReturnType<typeof bureauMetrics>, event: BureauClientEvent): void {
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
}
