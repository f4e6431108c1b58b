// Alert rules: create, list, change, delete (not built-ins: they are disabled instead), and the
// preview that replays a rule over the last 24 hours of samples with the live evaluator's logic.
import { newId } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { AppError, invalidField, notFound } from '../../platform/errors.ts';
import { decodeCursor, isIdCursor, type PageOf, toPage } from '../../platform/http/pagination.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import type { CallContext } from '../../platform/http/request-context.ts';
import { type AuditService, actorOf, diff } from '../audit/service.ts';
import { replay } from './evaluate.ts';
import { ALERTS } from './messages.ts';
import type { MetricName, MonitoringService } from './metrics.ts';
import { checkRule, toCondition } from './rule-validation.ts';
import type { AlertRuleDto, CreateAlertRuleInput, PreviewInput, UpdateAlertRuleInput } from './schemas.ts';
import { type AlertScope, alertScope, scopeName } from './scope.ts';
import * as store from './store.ts';

export interface RuleServiceDeps {
  db: Db;
  audit: AuditService;
  monitoring: Pick<MonitoringService, 'points' | 'sampleIntervalSeconds'>;
  clock: () => Date;
}

const DEFAULT_CHANNELS = ['in_app', 'email'];
const DEFAULT_RECIPIENTS = [{ kind: 'permission' as const, permission: 'alerts:manage' as const }];
const PREVIEW_HOURS = 24;
/** The preview replays at most once a minute (1,440 ticks a day), whatever the rule's interval. */
const PREVIEW_MIN_EVERY_SECONDS = 60;

export function ruleDto(r: store.RuleRow): AlertRuleDto {
  return {
    id: r.id,
    scope: scopeName(r.org_id),
    name: r.name,
    description: r.description,
    type: r.type,
    severity: r.severity,
    conditions: r.conditions,
    match: r.match,
    evaluateEverySeconds: r.evaluate_every_seconds,
    cooldownMinutes: r.cooldown_minutes,
    channels: r.channels,
    recipients: r.recipients,
    enabled: r.enabled,
    builtinKey: r.builtin_key,
    silencedUntil: r.silenced_until?.toISOString() ?? null,
    cooldownUntil: r.cooldown_until?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    version: r.version,
  };
}

const RULE_FIELDS = [
  'name',
  'description',
  'type',
  'severity',
  'conditions',
  'match',
  'evaluateEverySeconds',
  'cooldownMinutes',
  'channels',
  'recipients',
  'enabled',
] as const;

export class AlertRuleService {
  private readonly d: RuleServiceDeps;
  constructor(d: RuleServiceDeps) {
    this.d = d;
  }

  private check(
    r: {
      conditions?: CreateAlertRuleInput['conditions'];
      evaluateEverySeconds?: number;
      recipients?: unknown[];
    },
    s: AlertScope,
  ) {
    checkRule(r, s.platform ? 'platform' : 'organization', this.d.monitoring.sampleIntervalSeconds);
    if (s.platform && r.recipients && r.recipients.length > 0)
      throw invalidField('recipients', 'platformRecipients', ALERTS.platformRecipients());
  }

