// The webhooks module as the processes compose it: endpoints and their delivery log (API), and the
// delivery job (worker). enqueueFor is the entry point for the event dispatcher: one delivery per
// subscribed, enabled endpoint of the event's organization.
import { defineModule } from '../../platform/module.ts';
import type { AuditService } from '../audit/service.ts';
import { webhookJobs } from './jobs.ts';
import { webhookRoutes } from './routes.ts';
import { WebhookService } from './service.ts';

export const webhooksModule = defineModule({
  name: 'webhooks',
  needs: ['audit'],
  build: (deps, { audit }: { audit: AuditService }) => ({
    webhooks: new WebhookService({ db: deps.db, box: deps.box, audit, config: deps.config }),
  }),
  routes: async (api, { services }) => {
    await api.register(webhookRoutes, { webhooks: services.webhooks });
  },
  jobs: ({ services }) => webhookJobs(services.webhooks),
  permissions: ['webhooks:manage'],
});
