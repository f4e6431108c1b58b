// The system, security and alert figures of the executive metrics (issue 17, A2), read from the
// services of monitoring, system (health checks), security and alerts, all at once: each read is
// its own transaction, so they run concurrently. For the global scope the security and alert
// figures are the installation's totals (every organization and the platform: row-level security
// would confine a read to one). The formulas are in schemas.ts (ExecutiveSystem,
// ExecutiveSecurity, ExecutiveAlertFigures).
import type { CallContext } from '../../platform/http/request-context.ts';
import type { AlertServices } from '../alerts/service.ts';
import type { BackupServices } from '../backups/service.ts';
import type { MetricName, MonitoringService, Point } from '../monitoring/service.ts';
import type { SecurityServices } from '../security/service.ts';
import type { HealthService } from '../system/service.ts';
import type { ExecutiveAlertFiguresDto, ExecutiveSecurityDto, ExecutiveSystemDto } from './schemas.ts';

export interface OperationsDeps {
  monitoring: MonitoringService;
  health: HealthService;
  security: SecurityServices;
  alerts: AlertServices;
  backups: Pick<BackupServices, 'executiveHealth'>;
}

export interface OperationsFigures {
  system: ExecutiveSystemDto;
  security: ExecutiveSecurityDto;
  alerts: ExecutiveAlertFiguresDto;
}

const DAY_MS = 86_400_000;
/** Sample intervals, ending with asOf's, a gauge is looked for in (as MonitoringService.latest). */
const GAUGE_INTERVALS = 5;

type SecurityFigures = Omit<ExecutiveSecurityDto, 'complianceScore'>;

const round = (v: number, decimals: number) => Math.round(v * 10 ** decimals) / 10 ** decimals;
const total = (points: readonly Point[] | undefined) => (points ?? []).reduce((n, p) => n + p.value, 0);

export class ExecutiveOperations {
  private readonly d: OperationsDeps;

  constructor(deps: OperationsDeps) {
    this.d = deps;
  }

  /** `orgId` null: the global scope (the caller is a super admin, checked before). */
  async figures(ctx: CallContext, orgId: string | null, asOf: Date): Promise<OperationsFigures> {
    const global = orgId === null;
    const [requests, gauges, health, security, alerts, backup, cacheHitRate] = await Promise.all([
      this.requests(orgId, asOf),
      global ? this.gauges(asOf) : null,
      global ? this.d.health.report(ctx, { limit: 1 }) : null,
      global ? this.securityTotals(ctx) : this.securityOfOrg(ctx),
      global ? this.alertTotals(ctx) : this.alertsOfOrg(ctx),
      global ? this.d.backups.executiveHealth() : null,
      global ? this.cacheHitRate(asOf) : null,
    ]);
    // The installation's availability: its least available platform check (channels aside).
    const platformChecks = (health?.checks ?? []).filter(
      (c) => c.orgId === null && c.kind !== 'notification_channel',
    );
    const lowest = (values: (number | null)[]) => {
      const known = values.filter((v): v is number => v !== null);
      return known.length === 0 ? null : Math.min(...known);
    };
    const gauge = (m: MetricName) => gauges?.get(m) ?? null;
    const db = gauge('db.connections');
    return {
      system: {
        healthScore: health?.score ?? null,
        uptime: {
          last24hPct: lowest(platformChecks.map((c) => c.uptime.last24h)),
          last30dPct: lowest(platformChecks.map((c) => c.uptime.last30d)),
        },
        ...requests,
        cpuPercent: gauge('system.cpu.percent'),
        memoryPercent: gauge('system.memory.percent'),
        dbConnections: db === null ? null : Math.round(db),
        cacheHitRatePct: cacheHitRate,
        backupHealth: backup,
      },
      security: { ...security, complianceScore: null },
      alerts,
    };
  }

  /** The organization's security dashboard figures (its own rows only). */
  private async securityOfOrg(ctx: CallContext): Promise<SecurityFigures> {
    const d = await this.d.security.dashboard.dashboard(ctx, { scope: 'organization' });
    return {
      failedLogins24h: d.last24h.failedLogins,
      lockouts24h: d.last24h.lockouts,
      incidents24h: d.last24h.threats,
      incidents24hBySeverity: d.last24h.bySeverity,
      openThreats: d.openThreats,
      mfaCoveragePct: d.mfaCoveragePercent,
    };
  }

