// Notifications end to end (issue 16): a domain event becomes notifications by the built-in rules,
// in the recipient's language, in their inbox (live over /ws, to them only) and by e-mail through
// the platform's SMTP relay (a real local SMTP server read with mailparser), with the RFC 8058
// unsubscribe headers; the link unsubscribes without signing in and at once; a relay answering 451
// is retried; the send and broadcast API. Bad inputs: a recipient who is not a member, a message
// whose template does not parse, a tampered unsubscribe token, both or neither of message and
// template, replaying a notification that is not dead.
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, PLATFORM_ORG_ID } from '../src/platform/db/ids.ts';
import { inTransaction } from '../src/platform/db/transaction.ts';
import type { BulComposition } from '../src/services.ts';
import { composeWorker, startEvents, startLoop } from './support/event-worker-inline.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import { type ReceivedMail, type SmtpPeer, startSmtpPeer } from './support/providers/smtp.ts';
import { addMember, createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';
import { connectWs, type WsClient } from './support/ws-client.ts';

let t: TestApp;
let smtp: SmtpPeer;
let composition: BulComposition;
const stops: (() => Promise<void>)[] = [];
const clients: WsClient[] = [];
let admin: Session;
let member: Session;
let wsUrl: string;

beforeAll(async () => {
  smtp = await startSmtpPeer({ tempFailFirst: 0 });
  t = await createTestApp({
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    SMTP_FROM: 'BUL Notifications <bul@example.test>',
    PUBLIC_URL: 'http://bul.test',
  });
  const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
  wsUrl = `${address.replace('http', 'ws')}/ws`;
  composition = await composeWorker(t);
  stops.push(await startEvents(t, composition));
  stops.push(await startLoop(composition, 'notification-delivery'));
  admin = await signUp(t, { orgName: 'Notify Co' });
  member = await addMember(t, admin, 'developer');
  // The member reads Portuguese (set as their account's language).
  await t.owner('UPDATE users SET locale = $1 WHERE id = $2', ['pt-BR', member.userId]);
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  for (const stop of stops.reverse()) await stop();
  await t?.close();
  await smtp?.close();
});

function api(
  s: Session,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT',
  url: string,
  payload?: unknown,
  headers = {},
) {
  return t.request({
    method,
    url: `/api/v1${url}`,
    headers: { ...s.headers, ...headers },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

async function created(s: Session, url: string, payload: unknown) {
  const res = await api(s, 'POST', url, payload);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** A header's value as sent (mailparser folds the List-* headers into a structure of its own). */
const headerOf = (mail: ReceivedMail, name: string) =>
  mail.parsed.headerLines
    .filter((h) => h.key === name)
    .map((h) => h.line.slice(h.line.indexOf(':') + 1).trim())[0];

const mailsTo = (email: string) => smtp.received.filter((m) => m.envelopeTo.includes(email.toLowerCase()));

async function inbox(s: Session) {
  const res = await api(s, 'GET', '/me/notifications');
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    items: { id: string; subject: string; body: string; eventType: string; readAt: string | null }[];
    unread: number;
  };
}

describe('a domain event reaches the right person by the built-in rules', () => {
  it('a task assigned: the assignee gets it in their inbox (live over /ws) and by e-mail in Portuguese; the admin who assigned it gets nothing', async () => {
    const ws = await connectWs(wsUrl, { authorization: member.headers.authorization! });
    clients.push(ws);
    const adminWs = await connectWs(wsUrl, { authorization: admin.headers.authorization! });
    clients.push(adminWs);
    const project = await created(admin, '/projects', { name: 'Relançamento' });
    const task = await created(admin, '/tasks', {
      projectId: project.id,
      title: 'Revisar <contrato> & proposta',
      assigneeId: member.userId,
    });

    const pushed = await ws.next((m) => m.type === 'notification.created', 'the inbox event', 15_000);
    expect(pushed.payload?.userId).toBe(member.userId);
    expect(pushed.payload?.eventType).toBe('task.assigned');

    const box = await inbox(member);
    const item = box.items.find((i) => i.eventType === 'task.assigned');
    expect(item, JSON.stringify(box)).toBeDefined();
    expect(item!.subject).toContain('Revisar <contrato> & proposta');
    expect(box.unread).toBeGreaterThanOrEqual(1);

    await expect.poll(() => mailsTo(member.email).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    const mail = mailsTo(member.email).find((m) => (m.parsed.subject ?? '').includes('Revisar'))!;
    expect(mail.parsed.from?.text).toContain('bul@example.test');
    // Portuguese, the member's language; the title exactly as written in text, escaped in HTML.
    expect(mail.parsed.text).toContain('Revisar <contrato> & proposta');
    expect(String(mail.parsed.html)).toContain('Revisar &lt;contrato&gt; &amp; proposta');
    expect(String(mail.parsed.html)).not.toContain('<contrato>');
    expect(headerOf(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    const unsubscribe = String(headerOf(mail, 'list-unsubscribe'));
    expect(unsubscribe).toMatch(/^<http:\/\/bul\.test\/api\/v1\/notifications\/unsubscribe\?token=.+>$/);
    expect(mail.parsed.text).toMatch(/tarefa|atribu/i);

    // The admin assigned it: no notification for them, and their socket never saw the inbox event.
    expect((await inbox(admin)).items.filter((i) => i.eventType === 'task.assigned')).toEqual([]);
    expect(adminWs.events().filter((m) => m.type === 'notification.created')).toEqual([]);

    // Handled twice (at least once delivery), it notifies once: one row per recipient and channel.
    const { rows } = await t.owner<{ n: number }>(
      "SELECT count(*)::int AS n FROM notifications WHERE event_type = 'task.assigned' AND data->'payload'->>'id' = $1",
      [task.id],
    );
    expect(rows[0]!.n).toBe(2);
  });

  it('mark read: one, then all; the unread count follows', async () => {
    await created(admin, '/projects', { name: 'Outro' }).then((p) =>
      created(admin, '/tasks', { projectId: p.id, title: 'Segunda', assigneeId: member.userId }),
    );
    await expect
      .poll(async () => (await inbox(member)).unread, { timeout: 15_000 })
      .toBeGreaterThanOrEqual(2);
    const box = await inbox(member);
    const one = await api(member, 'POST', '/me/notifications/read', { ids: [box.items[0]!.id] });
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json()).toEqual({ marked: 1, unread: box.unread - 1 });
    const all = await api(member, 'POST', '/me/notifications/read', { all: true });
    expect(all.json()).toEqual({ marked: box.unread - 1, unread: 0 });
    expect((await api(member, 'GET', '/me/notifications/unread-count')).json()).toEqual({ unread: 0 });
    // Another member cannot mark someone else's: nothing of theirs to mark.
    const other = await api(admin, 'POST', '/me/notifications/read', { ids: [box.items[0]!.id] });
    expect(other.json().marked).toBe(0);
  });
});

describe('the send and broadcast API', () => {
  it('sends a one-off message to a member on in_app and e-mail: 202 with a batch to follow; audited', async () => {
    const res = await api(admin, 'POST', '/notifications/send', {
      to: { userIds: [member.userId] },
      channels: ['in_app', 'email'],
      priority: 'high',
      message: { subject: 'Olá {{ recipient.name }}', body: 'Reunião às 15h — {{ org.name }}' },
    });
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json();
    expect(body.total).toBe(2);
    expect(body.notifications.map((n: { channel: string }) => n.channel).sort()).toEqual(['email', 'in_app']);
    await expect
      .poll(async () => (await api(admin, 'GET', `/notifications/batches/${body.batchId}`)).json().counts, {
        timeout: 15_000,
      })
      .toEqual({ delivered: 1, sent: 1 });
    const mail = mailsTo(member.email).find((m) => m.parsed.subject === 'Olá Member developer');
    expect(mail?.parsed.text).toContain('Reunião às 15h — Notify Co');
    const audit = await api(
      admin,
      'GET',
      `/audit/search?resource_type=notification_batch&resource_id=${body.batchId}`,
    );
    expect(audit.json().items[0].action).toBe('notification.send');
  });

  it('refuses bad input with the field and rule, and stores nothing', async () => {
    const before = await t.owner<{ n: number }>('SELECT count(*)::int AS n FROM notifications');
    const notMember = await api(admin, 'POST', '/notifications/send', {
      to: { userIds: ['018f0000-0000-7000-8000-000000000000'] },
      channels: ['in_app'],
      message: { body: 'x' },
    });
    expectProblem(notMember, 400, 'validation-failed');
    expectFieldError(notMember, 'to.userIds.0', 'member');

    const badTemplate = await api(
      admin,
      'POST',
      '/notifications/send',
      { to: { userIds: [member.userId] }, channels: ['in_app'], message: { body: 'Olá {{ recipient.name ' } },
      { 'accept-language': 'es' },
    );
    expectProblem(badTemplate, 400, 'validation-failed');
    const err = badTemplate.json().errors[0];
    expect(err.field).toBe('message.body');
    expect(err.message).toMatch(/^Línea 1, columna \d+/);

    const both = await api(admin, 'POST', '/notifications/send', {
      to: { userIds: [member.userId] },
      channels: ['in_app'],
      message: { body: 'x' },
      template: { eventType: 'task.assigned' },
    });
    expectFieldError(both, 'message', 'oneOf');
    const neither = await api(admin, 'POST', '/notifications/send', {
      to: { userIds: [member.userId] },
      channels: ['in_app'],
    });
    expectFieldError(neither, 'message', 'required');
    const noOne = await api(admin, 'POST', '/notifications/send', {
      to: {},
      channels: ['in_app'],
      message: { body: 'x' },
    });
    expectFieldError(noOne, 'to', 'minItems');
    const unknownChannel = await api(admin, 'POST', '/notifications/send', {
      to: { userIds: [member.userId] },
      channels: ['pigeon'],
      message: { body: 'x' },
    });
    expectProblem(unknownChannel, 400, 'validation-failed');

    const after = await t.owner<{ n: number }>('SELECT count(*)::int AS n FROM notifications');
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('a member without notifications:send gets 403', async () => {
    const res = await api(member, 'POST', '/notifications/send', {
      to: { userIds: [admin.userId] },
      channels: ['in_app'],
      message: { body: 'x' },
    });
    expectProblem(res, 403, 'forbidden');
  });

  it('broadcasts to the whole organization; channels nobody set up are skipped with the reason', async () => {
    const res = await api(admin, 'POST', '/notifications/broadcast', {
      audience: { kind: 'organization' },
      channels: ['in_app', 'sms'],
      priority: 'low',
      message: { subject: 'Aviso', body: 'Manutenção no sábado' },
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().total).toBe(4);
    expect(res.json().counts).toEqual({ delivered: 2, skipped: 2 });
    const log = await api(
      admin,
      'GET',
      `/notifications/deliveries?batchId=${res.json().batchId}&channel=sms`,
    );
    expect(log.json().items.map((n: { skipReason: string }) => n.skipReason)).toEqual([
      'channel_not_configured',
      'channel_not_configured',
    ]);
  });
});

describe('e-mail delivery', () => {
  it('a relay answering 451 is retried: delivered once, two attempts in the log', async () => {
    smtp.failNext(1);
    const res = await api(admin, 'POST', '/notifications/send', {
      to: { userIds: [member.userId] },
      channels: ['email'],
      priority: 'critical',
      message: { subject: 'Retry me', body: 'Once only' },
    });
    const id = res.json().notifications[0].id;
    await expect
      .poll(async () => (await api(admin, 'GET', `/notifications/deliveries/${id}`)).json().status, {
        timeout: 20_000,
      })
      .toBe('sent');
    const n = (await api(admin, 'GET', `/notifications/deliveries/${id}`)).json();
    expect(n.attempts.map((a: { outcome: string; statusCode: number }) => [a.outcome, a.statusCode])).toEqual(
      [
        ['retry', 451],
        ['sent', 250],
      ],
    );
    expect(mailsTo(member.email).filter((m) => m.parsed.subject === 'Retry me')).toHaveLength(1);
  });

  it('the unsubscribe link: GET shows a page and changes nothing; POST unsubscribes at once, no sign-in; a tampered token is refused', async () => {
    await api(admin, 'POST', '/notifications/send', {
      to: { userIds: [member.userId] },
      channels: ['email'],
      message: { subject: 'Unsub test', body: 'x' },
    });
    await expect
      .poll(() => mailsTo(member.email).some((m) => m.parsed.subject === 'Unsub test'), { timeout: 15_000 })
      .toBe(true);
    const mail = mailsTo(member.email).find((m) => m.parsed.subject === 'Unsub test')!;
    const link = new URL(String(headerOf(mail, 'list-unsubscribe')).slice(1, -1));
    const path = `${link.pathname}${link.search}`;

    // One of the same kind is waiting: held by the member's quiet hours (they cover now, in UTC).
    const hour = (h: number) => `${String((new Date().getUTCHours() + 24 + h) % 24).padStart(2, '0')}:00`;
    const quiet = await api(member, 'PUT', '/me/notifications/settings', {
      timeZone: 'UTC',
      quietHours: { start: hour(-1), end: hour(2) },
    });
    expect(quiet.statusCode, quiet.body).toBe(200);
    const held = (
      await api(admin, 'POST', '/notifications/send', {
        to: { userIds: [member.userId] },
        channels: ['email'],
        message: { subject: 'Held by quiet hours', body: 'x' },
      })
    ).json().notifications[0];
    expect(held.status).toBe('queued');
    expect(held.heldUntil).not.toBeNull();

    const page = await t.request({ method: 'GET', url: path, headers: { 'accept-language': 'pt-BR' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('Cancelar inscrição');
    const prefsBefore = await t.owner<{ n: number }>(
      'SELECT count(*)::int AS n FROM notification_preferences WHERE user_id = $1',
      [member.userId],
    );
    expect(prefsBefore.rows[0]!.n).toBe(0);

    const tampered = await t.request({
      method: 'POST',
      url: `${path.slice(0, -3)}AAA`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expectProblem(tampered, 401, 'invalid-token');

    const done = await t.request({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(done.statusCode, done.body).toBe(200);
    const { rows } = await t.owner<{ event_type: string; channel: string; enabled: boolean }>(
      'SELECT event_type, channel, enabled FROM notification_preferences WHERE user_id = $1',
      [member.userId],
    );
    expect(rows).toEqual([{ event_type: 'message.custom', channel: 'email', enabled: false }]);
    // What was waiting goes no more.
    const heldNow = (await api(admin, 'GET', `/notifications/deliveries/${held.id}`)).json();
    expect([heldNow.status, heldNow.skipReason]).toEqual(['skipped', 'opted_out']);
    await api(member, 'PUT', '/me/notifications/settings', { timeZone: null, quietHours: null });

    // At once: the next e-mail of that kind is skipped as opted out; in-app still arrives.
    const next = await api(admin, 'POST', '/notifications/send', {
      to: { userIds: [member.userId] },
      channels: ['email', 'in_app'],
      message: { subject: 'After unsub', body: 'x' },
    });
    const byChannel = Object.fromEntries(
      next
        .json()
        .notifications.map((n: { channel: string; status: string; skipReason: string | null }) => [
          n.channel,
          [n.status, n.skipReason],
        ]),
    );
    expect(byChannel).toEqual({ email: ['skipped', 'opted_out'], in_app: ['delivered', null] });
  });
});

describe('addresses', () => {
  it('a member may add at most 5 phone numbers per channel (each one is paid for on every notification)', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await api(member, 'POST', '/me/notifications/addresses', {
        channel: 'sms',
        address: `+1415555010${i}`,
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    const sixth = await api(member, 'POST', '/me/notifications/addresses', {
      channel: 'sms',
      address: '+14155550109',
    });
    expectFieldError(sixth, 'address', 'maxItems');
    // The same number again only updates its label.
    const again = await api(member, 'POST', '/me/notifications/addresses', {
      channel: 'sms',
      address: '+14155550100',
      label: 'Work',
    });
    expect(again.statusCode, again.body).toBe(201);
  });
});

describe('the dead letter', () => {
  it('replaying a notification that is not dead or failed is a conflict', async () => {
    const res = await api(admin, 'POST', '/notifications/send', {
      to: { userIds: [member.userId] },
      channels: ['in_app'],
      message: { body: 'x' },
    });
    const id = res.json().notifications[0].id;
    expectProblem(await api(admin, 'POST', `/notifications/deliveries/${id}/replay`), 409, 'conflict');
  });
});

describe('platform alerts', () => {
  it('a platform alert reaches each super admin’s home inbox on the dispatcher’s own transaction (no second pooled connection: no pool deadlock), once per event', async () => {
    const other = await signUp(t, { orgName: 'Second Home' });
    const roots = [admin.userId, other.userId];
    await t.owner('UPDATE users SET is_super_admin = true WHERE id = ANY($1)', [roots]);
    // Counts the pool connections taken from inside the handler (the dispatcher holds one already;
    // with dispatch concurrency near the pool size, asking for another can wait for ever).
    const inHandler = new AsyncLocalStorage<true>();
    const connect = t.pool.connect.bind(t.pool);
    let extra = 0;
    t.pool.connect = ((...args: Parameters<typeof connect>) => {
      if (inHandler.getStore()) extra++;
      return connect(...args);
    }) as typeof t.pool.connect;
    try {
      const event = {
        id: newId(),
        type: 'alert.fired' as const,
        orgId: PLATFORM_ORG_ID,
        actor: { type: 'system' as const, id: null },
        payload: {
          id: newId(),
          ruleId: newId(),
          ruleName: 'Platform pool check',
          scope: 'platform',
          status: 'firing',
          severity: 'error',
          type: 'system',
          title: 'Platform pool check',
          value: 99,
          startedAt: new Date().toISOString(),
          firedAt: new Date().toISOString(),
          resolvedAt: null,
          resolution: null,
          comment: null,
          notify: true,
          channels: ['in_app'],
          recipients: [],
        },
      };
      const notifier = t.services.notifications.notifier;
      const handle = () =>
        inTransaction(t.pool, { orgId: PLATFORM_ORG_ID, userId: null }, (tx) =>
          inHandler.run(true, async () => {
            const stored = await notifier.handle(tx, event);
            // The dispatcher's mark goes under the event's organization: the context is back.
            const { rows } = await tx.query<{ org: string }>("SELECT current_setting('app.org_id') AS org");
            return { stored, org: rows[0]!.org };
          }),
        );
      const first = await handle();
      expect(first).toEqual({ stored: 2, org: PLATFORM_ORG_ID });
      expect(extra).toBe(0);
      // Delivered again (a retry after a crash): nothing new.
      expect((await handle()).stored).toBe(0);
      for (const s of [admin, other]) {
        const subjects = (await inbox(s)).items.map((i) => i.subject);
        expect(subjects.filter((x) => x.includes('Platform pool check'))).toHaveLength(1);
      }
    } finally {
      t.pool.connect = connect;
      await t.owner('UPDATE users SET is_super_admin = false WHERE id = ANY($1)', [roots]);
    }
  });
});
