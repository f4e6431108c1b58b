// The alerts module's entry point (the only file other modules import): rules, alerts and the
// evaluator, built together. See docs/alerts.md.
import type pg from 'pg';
import type { Db } from '../../platform/db/transaction.ts';
import type { CallContext } from '../../platform/http/request-context.ts';
import type { AuditService } from '../audit/service.ts';
import { AlertService } from './alert-service.ts';
import { SEVERITIES, type Severity } from './evaluate.ts';
import { AlertEvaluator } from './evaluator.ts';
import type { MonitoringService } from './metrics.ts';
import { AlertRuleService } from './rule-service.ts';
import { alertScope } from './scope.ts';
import * as store from './store.ts';

export { type Condition, evaluate, type Point, replay } from './evaluate.ts';
export type { TickReport } from './evaluator.ts';

export interface AlertDeps {
  db: Db;
  pool: pg.Pool;
  audit: AuditService;
  monitoring: MonitoringService;
  clock?: () => Date;
  /** Organizations evaluated at once per tick. */
  concurrency?: number;
}

export class AlertServices {
  readonly rules: AlertRuleService;
  readonly alerts: AlertService;
  readonly evaluator: AlertEvaluator;

  private readonly db: Db;

  constructor(d: AlertDeps) {
    this.db = d.db;
    const clock = d.clock ?? (() => new Date());
    this.rules = new AlertRuleService({ db: d.db, audit: d.audit, monitoring: d.monitoring, clock });
    this.alerts = new AlertService({ db: d.db, audit: d.audit, clock });
    this.evaluator = new AlertEvaluator({
      db: d.db,
      pool: d.pool,
      audit: d.audit,
      monitoring: d.monitoring,
      ...(d.concurrency ? { concurrency: d.concurrency } : {}),
    });
  }

  /**
   * Alerts not resolved in every organization and the platform together, per severity and status
   * (counts only, bul_alert_totals); active: firing or acknowledged. Super admins only (403 here,
   * 42501 in the database).
   */
  async totals(ctx: CallContext) {
    const rows = await this.db.transaction(alertScope(ctx, 'platform'), (tx) => store.installationTotals(tx));
    const zero = () => ({ pending: 0, firing: 0, acknowledged: 0 });
    const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, zero()])) as Record<
      Severity,
      ReturnType<typeof zero>
    >;
    for (const r of rows) {
      const c = bySeverity[r.severity as Severity];
      if (!c) continue; // severities are checked on the rules; none other is stored
      c.pending += r.pending;
      c.firing += r.firing;
      c.acknowledged += r.acknowledged;
    }
    const active = (s: Severity) => bySeverity[s].firing + bySeverity[s].acknowledged;
    return {
      bySeverity,
      pending: SEVERITIES.reduce((n, s) => n + bySeverity[s].pending, 0),
      active: SEVERITIES.reduce((n, s) => n + active(s), 0),
      activeCritical: active('critical'),
      firingCritical: bySeverity.critical.firing,
    };
  }
}
