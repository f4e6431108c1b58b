// Notification channel providers (issue 16 item 1): e-mail over SMTP, the signed webhook channel,
// and Slack, Teams and Discord incoming webhooks, each against a real local peer: smtp-server +
// mailparser, a webhook sink verifying signatures with `standardwebhooks`, and one HTTP server
// playing the three chat services' documented endpoints. No database.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DISCORD_CONTENT_LIMIT,
  discordIncoming,
  SLACK_TEXT_LIMIT,
  slackIncoming,
  TEAMS_BODY_BYTES,
  teamsIncoming,
} from '../src/modules/notifications/channels/chat-webhooks.ts';
import type { OutboundMessage, SendResult } from '../src/modules/notifications/channels/provider.ts';
import { signedWebhook } from '../src/modules/notifications/channels/signed-webhook.ts';
import {
  closeSmtpTransports,
  type SmtpConfig,
  smtpEmail,
  smtpFromEnvironment,
} from '../src/modules/notifications/channels/smtp-email.ts';
import { type ChatPeer, startChatPeer } from './support/providers/chat.ts';
import { type SmtpPeer, startSmtpPeer } from './support/providers/smtp.ts';
import { answerStatus, type Sink, startSink } from './support/webhook-sink.ts';

const SUBJECT = 'Ação concluída — ñandú ✓';
const TEXT = 'A tarefa «Revisão» foi concluída — ñandú ✓ 日本語';
const HTML = '<p>A tarefa &laquo;Revis&atilde;o&raquo; &lt;b&gt; foi concluída — ñandú ✓</p>';

function outbound(
  o: Partial<OutboundMessage> & { subject?: string | null; text?: string; html?: string | null } = {},
) {
  const m: OutboundMessage = {
    id: o.id ?? randomUUID(),
    orgId: randomUUID(),
    eventType: 'task.completed',
    priority: 'normal',
    to: o.to ?? null,
    recipientName: o.recipientName ?? null,
    message: {
      subject: o.subject === undefined ? SUBJECT : o.subject,
      text: o.text ?? TEXT,
      html: o.html === undefined ? null : o.html,
      whatsappTemplate: null,
    },
    unsubscribeUrl: o.unsubscribeUrl ?? null,
    data: o.data ?? { taskId: 't-1' },
    createdAt: '2026-03-14T09:26:53.589Z',
  };
  return m;
}

/** The element at `i`, which the test expects to be there. */
function at<T>(list: readonly T[] | undefined, i: number): T {
  const v = list?.[i];
  if (v === undefined) throw new Error(`nothing at ${i}`);
  return v;
}

function failure(r: SendResult) {
  if (r.outcome === 'sent') throw new Error(`expected a failure, got sent (${r.statusCode})`);
  return r;
}

/** A port nothing listens on: a server's, after it closed. */
async function closedPort(): Promise<number> {
  const peer = await startSmtpPeer();
  await peer.close();
  return peer.port;
}

