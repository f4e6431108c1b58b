// Alerts as members see and handle them: the list (filters, paging), one alert with its history,
// acknowledge (who, when, comment), resolve by hand, silence its rule until a time, and the
// executive summary (active first, most severe first).
import { newId } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { AppError, invalidField, notFound } from '../../platform/errors.ts';
import { decodeCursor, isIdCursor, type PageOf, toPage } from '../../platform/http/pagination.ts';
import type { CallContext } from '../../platform/http/request-context.ts';
import { type AuditService, actorOf } from '../audit/service.ts';
import type { AlertStatus } from './evaluate.ts';
import { recordTransition } from './lifecycle.ts';
import { ALERTS } from './messages.ts';
import type { AlertDto, AlertListQueryType, AlertWithHistoryDto } from './schemas.ts';
import { alertScope, scopeName } from './scope.ts';
import * as store from './store.ts';

type Scope = 'organization' | 'platform' | undefined;

const MAX_SILENCE_MS = 30 * 24 * 3600_000;

export function alertDto(a: store.AlertRow): AlertDto {
  return {
    id: a.id,
    scope: scopeName(a.org_id),
    ruleId: a.rule_id,
    ruleName: a.rule_name ?? '',
    status: a.status,
    severity: a.severity,
    type: a.type,
    title: a.title,
    value: a.value,
    details: a.details,
    startedAt: a.started_at.toISOString(),
    firedAt: a.fired_at?.toISOString() ?? null,
    acknowledgedAt: a.acknowledged_at?.toISOString() ?? null,
    acknowledgedBy: a.acknowledged_by,
    ackComment: a.ack_comment,
    resolvedAt: a.resolved_at?.toISOString() ?? null,
    resolvedBy: a.resolved_by,
    resolution: a.resolution,
    silencedUntil: a.silenced_until?.toISOString() ?? null,
    createdAt: a.created_at.toISOString(),
    updatedAt: a.updated_at.toISOString(),
    version: a.version,
  };
}

export class AlertService {
  private readonly d: { db: Db; audit: AuditService; clock: () => Date };
  constructor(d: { db: Db; audit: AuditService; clock: () => Date }) {
    this.d = d;
  }

  async list(ctx: CallContext, q: AlertListQueryType): Promise<PageOf<AlertDto>> {
    const s = alertScope(ctx, q.scope);
    const limit = q.limit ?? 50;
    const cursor = decodeCursor(q.cursor, isIdCursor);
    const rows = await this.d.db.transaction(s, (tx) =>
      store.listAlerts(tx, {
        status: q.status,
        severity: q.severity,
        ruleId: q.ruleId,
        beforeId: cursor?.id,
        limit,
      }),
    );
    return toPage(rows, limit, alertDto, (r) => ({ id: r.id }));
  }

  async get(ctx: CallContext, id: string, scope: Scope): Promise<AlertWithHistoryDto> {
    const s = alertScope(ctx, scope);
    return this.d.db.transaction(s, async (tx) => {
      const a = await store.getAlert(tx, id);
      if (!a) throw notFound('alert');
      const history = await store.transitionsOf(tx, id);
      return {
        ...alertDto(a),
        history: history.map((h) => ({
          from: h.from_status,
          to: h.to_status as AlertWithHistoryDto['history'][number]['to'],
          at: h.at.toISOString(),
          actorId: h.actor_id,
          actorName: h.actor_name,
          value: h.value,
          comment: h.comment,
        })),
      };
    });
  }

  /** pending/firing → acknowledged; a resolved alert cannot be (409 invalid-transition). */
  acknowledge(ctx: CallContext, body: { alertId: string; comment?: string; scope?: Scope }) {
    return this.move(
      ctx,
      body.alertId,
      body.scope,
      ['pending', 'firing'],
      'acknowledged',
      body.comment ?? null,
    );
  }

