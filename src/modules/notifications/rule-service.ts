// Notification rules: per organization, which events notify whom on which channels. Every
// organization starts with the built-in rules (installed on first sight, so a new organization
// lists them); those can be tuned or disabled but not deleted, since an upgrade would install a
// deleted one again. Recipients naming a role, a department or members are checked against the
// organization when saved, so a rule never silently notifies nobody because of a typo.
import { newId } from '../../platform/db/ids.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { AppError, type FieldError, fieldError, notFound } from '../../platform/errors.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { type AuditService, diff } from '../audit/service.ts';
import { existingGroups, membersByIds } from './audience.ts';
import type { DeliveryChannel, Priority } from './channels/provider.ts';
import { ensureBuiltinRules } from './event-notifier.ts';
import { NOTIFICATIONS } from './messages.ts';
import type { NotificationRuleDto } from './rule-schemas.ts';
import * as store from './store.ts';

export interface RuleBody {
  name: string;
  eventType: string;
  recipients: store.RecipientSpec[];
  channels: DeliveryChannel[];
  priority?: Priority;
  notifyActor?: boolean;
  enabled?: boolean;
}

const RULE_FIELDS = [
  'name',
  'eventType',
  'recipients',
  'channels',
  'priority',
  'notifyActor',
  'enabled',
] as const;

export function ruleDto(r: store.RuleRow): NotificationRuleDto {
  return {
    id: r.id,
    name: r.name,
    eventType: r.event_type,
    // Stored only from validated bodies and the built-ins.
    recipients: r.recipients as NotificationRuleDto['recipients'],
    channels: r.channels,
    priority: r.priority,
    notifyActor: r.notify_actor,
    enabled: r.enabled,
    builtinKey: r.builtin_key,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    version: r.version,
  };
}

/**
 * Field errors for recipients naming a role, department or member the organization lacks (read
 * in the tenant transaction: row-level security hides other organizations' rows).
 */
async function recipientErrors(sql: Sql, recipients: readonly store.RecipientSpec[]): Promise<FieldError[]> {
  const roleIds = recipients.flatMap((r) => (r.kind === 'role' ? [r.roleId] : []));
  const departmentIds = recipients.flatMap((r) => (r.kind === 'department' ? [r.departmentId] : []));
  const userIds = recipients.flatMap((r) => (r.kind === 'users' ? r.userIds : []));
  const groups = await existingGroups(sql, { roleIds, departmentIds });
  const members = await membersByIds(sql, userIds);
  const knownMembers = new Set(members.map((m) => m.userId));
  return recipients.flatMap((r, i): FieldError[] => {
    if (r.kind === 'role' && !groups.roleIds.has(r.roleId))
      return [fieldError(`recipients.${i}.roleId`, 'exists', NOTIFICATIONS.unknownRole({ id: r.roleId }))];
    if (r.kind === 'department' && !groups.departmentIds.has(r.departmentId))
      return [
        fieldError(
          `recipients.${i}.departmentId`,
          'exists',
          NOTIFICATIONS.unknownDepartment({ id: r.departmentId }),
        ),
      ];
    if (r.kind === 'users')
      return r.userIds.flatMap((id, j) =>
        knownMembers.has(id)
          ? []
          : [fieldError(`recipients.${i}.userIds.${j}`, 'member', NOTIFICATIONS.notAMember({ id }))],
      );
    return [];
  });
}

async function checkRecipients(sql: Sql, recipients: readonly store.RecipientSpec[]): Promise<void> {
  const errors = await recipientErrors(sql, recipients);
  if (errors.length > 0)
    throw new AppError('validation-failed', errors[0]!.msg ?? errors[0]!.message, { errors });
}

export class RuleService {
  private readonly db: Db;
  private readonly audit: AuditService;

  constructor(deps: { db: Db; audit: AuditService }) {
    this.db = deps.db;
    this.audit = deps.audit;
  }

  /** Every rule of the organization (the built-ins installed first, so a new one sees them). */
  async list(ctx: CallContext): Promise<{ items: NotificationRuleDto[] }> {
    const s = tenantScope(ctx);
    const rows = await this.db.transaction(s, async (tx) => {
      await ensureBuiltinRules(tx, s.orgId);
      return store.listRules(tx);
    });
    return { items: rows.map(ruleDto) };
  }

  async get(ctx: CallContext, id: string): Promise<NotificationRuleDto> {
    const row = await this.db.transaction(tenantScope(ctx), (tx) => store.getRule(tx, id));
    if (!row) throw notFound('notificationRule');
    return ruleDto(row);
  }

  async create(ctx: CallContext, body: RuleBody): Promise<NotificationRuleDto> {
    return this.audit.change(ctx, async (tx, record, scope) => {
      await checkRecipients(tx, body.recipients);
      const row = (await store.insertRule(tx, {
        orgId: scope.orgId,
        id: newId(),
        builtinKey: null,
        name: body.name,
        eventType: body.eventType,
        recipients: body.recipients,
        channels: body.channels,
        priority: body.priority ?? 'normal',
        notifyActor: body.notifyActor ?? false,
        enabled: body.enabled ?? true,
      }))!;
      const dto = ruleDto(row);
      await record({
        action: 'notification_rule.create',
        resourceType: 'notification_rule',
        resourceId: row.id,
        changes: diff(null, dto, RULE_FIELDS),
      });
      return dto;
    });
  }

  async update(
    ctx: CallContext,
    id: string,
    body: Partial<RuleBody>,
    expectedVersion?: number,
  ): Promise<NotificationRuleDto> {
    return this.audit.change(ctx, async (tx, record) => {
      const before = await store.getRule(tx, id, true);
      if (!before) throw notFound('notificationRule');
      assertVersion(before.version, expectedVersion, 'notificationRule');
      if (body.recipients) await checkRecipients(tx, body.recipients);
      const after = await store.updateRule(tx, id, {
        name: body.name ?? before.name,
        eventType: body.eventType ?? before.event_type,
        recipients: body.recipients ?? before.recipients,
        channels: body.channels ?? before.channels,
        priority: body.priority ?? before.priority,
        notifyActor: body.notifyActor ?? before.notify_actor,
        enabled: body.enabled ?? before.enabled,
      });
      const dto = ruleDto(after);
      await record({
        action: 'notification_rule.update',
        resourceType: 'notification_rule',
        resourceId: id,
        changes: diff(ruleDto(before), dto, RULE_FIELDS),
      });
      return dto;
    });
  }

  /** Deletes one of the organization's own rules; a built-in one is refused (disable it instead). */
  async delete(ctx: CallContext, id: string): Promise<void> {
    await this.audit.change(ctx, async (tx, record) => {
      const before = await store.getRule(tx, id, true);
      if (!before) throw notFound('notificationRule');
      if (before.builtin_key !== null)
        throw new AppError('conflict', NOTIFICATIONS.builtinRuleNotDeletable());
      await store.deleteRule(tx, id);
      await record({
        action: 'notification_rule.delete',
        resourceType: 'notification_rule',
        resourceId: id,
        changes: diff(ruleDto(before), null, RULE_FIELDS),
      });
    });
  }
}
