// Notification channels (issue 16): the organization's providers through the API — CRUD with
// failover positions, credentials sealed at rest and never answered, settings and credentials
// checked against each kind's schema (field errors in the caller's language) and the SSRF guard,
// test sends through one channel against local provider peers (SMTP, Slack, Twilio, WhatsApp),
// failover between two SMTP relays by the real delivery runner, and the providers' signed
// callbacks moving notifications forward.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryRunner } from '../src/modules/notifications/runner.ts';
import { MasterKey } from '../src/platform/crypto/master-key.ts';
import { SecretBox } from '../src/platform/crypto/secret-box.ts';
import { apiHelpers } from './support/api-helpers.ts';
import { TEST_MASTER_KEY } from './support/constants.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import { type ChatPeer, startChatPeer } from './support/providers/chat.ts';
import { type SmtpPeer, startSmtpPeer } from './support/providers/smtp.ts';
import { signTwilio, startTwilioPeer, TWILIO, type TwilioPeer } from './support/providers/twilio.ts';
import {
  startWhatsAppPeer,
  type WhatsAppPeer,
  whatsAppWebhookPayload,
} from './support/providers/whatsapp.ts';
import {
  addMember,
  createSiblingApp,
  createTestApp,
  type Session,
  signUp,
  type TestApp,
} from './support/test-app.ts';

const ORG_NAME = 'Ação Ñandú ✓';
const box = new SecretBox(new MasterKey(Buffer.from(TEST_MASTER_KEY, 'base64')));

let t: TestApp;
/** Another process on the same database without WEBHOOK_ALLOW_PRIVATE. */
let strict: TestApp;
let admin: Session;
let manager: Session;
let runner: DeliveryRunner;
let smtp: SmtpPeer;
let chat: ChatPeer;
let twilio: TwilioPeer;
let whatsapp: WhatsAppPeer;
const { api, rowOf, auditTrail } = apiHelpers(
  () => t,
  () => admin,
);

beforeAll(async () => {
  t = await createTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true', NOTIFY_PROVIDER_TIMEOUT_MS: '5000' });
  strict = await createSiblingApp(t, {});
  admin = await signUp(t, { orgName: ORG_NAME, name: 'Zoë Admin' });
  manager = await addMember(t, admin, 'manager');
  [smtp, chat, twilio, whatsapp] = await Promise.all([
    startSmtpPeer(),
    startChatPeer(),
    startTwilioPeer(),
    startWhatsAppPeer(),
  ]);
  // The worker's delivery runner, as `bul start` runs it for role worker.
  runner = new DeliveryRunner({
    pool: t.pool,
    log: pino({ level: 'silent' }),
    concurrency: 4,
    leaseSeconds: t.config.notifyLeaseSeconds,
    deliver: (n) => t.services.notifications.delivery.deliver(n),
  });
  await runner.start();
});

afterAll(async () => {
  await runner?.stop();
  await Promise.all([smtp?.close(), chat?.close(), twilio?.close(), whatsapp?.close()]);
  await strict?.close();
  await t?.close();
});

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface ChannelDto {
  id: string;
  kind: string;
  name: string;
  position: number;
  enabled: boolean;
  config: Record<string, unknown>;
  hasSecrets: boolean;
  secretFields: string[];
  callbackUrl: string | null;
  version: number;
}

