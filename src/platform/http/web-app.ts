// Serves the web application (web/dist, built by `npm run build`) at `/`: hashed assets with a
// year-long immutable cache, and index.html (never cached) for every other GET that a browser
// navigates to, so client-side routes such as /projects/… survive a reload. API paths and
// non-HTML requests that match nothing still get the 404 problem document.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATIC_ROUTE, UNMATCHED_ROUTE } from '../observability/metrics.ts';
import { PUBLIC } from './request-context.ts';

/** Where `npm run build` puts the web app. */
export const WEB_DIST_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist');

/** Paths that belong to the server, never to the web app's client-side router. */
const SERVER_PREFIXES = ['/api/', '/docs', '/metrics', '/health', '/ready', '/.well-known/'];

export function webAppBuilt(dir = WEB_DIST_DIR): boolean {
  return existsSync(path.join(dir, 'index.html'));
}

/** A browser navigating to one of the web app's own routes (which index.html answers). */
function isAppNavigation(request: FastifyRequest): boolean {
  const url = request.url.split('?')[0] ?? '';
  const wantsHtml = (request.headers.accept ?? '').includes('text/html');
  return wantsHtml && !SERVER_PREFIXES.some((p) => url.startsWith(p));
}

export async function registerWebApp(app: FastifyInstance, dir = WEB_DIST_DIR): Promise<void> {
  const indexHtml = readFileSync(path.join(dir, 'index.html'));
  // One route per built file, so in their own context: all of them share one metrics label.
  await app.register(async (files) => {
    files.addHook('onRoute', (route) => {
      route.config = { ...route.config, metricsRoute: STATIC_ROUTE };
    });
    await files.register(fastifyStatic, {
      root: dir,
      prefix: '/',
      wildcard: false, // one route per built file; the fallback below handles the rest
      index: false,
      serveDotFiles: false,
      cacheControl: false,
      setHeaders: (reply, filePath) => {
        const hashed = filePath.includes(`${path.sep}assets${path.sep}`);
        reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  });

  const sendIndex = (reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(indexHtml);

  app.get('/', { schema: { hide: true }, config: { access: PUBLIC } }, (_request, reply) => sendIndex(reply));
  app.get(
    '/*',
    {
      schema: { hide: true },
      // Anything that is not a navigation is an unknown URL, even when refused before the handler.
      config: { access: PUBLIC, metricsRoute: (r) => (isAppNavigation(r) ? '/*' : UNMATCHED_ROUTE) },
    },
    (request, reply) => {
      // The answer depends on Accept (index.html or a 404 problem): caches must keep them apart.
      const vary = reply.getHeader('vary');
      reply.header('vary', vary ? `${vary}, Accept` : 'Accept');
      return isAppNavigation(request) ? sendIndex(reply) : reply.callNotFound();
    },
  );
}
