// Who an event concerns and what templates may say about it. This is the one place the
// notifications module reads other modules' tables (read only, in the event's tenant transaction,
// so row-level security still scopes every row to the organization): the task's assignee and
// watchers, the project's owner, members by role, department or permission, client contacts with
// their messaging consent, and the names and titles templates show. Reading them here, in one
// statement per question, keeps the event handler to a few round trips whatever the audience.
import type { Sql } from '../../platform/db/transaction.ts';
import type { DomainEvent } from '../../platform/events/catalogue.ts';
import { builtinRolesHolding } from '../access/service.ts';
import type { RecipientSpec } from './store.ts';

/** A member who may receive a notification. */
export interface MemberRecipient {
  kind: 'user';
  userId: string;
  name: string;
  email: string;
  /** The user's language, or null (the organization's). */
  locale: string | null;
}

/** A client contact (e-mail, SMS, WhatsApp), only with messaging consent. */
export interface ContactRecipient {
  kind: 'contact';
  contactId: string;
  name: string;
  email: string | null;
  phone: string | null;
  consent: boolean;
}

export type Recipient = MemberRecipient | ContactRecipient;

/** What an event is about, loaded once per event for rules and templates. */
export interface EventContext {
  /** The summary templates read as `resource.*`. */
  resource: Record<string, unknown>;
  /** The web app's path to the resource (templates get `link` = PUBLIC_URL + this). */
  path: string | null;
  taskId: string | null;
  projectId: string | null;
  clientId: string | null;
  /** The user the event is about (member, role and security events). */
  subjectUserId: string | null;
  actorName: string | null;
}

export interface OrgProfile {
  name: string;
  locale: string;
  timezone: string;
}

