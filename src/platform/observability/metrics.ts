// Prometheus metrics at /metrics: per-route latency histogram and status counts, database pool
// gauges, and prom-client's process metrics. One registry per app instance (tests build many).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The `route` label of a request that matched no route (a 404, or refused before finding out). */
export const UNMATCHED_ROUTE = 'unmatched';
/** The `route` label of every file of the built web app: their names change with each release. */
export const STATIC_ROUTE = 'static';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The `route` label instead of the route's URL: a fixed name, or chosen per request. */
    metricsRoute?: string | ((request: FastifyRequest) => string);
  }
}

/**
 * prom-client's gauges that end in `_total`, which promtool refuses for anything but a counter.
 * Each is the sum over the `type` label of the gauge of the same name without `_total`.
 */
const REDUNDANT_TOTALS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export function createMetrics(pool: pg.Pool): Registry {
  const registry = new Registry();
  const prefix = 'bul_';
  collectDefaultMetrics({ register: registry, prefix });
  for (const name of REDUNDANT_TOTALS) registry.removeSingleMetric(prefix + name);
  const poolGauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  poolGauge('bul_db_pool_connections', 'Connections open in the application pool', () => pool.totalCount);
  poolGauge('bul_db_pool_idle_connections', 'Idle connections in the application pool', () => pool.idleCount);
  poolGauge('bul_db_pool_waiting_requests', 'Queries waiting for a pool connection', () => pool.waitingCount);
  return registry;
}

/** The route template (never the raw URL), so the label's values are few and stable across releases. */
function routeLabel(request: FastifyRequest): string {
  const named = request.routeOptions.config?.metricsRoute;
  if (typeof named === 'string') return named;
  if (named) return named(request);
  return request.routeOptions.url ?? UNMATCHED_ROUTE;
}

export function registerHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const labelNames = ['method', 'route', 'status_code'] as const;
  const duration = new Histogram({
    name: 'bul_http_request_duration_seconds',
    help: 'HTTP request latency by route template',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const requests = new Counter({
    name: 'bul_http_requests_total',
    help: 'HTTP requests by route template and status code',
    labelNames,
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      method: request.method,
      route: routeLabel(request),
      status_code: String(reply.statusCode),
    };
    duration.observe(labels, reply.elapsedTime / 1000);
    requests.inc(labels);
  });
}
