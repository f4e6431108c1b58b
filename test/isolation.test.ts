// T3: tenant isolation is enforced by the database (row-level security, privileges of the
// application role) and every route that takes an id keeps organizations apart.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { generateSync } from 'otplib';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/platform/db/ids.ts';
import { Db } from '../src/platform/db/transaction.ts';
import { EventDispatcher } from '../src/platform/events/dispatcher.ts';
import { EventHandlerRegistry } from '../src/platform/events/registry.ts';
import {
  addMember,
  createTestApp,
  type Session,
  signUp,
  type TestApp,
  uniqueEmail,
} from './support/test-app.ts';

let t: TestApp;
let dataDir: string;

/** Tables with an org_id column that are not tenant tables, and why. Anything else is a tenant table. */
const NOT_TENANT_TABLES: Record<string, string> = {
  sessions: 'belongs to a user (org_id is only the default organization of the session)',
  audit_chain_heads: 'the application role has no privilege on it at all',
};

/** The tenant tables the foundation is known to have (new ones are found from the schema too). */
const KNOWN_TENANT_TABLES = [
  'api_keys',
  'audit_events',
  'departments',
  'invitations',
  'ip_rules',
  'memberships',
  'roles',
  'usage_counters',
  // work management and business data (issue 3)
  'clients',
  'client_status_changes',
  'client_contacts',
  'projects',
  'project_milestones',
  'project_expenses',
  'tasks',
  'task_time_entries',
  'task_comments',
  'task_watchers',
  'task_attachments',
  'contracts',
  'invoices',
  'payments',
  'deals',
  'feedback',
  // outbound webhooks (issue 15)
  'webhook_endpoints',
  'webhook_deliveries',
  'webhook_delivery_attempts',
  // domain events (issue 15)
  'domain_events',
  'domain_event_heads',
  'domain_event_cursors',
  'domain_event_deliveries',
  // notifications (issue 16)
  'notification_channels',
  'notification_templates',
  'notification_template_versions',
  'notification_rules',
  'notification_preferences',
  'notification_user_settings',
  'notification_addresses',
  'notification_contact_opt_outs',
  'notifications',
  'notification_attempts',
  'notification_inbound',
  'notification_scans',
  // health checks (issue 17): an organization's notification channel checks
  'health_checks',
  'health_check_results',
  'health_check_hours',
  // threat detection (issue 17)
  'security_threats',
  'security_login_failures',
  'security_login_origins',
  'security_last_logins',
  'security_api_key_networks',
  'security_user_actions',
  // metrics history (issue 17)
  'monitoring_samples',
  'monitoring_rollups',
];

interface Org {
  admin: Session;
  member: Session;
  memberMembershipId: string;
  departmentId: string;
  roleId: string;
  invitationId: string;
  apiKeyId: string;
  ipRuleId: string;
  clientId: string;
  contactId: string;
  projectId: string;
  milestoneId: string;
  expenseId: string;
  taskId: string;
  commentId: string;
  timeEntryId: string;
  attachmentId: string;
  /** The uploaded attachment's content. */
  attachmentContent: Buffer;
  contractId: string;
  invoiceId: string;
  paymentId: string;
  dealId: string;
  feedbackId: string;
  webhookEndpointId: string;
  webhookDeliveryId: string;
  eventFailureId: string;
  notificationChannelId: string;
  notificationTemplateId: string;
  notificationRuleId: string;
  notificationAddressId: string;
  notificationId: string;
  notificationBatchId: string;
  securityThreatId: string;
  alertRuleId: string;
  alertId: string;
}

interface OpenApiDoc {
  paths: Record<string, Record<string, { requestBody?: unknown }>>;
}

let doc: OpenApiDoc;
let A: Org;
let B: Org;
let tenantTables: string[];

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

