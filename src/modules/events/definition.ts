// The events module as the processes compose it: what org admins see of the event mechanism
// (platform/events): the handler runs that failed for good, and a retry of each; and, in worker
// processes, the retention of old events (retention.ts).
import { defineModule } from '../../platform/module.ts';
import type { AuditService } from '../audit/service.ts';
import { EventRetention } from './retention.ts';
import { eventRoutes } from './routes.ts';
import { EventFailureService } from './service.ts';

export const eventsModule = defineModule({
  name: 'events',
  needs: ['audit'],
  build: (deps, { audit }: { audit: AuditService }) => ({
    eventFailures: new EventFailureService({ db: deps.db, audit }),
  }),
  routes: async (api, { services }) => {
    await api.register(eventRoutes, { failures: services.eventFailures });
  },
  background: ({ deps }) => {
    const retention = new EventRetention({
      pool: deps.pool,
      log: deps.log.child({ component: 'event-retention' }),
      retentionDays: deps.config.eventRetentionDays,
      onError: deps.onBackgroundError,
    });
    return [
      {
        // Workers dispatch the events; they also delete them once every handler is done with them.
        name: 'event-retention',
        roles: ['worker'],
        start: () => retention.start(),
        stop: () => retention.stop(),
      },
    ];
  },
  permissions: ['events:manage'],
});
