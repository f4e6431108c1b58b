// The SMS, WhatsApp and push providers against local peers of Twilio, the WhatsApp Cloud API and
// FCM HTTP v1 (with its OAuth token endpoint): what BUL sends, how each documented answer maps to
// an outcome (sent / retry / provider_failed / rejected), and the signed callbacks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fcmPush } from '../src/modules/notifications/channels/fcm-push.ts';
import type {
  CallbackRequest,
  OutboundMessage,
  RenderedMessage,
  SendResult,
} from '../src/modules/notifications/channels/provider.ts';
import { twilioSms } from '../src/modules/notifications/channels/twilio-sms.ts';
import { whatsAppCloud } from '../src/modules/notifications/channels/whatsapp-cloud.ts';
import { FCM, type FcmPeer, startFcmPeer } from './support/providers/fcm.ts';
import { startTwilioPeer, TWILIO, type TwilioPeer } from './support/providers/twilio.ts';
import {
  graphError,
  startWhatsAppPeer,
  WHATSAPP,
  type WhatsAppPeer,
  whatsAppWebhookPayload,
} from './support/providers/whatsapp.ts';

const UTF8_TEXT = 'Olá, ação ✓';

function outbound(
  to: string | null,
  message: Partial<RenderedMessage> = {},
  extra: Partial<OutboundMessage> = {},
) {
  return {
    id: '01936f3e-8b1a-7c2d-9e4f-0a1b2c3d4e5f',
    orgId: '01936f3e-0000-7c2d-9e4f-0a1b2c3d4e5f',
    eventType: 'task.assigned',
    priority: 'normal',
    to,
    recipientName: 'Ana',
    message: { subject: 'Nova tarefa', text: UTF8_TEXT, html: null, whatsappTemplate: null, ...message },
    unsubscribeUrl: null,
    data: { taskId: 't-1', count: 3 },
    createdAt: '2026-03-14T09:26:53.589Z',
    ...extra,
  } satisfies OutboundMessage;
}

function failure(result: SendResult) {
  if (result.outcome === 'sent')
    throw new Error(`expected a failure, got sent (${result.providerMessageId})`);
  return result;
}