async function createChannel(s: Session, body: Record<string, unknown>): Promise<ChannelDto> {
  const res = await api(s, 'POST', '/notifications/channels', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const smtpConfig = (port: number) => ({
  host: '127.0.0.1',
  port,
  secure: false,
  from: { address: 'notify@example.com', name: 'BUL' },
});

async function positionsOf(s: Session, kind: string): Promise<string[]> {
  const res = await api(s, 'GET', '/notifications/channels');
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().items as ChannelDto[])
    .filter((c) => c.kind === kind)
    .sort((a, b) => a.position - b.position)
    .map((c) => `${c.position}:${c.name}`);
}

describe('channels CRUD', () => {
  it('keeps failover positions 1..n as providers are added, moved and removed', async () => {
    const org = await signUp(t, { orgName: 'Positions' });
    const url = (n: string) => `https://hooks.slack.com/services/T000/B000/${n}`;
    const a = await createChannel(org, { kind: 'slack', name: 'A', secrets: { url: url('a') } });
    const b = await createChannel(org, { kind: 'slack', name: 'B', secrets: { url: url('b') } });
    expect([a.position, b.position]).toEqual([1, 2]);
    // A position given moves the others down.
    const c = await createChannel(org, { kind: 'slack', name: 'C', secrets: { url: url('c') }, position: 1 });
    expect(c.position).toBe(1);
    expect(await positionsOf(org, 'slack')).toEqual(['1:C', '2:A', '3:B']);
    // Past the end: last.
    const d = await createChannel(org, { kind: 'slack', name: 'D', secrets: { url: url('d') }, position: 9 });
    expect(d.position).toBe(4);
    // Other kinds keep their own order.
    const e = await createChannel(org, {
      kind: 'email',
      name: 'E',
      config: smtpConfig(25),
    });
    expect(e.position).toBe(1);

    const moved = await api(org, 'PATCH', `/notifications/channels/${b.id}`, { position: 1 });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json().position).toBe(1);
    expect(await positionsOf(org, 'slack')).toEqual(['1:B', '2:C', '3:A', '4:D']);

    const del = await api(org, 'DELETE', `/notifications/channels/${c.id}`);
    expect(del.statusCode, del.body).toBe(204);
    expect(await positionsOf(org, 'slack')).toEqual(['1:B', '2:A', '3:D']);
    expect((await api(org, 'GET', `/notifications/channels/${c.id}`)).statusCode).toBe(404);

    // Enabled, name and If-Match.
    const current = (await api(org, 'GET', `/notifications/channels/${a.id}`)).json() as ChannelDto;
    const stale = await api(
      org,
      'PATCH',
      `/notifications/channels/${a.id}`,
      { enabled: false },
      { 'if-match': `"${current.version - 1}"` },
    );
    expectProblem(stale, 412, 'precondition-failed');
    const ok = await api(
      org,
      'PATCH',
      `/notifications/channels/${a.id}`,
      { enabled: false, name: 'A off' },
      { 'if-match': `"${current.version}"` },
    );
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ enabled: false, name: 'A off', version: current.version + 1 });

    // Another organization sees none of them.
    const other = await signUp(t, { orgName: 'Elsewhere' });
    expect((await api(other, 'GET', `/notifications/channels/${a.id}`)).statusCode).toBe(404);
    expect((await api(other, 'GET', '/notifications/channels')).json().items).toEqual([]);
  });

  it('never answers credentials, seals them at rest, and keeps them when a PATCH leaves them out', async () => {
    const authToken = twilio.authToken;
    const created = await createChannel(admin, {
      kind: 'sms',
      name: 'Twilio',
      config: { accountSid: twilio.accountSid, from: '+15005550006', baseUrl: twilio.url },
      secrets: { authToken },
    });
    expect(created).toMatchObject({
      kind: 'sms',
      hasSecrets: true,
      secretFields: ['authToken'],
      callbackUrl: `${t.config.publicUrl}/api/v1/notifications/callbacks/${created.id}`,
    });
    const answers = [
      JSON.stringify(created),
      (await api(admin, 'GET', `/notifications/channels/${created.id}`)).body,
      (await api(admin, 'GET', '/notifications/channels')).body,
    ];
    const patched = await api(admin, 'PATCH', `/notifications/channels/${created.id}`, {
      name: 'Twilio main',
      config: { accountSid: twilio.accountSid, from: '+15005550007', baseUrl: twilio.url },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    answers.push(patched.body);
    expect(patched.json()).toMatchObject({
      name: 'Twilio main',
      hasSecrets: true,
      secretFields: ['authToken'],
    });
    for (const body of answers) expect(body).not.toContain(authToken);

    // At rest: sealed, not plaintext; it opens to the same credentials (kept by the PATCH).
    const { rows } = await t.owner<{ secrets_sealed: string; config: Record<string, unknown> }>(
      'SELECT secrets_sealed, config FROM notification_channels WHERE id = $1',
      [created.id],
    );
    expect(rows[0]!.secrets_sealed).not.toContain(authToken);
    expect(rows[0]!.config.from).toBe('+15005550007');
    const opened = JSON.parse(
      box.open(rows[0]!.secrets_sealed, `notification-channel:${admin.orgId}:${created.id}`).toString(),
    );
    expect(opened).toEqual({ authToken });

    // Audit names the credential fields, never their values.
    const trail = await auditTrail('notification_channel', created.id);
    expect(trail.map((e) => e.action)).toEqual([
      'notification_channel.create',
      'notification_channel.update',
    ]);
    expect(trail[0]!.changes?.secretsChanged).toEqual({ before: null, after: ['authToken'] });
    expect(trail[1]!.changes?.name).toEqual({ before: 'Twilio', after: 'Twilio main' });
    expect(trail[1]!.changes?.secretsChanged).toBeUndefined();
    expect(JSON.stringify(trail)).not.toContain(authToken);
  });

  it('replaces credentials with `secrets` and changes some with `secretsPatch`', async () => {
    const org = await signUp(t, { orgName: 'Secrets' });
    const ch = await createChannel(org, {
      kind: 'whatsapp',
      name: 'WA',
      config: { phoneNumberId: '123456', baseUrl: 'https://graph.example.com' },
      secrets: { accessToken: 'tok-1', appSecret: 'app-1', verifyToken: 'verify-1' },
    });
    const sealed = async () => {
      const { rows } = await t.owner<{ s: string }>(
        'SELECT secrets_sealed AS s FROM notification_channels WHERE id = $1',
        [ch.id],
      );
      return JSON.parse(box.open(rows[0]!.s, `notification-channel:${org.orgId}:${ch.id}`).toString());
    };
    const patch = await api(org, 'PATCH', `/notifications/channels/${ch.id}`, {
      secretsPatch: { accessToken: 'tok-2' },
    });
    expect(patch.statusCode, patch.body).toBe(200);
    expect(patch.body).not.toContain('tok-2');
    expect(await sealed()).toEqual({ accessToken: 'tok-2', appSecret: 'app-1', verifyToken: 'verify-1' });
    const trail = (
      await api(org, 'GET', `/audit/search?resource_type=notification_channel&resource_id=${ch.id}`)
    ).json().items as { changes: Record<string, unknown> | null }[];
    expect(trail[0]!.changes?.secretsChanged).toEqual({ before: null, after: ['accessToken'] });
    expect(JSON.stringify(trail)).not.toMatch(/tok-|app-1|verify-1/);

    // Removing a required one is refused, naming it; nothing changes.
    const before = await rowOf('notification_channels', ch.id);
    expectFieldError(
      await api(org, 'PATCH', `/notifications/channels/${ch.id}`, { secretsPatch: { appSecret: null } }),
      'secrets.appSecret',
      'required',
    );
    expect(await rowOf('notification_channels', ch.id)).toBe(before);

    const replaced = await api(org, 'PATCH', `/notifications/channels/${ch.id}`, {
      secrets: { accessToken: 'tok-3', appSecret: 'app-3', verifyToken: 'verify-3' },
    });
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect(await sealed()).toEqual({ accessToken: 'tok-3', appSecret: 'app-3', verifyToken: 'verify-3' });

    expectFieldError(
      await api(org, 'PATCH', `/notifications/channels/${ch.id}`, {
        secrets: { accessToken: 'x', appSecret: 'y', verifyToken: 'z' },
        secretsPatch: { accessToken: 'w' },
      }),
      'secretsPatch',
    );
  });

  it('checks settings and credentials against the kind, naming config.<field> in the caller’s language', async () => {
    const res = await api(
      admin,
      'POST',
      '/notifications/channels',
      { kind: 'email', name: 'Bad relay', config: { port: 70000, from: { address: 'not-an-address' } } },
      { 'accept-language': 'es' },
    );
    const body = expectFieldError(res, 'config.host', 'required');
    const errors = body.errors as { field: string; rule: string; message: string }[];
    expect(errors.find((e) => e.field === 'config.host')!.message).toBe('es obligatorio');
    expect(errors.map((e) => e.field)).toEqual(
      expect.arrayContaining(['config.host', 'config.port', 'config.from.address']),
    );
    expect(errors.find((e) => e.field === 'config.port')).toMatchObject({
      rule: 'maximum',
      message: 'debe ser menor o igual que 65.535',
    });
    // Nothing was stored.
    const { rows } = await t.owner("SELECT 1 FROM notification_channels WHERE name = 'Bad relay'");
    expect(rows).toHaveLength(0);

    // Unknown and missing credentials, by name.
    expectFieldError(
      await api(admin, 'POST', '/notifications/channels', {
        kind: 'sms',
        name: 'No token',
        config: { accountSid: twilio.accountSid, from: '+15005550006' },
        secrets: { token: 'x' },
      }),
      'secrets.authToken',
      'required',
    );
    expectFieldError(
      await api(admin, 'POST', '/notifications/channels', {
        kind: 'sms',
        name: 'Extra',
        config: { accountSid: twilio.accountSid, from: '+15005550006' },
        secrets: { authToken: 'x', token: 'y' },
      }),
      'secrets.token',
      'additionalProperties',
    );
    expectFieldError(
      await api(admin, 'POST', '/notifications/channels', {
        kind: 'webhook',
        name: 'Not a URL',
        config: { url: 'ftp://example.com/x' },
        secrets: { secret: 'whsec_c2VjcmV0' },
      }),
      'config.url',
      'url',
    );
    expectFieldError(
      await api(admin, 'POST', '/notifications/channels', {
        kind: 'push',
        name: 'Bad key',
        secrets: { serviceAccountJson: '{"project_id": 1}' },
      }),
      'secrets.serviceAccountJson',
      'serviceAccount',
    );
  });

  it('refuses private base and chat URLs when WEBHOOK_ALLOW_PRIVATE is off', async () => {
    const s = await signUp(strict, { orgName: 'Strict' });
    const refused = await strict.request({
      method: 'POST',
      url: '/api/v1/notifications/channels',
      headers: s.headers,
      payload: {
        kind: 'sms',
        name: 'Local Twilio',
        config: { accountSid: twilio.accountSid, from: '+15005550006', baseUrl: twilio.url },
        secrets: { authToken: 'x' },
      },
    });
    const body = expectFieldError(refused, 'config.baseUrl', 'publicAddress');
    expect(JSON.stringify(body.errors)).toContain('127.0.0.1');
    expectFieldError(
      await strict.request({
        method: 'POST',
        url: '/api/v1/notifications/channels',
        headers: s.headers,
        payload: { kind: 'slack', name: 'Metadata', secrets: { url: 'http://169.254.169.254/latest' } },
      }),
      'secrets.url',
      'publicAddress',
    );
    const { rows } = await t.owner('SELECT 1 FROM notification_channels WHERE org_id = $1', [s.orgId]);
    expect(rows).toHaveLength(0);
  });

  it('is for members with notifications:manage only', async () => {
    const ch = await createChannel(admin, { kind: 'slack', name: 'Perm', secrets: { url: chat.slackUrl } });
    for (const [method, url, payload] of [
      ['GET', '/notifications/channels', undefined],
      ['GET', `/notifications/channels/${ch.id}`, undefined],
      ['POST', '/notifications/channels', { kind: 'slack', name: 'x', secrets: { url: chat.slackUrl } }],
      ['PATCH', `/notifications/channels/${ch.id}`, { enabled: false }],
      ['DELETE', `/notifications/channels/${ch.id}`, undefined],
      ['POST', `/notifications/channels/${ch.id}/test`, {}],
    ] as const) {
      const res = await api(manager, method, url, payload);
      expectProblem(res, 403, 'forbidden');
    }
    expect(chat.requests.filter((r) => r.service === 'slack')).toHaveLength(0);
    expect((await api(admin, 'GET', `/notifications/channels/${ch.id}`)).json().enabled).toBe(true);
  });
});

