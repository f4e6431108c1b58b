// SQL of the backups module: runs, schedules, the settings row and restores (platform tables,
// no row-level security; see migration 0024).
import type { Sql } from '../../platform/db/transaction.ts';
import { traceContext } from '../../platform/observability/telemetry.ts';

export interface RunRow {
  id: string;
  type: 'full' | 'incremental' | 'differential' | 'critical';
  trigger: 'manual' | 'schedule' | 'safety' | 'cli';
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  parent_id: string | null;
  base_full_id: string | null;
  target: string | null;
  copy_status: string | null;
  manifest: Record<string, unknown> | null;
  progress: Record<string, unknown> | null;
  error_code: string | null;
  error_message: string | null;
  attempt: number;
  requested_by: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  duration_ms: string | null;
  rows: string | null;
  plain_bytes: string | null;
  stored_bytes: string | null;
  verify_status: 'pending' | 'passed' | 'failed' | null;
  verify_detail: unknown;
  verified_at: Date | null;
  pinned: boolean;
}

const RUN_COLUMNS = `id, type, trigger, status, parent_id, base_full_id, target, copy_status, progress,
  error_code, error_message, attempt, requested_by, created_at, started_at, finished_at, duration_ms, rows,
  plain_bytes, stored_bytes, verify_status, verify_detail, verified_at, pinned`;

export async function insertRun(
  sql: Sql,
  r: { id: string; type: string; trigger: string; requestedBy: string | null; occurrence?: string | null },
): Promise<RunRow | null> {
  const { rows } = await sql.query<RunRow>(
    `INSERT INTO backup_runs (id, type, trigger, requested_by, occurrence) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (occurrence) DO NOTHING RETURNING ${RUN_COLUMNS}, NULL::jsonb AS manifest`,
    [r.id, r.type, r.trigger, r.requestedBy, r.occurrence ?? null],
  );
  return rows[0] ?? null;
}

