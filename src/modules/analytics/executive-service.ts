// Executive metrics and daily trends (permission `executive:read`), for the organization the
// request acts for or — scope=global, super admins only — for every organization. The business
// SQL lives in 0003_analytics.sql: one definition for both scopes, which checks the caller itself
// as well; the system, security and alert figures come from those modules' services
// (executive-operations.ts), the system trends from monitoring (system-trend.ts).
import type { Db } from '../../platform/db/transaction.ts';
import { AppError, fieldError } from '../../platform/errors.ts';
import type { CallContext, TenantScope } from '../../platform/http/request-context.ts';
import { tenantScope } from '../../platform/http/request-context.ts';
import type { TenancyService } from '../tenancy/service.ts';
import { type AnalyticsCache, asOfKey } from './cached.ts';
import { asOfOf } from './dashboard-service.ts';
import { ExecutiveOperations, type OperationsDeps } from './executive-operations.ts';
import { ANALYTICS } from './messages.ts';
import {
  type ExecutiveMetricsDto,
  type ExecutiveMetricsQueryType,
  isSystemTrendMetric,
  MONEY_TREND_METRICS,
  type TrendDto,
  type TrendQueryType,
} from './schemas.ts';
import * as store from './store.ts';
import { systemTrend } from './system-trend.ts';

type Scope = 'org' | 'global';

interface ResolvedScope {
  scope: Scope;
  /** Transaction context. */
  tx: { orgId: string | null; userId: string };
  /** The organization the SQL computes for; null: every organization. */
  orgId: string | null;
}

/** The platform permission the global scope needs (super admins hold every permission). */
function resolveScope(ctx: CallContext, scope: Scope | undefined): ResolvedScope {
  if (scope === 'global') {
    if (!ctx.principal.permissions.has('platform:admin')) {
      throw new AppError('forbidden', ANALYTICS.globalScope(), {
        extra: { permission: 'platform:admin' },
      });
    }
    return {
      scope: 'global',
      tx: { orgId: ctx.principal.org?.id ?? null, userId: ctx.principal.userId },
      orgId: null,
    };
  }
  const s: TenantScope = tenantScope(ctx);
  return { scope: 'org', tx: s, orgId: s.orgId };
}

export class ExecutiveService {
  private readonly db: Db;
  private readonly tenancy: TenancyService;
  private readonly operations: ExecutiveOperations;
  private readonly monitoring: OperationsDeps['monitoring'];
  private readonly cached: AnalyticsCache;

  constructor(deps: { db: Db; tenancy: TenancyService; cached: AnalyticsCache } & OperationsDeps) {
    this.db = deps.db;
    this.cached = deps.cached;
    this.tenancy = deps.tenancy;
    this.operations = new ExecutiveOperations(deps);
    this.monitoring = deps.monitoring;
  }

  async metrics(ctx: CallContext, q: ExecutiveMetricsQueryType): Promise<ExecutiveMetricsDto> {
    const r = resolveScope(ctx, q.scope);
    const asOf = asOfOf(q.asOf);
    // The business figures and the other modules' figures are separate reads: run them at once.
    // Both are cached per data version (cached.ts); the other modules' figures also move with the
    // monitoring samples and health checks, without events: fresh for one sample interval, and
    // served stale at most one more.
    const version = await this.cached.version(r.tx, r.orgId);
    const key = asOfKey(q.asOf, asOf);
    const at = key === null ? null : [key];
    const sampleMs = this.monitoring.sampleIntervalSeconds * 1000;
    const [m, ops] = await Promise.all([
      this.cached.get(version, r.orgId, 'analytics.executive', at, async () => ({
        // The instant the business figures were computed for (cached: up to CACHE_TTL_MS ago).
        computedAsOf: asOf.toISOString(),
        ...(await this.db.transaction(r.tx, (tx) => store.executiveMetrics(tx, r.orgId, asOf))),
      })),
      this.cached.get(
        version,
        r.orgId,
        'analytics.executive-operations',
        at,
        () => this.operations.figures(ctx, r.orgId, asOf),
        { ttlMs: sampleMs, staleMs: sampleMs },
      ),
    ]);
    const { computedAsOf, ...figures } = m;
    return { scope: r.scope, asOf: computedAsOf, ...figures, ...ops };
  }

  async trend(ctx: CallContext, q: TrendQueryType): Promise<TrendDto> {
    const r = resolveScope(ctx, q.scope);
    const asOf = asOfOf(q.asOf);
    const days = q.days ?? 30;
    const metric = q.metric;
    if (isSystemTrendMetric(metric)) {
      if (metric === 'failed_logins' && r.orgId === null) {
        const msg = ANALYTICS.organizationTrendOnly({ metric });
        throw new AppError('validation-failed', msg, {
          errors: [fieldError('metric', 'scope', msg, 'query')],
        });
      }
      const timezone = r.orgId
        ? await this.db.transaction(
            r.tx,
            async (tx) => (await this.tenancy.organizations.bookSettings(tx)).timezone,
          )
        : 'UTC';
      const points = await systemTrend(this.monitoring, { orgId: r.orgId, metric, days, asOf, timezone });
      return {
        metric,
        scope: r.scope,
        asOf: asOf.toISOString(),
        timezone,
        from: points[0]?.date ?? '',
        to: points[points.length - 1]?.date ?? '',
        unit: metric === 'error_rate' ? 'percent' : metric === 'response_time' ? 'ms' : 'count',
        series: [{ currency: null, points }],
      };
    }
    const asOfPart = asOfKey(q.asOf, asOf);
    const { rows, timezone, computedAsOf } = await this.cached.read(
      r.tx,
      r.orgId,
      'analytics.trend',
      asOfPart === null ? null : [metric, days, asOfPart],
      () =>
        this.db.transaction(r.tx, async (tx) => ({
          computedAsOf: asOf.toISOString(),
          rows: await store.executiveTrend(tx, r.orgId, metric, days, asOf),
          timezone: r.orgId ? (await this.tenancy.organizations.bookSettings(tx)).timezone : 'UTC',
        })),
    );
    // Rows arrive ordered by currency then day: cut them into one series per currency.
    const series: TrendDto['series'] = [];
    for (const row of rows) {
      let last = series[series.length - 1];
      if (!last || last.currency !== row.currency) {
        last = { currency: row.currency, points: [] };
        series.push(last);
      }
      last.points.push({ date: row.day, value: row.value });
    }
    const points = series[0]?.points ?? [];
    return {
      metric,
      scope: r.scope,
      asOf: computedAsOf,
      timezone,
      from: points[0]?.date ?? '',
      to: points[points.length - 1]?.date ?? '',
      unit: MONEY_TREND_METRICS.includes(metric) ? 'minor' : metric === 'satisfaction' ? 'score' : 'count',
      series,
    };
  }
}
