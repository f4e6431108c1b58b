// SQL of the monitoring module: writing samples (through bul_monitoring_write, any organization),
// reading them per step (under row-level security: the organization's rows, or the platform's in
// the platform context), roll-ups, retention and the quota usage the sampler reads.
import type { Sql } from '../../platform/db/transaction.ts';
import type { Combine } from './metric-catalogue.ts';

export interface SampleRow {
  orgId: string;
  metric: string;
  labels: string;
  at: Date;
  source: string;
  value: number;
  combine: Combine;
}

export async function writeSamples(sql: Sql, rows: readonly SampleRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sql.query('SELECT bul_monitoring_write($1, $2, $3, $4, $5, $6, $7)', [
    rows.map((r) => r.orgId),
    rows.map((r) => r.metric),
    rows.map((r) => r.labels),
    rows.map((r) => r.at),
    rows.map((r) => r.source),
    rows.map((r) => r.value),
    rows.map((r) => r.combine),
  ]);
}

/**
 * The newest sample time (an interval's start) since `since` of a source whose name starts with
 * `prefix`, or null: read from process.memory.rss_bytes, which every process's sampler writes each
 * interval (the primary key's order: one short index range).
 */
export async function lastSampleOf(
  sql: Sql,
  orgId: string,
  prefix: string,
  since: Date,
): Promise<Date | null> {
  const { rows } = await sql.query<{ at: Date | null }>(
    `SELECT max(at) AS at FROM monitoring_samples
      WHERE org_id = $1 AND metric = 'process.memory.rss_bytes' AND labels = '' AND at >= $3
        AND starts_with(source, $2)`,
    [orgId, prefix, since],
  );
  return rows[0]?.at ?? null;
}

export interface BucketRow {
  metric: string;
  bucket: Date;
  count: number;
  sum: number;
  min: number;
  max: number;
}

/**
 * Per metric and step (buckets aligned to the epoch), count/sum/min/max over the sample times in
 * [from, to), each sample time's sources combined first. Reads the hourly roll-ups up to their
 * mark (when the step is whole hours), the minute roll-ups from there up to theirs (whole minutes),
 * and the raw samples after: each sample time is counted once.
 */
export async function readBuckets(
  sql: Sql,
  q: {
    orgId: string;
    metrics: string[];
    labels: string;
    from: Date;
    to: Date;
    stepSeconds: number;
    sumMetrics: string[];
    maxMetrics: string[];
  },
): Promise<BucketRow[]> {
  const useMinute = q.stepSeconds % 60 === 0;
  const useHour = q.stepSeconds % 3600 === 0;
  const { rows } = await sql.query<BucketRow>(
    `WITH marks AS (
       SELECT CASE WHEN $8 THEN coalesce(max(rolled_until) FILTER (WHERE bucket_seconds = 3600), '-infinity')
                   ELSE '-infinity'::timestamptz END AS h,
              CASE WHEN $7 THEN coalesce(max(rolled_until) FILTER (WHERE bucket_seconds = 60), '-infinity')
                   ELSE '-infinity'::timestamptz END AS m
       FROM monitoring_rollup_marks),
     parts AS (
       SELECT r.metric, r.at, r.count, r.sum, r.min, r.max FROM monitoring_rollups r, marks
        WHERE r.org_id = $1 AND r.metric = ANY ($2) AND r.labels = $3 AND r.bucket_seconds = 3600
          AND r.at >= $4 AND r.at < least($5, marks.h)
       UNION ALL
       SELECT r.metric, r.at, r.count, r.sum, r.min, r.max FROM monitoring_rollups r, marks
        WHERE r.org_id = $1 AND r.metric = ANY ($2) AND r.labels = $3 AND r.bucket_seconds = 60
          AND r.at >= greatest($4, marks.h) AND r.at < least($5, marks.m)
       UNION ALL
       SELECT metric, at, 1, v, v, v FROM (
         SELECT s.metric, s.at,
           CASE WHEN s.metric = ANY ($9) THEN sum(s.value) WHEN s.metric = ANY ($10) THEN max(s.value)
                ELSE avg(s.value) END AS v
         FROM monitoring_samples s, marks
         WHERE s.org_id = $1 AND s.metric = ANY ($2) AND s.labels = $3
           AND s.at >= greatest($4, marks.h, marks.m) AND s.at < $5
         GROUP BY s.metric, s.at) raw)
     SELECT metric, to_timestamp(floor(extract(epoch FROM at) / $6) * $6) AS bucket,
            sum(count)::int AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max
     FROM parts GROUP BY metric, 2 ORDER BY 2, metric`,
    [
      q.orgId,
      q.metrics,
      q.labels,
      q.from,
      q.to,
      q.stepSeconds,
      useMinute,
      useHour,
      q.sumMetrics,
      q.maxMetrics,
    ],
  );
  return rows;
}

