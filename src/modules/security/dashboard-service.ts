// The security dashboard: threats by type and severity, failed logins, lockouts and the addresses
// behind them over 24 h and 7 days, open threats, MFA coverage of the members and active sessions.
import type { Db } from '../../platform/db/transaction.ts';
import type { CallContext } from '../../platform/http/request-context.ts';
import type { ScopeQueryType, SecurityDashboardDto } from './schemas.ts';
import { SEVERITIES } from './schemas.ts';
import * as store from './store.ts';
import { securityScope } from './threat-service.ts';

const HOUR = 3_600_000;

export class DashboardService {
  private readonly db: Db;
  private readonly clock: () => Date;

  constructor(deps: { db: Db; clock?: () => Date }) {
    this.db = deps.db;
    this.clock = deps.clock ?? (() => new Date());
  }

  async dashboard(ctx: CallContext, q: ScopeQueryType): Promise<SecurityDashboardDto> {
    const scope = securityScope(ctx, q.scope);
    const now = this.clock();
    return this.db.transaction(scope, async (tx) => {
      const period = async (hours: number) => {
        const since = new Date(now.getTime() - hours * HOUR);
        // One connection: one query at a time (pg deprecates queueing several on one client).
        const counts = await store.threatCounts(tx, since);
        const failures = await store.failureCounts(tx, since);
        const ips = await store.topIps(tx, since, 10);
        const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<
          (typeof SEVERITIES)[number],
          number
        >;
        for (const c of counts) bySeverity[c.severity] += c.count;
        return {
          threats: counts.reduce((n, c) => n + c.count, 0),
          bySeverity,
          byType: counts.sort((a, b) => b.count - a.count || a.type.localeCompare(b.type)),
          ...failures,
          topIps: ips,
        };
      };
      const last24h = await period(24);
      const last7d = await period(24 * 7);
      const open = await store.openThreats(tx);
      const accounts = await store.accountStats(tx);
      return {
        scope: q.scope ?? 'organization',
        generatedAt: now.toISOString(),
        last24h,
        last7d,
        openThreats: open,
        members: accounts.members,
        membersWithMfa: accounts.withMfa,
        mfaCoveragePercent:
          accounts.members === 0 ? null : Math.round((1000 * accounts.withMfa) / accounts.members) / 10,
        activeSessions: accounts.activeSessions,
      };
    });
  }
}
