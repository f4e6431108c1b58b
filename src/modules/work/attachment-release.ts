// Deleting a task or a project deletes its attachments by cascade: inside that transaction, give
// their bytes back to the plan's storage and collect their ids, whose files go after the commit.
import type { Sql } from '../../platform/db/transaction.ts';
import type { TenancyService } from '../tenancy/service.ts';
import { attachmentsUnder } from './task-store.ts';

export async function releaseAttachments(
  tx: Sql,
  tenancy: TenancyService,
  orgId: string,
  scope: { taskId: string } | { projectId: string },
): Promise<string[]> {
  const files = await attachmentsUnder(tx, scope);
  await tenancy.organizations.releaseStorage(
    tx,
    orgId,
    files.reduce((n, f) => n + f.size_bytes, 0),
  );
  return files.map((f) => f.id);
}
