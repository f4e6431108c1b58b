// HTTP route of notification analytics: thin — parse, call the service, shape the answer.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requires } from '../../platform/http/permissions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import { AnalyticsQuery, NotificationAnalytics } from './notification-analytics-schemas.ts';
import type { NotificationAnalyticsService } from './notification-analytics-service.ts';

export const notificationAnalyticsRoutes: FastifyPluginAsyncTypebox<{
  analytics: NotificationAnalyticsService;
}> = async (app, { analytics }) => {
  app.get(
    '/notifications/analytics',
    {
      schema: {
        operationId: 'getNotificationAnalytics',
        tags: ['notifications'],
        summary: 'Delivery figures per day, channel and template; totals per channel; WhatsApp rates',
        description:
          "Over notifications created in [from, to) (the last 30 days by default, 366 at most), days counted in the organization's time zone: sent, delivered, read, failed, skipped, error rate (failed / (sent + failed)) and the latency from creation to the provider's acceptance (p50, p95, ms). WhatsApp: read rate (read / sent) and response rate (replied / sent).",
        querystring: AnalyticsQuery,
        response: { 200: NotificationAnalytics },
      },
      config: { access: requires('notifications:manage') },
    },
    async (request) => analytics.report(callContext(request), request.query),
  );
};
