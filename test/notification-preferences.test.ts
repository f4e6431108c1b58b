// Notification rules, members' own preferences, settings and addresses, and delivery analytics
// (issue 16 items 3 and 5): the rules API with the built-ins a new organization starts with,
// recipients checked against the organization (field names, in Spanish too), preferences, quiet
// hours and addresses proven end to end through the send API's skips and holds, and analytics
// figures asserted exactly from statuses and timestamps set as the database owner.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_RULES } from '../src/modules/notifications/builtin-rules.ts';
import { newId } from '../src/platform/db/ids.ts';
import { apiHelpers } from './support/api-helpers.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import { addMember, createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let admin: Session;
let adminB: Session;
let member: Session;
const { api, auditTrail } = apiHelpers(
  () => t,
  () => admin,
);
const ES = { 'accept-language': 'es' };

beforeAll(async () => {
  // A platform e-mail relay makes e-mail sendable; this app runs no delivery runner, so nothing
  // is ever sent to it and queued notifications stay as the planner made them.
  t = await createTestApp({ SMTP_HOST: '127.0.0.1', SMTP_PORT: '9' });
  admin = await signUp(t, { orgName: 'Prefs A' });
  adminB = await signUp(t, { orgName: 'Prefs B' });
  // Room for the members the tests add (the Free plan has 5).
  await t.owner(`UPDATE organizations SET plan_id = 'business' WHERE id = $1`, [admin.orgId]);
  member = await addMember(t, admin, 'user');
});

afterAll(async () => {
  await t?.close();
});

/** Sets up a provider of `kind` for the organization, as the database owner (no calls are made). */
async function channelOf(orgId: string, kind: 'sms' | 'whatsapp') {
  const id = newId();
  await t.owner(
    `INSERT INTO notification_channels (org_id, id, kind, name, position, config) VALUES ($1, $2, $3, $4, 1, '{}')`,
    [orgId, id, kind, `test ${kind}`],
  );
  return id;
}

interface SentNotification {
  id: string;
  channel: string;
  status: string;
  skipReason: string | null;
  heldUntil: string | null;
  recipientUserId: string | null;
}

