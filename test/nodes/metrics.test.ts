// The node's Prometheus metrics (nodes/src/metrics.ts): the credit bureau client's real events
// (queries, tries, timeouts, failures by code, retries, the breaker's state and refusals, answered
// query latency) on a fake clock, and the outbox and index figures read before a scrape.
import { expect } from "chai";
import type { BureauQuery, BureauReport, CreditBureau } from "../../nodes/src/bureau/bureau.ts";
import { bureauError } from "../../nodes/src/bureau/bureau.ts";
import { BureauSimulator } from "../../nodes/src/bureau/simulator.ts";
import type { IndexerStatus } from "../../nodes/src/indexer/indexer.ts";
import { createNodeMetrics } from "../../nodes/src/metrics.ts";
import { FakeClock, clientOnClock, keyN } from "./bureau/fixtures.ts";

const QUERY: BureauQuery = {
  borrowerKey: keyN(2),
  purpose: "LOAN_APPROVAL",
  operator: "officer-03",
  institution: 3,
};

/** Answers after 40 ms of the fake clock, hangs until aborted, or refuses, as scripted per call. */
class ScriptedBureau implements CreditBureau {
  calls = 0;
  readonly script: ("ok" | "hang" | "not-found")[];
  readonly clock: FakeClock;
  readonly report: BureauReport;

  constructor(script: ("ok" | "hang" | "not-found")[], clock: FakeClock, report: BureauReport) {
    this.script = script;
    this.clock = clock;
    this.report = report;
  }

  async query(_request: BureauQuery, options: { signal?: AbortSignal }): Promise<BureauReport> {
    const step = this.script[Math.min(this.calls++, this.script.length - 1)]!;
    if (step === "not-found") throw bureauError("NODE_ERR_BUREAU_NOT_FOUND", "no such borrower");
    if (step === "hang")
      return new Promise((_, reject) =>
        options.signal?.addEventListener("abort", () => reject(options.signal!.reason)),
      );
    await this.clock.sleep(40, options.signal);
    return this.report;
  }
}

/** The value of one sample in Prometheus text (`name{labels} value`), 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** Each series of `expected` has that value in `text`. */
function expectSamples(text: string, expected: Record<string, number>): void {
  for (const [series, value] of Object.entries(expected))
    expect(sample(text, series), series).to.equal(value);
}

describe("node metrics (prom-client)", function () {
  it("counts the bureau client's events: answered queries and their latency, timeouts, retries, failures by code, the breaker", async function () {
    const metrics = createNodeMetrics();
    const clock = new FakeClock();
    const report = await new BureauSimulator({ seed: "metrics", latencyMs: 0 }).query(QUERY, {});
    const bureau = new ScriptedBureau(["ok", "hang", "hang", "not-found", "hang", "hang"], clock, report);
    const client = clientOnClock(bureau, clock, {
      retries: 1,
      backoff: { baseMs: 100, maxMs: 100 },
      onEvent: (event) => metrics.bureauEvent(event),
    });
    const outcome = async () =>
      clock.run(
        client.query(QUERY).then(
          () => "ok",
          (e: { code?: string }) => e.code ?? "?",
        ),
      );

    expect(await outcome()).to.equal("ok");
    // two tries, both timed out (the second after one retry)
    expect(await outcome()).to.equal("NODE_ERR_BUREAU_TIMEOUT");
    // the bureau answers "not found": not transient, not retried, and it resets the failure count
    expect(await outcome()).to.equal("NODE_ERR_BUREAU_NOT_FOUND");
    // two more timeouts (one retry), then a third opens the breaker (no retry once open); the next query is refused unsent
    expect(await outcome()).to.equal("NODE_ERR_BUREAU_TIMEOUT");
    expect(await outcome()).to.equal("NODE_ERR_BUREAU_TIMEOUT");
    expect(await outcome()).to.equal("NODE_ERR_BUREAU_CIRCUIT_OPEN");

    const text = await metrics.registry.metrics();
    expectSamples(text, {
      node_bureau_queries_total: 6,
      node_bureau_attempts_total: 7,
      node_bureau_successes_total: 1,
      node_bureau_timeouts_total: 5,
      'node_bureau_failures_total{code="NODE_ERR_BUREAU_TIMEOUT",transient="true"}': 5,
      'node_bureau_failures_total{code="NODE_ERR_BUREAU_NOT_FOUND",transient="false"}': 1,
      node_bureau_retries_total: 2,
      node_bureau_rejected_total: 1,
      'node_bureau_breaker_state{state="open"}': 1,
      'node_bureau_breaker_state{state="closed"}': 0,
      node_bureau_query_duration_seconds_count: 1,
      node_bureau_query_duration_seconds_sum: 0.04,
      'node_bureau_query_duration_seconds_bucket{le="0.025"}': 0,
      'node_bureau_query_duration_seconds_bucket{le="0.05"}': 1,
    });
  });

  it("reads the outbox by state and the index's lag behind the chain head before a scrape", async function () {
    const metrics = createNodeMetrics();
    const before = await metrics.registry.metrics();
    for (const state of ["queued", "sent", "confirmed", "failed"])
      expect(before).to.include(`node_outbox_entries{state="${state}"} 0`);
    expect(sample(before, 'node_bureau_breaker_state{state="closed"}')).to.equal(1);

    let status: IndexerStatus = {
      cursor: undefined,
      head: 120,
      lastSyncAt: null,
      lastError: null,
      resets: 0,
    };
    const counts = { queued: 2, sent: 1, confirmed: 40, failed: 3 };
    const sources = { outboxCounts: async () => counts, indexerStatus: () => status };
    await metrics.refresh(sources);
    let text = await metrics.registry.metrics();
    expectSamples(text, {
      'node_outbox_entries{state="queued"}': 2,
      'node_outbox_entries{state="confirmed"}': 40,
      'node_outbox_entries{state="failed"}': 3,
    });
    // nothing indexed yet: the whole chain is behind
    expect(sample(text, "node_indexer_lag_blocks")).to.equal(120);

    status = {
      cursor: { blockNumber: 117, blockHash: `0x${"ab".repeat(32)}` },
      head: 125,
      lastSyncAt: 1_700_000_000_500,
      lastError: null,
      resets: 1,
    };
    counts.queued = 0;
    await metrics.refresh(sources);
    text = await metrics.registry.metrics();
    expectSamples(text, {
      'node_outbox_entries{state="queued"}': 0,
      node_indexer_head_block: 125,
      node_indexer_block: 117,
      node_indexer_lag_blocks: 8,
      node_indexer_last_sync_timestamp_seconds: 1_700_000_000.5,
      node_indexer_resets: 1,
    });
  });

  it("keeps a registry per instance (two nodes in one process do not share counters)", async function () {
    const a = createNodeMetrics();
    const b = createNodeMetrics();
    a.bureauEvent({ type: "call" });
    expect(sample(await a.registry.metrics(), "node_bureau_queries_total")).to.equal(1);
    expect(sample(await b.registry.metrics(), "node_bureau_queries_total")).to.equal(0);
  });
});