export async function rollup(
  sql: Sql,
  until: Date,
  sumMetrics: string[],
  maxMetrics: string[],
): Promise<{ minutes: number; hours: number }> {
  const { rows } = await sql.query<{ minutes: number; hours: number }>(
    'SELECT * FROM bul_monitoring_rollup($1, $2, $3)',
    [until, sumMetrics, maxMetrics],
  );
  return rows[0] ?? { minutes: 0, hours: 0 };
}

export async function prune(
  sql: Sql,
  before: { raw: Date; minute: Date; hour: Date },
): Promise<{ raw: number; minute: number; hour: number }> {
  const { rows } = await sql.query<{ raw: string; minute: string; hour: string }>(
    'SELECT * FROM bul_monitoring_prune($1, $2, $3)',
    [before.raw, before.minute, before.hour],
  );
  const r = rows[0];
  return { raw: Number(r?.raw ?? 0), minute: Number(r?.minute ?? 0), hour: Number(r?.hour ?? 0) };
}

export interface QuotaUsageRow {
  org_id: string;
  users: number;
  max_users: number | null;
  storage_bytes: number;
  max_storage_bytes: number | null;
  api_requests: number;
  max_api_requests: number | null;
}

/** Per active organization: what its quotas count and the plan's limits (numbers, not strings). */
export async function quotaUsage(sql: Sql, period: string): Promise<QuotaUsageRow[]> {
  const { rows } = await sql.query<Record<keyof QuotaUsageRow, string | number | null>>(
    'SELECT * FROM bul_monitoring_quota_usage($1)',
    [period],
  );
  const num = (v: string | number | null) => (v === null ? null : Number(v));
  return rows.map((r) => ({
    org_id: String(r.org_id),
    users: Number(r.users),
    max_users: num(r.max_users),
    storage_bytes: Number(r.storage_bytes),
    max_storage_bytes: num(r.max_storage_bytes),
    api_requests: Number(r.api_requests),
    max_api_requests: num(r.max_api_requests),
  }));
}

export interface PlanLimits {
  max_users: number | null;
  max_storage_bytes: number | null;
  max_api_requests_per_month: number | null;
}

/** The plan limits of the organization of the transaction's context. */
export async function planLimits(sql: Sql, orgId: string): Promise<PlanLimits | null> {
  const { rows } = await sql.query<Record<keyof PlanLimits, string | number | null>>(
    `SELECT p.max_users, p.max_storage_bytes, p.max_api_requests_per_month
     FROM organizations o JOIN plans p ON p.id = o.plan_id WHERE o.id = $1`,
    [orgId],
  );
  const r = rows[0];
  if (!r) return null;
  const num = (v: string | number | null) => (v === null ? null : Number(v));
  return {
    max_users: num(r.max_users),
    max_storage_bytes: num(r.max_storage_bytes),
    max_api_requests_per_month: num(r.max_api_requests_per_month),
  };
}
