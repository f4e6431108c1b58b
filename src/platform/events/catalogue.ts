// The catalogue of domain events: name → payload schema and meaning, like the error catalogue
// (../errors.ts) and the permission catalogue. A service can only emit a name listed here with a
// payload of its schema (TypeScript checks it; the event tests validate every emitted payload).
// docs/events.md is generated from this file (`npm run docs`) and a test keeps it current.
// Every payload holds the resource's `id`, plus what a consumer needs without another read.
import { type Static, type TSchema, Type } from 'typebox';
import type { Permission } from '../http/permissions.ts';

const Id = Type.String({ format: 'uuid' });
const NullableId = Type.Union([Id, Type.Null()]);
const Fields = Type.Array(Type.String(), { description: 'the fields that changed' });

/**
 * `read`: the permission a member needs to receive the event over `/ws` (the permission that
 * lets them read the resource through the API). `self`: whoever the event is about (payload `id`,
 * a user) receives it too, whatever their permissions (their own security events). `personal`:
 * only the user named by payload `userId` receives it, whatever anyone's permissions (their inbox).
 */
const entry = <S extends TSchema>(
  description: string,
  payload: S,
  read: Permission,
  opts: { self?: boolean; personal?: boolean } = {},
) => ({ description, payload, read, self: opts.self ?? false, personal: opts.personal ?? false });

function crud<P extends Record<string, TSchema>>(resource: string, read: Permission, extra: P) {
  return {
    created: entry(`${resource} was created.`, Type.Object({ id: Id, ...extra }), read),
    updated: entry(`${resource} was changed.`, Type.Object({ id: Id, ...extra, fields: Fields }), read),
    deleted: entry(`${resource} was deleted.`, Type.Object({ id: Id, ...extra }), read),
  };
}

const client = crud('A client', 'clients:read', {});
const project = crud('A project', 'projects:read', {});
const task = crud('A task', 'tasks:read', { projectId: Id });
const milestone = crud('A milestone', 'projects:read', { projectId: Id });
const contract = crud('A contract', 'business:read', { clientId: Id });
const invoice = crud('An invoice', 'business:read', { clientId: Id });
const deal = crud('A deal', 'business:read', {});

/** The payload of the alert events (alerts module): the alert, its rule, and whom to notify. */
const alertPayload = Type.Object({
  id: Id,
  ruleId: Id,
  ruleName: Type.String(),
  scope: Type.Union([Type.Literal('organization'), Type.Literal('platform')]),
  status: Type.String({ description: 'pending, firing, acknowledged or resolved' }),
  severity: Type.String({ description: 'info, warning, error or critical' }),
  type: Type.String({ description: 'performance, security, system, business or compliance' }),
  title: Type.String(),
  value: Type.Union([Type.Number(), Type.Null()], { description: 'the reading that breached (or cleared)' }),
  startedAt: Type.String({ format: 'date-time' }),
  firedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  resolvedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  resolution: Type.Union([Type.String(), Type.Null()], { description: 'auto, manual or cleared' }),
  comment: Type.Union([Type.String(), Type.Null()]),
  notify: Type.Boolean({ description: 'false while the rule is silenced' }),
  channels: Type.Array(Type.String(), { description: "the rule's notification channels" }),
  recipients: Type.Array(Type.Record(Type.String(), Type.Unknown()), {
    description:
      "the rule's recipients (role, department, permission, users); empty on platform rules: super admins",
  }),
});

