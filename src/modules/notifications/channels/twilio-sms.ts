// SMS through the Twilio Messages API (POST /2010-04-01/Accounts/{AccountSid}/Messages.json,
// form-encoded, basic auth AccountSid:AuthToken) and its status callbacks, signed with
// X-Twilio-Signature. https://www.twilio.com/docs/messaging/api/message-resource
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
  OutboundMessage,
  ProviderCall,
  ProviderStatus,
  SendResult,
} from './provider.ts';

export const TwilioConfig = Type.Object(
  {
    accountSid: Type.String({ pattern: '^AC[0-9a-fA-F]{32}$', description: 'The Account SID (AC...).' }),
    from: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description:
          'The sender: a Twilio number in E.164 or an alphanumeric sender id. Or set messagingServiceSid.',
      }),
    ),
    messagingServiceSid: Type.Optional(
      Type.String({
        pattern: '^MG[0-9a-fA-F]{32}$',
        description: 'A Messaging Service (MG...) that picks the sender; used instead of `from` when set.',
      }),
    ),
    baseUrl: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2000, description: 'Default https://api.twilio.com.' }),
    ),
    // The pipeline fills this in at send time (the public URL of BUL's callback route for this
    // channel), so it is not something an admin types; it lives in the config because the
    // message contract is the same for every provider.
    statusCallbackUrl: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2000,
        description: 'Where Twilio posts delivery statuses; set by BUL when it sends.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type TwilioConfig = Static<typeof TwilioConfig>;

export const TwilioSecrets = Type.Object(
  { authToken: Type.String({ minLength: 1, maxLength: 200, description: 'The Auth Token.' }) },
  { additionalProperties: false },
);
export type TwilioSecrets = Static<typeof TwilioSecrets>;

const DEFAULT_BASE_URL = 'https://api.twilio.com';

/**
 * Twilio error codes that say more than the HTTP status. Refused for this message or number:
 * invalid or unreachable To, not a mobile number, opted out (STOP), no route, region not enabled,
 * empty or too long body. The account or sender is wrong: authentication, unknown resource, a
 * From that is not this account's. Passing: rate limited, Twilio's own failures.
 */
const REJECTED_CODES = new Set([21211, 21214, 21217, 21408, 21602, 21610, 21612, 21614, 21617, 21635]);
const PROVIDER_FAILED_CODES = new Set([20003, 20005, 20404, 21212, 21606, 21659, 21660, 21703, 21704, 30002]);
const RETRY_CODES = new Set([20429, 20500, 20503]);

function outcomeOf(status: number, code: number | null): FailedOutcome {
  if (code !== null) {
    if (REJECTED_CODES.has(code)) return 'rejected';
    if (PROVIDER_FAILED_CODES.has(code)) return 'provider_failed';
    if (RETRY_CODES.has(code)) return 'retry';
  }
  return outcomeOfStatus(status);
}

type TwilioCall = ProviderCall<TwilioConfig, TwilioSecrets>;

async function send(message: OutboundMessage, call: TwilioCall): Promise<SendResult> {
  const started = performance.now();
  const { config, secrets } = call;
  if (!message.to)
    return { outcome: 'rejected', errorCode: null, error: 'no phone number', statusCode: null, latencyMs: 0 };
  if (!config.messagingServiceSid && !config.from)
    return {
      outcome: 'provider_failed',
      errorCode: null,
      error: 'neither from nor messagingServiceSid is set',
      statusCode: null,
      latencyMs: 0,
    };
  const form = new URLSearchParams({ To: message.to });
  if (config.messagingServiceSid) form.set('MessagingServiceSid', config.messagingServiceSid);
  else if (config.from) form.set('From', config.from);
  form.set('Body', message.message.text);
  if (config.statusCallbackUrl) form.set('StatusCallback', config.statusCallbackUrl);

  const base = (config.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const url = `${base}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`;
  const auth = Buffer.from(`${config.accountSid}:${secrets.authToken}`, 'utf8').toString('base64');
  let answer: Awaited<ReturnType<typeof guardedFetch>>;
  try {
    answer = await guardedFetch(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Basic ${auth}`,
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          accept: 'application/json',
        },
        body: form.toString(),
      },
      { allowPrivate: call.allowPrivate, timeoutMs: call.timeoutMs },
    );
  } catch (err) {
    return noAnswer(err, started);
  }
  const { response, body } = answer;
  const json = parseJson(body) as { sid?: unknown; code?: unknown; message?: unknown } | undefined;
  if (response.status >= 200 && response.status < 300) {
    // Accepted: sending again would text the person twice, so an unreadable answer still counts
    // as sent, without an id to match status callbacks by.
    const sid = typeof json?.sid === 'string' ? json.sid : null;
    return {
      outcome: 'sent',
      providerMessageId: sid,
      statusCode: response.status,
      latencyMs: since(started),
    };
  }
  const code = typeof json?.code === 'number' ? json.code : null;
  const text = typeof json?.message === 'string' ? json.message : `HTTP ${response.status}`;
  return failed(
    outcomeOf(response.status, code),
    response,
    started,
    code === null ? null : String(code),
    text,
  );
}

/**
 * Twilio's request signature: base64 HMAC-SHA1 with the Auth Token over the full URL followed by
 * every POST parameter's name and value, sorted by name (a repeated name: its values sorted).
 * https://www.twilio.com/docs/usage/security#validating-requests
 */
export function twilioSignature(authToken: string, url: string, params: URLSearchParams): string {
  const names = [...new Set(params.keys())].sort();
  let data = url;
  for (const name of names) for (const value of params.getAll(name).sort()) data += name + value;
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** Twilio's MessageStatus in BUL's words; queued, accepted, scheduled and sending say nothing yet. */
const STATUSES: Record<string, ProviderStatus['status']> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  undelivered: 'failed',
  failed: 'failed',
  canceled: 'failed',
};

function callback(request: CallbackRequest, call: Pick<TwilioCall, 'config' | 'secrets'>): CallbackResult {
  if (request.method !== 'POST') return { kind: 'unauthorized' };
  const header = request.headers['x-twilio-signature'];
  const given = Array.isArray(header) ? header[0] : header;
  if (!given) return { kind: 'unauthorized' };
  const params = new URLSearchParams(request.rawBody.toString('utf8'));
  if (!safeEqual(given, twilioSignature(call.secrets.authToken, request.url, params)))
    return { kind: 'unauthorized' };

  const sid = params.get('MessageSid');
  const status = STATUSES[params.get('MessageStatus') ?? ''];
  if (!sid || !status) return { kind: 'updates', statuses: [], inbound: [] };
  const errorCode = params.get('ErrorCode') || null;
  return {
    kind: 'updates',
    // A status callback carries no time of its own: the time it arrived.
    statuses: [
      {
        providerMessageId: sid,
        status,
        errorCode,
        error: params.get('ErrorMessage') || (errorCode ? `Twilio error ${errorCode}` : null),
        at: new Date(),
      },
    ],
    inbound: [],
  };
}

export const twilioSms: ChannelProvider<TwilioConfig, TwilioSecrets> = {
  kind: 'sms',
  configSchema: TwilioConfig,
  secretsSchema: TwilioSecrets,
  needsAddress: true,
  send,
  probe: (call) => probeHost(call.config.baseUrl ?? DEFAULT_BASE_URL, call),
  callback,
};