describe('Twilio SMS', () => {
  let peer: TwilioPeer;
  const callbackUrl = 'https://bul.example.com/api/v1/notifications/callbacks/sms/ch_1?x=1';
  const call = (overrides: Record<string, unknown> = {}, timeoutMs = 5000) => ({
    config: {
      accountSid: peer.accountSid,
      from: '+15005550006',
      baseUrl: peer.url,
      statusCallbackUrl: callbackUrl,
      ...overrides,
    },
    secrets: { authToken: peer.authToken },
    timeoutMs,
    allowPrivate: true,
  });
  beforeAll(async () => {
    peer = await startTwilioPeer();
  });
  afterAll(() => peer.close());

  it('sends the form Twilio documents, with basic auth and UTF-8 text, and returns the sid', async () => {
    const result = await twilioSms.send(outbound('+5511987654321'), call());
    expect(result).toMatchObject({ outcome: 'sent', statusCode: 201 });
    const req = peer.requests.at(-1);
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(`/2010-04-01/Accounts/${peer.accountSid}/Messages.json`);
    expect(req?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(req?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${peer.accountSid}:${peer.authToken}`).toString('base64')}`,
    );
    const form = new URLSearchParams(req?.body);
    expect(Object.fromEntries(form)).toEqual({
      To: '+5511987654321',
      From: '+15005550006',
      Body: UTF8_TEXT,
      StatusCallback: callbackUrl,
    });
    expect(result.outcome === 'sent' && result.providerMessageId).toBe(peer.sent.at(-1)?.sid);
  });

  it('sends through a Messaging Service instead of From when one is set', async () => {
    const sid = `MG${'a'.repeat(32)}`;
    const result = await twilioSms.send(outbound('+5511987654322'), call({ messagingServiceSid: sid }));
    expect(result.outcome).toBe('sent');
    const form = new URLSearchParams(peer.requests.at(-1)?.body);
    expect(form.get('MessagingServiceSid')).toBe(sid);
    expect(form.has('From')).toBe(false);
  });

  it('refuses for good an invalid number, a landline and an unsubscribed recipient', async () => {
    expect(failure(await twilioSms.send(outbound('12345'), call()))).toMatchObject({
      outcome: 'rejected',
      errorCode: '21211',
      statusCode: 400,
    });
    peer.script.add('+5511900000001', TWILIO.notMobile('+5511900000001'));
    expect(failure(await twilioSms.send(outbound('+5511900000001'), call()))).toMatchObject({
      outcome: 'rejected',
      errorCode: '21614',
    });
    peer.script.add('+5511900000002', TWILIO.unsubscribed());
    expect(failure(await twilioSms.send(outbound('+5511900000002'), call()))).toMatchObject({
      outcome: 'rejected',
      errorCode: '21610',
    });
  });

  it('retries after Retry-After when rate limited, and on 5xx', async () => {
    peer.script.add('+5511900000003', TWILIO.rateLimited(7));
    expect(failure(await twilioSms.send(outbound('+5511900000003'), call()))).toMatchObject({
      outcome: 'retry',
      errorCode: '20429',
      statusCode: 429,
      retryAfterMs: 7000,
    });
    const later = new Date(Date.now() + 120_000).toUTCString();
    peer.script.add('+5511900000003', TWILIO.unavailable(later), TWILIO.serverError());
    const unavailable = failure(await twilioSms.send(outbound('+5511900000003'), call()));
    expect(unavailable).toMatchObject({ outcome: 'retry', errorCode: '20503', statusCode: 503 });
    expect(unavailable.retryAfterMs).toBeGreaterThan(60_000);
    expect(failure(await twilioSms.send(outbound('+5511900000003'), call()))).toMatchObject({
      outcome: 'retry',
      errorCode: '20500',
      statusCode: 500,
      retryAfterMs: null,
    });
    // The next attempt goes through.
    expect((await twilioSms.send(outbound('+5511900000003'), call())).outcome).toBe('sent');
  });

  it('fails the provider on a wrong Auth Token, without the token in the log text', async () => {
    const result = failure(
      await twilioSms.send(outbound('+5511987654321'), { ...call(), secrets: { authToken: 'wrong' } }),
    );
    expect(result).toMatchObject({ outcome: 'provider_failed', errorCode: '20003', statusCode: 401 });
    expect(result.error).not.toContain('wrong');
  });

  it('counts a 2xx it cannot read as sent (no duplicate SMS) and a non-JSON 5xx as retry', async () => {
    peer.script.add('+5511900000004', { status: 201, body: '<html>ok</html>' });
    expect(await twilioSms.send(outbound('+5511900000004'), call())).toMatchObject({
      outcome: 'sent',
      providerMessageId: null,
      statusCode: 201,
    });
    peer.script.add('+5511900000004', { status: 502, body: '<html>Bad Gateway</html>' });
    expect(failure(await twilioSms.send(outbound('+5511900000004'), call()))).toMatchObject({
      outcome: 'retry',
      errorCode: null,
      statusCode: 502,
    });
  });

  it('retries when Twilio does not answer in time', async () => {
    peer.script.add('+5511900000005', { hang: true });
    expect(failure(await twilioSms.send(outbound('+5511900000005'), call({}, 300)))).toMatchObject({
      outcome: 'retry',
      errorCode: 'timeout',
      statusCode: null,
    });
  });

  it('does not call a private address unless allowed (a non-sent outcome, not a throw)', async () => {
    const before = peer.requests.length;
    const result = failure(
      await twilioSms.send(outbound('+5511987654321'), { ...call(), allowPrivate: false }),
    );
    expect(result).toMatchObject({
      outcome: 'provider_failed',
      errorCode: 'blocked_address',
      statusCode: null,
    });
    expect(peer.requests.length).toBe(before);
  });

  it('reads a signed status callback, and refuses a bad or missing signature', async () => {
    const sent = await twilioSms.send(outbound('+5511987654323'), call());
    const sid = sent.outcome === 'sent' ? (sent.providerMessageId as string) : '';
    const { config, secrets } = call();
    const cb = (r: ReturnType<TwilioPeer['statusCallback']>): CallbackRequest => ({
      method: 'POST',
      url: r.url,
      headers: r.headers,
      query: {},
      rawBody: r.rawBody,
    });

    const delivered = twilioSms.callback?.(cb(peer.statusCallback(sid, 'delivered')), { config, secrets });
    expect(delivered).toMatchObject({
      kind: 'updates',
      statuses: [{ providerMessageId: sid, status: 'delivered', errorCode: null }],
      inbound: [],
    });
    const undelivered = twilioSms.callback?.(
      cb(peer.statusCallback(sid, 'undelivered', { ErrorCode: '30003' })),
      {
        config,
        secrets,
      },
    );
    expect(undelivered).toMatchObject({ statuses: [{ status: 'failed', errorCode: '30003' }] });
    // queued / sending say nothing yet.
    expect(twilioSms.callback?.(cb(peer.statusCallback(sid, 'sending')), { config, secrets })).toEqual({
      kind: 'updates',
      statuses: [],
      inbound: [],
    });

    // Tampered status, another URL, a wrong token, no header: all unauthorized.
    const good = peer.statusCallback(sid, 'delivered');
    const tampered = { ...good, rawBody: Buffer.from(good.rawBody.toString().replace('delivered', 'read')) };
    expect(twilioSms.callback?.(cb(tampered), { config, secrets })).toEqual({ kind: 'unauthorized' });
    expect(twilioSms.callback?.({ ...cb(good), url: `${good.url}&y=2` }, { config, secrets })).toEqual({
      kind: 'unauthorized',
    });
    expect(twilioSms.callback?.(cb(good), { config, secrets: { authToken: 'other' } })).toEqual({
      kind: 'unauthorized',
    });
    const { 'x-twilio-signature': _, ...unsigned } = good.headers;
    expect(twilioSms.callback?.({ ...cb(good), headers: unsigned }, { config, secrets })).toEqual({
      kind: 'unauthorized',
    });
  });
});

describe('WhatsApp Cloud API', () => {
  let peer: WhatsAppPeer;
  const call = (overrides: Record<string, unknown> = {}, timeoutMs = 5000) => ({
    config: { phoneNumberId: peer.phoneNumberId, baseUrl: peer.url, ...overrides },
    secrets: { accessToken: peer.accessToken, appSecret: peer.appSecret, verifyToken: peer.verifyToken },
    timeoutMs,
    allowPrivate: true,
  });
  const template = (parameters: string[]) => ({ name: 'task_assigned', language: 'pt_BR', parameters });
  beforeAll(async () => {
    peer = await startWhatsAppPeer();
    peer.templates.set('task_assigned', { language: 'pt_BR', parameters: 2 });
  });
  afterAll(() => peer.close());

  it('sends an approved template with its body parameters and the bearer token, and returns the wamid', async () => {
    const result = await whatsAppCloud.send(
      outbound('+5511987654321', { whatsappTemplate: template(['Ana', UTF8_TEXT]) }),
      call(),
    );
    expect(result).toMatchObject({ outcome: 'sent', statusCode: 200 });
    const req = peer.requests.at(-1);
    expect(req?.path).toBe(`/v21.0/${peer.phoneNumberId}/messages`);
    expect(req?.headers.authorization).toBe(`Bearer ${peer.accessToken}`);
    expect(req?.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(req?.body ?? '')).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+5511987654321',
      type: 'template',
      template: {
        name: 'task_assigned',
        language: { code: 'pt_BR' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Ana' },
              { type: 'text', text: UTF8_TEXT },
            ],
          },
        ],
      },
    });
    expect(result.outcome === 'sent' && result.providerMessageId).toBe(peer.sent.at(-1)?.id);
  });

  it('sends free text inside the 24 h window; outside it the API refuses it for good (131047)', async () => {
    peer.careWindow.add('+5511911111111');
    const inside = await whatsAppCloud.send(outbound('+5511911111111'), call({ apiVersion: 'v20.0' }));
    expect(inside.outcome).toBe('sent');
    const req = peer.requests.at(-1);
    expect(req?.path).toBe(`/v20.0/${peer.phoneNumberId}/messages`);
    expect(JSON.parse(req?.body ?? '')).toMatchObject({ type: 'text', text: { body: UTF8_TEXT } });
    expect(failure(await whatsAppCloud.send(outbound('+5511922222222'), call()))).toMatchObject({
      outcome: 'rejected',
      errorCode: '131047',
      statusCode: 400,
    });
  });

  it('refuses for good a template that does not exist, wrong parameters and an undeliverable number', async () => {
    expect(
      failure(
        await whatsAppCloud.send(
          outbound('+5511987654321', { whatsappTemplate: { ...template(['a', 'b']), name: 'nope' } }),
          call(),
        ),
      ),
    ).toMatchObject({ outcome: 'rejected', errorCode: '132001', statusCode: 404 });
    expect(
      failure(
        await whatsAppCloud.send(outbound('+5511987654321', { whatsappTemplate: template(['a']) }), call()),
      ),
    ).toMatchObject({ outcome: 'rejected', errorCode: '132000' });
    peer.script.add('+5511933333333', WHATSAPP.invalidNumber());
    expect(
      failure(
        await whatsAppCloud.send(
          outbound('+5511933333333', { whatsappTemplate: template(['a', 'b']) }),
          call(),
        ),
      ),
    ).toMatchObject({ outcome: 'rejected', errorCode: '131026' });
  });

  it('retries on rate limits (HTTP 400 with a rate-limit code, Retry-After kept) and 5xx', async () => {
    const msg = outbound('+5511944444444', { whatsappTemplate: template(['a', 'b']) });
    peer.script.add(
      '+5511944444444',
      WHATSAPP.rateLimited(30),
      WHATSAPP.spamRateLimited(),
      WHATSAPP.serverError(),
    );
    expect(failure(await whatsAppCloud.send(msg, call()))).toMatchObject({
      outcome: 'retry',
      errorCode: '130429',
      statusCode: 400,
      retryAfterMs: 30_000,
    });
    expect(failure(await whatsAppCloud.send(msg, call()))).toMatchObject({
      outcome: 'retry',
      errorCode: '131048',
    });
    expect(failure(await whatsAppCloud.send(msg, call()))).toMatchObject({
      outcome: 'retry',
      errorCode: '1',
      statusCode: 500,
    });
    peer.script.add(
      '+5511944444444',
      graphError(429, 80007, 'Rate limit issues', { headers: { 'retry-after': '2' } }),
    );
    expect(failure(await whatsAppCloud.send(msg, call()))).toMatchObject({
      outcome: 'retry',
      errorCode: '80007',
      retryAfterMs: 2000,
    });
  });

  it('fails the provider on an expired access token (190)', async () => {
    const expired = 'EAAGexpired';
    peer.expiredTokens.add(expired);
    const result = failure(
      await whatsAppCloud.send(outbound('+5511987654321', { whatsappTemplate: template(['a', 'b']) }), {
        ...call(),
        secrets: { ...call().secrets, accessToken: expired },
      }),
    );
    expect(result).toMatchObject({ outcome: 'provider_failed', errorCode: '190', statusCode: 401 });
    expect(result.error).not.toContain(expired);
  });

  it('counts a 2xx it cannot read as sent, a non-JSON 5xx as retry, and retries a peer that never answers', async () => {
    const msg = outbound('+5511955555555', { whatsappTemplate: template(['a', 'b']) });
    peer.script.add(
      '+5511955555555',
      { status: 200, body: 'not json' },
      { status: 503, body: '<html>upstream down</html>' },
      { hang: true },
    );
    expect(await whatsAppCloud.send(msg, call())).toMatchObject({ outcome: 'sent', providerMessageId: null });
    expect(failure(await whatsAppCloud.send(msg, call()))).toMatchObject({
      outcome: 'retry',
      statusCode: 503,
    });
    expect(failure(await whatsAppCloud.send(msg, call({}, 300)))).toMatchObject({
      outcome: 'retry',
      errorCode: 'timeout',
    });
  });

  it('does not call a private address unless allowed', async () => {
    const before = peer.requests.length;
    const result = await whatsAppCloud.send(
      outbound('+5511987654321', { whatsappTemplate: template(['a', 'b']) }),
      {
        ...call(),
        allowPrivate: false,
      },
    );
    expect(failure(result)).toMatchObject({ outcome: 'provider_failed', errorCode: 'blocked_address' });
    expect(peer.requests.length).toBe(before);
  });

  it('answers the webhook verification challenge only with the right verify token', () => {
    const { config, secrets } = call();
    const get = (query: Record<string, string>): CallbackRequest => ({
      method: 'GET',
      url: 'https://bul.example.com/cb',
      headers: {},
      query,
      rawBody: Buffer.alloc(0),
    });
    expect(
      whatsAppCloud.callback?.(
        get({ 'hub.mode': 'subscribe', 'hub.verify_token': peer.verifyToken, 'hub.challenge': '1158201444' }),
        { config, secrets },
      ),
    ).toEqual({ kind: 'challenge', body: '1158201444' });
    expect(
      whatsAppCloud.callback?.(
        get({ 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': '1158201444' }),
        { config, secrets },
      ),
    ).toEqual({ kind: 'unauthorized' });
    expect(
      whatsAppCloud.callback?.(
        get({ 'hub.mode': 'unsubscribe', 'hub.verify_token': peer.verifyToken, 'hub.challenge': '1' }),
        { config, secrets },
      ),
    ).toEqual({ kind: 'unauthorized' });
  });

  it('reads signed statuses and replies, and refuses a bad signature', () => {
    const { config, secrets } = call();
    const payload = whatsAppWebhookPayload(peer.phoneNumberId, {
      statuses: [
        { id: 'wamid.A', status: 'delivered', timestamp: '1767225600', recipient_id: '5511987654321' },
        {
          id: 'wamid.B',
          status: 'failed',
          timestamp: '1767225660',
          recipient_id: '5511987654321',
          errors: [{ code: 131026, title: 'Message undeliverable' }],
        },
      ],
      contacts: [{ profile: { name: 'Ana' }, wa_id: '5511987654321' }],
      messages: [
        {
          from: '5511987654321',
          id: 'wamid.R',
          timestamp: '1767225700',
          type: 'text',
          text: { body: 'Sim, obrigada ✓' },
          context: { from: '15550783881', id: 'wamid.A' },
        },
      ],
    });
    const post = (signed: ReturnType<WhatsAppPeer['webhook']>): CallbackRequest => ({
      method: 'POST',
      url: 'https://bul.example.com/cb',
      headers: signed.headers,
      query: {},
      rawBody: signed.rawBody,
    });
    expect(whatsAppCloud.callback?.(post(peer.webhook(payload)), { config, secrets })).toEqual({
      kind: 'updates',
      statuses: [
        {
          providerMessageId: 'wamid.A',
          status: 'delivered',
          errorCode: null,
          error: null,
          at: new Date(1767225600_000),
        },
        {
          providerMessageId: 'wamid.B',
          status: 'failed',
          errorCode: '131026',
          error: 'Message undeliverable',
          at: new Date(1767225660_000),
        },
      ],
      inbound: [
        {
          providerMessageId: 'wamid.R',
          from: '5511987654321',
          text: 'Sim, obrigada ✓',
          inReplyTo: 'wamid.A',
          at: new Date(1767225700_000),
        },
      ],
    });

    expect(
      whatsAppCloud.callback?.(post(peer.webhook(payload, 'another-secret')), { config, secrets }),
    ).toEqual({
      kind: 'unauthorized',
    });
    const signed = peer.webhook(payload);
    const tampered = {
      ...signed,
      rawBody: Buffer.from(signed.rawBody.toString().replace('delivered', 'read')),
    };
    expect(whatsAppCloud.callback?.(post(tampered), { config, secrets })).toEqual({ kind: 'unauthorized' });
    expect(
      whatsAppCloud.callback?.(post({ headers: {}, rawBody: signed.rawBody }), { config, secrets }),
    ).toEqual({ kind: 'unauthorized' });
  });
});

