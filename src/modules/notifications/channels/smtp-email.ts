// The e-mail channel: one message to one address through an SMTP relay, with nodemailer. The SSRF
// guard does not apply here: relays are set by organization admins and by the installation
// (SMTP_HOST), and an internal relay (localhost:25, a private smarthost) is the normal case.
//
// Transports are pooled, one pool per distinct setting (host, port, TLS, credentials, timeout),
// keyed by a hash of them: a send reuses an open, authenticated connection instead of paying the
// TCP + TLS + EHLO + AUTH round trips each time (the bench sends thousands). Changed settings give
// a new key; the least recently used pools beyond MAX_POOLS are closed, and idle connections close
// on their own after POOL_IDLE_MS. The pool holds connections only: no message state. Critical and
// high-priority messages have pools of their own: the runner's lanes keep a broadcast from delaying
// them, and a shared pool's queue would undo that (nodemailer serves a pool's messages in order).
import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import { type Static, Type } from 'typebox';
import { Email } from '../../../platform/http/common-schemas.ts';
import { BlockedAddressError, resolveChecked } from '../../../platform/outbound/address-guard.ts';
import type { ChannelProvider, OutboundMessage, ProbeResult, ProviderCall, SendResult } from './provider.ts';

export const SmtpConfig = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 253, examples: ['smtp.example.com'] }),
    port: Type.Integer({ minimum: 1, maximum: 65535, examples: [587] }),
    secure: Type.Boolean({ default: false, description: 'Implicit TLS from the first byte (port 465).' }),
    requireTLS: Type.Optional(
      Type.Boolean({ description: 'Refuse to send unless the server upgrades with STARTTLS.' }),
    ),
    from: Type.Object({
      address: Email,
      name: Type.Optional(Type.String({ maxLength: 200, examples: ['BUL'] })),
    }),
    replyTo: Type.Optional(Email),
    allowInsecureTls: Type.Optional(
      Type.Boolean({
        default: false,
        description: "Accept a certificate that does not verify (a local relay's self-signed one).",
      }),
    ),
  },
  { additionalProperties: false },
);
export type SmtpConfig = Static<typeof SmtpConfig>;

export const SmtpSecrets = Type.Object(
  {
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  },
  { additionalProperties: false, description: 'Both absent: the relay takes mail without AUTH.' },
);
export type SmtpSecrets = Static<typeof SmtpSecrets>;

const MAX_POOLS = 200;
const POOL_IDLE_MS = 30_000;
const pools = new Map<string, Transporter>();

function transportFor(
  config: SmtpConfig,
  secrets: SmtpSecrets,
  timeoutMs: number,
  lane: 'urgent' | 'bulk',
): Transporter {
  const key = createHash('sha256')
    .update(lane)
    .update(JSON.stringify([config.host, config.port, config.secure, config.requireTLS ?? false]))
    .update(JSON.stringify([config.allowInsecureTls ?? false, secrets.user, secrets.password, timeoutMs]))
    .digest('base64');
  const cached = pools.get(key);
  if (cached) {
    // Most recently used last, so eviction takes the oldest.
    pools.delete(key);
    pools.set(key, cached);
    return cached;
  }
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: lane === 'urgent' ? 2 : 8,
    maxMessages: 100,
    idleTimeout: POOL_IDLE_MS,
    // A connection that drops mid-send is tried once more; beyond that the runner's retry decides.
    maxRequeues: 1,
    host: config.host,
    port: config.port,
    secure: config.secure,
    requireTLS: config.requireTLS ?? false,
    auth: secrets.user ? { user: secrets.user, pass: secrets.password ?? '' } : undefined,
    // Only this flag turns certificate checks off (a self-signed local relay).
    tls: { rejectUnauthorized: !config.allowInsecureTls },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
  });
  pools.set(key, transport);
  while (pools.size > MAX_POOLS) {
    const [oldestKey, oldest] = pools.entries().next().value as [string, Transporter];
    pools.delete(oldestKey);
    oldest.close();
  }
  return transport;
}

/** Closes every pooled SMTP connection (process shutdown, tests). */
export function closeSmtpTransports(): void {
  for (const transport of pools.values()) transport.close();
  pools.clear();
}

/** `<notification id@sender's domain>`: the same on every attempt, so receivers can dedupe. */
export function messageIdFor(notificationId: string, fromAddress: string): string {
  const domain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1) || 'bul.invalid';
  return `<${notificationId}@${domain}>`;
}

