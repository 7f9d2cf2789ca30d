import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The server's Prometheus metrics, in a registry of its own (several servers can share a process in tests). */
export function serverMetrics(sources: { connectedAgents: () => number; streamLag: () => number }) {
  const registry = new Registry();
  const requests = new Counter({
    name: "weir_http_requests_total",
    help: "API requests by route, method and status",
    labelNames: ["route", "method", "status"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "weir_http_request_duration_seconds",
    help: "API request latency by route and method",
    labelNames: ["route", "method"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: "weir_connected_agents",
    help: "Agents with an open event stream",
    registers: [registry],
    collect() {
      this.set(sources.connectedAgents());
    },
  });
  new Gauge({
    name: "weir_stream_lag_revisions",
    help: "How many revisions the slowest streaming agent is behind",
    registers: [registry],
    collect() {
      this.set(sources.streamLag());
    },
  });
  return { registry, requests, latency };
}
