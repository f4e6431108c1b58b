// WhatsApp through the WhatsApp Business Cloud API (POST /{version}/{phone-number-id}/messages with
// a bearer token): approved template messages with body parameters, or free text inside the 24 h
// customer-care window; and its webhook (GET verification challenge, POST statuses and replies
// signed with X-Hub-Signature-256). https://developers.facebook.com/docs/whatsapp/cloud-api
import { createHmac } from 'node:crypto';
import { type Static, Type } from 'typebox';
import { guardedFetch } from '../../../platform/outbound/guarded-fetch.ts';
import {
  type FailedOutcome,
  failed,
  noAnswer,
  outcomeOfStatus,
  parseJson,
  probeHost,
  safeEqual,
  since,
} from './http-adapter.ts';
import type {
  CallbackRequest,
  CallbackResult,
  ChannelProvider,
  InboundMessage,
  OutboundMessage,
  ProviderCall,
  ProviderStatus,
  SendResult,
} from './provider.ts';

export const WhatsAppConfig = Type.Object(
  {
    phoneNumberId: Type.String({
      pattern: '^[0-9]{1,32}$',
      description: 'The business phone number id (not the number itself).',
    }),
    apiVersion: Type.Optional(
      Type.String({ pattern: '^v[0-9]+\\.[0-9]+$', description: 'Graph API version; default v21.0.' }),
    ),
    baseUrl: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2000, description: 'Default https://graph.facebook.com.' }),
    ),
  },
  { additionalProperties: false },
);
export type WhatsAppConfig = Static<typeof WhatsAppConfig>;

export const WhatsAppSecrets = Type.Object(
  {
    accessToken: Type.String({ minLength: 1, maxLength: 1000, description: 'A system user access token.' }),
    appSecret: Type.String({
      minLength: 1,
      maxLength: 200,
      description: "The app's secret (signs webhooks).",
    }),
    verifyToken: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'The verify token typed in the webhook settings of the app.',
    }),
  },
  { additionalProperties: false },
);
export type WhatsAppSecrets = Static<typeof WhatsAppSecrets>;

type WhatsAppCall = ProviderCall<WhatsAppConfig, WhatsAppSecrets>;

const DEFAULT_BASE_URL = 'https://graph.facebook.com';
const DEFAULT_API_VERSION = 'v21.0';

/**
 * Graph API / Cloud API error codes (the HTTP status is often 400 whatever they mean, rate limits
 * included, so the code decides). Refused for this message or number: undeliverable, outside the
 * 24 h window, template missing or its parameters wrong, invalid parameter. The credentials or
 * account are wrong: expired or invalid token, no permission, account locked or not registered.
 * Passing: throttling and rate limits, temporary unavailability.
 * https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
 */
const REJECTED_CODES = new Set([
  100, 131008, 131009, 131021, 131026, 131047, 131050, 131051, 132000, 132001, 132005, 132007, 132012, 132015,
  132016,
]);
const PROVIDER_FAILED_CODES = new Set([0, 3, 10, 190, 200, 368, 131005, 131031, 133010]);
const RETRY_CODES = new Set([1, 2, 4, 80007, 130429, 131000, 131016, 131048, 131056, 133004]);

function outcomeOf(status: number, code: number | null): FailedOutcome {
  if (code !== null) {
    if (REJECTED_CODES.has(code)) return 'rejected';
    if (PROVIDER_FAILED_CODES.has(code)) return 'provider_failed';
    if (RETRY_CODES.has(code)) return 'retry';
  }
  return outcomeOfStatus(status);
}

/** The request body: the approved template with its body parameters, else plain text. */
export function whatsAppBody(message: OutboundMessage): Record<string, unknown> {
  const template = message.message.whatsappTemplate;
  const head = { messaging_product: 'whatsapp', recipient_type: 'individual', to: message.to };
  if (!template) return { ...head, type: 'text', text: { preview_url: false, body: message.message.text } };
  return {
    ...head,
    type: 'template',
    template: {
      name: template.name,
      language: { code: template.language },
      ...(template.parameters.length > 0
        ? {
            components: [
              { type: 'body', parameters: template.parameters.map((text) => ({ type: 'text', text })) },
            ],
          }
        : {}),
    },
  };
}

