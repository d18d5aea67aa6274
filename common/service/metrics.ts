// Prometheus metrics on a registry of the service's own (no prom-client globals: each app
// instance — and each test — has its own), and the HTTP request metrics the shell can record.
import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** A registry for one service instance; the process's figures (CPU, memory, event loop) when `defaultMetrics`. */
export function metricsRegistry(options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.defaultMetrics ?? false) collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * One-line metric declarations on `registry`: `counter(name, help, labelNames?)`,
 * `gauge(name, help, labelNames?)`, `histogram(name, help, buckets, labelNames?)`.
 */
export function metricMakers(registry: Registry) {
  const registers = [registry];
  return {
    counter: <L extends string = string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Counter<L>({ name, help, labelNames, registers }),
    gauge: <L extends string = string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Gauge<L>({ name, help, labelNames, registers }),
    histogram: <L extends string = string>(
      name: string,
      help: string,
      buckets: number[],
      labelNames: readonly L[] = [],
    ) => new Histogram<L>({ name, help, buckets, labelNames, registers }),
  };
}

export type HttpMetrics = ReturnType<typeof httpMetrics>;

/**
 * Requests answered, by method, route and status, and their latency, as `<prefix>_http_…`.
 * Labelled by the route's template (`/v1/loans/:loanId`), never the URL: an unknown URL counts as
 * "unmatched", so no caller can grow the label set.
 */
export function httpMetrics(registry: Registry, prefix: string) {
  const { counter, histogram } = metricMakers(registry);
  return {
    requests: counter(
      `${prefix}_http_requests_total`,
      "HTTP requests answered, by method, route template and status",
      ["method", "route", "status"],
    ),
    duration: histogram(
      `${prefix}_http_request_duration_seconds`,
      "Time from a request's arrival to its answer, by method and route template",
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      ["method", "route"],
    ),
  };
}

/** Counts every answered request of `app` (an onResponse hook). */
export function recordHttpMetrics(app: FastifyInstance, metrics: HttpMetrics): void {
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.is404 ? "unmatched" : (request.routeOptions.url ?? "unmatched");
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });
}