  /** Every organization's and the platform's, counted together (the 24 hours before now). */
  private async securityTotals(ctx: CallContext): Promise<SecurityFigures> {
    const t = await this.d.security.totals(ctx, new Date(Date.now() - DAY_MS));
    return {
      failedLogins24h: t.failedLogins,
      lockouts24h: t.lockouts,
      incidents24h: t.threats,
      incidents24hBySeverity: t.bySeverity,
      openThreats: t.openThreats,
      mfaCoveragePct: t.mfaCoveragePercent,
    };
  }

  /** The organization's active alerts (firing or acknowledged). */
  private async alertsOfOrg(ctx: CallContext): Promise<ExecutiveAlertFiguresDto> {
    const a = await this.d.alerts.alerts.executive(ctx, { limit: 1 });
    return {
      active: a.active,
      activeCritical: a.activeCritical,
      bySeverity: {
        info: a.bySeverity.info ?? 0,
        warning: a.bySeverity.warning ?? 0,
        error: a.bySeverity.error ?? 0,
        critical: a.bySeverity.critical ?? 0,
      },
    };
  }

  /** Every organization's and the platform's active alerts, counted together. */
  private async alertTotals(ctx: CallContext): Promise<ExecutiveAlertFiguresDto> {
    const t = await this.d.alerts.totals(ctx);
    const active = (c: { firing: number; acknowledged: number }) => c.firing + c.acknowledged;
    return {
      active: t.active,
      activeCritical: t.activeCritical,
      bySeverity: {
        info: active(t.bySeverity.info),
        warning: active(t.bySeverity.warning),
        error: active(t.bySeverity.error),
        critical: active(t.bySeverity.critical),
      },
    };
  }

  /** Requests, 5xx and response times over the 24 hours before asOf, per minute, in one read. */
  private async requests(orgId: string | null, asOf: Date) {
    const window = { from: new Date(asOf.getTime() - DAY_MS), to: asOf, stepSeconds: 60 };
    const [requests, errors, totalMs] = await this.d.monitoring.pointsMany(orgId, [
      { metric: 'http.requests', ...window },
      { metric: 'http.errors', ...window },
      { metric: 'http.response_time.total_ms', ...window },
    ]);
    const n = total(requests);
    return {
      requests: Math.round(n),
      errors: Math.round(total(errors)),
      errorRatePct: n > 0 ? round((100 * total(errors)) / n, 2) : null,
      avgResponseTimeMs: n > 0 ? round(total(totalMs) / n, 1) : null,
    };
  }

  /** The cache's hit rate over the 24 hours before asOf, every process (null: no reads). */
  private async cacheHitRate(asOf: Date): Promise<number | null> {
    const window = { from: new Date(asOf.getTime() - DAY_MS), to: asOf, stepSeconds: 3600 };
    const [reads, hits] = await this.d.monitoring.pointsMany(null, [
      { metric: 'cache.reads', ...window },
      { metric: 'cache.hits', ...window },
    ]);
    const n = total(reads);
    return n > 0 ? round((100 * total(hits)) / n, 2) : null;
  }

  /** The platform gauges' latest values at asOf (the last sample interval that has one). */
  private async gauges(asOf: Date): Promise<Map<MetricName, number>> {
    const step = this.d.monitoring.sampleIntervalSeconds;
    const to = new Date(this.d.monitoring.intervalOf(asOf).getTime() + step * 1000);
    const from = new Date(to.getTime() - GAUGE_INTERVALS * step * 1000);
    const metrics: MetricName[] = ['system.cpu.percent', 'system.memory.percent', 'db.connections'];
    const series = await this.d.monitoring.pointsMany(
      null,
      metrics.map((metric) => ({ metric, from, to, stepSeconds: step })),
    );
    const out = new Map<MetricName, number>();
    metrics.forEach((m, i) => {
      const last = series[i]?.at(-1);
      if (last) out.set(m, round(last.value, 2));
    });
    return out;
  }
}
