// The daily "due soon" scan: a job every few minutes (graphile-worker's crontab runs each tick
// once across workers) walks the active organizations; for each whose local day has reached its
// scan time (due-soon.ts: 08:00 in the organization's time zone, once per local date, DST-safe),
// it emits `task.due_soon` for every open, assigned task due on the next local date, and records
// the date in the same transaction, so a day is scanned once even if two ticks overlap. The
// events then go through the rules like any other (built-in: the assignee, in-app and e-mail).
import type pg from 'pg';
import { inTransaction } from '../../platform/db/transaction.ts';
import { emitEvents } from '../../platform/events/outbox.ts';
import { dueSoonScanDue, dueSoonWindow } from './due-soon.ts';
import * as store from './store.ts';

export const DUE_SOON_SCAN_TASK = 'notifications:due-soon-scan';
const KIND = 'due_soon';

export interface DueSoonScanResult {
  organizations: number;
  scanned: number;
  events: number;
  /** Organizations whose scan failed this time (they are scanned again at the next tick). */
  failed: { orgId: string; error: string }[];
}

export async function runDueSoonScan(pool: pg.Pool, now: Date = new Date()): Promise<DueSoonScanResult> {
  const orgs = await store.scanOrgs(pool);
  const result: DueSoonScanResult = { organizations: orgs.length, scanned: 0, events: 0, failed: [] };
  for (const org of orgs) {
    // One organization's failure (retried at the next tick) must not cost the others their scan.
    await inTransaction(pool, { orgId: org.id, userId: null }, async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext('bul:due-soon:' || $1))", [org.id]);
      let check: ReturnType<typeof dueSoonScanDue>;
      try {
        check = dueSoonScanDue(now, org.timezone, await store.lastScan(tx, KIND));
      } catch {
        check = dueSoonScanDue(now, 'UTC', await store.lastScan(tx, KIND)); // a zone BUL cannot read
      }
      if (!check.due) return;
      const window = dueSoonWindow(check.localDate);
      // Read-only use of work's tasks table, as the audience queries do (audience.ts).
      const { rows } = await tx.query<{
        id: string;
        project_id: string;
        due_date: string;
        assignee_id: string;
      }>(
        `SELECT id, project_id, to_char(due_date, 'YYYY-MM-DD') AS due_date, assignee_id FROM tasks
         WHERE due_date BETWEEN $1 AND $2 AND status IN ('pending', 'active') AND assignee_id IS NOT NULL
         ORDER BY id`,
        [window.from, window.to],
      );
      await emitEvents(
        tx,
        org.id,
        { type: 'system', id: null },
        rows.map((t) => ({
          type: 'task.due_soon' as const,
          payload: { id: t.id, projectId: t.project_id, dueDate: t.due_date, assigneeId: t.assignee_id },
        })),
      );
      await store.recordScan(tx, org.id, KIND, check.localDate);
      result.scanned++;
      result.events += rows.length;
    }).catch((err: unknown) => {
      result.failed.push({ orgId: org.id, error: err instanceof Error ? err.message : String(err) });
    });
  }
  return result;
}
