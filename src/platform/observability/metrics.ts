// Prometheus metrics at /metrics: per-route latency histogram and status counts, database pool
// gauges, and prom-client's process metrics. One registry per app instance (tests build many).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { Counter, collectDefaultMetrics, Gauge, Histogram, type Metric, Registry } from 'prom-client';
import { type RequestStats, routeGroup } from './request-stats.ts';

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

/**
 * Per-route latency and status counts for /metrics; with `stats`, every answered request is also
 * counted for the metrics history, under its organization and route group (request-stats.ts).
 */
export function registerHttpMetrics(app: FastifyInstance, registry: Registry, stats?: RequestStats): void {
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
    stats?.observe(
      request.principal?.org?.id ?? null,
      routeGroup(labels.route),
      reply.statusCode,
      reply.elapsedTime,
    );
  });
}

/** A metric of the sampler's history served at /metrics too (`system.cpu.percent` → `bul_system_cpu_percent`). */
export interface SampledGauge {
  metric: string;
  help: string;
  labels: readonly string[];
}

/**
 * Gauges whose values are this process's last samples (`latest`), so a Prometheus scrape sees the
 * same host readings as the history without reading the host again.
 */
/**
 * The Prometheus name of a sampled metric, in base units spelled out as Prometheus asks (promtool
 * refuses abbreviations): `process.event_loop_lag_ms` → `bul_process_event_loop_lag_seconds` (the
 * value scaled to seconds), `…_bytes_per_s` → `…_bytes_per_second`.
 */
export function prometheusGauge(metric: string): { name: string; scale: number } {
  let name = `bul_${metric.replace(/\./g, '_')}`;
  let scale = 1;
  if (name.endsWith('_ms')) {
    name = `${name.slice(0, -'_ms'.length)}_seconds`;
    scale = 0.001;
  }
  return { name: name.replace(/_per_s$/, '_per_second'), scale };
}

export function registerSampledGauges(
  registry: Registry,
  gauges: readonly SampledGauge[],
  latest: () => readonly { metric: string; value: number; labels?: Record<string, string> }[],
): void {
  for (const g of gauges) {
    const { name, scale } = prometheusGauge(g.metric);
    new Gauge({
      name,
      help: `${g.help} (last sample)`,
      labelNames: [...g.labels],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of latest()) if (s.metric === g.metric) this.set(s.labels ?? {}, s.value * scale);
      },
    });
  }
}

/**
 * The metrics of the whole cluster that the history holds and no single process reads itself (the
 * job queue, the health checks, the backups: taken by whichever process claims the tick, or by a
 * worker, which serves no HTTP). Every API process serves their latest platform value at /metrics,
 * read from the database when Prometheus scrapes (one read per scrape, shared by these gauges), so
 * Prometheus alert rules can mirror the built-in ones (deploy/prometheus/). A metric without a
 * recent sample is left out of the scrape (absent, not zero), as in the history.
 */
export const CLUSTER_GAUGES = [
  'db.connections',
  'jobs.queue.depth',
  'jobs.queue.oldest_age_seconds',
  'health.score',
  'health.failing_checks',
  'backup.age_seconds',
  'backup.failures',
] as const;

/** How far back /metrics looks for a worker's last sample; none in that time: +Inf seconds. */
export const WORKER_SAMPLE_LOOKBACK_SECONDS = 86_400;

export interface ClusterReaders {
  /** The latest platform value of each metric (the history's summary). */
  latest(): Promise<Partial<Record<string, { value: number } | null>>>;
  /** When a worker process last finished a sample interval (null: not within the lookback). */
  workerLastSampleEnd?(): Promise<Date | null>;
  now?(): number;
}

/**
 * Besides the history's gauges, two that are always served (never left out, so an alert on them
 * cannot resolve by their vanishing): `bul_metrics_history_up`, 1 when this scrape read the
 * metrics history, 0 when the read failed (the database down: the history's gauges are then left
 * out); `bul_worker_last_sample_age_seconds`, the seconds since a worker process last sampled
 * (+Inf: none in the last day), which grows when every worker has stopped — the gauges only
 * workers write (health, backups, job queue) then go stale and are left out.
 */
export function registerClusterGauges(
  registry: Registry,
  gauges: readonly SampledGauge[],
  readers: ClusterReaders,
): void {
  const now = readers.now ?? Date.now;
  type Read = {
    values: Partial<Record<string, { value: number } | null>>;
    up: boolean;
    workerEnd: Date | null | undefined;
  };
  let read: { at: number; result: Promise<Read> } | null = null;
  const values = () => {
    // One database read per scrape: the gauges collect one after the other within a second.
    if (!read || now() - read.at > 1000) {
      const result = Promise.all([readers.latest(), readers.workerLastSampleEnd?.()]).then(
        ([v, workerEnd]): Read => ({ values: v, up: true, workerEnd }),
        (): Read => ({ values: {}, up: false, workerEnd: undefined }),
      );
      read = { at: now(), result };
    }
    return read.result;
  };
  const register = (name: string, help: string, value: (r: Read) => number | null) => {
    // Not a prom-client Gauge: an unlabelled Gauge always reports a value (0 after a reset), and a
    // backup age of 0 where no backup ever succeeded would hide the very thing its alert watches.
    const metric = {
      name,
      help,
      type: 'gauge',
      aggregator: 'sum',
      async get() {
        const v = value(await values());
        return {
          name,
          help,
          type: 'gauge',
          aggregator: 'sum',
          values: v === null ? [] : [{ value: v, labels: {} }],
        };
      },
      reset() {},
    };
    registry.registerMetric(metric as unknown as Metric);
  };
  for (const g of gauges) {
    const { name, scale } = prometheusGauge(g.metric);
    register(name, `${g.help} (latest in the metrics history)`, (r) => {
      const point = r.values[g.metric];
      return point ? point.value * scale : null;
    });
  }
  register(
    'bul_metrics_history_up',
    'Whether this scrape read the metrics history (1), or the read failed (0: its gauges are left out)',
    (r) => (r.up ? 1 : 0),
  );
  if (readers.workerLastSampleEnd)
    register(
      'bul_worker_last_sample_age_seconds',
      'Seconds since a worker process last wrote its samples to the metrics history (+Inf: none in a day)',
      (r) => {
        if (r.workerEnd === undefined) return null; // the history could not be read
        if (r.workerEnd === null) return Number.POSITIVE_INFINITY;
        return Math.max(0, (now() - r.workerEnd.getTime()) / 1000);
      },
    );
}
