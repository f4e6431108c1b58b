// What the /monitoring routes answer: a metric's series (the organization's, or the platform's
// for super admins), the catalogue, and capacity projections (capacity.ts). Checks the query the
// schema cannot: the metric's scope, from before to, the step against the sample interval and the
// number of points, the labels.
import type { Db } from '../../platform/db/transaction.ts';
import { AppError, fieldError } from '../../platform/errors.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import type { Msg } from '../../platform/i18n/message.ts';
import { fitLine, reachedAt } from './capacity.ts';
import { LABEL_VALUE, parseLabels } from './labels.ts';
import { MONITORING } from './messages.ts';
import {
  type CapacityDto,
  type CapacityQueryType,
  MAX_POINTS,
  type MetricCatalogueDto,
  type ProjectionDto,
  type SeriesDto,
  type SeriesQueryType,
} from './schemas.ts';
import { METRIC_NAMES, METRICS, type MetricName, type MonitoringService, metricAllowed } from './service.ts';
import * as store from './store.ts';

const DAY_MS = 86_400_000;
/** Days in an average month: a daily request count times this is a month's. */
const DAYS_PER_MONTH = 365.25 / 12;

function badQuery(field: string, rule: string, msg: Msg): AppError {
  return new AppError('validation-failed', MONITORING.badQuery(), {
    errors: [fieldError(field, rule, msg, 'query')],
  });
}

interface Scope {
  scope: 'org' | 'platform';
  orgId: string | null;
}

export class MonitoringQueries {
  private readonly monitoring: MonitoringService;
  private readonly db: Db;
  private readonly now: () => Date;

  constructor(deps: { monitoring: MonitoringService; db: Db; now?: () => Date }) {
    this.monitoring = deps.monitoring;
    this.db = deps.db;
    this.now = deps.now ?? (() => new Date());
  }

  private scopeOf(ctx: CallContext, scope: 'org' | 'platform' | undefined): Scope {
    if (scope === 'platform') {
      if (!ctx.principal.permissions.has('platform:admin'))
        throw new AppError('forbidden', MONITORING.platformScope(), {
          extra: { permission: 'platform:admin' },
        });
      return { scope: 'platform', orgId: null };
    }
    return { scope: 'org', orgId: tenantScope(ctx).orgId };
  }