export async function getRun(sql: Sql, id: string, withManifest = false): Promise<RunRow | null> {
  const { rows } = await sql.query<RunRow>(
    `SELECT ${RUN_COLUMNS}, ${withManifest ? 'manifest' : 'NULL::jsonb AS manifest'} FROM backup_runs WHERE id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

export async function listRuns(
  sql: Sql,
  q: { type?: string; status?: string; limit: number; after: { at: string; id: string } | null },
): Promise<RunRow[]> {
  const { rows } = await sql.query<RunRow>(
    `SELECT ${RUN_COLUMNS}, NULL::jsonb AS manifest FROM backup_runs
      WHERE ($1::text IS NULL OR type = $1) AND ($2::text IS NULL OR status = $2)
        AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
      ORDER BY created_at DESC, id DESC LIMIT $5`,
    [q.type ?? null, q.status ?? null, q.after?.at ?? null, q.after?.id ?? null, q.limit + 1],
  );
  return rows;
}

export async function runningAndQueued(sql: Sql): Promise<{ running: RunRow | null; queued: number }> {
  const { rows } = await sql.query<RunRow>(
    `SELECT ${RUN_COLUMNS}, NULL::jsonb AS manifest FROM backup_runs WHERE status IN ('queued', 'running')
      ORDER BY created_at`,
  );
  return {
    running: rows.find((r) => r.status === 'running') ?? null,
    queued: rows.filter((r) => r.status === 'queued').length,
  };
}

export async function lastByType(sql: Sql): Promise<RunRow[]> {
  const { rows } = await sql.query<RunRow>(
    `SELECT DISTINCT ON (type) ${RUN_COLUMNS}, NULL::jsonb AS manifest FROM backup_runs
      WHERE status IN ('succeeded', 'failed') ORDER BY type, created_at DESC, id DESC`,
  );
  return rows;
}

/** The newest succeeded backup of the given types (an incremental's or differential's parent). */
export async function lastSucceeded(sql: Sql, types: readonly string[]): Promise<RunRow | null> {
  const { rows } = await sql.query<RunRow>(
    `SELECT ${RUN_COLUMNS}, manifest FROM backup_runs WHERE status = 'succeeded' AND type = ANY($1)
      ORDER BY finished_at DESC, id DESC LIMIT 1`,
    [types],
  );
  return rows[0] ?? null;
}

export async function succeededRuns(sql: Sql): Promise<RunRow[]> {
  const { rows } = await sql.query<RunRow>(
    `SELECT ${RUN_COLUMNS}, NULL::jsonb AS manifest FROM backup_runs WHERE status = 'succeeded'
      ORDER BY created_at DESC, id DESC`,
  );
  return rows;
}

export async function manifestOf(sql: Sql, id: string): Promise<Record<string, unknown> | null> {
  const { rows } = await sql.query<{ manifest: Record<string, unknown> | null }>(
    'SELECT manifest FROM backup_runs WHERE id = $1',
    [id],
  );
  return rows[0]?.manifest ?? null;
}

/** Moves a queued (or retried) run to running; false when it is already finished. */
export async function startRun(sql: Sql, id: string, attempt: number): Promise<boolean> {
  const { rowCount } = await sql.query(
    `UPDATE backup_runs SET status = 'running', started_at = now(), heartbeat_at = now(), attempt = $2, error_code = NULL,
       error_message = NULL, progress = NULL WHERE id = $1 AND status IN ('queued', 'running', 'failed')`,
    [id, attempt],
  );
  return rowCount === 1;
}

export async function setProgress(sql: Sql, id: string, progress: unknown): Promise<void> {
  await sql.query(`UPDATE backup_runs SET progress = $2 WHERE id = $1 AND status = 'running'`, [
    id,
    progress,
  ]);
}

export async function finishRun(
  sql: Sql,
  id: string,
  r: {
    manifest: unknown;
    parentId: string | null;
    baseFullId: string | null;
    target: string;
    durationMs: number;
    rows: number;
    plainBytes: number;
    storedBytes: number;
    progress: unknown;
    /** A verification follows: the run reads as verification pending from the moment it succeeds. */
    verifyPending: boolean;
  },
): Promise<void> {
  await sql.query(
    `UPDATE backup_runs SET status = 'succeeded', finished_at = now(), manifest = $2, parent_id = $3,
       base_full_id = $4, target = $5, duration_ms = $6, rows = $7, plain_bytes = $8, stored_bytes = $9,
       progress = $10, verify_status = CASE WHEN $11 THEN 'pending' ELSE verify_status END WHERE id = $1`,
    [
      id,
      r.manifest,
      r.parentId,
      r.baseFullId,
      r.target,
      r.durationMs,
      r.rows,
      r.plainBytes,
      r.storedBytes,
      r.progress,
      r.verifyPending,
    ],
  );
}

export async function failRun(
  sql: Sql,
  id: string,
  e: { code: string; message: string; final: boolean },
): Promise<void> {
  // Between attempts the run stays 'running' (queued for the retry); the last attempt fails it.
  await sql.query(
    `UPDATE backup_runs SET status = CASE WHEN $4 THEN 'failed' ELSE 'queued' END, error_code = $2,
       error_message = $3, finished_at = CASE WHEN $4 THEN now() END,
       duration_ms = CASE WHEN $4 THEN (extract(epoch FROM now() - coalesce(started_at, created_at)) * 1000)::bigint END
     WHERE id = $1`,
    [id, e.code, e.message, e.final],
  );
}

export async function setCopyStatus(sql: Sql, id: string, status: string): Promise<void> {
  await sql.query('UPDATE backup_runs SET copy_status = $2 WHERE id = $1', [id, status]);
}

export async function setVerify(sql: Sql, id: string, status: string, detail: unknown): Promise<void> {
  await sql.query(
    `UPDATE backup_runs SET verify_status = $2, verify_detail = $3,
       verified_at = CASE WHEN $2 = 'pending' THEN verified_at ELSE now() END WHERE id = $1`,
    [id, status, detail === undefined ? null : JSON.stringify(detail)],
  );
}

export async function deleteRuns(sql: Sql, ids: readonly string[]): Promise<void> {
  await sql.query('DELETE FROM backup_runs WHERE id = ANY($1)', [ids]);
}

/** Finished runs since `since` (health, size trend). */
export async function finishedSince(sql: Sql, since: Date): Promise<RunRow[]> {
  const { rows } = await sql.query<RunRow>(
    `SELECT ${RUN_COLUMNS}, NULL::jsonb AS manifest FROM backup_runs
      WHERE status IN ('succeeded', 'failed') AND trigger <> 'safety' AND created_at >= $1
      ORDER BY created_at`,
    [since],
  );
  return rows;
}

/**
 * When the newest backup the whole database can be restored from finished: a critical backup (some
 * tables) does not count, or it would keep the age low while fulls and incrementals fail.
 */
export async function lastSuccessAt(sql: Sql): Promise<Date | null> {
  const { rows } = await sql.query<{ at: Date | null }>(
    `SELECT max(finished_at) AS at FROM backup_runs
      WHERE status = 'succeeded' AND type IN ('full', 'incremental', 'differential')`,
  );
  return rows[0]?.at ?? null;
}

// ---- schedules and settings -----------------------------------------------------------------

export interface ScheduleRow {
  type: 'full' | 'incremental' | 'differential' | 'critical';
  cron: string;
  time_zone: string;
  enabled: boolean;
  retries: number;
}

export async function schedules(sql: Sql): Promise<ScheduleRow[]> {
  const { rows } = await sql.query<ScheduleRow>(
    `SELECT type, cron, time_zone, enabled, retries FROM backup_schedules
      ORDER BY array_position(ARRAY['full', 'incremental', 'differential', 'critical'], type)`,
  );
  return rows;
}

export async function updateSchedule(sql: Sql, s: ScheduleRow): Promise<void> {
  await sql.query(
    `UPDATE backup_schedules SET cron = $2, time_zone = $3, enabled = $4, retries = $5, updated_at = now()
      WHERE type = $1`,
    [s.type, s.cron, s.time_zone, s.enabled, s.retries],
  );
}

export interface SettingsRow {
  keep_last: number;
  keep_daily: number;
  keep_weekly: number;
  keep_monthly: number;
  verify_after_backup: boolean;
  critical_tables: string[];
  org_restore: 'disabled' | 'dry_run' | 'enabled';
  drill_cron: string;
  drill_time_zone: string;
  drill_enabled: boolean;
}

export async function settings(sql: Sql): Promise<SettingsRow> {
  const { rows } = await sql.query<SettingsRow>(
    `SELECT keep_last, keep_daily, keep_weekly, keep_monthly, verify_after_backup, critical_tables,
            org_restore, drill_cron, drill_time_zone, drill_enabled FROM backup_settings`,
  );
  return rows[0] as SettingsRow;
}

export async function updateSettings(sql: Sql, s: SettingsRow): Promise<void> {
  await sql.query(
    `UPDATE backup_settings SET keep_last = $1, keep_daily = $2, keep_weekly = $3, keep_monthly = $4,
       verify_after_backup = $5, critical_tables = $6, org_restore = $7, drill_cron = $8,
       drill_time_zone = $9, drill_enabled = $10, updated_at = now()`,
    [
      s.keep_last,
      s.keep_daily,
      s.keep_weekly,
      s.keep_monthly,
      s.verify_after_backup,
      s.critical_tables,
      s.org_restore,
      s.drill_cron,
      s.drill_time_zone,
      s.drill_enabled,
    ],
  );
}

// ---- restores -------------------------------------------------------------------------------

export interface RestoreRow {
  id: string;
  kind: 'restore' | 'drill' | 'verify';
  backup_id: string;
  scope: unknown;
  org_id: string | null;
  dry_run: boolean;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  report: unknown;
  safety_backup_id: string | null;
  rto_ms: string | null;
  requested_by: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  error_code: string | null;
  error_message: string | null;
}

export async function insertRestore(
  sql: Sql,
  r: {
    id: string;
    kind: RestoreRow['kind'];
    backupId: string;
    scope: unknown;
    orgId: string | null;
    dryRun: boolean;
    requestedBy: string | null;
    status?: RestoreRow['status'];
    report?: unknown;
  },
): Promise<RestoreRow> {
  const { rows } = await sql.query<RestoreRow>(
    `INSERT INTO backup_restores (id, kind, backup_id, scope, organization_id, dry_run, requested_by, status, report,
       started_at, finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $8 <> 'queued' THEN now() END,
       CASE WHEN $8 IN ('succeeded', 'failed') THEN now() END)
     RETURNING *, organization_id AS org_id`,
    [
      r.id,
      r.kind,
      r.backupId,
      r.scope === null ? null : JSON.stringify(r.scope),
      r.orgId,
      r.dryRun,
      r.requestedBy,
      r.status ?? 'queued',
      r.report === undefined ? null : JSON.stringify(r.report),
    ],
  );
  return rows[0] as RestoreRow;
}

export async function getRestore(sql: Sql, id: string): Promise<RestoreRow | null> {
  const { rows } = await sql.query<RestoreRow>(
    'SELECT *, organization_id AS org_id FROM backup_restores WHERE id = $1',
    [id],
  );
  return rows[0] ?? null;
}

export async function listRestores(
  sql: Sql,
  q: { orgId: string | null; limit: number; after: { at: string; id: string } | null },
): Promise<RestoreRow[]> {
  const { rows } = await sql.query<RestoreRow>(
    `SELECT *, organization_id AS org_id FROM backup_restores WHERE ($1::uuid IS NULL OR organization_id = $1)
        AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
      ORDER BY created_at DESC, id DESC LIMIT $4`,
    [q.orgId, q.after?.at ?? null, q.after?.id ?? null, q.limit + 1],
  );
  return rows;
}

export async function activeRestore(sql: Sql): Promise<RestoreRow | null> {
  const { rows } = await sql.query<RestoreRow>(
    `SELECT *, organization_id AS org_id FROM backup_restores WHERE kind = 'restore' AND status IN ('queued', 'running') LIMIT 1`,
  );
  return rows[0] ?? null;
}

export async function startRestore(sql: Sql, id: string): Promise<void> {
  await sql.query(`UPDATE backup_restores SET status = 'running', started_at = now() WHERE id = $1`, [id]);
}

export async function finishRestore(
  sql: Sql,
  id: string,
  r: {
    status: 'succeeded' | 'failed';
    report?: unknown;
    safetyBackupId?: string | null;
    rtoMs?: number | null;
    error?: { code: string; message: string } | null;
  },
): Promise<void> {
  await sql.query(
    `UPDATE backup_restores SET status = $2, report = coalesce($3, report), safety_backup_id = coalesce($4, safety_backup_id),
       rto_ms = $5, error_code = $6, error_message = $7, finished_at = now() WHERE id = $1`,
    [
      id,
      r.status,
      r.report === undefined ? null : JSON.stringify(r.report),
      r.safetyBackupId ?? null,
      r.rtoMs ?? null,
      r.error?.code ?? null,
      r.error?.message ?? null,
    ],
  );
}

export async function setRestoreSafety(sql: Sql, id: string, safetyId: string): Promise<void> {
  await sql.query('UPDATE backup_restores SET safety_backup_id = $2 WHERE id = $1', [id, safetyId]);
}

export async function lastOfKind(sql: Sql, kind: RestoreRow['kind']): Promise<RestoreRow | null> {
  const { rows } = await sql.query<RestoreRow>(
    `SELECT *, organization_id AS org_id FROM backup_restores WHERE kind = $1 AND status IN ('succeeded', 'failed')
      ORDER BY finished_at DESC LIMIT 1`,
    [kind],
  );
  return rows[0] ?? null;
}

export async function organizationExists(sql: Sql, id: string): Promise<boolean> {
  const { rows } = await sql.query('SELECT 1 FROM organizations WHERE id = $1', [id]);
  return rows.length > 0;
}

/** Queues a graphile-worker job (a repeat with the same key while queued is a no-op). */
export async function addJob(
  sql: Sql,
  task: string,
  payload: unknown,
  o: { jobKey?: string; maxAttempts?: number } = {},
): Promise<void> {
  await sql.query(
    `SELECT graphile_worker.add_job($1, $2::json, job_key => $3, max_attempts => $4, job_key_mode => 'preserve_run_at')`,
    [
      task,
      JSON.stringify({ ...(payload as object), ...traceContext() }),
      o.jobKey ?? null,
      o.maxAttempts ?? 1,
    ],
  );
}
