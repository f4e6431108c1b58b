// The monitoring module's entry point (the only file other modules import): the metric catalogue,
// and MonitoringService, which records samples and answers them per step. Alert evaluation and its
// preview read `points`; the security module and the health checks report counters with `record`;
// dashboards read `latest` and `summary`. See docs/monitoring.md.
import { PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { RequestStats } from '../../platform/observability/request-stats.ts';
import { labelKey, labelProblem } from './labels.ts';
import {
  type Combine,
  isMetric,
  METRIC_NAMES,
  METRICS,
  type MetricName,
  metricAllowed,
  storedMetricsOf,
} from './metric-catalogue.ts';
import * as store from './store.ts';

export { labelProblem } from './labels.ts';
export {
  type Combine,
  isMetric,
  METRIC_NAMES,
  METRICS,
  type MetricDefinition,
  type MetricName,
  type MetricScope,
  type MetricUnit,
  metricAllowed,
  samplePeriodOf,
} from './metric-catalogue.ts';

/** A value another module reports; `orgId: null` is the platform. */
export interface SampleInput {
  orgId: string | null;
  metric: MetricName;
  value: number;
  labels?: Record<string, string>;
  /** When it happened (default now); stored in the sample interval it falls in. */
  at?: Date;
}

export interface PointsQuery {
  orgId: string | null;
  metric: MetricName;
  from: Date;
  to: Date;
  stepSeconds: number;
  labels?: Record<string, string>;
}

export interface Point {
  /** The start of the step (steps are aligned to the epoch). */
  at: Date;
  value: number;
}

/** A sample with the process it comes from (the sampler's own readings). */
export interface SourcedSample extends SampleInput {
  source: string;
}

const SUM_METRICS = METRIC_NAMES.filter((m) => METRICS[m].combine === 'sum');
const MAX_METRICS = METRIC_NAMES.filter((m) => METRICS[m].combine === 'max');

/** How many sample intervals `latest` looks back for a value. */
const LATEST_LOOKBACK_INTERVALS = 4;

export class MonitoringService {
  /** How often samples are taken (MONITOR_SAMPLE_SECONDS); stored times are multiples of it. */
  readonly sampleIntervalSeconds: number;
  /** This process's answered requests: fed by the HTTP layer (app.ts), drained by the sampler. */
  readonly requestStats = new RequestStats();
  private readonly gauges = new Map<MetricName, () => number>();
  private lastSampledSamples: readonly SampleInput[] = [];
  /** How long raw samples and minute roll-ups are kept (MONITOR_RETENTION_*), seconds. */
  readonly retention: { rawSeconds: number; minuteSeconds: number };
  private readonly db: Db;
  private readonly now: () => Date;

  constructor(deps: {
    db: Db;
    sampleIntervalSeconds: number;
    now?: () => Date;
    retention?: { rawSeconds: number; minuteSeconds: number };
  }) {
    this.db = deps.db;
    this.sampleIntervalSeconds = deps.sampleIntervalSeconds;
    this.now = deps.now ?? (() => new Date());
    this.retention = deps.retention ?? { rawSeconds: 48 * 3600, minuteSeconds: 14 * 86_400 };
  }

  /**
   * A platform gauge of this process that the sampler reads each interval, for what the module
   * cannot reach itself (ws.connections: the API process's realtime hub).
   */
  watch(metric: MetricName, read: () => number): void {
    this.gauges.set(metric, read);
  }

  watched(): [MetricName, () => number][] {
    return [...this.gauges];
  }

  /** The platform readings this process sampled last (served by /metrics as gauges). */
  lastSampled(): readonly SampleInput[] {
    return this.lastSampledSamples;
  }

  setLastSampled(samples: readonly SampleInput[]): void {
    this.lastSampledSamples = samples;
  }

  /** The start of the sample interval `at` falls in. */
  intervalOf(at: Date): Date {
    const ms = this.sampleIntervalSeconds * 1000;
    return new Date(Math.floor(at.getTime() / ms) * ms);
  }

  /**
   * Stores counters and gauges (one row per organization, metric, labels and interval: a second
   * report in the same interval adds to a count, keeps the larger maximum, replaces a gauge).
   * Throws on a metric that is derived, of the wrong scope, a non-finite value or bad labels.
   */
  async record(samples: readonly SampleInput[]): Promise<void> {
    await store.writeSamples(this.db.pool, this.rows(samples.map((s) => ({ ...s, source: '' }))));
  }

  /** `record` inside the caller's transaction (an event handler's: counted once with its work). */
  async recordIn(tx: Sql, samples: readonly SampleInput[]): Promise<void> {
    await store.writeSamples(tx, this.rows(samples.map((s) => ({ ...s, source: '' }))));
  }

  /** A process's own readings, one row per source (the sampler). */
  async recordFrom(samples: readonly SourcedSample[]): Promise<void> {
    await store.writeSamples(this.db.pool, this.rows(samples));
  }

  /**
   * Why `record` would refuse a sample (an unknown or derived metric, the wrong scope, a value
   * that is not a finite number, bad labels), or null: the sampler leaves such samples out so one
   * bad reading does not cost the batch.
   */
  sampleProblem(s: SampleInput): string | null {
    if (!isMetric(s.metric)) return `unknown metric ${s.metric}`;
    const def = METRICS[s.metric];
    if (def.derived) return `${s.metric} is derived, record its parts`;
    if (!metricAllowed(s.metric, s.orgId === null)) return `${s.metric} is a ${def.scope} metric`;
    if (typeof s.value !== 'number' || !Number.isFinite(s.value)) return `${s.metric} = ${s.value}`;
    return labelProblem(s.metric, s.labels);
  }

  private rows(samples: readonly SourcedSample[]): store.SampleRow[] {
    // Merged here first: one statement may not touch the same row twice.
    const merged = new Map<string, store.SampleRow>();
    for (const s of samples) {
      const problem = this.sampleProblem(s);
      if (problem) throw new Error(`monitoring: ${problem}`);
      const def = METRICS[s.metric];
      const row: store.SampleRow = {
        orgId: s.orgId ?? PLATFORM_ORG_ID,
        metric: s.metric,
        labels: labelKey(s.labels),
        at: this.intervalOf(s.at ?? this.now()),
        source: s.source,
        value: s.value,
        combine: def.combine,
      };
      const key = `${row.orgId}|${row.metric}|${row.labels}|${row.at.getTime()}|${row.source}`;
      const prev = merged.get(key);
      if (prev) row.value = mergeValue(def.combine, prev.value, row.value);
      merged.set(key, row);
    }
    return [...merged.values()];
  }

  /**
   * One value per step of [from, to) that has samples (a step without any is absent, not zero):
   * each sample time's sources combined by the metric's `combine`, then counts summed over the
   * step and other metrics averaged; a derived metric is the ratio of its parts' sums.
   * Unlabelled queries read the unlabelled series (the total where a metric is also kept per label).
   */
  async points(q: PointsQuery): Promise<Point[]> {
    const byMetric = await this.buckets(q.orgId, [q.metric], q);
    return pointsOf(q.metric, byMetric);
  }

  /** The last step's value within the last few sample intervals, or null. */
  async latest(
    orgId: string | null,
    metric: MetricName,
    labels?: Record<string, string>,
  ): Promise<Point | null> {
    const to = new Date(this.intervalOf(this.now()).getTime() + this.sampleIntervalSeconds * 1000);
    const from = new Date(to.getTime() - (LATEST_LOOKBACK_INTERVALS + 1) * this.sampleIntervalSeconds * 1000);
    const points = await this.points({
      orgId,
      metric,
      from,
      to,
      stepSeconds: this.sampleIntervalSeconds,
      ...(labels ? { labels } : {}),
    });
    return points.at(-1) ?? null;
  }

  /**
   * When a process whose sample source starts with `prefix` (a worker: WORKER_SOURCE_PREFIX) last
   * finished a sample interval, within the last `lookbackSeconds`; null: none in that time.
   */
  async lastSampleEnd(prefix: string, lookbackSeconds: number): Promise<Date | null> {
    const since = new Date(this.now().getTime() - lookbackSeconds * 1000);
    const at = await this.db.transaction({ orgId: PLATFORM_ORG_ID, userId: null }, (tx) =>
      store.lastSampleOf(tx, PLATFORM_ORG_ID, prefix, since),
    );
    return at ? new Date(at.getTime() + this.sampleIntervalSeconds * 1000) : null;
  }

  /** The latest value of every unlabelled metric of the scope (null: none lately), for dashboards. */
  async summary(orgId: string | null): Promise<Partial<Record<MetricName, Point | null>>> {
    const metrics = METRIC_NAMES.filter((m) => metricAllowed(m, orgId === null));
    const to = new Date(this.intervalOf(this.now()).getTime() + this.sampleIntervalSeconds * 1000);
    const from = new Date(to.getTime() - (LATEST_LOOKBACK_INTERVALS + 1) * this.sampleIntervalSeconds * 1000);
    const byMetric = await this.buckets(orgId, metrics, {
      from,
      to,
      stepSeconds: this.sampleIntervalSeconds,
    });
    const out: Partial<Record<MetricName, Point | null>> = {};
    for (const m of metrics) out[m] = pointsOf(m, byMetric).at(-1) ?? null;
    return out;
  }

  /**
   * Many series of one organization in as few reads as their labels allow (one per distinct label
   * set, over the union of their windows), each answered as `points` would: the alert evaluator
   * reads every series its due rules watch this way (added by the alerts helper, issue 17).
   */
  async pointsMany(orgId: string | null, queries: readonly Omit<PointsQuery, 'orgId'>[]): Promise<Point[][]> {
    const groups = new Map<string, number[]>();
    queries.forEach((q, i) => {
      const key = `${labelKey(q.labels)}|${q.stepSeconds}`;
      const list = groups.get(key) ?? [];
      list.push(i);
      groups.set(key, list);
    });
    const out: Point[][] = new Array(queries.length);
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        const first = queries[indexes[0]!]!;
        const from = new Date(Math.min(...indexes.map((i) => queries[i]!.from.getTime())));
        const to = new Date(Math.max(...indexes.map((i) => queries[i]!.to.getTime())));
        const byMetric = await this.buckets(orgId, [...new Set(indexes.map((i) => queries[i]!.metric))], {
          from,
          to,
          stepSeconds: first.stepSeconds,
          ...(first.labels ? { labels: first.labels } : {}),
        });
        for (const i of indexes) {
          const q = queries[i]!;
          out[i] = pointsOf(q.metric, byMetric).filter(
            (p) => p.at.getTime() >= q.from.getTime() && p.at.getTime() < q.to.getTime(),
          );
        }
      }),
    );
    return out;
  }

  private async buckets(
    orgId: string | null,
    metrics: readonly MetricName[],
    q: { from: Date; to: Date; stepSeconds: number; labels?: Record<string, string> },
  ): Promise<Map<string, store.BucketRow[]>> {
    if (!(q.stepSeconds >= 1)) throw new Error(`monitoring: a step of at least 1 s, not ${q.stepSeconds}`);
    const stored = [...new Set(metrics.flatMap(storedMetricsOf))];
    const org = orgId ?? PLATFORM_ORG_ID;
    const rows = await this.db.transaction({ orgId: org, userId: null }, (tx) =>
      store.readBuckets(tx, {
        orgId: org,
        metrics: stored,
        labels: labelKey(q.labels),
        from: q.from,
        to: q.to,
        stepSeconds: Math.round(q.stepSeconds),
        sumMetrics: SUM_METRICS,
        maxMetrics: MAX_METRICS,
      }),
    );
    const byMetric = new Map<string, store.BucketRow[]>();
    for (const r of rows) {
      const list = byMetric.get(r.metric) ?? [];
      list.push(r);
      byMetric.set(r.metric, list);
    }
    return byMetric;
  }
}

function mergeValue(combine: Combine, a: number, b: number): number {
  if (combine === 'sum') return a + b;
  if (combine === 'max') return Math.max(a, b);
  return b;
}

/** One metric's points from the buckets of the metrics it is stored as. */
function pointsOf(metric: MetricName, byMetric: Map<string, store.BucketRow[]>): Point[] {
  const def = METRICS[metric];
  if (def.derived) {
    const { numerator, denominator, factor } = def.derived;
    const num = new Map((byMetric.get(numerator) ?? []).map((b) => [b.bucket.getTime(), b.sum]));
    const out: Point[] = [];
    for (const d of byMetric.get(denominator) ?? []) {
      if (d.sum <= 0) continue; // no requests: no rate
      out.push({ at: d.bucket, value: (factor * (num.get(d.bucket.getTime()) ?? 0)) / d.sum });
    }
    return out;
  }
  return (byMetric.get(metric) ?? []).map((b) => ({
    at: b.bucket,
    value: def.combine === 'sum' ? b.sum : b.sum / b.count,
  }));
}
