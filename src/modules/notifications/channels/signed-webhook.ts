// The "webhook" notification channel: POSTs each notification to the organization's URL as a
// Standard Webhooks message `{ type, timestamp, data }`, signed and sent by the same engine as the
// outbound webhooks (platform/outbound/signed-webhook.ts: SSRF guard, no redirects, timeouts). The
// webhook-id is the notification id, the same on every attempt, so receivers can dedupe.
import { type Static, Type } from 'typebox';
import { type AttemptResult, send } from '../../../platform/outbound/signed-webhook.ts';
import { probeHost } from './http-adapter.ts';
import { type ChannelProvider, type OutboundMessage, retryAfterMs, type SendResult } from './provider.ts';

export const SignedWebhookConfig = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 2000,
      examples: ['https://hooks.example.com/bul-notifications'],
      description:
        'http or https. Its host must resolve to public addresses only unless the installation sets WEBHOOK_ALLOW_PRIVATE.',
    }),
  },
  { additionalProperties: false },
);
export type SignedWebhookConfig = Static<typeof SignedWebhookConfig>;

export const SignedWebhookSecrets = Type.Object(
  {
    secret: Type.String({
      pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$',
      maxLength: 200,
      description: 'The signing secret, Standard Webhooks form: `whsec_` + base64 of the key bytes.',
    }),
  },
  { additionalProperties: false },
);
export type SignedWebhookSecrets = Static<typeof SignedWebhookSecrets>;

/** The Standard Webhooks `type` of every notification this channel sends. */
export const NOTIFICATION_WEBHOOK_TYPE = 'notification';

/** The request body: the Standard Webhooks payload shape, the notification under `data`. */
export function notificationWebhookBody(message: OutboundMessage): string {
  return JSON.stringify({
    type: NOTIFICATION_WEBHOOK_TYPE,
    timestamp: message.createdAt,
    data: {
      notificationId: message.id,
      eventType: message.eventType,
      priority: message.priority,
      subject: message.message.subject,
      text: message.message.text,
      data: message.data,
    },
  });
}

/** What one signed POST came to (see SendResult in provider.ts). */
export function outcomeOf(r: AttemptResult): SendResult {
  if (r.ok)
    return { outcome: 'sent', providerMessageId: null, statusCode: r.statusCode, latencyMs: r.latencyMs };
  const status = r.statusCode;
  const fail = (outcome: 'retry' | 'provider_failed' | 'rejected', error: string): SendResult => ({
    outcome,
    errorCode: r.errorClass === 'http_status' ? String(status) : r.errorClass,
    error,
    statusCode: status,
    latencyMs: r.latencyMs,
    retryAfterMs: retryAfterMs(r.retryAfter),
  });
  if (r.errorClass === 'redirect')
    return fail('provider_failed', `redirected (HTTP ${status}), not followed`);
  if (r.errorClass === 'http_status' && status !== null) {
    const said = r.excerpt.trim().slice(0, 200);
    const error = `HTTP ${status}${said ? `: ${said}` : ''}`;
    // Gone: the receiver says this will never be taken.
    if (status === 410) return fail('rejected', error);
    if (status === 408 || status === 429 || status >= 500) return fail('retry', error);
    return fail('provider_failed', error);
  }
  if (r.errorClass === 'blocked_address')
    return fail('provider_failed', 'the URL resolves to a non-public address');
  if (r.errorClass === 'tls') return fail('provider_failed', 'TLS handshake failed');
  // timeout, connection refused or reset, DNS, other network errors: transient.
  return fail('retry', r.errorClass === 'timeout' ? 'no answer in time' : `no answer (${r.errorClass})`);
}

export const signedWebhook: ChannelProvider<SignedWebhookConfig, SignedWebhookSecrets> = {
  kind: 'webhook',
  configSchema: SignedWebhookConfig,
  secretsSchema: SignedWebhookSecrets,
  needsAddress: false,
  probe: (call) => probeHost(call.config.url, call),
  async send(message, call) {
    let result: AttemptResult;
    try {
      result = await send({
        url: call.config.url,
        secret: call.secrets.secret,
        message: {
          id: message.id,
          timestamp: Math.floor(Date.now() / 1000),
          body: notificationWebhookBody(message),
        },
        allowPrivate: call.allowPrivate,
        connectTimeoutMs: call.timeoutMs,
        totalTimeoutMs: call.timeoutMs,
      });
    } catch (err) {
      // An unparsable URL (saved before validation existed): this channel cannot send as configured.
      return {
        outcome: 'provider_failed',
        errorCode: 'invalid_url',
        error: (err as Error).message.slice(0, 200),
        statusCode: null,
        latencyMs: 0,
      };
    }
    return outcomeOf(result);
  },
};
