// A local Twilio Messages API: POST /2010-04-01/Accounts/{AccountSid}/Messages.json with basic
// auth and a form body, answering as Twilio documents (201 with the Message resource; errors as
// {code, message, more_info, status}), scripted per To number. It also builds the signed status
// callbacks Twilio would post for a sent message (its own X-Twilio-Signature implementation,
// written from Twilio's security documentation, not BUL's).
import { createHmac, randomBytes } from 'node:crypto';
import {
  answer,
  json,
  type PeerRequest,
  type RecordingPeer,
  Script,
  type ScriptedAnswer,
  startRecordingPeer,
} from './recording-peer.ts';

export interface TwilioPeer extends RecordingPeer {
  accountSid: string;
  authToken: string;
  script: Script;
  /** Messages accepted: their sid and the form Twilio got. */
  sent: { sid: string; form: URLSearchParams }[];
  /** The request Twilio would make to the message's StatusCallback (as BUL's route receives it). */
  statusCallback(
    sid: string,
    status: string,
    extra?: Record<string, string>,
  ): { url: string; headers: Record<string, string>; rawBody: Buffer };
}

export function twilioError(
  status: number,
  code: number,
  message: string,
  headers?: Record<string, string>,
): ScriptedAnswer {
  return {
    status,
    body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
    ...(headers ? { headers } : {}),
  };
}

export const TWILIO = {
  invalidNumber: (to: string) =>
    twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`),
  notMobile: (to: string) => twilioError(400, 21614, `'To' number ${to} is not a valid mobile number`),
  unsubscribed: () => twilioError(400, 21610, 'Attempt to send to unsubscribed recipient'),
  rateLimited: (retryAfterSeconds: number) =>
    twilioError(429, 20429, 'Too Many Requests', { 'retry-after': String(retryAfterSeconds) }),
  serverError: () => twilioError(500, 20500, 'Internal Server Error'),
  unavailable: (retryAfter: string) =>
    twilioError(503, 20503, 'Service Unavailable', { 'retry-after': retryAfter }),
};

/** X-Twilio-Signature: base64 HMAC-SHA1(authToken, url + each param name and value, by name). */
export function signTwilio(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

const hex32 = () => randomBytes(16).toString('hex');

export async function startTwilioPeer(): Promise<TwilioPeer> {
  const accountSid = `AC${hex32()}`;
  const authToken = hex32();
  const script = new Script();
  const sent: TwilioPeer['sent'] = [];
  const peer = await startRecordingPeer((req: PeerRequest, res) => {
    if (req.method !== 'POST' || req.path !== `/2010-04-01/Accounts/${accountSid}/Messages.json`) {
      json(res, 404, {
        code: 20404,
        message: 'The requested resource was not found',
        more_info: '',
        status: 404,
      });
      return;
    }
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      answer(res, twilioError(401, 20003, 'Authenticate'));
      return;
    }
    const form = new URLSearchParams(req.body);
    const to = form.get('To') ?? '';
    const scripted = script.next(to);
    if (scripted) return answer(res, scripted);
    if (!/^\+[1-9][0-9]{6,14}$/.test(to)) return answer(res, TWILIO.invalidNumber(to));
    if (!form.get('From') && !form.get('MessagingServiceSid'))
      return answer(res, twilioError(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required"));
    if (!form.get('Body')) return answer(res, twilioError(400, 21602, 'Message body is required.'));
    const sid = `SM${hex32()}`;
    sent.push({ sid, form });
    json(res, 201, {
      sid,
      account_sid: accountSid,
      to,
      from: form.get('From'),
      messaging_service_sid: form.get('MessagingServiceSid'),
      body: form.get('Body'),
      status: 'queued',
      num_segments: '1',
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
    });
  });
  return {
    ...peer,
    accountSid,
    authToken,
    script,
    sent,
    statusCallback(sid, status, extra = {}) {
      const message = sent.find((m) => m.sid === sid);
      const url = message?.form.get('StatusCallback');
      if (!message || !url) throw new Error(`no StatusCallback for ${sid}`);
      const params: Record<string, string> = {
        AccountSid: accountSid,
        ApiVersion: '2010-04-01',
        From: message.form.get('From') ?? '',
        MessageSid: sid,
        MessageStatus: status,
        SmsSid: sid,
        SmsStatus: status,
        To: message.form.get('To') ?? '',
        ...extra,
      };
      return {
        url,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': signTwilio(authToken, url, params),
        },
        rawBody: Buffer.from(new URLSearchParams(params).toString(), 'utf8'),
      };
    },
  };
}
