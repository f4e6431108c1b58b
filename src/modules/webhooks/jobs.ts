// The webhooks module's job: one attempt of one delivery (queued by enqueueFor, retries and resend).
import type { JobDefinition } from '../../platform/jobs/worker.ts';
import type { WebhookService } from './service.ts';
import { DELIVER_TASK } from './store.ts';

/**
 * `concurrency`: deliveries sent at once in a pool of their own (WEBHOOK_CONCURRENCY); without
 * it, they run in the worker's shared pool.
 */
export function webhookJobs(webhooks: WebhookService, o: { concurrency?: number } = {}): JobDefinition[] {
  return [
    {
      name: DELIVER_TASK,
      handler: async (payload) => {
        const { orgId, deliveryId } = payload as { orgId: string; deliveryId: string };
        await webhooks.deliver(orgId, deliveryId);
      },
      ...(o.concurrency ? { ownPool: { concurrency: o.concurrency } } : {}),
    },
  ];
}