async function api(s: Session, method: Method, url: string, payload?: unknown) {
  return t.request({
    method,
    url,
    headers: s.headers,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

async function created(s: Session, url: string, payload: unknown): Promise<{ id: string }> {
  const res = await api(s, 'POST', url, payload);
  if (res.statusCode !== 201) throw new Error(`POST ${url} failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

async function enableMfa(s: Session): Promise<void> {
  const setup = await api(s, 'POST', '/api/v1/auth/mfa/setup');
  if (setup.statusCode !== 200) throw new Error(`mfa setup failed: ${setup.body}`);
  const code = generateSync({ secret: setup.json().secret, strategy: 'totp' });
  const enable = await api(s, 'POST', '/api/v1/auth/mfa/enable', { code });
  if (enable.statusCode !== 200) throw new Error(`mfa enable failed: ${enable.body}`);
}

/** An organization with at least one row in every tenant table, all made through the API. */
async function populatedOrg(label: string): Promise<Org> {
  const admin = await signUp(t, { orgName: `Org ${label}` });
  const member = await addMember(t, admin, 'user');
  const memberMembershipId = (
    await t.owner<{ id: string }>('SELECT id FROM memberships WHERE org_id = $1 AND user_id = $2', [
      admin.orgId,
      member.userId,
    ])
  ).rows[0]!.id;
  const department = await created(admin, '/api/v1/departments', { name: `Dept ${label}` });
  const role = await created(admin, '/api/v1/roles', {
    name: `Custom ${label}`,
    permissions: ['members:read'],
  });
  const invitation = await created(admin, '/api/v1/invitations', {
    email: uniqueEmail(`pending-${label}`),
    roleId: role.id,
  });
  const apiKey = await created(admin, '/api/v1/api-keys', {
    name: `Key ${label}`,
    scopes: ['members:read'],
  });
  const ipRule = await created(admin, '/api/v1/ip-rules', {
    cidr: '203.0.113.0/24',
    action: 'deny',
    note: `rule ${label}`,
  });
  await enableMfa(admin); // mfa_recovery_codes rows for this admin

  // Work management, through the API (client_status_changes rows come with the client).
  const client = await created(admin, '/api/v1/clients', { name: `Client ${label}`, ownerId: member.userId });
  const contact = await created(admin, `/api/v1/clients/${client.id}/contacts`, {
    name: `Contact ${label}`,
    whatsapp: '+14155550100',
    messagingConsent: true,
    consentSource: 'web form',
  });
  const project = await created(admin, '/api/v1/projects', {
    name: `Project ${label}`,
    clientId: client.id,
    departmentId: department.id,
    budgetMinor: 100_000,
  });
  const milestone = await created(admin, `/api/v1/projects/${project.id}/milestones`, {
    name: `Milestone ${label}`,
  });
  const expense = await created(admin, `/api/v1/projects/${project.id}/expenses`, {
    spentOn: '2025-01-15',
    amountMinor: 2_500,
    category: 'travel',
  });
  const task = await created(admin, '/api/v1/tasks', {
    projectId: project.id,
    title: `Task ${label}`,
    assigneeId: member.userId,
  });
  const comment = await created(admin, `/api/v1/tasks/${task.id}/comments`, { body: `Comment ${label}` });
  const timeEntry = await created(admin, `/api/v1/tasks/${task.id}/time-entries`, {
    spentOn: '2025-01-15',
    minutes: 45,
  });
  const watch = await api(admin, 'PUT', `/api/v1/tasks/${task.id}/watchers/${member.userId}`);
  if (watch.statusCode !== 204) throw new Error(`watch failed: ${watch.statusCode} ${watch.body}`);
  // A real upload (multipart), kept under the data dir.
  const attachmentContent = Buffer.from(`notes of organization ${label}\n`);
  const up = await uploadTo(admin, task.id, `seed-${label}.txt`, attachmentContent);
  if (up.statusCode !== 201) throw new Error(`upload failed: ${up.statusCode} ${up.body}`);
  const attachment = up.json() as { id: string };

  // Business data: through the API where the route exists, otherwise straight into the table.
  const contract = await createdOrSeeded(
    admin,
    '/api/v1/contracts',
    {
      clientId: client.id,
      name: `Contract ${label}`,
      amountMinor: 50_000,
      billingInterval: 'month',
      startDate: '2025-01-01',
    },
    `INSERT INTO contracts (org_id, id, client_id, name, amount_minor, currency, billing_interval, start_date)
     VALUES ($1, gen_random_uuid(), $2, 'Seeded contract', 50000, 'USD', 'month', '2025-01-01') RETURNING id`,
    [client.id],
  );
  const invoice = await createdOrSeeded(
    admin,
    '/api/v1/invoices',
    {
      clientId: client.id,
      number: `INV-${label}-1`,
      issuedOn: '2025-01-01',
      dueOn: '2025-01-31',
      amountMinor: 50_000,
    },
    `INSERT INTO invoices (org_id, id, client_id, number, issued_on, due_on, amount_minor, currency)
     VALUES ($1, gen_random_uuid(), $2, 'SEED-1', '2025-01-01', '2025-01-31', 50000, 'USD') RETURNING id`,
    [client.id],
  );
  const payment = await createdOrSeeded(
    admin,
    `/api/v1/invoices/${invoice.id}/payments`,
    { paidOn: '2025-01-20', amountMinor: 20_000 },
    `INSERT INTO payments (org_id, id, invoice_id, paid_on, amount_minor, currency)
     VALUES ($1, gen_random_uuid(), $2, '2025-01-20', 20000, 'USD') RETURNING id`,
    [invoice.id],
    '/api/v1/invoices/{id}/payments',
  );
  const deal = await createdOrSeeded(
    admin,
    '/api/v1/deals',
    { title: `Deal ${label}`, clientId: client.id, amountMinor: 10_000 },
    `INSERT INTO deals (org_id, id, client_id, title, amount_minor, currency)
     VALUES ($1, gen_random_uuid(), $2, 'Seeded deal', 10000, 'USD') RETURNING id`,
    [client.id],
  );
  const feedback = await createdOrSeeded(
    admin,
    '/api/v1/feedback',
    { clientId: client.id, projectId: project.id, score: 4, comment: `Feedback ${label}` },
    `INSERT INTO feedback (org_id, id, client_id, project_id, score, received_on)
     VALUES ($1, gen_random_uuid(), $2, $3, 4, '2025-01-20') RETURNING id`,
    [client.id, project.id],
  );

  // Webhooks: an endpoint, a delivery of a domain event and its (failed: nothing listens) attempt.
  const webhookEndpoint = await created(admin, '/api/v1/webhooks/endpoints', {
    url: 'http://127.0.0.1:1/hook',
    events: ['task.created'],
  });
  const event = {
    id: newId(),
    type: 'task.created',
    orgId: admin.orgId,
    occurredAt: new Date().toISOString(),
    actor: { type: 'system' as const, id: null },
    payload: { id: task.id },
  };
  const [webhookDeliveryId] = await new Db(t.pool).transaction({ orgId: admin.orgId, userId: null }, (tx) =>
    t.services.webhooks.enqueueFor(tx, event),
  );
  await t.services.webhooks.deliver(admin.orgId, webhookDeliveryId!);
  // Domain events: a handler that always throws parks the first one (heads, cursors, deliveries).
  const failing = new EventDispatcher({
    pool: t.pool,
    registry: new EventHandlerRegistry().register({
      name: 'isolation.refuses',
      events: ['*'],
      handle: async () => {
        throw new Error('refused');
      },
    }),
    log: pino({ level: 'silent' }),
    maxAttempts: 1,
    retryBaseMs: 1,
    pollMs: 60_000,
    batchSize: 1,
  });
  await failing.dispatchOrg(admin.orgId);
  const eventFailure = (
    await t.owner<{ id: string }>(
      `SELECT id FROM domain_event_deliveries WHERE org_id = $1 AND status = 'failed'`,
      [admin.orgId],
    )
  ).rows[0]!;

  // Notifications: a channel and its test send (a notification with its attempt), a template
  // version, the rules (built-ins, installed when first listed, and one of its own), a member's
  // preferences, settings and phone, a send (its batch); what has no route, seeded as the owner.
  const channel = await created(admin, '/api/v1/notifications/channels', {
    kind: 'webhook',
    name: `Hook ${label}`,
    config: { url: 'http://127.0.0.1:1/notify' },
    secrets: { secret: `whsec_${Buffer.from(`secret of ${label} 32 bytes long!`).toString('base64')}` },
  });
  const tested = await api(admin, 'POST', `/api/v1/notifications/channels/${channel.id}/test`, {});
  if (tested.statusCode !== 200) throw new Error(`channel test failed: ${tested.statusCode} ${tested.body}`);
  const template = await created(admin, '/api/v1/notifications/templates/versions', {
    eventType: 'task.assigned',
    channel: 'email',
    language: 'en',
    subject: `Assigned (${label})`,
    body: 'Task {{ resource.title }}',
    publish: true,
  });
  await api(admin, 'GET', '/api/v1/notifications/rules');
  const rule = await created(admin, '/api/v1/notifications/rules', {
    name: `Rule ${label}`,
    eventType: 'task.created',
    recipients: [{ kind: 'project_owner' }],
    channels: ['in_app'],
  });
  const prefs = await api(member, 'PUT', '/api/v1/me/notifications/preferences', {
    items: [{ eventType: 'task.assigned', channel: 'email', enabled: false }],
  });
  if (prefs.statusCode !== 200) throw new Error(`preferences failed: ${prefs.statusCode} ${prefs.body}`);
  const settings = await api(member, 'PUT', '/api/v1/me/notifications/settings', {
    timeZone: 'Europe/Lisbon',
    quietHours: { start: '22:00', end: '07:00' },
  });
  if (settings.statusCode !== 200)
    throw new Error(`settings failed: ${settings.statusCode} ${settings.body}`);
  const address = await created(member, '/api/v1/me/notifications/addresses', {
    channel: 'sms',
    address: '+14155550123',
  });
  const sent = await api(admin, 'POST', '/api/v1/notifications/send', {
    to: { userIds: [member.userId] },
    channels: ['in_app'],
    message: { body: `Hello from ${label}` },
  });
  if (sent.statusCode !== 202) throw new Error(`send failed: ${sent.statusCode} ${sent.body}`);
  await t.owner(
    "INSERT INTO notification_contact_opt_outs (org_id, contact_id, channel) VALUES ($1, $2, 'email')",
    [admin.orgId, contact.id],
  );
  await t.owner(
    `INSERT INTO notification_inbound (org_id, id, channel_id, provider_message_id, from_address, text, received_at)
     VALUES ($1, gen_random_uuid(), $2, $3, '+14155550100', 'reply', now())`,
    [admin.orgId, channel.id, `wamid.${label}`],
  );
  await t.owner(
    "INSERT INTO notification_scans (org_id, kind, last_local_date) VALUES ($1, 'due_soon', '2026-01-01')",
    [admin.orgId],
  );
  // What threat detection keeps per organization (as its detectors write it).
  const securityThreatId = newId();
  await t.owner(
    `INSERT INTO security_threats (org_id, id, type, severity, user_id, ip, dedupe_key, evidence, detected_at, last_seen_at)
     VALUES ($1, $2, 'failed_login_burst_ip', 'high', $3, '203.0.113.9', $4, '{"failures": 12}', now(), now())`,
    [admin.orgId, securityThreatId, member.userId, `ip:203.0.113.9:${label}`],
  );
  await t.owner(
    `INSERT INTO security_login_failures (org_id, id, at, email, user_id, ip, reason)
     VALUES ($1, gen_random_uuid(), now(), $2, $3, '203.0.113.9', 'bad_password')`,
    [admin.orgId, member.email, member.userId],
  );
  await t.owner(
    `INSERT INTO security_login_origins (org_id, user_id, kind, value, first_seen_at, last_seen_at)
     VALUES ($1, $2, 'network', '203.0.113.0/24', now(), now())`,
    [admin.orgId, member.userId],
  );
  await t.owner(
    "INSERT INTO security_last_logins (org_id, user_id, at, ip) VALUES ($1, $2, now(), '203.0.113.9')",
    [admin.orgId, member.userId],
  );
  await t.owner(
    `INSERT INTO security_api_key_networks (org_id, api_key_id, network, first_seen_at, last_seen_at)
     VALUES ($1, $2, '203.0.113.0/24', now(), now())`,
    [admin.orgId, apiKey.id],
  );
  await t.owner(
    `INSERT INTO security_user_actions (org_id, id, user_id, kind, resource_type, at)
     VALUES ($1, gen_random_uuid(), $2, 'delete', 'task', now())`,
    [admin.orgId, member.userId],
  );
  // A health round's results for the organization's channel (as the health loop writes them).
  await t.services.healthRunner.round(new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + (label === 'A' ? 0 : 30_000)));
  // Alerts (issue 17): a rule, one of its alerts (firing) and its history.
  const alertRule = await created(admin, '/api/v1/alerts/rules', {
    name: `Quota ${label}`,
    type: 'business',
    severity: 'warning',
    conditions: [{ metric: 'quota.users.percent', operator: 'gt', threshold: 80, forMinutes: 1 }],
  });
  const alertId = newId();
  await t.owner(
    `INSERT INTO alerts (org_id, id, rule_id, status, severity, type, title, started_at, fired_at, severity_rank)
     VALUES ($1, $2, $3, 'firing', 'warning', 'business', 'Quota', now(), now(), 2)`,
    [admin.orgId, alertId, alertRule.id],
  );
  await t.owner(
    `INSERT INTO alert_transitions (org_id, alert_id, id, from_status, to_status, at)
     VALUES ($1, $2, gen_random_uuid(), NULL, 'firing', now())`,
    [admin.orgId, alertId],
  );
  // metrics history (issue 17): a counter sample and a roll-up of it
  await t.services.monitoring.record([{ orgId: admin.orgId, metric: 'security.failed_logins', value: 1 }]);
  await t.owner(
    `INSERT INTO monitoring_rollups (org_id, metric, labels, bucket_seconds, at, count, sum, min, max)
     VALUES ($1, 'security.failed_logins', '', 60, date_trunc('minute', now()), 1, 1, 1, 1)`,
    [admin.orgId],
  );

  return {
    admin,
    member,
    memberMembershipId,
    departmentId: department.id,
    roleId: role.id,
    invitationId: invitation.id,
    apiKeyId: apiKey.id,
    ipRuleId: ipRule.id,
    securityThreatId,
    clientId: client.id,
    contactId: contact.id,
    projectId: project.id,
    milestoneId: milestone.id,
    expenseId: expense.id,
    taskId: task.id,
    commentId: comment.id,
    timeEntryId: timeEntry.id,
    attachmentId: attachment.id,
    attachmentContent,
    contractId: contract.id,
    invoiceId: invoice.id,
    paymentId: payment.id,
    dealId: deal.id,
    feedbackId: feedback.id,
    webhookEndpointId: webhookEndpoint.id,
    webhookDeliveryId: webhookDeliveryId!,
    eventFailureId: eventFailure.id,
    notificationChannelId: channel.id,
    notificationTemplateId: (template as unknown as { template: { id: string } }).template.id,
    notificationRuleId: rule.id,
    notificationAddressId: address.id,
    notificationId: tested.json().notificationId,
    notificationBatchId: sent.json().batchId,
    alertRuleId: alertRule.id,
    alertId,
  };
}

/** POST /tasks/:id/attachments with a real multipart body (field `file`). */
async function uploadTo(s: Session, taskId: string, filename: string, content: Buffer) {
  const form = new FormData();
  form.append('file', new Blob([content]), filename);
  const res = new Response(form);
  return t.request({
    method: 'POST',
    url: `/api/v1/tasks/${taskId}/attachments`,
    headers: { ...s.headers, 'content-type': res.headers.get('content-type')! },
    payload: Buffer.from(await res.arrayBuffer()),
  });
}

/** Attachment files kept on disk for an organization (names = attachment ids). */
async function filesOf(orgId: string): Promise<string[]> {
  return (await readdir(path.join(t.config.dataDir, 'files', orgId)).catch(() => [] as string[])).sort();
}

const hasRoute = (path: string, method: string) => Boolean(doc.paths[path]?.[method.toLowerCase()]);

/** Creates through the API when the route exists; otherwise inserts the row as the owner ($1 = org). */
async function createdOrSeeded(
  s: Session,
  url: string,
  payload: unknown,
  sql: string,
  params: unknown[],
  routePath = url,
): Promise<{ id: string }> {
  if (hasRoute(routePath, 'POST')) return created(s, url, payload);
  return (await t.owner<{ id: string }>(sql, [s.orgId, ...params])).rows[0]!;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'bul-isolation-'));
  t = await createTestApp({
    BUL_DATA_DIR: dataDir,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_TIMEOUT_MS: '1000',
  });
  doc = (await t.request({ method: 'GET', url: '/docs/json' })).json() as OpenApiDoc;
  A = await populatedOrg('A');
  B = await populatedOrg('B');
  await t.services.meter.flush(); // usage_counters rows for both organizations
  const { rows } = await t.owner<{ table_name: string }>(
    `SELECT c.table_name FROM information_schema.columns c
     JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
     WHERE c.table_schema = 'public' AND c.column_name = 'org_id' AND tb.table_type = 'BASE TABLE'
     ORDER BY 1`,
  );
  tenantTables = rows.map((r) => r.table_name).filter((n) => !(n in NOT_TENANT_TABLES));
});

afterAll(async () => {
  await t?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Every row of organization B in every tenant table, as the owner sees it. */
async function snapshotOf(orgId: string): Promise<Record<string, string[]>> {
  // The chain as sealed: a pending audit event getting its link in between is not a change.
  await t.owner('SELECT bul_audit_seal($1)', [orgId]);
  const out: Record<string, string[]> = {};
  for (const table of tenantTables) {
    // The metrics history counts each organization's own requests, on the sampler's clock.
    if (table.startsWith('monitoring_')) continue;
    const { rows } = await t.owner<{ row: string }>(
      `SELECT to_jsonb(x)::text AS row FROM ${table} x WHERE org_id = $1 ORDER BY 1`,
      [orgId],
    );
    out[table] = rows.map((r) => r.row);
  }
  return out;
}

describe('tenant tables', () => {
  it('finds every known tenant table among the public tables with an org_id column', () => {
    expect(tenantTables).toEqual(expect.arrayContaining(KNOWN_TENANT_TABLES));
    for (const table of Object.keys(NOT_TENANT_TABLES)) expect(tenantTables).not.toContain(table);
  });

  it('has rows of both organizations in every tenant table (so the isolation checks are not vacuous)', async () => {
    for (const table of tenantTables) {
      for (const org of [A, B]) {
        const { rows } = await t.owner<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${table} WHERE org_id = $1`,
          [org.admin.orgId],
        );
        expect(rows[0]!.n, `${table} rows of ${org.admin.orgId}`).toBeGreaterThan(0);
      }
    }
  });
});