/** The relay's queue id from its 250 reply (Postfix "queued as X", Exim "id=X"), or null. */
export function queueIdFrom(response: string | undefined): string | null {
  if (!response) return null;
  const m = /queued as ([\w.@-]+)/i.exec(response) ?? /\bid=([\w.@-]+)/i.exec(response);
  return m?.[1] ?? null;
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  originalCode?: string;
}

const AUTH_REPLY_CODES = new Set([530, 534, 535, 538]);
const TLS_ERROR = /CERT|TLS|SSL|SELF.SIGNED|UNABLE_TO_VERIFY|EPROTO/i;
const SESSION_COMMAND = /^(MAIL FROM|EHLO|HELO|LHLO|STARTTLS|AUTH)/i;

/** What an SMTP failure means for this message (see SendResult in provider.ts). */
export function classifySmtpError(err: SmtpError, latencyMs: number): SendResult {
  const code = err.responseCode ?? null;
  const reason = (err.response ?? err.message).slice(0, 300);
  const fail = (
    outcome: 'retry' | 'provider_failed' | 'rejected',
    errorCode: string | null,
  ): Exclude<SendResult, { outcome: 'sent' }> => ({
    outcome,
    errorCode,
    error: reason,
    statusCode: code,
    latencyMs,
  });
  const errorCode = err.code ?? null;
  // Authentication and TLS come first: their replies (535, or 500 to a STARTTLS the relay lacks)
  // say this channel's settings are wrong, whatever the reply code.
  const transient = code !== null && code >= 400 && code < 500; // 454 temporary auth failure
  if ((errorCode === 'EAUTH' || errorCode === 'ENOAUTH') && !transient)
    return fail('provider_failed', code ? String(code) : errorCode);
  if (errorCode === 'ETLS' || errorCode === 'EREQUIRETLS' || TLS_ERROR.test(err.originalCode ?? ''))
    return fail('provider_failed', errorCode);
  if (errorCode === 'ESOCKET' && TLS_ERROR.test(err.message)) return fail('provider_failed', errorCode);
  if (code !== null) {
    if (AUTH_REPLY_CODES.has(code)) return fail('provider_failed', String(code));
    if (code >= 400 && code < 500) return fail('retry', String(code));
    // 503 is a bad command sequence, not a verdict on the message: a new connection may pass.
    if (code === 503) return fail('retry', String(code));
    // A 5xx to the session's own commands (the sender in MAIL FROM, EHLO) is this channel's
    // setting, not the message's fault; 552 (too big) is the message's, wherever it comes.
    if (code >= 500 && code !== 552 && SESSION_COMMAND.test(err.command ?? ''))
      return fail('provider_failed', String(code));
    if (code >= 500) return fail('rejected', String(code));
  }
  if (errorCode === 'ECONFIG' || errorCode === 'EPROTOCOL') return fail('provider_failed', errorCode);
  // A recipient address nodemailer cannot use at all.
  if (errorCode === 'EENVELOPE') return fail('rejected', errorCode);
  // ECONNECTION, ETIMEDOUT, ESOCKET (ECONNREFUSED...), EDNS, EABORT (our deadline) and the unknown.
  if (errorCode === 'EABORT') return { ...fail('retry', 'ETIMEDOUT'), error: 'no answer in time' };
  return fail('retry', err.originalCode ?? errorCode);
}

function headersFor(message: OutboundMessage): Record<string, string> {
  const headers: Record<string, string> = {
    'X-BUL-Notification-Id': message.id,
    'Auto-Submitted': 'auto-generated',
  };
  if (message.unsubscribeUrl) {
    // RFC 8058 one-click: the receiver's mail client POSTs to the URL, no page to sign in on.
    headers['List-Unsubscribe'] = `<${message.unsubscribeUrl}>`;
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  return headers;
}

/**
 * Connects, greets, upgrades to TLS and logs in as a send would (nodemailer's verify()), on a
 * connection of its own that is closed at once; no message is sent. A temporary refusal (4xx,
 * e.g. 421 too busy) is degraded; any other failure, down.
 */
async function probe(call: ProviderCall<SmtpConfig, SmtpSecrets>): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const { config, secrets } = call;
  if (!call.allowPrivate)
    try {
      await resolveChecked(config.host, false);
    } catch (err) {
      const blocked = err instanceof BlockedAddressError;
      return {
        status: 'down',
        latencyMs: elapsed(),
        detail: blocked
          ? `the relay ${config.host} is not a public address`
          : `the relay ${config.host} does not resolve`,
      };
    }
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    requireTLS: config.requireTLS ?? false,
    auth: secrets.user ? { user: secrets.user, pass: secrets.password ?? '' } : undefined,
    tls: { rejectUnauthorized: !config.allowInsecureTls },
    connectionTimeout: call.timeoutMs,
    greetingTimeout: call.timeoutMs,
    socketTimeout: call.timeoutMs,
    dnsTimeout: call.timeoutMs,
  });
  try {
    await transport.verify();
    return { status: 'ok', latencyMs: elapsed(), detail: `${config.host}:${config.port} accepts a login` };
  } catch (err) {
    const e = err as SmtpError;
    const code = e.responseCode ?? null;
    const why = code ? `${code} ${(e.response ?? '').slice(0, 120)}`.trim() : (e.code ?? e.message);
    return {
      status: code !== null && code >= 400 && code < 500 ? 'degraded' : 'down',
      latencyMs: elapsed(),
      detail: `${config.host}:${config.port}: ${why}`.slice(0, 300),
    };
  } finally {
    transport.close();
  }
}

