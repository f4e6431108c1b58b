// HTTP route of the health checks: thin — parse, call the service, shape the answer.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requires } from '../../platform/http/permissions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import { HealthQuery, HealthReport } from './health-schemas.ts';
import type { HealthService } from './health-service.ts';

export const healthRoutes: FastifyPluginAsyncTypebox<{ health: HealthService }> = async (app, { health }) => {
  app.get(
    '/system/health',
    {
      schema: {
        operationId: 'getSystemHealth',
        tags: ['system'],
        summary: 'Health checks: status, score, latency, last change, uptime and history',
        description:
          'The checks run every HEALTH_CHECK_SECONDS (database, Redis, job queue, disk, the TLS certificate of each https origin, each enabled notification channel); see docs/health.md for the thresholds and the score. A super admin sees every check with its detail and every organization’s channels; an organization sees the platform checks (without detail) and its own channels. `check` narrows the history to one check; `from`/`to`/`limit` bound it.',
        querystring: HealthQuery,
        response: { 200: HealthReport },
      },
      config: { access: requires('system:health') },
    },
    async (request) => health.report(callContext(request), request.query),
  );
};
