// A local WhatsApp Business Cloud API: POST /{version}/{phone-number-id}/messages with a bearer
// token, knowing its approved templates (name, language, number of body parameters) and which
// numbers are inside the 24 h customer-care window; errors as Graph API
// {error: {message, type, code, error_subcode, fbtrace_id}}, scripted per recipient. It also
// builds the webhook requests Meta would make (GET verification, POST signed with
// X-Hub-Signature-256).
import { createHmac, randomBytes } from 'node:crypto';
import {
  answer,
  json,
  type RecordingPeer,
  Script,
  type ScriptedAnswer,
  startRecordingPeer,
} from './recording-peer.ts';

export interface WhatsAppPeer extends RecordingPeer {
  phoneNumberId: string;
  accessToken: string;
  appSecret: string;
  verifyToken: string;
  script: Script;
  /** Approved templates: name → language and number of body parameters. */
  templates: Map<string, { language: string; parameters: number }>;
  /** Numbers that wrote in the last 24 h (free text allowed). */
  careWindow: Set<string>;
  /** Access tokens that have expired (error 190). */
  expiredTokens: Set<string>;
  sent: { id: string; to: string; body: Record<string, unknown> }[];
  /** A webhook POST as Meta signs it, with `secret` (default the app secret). */
  webhook(payload: unknown, secret?: string): { headers: Record<string, string>; rawBody: Buffer };
}

export function graphError(
  status: number,
  code: number,
  message: string,
  extra: { type?: string; error_subcode?: number; headers?: Record<string, string> } = {},
): ScriptedAnswer {
  return {
    status,
    body: {
      error: {
        message,
        type: extra.type ?? 'OAuthException',
        code,
        ...(extra.error_subcode ? { error_subcode: extra.error_subcode } : {}),
        fbtrace_id: randomBytes(8).toString('base64url'),
      },
    },
    ...(extra.headers ? { headers: extra.headers } : {}),
  };
}

export const WHATSAPP = {
  invalidNumber: () => graphError(400, 131026, 'Message undeliverable'),
  // Graph API throttling answers 400, not 429; the code says what it is.
  rateLimited: (retryAfterSeconds: number) =>
    graphError(400, 130429, 'Rate limit hit', { headers: { 'retry-after': String(retryAfterSeconds) } }),
  spamRateLimited: () => graphError(400, 131048, 'Spam rate limit hit'),
  serverError: () => graphError(500, 1, 'An unknown error occurred', { type: 'OAuthException' }),
};

export async function startWhatsAppPeer(): Promise<WhatsAppPeer> {
  const phoneNumberId = String(100_000_000_000_000 + Math.floor(Math.random() * 1e12));
  const accessToken = `EAAG${randomBytes(24).toString('base64url')}`;
  const appSecret = randomBytes(16).toString('hex');
  const verifyToken = randomBytes(12).toString('hex');
  const script = new Script();
  const templates: WhatsAppPeer['templates'] = new Map();
  const careWindow = new Set<string>();
  const expiredTokens = new Set<string>();
  const sent: WhatsAppPeer['sent'] = [];
  const peer = await startRecordingPeer((req, res) => {
    if (req.method !== 'POST' || !new RegExp(`^/v\\d+\\.\\d+/${phoneNumberId}/messages$`).test(req.path))
      return answer(
        res,
        graphError(400, 100, 'Unsupported post request. Object does not exist', {
          type: 'GraphMethodException',
        }),
      );
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (expiredTokens.has(token))
      return answer(
        res,
        graphError(401, 190, 'Error validating access token: Session has expired.', { error_subcode: 463 }),
      );
    if (token !== accessToken) return answer(res, graphError(401, 190, 'Invalid OAuth access token.'));
    let body: {
      messaging_product?: string;
      to?: string;
      type?: string;
      text?: { body?: string };
      template?: {
        name?: string;
        language?: { code?: string };
        components?: { type: string; parameters: unknown[] }[];
      };
    };
    try {
      body = JSON.parse(req.body);
    } catch {
      return answer(res, graphError(400, 100, 'Invalid parameter'));
    }
    const to = body.to ?? '';
    const scripted = script.next(to);
    if (scripted) return answer(res, scripted);
    if (body.messaging_product !== 'whatsapp' || !to)
      return answer(res, graphError(400, 100, '(#100) Invalid parameter'));
    if (body.type === 'template') {
      const t = templates.get(body.template?.name ?? '');
      if (!t || t.language !== body.template?.language?.code)
        return answer(res, graphError(404, 132001, 'Template name does not exist in the translation'));
      const given = body.template?.components?.find((c) => c.type === 'body')?.parameters.length ?? 0;
      if (given !== t.parameters)
        return answer(
          res,
          graphError(400, 132000, 'Number of parameters does not match the expected number of params'),
        );
    } else if (body.type === 'text') {
      if (!body.text?.body) return answer(res, graphError(400, 100, '(#100) Param text[body] is required'));
      if (!careWindow.has(to))
        return answer(res, graphError(400, 131047, 'Re-engagement message: more than 24 hours have passed'));
    } else return answer(res, graphError(400, 100, '(#100) Invalid parameter'));
    const id = `wamid.${randomBytes(24).toString('base64url')}`;
    sent.push({ id, to, body: body as Record<string, unknown> });
    json(res, 200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: to, wa_id: to.replace(/^\+/, '') }],
      messages: [{ id, ...(body.type === 'template' ? { message_status: 'accepted' } : {}) }],
    });
  });
  return {
    ...peer,
    phoneNumberId,
    accessToken,
    appSecret,
    verifyToken,
    script,
    templates,
    careWindow,
    expiredTokens,
    sent,
    webhook(payload, secret = appSecret) {
      const rawBody = Buffer.from(JSON.stringify(payload), 'utf8');
      const signature = createHmac('sha256', secret).update(rawBody).digest('hex');
      return {
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${signature}` },
        rawBody,
      };
    },
  };
}

/** A webhook payload for the business account, with `value` as Meta nests it. */
export function whatsAppWebhookPayload(phoneNumberId: string, value: Record<string, unknown>): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}