async function send(message: OutboundMessage, call: WhatsAppCall): Promise<SendResult> {
  const started = performance.now();
  const { config, secrets } = call;
  if (!message.to)
    return { outcome: 'rejected', errorCode: null, error: 'no phone number', statusCode: null, latencyMs: 0 };
  const base = (config.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const url = `${base}/${config.apiVersion ?? DEFAULT_API_VERSION}/${encodeURIComponent(config.phoneNumberId)}/messages`;
  let answer: Awaited<ReturnType<typeof guardedFetch>>;
  try {
    answer = await guardedFetch(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${secrets.accessToken}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(whatsAppBody(message)),
      },
      { allowPrivate: call.allowPrivate, timeoutMs: call.timeoutMs },
    );
  } catch (err) {
    return noAnswer(err, started);
  }
  const { response, body } = answer;
  const json = parseJson(body) as
    | {
        messages?: { id?: unknown }[];
        error?: { code?: unknown; message?: unknown; error_subcode?: unknown };
      }
    | undefined;
  if (response.status >= 200 && response.status < 300) {
    // Accepted: sending again would message the person twice, so an unreadable answer still
    // counts as sent, without an id to match statuses by.
    const id = Array.isArray(json?.messages) ? json.messages[0]?.id : undefined;
    return {
      outcome: 'sent',
      providerMessageId: typeof id === 'string' ? id : null,
      statusCode: response.status,
      latencyMs: since(started),
    };
  }
  const error = json?.error;
  const code = typeof error?.code === 'number' ? error.code : null;
  const text = typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`;
  return failed(
    outcomeOf(response.status, code),
    response,
    started,
    code === null ? null : String(code),
    text,
  );
}

/** X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw body with the app secret. */
export function hubSignature(appSecret: string, rawBody: Buffer): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

function header(request: CallbackRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function dateOf(unixSeconds: unknown): Date {
  const seconds = Number(unixSeconds);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : new Date();
}

const STATUSES: Record<string, ProviderStatus['status']> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
};

interface WebhookStatus {
  id?: unknown;
  status?: unknown;
  timestamp?: unknown;
  errors?: { code?: unknown; title?: unknown; message?: unknown }[];
}
interface WebhookMessage {
  id?: unknown;
  from?: unknown;
  timestamp?: unknown;
  type?: unknown;
  text?: { body?: unknown };
  button?: { text?: unknown };
  interactive?: { button_reply?: { title?: unknown }; list_reply?: { title?: unknown } };
  context?: { id?: unknown };
}

/** What a reply says in text: its body, the button or list choice, else its type ("[image]"). */
function textOf(m: WebhookMessage): string {
  const text =
    m.text?.body ?? m.button?.text ?? m.interactive?.button_reply?.title ?? m.interactive?.list_reply?.title;
  return typeof text === 'string' ? text : `[${typeof m.type === 'string' ? m.type : 'message'}]`;
}

/** Reads `entry[].changes[].value.statuses[]` and `.messages[]`; whatever is not as documented is skipped. */
function readWebhook(
  payload: unknown,
  phoneNumberId: string,
): { statuses: ProviderStatus[]; inbound: InboundMessage[] } {
  const statuses: ProviderStatus[] = [];
  const inbound: InboundMessage[] = [];
  const entries = (payload as { entry?: unknown } | null)?.entry;
  if (!Array.isArray(entries)) return { statuses, inbound };
  for (const entry of entries) {
    const changes = (entry as { changes?: unknown } | null)?.changes;
    if (!Array.isArray(changes)) continue;
    for (const change of changes) {
      const value = (
        change as {
          value?: { statuses?: unknown; messages?: unknown; metadata?: { phone_number_id?: unknown } };
        } | null
      )?.value;
      // A Meta app may serve several numbers: only this channel's number is this channel's news.
      const number = value?.metadata?.phone_number_id;
      if (number !== undefined && String(number) !== phoneNumberId) continue;
      if (Array.isArray(value?.statuses))
        for (const s of value.statuses as WebhookStatus[]) {
          const status = STATUSES[String(s?.status)];
          if (typeof s?.id !== 'string' || !status) continue;
          const first = Array.isArray(s.errors) ? s.errors[0] : undefined;
          const title = first?.title ?? first?.message;
          statuses.push({
            providerMessageId: s.id,
            status,
            errorCode: first?.code === undefined ? null : String(first.code),
            error: typeof title === 'string' ? title : null,
            at: dateOf(s.timestamp),
          });
        }
      if (Array.isArray(value?.messages))
        for (const m of value.messages as WebhookMessage[]) {
          if (typeof m?.id !== 'string' || typeof m.from !== 'string') continue;
          inbound.push({
            providerMessageId: m.id,
            from: m.from,
            text: textOf(m),
            inReplyTo: typeof m.context?.id === 'string' ? m.context.id : null,
            at: dateOf(m.timestamp),
          });
        }
    }
  }
  return { statuses, inbound };
}

function callback(request: CallbackRequest, call: Pick<WhatsAppCall, 'config' | 'secrets'>): CallbackResult {
  if (request.method === 'GET') {
    const challenge = request.query['hub.challenge'];
    const token = request.query['hub.verify_token'] ?? '';
    if (request.query['hub.mode'] !== 'subscribe' || challenge === undefined) return { kind: 'unauthorized' };
    if (!safeEqual(token, call.secrets.verifyToken)) return { kind: 'unauthorized' };
    return { kind: 'challenge', body: challenge };
  }
  const given = header(request, 'x-hub-signature-256');
  if (!given || !safeEqual(given.toLowerCase(), hubSignature(call.secrets.appSecret, request.rawBody)))
    return { kind: 'unauthorized' };
  return {
    kind: 'updates',
    ...readWebhook(parseJson(request.rawBody.toString('utf8')), call.config.phoneNumberId),
  };
}

export const whatsAppCloud: ChannelProvider<WhatsAppConfig, WhatsAppSecrets> = {
  kind: 'whatsapp',
  configSchema: WhatsAppConfig,
  secretsSchema: WhatsAppSecrets,
  needsAddress: true,
  send,
  probe: (call) => probeHost(call.config.baseUrl ?? DEFAULT_BASE_URL, call),
  callback,
};