describe('e-mail over SMTP', () => {
  let peer: SmtpPeer;
  const config = (port: number, extra: Partial<SmtpConfig> = {}): SmtpConfig => ({
    host: '127.0.0.1',
    port,
    secure: false,
    from: { address: 'noreply@bul.example', name: 'BUL Avisos' },
    ...extra,
  });
  // The local relay is on 127.0.0.1: allowed as the platform's own relay (SMTP_HOST) is.
  const call = (port: number, extra: Partial<SmtpConfig> = {}, secrets = {}, allowPrivate = true) => ({
    config: config(port, extra),
    secrets,
    timeoutMs: 5000,
    allowPrivate,
  });

  beforeAll(async () => {
    peer = await startSmtpPeer({
      unknownMailboxes: ['gone@example.org'],
      refusedSenders: ['spoof@bul.example'],
    });
  });
  afterAll(async () => {
    closeSmtpTransports();
    await peer.close();
  });

  it('sends UTF-8 subject, text and the HTML part as given, with the RFC 8058 headers and a stable Message-ID', async () => {
    const id = randomUUID();
    const unsubscribeUrl = `https://bul.example/api/v1/notifications/unsubscribe?token=${'a'.repeat(40)}`;
    const m = outbound({ id, to: 'ana@example.org', recipientName: 'Ana Núñez', html: HTML, unsubscribeUrl });
    const first = await smtpEmail.send(m, call(peer.port, { replyTo: 'help@bul.example' }));
    const second = await smtpEmail.send(m, call(peer.port, { replyTo: 'help@bul.example' }));
    expect(first).toMatchObject({ outcome: 'sent', statusCode: 250 });
    expect(second.outcome).toBe('sent');
    // The relay's queue id from its 250 reply, not the Message-ID.
    if (first.outcome === 'sent') expect(first.providerMessageId).toMatch(/^Q\d{6}$/);

    const mails = peer.received.filter((r) => r.parsed.headers.get('x-bul-notification-id') === id);
    expect(mails).toHaveLength(2);
    const a = at(mails, 0).parsed;
    const b = at(mails, 1).parsed;
    expect(a.subject).toBe(SUBJECT);
    expect(a.text?.trim()).toBe(TEXT);
    expect(a.html).toBe(HTML);
    expect(a.from?.value[0]).toEqual({ address: 'noreply@bul.example', name: 'BUL Avisos' });
    expect(a.to && !Array.isArray(a.to) ? a.to.value[0] : null).toEqual({
      address: 'ana@example.org',
      name: 'Ana Núñez',
    });
    expect(at(a.replyTo?.value, 0).address).toBe('help@bul.example');
    expect(at(mails, 0).envelopeTo).toEqual(['ana@example.org']);

    const header = (name: string) =>
      a.headerLines
        .filter((h) => h.key === name)
        .map((h) => h.line.replace(/\r?\n(?=[ \t])/g, '').replace(/^[^:]+:\s*/, ''));
    expect(header('list-unsubscribe')).toEqual([`<${unsubscribeUrl}>`]);
    expect(header('list-unsubscribe-post')).toEqual(['List-Unsubscribe=One-Click']);
    expect(header('auto-submitted')).toEqual(['auto-generated']);

    expect(a.messageId).toBe(`<${id}@bul.example>`);
    expect(b.messageId).toBe(a.messageId);
  });

  it('leaves out the unsubscribe headers and the HTML part when there are none', async () => {
    const id = randomUUID();
    expect((await smtpEmail.send(outbound({ id, to: 'ana@example.org' }), call(peer.port))).outcome).toBe(
      'sent',
    );
    const mail = peer.received.find((r) => r.parsed.headers.get('x-bul-notification-id') === id);
    expect(mail?.parsed.headers.has('list-unsubscribe')).toBe(false);
    expect(mail?.parsed.headers.has('list-unsubscribe-post')).toBe(false);
    expect(mail?.parsed.html).toBe(false);
  });

  it('a 451 reply is a retry, and the same message then goes through', async () => {
    const relay = await startSmtpPeer({ tempFailFirst: 1 });
    try {
      const m = outbound({ to: 'ana@example.org' });
      const first = failure(await smtpEmail.send(m, call(relay.port)));
      expect(first).toMatchObject({ outcome: 'retry', errorCode: '451', statusCode: 451 });
      expect(relay.received).toHaveLength(0);
      expect((await smtpEmail.send(m, call(relay.port))).outcome).toBe('sent');
      expect(relay.received).toHaveLength(1);
      expect(relay.tempFailed).toBe(1);
    } finally {
      await relay.close();
    }
  });

  it('550 for the mailbox is rejected for good', async () => {
    const r = failure(await smtpEmail.send(outbound({ to: 'gone@example.org' }), call(peer.port)));
    expect(r).toMatchObject({ outcome: 'rejected', errorCode: '550', statusCode: 550 });
    expect(r.error).toContain('Mailbox unavailable');
  });

  it('a relay refusing the sender (MAIL FROM) or lacking STARTTLS under requireTLS fails the provider, not the message', async () => {
    const sender = failure(
      await smtpEmail.send(
        outbound({ to: 'ana@example.org' }),
        call(peer.port, { from: { address: 'spoof@bul.example' } }),
      ),
    );
    expect(sender).toMatchObject({ outcome: 'provider_failed', errorCode: '553' });
    const tls = failure(
      await smtpEmail.send(outbound({ to: 'ana@example.org' }), call(peer.port, { requireTLS: true })),
    );
    expect(tls).toMatchObject({ outcome: 'provider_failed', errorCode: 'ETLS' });
  });

  it('AUTH: the right credentials send, wrong ones (535) fail the provider', async () => {
    const relay = await startSmtpPeer({ auth: { user: 'bul', password: 'right-password' } });
    try {
      const good = await smtpEmail.send(
        outbound({ to: 'ana@example.org' }),
        call(relay.port, {}, { user: 'bul', password: 'right-password' }),
      );
      expect(good.outcome).toBe('sent');
      const bad = failure(
        await smtpEmail.send(
          outbound({ to: 'ana@example.org' }),
          call(relay.port, {}, { user: 'bul', password: 'wrong' }),
        ),
      );
      expect(bad).toMatchObject({ outcome: 'provider_failed', errorCode: '535' });
      expect(bad.error).not.toContain('wrong');
      expect(relay.received).toHaveLength(1);
    } finally {
      await relay.close();
    }
  });

  it('connection refused is a retry', async () => {
    const r = failure(await smtpEmail.send(outbound({ to: 'ana@example.org' }), call(await closedPort())));
    expect(r.outcome).toBe('retry');
    expect(r.errorCode).toBe('ECONNREFUSED');
  });

  it("an organization's relay on a loopback or private address is refused by the SSRF guard, nothing sent", async () => {
    const before = peer.received.length;
    const r = failure(
      await smtpEmail.send(outbound({ to: 'ana@example.org' }), call(peer.port, {}, {}, false)),
    );
    expect(r).toMatchObject({ outcome: 'provider_failed', errorCode: 'blocked_address' });
    expect(peer.received).toHaveLength(before);
  });

  it('a certificate that does not verify fails the provider unless allowInsecureTls is set', async () => {
    const relay = await startSmtpPeer({ secure: true });
    try {
      const refused = failure(
        await smtpEmail.send(outbound({ to: 'ana@example.org' }), call(relay.port, { secure: true })),
      );
      expect(refused.outcome).toBe('provider_failed');
      expect(relay.received).toHaveLength(0);
      const insecure = await smtpEmail.send(
        outbound({ to: 'ana@example.org' }),
        call(relay.port, { secure: true, allowInsecureTls: true }),
      );
      expect(insecure.outcome).toBe('sent');
      expect(relay.received).toHaveLength(1);
    } finally {
      await relay.close();
    }
  });

  it('a message without an address is rejected without calling the relay', async () => {
    const before = peer.received.length;
    const r = failure(await smtpEmail.send(outbound({ to: null }), call(peer.port)));
    expect(r.outcome).toBe('rejected');
    expect(peer.received).toHaveLength(before);
  });

  it('smtpFromEnvironment turns the SMTP_* settings into the adapter settings', () => {
    expect(
      smtpFromEnvironment({
        host: 'mail',
        port: 465,
        secure: true,
        user: 'u',
        password: 'p',
        from: 'BUL <no@x.org>',
      }),
    ).toEqual({
      config: { host: 'mail', port: 465, secure: true, from: { address: 'no@x.org', name: 'BUL' } },
      secrets: { user: 'u', password: 'p' },
    });
    expect(
      smtpFromEnvironment({
        host: 'mail',
        port: 25,
        secure: false,
        user: null,
        password: null,
        from: 'no@x.org',
      }),
    ).toEqual({
      config: { host: 'mail', port: 25, secure: false, from: { address: 'no@x.org' } },
      secrets: {},
    });
  });
});

