// Push through Firebase Cloud Messaging HTTP v1 (POST /v1/projects/{project}/messages:send) with an
// OAuth2 access token from the service account (a JWT signed RS256 with its private key, traded at
// its token URI). https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send
import { createHash } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { type Static, Type } from 'typebox';
import { guardedFetch } from '../../../platform/outbound/guarded-fetch.ts';
import {
  type FailedOutcome,
  type FailedSend,
  failed,
  noAnswer,
  outcomeOfStatus,
  parseJson,
  probeHost,
  since,
} from './http-adapter.ts';
import type { ChannelProvider, OutboundMessage, Priority, ProviderCall, SendResult } from './provider.ts';

export const FcmConfig = Type.Object(
  {
    baseUrl: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2000, description: 'Default https://fcm.googleapis.com.' }),
    ),
    tokenUrl: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2000,
        description: "Where access tokens are obtained; default the service account's token_uri.",
      }),
    ),
  },
  { additionalProperties: false },
);
export type FcmConfig = Static<typeof FcmConfig>;

export const FcmSecrets = Type.Object(
  {
    serviceAccountJson: Type.String({
      minLength: 2,
      maxLength: 20_000,
      description:
        "The service account's JSON key file as downloaded (project_id, client_email, private_key, token_uri).",
    }),
  },
  { additionalProperties: false },
);
export type FcmSecrets = Static<typeof FcmSecrets>;

type FcmCall = ProviderCall<FcmConfig, FcmSecrets>;

const DEFAULT_BASE_URL = 'https://fcm.googleapis.com';
const DEFAULT_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
/** A cached token is used until this long before it expires (clock skew, the call's own time). */
const EXPIRY_MARGIN_MS = 60_000;

interface ServiceAccount {
  project_id: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

function parseServiceAccount(text: string): ServiceAccount | null {
  const sa = parseJson(text) as Partial<ServiceAccount> | undefined;
  if (
    typeof sa?.project_id !== 'string' ||
    typeof sa.client_email !== 'string' ||
    typeof sa.private_key !== 'string'
  )
    return null;
  return sa as ServiceAccount;
}

/**
 * Access tokens by service account + token URL (cacheKey), shared by every call in this process: a token lasts
 * an hour and is good for any number of sends. The entry is the pending request while one is in
 * flight, so concurrent sends wait for the same token instead of each asking for one.
 */
const tokens = new Map<string, Promise<{ token: string; expiresAt: number } | FailedSend>>();

/** Signs the service account's JWT and trades it for an access token. */
async function requestToken(
  sa: ServiceAccount,
  tokenUrl: string,
  call: FcmCall,
  started: number,
): Promise<{ token: string; expiresAt: number } | FailedSend> {
  let assertion: string;
  try {
    const key = await importPKCS8(sa.private_key, 'RS256');
    const now = Math.floor(Date.now() / 1000);
    assertion = await new SignJWT({ scope: SCOPE })
      .setProtectedHeader({
        alg: 'RS256',
        typ: 'JWT',
        ...(sa.private_key_id ? { kid: sa.private_key_id } : {}),
      })
      .setIssuer(sa.client_email)
      .setAudience(tokenUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(key);
  } catch {
    return configProblem('the service account private_key is not a PKCS#8 RSA key', started);
  }
  let answer: Awaited<ReturnType<typeof guardedFetch>>;
  try {
    answer = await guardedFetch(
      tokenUrl,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion,
        }).toString(),
      },
      { allowPrivate: call.allowPrivate, timeoutMs: call.timeoutMs },
    );
  } catch (err) {
    return noAnswer(err, started);
  }
  const { response, body } = answer;
  const json = parseJson(body) as
    | { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown }
    | undefined;
  if (response.status >= 200 && response.status < 300 && typeof json?.access_token === 'string') {
    const seconds = typeof json.expires_in === 'number' ? json.expires_in : 3600;
    return { token: json.access_token, expiresAt: Date.now() + seconds * 1000 };
  }
  // OAuth errors (RFC 6749 §5.2: invalid_grant, invalid_client...) mean the service account
  // cannot be used as it is; a 5xx, 429 or garbage from the token server passes.
  const error = typeof json?.error === 'string' ? json.error : null;
  const outcome: FailedOutcome =
    response.status >= 500 || response.status === 429 || (response.status < 300 && !error)
      ? 'retry'
      : 'provider_failed';
  const description = typeof json?.error_description === 'string' ? `: ${json.error_description}` : '';
  return failed(
    outcome,
    response,
    started,
    error,
    `token endpoint: ${error ?? `HTTP ${response.status}`}${description}`,
  );
}

