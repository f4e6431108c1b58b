// A local FCM HTTP v1 with its OAuth2 token endpoint. POST /token trades a service-account JWT
// (verified with the public key of the test's keypair: RS256, iss, aud, scope, lifetime) for an
// access token; POST /v1/projects/{project}/messages:send takes a live access token and answers
// {name}, or the documented errors ({error: {code, message, status, details: [FcmError]}}),
// scripted per registration token. Access tokens can be expired and the account revoked.
import { randomBytes } from 'node:crypto';
import { exportPKCS8, generateKeyPair, jwtVerify } from 'jose';
import {
  answer,
  json,
  type RecordingPeer,
  Script,
  type ScriptedAnswer,
  startRecordingPeer,
} from './recording-peer.ts';

export interface FcmPeer extends RecordingPeer {
  projectId: string;
  clientEmail: string;
  /** The service account JSON key file for this peer (token_uri pointing at it). */
  serviceAccountJson: string;
  tokenUrl: string;
  script: Script;
  /** Access tokens issued, in order. */
  issued: string[];
  /** Access tokens FCM no longer takes (401 UNAUTHENTICATED). */
  expired: Set<string>;
  /** Every new access token is refused by messages:send too. */
  refuseAllTokens: boolean;
  /** The account's key was deleted: the token endpoint answers invalid_grant. */
  revoked: boolean;
  /** Registration tokens of uninstalled apps (404 UNREGISTERED). */
  unregistered: Set<string>;
  /** Messages accepted: their name and body. */
  sent: { name: string; body: { message: Record<string, unknown> } }[];
  tokenRequests(): number;
  sendRequests(): number;
}

export function fcmError(
  status: number,
  rpcStatus: string,
  message: string,
  errorCode?: string,
  headers?: Record<string, string>,
): ScriptedAnswer {
  return {
    status,
    body: {
      error: {
        code: status,
        message,
        status: rpcStatus,
        ...(errorCode
          ? { details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] }
          : {}),
      },
    },
    ...(headers ? { headers } : {}),
  };
}

export const FCM = {
  unregistered: () => fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED'),
  invalidArgument: () =>
    fcmError(
      400,
      'INVALID_ARGUMENT',
      'The registration token is not a valid FCM registration token',
      'INVALID_ARGUMENT',
    ),
  senderIdMismatch: () => fcmError(403, 'PERMISSION_DENIED', 'SenderId mismatch', 'SENDER_ID_MISMATCH'),
  quotaExceeded: (retryAfterSeconds: number) =>
    fcmError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.', 'QUOTA_EXCEEDED', {
      'retry-after': String(retryAfterSeconds),
    }),
  unavailable: () => fcmError(503, 'UNAVAILABLE', 'The service is currently unavailable.', 'UNAVAILABLE'),
  internal: () => fcmError(500, 'INTERNAL', 'Internal error encountered.', 'INTERNAL'),
};

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

export async function startFcmPeer(): Promise<FcmPeer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const projectId = `bul-test-${randomBytes(3).toString('hex')}`;
  const clientEmail = `firebase-adminsdk-x1@${projectId}.iam.gserviceaccount.com`;
  const script = new Script();
  const state = {
    issued: [] as string[],
    expired: new Set<string>(),
    unregistered: new Set<string>(),
    sent: [] as FcmPeer['sent'],
  };
  let tokenUrl = '';
  const peer = await startRecordingPeer(async (req, res) => {
    if (req.method === 'POST' && req.path === '/token') {
      const form = new URLSearchParams(req.body);
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
        return json(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' });
      if (fcmPeer.revoked)
        return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
      try {
        const { payload } = await jwtVerify(form.get('assertion') ?? '', publicKey, {
          algorithms: ['RS256'],
          issuer: clientEmail,
          audience: tokenUrl,
        });
        if (payload.scope !== SCOPE) throw new Error('scope');
        if (
          typeof payload.iat !== 'number' ||
          typeof payload.exp !== 'number' ||
          payload.exp - payload.iat > 3600
        )
          throw new Error('lifetime');
      } catch {
        return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
      }
      const token = `ya29.${randomBytes(24).toString('base64url')}`;
      state.issued.push(token);
      if (fcmPeer.refuseAllTokens) state.expired.add(token);
      return json(res, 200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
    }
    const match = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(req.path);
    if (req.method !== 'POST' || !match) return json(res, 404, 'Not Found');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!state.issued.includes(bearer) || state.expired.has(bearer))
      return answer(
        res,
        fcmError(
          401,
          'UNAUTHENTICATED',
          'Request had invalid authentication credentials. Expected OAuth 2 access token.',
        ),
      );
    if (match[1] !== projectId)
      return answer(res, fcmError(403, 'PERMISSION_DENIED', 'Permission denied on resource project.'));
    let body: { message?: { token?: string; data?: Record<string, unknown> } };
    try {
      body = JSON.parse(req.body);
    } catch {
      return answer(res, fcmError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
    }
    const device = body.message?.token ?? '';
    const scripted = script.next(device);
    if (scripted) return answer(res, scripted);
    if (!device) return answer(res, FCM.invalidArgument());
    if (Object.values(body.message?.data ?? {}).some((v) => typeof v !== 'string'))
      return answer(
        res,
        fcmError(400, 'INVALID_ARGUMENT', 'Invalid value at message.data', 'INVALID_ARGUMENT'),
      );
    if (state.unregistered.has(device)) return answer(res, FCM.unregistered());
    const name = `projects/${projectId}/messages/0:${Date.now()}%${randomBytes(8).toString('hex')}`;
    state.sent.push({ name, body: body as FcmPeer['sent'][number]['body'] });
    json(res, 200, { name });
  });
  tokenUrl = `${peer.url}/token`;
  const serviceAccountJson = JSON.stringify({
    type: 'service_account',
    project_id: projectId,
    private_key_id: randomBytes(20).toString('hex'),
    private_key: await exportPKCS8(privateKey),
    client_email: clientEmail,
    client_id: '10987654321',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUrl,
  });
  const fcmPeer: FcmPeer = {
    ...peer,
    projectId,
    clientEmail,
    serviceAccountJson,
    tokenUrl,
    script,
    issued: state.issued,
    expired: state.expired,
    unregistered: state.unregistered,
    sent: state.sent,
    refuseAllTokens: false,
    revoked: false,
    tokenRequests: () => peer.requests.filter((r) => r.path === '/token').length,
    sendRequests: () => peer.requests.filter((r) => r.path.endsWith('messages:send')).length,
  };
  return fcmPeer;
}