describe('test send', () => {
  it('e-mails the caller through the channel, in UTF-8, and logs it as a test notification', async () => {
    const ch = await createChannel(admin, { kind: 'email', name: 'Relay', config: smtpConfig(smtp.port) });
    const res = await api(admin, 'POST', `/notifications/channels/${ch.id}/test`, {});
    expect(res.statusCode, res.body).toBe(200);
    const result = res.json();
    expect(result).toMatchObject({ ok: true, outcome: 'sent', errorCode: null, error: null });
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0]!;
    expect(mail.envelopeTo).toEqual([admin.email]);
    expect(mail.parsed.subject).toBe(`Test message from ${ORG_NAME}`);
    expect(mail.parsed.text).toContain('Zoë Admin');
    expect(mail.parsed.text).toContain(ORG_NAME);
    expect(mail.parsed.html).toContain('Zoë Admin');

    const logged = await api(admin, 'GET', `/notifications/deliveries/${result.notificationId}`);
    expect(logged.statusCode, logged.body).toBe(200);
    expect(logged.json()).toMatchObject({
      source: 'test',
      channel: 'email',
      status: 'sent',
      address: admin.email,
      eventType: 'notification.test',
      attemptCount: 1,
    });
    expect(logged.json().attempts).toMatchObject([{ attempt: 1, channelId: ch.id, outcome: 'sent' }]);
    const trail = await auditTrail('notification_channel', ch.id);
    expect(trail.at(-1)).toMatchObject({
      action: 'notification_channel.test',
      metadata: { outcome: 'sent', notificationId: result.notificationId },
    });
  });

  it('posts to Slack (no address) and refuses an address for it', async () => {
    const ch = await createChannel(admin, { kind: 'slack', name: 'Team', secrets: { url: chat.slackUrl } });
    expectFieldError(
      await api(admin, 'POST', `/notifications/channels/${ch.id}/test`, { to: 'someone@example.com' }),
      'to',
      'absent',
    );
    const before = chat.requests.length;
    const res = await api(admin, 'POST', `/notifications/channels/${ch.id}/test`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, outcome: 'sent', statusCode: 200 });
    const posted = chat.requests.slice(before);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.service).toBe('slack');
    expect(posted[0]!.body).toContain(ORG_NAME);
    const logged = await api(admin, 'GET', `/notifications/deliveries/${res.json().notificationId}`);
    expect(logged.json()).toMatchObject({ source: 'test', channel: 'slack', status: 'delivered' });
  });

  it('texts through Twilio; a number Twilio refuses answers ok false with its error code', async () => {
    const ch = await createChannel(admin, {
      kind: 'sms',
      name: 'SMS test',
      config: { accountSid: twilio.accountSid, from: '+15005550006', baseUrl: twilio.url },
      secrets: { authToken: twilio.authToken },
    });
    expectFieldError(await api(admin, 'POST', `/notifications/channels/${ch.id}/test`, {}), 'to', 'required');
    expectFieldError(
      await api(admin, 'POST', `/notifications/channels/${ch.id}/test`, { to: '12345' }),
      'to',
      'phone',
    );

    const sent = await api(admin, 'POST', `/notifications/channels/${ch.id}/test`, { to: '+5511987654321' });
    expect(sent.statusCode, sent.body).toBe(200);
    expect(sent.json()).toMatchObject({ ok: true, outcome: 'sent', statusCode: 201 });
    const message = twilio.sent.find((m) => m.sid === sent.json().providerMessageId);
    expect(message?.form.get('To')).toBe('+5511987654321');
    expect(message?.form.get('Body')).toContain(ORG_NAME);
    expect(message?.form.get('StatusCallback')).toBe(ch.callbackUrl);

    twilio.script.add('+15005550001', TWILIO.invalidNumber('+15005550001'));
    const refused = await api(admin, 'POST', `/notifications/channels/${ch.id}/test`, { to: '+15005550001' });
    expect(refused.statusCode, refused.body).toBe(200);
    expect(refused.json()).toMatchObject({
      ok: false,
      outcome: 'rejected',
      statusCode: 400,
      errorCode: '21211',
      providerMessageId: null,
    });
    expect(refused.json().error).toMatch(/not a valid phone number/);
    const logged = await api(admin, 'GET', `/notifications/deliveries/${refused.json().notificationId}`);
    expect(logged.json()).toMatchObject({ source: 'test', status: 'failed', lastStatusCode: 400 });
    expect(logged.json().attempts).toMatchObject([{ outcome: 'rejected', errorCode: '21211' }]);
  });
});

