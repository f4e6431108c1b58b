// Slack, Microsoft Teams and Discord incoming webhooks: one POST of the message to the channel's
// incoming-webhook URL through guardedFetch (SSRF guard, timeout, no redirects).
//
// The URL is the credential (Slack's and Discord's carry the token in their path, Teams workflow
// URLs a signature in their query): whoever has it can post to the channel. So it is a secret,
// sealed at rest and never returned; the settings hold only what is not secret (Discord's
// display name). Error texts written to the delivery log never include it.
import { type Static, Type } from 'typebox';
import { guardedFetch, OutboundCallError } from '../../../platform/outbound/guarded-fetch.ts';
import { probeHost } from './http-adapter.ts';
import {
  type ChannelProvider,
  type OutboundMessage,
  type ProviderCall,
  retryAfterMs,
  type SendResult,
} from './provider.ts';

/** Each service's documented limits on what one message may carry. */
export const SLACK_TEXT_LIMIT = 40_000;
export const SLACK_SECTION_LIMIT = 3000;
export const SLACK_HEADER_LIMIT = 150;
export const DISCORD_CONTENT_LIMIT = 2000;
/** Teams takes about 28 KB per message; the whole JSON body is kept under this many bytes. */
export const TEAMS_BODY_BYTES = 27_000;

const IncomingUrl = Type.String({
  minLength: 1,
  maxLength: 2000,
  description:
    'The incoming-webhook URL the service gave (it is the credential: sealed, never shown again). Its host must resolve to public addresses only unless the installation sets WEBHOOK_ALLOW_PRIVATE.',
});
export const ChatSecrets = Type.Object({ url: IncomingUrl }, { additionalProperties: false });
export type ChatSecrets = Static<typeof ChatSecrets>;

export const NoChatConfig = Type.Object({}, { additionalProperties: false });
export type NoChatConfig = Static<typeof NoChatConfig>;

export const DiscordConfig = Type.Object(
  {
    username: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 80,
        description: 'Name shown as the sender instead of the webhook’s.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type DiscordConfig = Static<typeof DiscordConfig>;

/** Cuts `text` to at most `limit` characters (code points, never half a pair), ending in an ellipsis. */
export function truncate(text: string, limit: number): string {
  const chars = Array.from(text);
  if (chars.length <= limit) return text;
  return `${chars.slice(0, limit - 1).join('')}…`;
}

/** Slack reads `&`, `<` and `>` as markup: escaped, tenant text cannot ping `<!channel>` or forge links. */
export function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

type Failure = 'retry' | 'provider_failed' | 'rejected';

interface Answer {
  status: number;
  body: string;
  retryAfter: string | null;
  latencyMs: number;
}

/**
 * POSTs the JSON body and hands the answer to `judge`; no answer (timeout, refused, blocked by
 * the SSRF guard...) becomes a failed SendResult here, never a throw.
 */
async function post(
  url: string,
  payload: unknown,
  call: ProviderCall<unknown, ChatSecrets>,
  judge: (a: Answer) => SendResult,
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const { response, body } = await guardedFetch(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'BUL-Notifications/1' },
        body: JSON.stringify(payload),
      },
      { allowPrivate: call.allowPrivate, timeoutMs: call.timeoutMs },
    );
    return judge({
      status: response.status,
      body,
      retryAfter: response.headers.get('retry-after'),
      latencyMs: elapsed(),
    });
  } catch (err) {
    const e =
      err instanceof OutboundCallError
        ? err
        : new OutboundCallError('network', err instanceof TypeError ? 'invalid URL' : 'network error');
    const outcome: Failure =
      e.errorClass === 'blocked_address' || e.errorClass === 'tls' ? 'provider_failed' : 'retry';
    const error =
      e.errorClass === 'blocked_address'
        ? 'the URL resolves to a non-public address'
        : e.errorClass === 'timeout'
          ? 'no answer in time'
          : `no answer (${e.errorClass})`;
    return { outcome, errorCode: e.errorClass, error, statusCode: null, latencyMs: elapsed() };
  }
}

/**
 * The answer statuses all three services share: 2xx sent; 429, 408 and 5xx try again later; 400
 * and 413 are this message's fault (rejected); a redirect or any other 4xx (401, 403, 404 unknown
 * or deleted webhook, 410 archived channel) is the channel's URL that no longer works
 * (provider_failed, an admin fixes it).
 */
function byStatus(a: Answer, errorCode: string | null, detail: string): SendResult {
  let outcome: Failure;
  if (a.status === 429 || a.status === 408 || a.status >= 500) outcome = 'retry';
  else if (a.status === 400 || a.status === 413) outcome = 'rejected';
  else outcome = 'provider_failed';
  return {
    outcome,
    errorCode: errorCode ?? String(a.status),
    error: `HTTP ${a.status}${detail ? `: ${detail.slice(0, 200)}` : ''}`,
    statusCode: a.status,
    latencyMs: a.latencyMs,
    retryAfterMs: retryAfterMs(a.retryAfter),
  };
}

const ok = (a: Answer) => a.status >= 200 && a.status < 300;
const sent = (a: Answer, providerMessageId: string | null = null): SendResult => ({
  outcome: 'sent',
  providerMessageId,
  statusCode: a.status,
  latencyMs: a.latencyMs,
});

