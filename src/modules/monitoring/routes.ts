// HTTP routes of the metrics history: thin — parse, call the queries, shape the answer.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../../platform/db/transaction.ts';
import { requires } from '../../platform/http/permissions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import { MonitoringQueries } from './query-service.ts';
import { Capacity, CapacityQuery, MetricCatalogue, Series, SeriesQuery } from './schemas.ts';
import type { MonitoringService } from './service.ts';

const READ = { access: requires('monitoring:read') };
const tags = ['monitoring'];

export const monitoringRoutes: FastifyPluginAsyncTypebox<{ monitoring: MonitoringService; db: Db }> = async (
  app,
  { monitoring, db },
) => {
  const queries = new MonitoringQueries({ monitoring, db });

  app.get(
    '/monitoring/series',
    {
      schema: {
        operationId: 'getMonitoringSeries',
        tags,
        summary: 'One metric over time, one value per step',
        description:
          "The organization's series by default; `scope=platform` (super admins) the installation's. Values of several processes at one sample time are combined by the metric's `combine`; within a step, counts add up and other metrics average; derived rates are the ratio of the step's sums. Steps without samples are absent. docs/monitoring.md.",
        querystring: SeriesQuery,
        response: { 200: Series },
      },
      config: READ,
    },
    async (request) => queries.series(callContext(request), request.query),
  );

  app.get(
    '/monitoring/metrics',
    {
      schema: {
        operationId: 'listMonitoringMetrics',
        tags,
        summary: 'The metrics kept in the history: scope, unit, meaning, how sources combine',
        response: { 200: MetricCatalogue },
      },
      config: READ,
    },
    async () => queries.catalogue(),
  );

  app.get(
    '/monitoring/capacity',
    {
      schema: {
        operationId: 'getMonitoringCapacity',
        tags,
        summary:
          'Capacity planning: trend of users, storage and requests, and when each plan limit is reached',
        description:
          "A straight line fitted by least squares through the last `days` days (hourly values; requests: daily counts × 30.44, a month's worth), and the date it reaches the plan limit. `scope=platform` (super admins): the free space of the data volume (reaching 0) and all requests. docs/monitoring.md gives the formula.",
        querystring: CapacityQuery,
        response: { 200: Capacity },
      },
      config: READ,
    },
    async (request) => queries.capacity(callContext(request), request.query),
  );
};
