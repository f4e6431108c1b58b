// Executive metrics and daily trends (permission `executive:read`), for the organization the
// request acts for or — scope=global, super admins only — for every organization. The SQL lives in
// 0003_analytics.sql: one definition for both scopes, which checks the caller itself as well.
import type { Db } from '../../platform/db/transaction.ts';
import { AppError } from '../../platform/errors.ts';
import type { CallContext, TenantScope } from '../../platform/http/request-context.ts';
import { tenantScope } from '../../platform/http/request-context.ts';
import type { TenancyService } from '../tenancy/service.ts';
import { asOfOf } from './dashboard-service.ts';
import { ANALYTICS } from './messages.ts';
import {
  type ExecutiveMetricsDto,
  type ExecutiveMetricsQueryType,
  MONEY_TREND_METRICS,
  type TrendDto,
  type TrendQueryType,
} from './schemas.ts';
import * as store from './store.ts';

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

  constructor(deps: { db: Db; tenancy: TenancyService }) {
    this.db = deps.db;
    this.tenancy = deps.tenancy;
  }

  async metrics(ctx: CallContext, q: ExecutiveMetricsQueryType): Promise<ExecutiveMetricsDto> {
    const r = resolveScope(ctx, q.scope);
    const asOf = asOfOf(q.asOf);
    const m = await this.db.transaction(r.tx, (tx) => store.executiveMetrics(tx, r.orgId, asOf));
    return { scope: r.scope, asOf: asOf.toISOString(), ...m };
  }

  async trend(ctx: CallContext, q: TrendQueryType): Promise<TrendDto> {
    const r = resolveScope(ctx, q.scope);
    const asOf = asOfOf(q.asOf);
    const days = q.days ?? 30;
    const { rows, timezone } = await this.db.transaction(r.tx, async (tx) => ({
      rows: await store.executiveTrend(tx, r.orgId, q.metric, days, asOf),
      timezone: r.orgId ? (await this.tenancy.organizations.bookSettings(tx)).timezone : 'UTC',
    }));
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
      metric: q.metric,
      scope: r.scope,
      asOf: asOf.toISOString(),
      timezone,
      from: points[0]?.date ?? '',
      to: points[points.length - 1]?.date ?? '',
      unit: MONEY_TREND_METRICS.includes(q.metric)
        ? 'minor'
        : q.metric === 'satisfaction'
          ? 'score'
          : 'count',
      series,
    };
  }
}
