// Prometheus metrics on a registry of the service's own (no prom-client globals: each app
// instance — and each test — has its own), and the HTTP request metrics the shell can record.
import type { FastifyInstance } from "fastify";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** A registry for one service instance; the process's figures (CPU, memory, event loop) when `defaultMetrics`. */
export function metricsRegistry(options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.defaultMetrics ?? false) collectDefaultMetrics({ register: registry });
  return registry;
}

export type HttpMetrics = ReturnType<typeof httpMetrics>;

/**
 * Requests answered, by method, route and status, and their latency, as `<prefix>_http_…`.
 * Labelled by the route's template (`/v1/loans/:loanId`), never the URL: an unknown URL counts as
 * "unmatched", so no caller can grow the label set.
 */
export function httpMetrics(registry: Registry, prefix: string) {
  return {
    requests: new Counter({
      name: `${prefix}_http_requests_total`,
      help: "HTTP requests answered, by method, route template and status",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    }),
    duration: new Histogram({
      name: `${prefix}_http_request_duration_seconds`,
      help: "Time from a request's arrival to its answer, by method and route template",
      labelNames: ["method", "route"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
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