/** Slack: `text` (the notification and fallback), plus header + section blocks when they hold it all. */
export function slackPayload(message: OutboundMessage): { text: string; blocks?: unknown[] } {
  const { subject, text } = message.message;
  const body = escapeSlack(text);
  if (!subject) return { text: truncate(body, SLACK_TEXT_LIMIT) };
  const whole = truncate(`*${escapeSlack(subject)}*\n${body}`, SLACK_TEXT_LIMIT);
  if (Array.from(body).length > SLACK_SECTION_LIMIT) return { text: whole };
  return {
    text: whole,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncate(subject, SLACK_HEADER_LIMIT) } },
      ...(body ? [{ type: 'section', text: { type: 'mrkdwn', text: body } }] : []),
    ],
  };
}

export const slackIncoming: ChannelProvider<NoChatConfig, ChatSecrets> = {
  kind: 'slack',
  configSchema: NoChatConfig,
  secretsSchema: ChatSecrets,
  needsAddress: false,
  // The URL is the credential: only its host is probed (probeHost never calls the path).
  probe: (call) => probeHost(call.secrets.url, call),
  send: (message, call) =>
    post(call.secrets.url, slackPayload(message), call, (a) => {
      if (ok(a)) return sent(a);
      // Slack names the error in a plain-text body: invalid_payload, channel_not_found, no_service...
      const name = /^[a-z_]{1,60}$/.test(a.body.trim()) ? a.body.trim() : null;
      return byStatus(a, name, name ?? a.body.trim());
    }),
};

function teamsCard(subject: string | null, text: string) {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            ...(subject
              ? [{ type: 'TextBlock', text: subject, weight: 'Bolder', size: 'Medium', wrap: true }]
              : []),
            { type: 'TextBlock', text, wrap: true },
          ],
        },
      },
    ],
  };
}

/** Teams: an Adaptive Card (title in bold, then the text), its JSON under TEAMS_BODY_BYTES. */
export function teamsPayload(message: OutboundMessage): unknown {
  const subject = message.message.subject ? truncate(message.message.subject, 500) : null;
  const text = message.message.text;
  const chars = Array.from(text);
  const cut = (n: number) => (n >= chars.length ? text : `${chars.slice(0, n - 1).join('')}…`);
  const fits = (n: number) =>
    Buffer.byteLength(JSON.stringify(teamsCard(subject, cut(n)))) <= TEAMS_BODY_BYTES;
  if (fits(chars.length)) return teamsCard(subject, text);
  // The longest cut that fits (escaping and multi-byte characters make bytes ≠ characters).
  let low = 1;
  let high = chars.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  return teamsCard(subject, cut(low));
}

export const teamsIncoming: ChannelProvider<NoChatConfig, ChatSecrets> = {
  kind: 'teams',
  configSchema: NoChatConfig,
  secretsSchema: ChatSecrets,
  needsAddress: false,
  // The URL is the credential: only its host is probed (probeHost never calls the path).
  probe: (call) => probeHost(call.secrets.url, call),
  send: (message, call) =>
    post(call.secrets.url, teamsPayload(message), call, (a) =>
      ok(a) ? sent(a) : byStatus(a, null, a.body.trim()),
    ),
};

/** Discord: `content` in at most 2000 characters, and no mention ever pings (tenant text). */
export function discordPayload(message: OutboundMessage, config: DiscordConfig): unknown {
  const { subject, text } = message.message;
  return {
    content: truncate(subject ? `**${subject}**\n${text}` : text, DISCORD_CONTENT_LIMIT),
    ...(config.username ? { username: config.username } : {}),
    allowed_mentions: { parse: [] },
  };
}

function parseJson(body: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(body);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export const discordIncoming: ChannelProvider<DiscordConfig, ChatSecrets> = {
  kind: 'discord',
  configSchema: DiscordConfig,
  secretsSchema: ChatSecrets,
  needsAddress: false,
  // The URL is the credential: only its host is probed (probeHost never calls the path).
  probe: (call) => probeHost(call.secrets.url, call),
  send(message, call) {
    let url: URL;
    try {
      url = new URL(call.secrets.url);
    } catch {
      return Promise.resolve({
        outcome: 'provider_failed',
        errorCode: 'invalid_url',
        error: 'the webhook URL is not a URL',
        statusCode: null,
        latencyMs: 0,
      });
    }
    // wait=true: Discord answers 200 with the created message (its id) instead of 204.
    url.searchParams.set('wait', 'true');
    return post(url.toString(), discordPayload(message, call.config), call, (a) => {
      const json = parseJson(a.body);
      if (ok(a)) return sent(a, typeof json?.id === 'string' ? json.id : null);
      // Errors are JSON: { code: 10015, message: 'Unknown Webhook' }; 429 adds retry_after in seconds.
      const code = typeof json?.code === 'number' ? String(json.code) : null;
      const result = byStatus(a, code, typeof json?.message === 'string' ? json.message : a.body.trim());
      if (result.outcome !== 'sent' && typeof json?.retry_after === 'number')
        result.retryAfterMs = Math.ceil(json.retry_after * 1000);
      return result;
    });
  },
};
