// Browser-facing protections: security headers (CSP, HSTS on https, frame-ancestors, nosniff,
// referrer policy, no-store on API answers), a CORS allow-list, and cookie parsing for sessions.
// CSRF for cookie sessions is checked by the authenticator (synchroniser token in X-CSRF-Token).

import type { IncomingMessage, ServerResponse } from 'node:http';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The headers helmet would set, computed once: they do not vary per request, and running the
 * middleware on every request was a measurable share of an authenticated request's cost.
 */
function staticHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string | number) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  } as unknown as ServerResponse;
  helmet(options)({} as IncomingMessage, res, () => {});
  return headers;
}

/**
 * The CSP of Swagger UI's pages (/docs), which its plugin sets instead of the one above. Its scripts
 * and styles are its own files, but it applies inline styles (a console error on every load under
 * swagger-ui's own policy), so styles may be inline, as the web app's policy allows too. The
 * document's server is relative and the validator badge is off, so "Try it out" and everything
 * else talk to the page's own origin only.
 */
export function docsContentSecurityPolicy(opts: { https: boolean }): string {
  return [
    "default-src 'self'",
    "base-uri 'self'",
    "connect-src 'self'",
    "font-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "img-src 'self' data:",
    "object-src 'none'",
    "script-src 'self'",
    "script-src-attr 'none'",
    "style-src 'self' 'unsafe-inline'",
    ...(opts.https ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}

export async function registerSecurityHeaders(
  app: FastifyInstance,
  opts: { corsOrigins: string[]; https: boolean },
): Promise<void> {
  const headers = staticHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        upgradeInsecureRequests: opts.https ? [] : null,
      },
    },
    hsts: opts.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    crossOriginEmbedderPolicy: false,
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers);
    // API answers carry tokens and tenant data: no browser or proxy may keep them. A route can
    // still choose otherwise by setting its own cache-control.
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    done();
  });
  await app.register(cors, {
    origin: opts.corsOrigins.length > 0 ? opts.corsOrigins : false,
    credentials: true,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'X-Organization-ID',
      'X-CSRF-Token',
      'If-Match',
      'Idempotency-Key',
      'X-Request-Id',
    ],
    exposedHeaders: [
      'ETag',
      'Retry-After',
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
      'X-Request-Id',
    ],
    maxAge: 600,
  });
  await app.register(cookie);
}
