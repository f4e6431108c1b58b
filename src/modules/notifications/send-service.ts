// Notifications sent on purpose through the API: to chosen members or client contacts
// (`send`), or to the whole organization, a role or a department (`broadcast`); with one of the
// organization's templates (by event type) or a one-off message checked like a template. Both are
// audited, answer at once with a batch id to follow (GET /notifications/batches/{id}), and go
// through the same planner as the rules (preferences, consent, quiet hours, skips recorded).
// Also the delivery log: its list, one notification with its attempts, and replay of dead letters.
import { newId } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { AppError, fieldError, invalidField, notFound } from '../../platform/errors.ts';
import { decodeCursor, isIdCursor, type PageOf, toPage } from '../../platform/http/pagination.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import type { AuditService } from '../audit/service.ts';
import {
  type Audience,
  audienceMembers,
  contactsOf,
  existingGroups,
  membersByIds,
  orgProfile,
  type Recipient,
} from './audience.ts';
import type { DeliveryChannel, Priority } from './channels/provider.ts';
import { type NotificationDto, notificationDto } from './dto.ts';
import { sendableKinds, storePlanned } from './event-notifier.ts';
import { NOTIFICATIONS } from './messages.ts';
import { type PlannerDeps, planNotifications } from './planner.ts';
import * as store from './store.ts';
import type { TemplateContent, TemplateEngine, TemplateProblem } from './templates/engine.ts';
import { isTemplateEventType, NOTIFICATION_EVENTS } from './templates/variables.ts';

/** What to say: a one-off message, or the templates of an event type with variables. */
export interface SendContent {
  message?: {
    subject?: string | null;
    body: string;
    whatsappTemplate?: { name: string; language: string; parameters: string[] } | null;
  };
  template?: { eventType: string; variables?: Record<string, unknown> };
}

export interface SendBody extends SendContent {
  to: { userIds?: string[]; contactIds?: string[] };
  channels: DeliveryChannel[];
  priority?: Priority;
  data?: Record<string, unknown>;
}

export interface BroadcastBody extends SendContent {
  audience: Audience;
  channels: DeliveryChannel[];
  priority?: Priority;
  data?: Record<string, unknown>;
}

export interface SendDeps {
  db: Db;
  audit: AuditService;
  engine: TemplateEngine;
  planner: Omit<PlannerDeps, 'kinds'>;
  platformEmail: boolean;
  publicUrl: string;
  clock: () => Date;
}

/** The one-off message's event type: its built-in templates frame the text per channel. */
export const CUSTOM_MESSAGE_EVENT = 'message.custom';

export interface BatchSummary {
  batchId: string;
  /** Notifications made (one per recipient × channel), skips included. */
  total: number;
  counts: Record<string, number>;
}

export class SendService {
  private readonly d: SendDeps;

  constructor(deps: SendDeps) {
    this.d = deps;
  }

  /** The content to render, checked now (never at send time): a message, or an event's templates. */
  private content(body: SendContent): {
    eventType: string;
    content: TemplateContent | null;
    payload: Record<string, unknown>;
  } {
    if (body.message && body.template)
      throw invalidField('message', 'oneOf', NOTIFICATIONS.messageOrTemplate());
    if (body.template) {
      if (!isTemplateEventType(body.template.eventType))
        throw invalidField(
          'template.eventType',
          'eventType',
          NOTIFICATIONS.unknownEventType({
            type: body.template.eventType,
            others: { list: Object.keys(NOTIFICATION_EVENTS) },
          }),
        );
      return { eventType: body.template.eventType, content: null, payload: body.template.variables ?? {} };
    }
    if (!body.message) throw invalidField('message', 'required', NOTIFICATIONS.messageOrTemplateMissing());
    const content: TemplateContent = {
      subject: body.message.subject ?? null,
      body: body.message.body,
      whatsappTemplate: body.message.whatsappTemplate ?? null,
    };
    const problems = this.d.engine.check(content, CUSTOM_MESSAGE_EVENT);
    if (problems.length > 0)
      throw new AppError('validation-failed', NOTIFICATIONS.templateProblem(problemParams(problems[0]!)), {
        errors: problems.map((p) =>
          fieldError(`message.${p.field}`, 'template', NOTIFICATIONS.templateProblem(problemParams(p))),
        ),
      });
    return {
      eventType: CUSTOM_MESSAGE_EVENT,
      content,
      payload: { subject: content.subject, body: content.body },
    };
  }

