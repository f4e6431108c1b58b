// Readings that are the same whichever process takes them, so one process takes them per tick
// (TickLoop `monitoring:cluster`): connections to the database, the job queue's depth and oldest
// wait, and per organization its usage and the share of its plan's quotas. Usage moves slowly and
// is per organization: it is read every QUOTA_EVERY_SECONDS, not every tick.
import type pg from 'pg';
import { USAGE_PERIOD_SECONDS } from './metric-catalogue.ts';
import type { Reading, ReadingRunner } from './readings.ts';
import type { MonitoringService, SampleInput } from './service.ts';
import * as store from './store.ts';

export const QUOTA_EVERY_SECONDS = USAGE_PERIOD_SECONDS;

/** The first day (UTC) of the month, as the usage meter keys its request counter. */
const monthPeriod = (at: Date) => `${at.toISOString().slice(0, 7)}-01`;

export function clusterReadings(pool: pg.Pool, tick: () => Date): Reading[] {
  return [
    {
      name: 'database connections',
      async read() {
        const { rows } = await pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()',
        );
        return [{ orgId: null, metric: 'db.connections', value: rows[0]?.n ?? 0 }];
      },
    },
    {
      name: 'job queue',
      async read() {
        const { rows } = await pool.query<{ depth: number; oldest: number }>(
          `SELECT count(*)::int AS depth,
                  coalesce(extract(epoch FROM now() - min(run_at)), 0)::float8 AS oldest
           FROM graphile_worker._private_jobs WHERE is_available AND run_at <= now()`,
        );
        return [
          { orgId: null, metric: 'jobs.queue.depth', value: rows[0]?.depth ?? 0 },
          { orgId: null, metric: 'jobs.queue.oldest_age_seconds', value: Math.max(0, rows[0]?.oldest ?? 0) },
        ];
      },
    },
    {
      name: 'quota usage',
      async read() {
        const at = tick();
        if (at.getTime() % (QUOTA_EVERY_SECONDS * 1000) !== 0) return [];
        return (await store.quotaUsage(pool, monthPeriod(at))).flatMap(quotaSamples);
      },
    },
  ];
}

/** An organization's usage, and its share of each plan limit it has (none: unlimited). */
export function quotaSamples(u: store.QuotaUsageRow): SampleInput[] {
  const orgId = u.org_id;
  const out: SampleInput[] = [
    { orgId, metric: 'usage.users', value: u.users },
    { orgId, metric: 'usage.storage_bytes', value: u.storage_bytes },
    { orgId, metric: 'usage.api_requests_month', value: u.api_requests },
  ];
  const share = (used: number, limit: number | null) => (limit ? (100 * used) / limit : null);
  const users = share(u.users, u.max_users);
  const storage = share(u.storage_bytes, u.max_storage_bytes);
  const requests = share(u.api_requests, u.max_api_requests);
  if (users !== null) out.push({ orgId, metric: 'quota.users.percent', value: users });
  if (storage !== null) out.push({ orgId, metric: 'quota.storage.percent', value: storage });
  if (requests !== null) out.push({ orgId, metric: 'quota.api_requests.percent', value: requests });
  return out;
}

/** One tick's cluster readings, stamped with the start of the interval that ends at `tick`. */
export async function sampleCluster(
  monitoring: MonitoringService,
  runner: ReadingRunner,
  readings: readonly Reading[],
  tick: Date,
): Promise<{ written: number; failed: string[] }> {
  const at = new Date(monitoring.intervalOf(tick).getTime() - monitoring.sampleIntervalSeconds * 1000);
  const { samples, failed } = await runner.collect(readings, at);
  await monitoring.record(samples);
  return { written: samples.length, failed };
}