  async create(ctx: CallContext, body: CreateAlertRuleInput): Promise<AlertRuleDto> {
    const s = alertScope(ctx, body.scope);
    this.check(body, s);
    const row = await this.d.db.transaction(s, async (tx) => {
      const inserted = (await store.insertRule(tx, {
        orgId: s.orgId,
        id: newId(),
        builtinKey: null,
        createdBy: s.userId,
        name: body.name,
        description: body.description ?? '',
        type: body.type,
        severity: body.severity,
        conditions: body.conditions,
        match: body.match ?? 'all',
        evaluateEverySeconds: body.evaluateEverySeconds ?? 60,
        cooldownMinutes: body.cooldownMinutes ?? 15,
        channels: body.channels ?? DEFAULT_CHANNELS,
        recipients: body.recipients ?? (s.platform ? [] : DEFAULT_RECIPIENTS),
        enabled: body.enabled ?? true,
      }))!;
      await this.d.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'alert_rule.create',
        resourceType: 'alert_rule',
        resourceId: inserted.id,
        changes: diff(null, ruleDto(inserted), RULE_FIELDS),
        meta: ctx.meta,
      });
      return inserted;
    });
    return ruleDto(row);
  }

  async list(
    ctx: CallContext,
    q: { scope?: 'organization' | 'platform'; limit?: number; cursor?: string },
  ): Promise<PageOf<AlertRuleDto>> {
    const s = alertScope(ctx, q.scope);
    const limit = q.limit ?? 50;
    const cursor = decodeCursor(q.cursor, isIdCursor);
    const rows = await this.d.db.transaction(s, (tx) => store.listRules(tx, { afterId: cursor?.id, limit }));
    return toPage(rows, limit, ruleDto, (r) => ({ id: r.id }));
  }

  async get(ctx: CallContext, id: string, scope?: 'organization' | 'platform'): Promise<AlertRuleDto> {
    const s = alertScope(ctx, scope);
    const row = await this.d.db.transaction(s, (tx) => store.getRule(tx, id));
    if (!row) throw notFound('alertRule');
    return ruleDto(row);
  }

  async update(
    ctx: CallContext,
    id: string,
    body: UpdateAlertRuleInput,
    scope?: 'organization' | 'platform',
    expectedVersion?: number,
  ): Promise<AlertRuleDto> {
    const s = alertScope(ctx, scope);
    const row = await this.d.db.transaction(s, async (tx) => {
      const before = await store.getRule(tx, id, true);
      if (!before) throw notFound('alertRule');
      assertVersion(before.version, expectedVersion, 'alertRule');
      const next: store.RuleInput = {
        name: body.name ?? before.name,
        description: body.description ?? before.description,
        type: body.type ?? before.type,
        severity: body.severity ?? before.severity,
        conditions: body.conditions ?? before.conditions,
        match: body.match ?? before.match,
        evaluateEverySeconds: body.evaluateEverySeconds ?? before.evaluate_every_seconds,
        cooldownMinutes: body.cooldownMinutes ?? before.cooldown_minutes,
        channels: body.channels ?? before.channels,
        recipients: body.recipients ?? before.recipients,
        enabled: body.enabled ?? before.enabled,
      };
      // Built-in rules keep their metrics valid even if the catalogue lacks one yet (issue 18's
      // backup metric): only what the body changes is checked.
      this.check(
        {
          conditions: body.conditions,
          evaluateEverySeconds: body.evaluateEverySeconds,
          recipients: body.recipients,
        },
        s,
      );
      const after = await store.updateRule(tx, id, next);
      await this.d.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'alert_rule.update',
        resourceType: 'alert_rule',
        resourceId: id,
        changes: diff(ruleDto(before), ruleDto(after), RULE_FIELDS),
        meta: ctx.meta,
      });
      return after;
    });
    return ruleDto(row);
  }

  async delete(ctx: CallContext, id: string, scope?: 'organization' | 'platform'): Promise<void> {
    const s = alertScope(ctx, scope);
    await this.d.db.transaction(s, async (tx) => {
      const before = await store.getRule(tx, id, true);
      if (!before) throw notFound('alertRule');
      if (before.builtin_key) throw new AppError('conflict', ALERTS.builtinNotDeletable());
      // Its alerts and their history go with it (ON DELETE CASCADE).
      await store.deleteRule(tx, id);
      await this.d.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'alert_rule.delete',
        resourceType: 'alert_rule',
        resourceId: id,
        changes: diff(ruleDto(before), null, RULE_FIELDS),
        meta: ctx.meta,
      });
    });
  }

  /**
   * When the rule would have fired and resolved over the last 24 hours of samples, replayed at
   * max(evaluateEverySeconds, 60 s): ten conditions with windows of a day stay a few milliseconds
   * of the event loop (replay builds each series' prefix counts once).
   */
  async preview(ctx: CallContext, body: PreviewInput) {
    const s = alertScope(ctx, body.scope);
    this.check(body, s);
    const to = this.d.clock();
    const from = new Date(to.getTime() - PREVIEW_HOURS * 3600_000);
    const step = this.d.monitoring.sampleIntervalSeconds;
    const conditions = await Promise.all(
      body.conditions.map(async (c) => ({
        ...toCondition(c, step),
        points: await this.d.monitoring.points({
          orgId: s.platform ? null : s.orgId,
          metric: c.metric as MetricName,
          from: new Date(from.getTime() - c.forMinutes * 60_000 - toCondition(c, step).stepSeconds * 1000),
          to,
          stepSeconds: step,
          ...(c.labels ? { labels: c.labels } : {}),
        }),
      })),
    );
    const episodes = replay(
      conditions,
      {
        match: body.match ?? 'all',
        evaluateEverySeconds: Math.max(body.evaluateEverySeconds ?? 60, PREVIEW_MIN_EVERY_SECONDS),
        cooldownMinutes: body.cooldownMinutes ?? 15,
      },
      from,
      to,
    );
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      fired: episodes.length,
      episodes: episodes.map((e) => ({
        startedAt: e.startedAt.toISOString(),
        firedAt: e.firedAt?.toISOString() ?? null,
        resolvedAt: e.resolvedAt?.toISOString() ?? null,
        value: e.value,
      })),
    };
  }
}