  async send(ctx: CallContext, body: SendBody): Promise<BatchSummary & { notifications: NotificationDto[] }> {
    const c = this.content(body);
    const userIds = [...new Set(body.to.userIds ?? [])];
    const contactIds = [...new Set(body.to.contactIds ?? [])];
    if (userIds.length + contactIds.length === 0)
      throw invalidField('to', 'minItems', NOTIFICATIONS.noRecipients());
    return this.d.audit.change(ctx, async (tx, record, scope) => {
      const members = await membersByIds(tx, userIds);
      const known = new Set(members.map((m) => m.userId));
      const contacts = contactIds.length ? await contactsOf(tx, { contactIds }) : [];
      const knownContacts = new Set(contacts.map((k) => k.contactId));
      const errors = [
        ...(body.to.userIds ?? []).flatMap((id, i) =>
          known.has(id) ? [] : [fieldError(`to.userIds.${i}`, 'member', NOTIFICATIONS.notAMember({ id }))],
        ),
        ...(body.to.contactIds ?? []).flatMap((id, i) =>
          knownContacts.has(id)
            ? []
            : [fieldError(`to.contactIds.${i}`, 'exists', NOTIFICATIONS.unknownContact({ id }))],
        ),
      ];
      if (errors.length > 0)
        throw new AppError('validation-failed', errors[0]!.msg ?? errors[0]!.message, { errors });
      const batchId = newId();
      const planned = await this.plan(tx, scope.orgId, batchId, 'send', [...members, ...contacts], body, c);
      await storePlanned(tx, scope.orgId, planned, { type: 'user', id: scope.userId });
      await record({
        action: 'notification.send',
        resourceType: 'notification_batch',
        resourceId: batchId,
        metadata: {
          channels: body.channels,
          priority: body.priority ?? 'normal',
          eventType: c.eventType,
          users: userIds.length,
          contacts: contactIds.length,
          notifications: planned.length,
        },
      });
      return {
        batchId,
        total: planned.length,
        counts: countBy(planned),
        notifications: planned.map((n) => notificationDto(rowOf(scope.orgId, n))),
      };
    });
  }

  async broadcast(ctx: CallContext, body: BroadcastBody): Promise<BatchSummary> {
    const c = this.content(body);
    return this.d.audit.change(ctx, async (tx, record, scope) => {
      const a = body.audience;
      if (a.kind === 'role' || a.kind === 'department') {
        const found = await existingGroups(tx, {
          roleIds: a.kind === 'role' ? [a.roleId] : [],
          departmentIds: a.kind === 'department' ? [a.departmentId] : [],
        });
        if (a.kind === 'role' && !found.roleIds.has(a.roleId))
          throw invalidField('audience.roleId', 'exists', NOTIFICATIONS.unknownRole({ id: a.roleId }));
        if (a.kind === 'department' && !found.departmentIds.has(a.departmentId))
          throw invalidField(
            'audience.departmentId',
            'exists',
            NOTIFICATIONS.unknownDepartment({ id: a.departmentId }),
          );
      }
      const members = await audienceMembers(tx, body.audience);
      const batchId = newId();
      const planned = await this.plan(tx, scope.orgId, batchId, 'broadcast', members, body, c);
      await storePlanned(tx, scope.orgId, planned, { type: 'user', id: scope.userId });
      await record({
        action: 'notification.broadcast',
        resourceType: 'notification_batch',
        resourceId: batchId,
        metadata: {
          audience: body.audience,
          channels: body.channels,
          priority: body.priority ?? 'normal',
          eventType: c.eventType,
          recipients: members.length,
          notifications: planned.length,
        },
      });
      return { batchId, total: planned.length, counts: countBy(planned) };
    });
  }

  private async plan(
    tx: Parameters<Parameters<AuditService['change']>[1]>[0],
    orgId: string,
    batchId: string,
    source: 'send' | 'broadcast',
    recipients: Recipient[],
    body: SendBody | BroadcastBody,
    c: { eventType: string; content: TemplateContent | null; payload: Record<string, unknown> },
  ) {
    const org = await orgProfile(tx);
    const kinds = await sendableKinds(tx, this.d.platformEmail);
    const priority = body.priority ?? 'normal';
    const now = this.d.clock();
    return planNotifications(
      tx,
      {
        orgId,
        org,
        source,
        batchId,
        eventId: null,
        eventType: c.eventType,
        ruleId: null,
        priority,
        channels: [...new Set(body.channels)],
        recipients,
        keyPrefix: `b:${batchId}`,
        variables: {
          event: { id: batchId, type: c.eventType, occurredAt: now.toISOString() },
          payload: c.payload,
          resource: {},
          actor: { name: null },
          org: { name: org.name },
          link: this.d.publicUrl,
          priority,
        },
        content: c.content,
        data: { ...(body.data ?? {}), batchId },
        now,
      },
      { ...this.d.planner, kinds },
    );
  }