// ---- route walk ---------------------------------------------------------------------------------

interface Target {
  /** The table of the row the route acts on, and that row's id (B's). */
  table: string;
  id: () => string;
  /** Path parameters other than {id} (e.g. {contactId}), all naming B's rows. */
  params?: () => Record<string, string>;
  /** A valid body for the methods that take one. */
  body?: Record<string, unknown>;
  /** The row of `table` that must stay unchanged, when the {id} names no row of its own (a batch). */
  row?: () => string;
}

/** Path of every `{id}` route → organization B's resource of that kind. */
const TARGETS: Record<string, Target> = {
  '/api/v1/members/{id}': {
    table: 'memberships',
    id: () => B.memberMembershipId,
    body: { status: 'suspended' },
  },
  '/api/v1/departments/{id}': {
    table: 'departments',
    id: () => B.departmentId,
    body: { name: 'Renamed by A', description: 'changed by A' },
  },
  '/api/v1/roles/{id}': { table: 'roles', id: () => B.roleId, body: { name: 'Renamed by A' } },
  '/api/v1/invitations/{id}': { table: 'invitations', id: () => B.invitationId },
  '/api/v1/api-keys/{id}': { table: 'api_keys', id: () => B.apiKeyId },
  '/api/v1/ip-rules/{id}': { table: 'ip_rules', id: () => B.ipRuleId },
  '/api/v1/events/failures/{id}/retry': { table: 'domain_event_deliveries', id: () => B.eventFailureId },
  // work management: clients
  '/api/v1/clients/{id}': {
    table: 'clients',
    id: () => B.clientId,
    body: { name: 'Renamed by A', status: 'active' },
  },
  '/api/v1/clients/{id}/status-history': { table: 'clients', id: () => B.clientId },
  '/api/v1/clients/{id}/contacts': { table: 'clients', id: () => B.clientId, body: { name: 'Planted by A' } },
  '/api/v1/clients/{id}/contacts/{contactId}': {
    table: 'client_contacts',
    id: () => B.contactId,
    params: () => ({ contactId: B.contactId }),
    body: { name: 'Renamed by A', messagingConsent: false },
  },
  // projects
  '/api/v1/projects/{id}': {
    table: 'projects',
    id: () => B.projectId,
    body: { name: 'Renamed by A', status: 'active', budgetMinor: 1 },
  },
  '/api/v1/projects/{id}/milestones': {
    table: 'projects',
    id: () => B.projectId,
    body: { name: 'Planted by A' },
  },
  '/api/v1/projects/{id}/milestones/{childId}': {
    table: 'project_milestones',
    id: () => B.milestoneId,
    params: () => ({ childId: B.milestoneId }),
    body: { name: 'Renamed by A', done: true },
  },
  '/api/v1/projects/{id}/expenses': {
    table: 'projects',
    id: () => B.projectId,
    body: { spentOn: '2025-02-01', amountMinor: 1, category: 'planted by A' },
  },
  '/api/v1/projects/{id}/expenses/{childId}': {
    table: 'project_expenses',
    id: () => B.expenseId,
    params: () => ({ childId: B.expenseId }),
    body: { amountMinor: 1 },
  },
  // tasks
  '/api/v1/tasks/{id}': {
    table: 'tasks',
    id: () => B.taskId,
    body: { title: 'Renamed by A', status: 'active' },
  },
  '/api/v1/tasks/{id}/comments': { table: 'tasks', id: () => B.taskId, body: { body: 'Planted by A' } },
  '/api/v1/tasks/{id}/comments/{childId}': {
    table: 'task_comments',
    id: () => B.commentId,
    params: () => ({ childId: B.commentId }),
    body: { body: 'Rewritten by A' },
  },
  '/api/v1/tasks/{id}/time-entries': {
    table: 'tasks',
    id: () => B.taskId,
    body: { spentOn: '2025-02-01', minutes: 1 },
  },
  '/api/v1/tasks/{id}/time-entries/{childId}': {
    table: 'task_time_entries',
    id: () => B.timeEntryId,
    params: () => ({ childId: B.timeEntryId }),
  },
  '/api/v1/tasks/{id}/watchers': { table: 'tasks', id: () => B.taskId },
  // POST is a multipart upload; the walk's JSON body must not get through either (a real
  // multipart upload to B's task is tried in its own test below).
  '/api/v1/tasks/{id}/attachments': { table: 'tasks', id: () => B.taskId, body: { file: 'planted by A' } },
  '/api/v1/tasks/{id}/attachments/{childId}': {
    table: 'task_attachments',
    id: () => B.attachmentId,
    params: () => ({ childId: B.attachmentId }),
  },
  // B's member watches B's task: PUT would add nothing new, DELETE would remove the row (snapshot).
  '/api/v1/tasks/{id}/watchers/{userId}': {
    table: 'tasks',
    id: () => B.taskId,
    params: () => ({ userId: B.member.userId }),
  },
  // business data
  '/api/v1/contracts/{id}': { table: 'contracts', id: () => B.contractId, body: { name: 'Renamed by A' } },
  '/api/v1/invoices/{id}': { table: 'invoices', id: () => B.invoiceId, body: { number: 'RENAMED-BY-A' } },
  '/api/v1/invoices/{id}/payments': {
    table: 'invoices',
    id: () => B.invoiceId,
    body: { paidOn: '2025-02-01', amountMinor: 1 },
  },
  '/api/v1/invoices/{id}/payments/{paymentId}': {
    table: 'payments',
    id: () => B.paymentId,
    params: () => ({ paymentId: B.paymentId }),
  },
  '/api/v1/deals/{id}': { table: 'deals', id: () => B.dealId, body: { title: 'Renamed by A' } },
  '/api/v1/feedback/{id}': { table: 'feedback', id: () => B.feedbackId, body: { score: 1 } },
  // outbound webhooks
  '/api/v1/webhooks/endpoints/{id}': {
    table: 'webhook_endpoints',
    id: () => B.webhookEndpointId,
    body: { description: 'changed by A', enabled: false },
  },
  '/api/v1/webhooks/endpoints/{id}/rotate-secret': {
    table: 'webhook_endpoints',
    id: () => B.webhookEndpointId,
  },
  '/api/v1/webhooks/endpoints/{id}/deliveries': { table: 'webhook_endpoints', id: () => B.webhookEndpointId },
  '/api/v1/webhooks/deliveries/{id}': { table: 'webhook_deliveries', id: () => B.webhookDeliveryId },
  '/api/v1/webhooks/deliveries/{id}/resend': { table: 'webhook_deliveries', id: () => B.webhookDeliveryId },
  '/api/v1/notifications/channels/{id}': {
    table: 'notification_channels',
    id: () => B.notificationChannelId,
    body: { name: 'Renamed by A' },
  },
  '/api/v1/notifications/channels/{id}/test': {
    table: 'notification_channels',
    id: () => B.notificationChannelId,
    body: {},
  },
  '/api/v1/notifications/templates/{id}': {
    table: 'notification_templates',
    id: () => B.notificationTemplateId,
  },
  '/api/v1/notifications/templates/{id}/publish': {
    table: 'notification_templates',
    id: () => B.notificationTemplateId,
    body: { version: 1 },
  },
  '/api/v1/notifications/templates/{id}/unpublish': {
    table: 'notification_templates',
    id: () => B.notificationTemplateId,
  },
  '/api/v1/notifications/rules/{id}': {
    table: 'notification_rules',
    id: () => B.notificationRuleId,
    body: { name: 'Renamed by A' },
  },
  '/api/v1/notifications/deliveries/{id}': { table: 'notifications', id: () => B.notificationId },
  '/api/v1/notifications/deliveries/{id}/replay': { table: 'notifications', id: () => B.notificationId },
  // A batch is not a row of its own: B's notification of it must stay unchanged.
  '/api/v1/notifications/batches/{id}': {
    table: 'notifications',
    id: () => B.notificationBatchId,
    row: () => B.notificationId,
  },
  '/api/v1/security/threats/{id}': { table: 'security_threats', id: () => B.securityThreatId },
  '/api/v1/security/threats/{id}/dismiss': { table: 'security_threats', id: () => B.securityThreatId },
  '/api/v1/me/notifications/addresses/{id}': {
    table: 'notification_addresses',
    id: () => B.notificationAddressId,
  },
  '/api/v1/alerts/rules/{id}': {
    table: 'alert_rules',
    id: () => B.alertRuleId,
    body: { name: 'Renamed by A' },
  },
  '/api/v1/alerts/{id}': { table: 'alerts', id: () => B.alertId },
};

