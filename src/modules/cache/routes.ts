// HTTP routes of the cache: its figures and invalidation by tag, for super admins (platform:admin).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requires } from '../../platform/http/permissions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import { CacheMetrics, InvalidateBody, Invalidated } from './schemas.ts';
import type { CacheService } from './service.ts';

const ADMIN = { access: requires('platform:admin') };
const tags = ['platform'];

export const cacheRoutes: FastifyPluginAsyncTypebox<{ cache: CacheService }> = async (app, { cache }) => {
  app.get(
    '/cache/metrics',
    {
      schema: {
        operationId: 'getCacheMetrics',
        tags,
        summary: "The answering process's cache: hit rate, size, load latency, per family",
        description:
          'Counts since the process started. The hit rate over time, every process together: GET /monitoring/series?metric=cache.hit_rate.percent&scope=platform. docs/cache.md.',
        response: { 200: CacheMetrics },
      },
      config: ADMIN,
    },
    async () => cache.metrics(),
  );

  app.post(
    '/cache/invalidate',
    {
      schema: {
        operationId: 'invalidateCache',
        tags,
        summary:
          'Drop the cached values of one tag of one organization (or of the platform), in every process',
        description:
          "Exactly one of `organizationId` and `platform: true`. A tag of one organization never reaches another organization's entries, whatever its name.",
        body: InvalidateBody,
        response: { 200: Invalidated },
      },
      config: ADMIN,
    },
    async (request) => cache.invalidate(callContext(request), request.body),
  );
};