describe('signed webhook channel', () => {
  let sink: Sink;
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const call = (url: string, timeoutMs = 5000, allowPrivate = true) => ({
    config: { url },
    secrets: { secret },
    timeoutMs,
    allowPrivate,
  });

  beforeAll(async () => {
    sink = await startSink();
    sink.secret = secret;
  });
  afterAll(async () => {
    await sink.close();
  });

  it('POSTs { type, timestamp, data } signed so that standardwebhooks verifies it, the notification id as webhook-id', async () => {
    sink.answer = answerStatus(200);
    const m = outbound({ data: { taskId: 't-9', title: 'ñandú' } });
    const r = await signedWebhook.send(m, call(sink.url));
    expect(r).toMatchObject({ outcome: 'sent', statusCode: 200 });
    const got = sink.requests.at(-1);
    expect(got?.verifyError).toBeNull();
    expect(got?.headers['webhook-id']).toBe(m.id);
    expect(got?.verified).toEqual({
      type: 'notification',
      timestamp: m.createdAt,
      data: {
        notificationId: m.id,
        eventType: 'task.completed',
        priority: 'normal',
        subject: SUBJECT,
        text: TEXT,
        data: { taskId: 't-9', title: 'ñandú' },
      },
    });
  });

  it('410 Gone is rejected; 503 is a retry with its Retry-After; other 4xx and redirects fail the provider', async () => {
    sink.answer = answerStatus(410, 'gone');
    expect(failure(await signedWebhook.send(outbound(), call(sink.url)))).toMatchObject({
      outcome: 'rejected',
      statusCode: 410,
    });
    sink.answer = (_req, res) => {
      res.writeHead(503, { 'retry-after': '120' });
      res.end('busy');
    };
    expect(failure(await signedWebhook.send(outbound(), call(sink.url)))).toMatchObject({
      outcome: 'retry',
      statusCode: 503,
      retryAfterMs: 120_000,
    });
    sink.answer = answerStatus(401, 'bad signature');
    expect(failure(await signedWebhook.send(outbound(), call(sink.url))).outcome).toBe('provider_failed');
    sink.answer = (_req, res) => {
      res.writeHead(302, { location: 'http://169.254.169.254/' });
      res.end();
    };
    expect(failure(await signedWebhook.send(outbound(), call(sink.url)))).toMatchObject({
      outcome: 'provider_failed',
      errorCode: 'redirect',
    });
  });

  it('no answer in time is a retry', async () => {
    sink.answer = () => {}; // never answers
    const r = failure(await signedWebhook.send(outbound(), call(sink.url, 300)));
    expect(r).toMatchObject({ outcome: 'retry', errorCode: 'timeout', statusCode: null });
  });

  it('the SSRF guard refuses 127.0.0.1 when private addresses are not allowed: not sent, no throw', async () => {
    sink.answer = answerStatus(200);
    const before = sink.requests.length;
    const r = failure(await signedWebhook.send(outbound(), call(sink.url, 5000, false)));
    expect(r).toMatchObject({ outcome: 'provider_failed', errorCode: 'blocked_address' });
    expect(sink.requests).toHaveLength(before);
  });
});