  async batch(ctx: CallContext, batchId: string): Promise<BatchSummary> {
    return this.d.db.transaction(tenantScope(ctx), async (tx) => {
      const counts = await store.batchCounts(tx, batchId);
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      if (total === 0) throw notFound('notificationBatch');
      return { batchId, total, counts };
    });
  }

  async list(
    ctx: CallContext,
    q: Omit<store.LogFilter, 'beforeId' | 'limit'> & { limit?: number; cursor?: string },
  ): Promise<PageOf<NotificationDto>> {
    const limit = q.limit ?? 50;
    const cursor = decodeCursor(q.cursor, isIdCursor);
    return this.d.db.transaction(tenantScope(ctx), async (tx) => {
      const rows = await store.listNotifications(tx, { ...q, beforeId: cursor?.id, limit });
      return toPage(
        rows,
        limit,
        (r) => notificationDto(r),
        (r) => ({ id: r.id }),
      );
    });
  }

  async get(ctx: CallContext, id: string): Promise<NotificationDto> {
    return this.d.db.transaction(tenantScope(ctx), async (tx) => {
      const row = await store.getNotification(tx, id);
      if (!row) throw notFound('notification');
      return notificationDto(row, await store.attemptsOf(tx, [id]));
    });
  }

  /** Sends a dead-lettered (or failed) notification again, with a new round of retries. */
  async replay(ctx: CallContext, id: string): Promise<NotificationDto> {
    return this.d.audit.change(ctx, async (tx, record) => {
      const before = await store.getNotification(tx, id, true);
      if (!before) throw notFound('notification');
      const row = await store.requeue(tx, id);
      if (!row) throw new AppError('conflict', NOTIFICATIONS.notReplayable({ status: before.status }));
      await record({
        action: 'notification.replay',
        resourceType: 'notification',
        resourceId: id,
        metadata: { channel: row.channel, previousStatus: before.status, attempts: row.attempts },
      });
      const { wakeRunnersAfterCommit } = await import('./runner.ts');
      wakeRunnersAfterCommit(tx);
      return notificationDto(row, await store.attemptsOf(tx, [id]));
    });
  }
}

export const problemParams = (p: TemplateProblem) => ({ line: p.line, column: p.column, reason: p.reason });

function countBy(list: readonly store.NewNotification[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of list) counts[n.status] = (counts[n.status] ?? 0) + 1;
  return counts;
}

/** A planned notification as the row it becomes (for the answer, before it is read back). */
function rowOf(orgId: string, n: store.NewNotification): store.NotificationRow {
  const now = new Date();
  return {
    org_id: orgId,
    id: n.id,
    idempotency_key: n.idempotencyKey,
    source: n.source,
    batch_id: n.batchId,
    event_id: n.eventId,
    event_type: n.eventType,
    rule_id: n.ruleId,
    recipient_user_id: n.recipientUserId,
    recipient_contact_id: n.recipientContactId,
    recipient_name: n.recipientName,
    address: n.address,
    channel: n.channel,
    priority: n.priority,
    priority_rank: store.PRIORITY_RANK[n.priority],
    language: n.language,
    subject: n.subject,
    body: n.body,
    html: n.html,
    whatsapp_template: n.whatsappTemplate as store.NotificationRow['whatsapp_template'],
    data: n.data,
    template_id: n.templateId,
    template_version: n.templateVersion,
    status: n.status,
    skip_reason: n.skipReason,
    attempts: 0,
    rounds: 0,
    round_start: 0,
    next_attempt_at: n.nextAttemptAt,
    held_until: n.heldUntil,
    lease_until: null,
    claim_token: null,
    channel_id: null,
    provider_message_id: null,
    last_error: null,
    last_status_code: null,
    created_at: now,
    sent_at: null,
    delivered_at: n.status === 'delivered' ? now : null,
    read_at: null,
    failed_at: null,
    updated_at: now,
  };
}