  async series(ctx: CallContext, q: SeriesQueryType): Promise<SeriesDto> {
    const s = this.scopeOf(ctx, q.scope);
    const metric = q.metric as MetricName;
    const def = METRICS[metric];
    if (!metricAllowed(metric, s.orgId === null))
      throw badQuery('metric', 'scope', MONITORING.metricNotInScope({ metric, scope: def.scope }));
    const to = q.to ? new Date(q.to) : this.now();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 3_600_000);
    if (from.getTime() >= to.getTime())
      throw badQuery('from', 'beforeTo', MONITORING.fromNotBeforeTo({ to: to.toISOString() }));
    const interval = this.monitoring.sampleIntervalSeconds;
    const rangeSeconds = (to.getTime() - from.getTime()) / 1000;
    // Raw samples are kept MONITOR_RETENTION_RAW, minute roll-ups MONITOR_RETENTION_MINUTE: a step
    // that is not whole minutes reads raw samples only, one not whole hours no hourly roll-ups.
    const now = this.now().getTime();
    const { rawSeconds, minuteSeconds } = this.monitoring.retention;
    const pastRaw = from.getTime() < now - rawSeconds * 1000;
    const pastMinutes = from.getTime() < now - minuteSeconds * 1000;
    const roundUp = (n: number, unit: number) => Math.ceil(n / unit) * unit;
    let step = q.step;
    if (step === undefined) {
      step = interval * Math.max(1, Math.ceil(rangeSeconds / MAX_POINTS / interval));
      // Coarser than the samples, or older than them: whole minutes (then hours) the roll-ups serve.
      if (step > interval || pastRaw) step = roundUp(step, 60);
      if (pastMinutes) step = roundUp(step, 3600);
    } else if (step < interval) {
      throw badQuery('step', 'minimum', MONITORING.stepBelowInterval({ interval }));
    } else if (step % 60 !== 0 && pastRaw) {
      throw badQuery(
        'step',
        'rawRetention',
        MONITORING.stepBeforeRaw({ hours: Math.round(rawSeconds / 3600), from: from.toISOString() }),
      );
    }
    const points = Math.ceil(rangeSeconds / step);
    if (points > MAX_POINTS)
      throw badQuery(
        'step',
        'maxPoints',
        MONITORING.tooManyPoints({
          from: from.toISOString(),
          to: to.toISOString(),
          step,
          points,
          max: MAX_POINTS,
        }),
      );
    const labels = this.labelsOf(metric, q.labels);
    const series = await this.monitoring.points({
      orgId: s.orgId,
      metric,
      from,
      to,
      stepSeconds: step,
      labels,
    });
    return {
      metric,
      scope: s.scope,
      unit: def.unit,
      labels,
      from: from.toISOString(),
      to: to.toISOString(),
      stepSeconds: step,
      points: series.map((p) => ({ at: p.at.toISOString(), value: p.value })),
    };
  }

  private labelsOf(metric: MetricName, text: string | undefined): Record<string, string> {
    const labels = parseLabels(text ?? '');
    if (!labels) throw badQuery('labels', 'format', MONITORING.labelsShape());
    const allowed: readonly string[] = METRICS[metric].labels ?? [];
    for (const [key, value] of Object.entries(labels)) {
      if (!allowed.includes(key))
        throw badQuery(
          'labels',
          'label',
          MONITORING.labelNotAllowed({ metric, key, allowed: { list: allowed.length ? allowed : ['—'] } }),
        );
      if (!LABEL_VALUE.test(value)) throw badQuery('labels', 'pattern', MONITORING.labelValue({ key }));
    }
    return labels;
  }

  catalogue(): MetricCatalogueDto {
    return {
      sampleIntervalSeconds: this.monitoring.sampleIntervalSeconds,
      metrics: METRIC_NAMES.map((name) => {
        const d = METRICS[name];
        return {
          name,
          scope: d.scope,
          unit: d.unit,
          help: d.help,
          combine: d.combine,
          labels: [...(d.labels ?? [])],
          derived: Boolean(d.derived),
        };
      }),
    };
  }

  async capacity(ctx: CallContext, q: CapacityQueryType): Promise<CapacityDto> {
    const s = this.scopeOf(ctx, q.scope);
    const now = this.now();
    const days = q.days ?? 30;
    const from = new Date(now.getTime() - days * DAY_MS);
    // Whole UTC days, the current (incomplete) one left out, for the daily request counts.
    const today = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
    const hourly = (metric: MetricName) =>
      this.monitoring.points({ orgId: s.orgId, metric, from, to: now, stepSeconds: 3600 });
    const dailyRequests = async () =>
      (
        await this.monitoring.points({
          orgId: s.orgId,
          metric: 'http.requests',
          from: new Date(today.getTime() - days * DAY_MS),
          to: today,
          stepSeconds: 86_400,
        })
      ).map((p) => ({ at: p.at, value: p.value * DAYS_PER_MONTH }));

    const projections: ProjectionDto[] = [];
    const project = (
      resource: ProjectionDto['resource'],
      metric: MetricName,
      points: { at: Date; value: number }[],
      limit: number | null,
      direction: 'up' | 'down' = 'up',
    ) => {
      const fit = fitLine(points);
      const current = points.at(-1)?.value ?? null;
      const at = limit === null ? null : reachedAt(fit, limit, current, now, direction);
      projections.push({
        resource,
        metric,
        unit: METRICS[metric].unit,
        current,
        limit,
        samples: points.length,
        slopePerDay: fit ? fit.slope * DAY_MS : null,
        projectedAt: at?.toISOString() ?? null,
      });
    };

    if (s.orgId !== null) {
      const orgId = s.orgId;
      const limits = await this.db.transaction({ orgId, userId: ctx.principal.userId }, (tx) =>
        store.planLimits(tx, orgId),
      );
      project('users', 'usage.users', await hourly('usage.users'), limits?.max_users ?? null);
      project(
        'storage',
        'usage.storage_bytes',
        await hourly('usage.storage_bytes'),
        limits?.max_storage_bytes ?? null,
      );
      project('requests', 'http.requests', await dailyRequests(), limits?.max_api_requests_per_month ?? null);
    } else {
      project('disk', 'system.disk.free_bytes', await hourly('system.disk.free_bytes'), 0, 'down');
      project('requests', 'http.requests', await dailyRequests(), null);
    }
    return { scope: s.scope, asOf: now.toISOString(), days, projections };
  }
}