describe('Slack, Teams and Discord incoming webhooks', () => {
  let peer: ChatPeer;
  const call = (url: string, o: { timeoutMs?: number; allowPrivate?: boolean } = {}) => ({
    config: {},
    secrets: { url },
    timeoutMs: o.timeoutMs ?? 5000,
    allowPrivate: o.allowPrivate ?? true,
  });
  const last = () => {
    const r = peer.requests.at(-1);
    if (!r) throw new Error('no request');
    return r;
  };

  beforeAll(async () => {
    peer = await startChatPeer();
  });
  afterAll(async () => {
    await peer.close();
  });

  describe('Slack', () => {
    it('posts text (escaped: no <!channel> ping) with header and section blocks', async () => {
      const m = outbound({ text: 'Hi <!channel> & <https://evil.example|click> ñandú ✓' });
      const r = await slackIncoming.send(m, call(peer.slackUrl));
      expect(r).toMatchObject({ outcome: 'sent', statusCode: 200, providerMessageId: null });
      const escaped = 'Hi &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt; ñandú ✓';
      expect(last().json).toEqual({
        text: `*${SUBJECT}*\n${escaped}`,
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: SUBJECT } },
          { type: 'section', text: { type: 'mrkdwn', text: escaped } },
        ],
      });
      expect(last().headers['content-type']).toBe('application/json');
    });

    it('truncates text to 40,000 characters with an ellipsis, without blocks that could not hold it', async () => {
      await slackIncoming.send(
        outbound({ subject: null, text: 'é'.repeat(SLACK_TEXT_LIMIT + 10) }),
        call(peer.slackUrl),
      );
      const body = last().json as { text: string; blocks?: unknown };
      expect(Array.from(body.text)).toHaveLength(SLACK_TEXT_LIMIT);
      expect(body.text.endsWith('é…')).toBe(true);
      expect(body.blocks).toBeUndefined();
    });

    it('429 retries after Retry-After; 400 invalid_payload is rejected; 404 no_service and 410 archived fail the provider; 500 retries', async () => {
      peer.failNext(
        'slack',
        { kind: 'rate_limited', retryAfterSeconds: 30 },
        { kind: 'bad_payload' },
        { kind: 'not_found' },
        { kind: 'archived' },
        { kind: 'server_error' },
      );
      const results = [];
      for (let i = 0; i < 5; i++)
        results.push(failure(await slackIncoming.send(outbound(), call(peer.slackUrl))));
      expect(results.map((r) => [r.outcome, r.errorCode, r.statusCode])).toEqual([
        ['retry', 'rate_limited', 429],
        ['rejected', 'invalid_payload', 400],
        ['provider_failed', 'no_service', 404],
        ['provider_failed', 'channel_is_archived', 410],
        ['retry', 'rollup_error', 500],
      ]);
      expect(at(results, 0).retryAfterMs).toBe(30_000);
      // The URL is the credential: never in the delivery log.
      for (const r of results) expect(r.error).not.toContain('XXXXXXXX');
    });
  });

  describe('Teams', () => {
    it('posts an Adaptive Card: the title in bold, then the text wrapped', async () => {
      const r = await teamsIncoming.send(outbound(), call(peer.teamsUrl));
      expect(r).toMatchObject({ outcome: 'sent', statusCode: 202 });
      const body = last().json as {
        type: string;
        attachments: { contentType: string; content: { type: string; version: string; body: unknown[] } }[];
      };
      expect(body.type).toBe('message');
      expect(body.attachments).toHaveLength(1);
      expect(at(body.attachments, 0).contentType).toBe('application/vnd.microsoft.card.adaptive');
      expect(at(body.attachments, 0).content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
      expect(at(body.attachments, 0).content.body).toEqual([
        { type: 'TextBlock', text: SUBJECT, weight: 'Bolder', size: 'Medium', wrap: true },
        { type: 'TextBlock', text: TEXT, wrap: true },
      ]);
      expect(last().query.get('sig')).toBe('s3cret');
    });

    it('keeps the card under the size limit, the text cut with an ellipsis', async () => {
      await teamsIncoming.send(outbound({ text: '✓"'.repeat(20_000) }), call(peer.teamsUrl));
      expect(Buffer.byteLength(last().body)).toBeLessThanOrEqual(TEAMS_BODY_BYTES);
      expect(Buffer.byteLength(last().body)).toBeGreaterThan(TEAMS_BODY_BYTES - 100);
      const card = (last().json as { attachments: { content: { body: { text: string }[] } }[] }).attachments;
      const text = at(at(card, 0).content.body, 1).text;
      expect(text.endsWith('…')).toBe(true);
    });

    it('429 retries after Retry-After; 400 is rejected; 404 fails the provider; 502 retries', async () => {
      peer.failNext(
        'teams',
        { kind: 'rate_limited', retryAfterSeconds: 7 },
        { kind: 'bad_payload' },
        { kind: 'not_found' },
        { kind: 'server_error' },
      );
      const results = [];
      for (let i = 0; i < 4; i++)
        results.push(failure(await teamsIncoming.send(outbound(), call(peer.teamsUrl))));
      expect(results.map((r) => [r.outcome, r.statusCode])).toEqual([
        ['retry', 429],
        ['rejected', 400],
        ['provider_failed', 404],
        ['retry', 502],
      ]);
      expect(at(results, 0).retryAfterMs).toBe(7000);
    });
  });

  describe('Discord', () => {
    it('posts content with wait=true, never parses mentions, and keeps the created message id', async () => {
      const m = outbound({ text: '@everyone <@&123> olá ✓' });
      const r = await discordIncoming.send(m, { ...call(peer.discordUrl), config: { username: 'BUL' } });
      expect(r.outcome).toBe('sent');
      expect(last().query.get('wait')).toBe('true');
      expect(last().json).toEqual({
        content: `**${SUBJECT}**\n@everyone <@&123> olá ✓`,
        username: 'BUL',
        allowed_mentions: { parse: [] },
      });
      if (r.outcome === 'sent') expect(r.providerMessageId).toMatch(/^\d{19}$/);
    });

    it('truncates content to 2,000 characters with an ellipsis', async () => {
      await discordIncoming.send(outbound({ subject: null, text: '😀'.repeat(3000) }), call(peer.discordUrl));
      const content = (last().json as { content: string }).content;
      expect(Array.from(content)).toHaveLength(DISCORD_CONTENT_LIMIT);
      expect(content.endsWith('😀…')).toBe(true);
    });

    it('429 retries after the JSON retry_after (seconds, fractional); 404 Unknown Webhook fails the provider; 400 is rejected', async () => {
      peer.failNext(
        'discord',
        { kind: 'rate_limited', retryAfterSeconds: 1.25 },
        { kind: 'not_found' },
        { kind: 'bad_payload' },
      );
      const results = [];
      for (let i = 0; i < 3; i++)
        results.push(failure(await discordIncoming.send(outbound(), call(peer.discordUrl))));
      expect(results.map((r) => [r.outcome, r.errorCode, r.statusCode])).toEqual([
        ['retry', '429', 429],
        ['provider_failed', '10015', 404],
        ['rejected', '50006', 400],
      ]);
      // The body's 1.25 s, more precise than the header's rounded 2.
      expect(at(results, 0).retryAfterMs).toBe(1250);
    });
  });

  it('no answer in time is a retry', async () => {
    peer.failNext('slack', { kind: 'hang' });
    const r = failure(await slackIncoming.send(outbound(), call(peer.slackUrl, { timeoutMs: 300 })));
    expect(r).toMatchObject({ outcome: 'retry', errorCode: 'timeout' });
  });

  it('the SSRF guard refuses 127.0.0.1 when private addresses are not allowed: not sent, no throw', async () => {
    const before = peer.requests.length;
    for (const provider of [slackIncoming, teamsIncoming]) {
      const url = provider === slackIncoming ? peer.slackUrl : peer.teamsUrl;
      const r = failure(await provider.send(outbound(), call(url, { allowPrivate: false })));
      expect(r).toMatchObject({ outcome: 'provider_failed', errorCode: 'blocked_address' });
    }
    const d = failure(await discordIncoming.send(outbound(), call(peer.discordUrl, { allowPrivate: false })));
    expect(d).toMatchObject({ outcome: 'provider_failed', errorCode: 'blocked_address' });
    expect(peer.requests).toHaveLength(before);
  });

  it('connection refused is a retry', async () => {
    const gone = await startChatPeer();
    await gone.close();
    const r = failure(await discordIncoming.send(outbound(), call(gone.discordUrl)));
    expect(r).toMatchObject({ outcome: 'retry', errorCode: 'connection_refused' });
  });
});
