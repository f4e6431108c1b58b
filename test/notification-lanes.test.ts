// Priorities have lanes of their own (issue 16, item 4): while a broadcast of low-priority e-mails
// fills every shared slot with sends to a slow destination, a critical and a high notification go
// out at once instead of waiting for a slot. Shown by order, not by timing: both are received
// before any message of the backlog that was already being sent when they were queued.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BulComposition } from '../src/services.ts';
import { composeWorker, startLoop } from './support/event-worker-inline.ts';
import { type SmtpPeer, startSmtpPeer } from './support/providers/smtp.ts';
import { addMember, createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

const BACKLOG = 300;
const SLOW = 'slow-destination@example.test';
let t: TestApp;
let smtp: SmtpPeer;
let composition: BulComposition;
let stopRunner: (() => Promise<void>) | null = null;
let admin: Session;
let member: Session;

beforeAll(async () => {
  // Messages to the backlog's address take 4 s each: the four shared slots stay busy with them.
  smtp = await startSmtpPeer({ delayMs: 4000, slowRecipients: [SLOW] });
  t = await createTestApp({
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    SMTP_FROM: 'bul@example.test',
    NOTIFY_CONCURRENCY: '4',
  });
  composition = await composeWorker(t);
  admin = await signUp(t, { orgName: 'Lanes' });
  member = await addMember(t, admin, 'developer');
}, 60_000);

afterAll(async () => {
  await stopRunner?.();
  await t?.close();
  await smtp?.close();
});

const count = async (where: string) =>
  (await t.owner<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE ${where}`)).rows[0]!.n;

async function statusOf(id: string): Promise<string> {
  const res = await t.request({
    method: 'GET',
    url: `/api/v1/notifications/deliveries/${id}`,
    headers: admin.headers,
  });
  return res.json().status;
}

async function send(priority: 'critical' | 'high'): Promise<string> {
  const res = await t.request({
    method: 'POST',
    url: '/api/v1/notifications/send',
    headers: admin.headers,
    payload: {
      to: { userIds: [member.userId] },
      channels: ['email'],
      priority,
      message: { subject: `${priority} alert`, body: 'Now' },
    },
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().notifications[0].id as string;
}

it('critical and high notifications overtake a broadcast that fills every shared slot', async () => {
  // The broadcast's backlog: queued low-priority e-mails, as a large broadcast leaves them.
  await t.owner(
    `INSERT INTO notifications (org_id, id, idempotency_key, source, event_type, recipient_user_id, recipient_name,
       address, channel, priority, priority_rank, language, subject, body, status, next_attempt_at)
     SELECT $1, gen_random_uuid(), 'backlog:' || g, 'broadcast', 'message.custom', $2, 'Member', $3, 'email',
       'low', 3, 'en', 'Backlog ' || g, 'Newsletter', 'queued', now()
     FROM generate_series(1, ${BACKLOG}) g`,
    [admin.orgId, member.userId, SLOW],
  );
  stopRunner = await startLoop(composition, 'notification-delivery');
  // Every shared slot is taken by a backlog send that the relay holds.
  await expect.poll(() => count("status = 'sending'"), { timeout: 15_000 }).toBe(4);

  const critical = await send('critical');
  const high = await send('high');
  await expect.poll(() => statusOf(critical), { timeout: 15_000 }).toBe('sent');
  await expect.poll(() => statusOf(high), { timeout: 15_000 }).toBe('sent');
  // Both reached the relay before the backlog messages that were being sent when they were queued.
  const subjects = smtp.received.map((m) => m.parsed.subject);
  expect(subjects.slice(0, 2).sort()).toEqual(['critical alert', 'high alert']);
  expect(await count("priority = 'low' AND status IN ('queued', 'sending')")).toBeGreaterThan(BACKLOG - 8);
}, 60_000);