/** Sends a one-off message (event type message.custom) as the admin; answers its notifications. */
async function send(userIds: string[], channels: string[], priority = 'normal'): Promise<SentNotification[]> {
  const res = await api(admin, 'POST', '/notifications/send', {
    to: { userIds },
    channels,
    priority,
    message: { subject: 'Hello', body: 'Hello {{ recipient.name }}' },
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().notifications;
}

const only = <T>(list: T[]): T => {
  expect(list).toHaveLength(1);
  return list[0]!;
};

async function roleId(s: Session, key: string): Promise<string> {
  const res = await api(s, 'GET', '/roles');
  return (res.json().items as { id: string; key: string | null }[]).find((r) => r.key === key)!.id;
}

describe('notification rules', () => {
  it('lists the built-in rules to a new organization, which can tune and disable but not delete them', async () => {
    const fresh = await signUp(t, { orgName: 'Fresh' });
    const res = await api(fresh, 'GET', '/notifications/rules');
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as { id: string; builtinKey: string | null; eventType: string }[];
    expect(items.map((r) => r.builtinKey).sort()).toEqual(BUILTIN_RULES.map((r) => r.key).sort());
    const assigned = items.find((r) => r.builtinKey === 'task_assigned')!;
    expect(assigned).toMatchObject({
      eventType: 'task.assigned',
      recipients: [{ kind: 'assignee' }],
      channels: ['in_app', 'email'],
      priority: 'normal',
      notifyActor: false,
      enabled: true,
      version: 1,
    });
    // Listing again installs nothing twice.
    const again = await api(fresh, 'GET', '/notifications/rules');
    expect(again.json().items).toHaveLength(BUILTIN_RULES.length);

    const del = await api(fresh, 'DELETE', `/notifications/rules/${assigned.id}`);
    const problem = expectProblem(del, 409, 'conflict');
    expect(problem.detail).toMatch(/disable it/);
    const delEs = await api(fresh, 'DELETE', `/notifications/rules/${assigned.id}`, undefined, ES);
    expect(expectProblem(delEs, 409, 'conflict').detail).toMatch(/desactívela/);

    const off = await api(fresh, 'PATCH', `/notifications/rules/${assigned.id}`, {
      enabled: false,
      channels: ['in_app'],
    });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json()).toMatchObject({
      enabled: false,
      channels: ['in_app'],
      builtinKey: 'task_assigned',
      version: 2,
    });
    const kept = (await api(fresh, 'GET', '/notifications/rules')).json().items as { id: string }[];
    expect(kept.map((r) => r.id)).toContain(assigned.id);
  });

  it('creates, reads, changes (If-Match) and deletes a rule, audited', async () => {
    const manager = await roleId(admin, 'manager');
    const dept = await api(admin, 'POST', '/departments', { name: 'Support' });
    expect(dept.statusCode, dept.body).toBe(201);
    const created = await api(admin, 'POST', '/notifications/rules', {
      name: 'Deals for managers',
      eventType: 'deal.created',
      recipients: [
        { kind: 'role', roleId: manager },
        { kind: 'department', departmentId: dept.json().id },
        { kind: 'permission', permission: 'business:manage' },
        { kind: 'users', userIds: [member.userId] },
      ],
      channels: ['in_app', 'email'],
      priority: 'high',
    });
    expect(created.statusCode, created.body).toBe(201);
    const rule = created.json();
    expect(rule).toMatchObject({
      name: 'Deals for managers',
      eventType: 'deal.created',
      priority: 'high',
      notifyActor: false,
      enabled: true,
      builtinKey: null,
      version: 1,
    });
    expect(rule.recipients).toHaveLength(4);
    expect((await api(admin, 'GET', `/notifications/rules/${rule.id}`)).json()).toEqual(rule);

    const stale = await api(
      admin,
      'PATCH',
      `/notifications/rules/${rule.id}`,
      { name: 'Renamed' },
      { 'if-match': '"7"' },
    );
    expectProblem(stale, 412, 'precondition-failed');
    const renamed = await api(
      admin,
      'PATCH',
      `/notifications/rules/${rule.id}`,
      { name: 'Renamed', notifyActor: true },
      { 'if-match': '"1"' },
    );
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'Renamed', notifyActor: true, version: 2 });

    const del = await api(admin, 'DELETE', `/notifications/rules/${rule.id}`);
    expect(del.statusCode, del.body).toBe(204);
    expectProblem(await api(admin, 'GET', `/notifications/rules/${rule.id}`), 404, 'not-found');
    expectProblem(await api(admin, 'DELETE', `/notifications/rules/${rule.id}`), 404, 'not-found');

    const trail = await auditTrail('notification_rule', rule.id);
    expect(trail.map((e) => e.action)).toEqual([
      'notification_rule.create',
      'notification_rule.update',
      'notification_rule.delete',
    ]);
    expect(trail[1]!.changes).toEqual({
      name: { before: 'Deals for managers', after: 'Renamed' },
      notifyActor: { before: false, after: true },
    });
  });

  it('refuses recipients the organization lacks, naming each field (in Spanish too)', async () => {
    const otherOrgsRole = await roleId(adminB, 'manager');
    const body = {
      name: 'Broken',
      eventType: 'task.created',
      recipients: [
        { kind: 'assignee' },
        { kind: 'role', roleId: otherOrgsRole },
        { kind: 'department', departmentId: newId() },
        { kind: 'users', userIds: [member.userId, adminB.userId] },
      ],
      channels: ['in_app'],
    };
    const before = (await api(admin, 'GET', '/notifications/rules')).json().items.length;
    const res = await api(admin, 'POST', '/notifications/rules', body);
    const problem = expectFieldError(res, 'recipients.1.roleId', 'exists');
    expect(problem.errors.map((e: { field: string }) => e.field)).toEqual([
      'recipients.1.roleId',
      'recipients.2.departmentId',
      'recipients.3.userIds.1',
    ]);
    expect(problem.errors[0].message).toBe(`no role ${otherOrgsRole} in this organization`);

    const es = await api(admin, 'POST', '/notifications/rules', body, ES);
    const esProblem = expectFieldError(es, 'recipients.2.departmentId', 'exists');
    expect(esProblem.errors[0].message).toBe(`No hay ningún rol ${otherOrgsRole} en esta organización`);
    expect(esProblem.errors[2].message).toBe(`${adminB.userId} no es un miembro activo de esta organización`);
    expect((await api(admin, 'GET', '/notifications/rules')).json().items).toHaveLength(before);

    // The same check on a change.
    const own = await api(admin, 'POST', '/notifications/rules', {
      ...body,
      recipients: [{ kind: 'assignee' }],
    });
    expect(own.statusCode, own.body).toBe(201);
    const patch = await api(admin, 'PATCH', `/notifications/rules/${own.json().id}`, {
      recipients: [{ kind: 'watchers' }, { kind: 'role', roleId: newId() }],
    });
    expectFieldError(patch, 'recipients.1.roleId', 'exists');

    // Event types outside the catalogue, and the inbox's own announcement, are refused by the schema.
    for (const eventType of ['task.exploded', 'notification.created'])
      expectFieldError(
        await api(admin, 'POST', '/notifications/rules', {
          ...body,
          eventType,
          recipients: [{ kind: 'assignee' }],
        }),
        'eventType',
      );
    expectFieldError(
      await api(admin, 'POST', '/notifications/rules', {
        ...body,
        recipients: [{ kind: 'permission', permission: 'platform:admin' }],
      }),
      'recipients[0]',
    );
  });

  it('is for those with notifications:manage only', async () => {
    const list = await api(member, 'GET', '/notifications/rules');
    expect(expectProblem(list, 403, 'forbidden').permission).toBe('notifications:manage');
    expectProblem(
      await api(member, 'POST', '/notifications/rules', {
        name: 'x',
        eventType: 'task.created',
        recipients: [{ kind: 'assignee' }],
        channels: ['in_app'],
      }),
      403,
      'forbidden',
    );
    expectProblem(await api(member, 'GET', '/notifications/analytics'), 403, 'forbidden');
  });
});