/** Routes with `{id}` that are not organization resources. */
const NOT_ORG_RESOURCES = (path: string) =>
  path.startsWith('/api/v1/admin/') ||
  path === '/api/v1/auth/sessions/{id}' ||
  // Platform resources: backup runs are the installation's (org admins read them all); a restore
  // of another organization answers 404 (test/backups.test.ts).
  path.startsWith('/api/v1/backup/');

/** The URL of a target path with B's ids in every parameter. */
function urlOf(path: string, target: Target): string {
  let url = path.replace('{id}', target.id());
  for (const [name, value] of Object.entries(target.params?.() ?? {})) url = url.replace(`{${name}}`, value);
  expect(url, `every parameter of ${path} has a value`).not.toMatch(/[{}]/);
  return url;
}

describe('route walk: A acting on B ids', () => {
  it('answers 404 not-found for every {id} route given a resource of another organization, and changes nothing', async () => {
    const idPaths = Object.keys(doc.paths).filter(
      (p) => p.startsWith('/api/v1/') && p.includes('{id}') && !NOT_ORG_RESOURCES(p),
    );
    // A new {id} route must get an entry in TARGETS, or this test fails.
    expect(
      idPaths.filter((p) => !(p in TARGETS)),
      '{id} routes without an isolation target',
    ).toEqual([]);
    // ...and every target must still exist as a route (no stale entries).
    expect(Object.keys(TARGETS).filter((p) => !idPaths.includes(p))).toEqual([]);

    const before = await snapshotOf(B.admin.orgId);
    let walked = 0;
    for (const path of idPaths) {
      const target = TARGETS[path]!;
      const id = target.row?.() ?? target.id();
      const url = urlOf(path, target);
      const rowOf = async () =>
        (
          await t.owner<{ row: string }>(
            `SELECT to_jsonb(x)::text AS row FROM ${target.table} x WHERE org_id = $1 AND id = $2`,
            [B.admin.orgId, id],
          )
        ).rows[0]?.row;
      const original = await rowOf();
      expect(original, `${target.table} row ${id} of B`).toBeDefined();
      for (const [m, operation] of Object.entries(doc.paths[path]!)) {
        const method = m.toUpperCase();
        if (!['GET', 'HEAD', 'PATCH', 'PUT', 'POST', 'DELETE'].includes(method)) continue;
        const needsBody = operation.requestBody !== undefined;
        if (needsBody) expect(target.body, `${method} ${path} needs a valid body in TARGETS`).toBeDefined();
        const res = await t.request({
          method: method as 'GET',
          url,
          headers: A.admin.headers,
          ...(needsBody ? { payload: target.body } : {}),
        });
        expect(res.statusCode, `${method} ${path}: ${res.body}`).toBe(404);
        if (method !== 'HEAD') {
          expect(res.headers['content-type']).toContain('application/problem+json');
          expect(res.json().type, `${method} ${path}`).toBe('urn:bul:error:not-found');
        }
        expect(await rowOf(), `${method} ${path} left B's row unchanged`).toBe(original);
        walked++;
      }
    }
    expect(walked).toBeGreaterThanOrEqual(60);
    // Nothing of B moved anywhere (no audit event, no other row), apart from request counting.
    const after = await snapshotOf(B.admin.orgId);
    delete before.usage_counters;
    delete after.usage_counters;
    expect(after).toEqual(before);
  });

  it('answers 404 when A names its own parent resource with a child of B (the child id alone decides)', async () => {
    const before = await snapshotOf(B.admin.orgId);
    const cases: [Method, string, unknown][] = [
      ['PATCH', `/api/v1/clients/${A.clientId}/contacts/${B.contactId}`, { name: 'x' }],
      ['DELETE', `/api/v1/clients/${A.clientId}/contacts/${B.contactId}`, undefined],
      ['PATCH', `/api/v1/projects/${A.projectId}/milestones/${B.milestoneId}`, { name: 'x' }],
      ['DELETE', `/api/v1/projects/${A.projectId}/milestones/${B.milestoneId}`, undefined],
      ['PATCH', `/api/v1/projects/${A.projectId}/expenses/${B.expenseId}`, { amountMinor: 1 }],
      ['DELETE', `/api/v1/projects/${A.projectId}/expenses/${B.expenseId}`, undefined],
      ['PATCH', `/api/v1/tasks/${A.taskId}/comments/${B.commentId}`, { body: 'x' }],
      ['DELETE', `/api/v1/tasks/${A.taskId}/comments/${B.commentId}`, undefined],
      ['DELETE', `/api/v1/tasks/${A.taskId}/time-entries/${B.timeEntryId}`, undefined],
      ['GET', `/api/v1/tasks/${A.taskId}/attachments/${B.attachmentId}`, undefined],
      ['DELETE', `/api/v1/tasks/${A.taskId}/attachments/${B.attachmentId}`, undefined],
    ];
    if (hasRoute('/api/v1/invoices/{id}/payments/{paymentId}', 'DELETE')) {
      cases.push(['GET', `/api/v1/invoices/${A.invoiceId}/payments/${B.paymentId}`, undefined]);
      cases.push(['DELETE', `/api/v1/invoices/${A.invoiceId}/payments/${B.paymentId}`, undefined]);
    }
    for (const [method, url, payload] of cases) {
      const res = await api(A.admin, method, url, payload);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404);
      expect(res.json().type).toBe('urn:bul:error:not-found');
    }
    const after = await snapshotOf(B.admin.orgId);
    delete before.usage_counters;
    delete after.usage_counters;
    expect(after).toEqual(before);
  });

  it('answers 200 for the same routes acting on A ids (the 404s above come from isolation, not from bad input)', async () => {
    const own: [string, string][] = [
      ['/api/v1/members/{id}', A.memberMembershipId],
      ['/api/v1/departments/{id}', A.departmentId],
      ['/api/v1/roles/{id}', A.roleId],
      ['/api/v1/clients/{id}', A.clientId],
      ['/api/v1/projects/{id}', A.projectId],
      ['/api/v1/tasks/{id}', A.taskId],
    ];
    const business: [string, string][] = [
      ['/api/v1/contracts/{id}', A.contractId],
      ['/api/v1/invoices/{id}', A.invoiceId],
      ['/api/v1/deals/{id}', A.dealId],
      ['/api/v1/feedback/{id}', A.feedbackId],
    ];
    for (const [path, id] of business) if (hasRoute(path, 'GET')) own.push([path, id]);
    for (const [path, id] of own) {
      const res = await api(A.admin, 'GET', path.replace('{id}', id));
      expect(res.statusCode, path).toBe(200);
      expect(res.json().id).toBe(id);
    }
    // The sub-resource lists of A's own parents hold A's rows.
    const children: [string, string][] = [
      [`/api/v1/clients/${A.clientId}/contacts`, A.contactId],
      [`/api/v1/projects/${A.projectId}/milestones`, A.milestoneId],
      [`/api/v1/projects/${A.projectId}/expenses`, A.expenseId],
      [`/api/v1/tasks/${A.taskId}/comments`, A.commentId],
      [`/api/v1/tasks/${A.taskId}/time-entries`, A.timeEntryId],
      [`/api/v1/tasks/${A.taskId}/attachments`, A.attachmentId],
    ];
    for (const [url, childId] of children) {
      const res = await api(A.admin, 'GET', url);
      expect(res.statusCode, url).toBe(200);
      expect(
        res.json().items.map((i: { id: string }) => i.id),
        url,
      ).toContain(childId);
    }
    const watchers = await api(A.admin, 'GET', `/api/v1/tasks/${A.taskId}/watchers`);
    expect(watchers.json().items.map((w: { userId: string }) => w.userId)).toEqual([A.member.userId]);
    const history = await api(A.admin, 'GET', `/api/v1/clients/${A.clientId}/status-history`);
    expect(history.json().items).toHaveLength(1);
    const download = await api(A.admin, 'GET', `/api/v1/tasks/${A.taskId}/attachments/${A.attachmentId}`);
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload).toEqual(A.attachmentContent);
  });

  it('keeps attachments apart: real requests by A on B’s task and attachment are 404, B’s file untouched, nothing stored for A', async () => {
    const before = await snapshotOf(B.admin.orgId);
    const aBefore = await snapshotOf(A.admin.orgId);
    const aFiles = await filesOf(A.admin.orgId);
    const bFiles = await filesOf(B.admin.orgId);
    expect(bFiles).toEqual([B.attachmentId]);
    expect(aFiles).toEqual([A.attachmentId]);
    const requests: [Method, string][] = [
      ['GET', `/api/v1/tasks/${B.taskId}/attachments`],
      ['GET', `/api/v1/tasks/${B.taskId}/attachments/${B.attachmentId}`],
      ['DELETE', `/api/v1/tasks/${B.taskId}/attachments/${B.attachmentId}`],
    ];
    for (const [method, url] of requests) {
      const res = await api(A.admin, method, url);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404);
      expect(res.json().type).toBe('urn:bul:error:not-found');
      expect(res.body).not.toContain('notes of organization B');
    }
    const upload = await uploadTo(A.admin, B.taskId, 'planted.txt', Buffer.from('planted by A\n'));
    expect(upload.statusCode, upload.body).toBe(404);
    expect(upload.json().type).toBe('urn:bul:error:not-found');
    // B's file is still there with its bytes; A got no file and no row; nothing is waiting
    expect(await filesOf(B.admin.orgId)).toEqual(bFiles);
    expect(await readFile(path.join(t.config.dataDir, 'files', B.admin.orgId, B.attachmentId))).toEqual(
      B.attachmentContent,
    );
    expect(await filesOf(A.admin.orgId)).toEqual(aFiles);
    expect(existsSync(path.join(t.config.dataDir, 'files', '.incoming'))).toBe(true);
    expect(await readdir(path.join(t.config.dataDir, 'files', '.incoming'))).toEqual([]);
    const after = await snapshotOf(B.admin.orgId);
    const aAfter = await snapshotOf(A.admin.orgId);
    for (const snap of [before, after, aBefore, aAfter]) delete snap.usage_counters;
    expect(after).toEqual(before);
    expect(aAfter).toEqual(aBefore);
  });

  it('exports only the caller’s organization: B’s CSV/JSON/XLSX exports hold none of A’s rows, with or without filters', async () => {
    const aIds = [A.clientId, A.projectId, A.taskId];
    const bIds = [B.clientId, B.projectId, B.taskId];
    for (const [who, own, foreign] of [
      [B, bIds, aIds],
      [A, aIds, bIds],
    ] as const) {
      for (const resource of ['clients', 'projects', 'tasks'] as const) {
        const json = await api(who.admin, 'GET', `/api/v1/${resource}/export?format=json`);
        expect(json.statusCode, json.body).toBe(200);
        const rowIds = (JSON.parse(json.body) as { id: string }[]).map((r) => r.id);
        expect(rowIds.length, resource).toBeGreaterThan(0);
        expect(
          rowIds.some((id) => own.includes(id)),
          `${resource} has the caller's rows`,
        ).toBe(true);
        for (const id of foreign) expect(rowIds, `${resource} JSON`).not.toContain(id);
        expect(json.body).not.toContain(who === B ? 'Org A' : 'Org B');
        expect(json.body).not.toContain(who === B ? 'Task A' : 'Task B');
        const csvRes = await api(who.admin, 'GET', `/api/v1/${resource}/export?format=csv`);
        const csvIds = (parseCsvSync(csvRes.rawPayload, { bom: true }) as string[][])
          .slice(1)
          .map((r) => r[0]);
        expect(csvIds.sort(), `${resource} CSV`).toEqual([...rowIds].sort());
        const xlsx = await api(who.admin, 'GET', `/api/v1/${resource}/export?format=xlsx`);
        expect(xlsx.statusCode).toBe(200);
        for (const id of foreign)
          expect(xlsx.rawPayload.includes(Buffer.from(id)), `${resource} XLSX`).toBe(false);
      }
    }
    // Filters naming the other organization's ids find nothing (not the other's rows).
    for (const url of [
      `/api/v1/tasks/export?format=json&projectId=${A.projectId}`,
      `/api/v1/tasks/export?format=json&assigneeId=${A.member.userId}`,
      `/api/v1/tasks/export?format=json&clientId=${A.clientId}`,
      `/api/v1/projects/export?format=json&clientId=${A.clientId}`,
      `/api/v1/clients/export?format=json&ownerId=${A.member.userId}`,
      '/api/v1/tasks/export?format=json&q=Task%20A',
    ]) {
      const res = await api(B.admin, 'GET', url);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      expect(JSON.parse(res.body), url).toEqual([]);
    }
  });

  it('resolves names in imports within the caller’s organization only (B’s project, client and members are unknown to A)', async () => {
    const before = await snapshotOf(B.admin.orgId);
    const aBefore = await snapshotOf(A.admin.orgId);
    const importCsv = async (resource: string, content: string) => {
      const form = new FormData();
      form.append('file', new Blob([content]), `${resource}.csv`);
      const res = new Response(form);
      return t.request({
        method: 'POST',
        url: `/api/v1/${resource}/import`,
        headers: { ...A.admin.headers, 'content-type': res.headers.get('content-type')! },
        payload: Buffer.from(await res.arrayBuffer()),
      });
    };
    const cases: [string, string, { row: number; column: string }[]][] = [
      [
        'tasks',
        `project,title,assigneeEmail\nProject B,Into B,\nProject A,For B's member,${B.member.email}\n`,
        [
          { row: 2, column: 'project' },
          { row: 3, column: 'assigneeEmail' },
        ],
      ],
      [
        'projects',
        `name,client,ownerEmail\nFor B client,Client B,\nOwned by B,,${B.admin.email}\n`,
        [
          { row: 2, column: 'client' },
          { row: 3, column: 'ownerEmail' },
        ],
      ],
      ['clients', `name,ownerEmail\nOwned by B,${B.member.email}\n`, [{ row: 2, column: 'ownerEmail' }]],
    ];
    for (const [resource, content, expected] of cases) {
      const res = await importCsv(resource, content);
      expect(res.statusCode, `${resource}: ${res.body}`).toBe(422);
      expect(res.json().type).toBe('urn:bul:error:import-invalid');
      expect(
        (res.json().rowErrors as { row: number; column: string }[]).map(({ row, column }) => ({
          row,
          column,
        })),
        resource,
      ).toEqual(expected);
    }
    const after = await snapshotOf(B.admin.orgId);
    const aAfter = await snapshotOf(A.admin.orgId);
    for (const snap of [before, after, aBefore, aAfter]) delete snap.usage_counters;
    expect(after).toEqual(before);
    expect(aAfter).toEqual(aBefore);
  });

  it('refuses 400 naming the field when a body carries an id of another organization (roleId, departmentId, parentId of B)', async () => {
    const before = await snapshotOf(A.admin.orgId);
    const cases: [Method, string, Record<string, unknown> | undefined, string][] = [
      ['PATCH', `/api/v1/members/${A.memberMembershipId}`, { roleId: B.roleId }, 'roleId'],
      ['PATCH', `/api/v1/members/${A.memberMembershipId}`, { departmentId: B.departmentId }, 'departmentId'],
      ['POST', '/api/v1/invitations', { email: uniqueEmail('cross'), roleId: B.roleId }, 'roleId'],
      [
        'POST',
        '/api/v1/invitations',
        { email: uniqueEmail('cross'), roleId: A.roleId, departmentId: B.departmentId },
        'departmentId',
      ],
      ['POST', '/api/v1/departments', { name: 'Under B', parentId: B.departmentId }, 'parentId'],
      ['PATCH', `/api/v1/departments/${A.departmentId}`, { parentId: B.departmentId }, 'parentId'],
      // work management
      ['POST', '/api/v1/clients', { name: 'Owned by B', ownerId: B.admin.userId }, 'ownerId'],
      ['PATCH', `/api/v1/clients/${A.clientId}`, { ownerId: B.member.userId }, 'ownerId'],
      ['POST', '/api/v1/projects', { name: 'For B client', clientId: B.clientId }, 'clientId'],
      ['POST', '/api/v1/projects', { name: 'In B dept', departmentId: B.departmentId }, 'departmentId'],
      ['POST', '/api/v1/projects', { name: 'Owned by B', ownerId: B.admin.userId }, 'ownerId'],
      ['PATCH', `/api/v1/projects/${A.projectId}`, { clientId: B.clientId }, 'clientId'],
      ['PATCH', `/api/v1/projects/${A.projectId}`, { departmentId: B.departmentId }, 'departmentId'],
      ['POST', '/api/v1/tasks', { projectId: B.projectId, title: 'In B project' }, 'projectId'],
      [
        'POST',
        '/api/v1/tasks',
        { projectId: A.projectId, title: 'For B', assigneeId: B.member.userId },
        'assigneeId',
      ],
      ['PATCH', `/api/v1/tasks/${A.taskId}`, { projectId: B.projectId }, 'projectId'],
      ['PATCH', `/api/v1/tasks/${A.taskId}`, { assigneeId: B.admin.userId }, 'assigneeId'],
      [
        'POST',
        `/api/v1/tasks/${A.taskId}/time-entries`,
        { spentOn: '2025-01-01', minutes: 5, userId: B.member.userId },
        'userId',
      ],
      ['PUT', `/api/v1/tasks/${A.taskId}/watchers/${B.member.userId}`, undefined, 'userId'],
    ];
    // business data (where its routes exist)
    const business: [string, Method, string, Record<string, unknown>, string][] = [
      [
        '/api/v1/contracts',
        'POST',
        '/api/v1/contracts',
        {
          clientId: B.clientId,
          name: 'x',
          amountMinor: 1,
          billingInterval: 'month',
          startDate: '2025-01-01',
        },
        'clientId',
      ],
      [
        '/api/v1/invoices',
        'POST',
        '/api/v1/invoices',
        { clientId: B.clientId, number: 'X-1', issuedOn: '2025-01-01', dueOn: '2025-01-02', amountMinor: 1 },
        'clientId',
      ],
      ['/api/v1/deals', 'POST', '/api/v1/deals', { title: 'x', clientId: B.clientId }, 'clientId'],
      ['/api/v1/deals', 'POST', '/api/v1/deals', { title: 'x', ownerId: B.admin.userId }, 'ownerId'],
      ['/api/v1/feedback', 'POST', '/api/v1/feedback', { projectId: B.projectId, score: 3 }, 'projectId'],
      ['/api/v1/feedback', 'POST', '/api/v1/feedback', { clientId: B.clientId, score: 3 }, 'clientId'],
      [
        '/api/v1/contracts/{id}',
        'PATCH',
        `/api/v1/contracts/${A.contractId}`,
        { clientId: B.clientId },
        'clientId',
      ],
      [
        '/api/v1/invoices/{id}',
        'PATCH',
        `/api/v1/invoices/${A.invoiceId}`,
        { clientId: B.clientId },
        'clientId',
      ],
      ['/api/v1/deals/{id}', 'PATCH', `/api/v1/deals/${A.dealId}`, { clientId: B.clientId }, 'clientId'],
      [
        '/api/v1/feedback/{id}',
        'PATCH',
        `/api/v1/feedback/${A.feedbackId}`,
        { projectId: B.projectId },
        'projectId',
      ],
    ];
    for (const [route, method, url, payload, field] of business) {
      if (hasRoute(route, method)) cases.push([method, url, payload, field]);
    }
    for (const [method, url, payload, field] of cases) {
      const res = await api(A.admin, method, url, payload);
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(payload)}: ${res.body}`).toBe(400);
      expect(res.json().type).toBe('urn:bul:error:validation-failed');
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const after = await snapshotOf(A.admin.orgId);
    delete before.usage_counters;
    delete after.usage_counters;
    expect(after).toEqual(before);
  });

  it('refuses 403 forbidden when A names organization B in X-Organization-ID', async () => {
    const res = await t.request({
      method: 'GET',
      url: `/api/v1/departments/${B.departmentId}`,
      headers: { ...A.admin.headers, 'x-organization-id': B.admin.orgId },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().type).toBe('urn:bul:error:forbidden');
  });

  it('does not list B rows in A lists', async () => {
    const lists: [string, string][] = [
      ['/api/v1/members', B.memberMembershipId],
      ['/api/v1/departments', B.departmentId],
      ['/api/v1/roles', B.roleId],
      ['/api/v1/invitations', B.invitationId],
      ['/api/v1/api-keys', B.apiKeyId],
      ['/api/v1/ip-rules', B.ipRuleId],
      ['/api/v1/clients', B.clientId],
      ['/api/v1/projects', B.projectId],
      ['/api/v1/tasks', B.taskId],
      [`/api/v1/tasks?projectId=${B.projectId}`, B.taskId],
      [`/api/v1/projects?clientId=${B.clientId}`, B.projectId],
      [`/api/v1/tasks?assigneeId=${B.member.userId}`, B.taskId],
      ['/api/v1/contracts', B.contractId],
      ['/api/v1/invoices', B.invoiceId],
      ['/api/v1/deals', B.dealId],
      ['/api/v1/feedback', B.feedbackId],
    ];
    for (const [url, bId] of lists) {
      if (!hasRoute(url.split('?')[0]!, 'GET')) continue;
      // Filters naming B's ids find nothing at all; plain lists find A's rows only.
      if (url.includes('?')) {
        const filtered = await api(A.admin, 'GET', url);
        expect(filtered.statusCode, url).toBe(200);
        expect(filtered.json().items, url).toEqual([]);
        continue;
      }
      const res = await api(A.admin, 'GET', url);
      expect(res.statusCode, url).toBe(200);
      const ids = (res.json().items as { id: string }[]).map((i) => i.id);
      expect(ids.length, url).toBeGreaterThan(0);
      expect(ids, url).not.toContain(bId);
    }
    const audit = await api(A.admin, 'GET', '/api/v1/audit/search?limit=200');
    expect(audit.statusCode).toBe(200);
    const bEvents = await t.owner<{ id: string }>('SELECT id FROM audit_events WHERE org_id = $1', [
      B.admin.orgId,
    ]);
    const seen = new Set((audit.json().items as { id: string }[]).map((e) => e.id));
    for (const e of bEvents.rows) expect(seen.has(e.id)).toBe(false);
  });
});

// ---- the database itself --------------------------------------------------------------------------

async function appClient(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: t.appUrl });
  await c.connect();
  return c;
}

/** Runs a statement that must fail with `code`, inside a savepoint so the transaction goes on. */
async function expectSqlError(c: pg.Client, sql: string, params: unknown[], code: string): Promise<void> {
  await c.query('SAVEPOINT probe');
  let error: { code?: string; message?: string } | null = null;
  try {
    await c.query(sql, params);
  } catch (err) {
    error = err as { code?: string };
  }
  await c.query('ROLLBACK TO SAVEPOINT probe');
  expect(error, `${sql} should fail with ${code}`).not.toBeNull();
  expect(error!.code, `${sql}: ${error!.message}`).toBe(code);
}

async function actingAs(
  orgId: string | null,
  userId: string | null,
  work: (c: pg.Client) => Promise<void>,
): Promise<void> {
  const c = await appClient();
  try {
    await c.query('BEGIN');
    if (orgId) await c.query("SELECT set_config('app.org_id', $1, true)", [orgId]);
    if (userId) await c.query("SELECT set_config('app.user_id', $1, true)", [userId]);
    await work(c);
    await c.query('ROLLBACK');
  } finally {
    await c.end();
  }
}

describe('row-level security without WHERE', () => {
  it('shows only A rows in every tenant table to a query with no WHERE, though B rows exist', async () => {
    await actingAs(A.admin.orgId, null, async (c) => {
      for (const table of tenantTables) {
        const { rows } = await c.query<{ org_id: string }>(`SELECT org_id FROM ${table}`);
        expect(rows.length, `${table} rows visible to A`).toBeGreaterThan(0);
        expect(new Set(rows.map((r) => r.org_id)), table).toEqual(new Set([A.admin.orgId]));
        const owner = await t.owner<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${table} WHERE org_id = $1`,
          [B.admin.orgId],
        );
        expect(owner.rows[0]!.n, `${table} has B rows`).toBeGreaterThan(0);
      }
    });
  });

  it('shows no tenant row at all when no organization is set', async () => {
    await actingAs(null, null, async (c) => {
      for (const table of tenantTables) {
        const { rows } = await c.query(`SELECT org_id FROM ${table}`);
        expect(rows.length, table).toBe(0);
      }
      const orgs = await c.query('SELECT id FROM organizations');
      expect(orgs.rows).toEqual([]);
    });
  });

  it('shows only organization A itself in organizations', async () => {
    await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
      const { rows } = await c.query<{ id: string }>('SELECT id FROM organizations');
      expect(rows.map((r) => r.id)).toEqual([A.admin.orgId]);
    });
  });

  it('refuses with 42501 an INSERT of a row carrying B org_id while acting as A', async () => {
    await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
      await expectSqlError(
        c,
        "INSERT INTO departments (org_id, id, name) VALUES ($1, gen_random_uuid(), 'smuggled')",
        [B.admin.orgId],
        '42501',
      );
      await expectSqlError(
        c,
        "INSERT INTO ip_rules (org_id, id, cidr, action) VALUES ($1, gen_random_uuid(), '198.51.100.0/24', 'deny')",
        [B.admin.orgId],
        '42501',
      );
      await expectSqlError(
        c,
        `INSERT INTO audit_events (org_id, id, seq, created_at, actor_type, action, prev_hash, hash)
         VALUES ($1, gen_random_uuid(), 0, now(), 'system', 'forged', '', '')`,
        [B.admin.orgId],
        '42501',
      );
      // Moving an A row into B is refused too.
      await expectSqlError(
        c,
        'UPDATE departments SET org_id = $1 WHERE id = $2',
        [B.admin.orgId, A.departmentId],
        '42501',
      );
      // UPDATE and DELETE of B rows find nothing.
      const upd = await c.query("UPDATE departments SET name = 'x' WHERE id = $1", [B.departmentId]);
      expect(upd.rowCount).toBe(0);
      const del = await c.query('DELETE FROM ip_rules WHERE id = $1', [B.ipRuleId]);
      expect(del.rowCount).toBe(0);
    });
    const stillThere = await t.owner('SELECT 1 FROM ip_rules WHERE org_id = $1 AND id = $2', [
      B.admin.orgId,
      B.ipRuleId,
    ]);
    expect(stillThere.rowCount).toBe(1);
  });
});