export const EVENT_CATALOGUE = {
  'client.created': client.created,
  'client.updated': client.updated,
  'client.deleted': client.deleted,
  'project.created': project.created,
  'project.updated': project.updated,
  'project.deleted': project.deleted,
  'project.status_changed': entry(
    'A project moved from one status to another.',
    Type.Object({ id: Id, from: Type.String(), to: Type.String() }),
    'projects:read',
  ),
  'milestone.created': milestone.created,
  'milestone.updated': milestone.updated,
  'milestone.deleted': milestone.deleted,
  'task.created': entry(
    'A task was created.',
    Type.Object({ id: Id, projectId: Id, assigneeId: NullableId, status: Type.String() }),
    'tasks:read',
  ),
  'task.updated': task.updated,
  'task.deleted': task.deleted,
  'task.status_changed': entry(
    'A task moved from one status to another.',
    Type.Object({ id: Id, projectId: Id, from: Type.String(), to: Type.String() }),
    'tasks:read',
  ),
  'task.due_soon': entry(
    "A task is due on the organization's next day (the daily scan in the organization's time zone).",
    Type.Object({ id: Id, projectId: Id, dueDate: Type.String({ format: 'date' }), assigneeId: NullableId }),
    'tasks:read',
  ),
  'task.assigned': entry(
    'A task got another assignee (null: unassigned), at creation or later.',
    Type.Object({ id: Id, projectId: Id, assigneeId: NullableId, previousAssigneeId: NullableId }),
    'tasks:read',
  ),
  'comment.added': entry(
    'A comment was added to a task.',
    Type.Object({ id: Id, taskId: Id, projectId: Id, authorId: NullableId }),
    'tasks:read',
  ),
  'contract.created': contract.created,
  'contract.updated': contract.updated,
  'contract.deleted': contract.deleted,
  'invoice.created': invoice.created,
  'invoice.updated': invoice.updated,
  'invoice.deleted': invoice.deleted,
  'deal.created': deal.created,
  'deal.updated': deal.updated,
  'deal.deleted': deal.deleted,
  'member.invited': entry(
    'Someone was invited to join the organization (`id`: the invitation).',
    Type.Object({ id: Id, email: Type.String(), roleId: Id }),
    'members:invite',
  ),
  'member.joined': entry(
    'A user joined the organization by accepting an invitation; `id`: the user.',
    Type.Object({ id: Id, roleId: Id }),
    'members:read',
  ),
  'member.removed': entry('A member was removed; `id`: the user.', Type.Object({ id: Id }), 'members:read', {
    self: true,
  }),
  'role.changed': entry(
    "A member's role changed; `id`: the user.",
    Type.Object({ id: Id, roleId: Id, previousRoleId: Id }),
    'members:read',
    { self: true },
  ),
  'security.login_failed': entry(
    'A login or MFA step of a member failed; `id`: the user.',
    Type.Object({ id: Id, reason: Type.String() }),
    'audit:read',
    { self: true },
  ),
  'security.locked_out': entry(
    "A member's login was locked after repeated failures; `id`: the user.",
    Type.Object({ id: Id, lockedForSeconds: Type.Integer({ minimum: 1 }) }),
    'audit:read',
    { self: true },
  ),
  'security.mfa_changed': entry(
    'A member turned multi-factor authentication on or off; `id`: the user.',
    Type.Object({ id: Id, enabled: Type.Boolean() }),
    'audit:read',
    { self: true },
  ),
  'webhook.endpoint_disabled': entry(
    'BUL disabled a webhook endpoint whose deliveries failed without a success for days; `id`: the endpoint.',
    Type.Object({
      id: Id,
      url: Type.String(),
      reason: Type.String({ description: '`failing`: every attempt failed for days.' }),
      failingSince: Type.String({
        format: 'date-time',
        description: 'the first failed attempt of the streak',
      }),
    }),
    'webhooks:manage',
  ),
  'notification.created': entry(
    "A notification arrived in a member's in-app inbox; only that member receives this event.",
    Type.Object({
      id: Id,
      userId: Id,
      eventType: Type.String({ description: 'the event type the notification is about' }),
      priority: Type.String(),
      subject: Type.Union([Type.String(), Type.Null()]),
    }),
    'notifications:manage',
    { personal: true },
  ),
  'security.login_succeeded': entry(
    'A member signed in to the organization (password, or password and second factor); `id`: the user.',
    Type.Object({
      id: Id,
      sessionId: Id,
      ip: Type.String(),
      userAgent: Type.Union([Type.String(), Type.Null()]),
    }),
    'security:read',
    { self: true },
  ),
  'security.new_login_location': entry(
    'A member signed in from a network (/24, /48), country or device not seen before for them (never on their first login); `id`: the user.',
    Type.Object({
      id: Id,
      ip: Type.String(),
      network: Type.String({ description: 'the IPv4 /24 or IPv6 /48 of the address' }),
      country: Type.Union([Type.String(), Type.Null()], {
        description: 'ISO 3166-1 alpha-2, when GEOIP_DB_PATH locates the address',
      }),
      device: Type.String({ description: 'browser family on OS family, e.g. "Firefox on Linux"' }),
      newOrigins: Type.Array(Type.String(), {
        description: 'what was new: `network`, `country` and/or `device`',
      }),
    }),
    'security:read',
    { self: true },
  ),
  'security.threat_detected': entry(
    'Threat detection raised a new threat (docs/security.md lists the types); `id`: the threat.',
    Type.Object({
      id: Id,
      type: Type.String(),
      severity: Type.String({ description: '`low`, `medium`, `high` or `critical`' }),
      userId: NullableId,
      ip: Type.Union([Type.String(), Type.Null()]),
      detectedAt: Type.String({ format: 'date-time' }),
    }),
    'security:read',
  ),
  'role.permissions_changed': entry(
    'A custom role gained or lost permissions; `id`: the role.',
    Type.Object({
      id: Id,
      added: Type.Array(Type.String()),
      removed: Type.Array(Type.String()),
    }),
    'roles:read',
  ),
  'alert.fired': entry(
    "An alert fired: its rule's conditions held over their window (`id`: the alert). `notify`, `channels` and `recipients` are the rule's (notifications deliver to them; false while the rule is silenced).",
    alertPayload,
    'alerts:read',
  ),
  'alert.acknowledged': entry(
    'A member acknowledged an alert (`comment`: theirs).',
    alertPayload,
    'alerts:read',
  ),
  'alert.resolved': entry(
    'An alert resolved: its condition cleared (`resolution` auto) or a member resolved it (manual).',
    alertPayload,
    'alerts:read',
  ),
  'backup.completed': entry(
    'A backup succeeded (platform event; `id`: the backup run).',
    Type.Object({
      id: Id,
      type: Type.String({ description: 'full, incremental, differential or critical' }),
      trigger: Type.String({ description: 'manual, schedule, safety or cli' }),
      durationMs: Type.Integer(),
      rows: Type.Integer(),
      storedBytes: Type.Integer(),
    }),
    'backups:manage',
  ),
  'backup.failed': entry(
    'A backup failed on its last attempt (platform event; super admins are notified). `errorCode`: the engine’s reason (wrong_key, disk_full, target_unavailable, chain_broken, ...).',
    Type.Object({
      id: Id,
      backupId: Id,
      type: Type.String(),
      errorCode: Type.String(),
      message: Type.String(),
      attempt: Type.Integer({ minimum: 1 }),
    }),
    'backups:manage',
  ),
  'backup.restored': entry(
    'A restore was applied (`id`: the restore; `organizationId` set for an organization restore, which is also emitted to that organization).',
    Type.Object({
      id: Id,
      backupId: Id,
      scope: Type.String({ description: 'all, tables or organization' }),
      organizationId: NullableId,
      safetyBackupId: NullableId,
      tables: Type.Integer({ description: 'tables that changed' }),
    }),
    'backups:restore',
  ),
  'backup.verified': entry(
    'A backup was verified (every part read and a scratch restore compared with its checksums): `ok` false names the problem.',
    Type.Object({
      id: Id,
      backupId: Id,
      ok: Type.Boolean(),
      message: Type.Union([Type.String(), Type.Null()]),
    }),
    'backups:manage',
  ),
  'data.exported': entry(
    'A member (or API key) started an export of a list (CSV, XLSX or JSON: one event per export, not per row); `id`: the export.',
    Type.Object({
      id: Id,
      resource: Type.String({
        description: 'what was exported: `clients`, `tasks`, `invoices`, `audit`, ...',
      }),
      format: Type.String({ description: '`csv`, `xlsx` or `json`' }),
      filters: Type.Record(Type.String(), Type.Unknown(), {
        description: 'the list filters applied (defaults included)',
      }),
    }),
    'audit:read',
  ),
} as const;

export type EventType = keyof typeof EVENT_CATALOGUE;
export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as EventType[];
export type EventPayload<T extends EventType> = Static<(typeof EVENT_CATALOGUE)[T]['payload']>;
export const isEventType = (value: string): value is EventType => Object.hasOwn(EVENT_CATALOGUE, value);

/** An event to emit: a catalogued name with its payload (checked against each other by TypeScript). */
export type EventInput = { [T in EventType]: { type: T; payload: EventPayload<T> } }[EventType];

/** A committed domain event, as handlers (and webhooks, realtime) see it. */
export interface DomainEvent {
  /** UUIDv7 */
  id: string;
  type: EventType;
  orgId: string;
  /** ISO 8601 */
  occurredAt: string;
  actor: { type: 'user' | 'api_key' | 'system'; id: string | null };
  payload: Record<string, unknown>;
  /** The event's place in its organization's commit order (1, 2, ...). */
  seq: number;
}