describe('my preferences', () => {
  it('round-trips the whole set and lists what the organization notifies about', async () => {
    const m = await addMember(t, admin, 'user');
    const empty = await api(m, 'GET', '/me/notifications/preferences');
    expect(empty.statusCode, empty.body).toBe(200);
    expect(empty.json().items).toEqual([]);
    const eventTypes = empty.json().eventTypes as { eventType: string; channels: string[] }[];
    expect(eventTypes.find((e) => e.eventType === 'security.locked_out')).toEqual({
      eventType: 'security.locked_out',
      channels: ['email', 'in_app'],
    });

    const items = [
      { eventType: '*', channel: 'sms', enabled: false },
      { eventType: 'comment.added', channel: '*', enabled: false },
      { eventType: 'comment.added', channel: 'in_app', enabled: true },
    ];
    const put = await api(m, 'PUT', '/me/notifications/preferences', { items });
    expect(put.statusCode, put.body).toBe(200);
    const sorted = [items[0], items[2], items[1]].sort(
      (a, b) => a!.eventType.localeCompare(b!.eventType) || a!.channel.localeCompare(b!.channel),
    );
    expect(put.json().items).toEqual(sorted);
    expect((await api(m, 'GET', '/me/notifications/preferences')).json().items).toEqual(sorted);

    // Replacing means replacing: what is not sent again is gone.
    const replaced = await api(m, 'PUT', '/me/notifications/preferences', {
      items: [{ eventType: 'task.assigned', channel: 'email', enabled: false }],
    });
    expect(replaced.json().items).toEqual([{ eventType: 'task.assigned', channel: 'email', enabled: false }]);
    // Another member's set is their own.
    expect((await api(member, 'GET', '/me/notifications/preferences')).json().items).toEqual([]);

    expectFieldError(
      await api(m, 'PUT', '/me/notifications/preferences', {
        items: [{ eventType: 'task.exploded', channel: 'email', enabled: false }],
      }),
      'items[0].eventType',
    );
    expectFieldError(
      await api(m, 'PUT', '/me/notifications/preferences', {
        items: [{ eventType: '*', channel: 'pigeon', enabled: false }],
      }),
      'items[0].channel',
    );
  });

  it('an opt-out of in_app for one-off messages skips that notification, not the e-mail', async () => {
    const m = await addMember(t, admin, 'user');
    const put = await api(m, 'PUT', '/me/notifications/preferences', {
      items: [{ eventType: 'message.custom', channel: 'in_app', enabled: false }],
    });
    expect(put.statusCode, put.body).toBe(200);
    const sent = await send([m.userId], ['in_app', 'email']);
    expect(only(sent.filter((n) => n.channel === 'in_app'))).toMatchObject({
      status: 'skipped',
      skipReason: 'opted_out',
      recipientUserId: m.userId,
    });
    expect(only(sent.filter((n) => n.channel === 'email'))).toMatchObject({
      status: 'queued',
      skipReason: null,
    });
    // Nothing reached the inbox.
    expect((await api(m, 'GET', '/me/notifications/unread-count')).json()).toEqual({ unread: 0 });

    // Opting out of every channel of the event type with '*' wins over nothing, lost to a specific on.
    await api(m, 'PUT', '/me/notifications/preferences', {
      items: [
        { eventType: 'message.custom', channel: '*', enabled: false },
        { eventType: 'message.custom', channel: 'email', enabled: true },
      ],
    });
    const again = await send([m.userId], ['in_app', 'email']);
    expect(again.find((n) => n.channel === 'in_app')).toMatchObject({
      status: 'skipped',
      skipReason: 'opted_out',
    });
    expect(again.find((n) => n.channel === 'email')).toMatchObject({ status: 'queued' });
  });
});

