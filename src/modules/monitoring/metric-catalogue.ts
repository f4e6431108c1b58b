// The catalogue of metrics BUL keeps a history of (docs/monitoring.md is generated from it). A
// metric is platform-wide (stored under the nil organization), per organization, or both. `combine`
// says how the values of one sample time from several sources (processes) make one: counts add up,
// a host's or a process's reading keeps the worst (max), a gauge read identically everywhere
// averages. Within a step of a query, counts add up and every other metric averages over its sample
// times. A derived metric is stored as its two sums and computed per step, so a rate over several
// processes and several samples is the exact ratio of the totals, never an average of ratios.

export type MetricScope = 'platform' | 'org' | 'both';
export type MetricUnit = 'percent' | 'ms' | 'bytes' | 'count' | 'per_second' | 'seconds';
export type Combine = 'sum' | 'avg' | 'max';

export interface MetricDefinition {
  scope: MetricScope;
  unit: MetricUnit;
  help: string;
  combine: Combine;
  /** The label keys a sample may carry (none: unlabelled only). */
  labels?: readonly string[];
  /** Computed per step as factor × sum(numerator) / sum(denominator); never stored itself. */
  derived?: { numerator: string; denominator: string; factor: number };
  /**
   * How often it is written when that is less often than every sample interval (seconds): a
   * reader that wants "a recent sample" (alert coverage) waits this long, not one interval.
   */
  periodSeconds?: number;
}

/** Usage and quota shares are read every 5 minutes (cluster-readings.ts), not every interval. */
export const USAGE_PERIOD_SECONDS = 300;

