// The events module as the processes compose it: what org admins see of the event mechanism
// (platform/events): the handler runs that failed for good, and a retry of each.
import { defineModule } from '../../platform/module.ts';
import type { AuditService } from '../audit/service.ts';
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
  permissions: ['events:manage'],
});
