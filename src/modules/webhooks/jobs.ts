// The webhooks module's job: one attempt of one delivery (queued by enqueueFor, retries and resend).
import type pg from 'pg';
import type { Config } from '../../config.ts';
import type { MasterKey } from '../../platform/crypto/master-key.ts';
import { SecretBox } from '../../platform/crypto/secret-box.ts';
import { Db } from '../../platform/db/transaction.ts';
import type { JobDefinition } from '../../platform/jobs/worker.ts';
import { AuditService } from '../audit/service.ts';
import { WebhookService } from './service.ts';
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

/** For a worker process, which has no app (until modules define themselves): the service it needs. */
export function standaloneWebhookJobs(pool: pg.Pool, masterKey: MasterKey, config: Config): JobDefinition[] {
  const db = new Db(pool);
  return webhookJobs(
    new WebhookService({ db, box: new SecretBox(masterKey), audit: new AuditService(db), config }),
  );
}
