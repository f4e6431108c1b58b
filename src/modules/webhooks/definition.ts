// The webhooks module as the processes compose it: endpoints and their delivery log (API), and the
// delivery job (worker). enqueueFor is the entry point for the event dispatcher: one delivery per
// subscribed, enabled endpoint of the event's organization.
import { type DomainEvent, defineModule, type EventHandlerContext } from '../../platform/module.ts';
import type { AuditService } from '../audit/service.ts';
import { webhookJobs } from './jobs.ts';
import { webhookRoutes } from './routes.ts';
import { WEBHOOK_EVENT_TYPES } from './schemas.ts';
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
  jobs: ({ services, deps }) =>
    webhookJobs(services.webhooks, { concurrency: deps.config.webhookConcurrency }),
  events: {
    // An endpoint disabled for failing for days: its admins hear of it (WebhookService.disableFailing).
    emits: ['webhook.endpoint_disabled'],
    // Every event type an endpoint can subscribe to becomes deliveries, in the event's transaction;
    // not webhook.endpoint_disabled (schemas.ts says why), so the engine never handles its own.
    handles: ({ services }) => {
      const handle = async (event: DomainEvent, ctx: EventHandlerContext) => {
        await services.webhooks.enqueueFor(ctx.tx, event);
      };
      return Object.fromEntries(WEBHOOK_EVENT_TYPES.map((type) => [type, handle]));
    },
    // A batch of events (the dispatcher's fast path): the endpoints read once, and every delivery
    // and its job written in one statement, instead of a round trip per event.
    handlesBatch:
      ({ services }) =>
      async (events, ctx) => {
        await services.webhooks.enqueueForEvents(ctx.tx, events);
      },
  },
  permissions: ['webhooks:manage'],
});