  /** Resolved by hand: open → resolved (the rule's cooldown starts as if it cleared). */
  resolve(ctx: CallContext, id: string, body: { comment?: string; scope?: Scope }) {
    return this.move(
      ctx,
      id,
      body.scope,
      ['pending', 'firing', 'acknowledged'],
      'resolved',
      body.comment ?? null,
    );
  }

  private async move(
    ctx: CallContext,
    id: string,
    scope: Scope,
    from: AlertStatus[],
    to: AlertStatus,
    comment: string | null,
  ): Promise<AlertWithHistoryDto> {
    const s = alertScope(ctx, scope);
    const now = this.d.clock();
    await this.d.db.transaction(s, async (tx) => {
      const before = await store.getAlert(tx, id, true);
      if (!before) throw notFound('alert');
      if (!from.includes(before.status)) {
        const allowedMoves =
          before.status === 'resolved'
            ? []
            : before.status === 'acknowledged'
              ? ['resolved']
              : ['acknowledged', 'resolved'];
        throw new AppError(
          'invalid-transition',
          before.status === 'resolved' ? ALERTS.alertResolved() : ALERTS.alertAcknowledged(),
          { extra: { alertStatus: before.status, allowedMoves } },
        );
      }
      const rule = (await store.getRule(tx, before.rule_id))!;
      const after = (await store.moveAlert(tx, id, from, to, {
        at: now,
        actorId: s.userId,
        comment,
        ...(to === 'resolved' ? { resolution: 'manual' as const } : {}),
      }))!;
      if (to === 'resolved' && after.fired_at)
        await store.setCooldown(tx, rule.id, new Date(now.getTime() + rule.cooldown_minutes * 60_000));
      await recordTransition(tx, this.d.audit, {
        orgId: s.orgId,
        alert: after,
        rule,
        from: before.status,
        actor: actorOf(ctx),
        meta: ctx.meta,
        comment,
        now,
        // A pending alert resolved by hand was never announced: nothing to say of it.
        event: to === 'acknowledged' ? 'alert.acknowledged' : after.fired_at ? 'alert.resolved' : null,
      });
    });
    return this.get(ctx, id, scope);
  }

  /** Mutes the alert's rule until `until`: its alerts open and close, nobody is notified. */
  async silence(
    ctx: CallContext,
    id: string,
    body: { until: string; comment?: string; scope?: Scope },
  ): Promise<AlertWithHistoryDto> {
    const s = alertScope(ctx, body.scope);
    const now = this.d.clock();
    const until = new Date(body.until);
    if (until.getTime() <= now.getTime()) throw invalidField('until', 'future', ALERTS.silenceInPast());
    if (until.getTime() - now.getTime() > MAX_SILENCE_MS)
      throw invalidField('until', 'maximum', ALERTS.silenceTooLong());
    await this.d.db.transaction(s, async (tx) => {
      const a = await store.getAlert(tx, id, true);
      if (!a) throw notFound('alert');
      await store.setRuleSilence(tx, a.rule_id, until);
      await store.insertTransitions(tx, s.orgId, [
        {
          alertId: id,
          id: newId(),
          from: a.status,
          to: 'silenced',
          at: now,
          actorId: s.userId,
          value: null,
          comment: body.comment ?? `until ${until.toISOString()}`,
        },
      ]);
      await this.d.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'alert.silence',
        resourceType: 'alert',
        resourceId: id,
        metadata: { ruleId: a.rule_id, until: until.toISOString(), comment: body.comment ?? null },
        meta: ctx.meta,
      });
    });
    return this.get(ctx, id, body.scope);
  }

  async executive(ctx: CallContext, q: { limit?: number; scope?: Scope }) {
    const s = alertScope(ctx, q.scope);
    const { rows, counts } = await this.d.db.transaction(s, (tx) => store.executiveAlerts(tx, q.limit ?? 10));
    const active = Object.values(counts).reduce((a, b) => a + b, 0);
    return { active, activeCritical: counts.critical ?? 0, bySeverity: counts, items: rows.map(alertDto) };
  }
}
