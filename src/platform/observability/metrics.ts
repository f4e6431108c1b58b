// Prometheus metrics at /metrics: per-route latency histogram and status counts, database pool
// gauges, and prom-client's process metrics. One registry per app instance (tests build many).
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics(pool: pg.Pool): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'bul_' });
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
    // The route template (not the raw URL) keeps label cardinality bounded.
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status_code: String(reply.statusCode),
    };
    duration.observe(labels, reply.elapsedTime / 1000);
    requests.inc(labels);
  });
}
