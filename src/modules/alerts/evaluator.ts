// Evaluation of every due rule of every organization and of the platform, once per tick across
// all processes (TickLoop `alerts:evaluate`, every 15 s, in worker processes). Per organization:
// one transaction reads its due rules and open alerts; the samples are read once per
// (metric, labels) over the longest window any of its due rules needs, not once per rule; the
// pure evaluator (evaluate.ts) decides each rule's state and the lifecycle step; only the rules
// whose alert changes state are written, in one more transaction with their audit and domain
// events. Organizations are evaluated a few at a time (bounded by `concurrency`).
import type pg from 'pg';
import { newId, PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { type AuditService, SYSTEM_ACTOR } from '../audit/service.ts';
import { ORG_BUILTIN_RULES, PLATFORM_BUILTIN_RULES } from './builtin-rules.ts';
import { type ConditionResult, combine, evaluate, nextStep, severityRank } from './evaluate.ts';
import { recordTransition } from './lifecycle.ts';
import type { MetricName, MonitoringService, PointsQuery } from './metrics.ts';
import { toCondition } from './rule-validation.ts';
import type { ConditionInput } from './schemas.ts';
import * as store from './store.ts';

export interface EvaluatorDeps {
  db: Db;
  pool: pg.Pool;
  audit: AuditService;
  monitoring: Pick<MonitoringService, 'pointsMany' | 'sampleIntervalSeconds'>;
  /** Organizations evaluated at the same time. */
  concurrency?: number;
}

export interface TickReport {
  orgs: number;
  rules: number;
  reads: number;
  transitions: number;
  failed: { orgId: string; error: unknown }[];
}

const seriesKey = (metric: string, labels: Record<string, string> | undefined) =>
  labels && Object.keys(labels).length > 0
    ? `${metric}|${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`
    : metric;

export class AlertEvaluator {
  private readonly d: EvaluatorDeps;
  constructor(d: EvaluatorDeps) {
    this.d = d;
  }

  /** Installs the built-in rules an organization (or the platform, the nil id) lacks. */
  async installBuiltins(orgId: string): Promise<number> {
    const rules = orgId === PLATFORM_ORG_ID ? PLATFORM_BUILTIN_RULES : ORG_BUILTIN_RULES;
    return this.d.db.transaction({ orgId, userId: null }, (tx) =>
      store.insertBuiltinRules(
        tx,
        orgId,
        rules.map((r) => ({ ...r, id: newId(), builtinKey: r.key })),
      ),
    );
  }

  /** Every organization, and the platform, gets the built-in rules it lacks (at start, then now and then). */
  async installMissing(): Promise<number> {
    const { rows } = await this.d.pool.query<{ org_id: string }>(
      'SELECT org_id FROM bul_alert_orgs_to_install($1::text[], $2::text[])',
      [ORG_BUILTIN_RULES.map((r) => r.key), PLATFORM_BUILTIN_RULES.map((r) => r.key)],
    );
    let added = 0;
    for (const r of rows) added += await this.installBuiltins(r.org_id);
    return added;
  }

  /**
   * Deletes the alerts resolved more than `days` ago, with their history, in every organization
   * and the platform (ALERT_RETENTION_DAYS; the worker's daily job). Returns how many went.
   */
  async pruneResolved(now: Date, days: number): Promise<number> {
    const before = new Date(now.getTime() - days * 86_400_000);
    // Every organization and the platform: the install door's ids, asked for a key no rule has.
    const { rows } = await this.d.pool.query<{ org_id: string }>(
      'SELECT org_id FROM bul_alert_orgs_to_install($1::text[], $1::text[])',
      [['']],
    );
    let deleted = 0;
    for (const r of rows)
      deleted += await this.d.db.transaction({ orgId: r.org_id, userId: null }, (tx) =>
        store.pruneResolved(tx, before),
      );
    return deleted;
  }

  /** Evaluates every rule due at `tick` (one tick of the loop). */
  async runTick(tick: Date): Promise<TickReport> {
    const tickSeconds = Math.floor(tick.getTime() / 1000);
    const { rows } = await this.d.pool.query<{ org_id: string }>(
      'SELECT org_id FROM bul_alert_due_orgs($1)',
      [tickSeconds],
    );
    const report: TickReport = { orgs: rows.length, rules: 0, reads: 0, transitions: 0, failed: [] };
    const queue = rows.map((r) => r.org_id);
    const workers = Array.from({ length: Math.min(this.d.concurrency ?? 4, queue.length) }, async () => {
      for (let orgId = queue.shift(); orgId !== undefined; orgId = queue.shift()) {
        try {
          const r = await this.evaluateOrg(orgId, tick);
          report.rules += r.rules;
          report.reads += r.reads;
          report.transitions += r.transitions;
        } catch (error) {
          // One organization's failure (a bad row, a lost connection) does not stop the others.
          report.failed.push({ orgId, error });
        }
      }
    });
    await Promise.all(workers);
    return report;
  }

  async evaluateOrg(
    orgId: string,
    tick: Date,
  ): Promise<{ rules: number; reads: number; transitions: number }> {
    const scope = { orgId, userId: null };
    const tickSeconds = Math.floor(tick.getTime() / 1000);
    const { rules, open } = await this.d.db.transaction(scope, async (tx) => ({
      rules: await store.dueRules(tx, tickSeconds),
      open: await store.openAlerts(tx),
    }));
    if (rules.length === 0) return { rules: 0, reads: 0, transitions: 0 };
    const step = this.d.monitoring.sampleIntervalSeconds;

    // One read per series, over the longest window that needs it.
    // `back`: the window plus one of the metric's steps (the coverage check looks at the
    // window's first step; quota.* has a step of 5 minutes).
    const series = new Map<string, { metric: string; labels?: Record<string, string>; back: number }>();
    for (const rule of rules)
      for (const c of rule.conditions) {
        const key = seriesKey(c.metric, c.labels);
        const back = c.forMinutes * 60_000 + toCondition(c, step).stepSeconds * 1000;
        const s = series.get(key);
        if (s) s.back = Math.max(s.back, back);
        else
          series.set(key, {
            metric: c.metric,
            ...(c.labels ? { labels: c.labels } : {}),
            back,
          });
      }
    const keys = [...series.keys()];
    const queries: Omit<PointsQuery, 'orgId'>[] = keys.map((k) => {
      const s = series.get(k)!;
      return {
        metric: s.metric as MetricName,
        from: new Date(tick.getTime() - s.back),
        to: tick,
        stepSeconds: step,
        ...(s.labels ? { labels: s.labels } : {}),
      };
    });
    // One read per label set for the whole organization (MonitoringService.pointsMany).
    const results = await this.d.monitoring.pointsMany(orgId === PLATFORM_ORG_ID ? null : orgId, queries);
    const pointsOf = new Map(keys.map((k, i) => [k, results[i]!]));

    const openByRule = new Map(open.map((a) => [a.rule_id, a]));
    const changes: {
      rule: store.RuleRow;
      step: ReturnType<typeof nextStep>;
      value: number | null;
      details: Record<string, unknown>;
    }[] = [];
    for (const rule of rules) {
      const condResults: ConditionResult[] = rule.conditions.map((c: ConditionInput) =>
        evaluate(pointsOf.get(seriesKey(c.metric, c.labels)) ?? [], toCondition(c, step), tick),
      );
      const result = combine(condResults, rule.match);
      const current = openByRule.get(rule.id) ?? null;
      const s = nextStep(current?.status ?? null, result.state, rule.cooldown_until, tick);
      if (s === 'none') continue;
      changes.push({
        rule,
        step: s,
        value: result.value,
        details: {
          conditions: rule.conditions.map((c, i) => ({
            metric: c.metric,
            operator: c.operator,
            threshold: c.threshold,
            forMinutes: c.forMinutes,
            state: condResults[i]!.state,
            value: condResults[i]!.value,
          })),
        },
      });
    }
    if (changes.length > 0)
      await this.d.db.transaction(scope, async (tx) => {
        for (const c of changes)
          await this.apply(tx, orgId, c.rule, openByRule.get(c.rule.id) ?? null, c, tick);
      });
    return { rules: rules.length, reads: queries.length, transitions: changes.length };
  }

  private async apply(
    tx: pg.PoolClient,
    orgId: string,
    rule: store.RuleRow,
    current: store.AlertRow | null,
    c: { step: ReturnType<typeof nextStep>; value: number | null; details: Record<string, unknown> },
    now: Date,
  ): Promise<void> {
    const base = { orgId, rule, actor: SYSTEM_ACTOR, now };
    if (c.step === 'open_pending' || c.step === 'open_firing') {
      const firing = c.step === 'open_firing';
      const id = newId();
      const inserted = await store.insertAlert(tx, {
        orgId,
        id,
        ruleId: rule.id,
        status: firing ? 'firing' : 'pending',
        severity: rule.severity,
        type: rule.type,
        title: rule.name,
        value: c.value,
        details: c.details,
        startedAt: now,
        firedAt: firing ? now : null,
        severityRank: severityRank(rule.severity),
      });
      if (!inserted) return; // another alert of the rule is open (opened by hand meanwhile)
      const alert = (await store.getAlert(tx, id))!;
      await recordTransition(tx, this.d.audit, {
        ...base,
        alert,
        from: null,
        event: firing ? 'alert.fired' : null,
        // A pending alert is audited when it fires (alert.fire, from pending), not when it opens:
        // a gauge flapping around its threshold would write two audit rows per evaluation.
        audit: firing,
      });
      return;
    }
    if (!current) return;
    if (c.step === 'clear') {
      await store.dropPendingAlert(tx, current.id);
      return;
    }
    const move =
      c.step === 'fire'
        ? { from: ['pending'] as const, to: 'firing' as const, event: 'alert.fired' as const }
        : {
            from: ['firing', 'acknowledged'] as const,
            to: 'resolved' as const,
            event: 'alert.resolved' as const,
            resolution: 'auto' as const,
          };
    const after = await store.moveAlert(tx, current.id, move.from, move.to, {
      at: now,
      value: c.value,
      details: c.details,
      ...('resolution' in move ? { resolution: move.resolution } : {}),
    });
    if (!after) return; // moved by a member meanwhile (acknowledged, resolved by hand)
    if (move.to === 'resolved' && after.fired_at)
      await store.setCooldown(tx, rule.id, new Date(now.getTime() + rule.cooldown_minutes * 60_000));
    await recordTransition(tx, this.d.audit, {
      ...base,
      alert: after,
      from: current.status,
      event: move.event,
    });
  }
}
