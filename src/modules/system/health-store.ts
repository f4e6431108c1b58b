// SQL of the health checks (migration 0018): the latest result per check, the history, and the
// counts per hour that uptime is read from.
import type { Sql } from '../../platform/db/transaction.ts';
import type { CheckKind, HealthStatus } from './health-checks.ts';

export interface ResultInput {
  orgId: string;
  key: string;
  kind: CheckKind;
  name: string;
  status: HealthStatus;
  latencyMs: number;
  detail: string;
}

export interface CheckRow {
  org_id: string;
  check_key: string;
  kind: CheckKind;
  name: string;
  status: HealthStatus;
  latency_ms: number;
  detail: string;
  checked_at: Date;
  status_since: Date;
}

export interface ResultRow {
  org_id: string;
  check_key: string;
  status: HealthStatus;
  latency_ms: number;
  detail: string;
  checked_at: Date;
}

const UNNEST = `unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[])
  AS x(org_id, check_key, kind, name, status, latency_ms, detail)`;

/** Writes one round's results: the latest state, the history row and the hour's counts. */
export async function writeResults(sql: Sql, at: Date, results: readonly ResultInput[]): Promise<void> {
  if (results.length === 0) return;
  const params = [
    at,
    results.map((r) => r.orgId),
    results.map((r) => r.key),
    results.map((r) => r.kind),
    results.map((r) => r.name.slice(0, 200)),
    results.map((r) => r.status),
    results.map((r) => Math.max(0, Math.round(r.latencyMs))),
    results.map((r) => r.detail.slice(0, 500)),
  ];
  // A round older than what is stored (a clock set back) does not overwrite the latest state.
  await sql.query(
    `WITH latest AS (
       INSERT INTO health_checks AS h (org_id, check_key, kind, name, status, latency_ms, detail, checked_at, status_since)
       SELECT org_id, check_key, kind, name, status, latency_ms, detail, $1, $1 FROM ${UNNEST}
       ON CONFLICT (org_id, check_key) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name,
         status = EXCLUDED.status, latency_ms = EXCLUDED.latency_ms, detail = EXCLUDED.detail,
         checked_at = EXCLUDED.checked_at,
         status_since = CASE WHEN h.status = EXCLUDED.status THEN h.status_since ELSE EXCLUDED.checked_at END
       WHERE h.checked_at <= EXCLUDED.checked_at
     ), history AS (
       INSERT INTO health_check_results (org_id, check_key, checked_at, status, latency_ms, detail)
       SELECT org_id, check_key, $1, status, latency_ms, detail FROM ${UNNEST}
       ON CONFLICT DO NOTHING
       RETURNING org_id, check_key, status
     )
     INSERT INTO health_check_hours AS c (org_id, check_key, hour, ok, degraded, down)
     SELECT org_id, check_key, date_trunc('hour', $1::timestamptz, 'UTC'),
            (status = 'ok')::int, (status = 'degraded')::int, (status = 'down')::int
     FROM history
     ON CONFLICT (org_id, check_key, hour) DO UPDATE SET ok = c.ok + EXCLUDED.ok,
       degraded = c.degraded + EXCLUDED.degraded, down = c.down + EXCLUDED.down`,
    params,
  );
}

/**
 * Deletes history and hourly counts older than `before`, and checks not run since `staleBefore`
 * (a deleted or disabled channel, Redis no longer configured). Platform context: every organization.
 */
export async function prune(sql: Sql, before: Date, staleBefore: Date): Promise<void> {
  await sql.query(
    `WITH a AS (DELETE FROM health_check_results WHERE checked_at < $1),
          b AS (DELETE FROM health_check_hours WHERE hour < date_trunc('hour', $1::timestamptz, 'UTC'))
     DELETE FROM health_checks WHERE checked_at < $2`,
    [before, staleBefore],
  );
}

/** The latest state of the checks of these organizations (the nil one: the platform's). */
export async function checksOf(sql: Sql, orgIds: readonly string[] | null): Promise<CheckRow[]> {
  const { rows } = await sql.query<CheckRow>(
    `SELECT * FROM health_checks WHERE ($1::uuid[] IS NULL OR org_id = ANY ($1))
     ORDER BY org_id, (kind = 'notification_channel'), check_key`,
    [orgIds],
  );
  return rows;
}

export interface UptimeRow {
  org_id: string;
  check_key: string;
  up_24h: number;
  all_24h: number;
  up_7d: number;
  all_7d: number;
  up_30d: number;
  all_30d: number;
}

/** Results up (ok or degraded) and in all, per check, over the last 24 h, 7 d and 30 d (whole hours). */
export async function uptimeOf(sql: Sql, orgIds: readonly string[] | null, now: Date): Promise<UptimeRow[]> {
  const { rows } = await sql.query<UptimeRow>(
    `WITH h AS (
       SELECT org_id, check_key, hour, ok + degraded AS up, ok + degraded + down AS n
       FROM health_check_hours
       WHERE ($1::uuid[] IS NULL OR org_id = ANY ($1))
         AND hour > date_trunc('hour', $2::timestamptz, 'UTC') - interval '30 days'
         AND hour <= $2
     )
     SELECT org_id, check_key,
       coalesce(sum(up) FILTER (WHERE hour > date_trunc('hour', $2::timestamptz, 'UTC') - interval '24 hours'), 0)::int AS up_24h,
       coalesce(sum(n) FILTER (WHERE hour > date_trunc('hour', $2::timestamptz, 'UTC') - interval '24 hours'), 0)::int AS all_24h,
       coalesce(sum(up) FILTER (WHERE hour > date_trunc('hour', $2::timestamptz, 'UTC') - interval '7 days'), 0)::int AS up_7d,
       coalesce(sum(n) FILTER (WHERE hour > date_trunc('hour', $2::timestamptz, 'UTC') - interval '7 days'), 0)::int AS all_7d,
       sum(up)::int AS up_30d, sum(n)::int AS all_30d
     FROM h GROUP BY org_id, check_key`,
    [orgIds, now],
  );
  return rows;
}

/** Results newest first: of one check (org and key) or of every check of these organizations. */
export async function historyOf(
  sql: Sql,
  q: {
    orgIds: readonly string[] | null;
    key: string | null;
    from: Date | null;
    to: Date | null;
    limit: number;
  },
): Promise<ResultRow[]> {
  const { rows } = await sql.query<ResultRow>(
    `SELECT org_id, check_key, status, latency_ms, detail, checked_at FROM health_check_results
     WHERE ($1::uuid[] IS NULL OR org_id = ANY ($1)) AND ($2::text IS NULL OR check_key = $2)
       AND ($3::timestamptz IS NULL OR checked_at >= $3) AND ($4::timestamptz IS NULL OR checked_at < $4)
     ORDER BY checked_at DESC, org_id, check_key LIMIT $5`,
    [q.orgIds, q.key, q.from, q.to, q.limit],
  );
  return rows;
}