describe('failover', () => {
  it('delivers a queued e-mail through the second relay when the first keeps answering 451', async () => {
    const org = await signUp(t, { orgName: 'Failover' });
    const member = await addMember(t, org, 'user');
    const failing = await startSmtpPeer({ tempFailFirst: 1_000_000 });
    const working = await startSmtpPeer();
    try {
      const first = await createChannel(org, {
        kind: 'email',
        name: 'Primary',
        config: smtpConfig(failing.port),
      });
      const second = await createChannel(org, {
        kind: 'email',
        name: 'Backup',
        config: smtpConfig(working.port),
      });
      expect([first.position, second.position]).toEqual([1, 2]);
      const res = await api(org, 'POST', '/notifications/send', {
        to: { userIds: [member.userId] },
        channels: ['email'],
        message: { subject: 'Failover ✓', body: 'Olá {{ recipient.name }}, ação concluída.' },
      });
      expect(res.statusCode, res.body).toBe(202);
      const id = (res.json().notifications as { id: string; channel: string }[]).find(
        (n) => n.channel === 'email',
      )!.id;
      const get = () => api(org, 'GET', `/notifications/deliveries/${id}`);
      await until('the e-mail sent', async () => (await get()).json().status === 'sent');
      const n = (await get()).json();
      expect(n.attemptCount).toBe(2);
      expect(n.attempts).toMatchObject([
        { attempt: 1, channelId: first.id, outcome: 'retry', statusCode: 451 },
        { attempt: 2, channelId: second.id, outcome: 'sent' },
      ]);
      expect(failing.tempFailed).toBe(1);
      expect(working.received).toHaveLength(1);
      expect(working.received[0]!.envelopeTo).toEqual([member.email]);
      expect(working.received[0]!.parsed.subject).toBe('Failover ✓');
      expect(working.received[0]!.parsed.text).toContain('ação concluída');
    } finally {
      await Promise.all([failing.close(), working.close()]);
    }
  });
});

