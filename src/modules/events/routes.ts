// HTTP routes of domain events: the failed handler runs (dead letters) and their retry.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams } from '../../platform/http/common-schemas.ts';
import { Page } from '../../platform/http/pagination.ts';
import { requires } from '../../platform/http/permissions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import { EventFailure, EventFailureQuery } from './schemas.ts';
import type { EventFailureService } from './service.ts';

export const eventRoutes: FastifyPluginAsyncTypebox<{ failures: EventFailureService }> = async (
  app,
  { failures },
) => {
  app.get(
    '/events/failures',
    {
      schema: {
        operationId: 'listEventFailures',
        tags: ['events'],
        summary: 'List the event handler runs that failed after their retries, newest first',
        description:
          'A handler that keeps throwing on an event is retried with backoff, then parked here; the handler goes on with later events. See docs/events.md.',
        querystring: EventFailureQuery,
        response: { 200: Page(EventFailure) },
      },
      config: { access: requires('events:manage') },
    },
    async (request) => failures.list(callContext(request), request.query),
  );

  app.post(
    '/events/failures/:id/retry',
    {
      schema: {
        operationId: 'retryEventFailure',
        tags: ['events'],
        summary: 'Run a failed event handler once more (asynchronously, by a worker)',
        params: IdParams,
        response: { 202: EventFailure },
      },
      config: { access: requires('events:manage') },
    },
    async (request, reply) =>
      reply.code(202).send(await failures.retry(callContext(request), request.params.id)),
  );
};
