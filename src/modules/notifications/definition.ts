// The notifications module as the processes compose it: the API (sending, the delivery log, the
// inbox, channels, templates, rules, preferences; provider callbacks and unsubscribe outside
// /api/v1's JSON parsing), the event handler that turns every domain event into notifications by
// the organization's rules, the delivery runner of worker processes (runner.ts), and the daily
// due-soon scan. See docs/notifications.md.
import { EVENT_TYPES } from '../../platform/events/catalogue.ts';
import { defineModule } from '../../platform/module.ts';
import type { AuditService } from '../audit/service.ts';
import { notificationChannelRoutes } from './channel-routes.ts';
import { closeSmtpTransports } from './channels/smtp-email.ts';
import { DUE_SOON_SCAN_TASK, runDueSoonScan } from './due-soon-scan.ts';
import { notificationAnalyticsRoutes } from './notification-analytics-routes.ts';
import { notificationPreferenceRoutes } from './preference-routes.ts';
import { notificationPublicRoutes } from './public-routes.ts';
import { notificationRoutes } from './routes.ts';
import { notificationRuleRoutes } from './rule-routes.ts';
import { DeliveryRunner } from './runner.ts';
import { NotificationServices } from './service.ts';
import { notificationTemplateRoutes } from './template-routes.ts';

/** Events the notifier never handles: its own announcements of inbox items. */
const NOT_NOTIFIED = new Set(['notification.created']);

export const notificationsModule = defineModule({
  name: 'notifications',
  needs: ['audit'],
  build: (deps, { audit }: { audit: AuditService }) => ({
    notifications: new NotificationServices({ db: deps.db, box: deps.box, audit, config: deps.config }),
  }),
  routes: async (api, { services, deps }) => {
    await api.register(notificationRoutes, { notifications: services.notifications });
    await api.register(notificationPublicRoutes, {
      notifications: services.notifications,
      publicUrl: deps.config.publicUrl,
    });
    await api.register(notificationRuleRoutes, { rules: services.notifications.rules });
    await api.register(notificationPreferenceRoutes, { preferences: services.notifications.preferences });
    await api.register(notificationAnalyticsRoutes, { analytics: services.notifications.analytics });
    await api.register(notificationTemplateRoutes, { templates: services.notifications.templates });
    await api.register(notificationChannelRoutes, { channels: services.notifications.channels });
  },
  jobs: ({ deps }) => [
    {
      name: DUE_SOON_SCAN_TASK,
      // Every 10 minutes: each organization's scan runs at the first tick at or after 08:00 local.
      schedule: '*/10 * * * *',
      handler: async () => {
        const result = await runDueSoonScan(deps.pool);
        for (const f of result.failed)
          deps.log.error({ org: f.orgId, err: f.error }, 'the due-soon scan of an organization failed');
      },
    },
  ],
  background: ({ services, deps }) => {
    const runner = new DeliveryRunner({
      pool: deps.pool,
      log: deps.log.child({ component: 'notification-runner' }),
      concurrency: deps.config.notifyConcurrency,
      leaseSeconds: deps.config.notifyLeaseSeconds,
      deliver: (n) => services.notifications.delivery.deliver(n),
    });
    return [
      {
        name: 'notification-delivery',
        roles: ['worker'],
        start: () => runner.start(),
        stop: async () => {
          await runner.stop();
          closeSmtpTransports();
        },
      },
    ];
  },
  events: {
    emits: ['task.due_soon', 'notification.created'],
    handles: ({ services }) => {
      const handle = async (
        event: Parameters<typeof services.notifications.notifier.handle>[1],
        ctx: { tx: Parameters<typeof services.notifications.notifier.handle>[0] },
      ) => {
        await services.notifications.notifier.handle(ctx.tx, event);
      };
      return Object.fromEntries(EVENT_TYPES.filter((t) => !NOT_NOTIFIED.has(t)).map((t) => [t, handle]));
    },
  },
  permissions: ['notifications:manage', 'notifications:send'],
});