describe('provider callbacks', () => {
  it('moves a sent SMS to delivered on a signed Twilio status callback; a bad signature changes nothing', async () => {
    const ch = await createChannel(admin, {
      kind: 'sms',
      name: 'SMS callbacks',
      config: { accountSid: twilio.accountSid, from: '+15005550006', baseUrl: twilio.url },
      secrets: { authToken: twilio.authToken },
    });
    const sent = await api(admin, 'POST', `/notifications/channels/${ch.id}/test`, { to: '+5511912345678' });
    expect(sent.json()).toMatchObject({ ok: true });
    const { notificationId, providerMessageId } = sent.json();
    const get = async () => (await api(admin, 'GET', `/notifications/deliveries/${notificationId}`)).json();
    expect((await get()).status).toBe('sent');

    const cb = twilio.statusCallback(providerMessageId, 'delivered');
    const path = new URL(cb.url);
    const post = (headers: Record<string, string>) =>
      t.request({ method: 'POST', url: `${path.pathname}${path.search}`, headers, payload: cb.rawBody });

    const before = await rowOf('notifications', notificationId);
    const forged = await post({
      ...cb.headers,
      // Signed with another account's token.
      'x-twilio-signature': signTwilio(
        '0'.repeat(32),
        cb.url,
        Object.fromEntries(new URLSearchParams(cb.rawBody.toString())),
      ),
    });
    expect(forged.statusCode).toBe(401);
    expect(await rowOf('notifications', notificationId)).toBe(before);

    const ok = await post(cb.headers);
    expect(ok.statusCode, ok.body).toBe(200);
    const after = await get();
    expect(after.status).toBe('delivered');
    expect(after.deliveredAt).not.toBeNull();
  });

  it('answers the WhatsApp challenge, records a reply and moves the message to read', async () => {
    whatsapp.templates.set('bul_notification_test', { language: 'en', parameters: 1 });
    const ch = await createChannel(admin, {
      kind: 'whatsapp',
      name: 'WhatsApp',
      config: { phoneNumberId: whatsapp.phoneNumberId, baseUrl: whatsapp.url },
      secrets: {
        accessToken: whatsapp.accessToken,
        appSecret: whatsapp.appSecret,
        verifyToken: whatsapp.verifyToken,
      },
    });
    expect(ch.callbackUrl).toBe(`${t.config.publicUrl}/api/v1/notifications/callbacks/${ch.id}`);
    const callbackPath = `/api/v1/notifications/callbacks/${ch.id}`;

    const challenge = (token: string) =>
      t.request({
        method: 'GET',
        url: `${callbackPath}?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`,
      });
    const answered = await challenge(whatsapp.verifyToken);
    expect(answered.statusCode).toBe(200);
    expect(answered.body).toBe('1158201444');
    expect((await challenge('wrong-token')).statusCode).toBe(401);

    const sent = await api(admin, 'POST', `/notifications/channels/${ch.id}/test`, { to: '+5511955554444' });
    expect(sent.statusCode, sent.body).toBe(200);
    expect(sent.json()).toMatchObject({ ok: true, outcome: 'sent' });
    const { notificationId, providerMessageId } = sent.json();
    expect(whatsapp.sent.at(-1)?.body).toMatchObject({
      type: 'template',
      template: { name: 'bul_notification_test', language: { code: 'en' } },
    });

    const webhook = (payload: unknown, secret?: string) => {
      const w = whatsapp.webhook(payload, secret);
      return t.request({ method: 'POST', url: callbackPath, headers: w.headers, payload: w.rawBody });
    };
    const seconds = String(Math.floor(Date.now() / 1000));
    const reply = whatsAppWebhookPayload(whatsapp.phoneNumberId, {
      contacts: [{ profile: { name: 'Ana' }, wa_id: '5511955554444' }],
      messages: [
        {
          from: '5511955554444',
          id: 'wamid.reply-1',
          timestamp: seconds,
          type: 'text',
          text: { body: 'Recebido, obrigado ✓' },
          context: { from: '15550783881', id: providerMessageId },
        },
      ],
    });
    expect((await webhook(reply, 'not-the-app-secret')).statusCode).toBe(401);
    const none = await t.owner('SELECT 1 FROM notification_inbound WHERE channel_id = $1', [ch.id]);
    expect(none.rows).toHaveLength(0);

    expect((await webhook(reply)).statusCode).toBe(200);
    const inbound = await t.owner<{ from_address: string; text: string; notification_id: string }>(
      'SELECT from_address, text, notification_id FROM notification_inbound WHERE channel_id = $1',
      [ch.id],
    );
    expect(inbound.rows).toEqual([
      { from_address: '5511955554444', text: 'Recebido, obrigado ✓', notification_id: notificationId },
    ]);

    const read = whatsAppWebhookPayload(whatsapp.phoneNumberId, {
      statuses: [
        { id: providerMessageId, status: 'read', timestamp: seconds, recipient_id: '5511955554444' },
      ],
    });
    expect((await webhook(read)).statusCode).toBe(200);
    const n = (await api(admin, 'GET', `/notifications/deliveries/${notificationId}`)).json();
    expect(n.status).toBe('read');
    expect(n.readAt).not.toBeNull();
  });
});