export const smtpEmail: ChannelProvider<SmtpConfig, SmtpSecrets> = {
  probe,
  kind: 'email',
  configSchema: SmtpConfig,
  secretsSchema: SmtpSecrets,
  needsAddress: true,
  async send(message, call) {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    if (!message.to)
      return {
        outcome: 'rejected',
        errorCode: null,
        error: 'no e-mail address',
        statusCode: null,
        latencyMs: 0,
      };
    const { config } = call;
    const messageId = messageIdFor(message.id, config.from.address);
    // An organization's relay goes through the SSRF guard like any address a tenant sets (the
    // platform's SMTP_HOST is called with allowPrivate). A name re-pointed after the check
    // (DNS rebinding) is not caught here: nodemailer resolves it again.
    if (!call.allowPrivate)
      try {
        await resolveChecked(config.host, false);
      } catch (err) {
        return {
          outcome: 'provider_failed',
          errorCode: err instanceof BlockedAddressError ? 'blocked_address' : 'dns',
          error:
            err instanceof BlockedAddressError
              ? `the relay ${config.host} is not a public address`
              : `the relay ${config.host} does not resolve`,
          statusCode: null,
          latencyMs: elapsed(),
        };
      }
    try {
      const info = await transportFor(
        config,
        call.secrets,
        call.timeoutMs,
        message.priority === 'critical' || message.priority === 'high' ? 'urgent' : 'bulk',
      ).sendMail({
        from: config.from.name
          ? { name: config.from.name, address: config.from.address }
          : config.from.address,
        to: message.recipientName ? { name: message.recipientName, address: message.to } : message.to,
        replyTo: config.replyTo,
        subject: message.message.subject ?? '',
        text: message.message.text,
        ...(message.message.html !== null ? { html: message.message.html } : {}),
        messageId,
        headers: headersFor(message),
        // The whole send, waiting for a pooled connection included.
        signal: AbortSignal.timeout(call.timeoutMs),
      });
      const response = typeof info.response === 'string' ? info.response : undefined;
      return {
        outcome: 'sent',
        providerMessageId: queueIdFrom(response) ?? messageId,
        statusCode: response ? Number.parseInt(response, 10) || 250 : 250,
        latencyMs: elapsed(),
      };
    } catch (err) {
      return classifySmtpError(err as SmtpError, elapsed());
    }
  },
};

/** The platform's default relay settings (SMTP_* in src/config.ts), as they come from the environment. */
export interface SmtpEnvironment {
  host: string;
  port: number;
  secure: boolean;
  user?: string | null;
  password?: string | null;
  /** `Name <address>` or a bare address. */
  from: string;
}

/** The platform default e-mail channel's settings and credentials from SMTP_* settings. */
export function smtpFromEnvironment(env: SmtpEnvironment): { config: SmtpConfig; secrets: SmtpSecrets } {
  const named = /^\s*"?(?<name>[^"<]*?)"?\s*<(?<address>[^<>\s]+)>\s*$/.exec(env.from)?.groups;
  const name = named?.name?.trim();
  const from = { address: named?.address ?? env.from.trim(), ...(name ? { name } : {}) };
  const secrets: SmtpSecrets = {};
  if (env.user) secrets.user = env.user;
  if (env.password) secrets.password = env.password;
  return { config: { host: env.host, port: env.port, secure: env.secure, from }, secrets };
}
