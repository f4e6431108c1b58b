// SQL of the notifications module's own tables (migration 0015; tenant tables, RLS). What other
// modules' tables say about an event's audience is read in audience.ts.
import type { Sql } from '../../platform/db/transaction.ts';
import type { DeliveryChannel, Priority, ProviderKind } from './channels/provider.ts';

export interface ChannelRow {
  org_id: string;
  id: string;
  kind: ProviderKind;
  name: string;
  position: number;
  config: Record<string, unknown>;
  secrets_sealed: string | null;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export interface TemplateRow {
  org_id: string;
  id: string;
  event_type: string;
  channel: DeliveryChannel;
  language: string;
  published_version: number | null;
  latest_version: number;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export interface TemplateVersionRow {
  template_id: string;
  number: number;
  subject: string | null;
  body: string;
  whatsapp_template: { name: string; language: string; parameters: string[] } | null;
  note: string;
  created_by: string | null;
  created_at: Date;
}

export type RecipientSpec =
  | {
      kind:
        | 'assignee'
        | 'watchers'
        | 'project_owner'
        | 'subject_user'
        | 'client_contacts'
        | 'event_recipients';
    }
  | { kind: 'role'; roleId: string }
  | { kind: 'department'; departmentId: string }
  | { kind: 'permission'; permission: string }
  | { kind: 'users'; userIds: string[] };

export interface RuleRow {
  org_id: string;
  id: string;
  name: string;
  event_type: string;
  recipients: RecipientSpec[];
  channels: DeliveryChannel[];
  priority: Priority;
  notify_actor: boolean;
  enabled: boolean;
  builtin_key: string | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export type NotificationStatus =
  | 'queued'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'read'
  | 'failed'
  | 'skipped'
  | 'dead';

export interface NotificationRow {
  org_id: string;
  id: string;
  idempotency_key: string;
  source: 'rule' | 'send' | 'broadcast' | 'test';
  batch_id: string | null;
  event_id: string | null;
  event_type: string;
  rule_id: string | null;
  recipient_user_id: string | null;
  recipient_contact_id: string | null;
  recipient_name: string | null;
  address: string | null;
  channel: DeliveryChannel;
  priority: Priority;
  priority_rank: number;
  language: string;
  subject: string | null;
  body: string;
  html: string | null;
  whatsapp_template: { name: string; language: string; parameters: string[] } | null;
  data: Record<string, unknown>;
  template_id: string | null;
  template_version: number | null;
  status: NotificationStatus;
  skip_reason: string | null;
  attempts: number;
  rounds: number;
  round_start: number;
  next_attempt_at: Date | null;
  held_until: Date | null;
  lease_until: Date | null;
  claim_token: string | null;
  channel_id: string | null;
  provider_message_id: string | null;
  last_error: string | null;
  last_status_code: number | null;
  created_at: Date;
  sent_at: Date | null;
  delivered_at: Date | null;
  read_at: Date | null;
  failed_at: Date | null;
  updated_at: Date;
}

export interface AttemptRow {
  notification_id: string;
  attempt: number;
  channel_id: string | null;
  provider: string;
  started_at: Date;
  latency_ms: number;
  outcome: 'sent' | 'retry' | 'provider_failed' | 'rejected';
  status_code: number | null;
  error_code: string | null;
  error: string | null;
  provider_message_id: string | null;
}

export const PRIORITY_RANK: Record<Priority, number> = { critical: 0, high: 1, normal: 2, low: 3 };

/**
 * A JSON.stringify replacer for strings going into text and jsonb: PostgreSQL refuses NUL and a
 * lone surrogate (half an emoji left by cutting a provider's answer or a comment short).
 */
export const storable = (_key: string, value: unknown): unknown =>
  typeof value === 'string' ? value.replaceAll('\u0000', '').toWellFormed() : value;

// ---- channels ------------------------------------------------------------------------------------

export async function insertChannel(
  sql: Sql,
  c: {
    orgId: string;
    id: string;
    kind: ProviderKind;
    name: string;
    position: number;
    config: Record<string, unknown>;
    secretsSealed: string | null;
    enabled: boolean;
  },
): Promise<ChannelRow> {
  const { rows } = await sql.query<ChannelRow>(
    `INSERT INTO notification_channels (org_id, id, kind, name, position, config, secrets_sealed, enabled)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [c.orgId, c.id, c.kind, c.name, c.position, JSON.stringify(c.config), c.secretsSealed, c.enabled],
  );
  return rows[0]!;
}

export async function getChannel(sql: Sql, id: string, forUpdate = false): Promise<ChannelRow | null> {
  const { rows } = await sql.query<ChannelRow>(
    `SELECT * FROM notification_channels WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function listChannels(sql: Sql): Promise<ChannelRow[]> {
  const { rows } = await sql.query<ChannelRow>(
    'SELECT * FROM notification_channels ORDER BY kind, position, id',
  );
  return rows;
}

/** The enabled providers of one channel kind, in failover order. */
export async function enabledChannelsOf(sql: Sql, kind: ProviderKind): Promise<ChannelRow[]> {
  const { rows } = await sql.query<ChannelRow>({
    name: 'bul-notify-channels-of',
    text: 'SELECT * FROM notification_channels WHERE kind = $1 AND enabled ORDER BY position',
    values: [kind],
  });
  return rows;
}

/** The kinds the organization has an enabled provider for. */
export async function configuredKinds(sql: Sql): Promise<Set<ProviderKind>> {
  const { rows } = await sql.query<{ kind: ProviderKind }>(
    'SELECT DISTINCT kind FROM notification_channels WHERE enabled',
  );
  return new Set(rows.map((r) => r.kind));
}

export async function updateChannel(
  sql: Sql,
  id: string,
  c: {
    name: string;
    position: number;
    config: Record<string, unknown>;
    secretsSealed: string | null;
    enabled: boolean;
  },
): Promise<ChannelRow> {
  const { rows } = await sql.query<ChannelRow>(
    `UPDATE notification_channels SET name = $2, position = $3, config = $4, secrets_sealed = $5,
       enabled = $6, version = version + 1 WHERE id = $1 RETURNING *`,
    [id, c.name, c.position, JSON.stringify(c.config), c.secretsSealed, c.enabled],
  );
  return rows[0]!;
}

export async function deleteChannel(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM notification_channels WHERE id = $1', [id]);
}

/** Serialises changes to the order of one kind's providers (concurrent creates and moves). */
export async function lockChannelKind(sql: Sql, kind: ProviderKind): Promise<void> {
  await sql.query(
    "SELECT pg_advisory_xact_lock(hashtextextended('notification_channels:' || bul_current_org() || ':' || $1, 0))",
    [kind],
  );
}

/** The providers of one kind in failover order (for renumbering). */
export async function channelsOfKind(sql: Sql, kind: ProviderKind): Promise<ChannelRow[]> {
  const { rows } = await sql.query<ChannelRow>(
    'SELECT * FROM notification_channels WHERE kind = $1 ORDER BY position, created_at, id FOR UPDATE',
    [kind],
  );
  return rows;
}

/** Moves one provider to another place in its kind's order (a neighbour of a moved one). */
export async function setChannelPosition(sql: Sql, id: string, position: number): Promise<void> {
  await sql.query(
    'UPDATE notification_channels SET position = $2, version = version + 1 WHERE id = $1 AND position <> $2',
    [id, position],
  );
}

/**
 * The outcome of a channel's test send (channel-service.ts), on the row it inserted as 'sending'
 * in the same transaction: never claimed by a runner, so it has no claim token to settle with.
 */
export async function settleTestSend(
  sql: Sql,
  id: string,
  s: {
    status: NotificationStatus;
    channelId: string;
    providerMessageId: string | null;
    lastError: string | null;
    lastStatusCode: number | null;
  },
): Promise<void> {
  await sql.query(
    `UPDATE notifications SET status = $2, attempts = 1, channel_id = $3, provider_message_id = $4,
       last_error = $5, last_status_code = $6, updated_at = now(),
       sent_at = CASE WHEN $2 IN ('sent', 'delivered') THEN now() END,
       delivered_at = CASE WHEN $2 = 'delivered' THEN now() END,
       failed_at = CASE WHEN $2 = 'failed' THEN now() END
     WHERE id = $1 AND source = 'test' AND status = 'sending'`,
    [id, s.status, s.channelId, s.providerMessageId, s.lastError, s.lastStatusCode],
  );
}

// ---- templates -----------------------------------------------------------------------------------

export async function findTemplate(
  sql: Sql,
  k: { eventType: string; channel: string; language: string },
  forUpdate = false,
): Promise<TemplateRow | null> {
  const { rows } = await sql.query<TemplateRow>(
    `SELECT * FROM notification_templates WHERE event_type = $1 AND channel = $2 AND language = $3${forUpdate ? ' FOR UPDATE' : ''}`,
    [k.eventType, k.channel, k.language],
  );
  return rows[0] ?? null;
}

export async function getTemplate(sql: Sql, id: string, forUpdate = false): Promise<TemplateRow | null> {
  const { rows } = await sql.query<TemplateRow>(
    `SELECT * FROM notification_templates WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function listTemplates(sql: Sql, eventType?: string): Promise<TemplateRow[]> {
  const { rows } = await sql.query<TemplateRow>(
    `SELECT * FROM notification_templates WHERE ($1::text IS NULL OR event_type = $1)
     ORDER BY event_type, channel, language`,
    [eventType ?? null],
  );
  return rows;
}

export async function insertTemplate(
  sql: Sql,
  t: { orgId: string; id: string; eventType: string; channel: string; language: string },
): Promise<TemplateRow> {
  const { rows } = await sql.query<TemplateRow>(
    `INSERT INTO notification_templates (org_id, id, event_type, channel, language)
     VALUES ($1, $2, $3, $4, $5) RETURNING *`,
    [t.orgId, t.id, t.eventType, t.channel, t.language],
  );
  return rows[0]!;
}

export async function insertTemplateVersion(
  sql: Sql,
  v: {
    orgId: string;
    templateId: string;
    number: number;
    subject: string | null;
    body: string;
    whatsappTemplate: unknown;
    note: string;
    createdBy: string | null;
  },
): Promise<TemplateVersionRow> {
  const { rows } = await sql.query<TemplateVersionRow>(
    `INSERT INTO notification_template_versions (org_id, template_id, number, subject, body, whatsapp_template, note, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [
      v.orgId,
      v.templateId,
      v.number,
      v.subject,
      v.body,
      v.whatsappTemplate === null ? null : JSON.stringify(v.whatsappTemplate),
      v.note,
      v.createdBy,
    ],
  );
  return rows[0]!;
}

export async function setTemplateVersions(
  sql: Sql,
  id: string,
  v: { latest: number; published: number | null },
): Promise<TemplateRow> {
  const { rows } = await sql.query<TemplateRow>(
    `UPDATE notification_templates SET latest_version = $2, published_version = $3, version = version + 1
     WHERE id = $1 RETURNING *`,
    [id, v.latest, v.published],
  );
  return rows[0]!;
}

export async function templateVersions(sql: Sql, templateId: string): Promise<TemplateVersionRow[]> {
  const { rows } = await sql.query<TemplateVersionRow>(
    'SELECT * FROM notification_template_versions WHERE template_id = $1 ORDER BY number DESC',
    [templateId],
  );
  return rows;
}

export async function templateVersion(
  sql: Sql,
  templateId: string,
  number: number,
): Promise<TemplateVersionRow | null> {
  const { rows } = await sql.query<TemplateVersionRow>(
    'SELECT * FROM notification_template_versions WHERE template_id = $1 AND number = $2',
    [templateId, number],
  );
  return rows[0] ?? null;
}

/** The published versions of an event's templates, for every channel and language. */
export async function publishedTemplatesOf(
  sql: Sql,
  eventType: string,
): Promise<(TemplateVersionRow & { channel: string; language: string })[]> {
  const { rows } = await sql.query<TemplateVersionRow & { channel: string; language: string }>({
    name: 'bul-notify-published-templates',
    text: `SELECT v.*, t.channel, t.language FROM notification_templates t
           JOIN notification_template_versions v ON v.org_id = t.org_id AND v.template_id = t.id AND v.number = t.published_version
           WHERE t.event_type = $1`,
    values: [eventType],
  });
  return rows;
}

// ---- rules ---------------------------------------------------------------------------------------

export async function enabledRulesFor(sql: Sql, eventType: string): Promise<RuleRow[]> {
  const { rows } = await sql.query<RuleRow>({
    name: 'bul-notify-rules-for',
    text: 'SELECT * FROM notification_rules WHERE event_type = $1 AND enabled ORDER BY id',
    values: [eventType],
  });
  return rows;
}

export async function listRules(sql: Sql): Promise<RuleRow[]> {
  const { rows } = await sql.query<RuleRow>('SELECT * FROM notification_rules ORDER BY event_type, name, id');
  return rows;
}

export async function getRule(sql: Sql, id: string, forUpdate = false): Promise<RuleRow | null> {
  const { rows } = await sql.query<RuleRow>(
    `SELECT * FROM notification_rules WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export interface RuleInput {
  name: string;
  eventType: string;
  recipients: RecipientSpec[];
  channels: string[];
  priority: Priority;
  notifyActor: boolean;
  enabled: boolean;
}

export async function insertRule(
  sql: Sql,
  r: RuleInput & { orgId: string; id: string; builtinKey: string | null },
  ifAbsent = false,
): Promise<RuleRow | null> {
  const { rows } = await sql.query<RuleRow>(
    `INSERT INTO notification_rules (org_id, id, name, event_type, recipients, channels, priority, notify_actor, enabled, builtin_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ${ifAbsent ? 'ON CONFLICT (org_id, builtin_key) DO NOTHING' : ''} RETURNING *`,
    [
      r.orgId,
      r.id,
      r.name,
      r.eventType,
      JSON.stringify(r.recipients),
      r.channels,
      r.priority,
      r.notifyActor,
      r.enabled,
      r.builtinKey,
    ],
  );
  return rows[0] ?? null;
}

export async function updateRule(sql: Sql, id: string, r: RuleInput): Promise<RuleRow> {
  const { rows } = await sql.query<RuleRow>(
    `UPDATE notification_rules SET name = $2, event_type = $3, recipients = $4, channels = $5, priority = $6,
       notify_actor = $7, enabled = $8, version = version + 1 WHERE id = $1 RETURNING *`,
    [id, r.name, r.eventType, JSON.stringify(r.recipients), r.channels, r.priority, r.notifyActor, r.enabled],
  );
  return rows[0]!;
}

export async function deleteRule(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM notification_rules WHERE id = $1', [id]);
}

// ---- preferences, settings, addresses ------------------------------------------------------------

export interface PreferenceRow {
  user_id: string;
  event_type: string;
  channel: string;
  enabled: boolean;
}

export async function preferencesOf(sql: Sql, userIds: readonly string[]): Promise<PreferenceRow[]> {
  if (userIds.length === 0) return [];
  const { rows } = await sql.query<PreferenceRow>({
    name: 'bul-notify-preferences-of',
    text: 'SELECT user_id, event_type, channel, enabled FROM notification_preferences WHERE user_id = ANY($1::uuid[])',
    values: [userIds],
  });
  return rows;
}

export async function upsertPreference(
  sql: Sql,
  p: { orgId: string; userId: string; eventType: string; channel: string; enabled: boolean },
): Promise<void> {
  await sql.query(
    `INSERT INTO notification_preferences (org_id, user_id, event_type, channel, enabled) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (org_id, user_id, event_type, channel) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = now()`,
    [p.orgId, p.userId, p.eventType, p.channel, p.enabled],
  );
}

export async function deletePreferences(sql: Sql, userId: string): Promise<void> {
  await sql.query('DELETE FROM notification_preferences WHERE user_id = $1', [userId]);
}

export interface UserSettingsRow {
  user_id: string;
  timezone: string | null;
  quiet_start: string | null;
  quiet_end: string | null;
}

export async function settingsOf(sql: Sql, userIds: readonly string[]): Promise<UserSettingsRow[]> {
  if (userIds.length === 0) return [];
  const { rows } = await sql.query<UserSettingsRow>({
    name: 'bul-notify-settings-of',
    text: 'SELECT user_id, timezone, quiet_start, quiet_end FROM notification_user_settings WHERE user_id = ANY($1::uuid[])',
    values: [userIds],
  });
  return rows;
}

export async function upsertSettings(
  sql: Sql,
  s: {
    orgId: string;
    userId: string;
    timezone: string | null;
    quietStart: string | null;
    quietEnd: string | null;
  },
): Promise<UserSettingsRow> {
  const { rows } = await sql.query<UserSettingsRow>(
    `INSERT INTO notification_user_settings (org_id, user_id, timezone, quiet_start, quiet_end) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (org_id, user_id) DO UPDATE SET timezone = EXCLUDED.timezone, quiet_start = EXCLUDED.quiet_start,
       quiet_end = EXCLUDED.quiet_end, updated_at = now()
     RETURNING user_id, timezone, quiet_start, quiet_end`,
    [s.orgId, s.userId, s.timezone, s.quietStart, s.quietEnd],
  );
  return rows[0]!;
}

export interface AddressRow {
  id: string;
  user_id: string;
  channel: 'sms' | 'whatsapp' | 'push';
  address: string;
  label: string;
  created_at: Date;
}

export async function addressesOf(sql: Sql, userIds: readonly string[]): Promise<AddressRow[]> {
  if (userIds.length === 0) return [];
  const { rows } = await sql.query<AddressRow>({
    name: 'bul-notify-addresses-of',
    text: `SELECT id, user_id, channel, address, label, created_at FROM notification_addresses
           WHERE user_id = ANY($1::uuid[]) ORDER BY created_at, id`,
    values: [userIds],
  });
  return rows;
}

export async function insertAddress(
  sql: Sql,
  a: { orgId: string; id: string; userId: string; channel: string; address: string; label: string },
): Promise<AddressRow> {
  const { rows } = await sql.query<AddressRow>(
    `INSERT INTO notification_addresses (org_id, id, user_id, channel, address, label) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (org_id, user_id, channel, address) DO UPDATE SET label = EXCLUDED.label
     RETURNING id, user_id, channel, address, label, created_at`,
    [a.orgId, a.id, a.userId, a.channel, a.address, a.label],
  );
  return rows[0]!;
}

export async function deleteAddress(sql: Sql, userId: string, id: string): Promise<boolean> {
  const { rowCount } = await sql.query('DELETE FROM notification_addresses WHERE id = $1 AND user_id = $2', [
    id,
    userId,
  ]);
  return (rowCount ?? 0) > 0;
}

export async function contactOptOuts(sql: Sql, contactIds: readonly string[]): Promise<Set<string>> {
  if (contactIds.length === 0) return new Set();
  const { rows } = await sql.query<{ contact_id: string; channel: string }>(
    'SELECT contact_id, channel FROM notification_contact_opt_outs WHERE contact_id = ANY($1::uuid[])',
    [contactIds],
  );
  return new Set(rows.map((r) => `${r.contact_id}:${r.channel}`));
}

/** An unsubscribe takes effect at once: the recipient's queued notifications of it are skipped. */
export async function skipQueuedFor(
  sql: Sql,
  o: { userId: string | null; contactId: string | null; eventType: string; channel: string },
): Promise<number> {
  const { rowCount } = await sql.query(
    `UPDATE notifications SET status = 'skipped', skip_reason = 'opted_out', next_attempt_at = NULL,
       updated_at = now()
     WHERE status = 'queued' AND channel = $4
       AND ($3 = '*' OR event_type = $3)
       AND (recipient_user_id = $1 OR recipient_contact_id = $2)`,
    [o.userId, o.contactId, o.eventType, o.channel],
  );
  return rowCount ?? 0;
}

export async function insertContactOptOut(
  sql: Sql,
  o: { orgId: string; contactId: string; channel: string },
): Promise<void> {
  await sql.query(
    `INSERT INTO notification_contact_opt_outs (org_id, contact_id, channel) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING`,
    [o.orgId, o.contactId, o.channel],
  );
}

// ---- notifications -------------------------------------------------------------------------------

export interface NewNotification {
  id: string;
  idempotencyKey: string;
  source: NotificationRow['source'];
  batchId: string | null;
  eventId: string | null;
  eventType: string;
  ruleId: string | null;
  recipientUserId: string | null;
  recipientContactId: string | null;
  recipientName: string | null;
  address: string | null;
  channel: DeliveryChannel;
  priority: Priority;
  language: string;
  subject: string | null;
  body: string;
  html: string | null;
  whatsappTemplate: unknown;
  data: Record<string, unknown>;
  templateId: string | null;
  templateVersion: number | null;
  status: 'queued' | 'delivered' | 'skipped';
  skipReason: string | null;
  nextAttemptAt: Date | null;
  heldUntil: Date | null;
}

/**
 * Inserts notifications in one statement; an idempotency key already used makes no second row.
 * Returns the rows inserted (id, status, channel, recipient).
 */
export async function insertNotifications(
  sql: Sql,
  orgId: string,
  list: readonly NewNotification[],
): Promise<{ id: string; idempotency_key: string }[]> {
  if (list.length === 0) return [];
  const { rows } = await sql.query<{ id: string; idempotency_key: string }>({
    name: 'bul-notify-insert',
    text: `INSERT INTO notifications (org_id, id, idempotency_key, source, batch_id, event_id, event_type, rule_id,
             recipient_user_id, recipient_contact_id, recipient_name, address, channel, priority, priority_rank, language,
             subject, body, html, whatsapp_template, data, template_id, template_version, status, skip_reason,
             next_attempt_at, held_until, delivered_at)
           SELECT $1, (n->>'id')::uuid, n->>'idempotencyKey', n->>'source', (n->>'batchId')::uuid, (n->>'eventId')::uuid,
             n->>'eventType', (n->>'ruleId')::uuid, (n->>'recipientUserId')::uuid, (n->>'recipientContactId')::uuid,
             n->>'recipientName', n->>'address', n->>'channel', n->>'priority', (n->>'priorityRank')::smallint,
             n->>'language', n->>'subject', coalesce(n->>'body', ''), n->>'html',
             CASE WHEN jsonb_typeof(n->'whatsappTemplate') = 'object' THEN n->'whatsappTemplate' END,
             coalesce(n->'data', '{}'), (n->>'templateId')::uuid, (n->>'templateVersion')::integer, n->>'status',
             n->>'skipReason', (n->>'nextAttemptAt')::timestamptz, (n->>'heldUntil')::timestamptz,
             CASE WHEN n->>'status' = 'delivered' THEN now() END
           FROM jsonb_array_elements($2::jsonb) n
           ON CONFLICT (org_id, idempotency_key) DO NOTHING
           RETURNING id, idempotency_key`,
    values: [
      orgId,
      JSON.stringify(
        list.map((n) => ({ ...n, priorityRank: PRIORITY_RANK[n.priority] })),
        storable,
      ),
    ],
  });
  return rows;
}

export async function getNotification(
  sql: Sql,
  id: string,
  forUpdate = false,
): Promise<NotificationRow | null> {
  const { rows } = await sql.query<NotificationRow>({
    name: forUpdate ? 'bul-notify-get-for-update' : 'bul-notify-get',
    text: `SELECT * FROM notifications WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    values: [id],
  });
  return rows[0] ?? null;
}

/** Claims due notifications across organizations (migration 0015's bul_notifications_claim). */
export async function claim(
  sql: Sql,
  c: { minRank: number; maxRank: number; limit: number; leaseSeconds: number },
): Promise<(NotificationRow & { claim_token: string })[]> {
  const { rows } = await sql.query<NotificationRow & { claim_token: string }>({
    name: 'bul-notify-claim',
    text: 'SELECT * FROM bul_notifications_claim($1::smallint, $2::smallint, $3, $4)',
    values: [c.minRank, c.maxRank, c.limit, c.leaseSeconds],
  });
  return rows;
}

export async function nextDue(sql: Sql, lane: { minRank: number; maxRank: number }): Promise<Date | null> {
  const { rows } = await sql.query<{ at: Date | null }>({
    name: 'bul-notify-next-due',
    text: 'SELECT bul_notifications_next_due($1::smallint, $2::smallint) AS at',
    values: [lane.minRank, lane.maxRank],
  });
  return rows[0]?.at ?? null;
}

export interface AttemptInput {
  id: string;
  attempt: number;
  channelId: string | null;
  provider: string;
  startedAt: Date;
  latencyMs: number;
  outcome: AttemptRow['outcome'];
  statusCode: number | null;
  errorCode: string | null;
  error: string | null;
  providerMessageId: string | null;
}

export async function insertAttempts(
  sql: Sql,
  orgId: string,
  notificationId: string,
  attempts: readonly AttemptInput[],
): Promise<void> {
  if (attempts.length === 0) return;
  await sql.query({
    name: 'bul-notify-insert-attempts',
    text: `INSERT INTO notification_attempts (org_id, id, notification_id, attempt, channel_id, provider, started_at,
             latency_ms, outcome, status_code, error_code, error, provider_message_id)
           SELECT $1, (a->>'id')::uuid, $2, (a->>'attempt')::integer, (a->>'channelId')::uuid, a->>'provider',
             (a->>'startedAt')::timestamptz, (a->>'latencyMs')::integer, a->>'outcome', (a->>'statusCode')::integer,
             a->>'errorCode', a->>'error', a->>'providerMessageId'
           FROM jsonb_array_elements($3::jsonb) a`,
    values: [orgId, notificationId, JSON.stringify(attempts)],
  });
}

export interface Settlement {
  id: string;
  claimToken: string;
  status: NotificationStatus;
  rounds: number;
  attempts: number;
  nextAttemptAt: Date | null;
  channelId: string | null;
  providerMessageId: string | null;
  lastError: string | null;
  lastStatusCode: number | null;
}

/**
 * The outcomes of many sends of one organization in one statement: each notification's new state
 * (only where the runner's claim still holds) and the attempts of those settled. Returns the ids
 * settled.
 */
export async function settleMany(
  sql: Sql,
  orgId: string,
  settlements: readonly Settlement[],
  attempts: readonly (AttemptInput & { notificationId: string })[],
): Promise<string[]> {
  const { rows } = await sql.query<{ id: string }>({
    name: 'bul-notify-settle-many',
    text: `WITH s AS (
             SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, "claimToken" uuid, status text, rounds integer, attempts integer,
               "nextAttemptAt" timestamptz, "channelId" uuid, "providerMessageId" text, "lastError" text,
               "lastStatusCode" integer)
           ), settled AS (
             UPDATE notifications n SET status = s.status, attempts = s.attempts, rounds = s.rounds,
               next_attempt_at = s."nextAttemptAt",
               lease_until = NULL, claim_token = NULL, updated_at = now(),
               channel_id = coalesce(s."channelId", n.channel_id),
               provider_message_id = coalesce(s."providerMessageId", n.provider_message_id),
               last_error = s."lastError", last_status_code = s."lastStatusCode",
               sent_at = CASE WHEN s.status IN ('sent', 'delivered') THEN coalesce(n.sent_at, now()) ELSE n.sent_at END,
               delivered_at = CASE WHEN s.status = 'delivered' THEN coalesce(n.delivered_at, now()) ELSE n.delivered_at END,
               failed_at = CASE WHEN s.status IN ('failed', 'dead') THEN now() ELSE n.failed_at END
             FROM s WHERE n.org_id = $1 AND n.id = s.id AND n.status = 'sending' AND n.claim_token = s."claimToken"
             RETURNING n.id
           ), logged AS (
             INSERT INTO notification_attempts (org_id, id, notification_id, attempt, channel_id, provider, started_at,
               latency_ms, outcome, status_code, error_code, error, provider_message_id)
             SELECT $1, (a->>'id')::uuid, (a->>'notificationId')::uuid, (a->>'attempt')::integer, (a->>'channelId')::uuid,
               a->>'provider', (a->>'startedAt')::timestamptz, (a->>'latencyMs')::integer, a->>'outcome',
               (a->>'statusCode')::integer, a->>'errorCode', a->>'error', a->>'providerMessageId'
             FROM jsonb_array_elements($3::jsonb) a WHERE (a->>'notificationId')::uuid IN (SELECT id FROM settled)
           )
           SELECT id FROM settled`,
    values: [orgId, JSON.stringify(settlements, storable), JSON.stringify(attempts, storable)],
  });
  return rows.map((r) => r.id);
}

export async function attemptsOf(sql: Sql, ids: readonly string[]): Promise<AttemptRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql.query<AttemptRow>(
    `SELECT notification_id, attempt, channel_id, provider, started_at, latency_ms, outcome, status_code, error_code,
       error, provider_message_id FROM notification_attempts WHERE notification_id = ANY($1::uuid[])
     ORDER BY notification_id, attempt, started_at`,
    [ids],
  );
  return rows;
}

export interface LogFilter {
  status?: string;
  channel?: string;
  eventType?: string;
  userId?: string;
  batchId?: string;
  from?: string;
  to?: string;
  beforeId?: string;
  limit: number;
}

export async function listNotifications(sql: Sql, f: LogFilter): Promise<NotificationRow[]> {
  const { rows } = await sql.query<NotificationRow>(
    `SELECT * FROM notifications
     WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR channel = $2)
       AND ($3::text IS NULL OR event_type = $3) AND ($4::uuid IS NULL OR recipient_user_id = $4)
       AND ($5::uuid IS NULL OR batch_id = $5) AND ($6::timestamptz IS NULL OR created_at >= $6)
       AND ($7::timestamptz IS NULL OR created_at < $7) AND ($8::uuid IS NULL OR id < $8)
     ORDER BY id DESC LIMIT $9`,
    [
      f.status ?? null,
      f.channel ?? null,
      f.eventType ?? null,
      f.userId ?? null,
      f.batchId ?? null,
      f.from ?? null,
      f.to ?? null,
      f.beforeId ?? null,
      f.limit + 1,
    ],
  );
  return rows;
}

export async function batchCounts(sql: Sql, batchId: string): Promise<Record<string, number>> {
  const { rows } = await sql.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM notifications WHERE batch_id = $1 GROUP BY status',
    [batchId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Back in the queue now, for a new round of retries (a replay from the dead letter). */
export async function requeue(sql: Sql, id: string): Promise<NotificationRow | null> {
  const { rows } = await sql.query<NotificationRow>(
    `UPDATE notifications SET status = 'queued', round_start = rounds, next_attempt_at = now(), held_until = NULL, updated_at = now(),
       lease_until = NULL, failed_at = NULL WHERE id = $1 AND status IN ('dead', 'failed') RETURNING *`,
    [id],
  );
  return rows[0] ?? null;
}

// ---- inbox ---------------------------------------------------------------------------------------

export async function inbox(
  sql: Sql,
  q: { userId: string; unreadOnly: boolean; beforeId?: string; limit: number },
): Promise<NotificationRow[]> {
  const { rows } = await sql.query<NotificationRow>(
    `SELECT * FROM notifications WHERE channel = 'in_app' AND recipient_user_id = $1
       AND status <> 'skipped' AND ($2::boolean IS FALSE OR read_at IS NULL) AND ($3::uuid IS NULL OR id < $3)
     ORDER BY id DESC LIMIT $4`,
    [q.userId, q.unreadOnly, q.beforeId ?? null, q.limit + 1],
  );
  return rows;
}

export async function unreadCount(sql: Sql, userId: string): Promise<number> {
  const { rows } = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM notifications WHERE channel = 'in_app' AND recipient_user_id = $1
       AND status = 'delivered' AND read_at IS NULL`,
    [userId],
  );
  return rows[0]!.n;
}

export async function markRead(sql: Sql, userId: string, ids: readonly string[] | 'all'): Promise<number> {
  const { rowCount } = await sql.query(
    `UPDATE notifications SET read_at = now(), status = 'read', updated_at = now()
     WHERE channel = 'in_app' AND recipient_user_id = $1 AND read_at IS NULL AND status = 'delivered'
       AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))`,
    [userId, ids === 'all' ? null : ids],
  );
  return rowCount ?? 0;
}

// ---- provider callbacks --------------------------------------------------------------------------

/** A provider's later report on a message it accepted: moves the notification forward, never back. */
export async function applyProviderStatus(
  sql: Sql,
  s: { channelId: string; providerMessageId: string; status: string; error: string | null; at: Date },
): Promise<string | null> {
  const { rows } = await sql.query<{ id: string }>(
    `UPDATE notifications SET updated_at = now(),
       status = CASE
         WHEN $3 = 'failed' AND status IN ('sent', 'delivered') THEN 'failed'
         WHEN $3 = 'delivered' AND status = 'sent' THEN 'delivered'
         WHEN $3 = 'read' AND status IN ('sent', 'delivered') THEN 'read'
         ELSE status END,
       delivered_at = CASE WHEN $3 IN ('delivered', 'read') THEN coalesce(delivered_at, $5) ELSE delivered_at END,
       read_at = CASE WHEN $3 = 'read' THEN coalesce(read_at, $5) ELSE read_at END,
       failed_at = CASE WHEN $3 = 'failed' AND status IN ('sent', 'delivered') THEN $5 ELSE failed_at END,
       last_error = CASE WHEN $3 = 'failed' THEN $4 ELSE last_error END
     WHERE channel_id = $1 AND provider_message_id = $2 RETURNING id`,
    [s.channelId, s.providerMessageId, s.status, s.error, s.at],
  );
  return rows[0]?.id ?? null;
}

export async function insertInbound(
  sql: Sql,
  m: {
    orgId: string;
    id: string;
    channelId: string;
    providerMessageId: string;
    from: string;
    text: string;
    inReplyTo: string | null;
    at: Date;
  },
): Promise<void> {
  await sql.query(
    `INSERT INTO notification_inbound (org_id, id, channel_id, provider_message_id, from_address, text, notification_id, received_at)
     VALUES ($1, $2, $3, $4, $5, $6,
       (SELECT id FROM notifications WHERE channel_id = $3 AND provider_message_id = $7 LIMIT 1), $8)
     ON CONFLICT (org_id, channel_id, provider_message_id) DO NOTHING`,
    [m.orgId, m.id, m.channelId, m.providerMessageId, m.from, m.text, m.inReplyTo, m.at],
  );
}

// ---- scans ---------------------------------------------------------------------------------------

export async function scanOrgs(sql: Sql): Promise<{ id: string; timezone: string }[]> {
  const { rows } = await sql.query<{ id: string; timezone: string }>(
    'SELECT id, timezone FROM bul_notification_scan_orgs()',
  );
  return rows;
}

export async function lastScan(sql: Sql, kind: string): Promise<string | null> {
  const { rows } = await sql.query<{ d: string }>(
    `SELECT to_char(last_local_date, 'YYYY-MM-DD') AS d FROM notification_scans WHERE kind = $1 FOR UPDATE`,
    [kind],
  );
  return rows[0]?.d ?? null;
}

export async function recordScan(sql: Sql, orgId: string, kind: string, localDate: string): Promise<void> {
  await sql.query(
    `INSERT INTO notification_scans (org_id, kind, last_local_date) VALUES ($1, $2, $3)
     ON CONFLICT (org_id, kind) DO UPDATE SET last_local_date = EXCLUDED.last_local_date`,
    [orgId, kind, localDate],
  );
}

export async function channelOrg(sql: Sql, channelId: string): Promise<string | null> {
  const { rows } = await sql.query<{ org: string | null }>('SELECT bul_notification_channel_org($1) AS org', [
    channelId,
  ]);
  return rows[0]?.org ?? null;
}
