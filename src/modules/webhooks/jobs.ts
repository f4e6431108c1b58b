// The webhooks module's job: one attempt of one delivery (queued by enqueueFor, retries and resend).
import type { JobDefinition } from '../../platform/jobs/worker.ts';
import type { WebhookService } from './service.ts';
import { DELIVER_TASK } from './store.ts';

export function webhookJobs(webhooks: WebhookService): JobDefinition[] {
  return [
    {
      name: DELIVER_TASK,
      handler: async (payload) => {
        const { orgId, deliveryId } = payload as { orgId: string; deliveryId: string };
        await webhooks.deliver(orgId, deliveryId);
      },
    },
  ];
}
