// What `GET /api/v1/system/health` answers (docs/health.md). A super admin sees every check with
// its detail, every organization's channels included, read in the platform context. Anyone else
// with system:health sees the platform checks' status, latency and uptime (not their detail: the
// installation's internals), read in the platform context and filtered to the platform's rows,
// and their own organization's channel checks, read in its tenant context.
import { PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { AppError, fieldError } from '../../platform/errors.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import type { Msg } from '../../platform/i18n/message.ts';
import type { HealthCheckDto, HealthQuery, HealthReportDto, HealthResultDto } from './health-schemas.ts';
import { failingChecks, healthScore, overallStatus } from './health-score.ts';
import * as store from './health-store.ts';
import { SYSTEM } from './messages.ts';

export interface HealthServiceDeps {
  db: Db;
  everySeconds: number;
  clock?: () => Date;
}

const percent = (up: number, all: number): number | null =>
  all === 0 ? null : Math.round((10_000 * up) / all) / 100;

interface Part {
  /** How this part is read: its transaction scope and the organizations' rows it takes. */
  scope: { orgId: string; userId: string };
  orgIds: string[] | null;
  withDetail: boolean;
}

/** A query parameter the schema cannot judge (a range, a check that exists), refused naming it. */
function badQuery(field: string, rule: string, msg: Msg): AppError {
  return new AppError('validation-failed', msg, { errors: [fieldError(field, rule, msg, 'query')] });
}

export class HealthService {
  private readonly d: HealthServiceDeps;
  private readonly clock: () => Date;

  constructor(deps: HealthServiceDeps) {
    this.d = deps;
    this.clock = deps.clock ?? (() => new Date());
  }

  get intervalSeconds(): number {
    return this.d.everySeconds;
  }

  private parts(ctx: CallContext): Part[] {
    const userId = ctx.principal.userId;
    if (ctx.principal.isSuperAdmin)
      return [{ scope: { orgId: PLATFORM_ORG_ID, userId }, orgIds: null, withDetail: true }];
    const own = tenantScope(ctx);
    return [
      { scope: { orgId: PLATFORM_ORG_ID, userId }, orgIds: [PLATFORM_ORG_ID], withDetail: false },
      { scope: own, orgIds: [own.orgId], withDetail: true },
    ];
  }

  private async readPart(
    tx: Sql,
    part: Part,
    now: Date,
    history: { key: string | null; from: Date | null; to: Date | null; limit: number },
  ): Promise<{ checks: HealthCheckDto[]; history: HealthResultDto[] }> {
    const rows = await store.checksOf(tx, part.orgIds);
    const uptime = new Map(
      (await store.uptimeOf(tx, part.orgIds, now)).map((u) => [`${u.org_id}/${u.check_key}`, u]),
    );
    const staleMs = 3 * this.d.everySeconds * 1000;
    const orgOf = (id: string) => (id === PLATFORM_ORG_ID ? null : id);
    const checks = rows.map((r): HealthCheckDto => {
      const u = uptime.get(`${r.org_id}/${r.check_key}`);
      return {
        key: r.check_key,
        kind: r.kind,
        name: r.name,
        orgId: orgOf(r.org_id),
        status: r.status,
        latencyMs: r.latency_ms,
        detail: part.withDetail ? r.detail : null,
        checkedAt: r.checked_at.toISOString(),
        lastChangeAt: r.status_since.toISOString(),
        stale: now.getTime() - r.checked_at.getTime() >= staleMs,
        uptime: {
          last24h: u ? percent(u.up_24h, u.all_24h) : null,
          last7d: u ? percent(u.up_7d, u.all_7d) : null,
          last30d: u ? percent(u.up_30d, u.all_30d) : null,
        },
      };
    });
    const results = await store.historyOf(tx, { orgIds: part.orgIds, ...history });
    return {
      checks,
      history: results.map((r) => ({
        key: r.check_key,
        orgId: orgOf(r.org_id),
        status: r.status,
        latencyMs: r.latency_ms,
        detail: part.withDetail ? r.detail : null,
        checkedAt: r.checked_at.toISOString(),
      })),
    };
  }

  async report(ctx: CallContext, q: HealthQuery): Promise<HealthReportDto> {
    const from = q.from ? new Date(q.from) : null;
    const to = q.to ? new Date(q.to) : null;
    if (from && to && from.getTime() >= to.getTime())
      throw badQuery('to', 'range', SYSTEM.healthRangeOrder());
    const limit = q.limit ?? 50;
    const key = q.check ?? null;
    const now = this.clock();
    const checks: HealthCheckDto[] = [];
    let history: HealthResultDto[] = [];
    for (const part of this.parts(ctx)) {
      const read = await this.d.db.transaction(part.scope, (tx) =>
        this.readPart(tx, part, now, { key, from, to, limit }),
      );
      checks.push(...read.checks);
      history.push(...read.history);
    }
    if (key && history.length === 0 && !checks.some((c) => c.key === key))
      throw badQuery('check', 'exists', SYSTEM.unknownHealthCheck({ check: key }));
    history = history.sort((a, b) => b.checkedAt.localeCompare(a.checkedAt)).slice(0, limit);
    const latest = checks.reduce<string | null>(
      (m, c) => (m === null || c.checkedAt > m ? c.checkedAt : m),
      null,
    );
    return {
      status: overallStatus(checks),
      score: healthScore(checks),
      failingChecks: failingChecks(checks),
      intervalSeconds: this.d.everySeconds,
      checkedAt: latest,
      checks,
      history,
    };
  }
}