function configProblem(error: string, started: number): FailedSend {
  return { outcome: 'provider_failed', errorCode: null, error, statusCode: null, latencyMs: since(started) };
}

/**
 * The cache key. The private key's hash is part of it: client_email is not a secret, and another
 * organization naming the same service account with a key of its own must not get its tokens.
 */
function cacheKey(sa: ServiceAccount, tokenUrl: string): string {
  const keyHash = createHash('sha256').update(sa.private_key).digest('base64url');
  return `${sa.client_email}\n${tokenUrl}\n${keyHash}`;
}

/** A cached token, or a new one; a failure is not kept. */
async function accessToken(
  sa: ServiceAccount,
  tokenUrl: string,
  call: FcmCall,
  started: number,
): Promise<string | FailedSend> {
  const key = cacheKey(sa, tokenUrl);
  const cached = tokens.get(key);
  if (cached) {
    const result = await cached;
    // A failure here is a concurrent send's request that has just failed: the same answer.
    if (!('token' in result)) return result;
    if (result.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return result.token;
    if (tokens.get(key) === cached) tokens.delete(key);
  }
  let pending = tokens.get(key);
  if (!pending) {
    pending = requestToken(sa, tokenUrl, call, started);
    tokens.set(key, pending);
  }
  const result = await pending;
  if ('token' in result) return result.token;
  if (tokens.get(key) === pending) tokens.delete(key);
  return result;
}

/** Forgets a token FCM no longer takes (revoked, or expired early). */
function dropToken(sa: ServiceAccount, tokenUrl: string): void {
  tokens.delete(cacheKey(sa, tokenUrl));
}

/** Keys FCM refuses in `data` (reserved words and prefixes). */
function reservedDataKey(key: string): boolean {
  return (
    key === 'from' ||
    key === 'notification' ||
    key === 'message_type' ||
    key === 'collapse_key' ||
    key.startsWith('google') ||
    key.startsWith('gcm')
  );
}

const ANDROID_PRIORITY: Record<Priority, 'high' | 'normal'> = {
  critical: 'high',
  high: 'high',
  normal: 'normal',
  low: 'normal',
};
/** APNs: 10 delivers at once, 5 when convenient for the device's power. */
const APNS_PRIORITY: Record<Priority, '10' | '5'> = { critical: '10', high: '10', normal: '5', low: '5' };

/** The v1 message: notification title and body, the event's data as strings, priority per platform. */
export function fcmMessage(message: OutboundMessage): Record<string, unknown> {
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(message.data)) {
    if (reservedDataKey(key) || value === undefined) continue;
    data[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  // The app dedupes by the notification's id (the same on every attempt).
  data.bul_notification_id = message.id;
  data.bul_event_type = message.eventType;
  return {
    message: {
      token: message.to,
      notification: {
        ...(message.message.subject ? { title: message.message.subject } : {}),
        body: message.message.text,
      },
      data,
      android: { priority: ANDROID_PRIORITY[message.priority] },
      apns: { headers: { 'apns-priority': APNS_PRIORITY[message.priority] } },
    },
  };
}

/**
 * FcmError codes (details[].errorCode) and, without one, the google.rpc status: the token is
 * stale or the message invalid (rejected); the project, sender or APNs credentials are wrong
 * (provider_failed); quota and FCM's own failures pass (retry).
 * https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode
 */
const OUTCOMES: Record<string, FailedOutcome> = {
  UNREGISTERED: 'rejected',
  INVALID_ARGUMENT: 'rejected',
  NOT_FOUND: 'rejected',
  SENDER_ID_MISMATCH: 'provider_failed',
  THIRD_PARTY_AUTH_ERROR: 'provider_failed',
  PERMISSION_DENIED: 'provider_failed',
  UNAUTHENTICATED: 'provider_failed',
  QUOTA_EXCEEDED: 'retry',
  RESOURCE_EXHAUSTED: 'retry',
  UNAVAILABLE: 'retry',
  INTERNAL: 'retry',
};

interface FcmErrorBody {
  error?: {
    code?: unknown;
    message?: unknown;
    status?: unknown;
    details?: { '@type'?: unknown; errorCode?: unknown }[];
  };
}

function errorCodeOf(json: FcmErrorBody | undefined): string | null {
  const details = Array.isArray(json?.error?.details) ? json.error.details : [];
  const fcm = details.find((d) => d?.['@type'] === 'type.googleapis.com/google.firebase.fcm.v1.FcmError');
  if (typeof fcm?.errorCode === 'string') return fcm.errorCode;
  return typeof json?.error?.status === 'string' ? json.error.status : null;
}

async function post(url: string, token: string, body: string, call: FcmCall) {
  return guardedFetch(
    url,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body,
    },
    { allowPrivate: call.allowPrivate, timeoutMs: call.timeoutMs },
  );
}

async function send(message: OutboundMessage, call: FcmCall): Promise<SendResult> {
  const started = performance.now();
  if (!message.to)
    return {
      outcome: 'rejected',
      errorCode: null,
      error: 'no registration token',
      statusCode: null,
      latencyMs: 0,
    };
  const sa = parseServiceAccount(call.secrets.serviceAccountJson);
  if (!sa)
    return configProblem('the service account JSON lacks project_id, client_email or private_key', started);
  const tokenUrl = call.config.tokenUrl ?? sa.token_uri ?? DEFAULT_TOKEN_URL;
  const base = (call.config.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const url = `${base}/v1/projects/${encodeURIComponent(sa.project_id)}/messages:send`;
  const body = JSON.stringify(fcmMessage(message));

  let answer: Awaited<ReturnType<typeof guardedFetch>> | undefined;
  // A 401 with a cached token: it was revoked or expired early; one fresh token, then give up.
  for (let attempt = 0; attempt < 2; attempt++) {
    const token = await accessToken(sa, tokenUrl, call, started);
    if (typeof token !== 'string') return token;
    try {
      answer = await post(url, token, body, call);
    } catch (err) {
      return noAnswer(err, started);
    }
    if (answer.response.status !== 401) break;
    dropToken(sa, tokenUrl);
  }
  const { response, body: answerBody } = answer as NonNullable<typeof answer>;
  const json = parseJson(answerBody) as (FcmErrorBody & { name?: unknown }) | undefined;
  if (response.status >= 200 && response.status < 300)
    // Accepted: sending again would notify twice, so an unreadable answer still counts as sent.
    return {
      outcome: 'sent',
      providerMessageId: typeof json?.name === 'string' ? json.name : null,
      statusCode: response.status,
      latencyMs: since(started),
    };
  const code = errorCodeOf(json);
  const outcome = (code && OUTCOMES[code]) || outcomeOfStatus(response.status);
  const reason = typeof json?.error?.message === 'string' ? json.error.message : `HTTP ${response.status}`;
  return failed(outcome, response, started, code, reason);
}

export const fcmPush: ChannelProvider<FcmConfig, FcmSecrets> = {
  kind: 'push',
  configSchema: FcmConfig,
  secretsSchema: FcmSecrets,
  needsAddress: true,
  send,
  probe: (call) => probeHost(call.config.baseUrl ?? DEFAULT_BASE_URL, call),
};
