// The webhooks module as the processes compose it: endpoints and their delivery log (API), and the
// delivery job (worker). enqueueFor is the entry point for the event dispatcher: one delivery per
// subscribed, enabled endpoint of the event's organization.
import { type DomainEvent, defineModule, type EventHandlerContext } from '../../platform/module.ts';
import type { AuditService } from '../audit/service.ts';
import { webhookJobs } from './jobs.ts';
import { webhookRoutes } from './routes.ts';
import { WEBHOOK_EVENT_TYPES } from './schemas.ts';
import { type EnabledEndpoint, WebhookService } from './service.ts';

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
  events: {
    // An endpoint disabled for failing for days: its admins hear of it (WebhookService.disableFailing).
    emits: ['webhook.endpoint_disabled'],
    // Every event type an endpoint can subscribe to becomes deliveries, in the event's transaction;
    // not webhook.endpoint_disabled (schemas.ts says why), so the engine never handles its own.
    // The endpoints are read once per handler run: `ctx.tx` is a handle of its own for each run,
    // which the dispatcher's fast path gives a whole batch of events.
    handles: ({ services }) => {
      const endpointsOfRun = new WeakMap<object, Promise<EnabledEndpoint[]>>();
      const handle = async (event: DomainEvent, ctx: EventHandlerContext) => {
        let endpoints = endpointsOfRun.get(ctx.tx);
        if (!endpoints) {
          endpoints = services.webhooks.enabledEndpoints(ctx.tx, event.orgId);
          endpointsOfRun.set(ctx.tx, endpoints);
        }
        await services.webhooks.enqueueFor(ctx.tx, event, await endpoints);
      };
      return Object.fromEntries(WEBHOOK_EVENT_TYPES.map((type) => [type, handle]));
    },
  },
  permissions: ['webhooks:manage'],
});
