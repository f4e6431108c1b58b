// What a notification channel's provider is to the delivery pipeline: one adapter per provider API
// (SMTP through nodemailer; Twilio, FCM HTTP v1, Slack, Teams, Discord, WhatsApp Cloud and the
// signed webhook through plain fetch against a configurable base URL). An adapter sends one
// rendered message to one address and says what happened in terms the runner acts on: sent,
// try again (later, or now on the next provider), or refused for good. Adapters hold no state and
// read nothing from the database; the runner gives them the channel's settings and opened secrets.
import type { TSchema } from 'typebox';

/** Channels backed by an outside provider. In-app (the inbox) is BUL's own and has no provider. */
export const PROVIDER_KINDS = [
  'email',
  'sms',
  'push',
  'webhook',
  'slack',
  'teams',
  'discord',
  'whatsapp',
] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];
export const DELIVERY_CHANNELS = [...PROVIDER_KINDS, 'in_app'] as const;
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number];

export const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** A message rendered from its template for one recipient in their language. */
export interface RenderedMessage {
  /** E-mail subject; push notification title; a heading for chat channels. Null: none. */
  subject: string | null;
  /** Plain text (SMS, chat, push body, the text part of an e-mail). */
  text: string;
  /** E-mail only: the HTML part (every variable HTML-escaped). */
  html: string | null;
  /** WhatsApp only: the approved template message to send, with its body parameters in order. */
  whatsappTemplate: { name: string; language: string; parameters: string[] } | null;
}

/** One notification to one address through one provider. */
export interface OutboundMessage {
  /** The notification's id: the idempotency key receivers dedupe by (same on every attempt). */
  id: string;
  orgId: string;
  eventType: string;
  priority: Priority;
  /**
   * The recipient's address on this channel: an e-mail address, an E.164 phone number (sms,
   * whatsapp), an FCM registration token (push). Null for channels that post to the URL in the
   * channel's settings (webhook, slack, teams, discord).
   */
  to: string | null;
  recipientName: string | null;
  message: RenderedMessage;
  /** E-mail: the one-click unsubscribe URL (RFC 8058 List-Unsubscribe + List-Unsubscribe-Post). */
  unsubscribeUrl: string | null;
  /** Structured data for machine receivers (webhook body `data`, push `data`): the event's payload. */
  data: Record<string, unknown>;
  /** When the notification was created (ISO 8601). */
  createdAt: string;
}

/**
 * What one send came to.
 * - `sent`: the provider accepted it (its message id, when it gives one, is matched by callbacks).
 * - `retry`: a transient failure (timeout, 5xx, 429, connection refused, 4xx SMTP reply): try the next
 *   provider of the channel now, and this one again later (not before `retryAfterMs`, the provider's
 *   Retry-After, when it gave one).
 * - `provider_failed`: this provider cannot send at all as configured (bad or expired credentials,
 *   unknown sender, wrong URL): try the next provider now; retried later too, an admin may fix it.
 * - `rejected`: refused for good for this message or address (invalid number, unregistered token,
 *   5xx SMTP reply for a mailbox, template not approved): no retry, no other provider.
 */
export type SendResult =
  | { outcome: 'sent'; providerMessageId: string | null; statusCode: number | null; latencyMs: number }
  | {
      outcome: 'retry' | 'provider_failed' | 'rejected';
      /** Provider's error code when it names one (Twilio 21211, FCM UNREGISTERED, SMTP 451...). */
      errorCode: string | null;
      /** A short human reason for the delivery log (never the credentials). */
      error: string;
      statusCode: number | null;
      latencyMs: number;
      /** From Retry-After (seconds or an HTTP date), when the provider sent one. */
      retryAfterMs?: number | null;
    };

export interface ProviderCall<Config, Secrets> {
  /** The channel's non-secret settings (base URL, sender, account id...). */
  config: Config;
  /** The channel's credentials, opened from their sealed form for this call only. */
  secrets: Secrets;
  /** Gives up after this long (connect + answer). */
  timeoutMs: number;
  /** Loopback and private addresses allowed (WEBHOOK_ALLOW_PRIVATE); else the SSRF guard refuses them. */
  allowPrivate: boolean;
}

/** A status a provider reports later through its callback (Twilio status callback, WhatsApp webhook). */
export interface ProviderStatus {
  providerMessageId: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  errorCode: string | null;
  error: string | null;
  at: Date;
}

/** A message a recipient sent back (WhatsApp replies). */
export interface InboundMessage {
  providerMessageId: string;
  from: string;
  text: string;
  /** The message it replies to, when the provider says (WhatsApp `context.id`). */
  inReplyTo: string | null;
  at: Date;
}

/** The raw HTTP request of a provider callback, as the route receives it. */
export interface CallbackRequest {
  method: 'GET' | 'POST';
  /** The full public URL the provider called (Twilio signs it). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string>;
  /** The exact bytes received (signatures are over them). */
  rawBody: Buffer;
}

/** What a callback came to: a verification answer (WhatsApp's GET challenge) or updates. */
export type CallbackResult =
  | { kind: 'challenge'; body: string }
  | { kind: 'updates'; statuses: ProviderStatus[]; inbound: InboundMessage[] }
  /** Signature or verify token wrong: answer 401, change nothing. */
  | { kind: 'unauthorized' };

/**
 * What a probe of a channel found (health checks, docs/health.md): `ok` the provider answered as
 * configured (an HTTP status below 500, an SMTP relay's greeting and login); `degraded` it answered
 * with an error of its own (5xx); `down` no answer, or settings it refuses (login, TLS, blocked).
 */
export interface ProbeResult {
  status: 'ok' | 'degraded' | 'down';
  latencyMs: number;
  /** One short line for the health page: what was reached and how (never a credential). */
  detail: string;
}

export interface ChannelProvider<Config = Record<string, unknown>, Secrets = Record<string, string>> {
  kind: ProviderKind;
  /** TypeBox schema of the non-secret settings (validated on save, documented in OpenAPI). */
  configSchema: TSchema;
  /** TypeBox schema of the credentials (validated on save, sealed at rest, never returned). */
  secretsSchema: TSchema;
  /** Whether a message needs a recipient address (`to`), or goes to the configured URL. */
  needsAddress: boolean;
  send(message: OutboundMessage, call: ProviderCall<Config, Secrets>): Promise<SendResult>;
  /** A cheap check that the provider can be reached as configured; sends no message. */
  probe(call: ProviderCall<Config, Secrets>): Promise<ProbeResult>;
  /** Providers that report delivery later: checks the request's signature and reads it. */
  callback?(
    request: CallbackRequest,
    call: Pick<ProviderCall<Config, Secrets>, 'config' | 'secrets'>,
  ): CallbackResult;
}

/** Milliseconds to wait from a Retry-After header (delta-seconds or an HTTP date), or null. */
export function retryAfterMs(header: string | null | undefined, now: Date = new Date()): number | null {
  if (!header) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}