const DEFINITIONS = {
  // ---- the host and the process (every process samples; stored per source host:pid) ----------
  'system.cpu.percent': {
    scope: 'platform',
    unit: 'percent',
    help: 'CPU busy on the host, all cores (the busiest host when several)',
    combine: 'max',
  },
  'system.cpu.core.percent': {
    scope: 'platform',
    unit: 'percent',
    help: 'CPU busy per core (label core: 0, 1, ...)',
    combine: 'max',
    labels: ['core'],
  },
  'system.memory.percent': {
    scope: 'platform',
    unit: 'percent',
    help: 'Memory in use on the host (total minus available)',
    combine: 'max',
  },
  'system.memory.used_bytes': {
    scope: 'platform',
    unit: 'bytes',
    help: 'Memory in use on the host (total minus available)',
    combine: 'max',
  },
  'system.swap.percent': {
    scope: 'platform',
    unit: 'percent',
    help: 'Swap in use on the host',
    combine: 'max',
  },
  'system.disk.percent': {
    scope: 'platform',
    unit: 'percent',
    help: 'Space used on the volume of BUL_DATA_DIR',
    combine: 'max',
  },
  'system.disk.free_bytes': {
    scope: 'platform',
    unit: 'bytes',
    help: 'Space available (to unprivileged users) on the volume of BUL_DATA_DIR',
    combine: 'avg',
  },
  'system.disk.read_bytes_per_s': {
    scope: 'platform',
    unit: 'per_second',
    help: 'Bytes read per second from the block device of BUL_DATA_DIR',
    combine: 'max',
  },
  'system.disk.write_bytes_per_s': {
    scope: 'platform',
    unit: 'per_second',
    help: 'Bytes written per second to the block device of BUL_DATA_DIR',
    combine: 'max',
  },
  'system.network.rx_bytes_per_s': {
    scope: 'platform',
    unit: 'per_second',
    help: 'Bytes received per second by the host, all interfaces but loopback',
    combine: 'max',
  },
  'system.network.tx_bytes_per_s': {
    scope: 'platform',
    unit: 'per_second',
    help: 'Bytes sent per second by the host, all interfaces but loopback',
    combine: 'max',
  },
  'process.cpu.percent': {
    scope: 'platform',
    unit: 'percent',
    help: 'CPU used by a BUL process, of one core (the busiest process)',
    combine: 'max',
  },
  'process.memory.rss_bytes': {
    scope: 'platform',
    unit: 'bytes',
    help: 'Resident memory of a BUL process (the largest)',
    combine: 'max',
  },
  'process.event_loop_lag_ms': {
    scope: 'platform',
    unit: 'ms',
    help: 'Event-loop delay of a BUL process, p99 over the interval (the worst process)',
    combine: 'max',
  },
  'db.pool.in_use': {
    scope: 'platform',
    unit: 'count',
    help: 'Application pool connections checked out, all processes',
    combine: 'sum',
  },
  'db.pool.waiting': {
    scope: 'platform',
    unit: 'count',
    help: 'Queries waiting for an application pool connection, all processes',
    combine: 'sum',
  },
  'db.connections': {
    scope: 'platform',
    unit: 'count',
    help: "Connections to BUL's database (pg_stat_activity)",
    combine: 'max',
  },
  'jobs.queue.depth': {
    scope: 'platform',
    unit: 'count',
    help: 'Jobs waiting to run now (due, not locked, attempts left)',
    combine: 'max',
  },
  'jobs.queue.oldest_age_seconds': {
    scope: 'platform',
    unit: 'seconds',
    help: 'How long the oldest job due to run has waited',
    combine: 'max',
  },
  'ws.connections': {
    scope: 'platform',
    unit: 'count',
    help: 'Open /ws connections, all API processes',
    combine: 'sum',
  },
  // ---- the cache (platform/cache, docs/cache.md): every process counts its own reads ----------
  'cache.reads': {
    scope: 'platform',
    unit: 'count',
    help: 'Reads of the cache in the interval (hits, stale hits and misses)',
    combine: 'sum',
  },
  'cache.hits': {
    scope: 'platform',
    unit: 'count',
    help: 'Reads of the cache answered from it in the interval (fresh or stale)',
    combine: 'sum',
  },
  'cache.hit_rate.percent': {
    scope: 'platform',
    unit: 'percent',
    help: '100 × cache.hits / cache.reads over the step',
    combine: 'avg',
    derived: { numerator: 'cache.hits', denominator: 'cache.reads', factor: 100 },
  },
  // ---- requests: platform-wide and per organization of the request (label group: route group) --
  'http.requests': {
    scope: 'both',
    unit: 'count',
    help: 'API requests answered in the interval',
    combine: 'sum',
    labels: ['group'],
  },
  'http.errors': {
    scope: 'both',
    unit: 'count',
    help: 'API requests answered with a 5xx status in the interval',
    combine: 'sum',
    labels: ['group'],
  },
  'http.error_rate.percent': {
    scope: 'both',
    unit: 'percent',
    help: '100 × http.errors / http.requests over the step',
    combine: 'avg',
    labels: ['group'],
    derived: { numerator: 'http.errors', denominator: 'http.requests', factor: 100 },
  },
  'http.response_time.total_ms': {
    scope: 'both',
    unit: 'ms',
    help: 'Sum of the response times of the interval (for the average)',
    combine: 'sum',
    labels: ['group'],
  },
  'http.response_time.avg_ms': {
    scope: 'both',
    unit: 'ms',
    help: 'Mean response time: http.response_time.total_ms / http.requests over the step',
    combine: 'avg',
    labels: ['group'],
    derived: { numerator: 'http.response_time.total_ms', denominator: 'http.requests', factor: 1 },
  },
  'http.response_time.p95_ms': {
    scope: 'both',
    unit: 'ms',
    help: "95th percentile of the interval's response times (exact per process; the slowest process)",
    combine: 'max',
    labels: ['group'],
  },
  'http.response_time.p99_ms': {
    scope: 'both',
    unit: 'ms',
    help: "99th percentile of the interval's response times (exact per process; the slowest process)",
    combine: 'max',
    labels: ['group'],
  },
  // ---- health (recorded by the system module's checks) ----------------------------------------
  'health.score': {
    scope: 'both',
    unit: 'percent',
    help: 'Health score 0-100 of the checks (docs/health.md)',
    combine: 'avg',
  },
  'health.failing_checks': {
    scope: 'both',
    unit: 'count',
    help: 'Health checks failing at the last run',
    combine: 'max',
  },
  // ---- per organization ------------------------------------------------------------------------
  'security.failed_logins': {
    scope: 'org',
    unit: 'count',
    help: 'Failed login or MFA steps of members in the interval (event security.login_failed)',
    combine: 'sum',
  },
  'security.lockouts': {
    scope: 'org',
    unit: 'count',
    help: 'Member logins locked after repeated failures in the interval (event security.locked_out)',
    combine: 'sum',
  },
  'security.threats': {
    scope: 'org',
    unit: 'count',
    help: 'Threats detected in the interval (label severity: low, medium, high, critical)',
    combine: 'sum',
    labels: ['severity'],
  },
  'usage.users': {
    scope: 'org',
    unit: 'count',
    help: 'Members of the organization (what the plan limit max_users counts)',
    combine: 'max',
    periodSeconds: USAGE_PERIOD_SECONDS,
  },
  'usage.storage_bytes': {
    scope: 'org',
    unit: 'bytes',
    help: 'Bytes of files stored by the organization',
    combine: 'max',
    periodSeconds: USAGE_PERIOD_SECONDS,
  },
  'usage.api_requests_month': {
    scope: 'org',
    unit: 'count',
    help: 'API requests of the organization so far this month (UTC), as the quota counts them',
    combine: 'max',
    periodSeconds: USAGE_PERIOD_SECONDS,
  },
  'quota.users.percent': {
    scope: 'org',
    unit: 'percent',
    help: "Members as a percentage of the plan's max_users (absent when unlimited)",
    combine: 'max',
    periodSeconds: USAGE_PERIOD_SECONDS,
  },
  'quota.storage.percent': {
    scope: 'org',
    unit: 'percent',
    help: "Stored bytes as a percentage of the plan's max_storage_bytes (absent when unlimited)",
    combine: 'max',
    periodSeconds: USAGE_PERIOD_SECONDS,
  },
  'quota.api_requests.percent': {
    scope: 'org',
    unit: 'percent',
    help: "This month's API requests as a percentage of the plan's monthly limit (absent when unlimited)",
    combine: 'max',
    periodSeconds: USAGE_PERIOD_SECONDS,
  },
  // ---- backups (the backups module); the built-in alert rules backup_missing and backup_failed --
  'backup.age_seconds': {
    scope: 'platform',
    unit: 'seconds',
    help: 'Age of the last successful backup (recorded by the backups module every minute and after each backup)',
    combine: 'max',
  },
  'backup.failures': {
    scope: 'platform',
    unit: 'count',
    help: 'Backups that failed on their last attempt (backups module)',
    combine: 'sum',
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof DEFINITIONS;

export const METRICS: Record<MetricName, MetricDefinition> = DEFINITIONS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

export const isMetric = (name: string): name is MetricName => Object.hasOwn(METRICS, name);

/** Whether a metric has rows for an organization (true) or for the platform (false). */
export function metricAllowed(metric: MetricName, platform: boolean): boolean {
  const { scope } = METRICS[metric];
  return scope === 'both' || (scope === 'platform') === platform;
}

/** How far apart a metric's samples are: the sample interval, or its own longer period. */
export function samplePeriodOf(metric: MetricName, sampleIntervalSeconds: number): number {
  const period: number | undefined = (METRICS[metric] as MetricDefinition).periodSeconds;
  return Math.max(sampleIntervalSeconds, period ?? 0);
}

/** The stored metrics a query of `metric` reads (a derived one: its numerator and denominator). */
export function storedMetricsOf(metric: MetricName): string[] {
  const d = METRICS[metric].derived;
  return d ? [d.numerator, d.denominator] : [metric];
}