describe('per-user tables', () => {
  it('shows only the members of A in users when acting as A admin', async () => {
    const members = await t.owner<{ user_id: string }>('SELECT user_id FROM memberships WHERE org_id = $1', [
      A.admin.orgId,
    ]);
    const all = await t.owner<{ n: number }>('SELECT count(*)::int AS n FROM users');
    expect(all.rows[0]!.n).toBeGreaterThan(members.rowCount!);
    await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
      const { rows } = await c.query<{ id: string }>('SELECT * FROM users');
      expect(rows.map((r) => r.id).sort()).toEqual(members.rows.map((r) => r.user_id).sort());
      expect(rows.map((r) => r.id)).not.toContain(B.admin.userId);
      expect(rows.map((r) => r.id)).not.toContain(B.member.userId);
    });
  });

  it('shows only the own rows of app.user_id in sessions, refresh_tokens and mfa_recovery_codes', async () => {
    for (const table of ['sessions', 'refresh_tokens', 'mfa_recovery_codes']) {
      const own = await t.owner<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE user_id = $1`, [
        A.admin.userId,
      ]);
      const others = await t.owner<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${table} WHERE user_id <> $1`,
        [A.admin.userId],
      );
      expect(own.rows[0]!.n, `${table} rows of A admin`).toBeGreaterThan(0);
      expect(others.rows[0]!.n, `${table} rows of others`).toBeGreaterThan(0);
      await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
        const { rows } = await c.query<{ user_id: string }>(`SELECT user_id FROM ${table}`);
        expect(rows.length, table).toBe(own.rows[0]!.n);
        expect(new Set(rows.map((r) => r.user_id)), table).toEqual(new Set([A.admin.userId]));
      });
      // A member of the same organization does not see the admin's rows either.
      await actingAs(A.admin.orgId, A.member.userId, async (c) => {
        const { rows } = await c.query<{ user_id: string }>(`SELECT user_id FROM ${table}`);
        expect(rows.map((r) => r.user_id)).not.toContain(A.admin.userId);
      });
    }
  });
});