export async function orgProfile(sql: Sql): Promise<OrgProfile> {
  const { rows } = await sql.query<OrgProfile>({
    name: 'bul-notify-org-profile',
    text: 'SELECT name, locale, timezone FROM organizations WHERE id = bul_current_org()',
    values: [],
  });
  return rows[0] ?? { name: '', locale: 'en', timezone: 'UTC' };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Loads what the event is about (one query for the resource, one for the actor's name). */
export async function eventContext(sql: Sql, event: Pick<DomainEvent, 'type' | 'payload' | 'actor'>) {
  const [subject] = event.type.split('.', 1) as [string];
  const p = event.payload;
  const ctx: EventContext = {
    resource: { id: p.id ?? null },
    path: null,
    taskId: null,
    projectId: str(p.projectId),
    clientId: str(p.clientId),
    subjectUserId: null,
    actorName: null,
  };
  const taskId = subject === 'task' ? str(p.id) : subject === 'comment' ? str(p.taskId) : null;
  if (taskId) {
    const { rows } = await sql.query<{
      title: string;
      status: string;
      due_date: string | null;
      project_id: string;
      project_name: string | null;
    }>({
      name: 'bul-notify-task-context',
      text: `SELECT t.title, t.status, to_char(t.due_date, 'YYYY-MM-DD') AS due_date, t.project_id, p.name AS project_name
             FROM tasks t LEFT JOIN projects p ON p.org_id = t.org_id AND p.id = t.project_id WHERE t.id = $1`,
      values: [taskId],
    });
    const t = rows[0];
    ctx.taskId = taskId;
    if (t) {
      ctx.projectId = t.project_id;
      ctx.resource = {
        id: taskId,
        title: t.title,
        name: t.title,
        status: t.status,
        dueDate: t.due_date,
        projectName: t.project_name,
      };
      ctx.path = `/projects/${t.project_id}/tasks/${taskId}`;
    }
    if (subject === 'comment' && str(p.id)) {
      const { rows: c } = await sql.query<{ body: string }>('SELECT body FROM task_comments WHERE id = $1', [
        p.id,
      ]);
      const body = c[0]?.body ?? '';
      ctx.resource.excerpt = body.length > 200 ? `${body.slice(0, 199)}…` : body;
    }
  } else if (subject === 'project' || subject === 'milestone') {
    const projectId = subject === 'project' ? str(p.id) : str(p.projectId);
    if (projectId) {
      const { rows } = await sql.query<{ name: string; status: string }>(
        'SELECT name, status FROM projects WHERE id = $1',
        [projectId],
      );
      ctx.projectId = projectId;
      if (rows[0]) ctx.resource = { id: p.id, name: rows[0].name, status: rows[0].status };
      ctx.path = `/projects/${projectId}`;
    }
  } else if (subject === 'client' || subject === 'contract' || subject === 'invoice' || subject === 'deal') {
    const table = { client: 'clients', contract: 'contracts', invoice: 'invoices', deal: 'deals' }[subject];
    const nameColumn = { client: 'name', contract: 'name', invoice: 'number', deal: 'title' }[subject];
    if (str(p.id)) {
      const { rows } = await sql.query<{ name: string }>(
        `SELECT ${nameColumn} AS name FROM ${table} WHERE id = $1`,
        [p.id],
      );
      if (rows[0]) ctx.resource = { id: p.id, name: rows[0].name };
    }
    if (subject === 'client') ctx.clientId = str(p.id);
    ctx.path = subject === 'client' ? `/clients/${String(p.id)}` : `/business/${subject}s`;
  } else if (subject === 'member' || subject === 'role' || subject === 'security') {
    ctx.subjectUserId = str(p.id);
    if (ctx.subjectUserId) {
      const { rows } = await sql.query<{ name: string; email: string }>(
        'SELECT name, email FROM users WHERE id = $1',
        [ctx.subjectUserId],
      );
      if (rows[0]) ctx.resource = { id: ctx.subjectUserId, name: rows[0].name, email: rows[0].email };
    }
    ctx.path = subject === 'security' ? '/account/security' : '/admin/members';
  } else if (subject === 'alert') {
    ctx.resource = { id: p.id, name: p.title, title: p.title, severity: p.severity };
    ctx.path = `/alerts/${String(p.id)}`;
  } else if (subject === 'backup') {
    const backupId = str(p.backupId) ?? str(p.id);
    ctx.resource = { id: backupId, name: `${String(p.type ?? 'backup')} backup` };
    ctx.path = `/backups/runs/${String(backupId)}`;
  } else if (subject === 'webhook') {
    ctx.resource = { id: p.id, name: p.url, url: p.url };
    ctx.path = '/admin/webhooks';
  }
  if (event.actor.type === 'user' && event.actor.id) {
    const { rows } = await sql.query<{ name: string }>('SELECT name FROM users WHERE id = $1', [
      event.actor.id,
    ]);
    ctx.actorName = rows[0]?.name ?? null;
  } else if (event.actor.type === 'system') ctx.actorName = 'BUL';
  return ctx;
}

interface MemberRow {
  user_id: string;
  name: string;
  email: string;
  locale: string | null;
}

const MEMBER_COLUMNS = `m.user_id, u.name, u.email, u.locale
  FROM memberships m JOIN users u ON u.id = m.user_id
  WHERE m.status = 'active' AND u.status = 'active'`;

function toMembers(rows: MemberRow[]): MemberRecipient[] {
  return rows.map((r) => ({
    kind: 'user',
    userId: r.user_id,
    name: r.name,
    email: r.email,
    locale: r.locale,
  }));
}

/** Active members among the given users. */
export async function membersByIds(sql: Sql, userIds: readonly string[]): Promise<MemberRecipient[]> {
  if (userIds.length === 0) return [];
  const { rows } = await sql.query<MemberRow>({
    name: 'bul-notify-members-by-id',
    text: `SELECT ${MEMBER_COLUMNS} AND m.user_id = ANY($1::uuid[])`,
    values: [userIds],
  });
  return toMembers(rows);
}

export type Audience =
  | { kind: 'organization' }
  | { kind: 'role'; roleId: string }
  | { kind: 'department'; departmentId: string }
  | { kind: 'permission'; permission: string };

/** Active members of the whole organization, a role, a department (and its sub-departments) or a permission. */
export async function audienceMembers(sql: Sql, a: Audience): Promise<MemberRecipient[]> {
  const where =
    a.kind === 'organization'
      ? ''
      : a.kind === 'role'
        ? ' AND m.role_id = $1'
        : a.kind === 'department'
          ? ` AND m.department_id IN (WITH RECURSIVE d AS (SELECT id FROM departments WHERE id = $1
               UNION ALL SELECT c.id FROM departments c JOIN d ON c.parent_id = d.id) SELECT id FROM d)`
          : ` AND EXISTS (SELECT 1 FROM roles r WHERE r.id = m.role_id AND CASE WHEN r.key = ANY($3::text[])
               THEN r.key = ANY($2::text[]) ELSE $1 = ANY(r.permissions) END)`;
  const builtin = a.kind === 'permission' ? builtinRolesHolding(a.permission) : null;
  const values =
    a.kind === 'organization'
      ? []
      : builtin && a.kind === 'permission'
        ? [a.permission, builtin.holding, builtin.all]
        : [a.kind === 'role' ? a.roleId : a.kind === 'department' ? a.departmentId : a.permission];
  const { rows } = await sql.query<MemberRow>(`SELECT ${MEMBER_COLUMNS}${where} ORDER BY m.user_id`, values);
  return toMembers(rows);
}

/** Client contacts of a client (or the given contacts), with their consent. */
export async function contactsOf(
  sql: Sql,
  q: { clientId?: string | null; contactIds?: readonly string[] },
): Promise<ContactRecipient[]> {
  const { rows } = await sql.query<{
    id: string;
    name: string;
    email: string | null;
    phone: string | null;
    messaging_consent: boolean;
  }>(
    `SELECT id, name, email, phone, messaging_consent FROM client_contacts
     WHERE ($1::uuid IS NOT NULL AND client_id = $1) OR id = ANY($2::uuid[]) ORDER BY id`,
    [q.clientId ?? null, q.contactIds ?? []],
  );
  return rows.map((r) => ({
    kind: 'contact',
    contactId: r.id,
    name: r.name,
    email: r.email,
    phone: r.phone,
    consent: r.messaging_consent,
  }));
}

const NAMED_KINDS = new Set(['role', 'department', 'permission', 'users']);

/** The recipients an event names for itself (alert events), or none when it says not to notify. */
export function eventRecipients(payload: Record<string, unknown>): RecipientSpec[] {
  if (payload.notify === false || !Array.isArray(payload.recipients)) return [];
  return (payload.recipients as RecipientSpec[]).filter(
    (r) => typeof r === 'object' && r !== null && NAMED_KINDS.has(r.kind),
  );
}

/** The channels an event names for itself (alert events); null: the rule's own. */
export function eventChannels(payload: Record<string, unknown>): string[] | null {
  return Array.isArray(payload.channels)
    ? payload.channels.filter((c): c is string => typeof c === 'string')
    : null;
}

/** The recipients a rule names for an event (deduplicated; members first). */
export async function resolveRecipients(
  sql: Sql,
  specs: readonly RecipientSpec[],
  event: Pick<DomainEvent, 'payload'>,
  ctx: EventContext,
): Promise<Recipient[]> {
  const userIds = new Set<string>();
  const members: MemberRecipient[] = [];
  const contacts: ContactRecipient[] = [];
  for (const spec of specs) {
    switch (spec.kind) {
      case 'assignee': {
        const fromPayload = str(event.payload.assigneeId);
        if (fromPayload) userIds.add(fromPayload);
        else if (ctx.taskId) {
          const { rows } = await sql.query<{ a: string | null }>(
            'SELECT assignee_id AS a FROM tasks WHERE id = $1',
            [ctx.taskId],
          );
          if (rows[0]?.a) userIds.add(rows[0].a);
        }
        break;
      }
      case 'watchers':
        if (ctx.taskId) {
          const { rows } = await sql.query<{ user_id: string }>(
            'SELECT user_id FROM task_watchers WHERE task_id = $1',
            [ctx.taskId],
          );
          for (const r of rows) userIds.add(r.user_id);
        }
        break;
      case 'project_owner':
        if (ctx.projectId) {
          const { rows } = await sql.query<{ o: string | null }>(
            'SELECT owner_id AS o FROM projects WHERE id = $1',
            [ctx.projectId],
          );
          if (rows[0]?.o) userIds.add(rows[0].o);
        }
        break;
      case 'subject_user':
        if (ctx.subjectUserId) userIds.add(ctx.subjectUserId);
        break;
      case 'users':
        for (const id of spec.userIds) userIds.add(id);
        break;
      case 'role':
        members.push(...(await audienceMembers(sql, { kind: 'role', roleId: spec.roleId })));
        break;
      case 'department':
        members.push(
          ...(await audienceMembers(sql, { kind: 'department', departmentId: spec.departmentId })),
        );
        break;
      case 'permission':
        members.push(...(await audienceMembers(sql, { kind: 'permission', permission: spec.permission })));
        break;
      case 'client_contacts':
        if (ctx.clientId) contacts.push(...(await contactsOf(sql, { clientId: ctx.clientId })));
        break;
      case 'event_recipients': {
        // An alert's rule names its recipients (role, department, permission, users) in the event;
        // nobody while the rule is silenced (`notify: false`).
        const named = eventRecipients(event.payload);
        if (named.length > 0)
          for (const r of await resolveRecipients(sql, named, event, ctx))
            if (r.kind === 'user') members.push(r);
        break;
      }
    }
  }
  members.push(...(await membersByIds(sql, [...userIds])));
  const seen = new Set<string>();
  const out: Recipient[] = [];
  for (const r of [...members, ...contacts]) {
    const key = r.kind === 'user' ? `u:${r.userId}` : `c:${r.contactId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r);
  }
  return out;
}

/** Which of these roles and departments the organization has (a rule's recipients, checked when saved). */
export async function existingGroups(
  sql: Sql,
  q: { roleIds: readonly string[]; departmentIds: readonly string[] },
): Promise<{ roleIds: Set<string>; departmentIds: Set<string> }> {
  const { rows } = await sql.query<{ kind: 'role' | 'department'; id: string }>(
    `SELECT 'role' AS kind, id FROM roles WHERE id = ANY($1::uuid[])
     UNION ALL SELECT 'department', id FROM departments WHERE id = ANY($2::uuid[])`,
    [q.roleIds, q.departmentIds],
  );
  return {
    roleIds: new Set(rows.filter((r) => r.kind === 'role').map((r) => r.id)),
    departmentIds: new Set(rows.filter((r) => r.kind === 'department').map((r) => r.id)),
  };
}
