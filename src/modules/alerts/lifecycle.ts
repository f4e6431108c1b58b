// The writes of an alert's lifecycle, shared by the evaluator (system actor) and the API (a
// member): the status change, its history row, the audit event and the domain event in one
// transaction, so a transition and its notification exist exactly together.
import { newId } from '../../platform/db/ids.ts';
import type { Sql } from '../../platform/db/transaction.ts';
import type { EventInput } from '../../platform/events/catalogue.ts';
import type { RequestMeta } from '../../platform/http/request-context.ts';
import type { AuditActor, AuditService } from '../audit/service.ts';
import type { AlertStatus } from './evaluate.ts';
import { scopeName } from './scope.ts';
import * as store from './store.ts';

type AlertEventType = 'alert.fired' | 'alert.acknowledged' | 'alert.resolved';

/** What notifications and other consumers need without reading the alert again. */
export function alertEvent(
  type: AlertEventType,
  a: store.AlertRow,
  rule: Pick<store.RuleRow, 'id' | 'name' | 'channels' | 'recipients' | 'silenced_until'>,
  now: Date,
  extra: { actorId?: string | null; comment?: string | null } = {},
): EventInput {
  const payload = {
    id: a.id,
    ruleId: rule.id,
    ruleName: rule.name,
    scope: scopeName(a.org_id),
    status: a.status,
    severity: a.severity,
    type: a.type,
    title: a.title,
    value: a.value,
    startedAt: a.started_at.toISOString(),
    firedAt: a.fired_at?.toISOString() ?? null,
    resolvedAt: a.resolved_at?.toISOString() ?? null,
    resolution: a.resolution,
    comment: extra.comment ?? null,
    // Silenced rules' alerts still open and close; nobody is notified of them.
    notify: !(rule.silenced_until && rule.silenced_until.getTime() > now.getTime()),
    channels: [...rule.channels],
    recipients: rule.recipients as unknown as Record<string, unknown>[],
  };
  return { type, payload } as EventInput;
}

const AUDIT_OF = {
  firing: 'alert.fire',
  acknowledged: 'alert.acknowledge',
  resolved: 'alert.resolve',
  pending: 'alert.open',
} as const;

export async function recordTransition(
  tx: Sql,
  audit: AuditService,
  t: {
    orgId: string;
    alert: store.AlertRow;
    rule: Pick<store.RuleRow, 'id' | 'name' | 'channels' | 'recipients' | 'silenced_until'>;
    from: AlertStatus | null;
    actor: AuditActor;
    meta?: RequestMeta | null;
    comment?: string | null;
    now: Date;
    /** Emit the domain event (not for a pending alert that opens or clears: nobody hears of it). */
    event: AlertEventType | null;
    /** Write the audit event (default true; not for a pending alert that opens: it may never fire). */
    audit?: boolean;
  },
): Promise<void> {
  const a = t.alert;
  await store.insertTransitions(tx, t.orgId, [
    {
      alertId: a.id,
      id: newId(),
      from: t.from,
      to: a.status,
      at: t.now,
      actorId: t.actor.type === 'system' ? null : t.actor.id,
      value: a.value,
      comment: t.comment ?? null,
    },
  ]);
  if (t.audit === false) return;
  await audit.record(tx, {
    orgId: t.orgId,
    actor: t.actor,
    action: AUDIT_OF[a.status],
    resourceType: 'alert',
    resourceId: a.id,
    changes: { status: { before: t.from, after: a.status } },
    metadata: { ruleId: t.rule.id, value: a.value, ...(t.comment ? { comment: t.comment } : {}) },
    meta: t.meta ?? null,
    ...(t.event ? { events: [alertEvent(t.event, a, t.rule, t.now, { comment: t.comment ?? null })] } : {}),
  });
}