describe('privileges of the application role', () => {
  it('owns no table, is not superuser and cannot bypass row-level security', async () => {
    const c = await appClient();
    try {
      const me = (await c.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
      expect(me).toBe(t.config.databaseAppRole);
      const owned = await c.query(
        `SELECT schemaname, tablename, tableowner FROM pg_tables
         WHERE tableowner = current_user OR pg_has_role(current_user, tableowner, 'MEMBER')`,
      );
      expect(owned.rows).toEqual([]);
      const roles = await c.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>(
        `SELECT rolname, rolsuper, rolbypassrls FROM pg_roles
         WHERE rolname = current_user OR pg_has_role(current_user, oid, 'MEMBER')`,
      );
      expect(roles.rows.map((r) => r.rolname)).toContain(me);
      for (const r of roles.rows) {
        expect(r.rolsuper, `${r.rolname} superuser`).toBe(false);
        expect(r.rolbypassrls, `${r.rolname} bypassrls`).toBe(false);
      }
      // Every tenant table really has row-level security switched on.
      const rls = await c.query<{ relname: string; relrowsecurity: boolean }>(
        "SELECT relname, relrowsecurity FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname = ANY($1)",
        [tenantTables],
      );
      expect(rls.rows.length).toBe(tenantTables.length);
      for (const r of rls.rows) expect(r.relrowsecurity, r.relname).toBe(true);
    } finally {
      await c.end();
    }
  });

  it('cannot UPDATE or DELETE audit_events (42501)', async () => {
    await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
      await expectSqlError(c, "UPDATE audit_events SET action = 'tampered'", [], '42501');
      await expectSqlError(c, 'DELETE FROM audit_events', [], '42501');
      await expectSqlError(c, 'TRUNCATE audit_events', [], '42501');
    });
  });

  it('cannot read or write audit_chain_heads (42501)', async () => {
    await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
      await expectSqlError(c, 'SELECT * FROM audit_chain_heads', [], '42501');
      await expectSqlError(
        c,
        "UPDATE audit_chain_heads SET last_hash = repeat('0', 64) WHERE org_id = $1",
        [A.admin.orgId],
        '42501',
      );
      await expectSqlError(
        c,
        "INSERT INTO audit_chain_heads (org_id, last_seq, last_hash) VALUES (gen_random_uuid(), 0, '')",
        [],
        '42501',
      );
      await expectSqlError(c, 'DELETE FROM audit_chain_heads', [], '42501');
    });
  });

  it('cannot set users.is_super_admin, not even on its own user (42501)', async () => {
    await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
      await expectSqlError(
        c,
        'UPDATE users SET is_super_admin = true WHERE id = $1',
        [A.admin.userId],
        '42501',
      );
      await expectSqlError(
        c,
        "INSERT INTO users (id, email, name, is_super_admin) VALUES ($1, 'x@example.com', 'x', true)",
        [A.admin.userId],
        '42501',
      );
    });
    const { rows } = await t.owner<{ s: boolean }>('SELECT is_super_admin AS s FROM users WHERE id = $1', [
      A.admin.userId,
    ]);
    expect(rows[0]!.s).toBe(false);
  });

  it('cannot call bul_audit_verify(uuid) directly (42501)', async () => {
    await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
      await expectSqlError(c, 'SELECT * FROM bul_audit_verify($1)', [B.admin.orgId], '42501');
      // The narrow door verifies only the organization acted for.
      const { rows } = await c.query<{ ok: boolean; checked: number }>(
        'SELECT * FROM bul_audit_verify_current()',
      );
      expect(rows[0]!.ok).toBe(true);
      const aEvents = await t.owner<{ n: number }>(
        'SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1',
        [A.admin.orgId],
      );
      expect(rows[0]!.checked).toBe(aEvents.rows[0]!.n);
    });
  });

  it('cannot CREATE TABLE in the public schema (42501)', async () => {
    await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
      await expectSqlError(c, 'CREATE TABLE public.sneaky (id int)', [], '42501');
      await expectSqlError(c, 'CREATE TABLE sneaky (id int)', [], '42501');
    });
  });
});
