// The notification routes called from outside without a signed-in user: providers' status
// callbacks and one-click unsubscribe. Both need the exact bytes received (signatures are over
// them; RFC 8058's POST is form-encoded), so this scope reads every body as a buffer instead of
// the API's JSON-only parsing.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../platform/errors.ts';
import { PUBLIC, requestMeta } from '../../platform/http/request-context.ts';
import { type Locale, negotiateLocale } from '../../platform/i18n/locale.ts';
import type { CallbackRequest } from './channels/provider.ts';
import { CallbackParams, UnsubscribeQuery } from './schemas.ts';
import type { NotificationServices } from './service.ts';
import { unsubscribePage } from './unsubscribe-page.ts';

const tags = ['notifications'];

function callbackRequest(request: FastifyRequest, publicUrl: string): CallbackRequest {
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries((request.query ?? {}) as Record<string, unknown>))
    if (typeof v === 'string') query[k] = v;
  return {
    method: request.method === 'GET' ? 'GET' : 'POST',
    // The URL the provider called, as it signed it: the public base plus the path and query.
    url: `${publicUrl}${request.url}`,
    headers: request.headers,
    query,
    rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
  };
}

/**
 * A link that is not one BUL sealed (cut short, altered): a page saying so for a browser, the
 * problem (invalid-token) for anything else.
 */
function invalidLink(request: FastifyRequest, reply: FastifyReply, language: Locale) {
  if (!String(request.headers.accept ?? '').includes('text/html')) throw new AppError('invalid-token');
  return reply
    .code(401)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(unsubscribePage({ language, state: 'invalid', token: null }));
}

export const notificationPublicRoutes: FastifyPluginAsyncTypebox<{
  notifications: NotificationServices;
  publicUrl: string;
}> = async (app, { notifications: n, publicUrl }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_request, body, done) =>
    done(null, body),
  );

  const callback = async (request: FastifyRequest, reply: FastifyReply) => {
    const { channelId } = request.params as { channelId: string };
    const result = await n.callbacks.providerCallback(channelId, callbackRequest(request, publicUrl));
    if (result.kind === 'unauthorized') throw new AppError('invalid-signature');
    if (result.kind === 'challenge')
      return reply.code(200).type('text/plain; charset=utf-8').send(result.body);
    return reply.code(200).type('text/plain; charset=utf-8').send('ok');
  };
  for (const method of ['GET', 'POST'] as const)
    app.route({
      method,
      url: '/notifications/callbacks/:channelId',
      schema: {
        operationId: method === 'GET' ? 'verifyNotificationCallback' : 'receiveNotificationCallback',
        tags,
        summary:
          method === 'GET'
            ? "A provider's subscription check (WhatsApp Cloud's hub.challenge)"
            : "A provider's status report or inbound reply (Twilio status callback, WhatsApp Cloud webhook)",
        description:
          "Verified with the channel's credentials (X-Twilio-Signature, X-Hub-Signature-256) before anything changes; a bad signature gets 401. Point the provider at this URL with the channel's id.",
        params: CallbackParams,
        response: { 200: Type.String() },
      },
      config: { access: PUBLIC, problems: ['invalid-signature'] },
      handler: callback,
    });

  app.get(
    '/notifications/unsubscribe',
    {
      schema: {
        operationId: 'unsubscribePage',
        tags,
        summary: 'The page an unsubscribe link opens: a button that confirms (nothing changes on GET)',
        description:
          'Link scanners open links in e-mails, so GET only shows the page; its button (and RFC 8058 one-click clients) POST.',
        querystring: UnsubscribeQuery,
        response: { 200: Type.String() },
      },
      config: { access: PUBLIC, problems: ['invalid-token'] },
    },
    async (request, reply) => {
      const language = negotiateLocale(request.headers['accept-language']);
      const claim = n.callbacks.readToken(request.query.token);
      if (!claim) return invalidLink(request, reply, language);
      return reply
        .code(200)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(unsubscribePage({ language, state: 'confirm', token: request.query.token }));
    },
  );

  app.post(
    '/notifications/unsubscribe',
    {
      schema: {
        operationId: 'unsubscribe',
        tags,
        summary: 'One-click unsubscribe (RFC 8058): takes effect at once, no sign-in',
        description:
          "Mail clients POST `List-Unsubscribe=One-Click` to the List-Unsubscribe URL; the page's button posts the same. The token names the recipient, event type and channel; it is sealed, so it cannot be altered.",
        querystring: UnsubscribeQuery,
        response: { 200: Type.String() },
      },
      config: { access: PUBLIC, problems: ['invalid-token'] },
    },
    async (request, reply) => {
      const language = negotiateLocale(request.headers['accept-language']);
      const claim = await n.callbacks.unsubscribe(request.query.token, requestMeta(request));
      if (!claim) return invalidLink(request, reply, language);
      return reply
        .code(200)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(unsubscribePage({ language, state: 'done', token: null }));
    },
  );
};