describe('FCM HTTP v1', () => {
  let peer: FcmPeer;
  const call = (overrides: Record<string, unknown> = {}, timeoutMs = 5000) => ({
    config: { baseUrl: peer.url, ...overrides },
    secrets: { serviceAccountJson: peer.serviceAccountJson },
    timeoutMs,
    allowPrivate: true,
  });
  const device = (n: number) => `fcm-token-${n}:APA91b${'x'.repeat(20)}`;
  // A fresh peer (new key, new token URL, so a fresh token cache) for every test.
  const fresh = async () => {
    await peer?.close();
    peer = await startFcmPeer();
  };
  afterAll(() => peer.close());

  it('gets an access token with a signed JWT, sends the v1 message and returns its name', async () => {
    await fresh();
    const result = await fcmPush.send(
      outbound(
        device(1),
        {},
        { priority: 'critical', data: { taskId: 't-1', count: 3, from: 'x', nested: { a: 1 } } },
      ),
      call(),
    );
    expect(result).toMatchObject({ outcome: 'sent', statusCode: 200 });
    expect(result.outcome === 'sent' && result.providerMessageId).toBe(peer.sent.at(-1)?.name);
    expect(peer.tokenRequests()).toBe(1); // the peer verified the JWT with the public key
    const tokenReq = peer.requests.find((r) => r.path === '/token');
    expect(new URLSearchParams(tokenReq?.body).get('grant_type')).toBe(
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
    );
    const req = peer.requests.at(-1);
    expect(req?.path).toBe(`/v1/projects/${peer.projectId}/messages:send`);
    expect(req?.headers.authorization).toBe(`Bearer ${peer.issued[0]}`);
    expect(JSON.parse(req?.body ?? '')).toEqual({
      message: {
        token: device(1),
        notification: { title: 'Nova tarefa', body: UTF8_TEXT },
        data: {
          taskId: 't-1',
          count: '3',
          nested: '{"a":1}',
          bul_notification_id: '01936f3e-8b1a-7c2d-9e4f-0a1b2c3d4e5f',
          bul_event_type: 'task.assigned',
        },
        android: { priority: 'high' },
        apns: { headers: { 'apns-priority': '10' } },
      },
    });

    // The token is reused: one token request for many sends.
    const low = await fcmPush.send(outbound(device(2), { subject: null }, { priority: 'low' }), call());
    expect(low.outcome).toBe('sent');
    expect(peer.tokenRequests()).toBe(1);
    expect(JSON.parse(peer.requests.at(-1)?.body ?? '').message).toMatchObject({
      notification: { body: UTF8_TEXT },
      android: { priority: 'normal' },
      apns: { headers: { 'apns-priority': '5' } },
    });
    expect(JSON.parse(peer.requests.at(-1)?.body ?? '').message.notification.title).toBeUndefined();
  });

  it('on an expired access token gets one fresh token and sends; a second 401 fails the provider', async () => {
    await fresh();
    expect((await fcmPush.send(outbound(device(1)), call())).outcome).toBe('sent');
    peer.expired.add(peer.issued[0] as string);
    const refreshed = await fcmPush.send(outbound(device(1)), call());
    expect(refreshed.outcome).toBe('sent');
    expect(peer.tokenRequests()).toBe(2);
    const sends = peer.requests.filter((r) => r.path.endsWith('messages:send'));
    expect(sends.map((r) => r.headers.authorization)).toEqual([
      `Bearer ${peer.issued[0]}`,
      `Bearer ${peer.issued[0]}`,
      `Bearer ${peer.issued[1]}`,
    ]);

    // Every token refused: exactly one refresh, then provider_failed.
    peer.refuseAllTokens = true;
    peer.expired.add(peer.issued[1] as string);
    const failed = failure(await fcmPush.send(outbound(device(1)), call()));
    expect(failed).toMatchObject({
      outcome: 'provider_failed',
      errorCode: 'UNAUTHENTICATED',
      statusCode: 401,
    });
    expect(peer.tokenRequests()).toBe(3);
    expect(peer.sendRequests()).toBe(5);
  });

  it('fails the provider when the token endpoint answers invalid_grant', async () => {
    await fresh();
    peer.revoked = true;
    const result = failure(await fcmPush.send(outbound(device(1)), call()));
    expect(result).toMatchObject({ outcome: 'provider_failed', errorCode: 'invalid_grant', statusCode: 400 });
    expect(peer.sendRequests()).toBe(0);
    // A JWT signed by another key is refused by the peer the same way.
    peer.revoked = false;
    const other = await startFcmPeer();
    try {
      const wrongKey = JSON.stringify({
        ...JSON.parse(peer.serviceAccountJson),
        private_key: JSON.parse(other.serviceAccountJson).private_key,
      });
      const r = failure(
        await fcmPush.send(outbound(device(1)), { ...call(), secrets: { serviceAccountJson: wrongKey } }),
      );
      expect(r).toMatchObject({ outcome: 'provider_failed', errorCode: 'invalid_grant' });
      expect(peer.issued).toEqual([]);
    } finally {
      await other.close();
    }
    // And a service account JSON that is not one.
    expect(
      failure(
        await fcmPush.send(outbound(device(1)), { ...call(), secrets: { serviceAccountJson: '{"a":1}' } }),
      ),
    ).toMatchObject({ outcome: 'provider_failed', statusCode: null });
  });

  it('maps FCM errors: unregistered and invalid → rejected, sender mismatch → provider_failed, quota and 5xx → retry', async () => {
    await fresh();
    peer.unregistered.add(device(9));
    expect(failure(await fcmPush.send(outbound(device(9)), call()))).toMatchObject({
      outcome: 'rejected',
      errorCode: 'UNREGISTERED',
      statusCode: 404,
    });
    peer.script.add(
      device(3),
      FCM.invalidArgument(),
      FCM.senderIdMismatch(),
      FCM.quotaExceeded(60),
      FCM.unavailable(),
      FCM.internal(),
    );
    expect(failure(await fcmPush.send(outbound(device(3)), call()))).toMatchObject({
      outcome: 'rejected',
      errorCode: 'INVALID_ARGUMENT',
      statusCode: 400,
    });
    expect(failure(await fcmPush.send(outbound(device(3)), call()))).toMatchObject({
      outcome: 'provider_failed',
      errorCode: 'SENDER_ID_MISMATCH',
      statusCode: 403,
    });
    expect(failure(await fcmPush.send(outbound(device(3)), call()))).toMatchObject({
      outcome: 'retry',
      errorCode: 'QUOTA_EXCEEDED',
      statusCode: 429,
      retryAfterMs: 60_000,
    });
    expect(failure(await fcmPush.send(outbound(device(3)), call()))).toMatchObject({
      outcome: 'retry',
      errorCode: 'UNAVAILABLE',
      statusCode: 503,
    });
    expect(failure(await fcmPush.send(outbound(device(3)), call()))).toMatchObject({
      outcome: 'retry',
      errorCode: 'INTERNAL',
      statusCode: 500,
    });
    expect(peer.tokenRequests()).toBe(1);
  });

  it('counts a 2xx it cannot read as sent, a non-JSON 5xx as retry, and retries a peer that never answers', async () => {
    await fresh();
    peer.script.add(
      device(4),
      { status: 200, body: 'garbage' },
      { status: 500, body: '<html>oops</html>' },
      { hang: true },
    );
    expect(await fcmPush.send(outbound(device(4)), call())).toMatchObject({
      outcome: 'sent',
      providerMessageId: null,
    });
    expect(failure(await fcmPush.send(outbound(device(4)), call()))).toMatchObject({
      outcome: 'retry',
      errorCode: null,
      statusCode: 500,
    });
    expect(failure(await fcmPush.send(outbound(device(4)), call({}, 300)))).toMatchObject({
      outcome: 'retry',
      errorCode: 'timeout',
    });
  });

  it('does not call private addresses unless allowed, the token endpoint included', async () => {
    await fresh();
    const result = failure(await fcmPush.send(outbound(device(1)), { ...call(), allowPrivate: false }));
    expect(result).toMatchObject({ outcome: 'provider_failed', errorCode: 'blocked_address' });
    expect(peer.requests).toEqual([]);
  });

  it('uses the tokenUrl override for the JWT audience and the token request', async () => {
    await fresh();
    // Same endpoint, another URL: the peer expects its own token URL as the audience.
    const alias = `${peer.tokenUrl}?via=override`;
    const result = failure(await fcmPush.send(outbound(device(1)), call({ tokenUrl: alias })));
    expect(result).toMatchObject({ outcome: 'provider_failed', errorCode: 'invalid_grant' });
    expect(peer.tokenRequests()).toBe(1);
    expect((await fcmPush.send(outbound(device(1)), call({ tokenUrl: peer.tokenUrl }))).outcome).toBe('sent');
  });
});