describe('my settings: time zone and quiet hours', () => {
  it('round-trips and refuses a zone or clock that is not one', async () => {
    const m = await addMember(t, admin, 'user');
    expect((await api(m, 'GET', '/me/notifications/settings')).json()).toEqual({
      timeZone: null,
      quietHours: null,
    });
    const body = { timeZone: 'America/New_York', quietHours: { start: '22:00', end: '07:00' } };
    const put = await api(m, 'PUT', '/me/notifications/settings', body);
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toEqual(body);
    expect((await api(m, 'GET', '/me/notifications/settings')).json()).toEqual(body);

    const zone = await api(m, 'PUT', '/me/notifications/settings', {
      timeZone: 'Mars/Base',
      quietHours: null,
    });
    expect(expectFieldError(zone, 'timeZone', 'timeZone').errors[0].message).toContain('Mars/Base');
    const offset = await api(m, 'PUT', '/me/notifications/settings', {
      timeZone: '+05:30',
      quietHours: null,
    });
    expectFieldError(offset, 'timeZone', 'timeZone');
    const clock = await api(m, 'PUT', '/me/notifications/settings', {
      timeZone: null,
      quietHours: { start: '25:00', end: '07:00' },
    });
    expectFieldError(clock, 'quietHours.start', 'clock');
    const clockEs = await api(
      m,
      'PUT',
      '/me/notifications/settings',
      { timeZone: null, quietHours: { start: '22:00', end: '7:60' } },
      ES,
    );
    expect(expectFieldError(clockEs, 'quietHours.end', 'clock').errors[0].message).toBe(
      '«7:60» no es una hora del día HH:MM entre 00:00 y 23:59',
    );
    // Nothing refused was saved.
    expect((await api(m, 'GET', '/me/notifications/settings')).json()).toEqual(body);

    const cleared = await api(m, 'PUT', '/me/notifications/settings', { timeZone: null, quietHours: null });
    expect(cleared.json()).toEqual({ timeZone: null, quietHours: null });
  });

  it('holds a normal e-mail until quiet hours end in the member’s zone; a critical one is not held', async () => {
    const m = await addMember(t, admin, 'user');
    const zone = 'Asia/Tokyo';
    const clockAt = (d: Date) =>
      new Intl.DateTimeFormat('en-GB', {
        timeZone: zone,
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(d);
    const now = new Date();
    // A window from an hour ago to an hour from now, local to Tokyo (wrapping midnight if need be).
    const start = clockAt(new Date(now.getTime() - 3_600_000));
    const end = clockAt(new Date(now.getTime() + 3_600_000));
    const put = await api(m, 'PUT', '/me/notifications/settings', {
      timeZone: zone,
      quietHours: { start, end },
    });
    expect(put.statusCode, put.body).toBe(200);

    const normal = only(await send([m.userId], ['email']));
    expect(normal.status).toBe('queued');
    expect(normal.heldUntil).not.toBeNull();
    const held = new Date(normal.heldUntil!);
    expect(held.getTime()).toBeGreaterThan(now.getTime());
    expect(clockAt(held)).toBe(end);
    expect(held.getUTCSeconds()).toBe(0);
    const logged = await api(admin, 'GET', `/notifications/deliveries/${normal.id}`);
    expect(logged.statusCode, logged.body).toBe(200);
    expect(logged.json()).toMatchObject({ heldUntil: normal.heldUntil, nextAttemptAt: normal.heldUntil });

    const critical = only(await send([m.userId], ['email'], 'critical'));
    expect(critical.status).toBe('queued');
    expect(critical.heldUntil).toBeNull();
    expect((await api(admin, 'GET', `/notifications/deliveries/${critical.id}`)).json().heldUntil).toBeNull();
  });
});

describe('my addresses', () => {
  it('keeps phone numbers in E.164 and push tokens, each member their own', async () => {
    const m = await addMember(t, admin, 'user');
    for (const address of ['4155550123', '+0155550123', '+1 415 555 0123', '+12345'])
      expect(
        expectFieldError(
          await api(m, 'POST', '/me/notifications/addresses', { channel: 'sms', address }),
          'address',
          'e164',
        ).errors[0].message,
      ).toMatch(/E\.164/);
    expectFieldError(
      await api(m, 'POST', '/me/notifications/addresses', { channel: 'push', address: 'x'.repeat(4097) }),
      'address',
      'maxLength',
    );
    expectFieldError(
      await api(m, 'POST', '/me/notifications/addresses', { channel: 'email', address: 'a@example.com' }),
      'channel',
    );

    const phone = await api(m, 'POST', '/me/notifications/addresses', {
      channel: 'whatsapp',
      address: '+5511987654321',
      label: 'Mobile',
    });
    expect(phone.statusCode, phone.body).toBe(201);
    expect(phone.json()).toMatchObject({ channel: 'whatsapp', address: '+5511987654321', label: 'Mobile' });
    const token = 'f'.repeat(40) + ':APA91b'.padEnd(4000, 'x');
    const push = await api(m, 'POST', '/me/notifications/addresses', { channel: 'push', address: token });
    expect(push.statusCode, push.body).toBe(201);
    const list = await api(m, 'GET', '/me/notifications/addresses');
    expect(list.json().items.map((a: { id: string }) => a.id)).toEqual([phone.json().id, push.json().id]);
    expect((await api(member, 'GET', '/me/notifications/addresses')).json().items).toEqual([]);

    // Another member cannot remove mine.
    expectProblem(
      await api(member, 'DELETE', `/me/notifications/addresses/${phone.json().id}`),
      404,
      'not-found',
    );
    expect((await api(m, 'DELETE', `/me/notifications/addresses/${phone.json().id}`)).statusCode).toBe(204);
    expectProblem(await api(m, 'DELETE', `/me/notifications/addresses/${phone.json().id}`), 404, 'not-found');
    expect((await api(m, 'GET', '/me/notifications/addresses')).json().items).toHaveLength(1);
  });

  it('an SMS to a member without a phone number is skipped with no_address; with one it is queued to it', async () => {
    await channelOf(admin.orgId, 'sms');
    const without = await addMember(t, admin, 'user');
    const withPhone = await addMember(t, admin, 'user');
    const added = await api(withPhone, 'POST', '/me/notifications/addresses', {
      channel: 'sms',
      address: '+14155550123',
    });
    expect(added.statusCode, added.body).toBe(201);
    const sent = await send([without.userId, withPhone.userId], ['sms']);
    expect(sent.find((n) => n.recipientUserId === without.userId)).toMatchObject({
      status: 'skipped',
      skipReason: 'no_address',
    });
    expect(sent.find((n) => n.recipientUserId === withPhone.userId)).toMatchObject({
      status: 'queued',
      address: '+14155550123',
    });
  });
});

describe('delivery analytics', () => {
  it('counts, error rate and latency per day × channel × template, totals per channel, WhatsApp rates', async () => {
    // An organization of its own, in São Paulo (UTC−3 all year): 02:00Z is the day before, locally.
    const owner = await signUp(t, { orgName: 'Analytics' });
    await t.owner('UPDATE organizations SET timezone = $1 WHERE id = $2', ['America/Sao_Paulo', owner.orgId]);
    const m = await addMember(t, owner, 'user');
    const sendAs = async (channels: string[]) => {
      const res = await api(owner, 'POST', '/notifications/send', {
        to: { userIds: [m.userId] },
        channels,
        message: { body: 'Figures' },
      });
      expect(res.statusCode, res.body).toBe(202);
      return only(res.json().notifications as SentNotification[]).id;
    };
    const set = (id: string, fields: Record<string, unknown>) => {
      const keys = Object.keys(fields);
      return t.owner(
        `UPDATE notifications SET ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')} WHERE id = $1`,
        [id, ...keys.map((k) => fields[k])],
      );
    };
    const day10 = '2026-03-10T12:00:00.000Z';
    const at = (iso: string, ms: number) => new Date(new Date(iso).getTime() + ms).toISOString();
    const email: [string, number | null][] = [
      ['sent', 100],
      ['delivered', 200],
      ['read', 300],
      ['delivered', 400],
      ['failed', null],
      ['dead', null],
      ['skipped', null],
    ];
    for (const [status, latency] of email)
      await set(await sendAs(['email']), {
        status,
        created_at: day10,
        sent_at: latency === null ? null : at(day10, latency),
      });
    // 23:00 on the 9th in São Paulo.
    await set(await sendAs(['email']), {
      status: 'sent',
      created_at: '2026-03-10T02:00:00.000Z',
      sent_at: at('2026-03-10T02:00:00.000Z', 1000),
    });
    // One with the organization's template (version 2).
    const templateId = newId();
    await set(await sendAs(['email']), {
      status: 'delivered',
      created_at: '2026-03-10T13:00:00.000Z',
      sent_at: at('2026-03-10T13:00:00.000Z', 50),
      template_id: templateId,
      template_version: 2,
    });
    // Outside the period: not counted.
    await set(await sendAs(['email']), { status: 'sent', created_at: '2026-02-01T12:00:00.000Z' });

    // WhatsApp: a provider and a number, then four messages and their replies.
    const channelId = await channelOf(owner.orgId, 'whatsapp');
    const phone = await api(m, 'POST', '/me/notifications/addresses', {
      channel: 'whatsapp',
      address: '+5511987654321',
    });
    expect(phone.statusCode, phone.body).toBe(201);
    const day11 = '2026-03-11T15:00:00.000Z';
    const wa: string[] = [];
    for (const [i, status] of ['read', 'delivered', 'sent', 'failed'].entries()) {
      const id = await sendAs(['whatsapp']);
      wa.push(id);
      await set(id, {
        status,
        created_at: day11,
        sent_at: status === 'failed' ? null : at(day11, 500 * (i + 1)),
        channel_id: channelId,
        provider_message_id: `wamid.${i}`,
      });
    }
    const reply = (notificationId: string | null, n: number) =>
      t.owner(
        `INSERT INTO notification_inbound (org_id, id, channel_id, provider_message_id, from_address, text, notification_id, received_at)
         VALUES ($1, $2, $3, $4, '+5511987654321', 'ok', $5, $6)`,
        [owner.orgId, newId(), channelId, `wamid.in.${n}`, notificationId, day11],
      );
    await reply(wa[0]!, 1);
    await reply(wa[1]!, 2);
    await reply(wa[1]!, 3); // a second reply to the same message counts it once
    await reply(null, 4); // a reply matched to nothing

    const res = await api(
      owner,
      'GET',
      '/notifications/analytics?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z',
    );
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-04-01T00:00:00.000Z',
      timeZone: 'America/Sao_Paulo',
    });
    const none = { delivered: 0, read: 0, failed: 0, skipped: 0 };
    expect(body.rows).toEqual([
      {
        day: '2026-03-09',
        channel: 'email',
        eventType: 'message.custom',
        templateId: null,
        templateVersion: null,
        ...none,
        sent: 1,
        errorRate: 0,
        latencyP50Ms: 1000,
        latencyP95Ms: 1000,
      },
      {
        day: '2026-03-10',
        channel: 'email',
        eventType: 'message.custom',
        templateId: null,
        templateVersion: null,
        sent: 4,
        delivered: 3,
        read: 1,
        failed: 2,
        skipped: 1,
        errorRate: 2 / 6,
        // [100, 200, 300, 400]: the median between 200 and 300; p95 at 3 × 0.95 = 2.85 → 300 + 0.85 × 100.
        latencyP50Ms: 250,
        latencyP95Ms: 385,
      },
      {
        day: '2026-03-10',
        channel: 'email',
        eventType: 'message.custom',
        templateId,
        templateVersion: 2,
        ...none,
        sent: 1,
        delivered: 1,
        errorRate: 0,
        latencyP50Ms: 50,
        latencyP95Ms: 50,
      },
      {
        day: '2026-03-11',
        channel: 'whatsapp',
        eventType: 'message.custom',
        templateId: null,
        templateVersion: null,
        sent: 3,
        delivered: 2,
        read: 1,
        failed: 1,
        skipped: 0,
        errorRate: 1 / 4,
        // [500, 1000, 1500]
        latencyP50Ms: 1000,
        latencyP95Ms: 1450,
      },
    ]);
    expect(body.totals).toEqual([
      {
        channel: 'email',
        sent: 6,
        delivered: 4,
        read: 1,
        failed: 2,
        skipped: 1,
        errorRate: 2 / 8,
        // [50, 100, 200, 300, 400, 1000]: median (200 + 300) / 2; p95 at 5 × 0.95 = 4.75 → 400 + 0.75 × 600.
        latencyP50Ms: 250,
        latencyP95Ms: 850,
      },
      {
        channel: 'whatsapp',
        sent: 3,
        delivered: 2,
        read: 1,
        failed: 1,
        skipped: 0,
        errorRate: 1 / 4,
        latencyP50Ms: 1000,
        latencyP95Ms: 1450,
      },
    ]);
    const waFigures = { sent: 3, read: 1, responded: 2, readRate: 1 / 3, responseRate: 2 / 3 };
    expect(body.whatsapp).toEqual({ ...waFigures, days: [{ day: '2026-03-11', ...waFigures }] });

    // Filters: a channel, an event type.
    const onlyWa = (
      await api(
        owner,
        'GET',
        '/notifications/analytics?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z&channel=whatsapp',
      )
    ).json();
    expect(onlyWa.rows.map((r: { channel: string }) => r.channel)).toEqual(['whatsapp']);
    expect(onlyWa.totals.map((r: { channel: string }) => r.channel)).toEqual(['whatsapp']);
    const otherEvent = (
      await api(
        owner,
        'GET',
        '/notifications/analytics?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z&eventType=task.assigned',
      )
    ).json();
    expect(otherEvent).toMatchObject({
      rows: [],
      totals: [],
      whatsapp: { sent: 0, read: 0, responded: 0, readRate: null, responseRate: null, days: [] },
    });
    // A period that ends before the 10th, São Paulo time, keeps only the 9th.
    const ninth = (
      await api(owner, 'GET', '/notifications/analytics?from=2026-03-09T03:00:00Z&to=2026-03-10T03:00:00Z')
    ).json();
    expect(ninth.rows.map((r: { day: string; sent: number }) => [r.day, r.sent])).toEqual([
      ['2026-03-09', 1],
    ]);
    // Another organization sees none of it.
    const b = (
      await api(adminB, 'GET', '/notifications/analytics?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z')
    ).json();
    expect(b.rows).toEqual([]);
  });

  it('defaults to the last 30 days and refuses a period backwards or longer than 366 days', async () => {
    const res = await api(admin, 'GET', '/notifications/analytics');
    expect(res.statusCode, res.body).toBe(200);
    const { from, to } = res.json();
    expect(new Date(to).getTime() - new Date(from).getTime()).toBe(30 * 86_400_000);

    expectFieldError(
      await api(admin, 'GET', '/notifications/analytics?from=2026-03-10T00:00:00Z&to=2026-03-01T00:00:00Z'),
      'to',
      'range',
    );
    expectFieldError(
      await api(admin, 'GET', '/notifications/analytics?from=2026-03-10T00:00:00Z&to=2026-03-10T00:00:00Z'),
      'to',
      'range',
    );
    const long = await api(
      admin,
      'GET',
      '/notifications/analytics?from=2025-01-01T00:00:00Z&to=2026-01-03T00:00:00Z',
    );
    expect(expectFieldError(long, 'from', 'range').errors[0].message).toBe(
      'the period may span at most 366 days',
    );
    expect(
      (await api(admin, 'GET', '/notifications/analytics?from=2025-01-01T00:00:00Z&to=2026-01-02T00:00:00Z'))
        .statusCode,
    ).toBe(200);
    expectFieldError(await api(admin, 'GET', '/notifications/analytics?channel=pigeon'), 'channel');
  });
});
