// The ceiling sender of the notifications benchmark (bench/notifications.ts), a plain Node process
// of its own (as BUL's worker is one): it sends to the same sinks what BUL's worker sends, as fast
// as the sinks and the machine allow, with the same concurrency, and tells the parent when it sent
// each message. The parent (IPC) sends one command at a time and gets `{ sentAt: [id, ms][] }`:
//   { webhook: { url, secret, count, concurrency, keepAlive, subject, text, rate?, seconds? } }
//     signed POSTs (Standard Webhooks headers, HMAC-SHA256) of BUL's notification body shape;
//     keepAlive false opens a connection per POST, as BUL's sender does (`agent: false`);
//     with `rate`, paced (open loop) for `seconds` instead of all at once;
//   { smtp: { port, count, concurrency, poolSize, from, subject, text, html } }
//     nodemailer with a pool of `poolSize` connections (maxMessages 100, as BUL's bulk pool).
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import nodemailer from 'nodemailer';
import { now } from './clock.ts';

interface WebhookCommand {
  url: string;
  secret: string;
  count: number;
  concurrency: number;
  keepAlive: boolean;
  subject: string;
  text: string;
  rate?: number;
  seconds?: number;
}

interface SmtpCommand {
  port: number;
  count: number;
  concurrency: number;
  poolSize: number;
  from: string;
  subject: string;
  text: string;
  html: string | null;
}

/** Runs `job(i)` for i < count with at most `concurrency` at once. */
async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

function post(url: URL, agent: http.Agent | false, headers: Record<string, string>, body: string) {
  return new Promise<number>((resolve) => {
    const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

async function webhook(c: WebhookCommand) {
  const url = new URL(c.url);
  const key = Buffer.from(c.secret.replace(/^whsec_/, ''), 'base64');
  const agent = c.keepAlive ? new http.Agent({ keepAlive: true, maxSockets: c.concurrency }) : false;
  const sentAt: [string, number][] = [];
  let failed = 0;
  const one = async () => {
    const id = randomUUID();
    const t = now();
    sentAt.push([id, t]);
    const timestamp = Math.floor(t / 1000);
    const body = JSON.stringify({
      type: 'notification',
      timestamp: new Date(t).toISOString(),
      data: {
        notificationId: id,
        eventType: 'message.custom',
        priority: 'normal',
        subject: c.subject,
        text: c.text,
        data: { batchId: randomUUID() },
      },
    });
    const mac = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
    const status = await post(
      url,
      agent,
      {
        'content-type': 'application/json',
        'user-agent': 'BUL-Webhooks/1',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': `v1,${mac}`,
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    );
    if (status < 200 || status >= 300) failed++;
  };
  const started = performance.now();
  if (c.rate) {
    const total = Math.round(c.rate * (c.seconds ?? 10));
    const inFlight: Promise<void>[] = [];
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) * c.rate) / 1000));
      while (sent < due) {
        inFlight.push(one());
        sent++;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(inFlight);
  } else {
    await pool(c.count, c.concurrency, one);
  }
  if (agent) agent.destroy();
  return { sentAt, failed, seconds: (performance.now() - started) / 1000 };
}

async function smtp(c: SmtpCommand) {
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: c.poolSize,
    maxMessages: 100,
    host: '127.0.0.1',
    port: c.port,
    secure: false,
    ignoreTLS: true,
  });
  const sentAt: [string, number][] = [];
  let failed = 0;
  const started = performance.now();
  await pool(c.count, c.concurrency, async (i) => {
    const id = randomUUID();
    sentAt.push([id, now()]);
    try {
      await transport.sendMail({
        from: c.from,
        to: { name: `Member ${i}`, address: `member${i}@bench.example` },
        subject: c.subject,
        text: c.text,
        ...(c.html ? { html: c.html } : {}),
        messageId: `<${id}@bench.example>`,
        headers: {
          'X-BUL-Notification-Id': id,
          'Auto-Submitted': 'auto-generated',
          'List-Unsubscribe': `<http://localhost:8080/api/v1/notifications/unsubscribe/${randomUUID()}>`,
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
      });
    } catch {
      failed++;
    }
  });
  transport.close();
  return { sentAt, failed, seconds: (performance.now() - started) / 1000 };
}

process.on('message', (m: { webhook?: WebhookCommand; smtp?: SmtpCommand }) => {
  const run = m.webhook ? webhook(m.webhook) : smtp(m.smtp!);
  run.then(
    (r) => process.send!(r),
    (err: Error) => process.send!({ error: err.message, sentAt: [], failed: 0, seconds: 0 }),
  );
});
process.send!({ ready: true });
process.on('disconnect', () => process.exit(0));
