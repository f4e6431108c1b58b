// Rows of backup_runs and backup_restores as the API answers them.
import type { BackupRestoreJson, BackupRunJson } from './schemas.ts';
import type { RestoreRow, RunRow } from './store.ts';

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));
const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function progressOf(p: Record<string, unknown> | null): BackupRunJson['progress'] {
  if (!p) return null;
  const n = (k: string) => (typeof p[k] === 'number' ? (p[k] as number) : 0);
  const tablesTotal = n('tablesTotal');
  const phase = (typeof p.phase === 'string' ? p.phase : 'snapshot') as NonNullable<
    BackupRunJson['progress']
  >['phase'];
  const percent =
    phase === 'done'
      ? 100
      : typeof p.percent === 'number'
        ? p.percent
        : tablesTotal > 0
          ? Math.min(99, Math.round((n('tablesDone') / tablesTotal) * 1000) / 10)
          : 0;
  return {
    phase,
    tablesDone: n('tablesDone'),
    tablesTotal,
    rows: n('rows'),
    plainBytes: n('plainBytes'),
    storedBytes: n('storedBytes'),
    etaSeconds: typeof p.etaSeconds === 'number' ? p.etaSeconds : null,
    percent,
  };
}

export function runJson(r: RunRow): BackupRunJson {
  return {
    id: r.id,
    type: r.type,
    trigger: r.trigger,
    status: r.status,
    parentId: r.parent_id,
    createdAt: r.created_at.toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    durationMs: num(r.duration_ms),
    rows: num(r.rows),
    plainBytes: num(r.plain_bytes),
    storedBytes: num(r.stored_bytes),
    progress: progressOf(r.progress),
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
    verify: r.verify_status
      ? {
          status: r.verify_status,
          at: iso(r.verified_at),
          detail: (r.verify_detail ?? null) as Record<string, unknown> | null,
        }
      : null,
    copy: r.copy_status ? { status: r.copy_status } : null,
    requestedBy: r.requested_by,
    attempt: r.attempt,
    pinned: r.pinned,
  };
}

export function restoreJson(r: RestoreRow): BackupRestoreJson {
  return {
    id: r.id,
    kind: r.kind,
    backupId: r.backup_id,
    scope: (r.scope ?? null) as BackupRestoreJson['scope'],
    organizationId: r.org_id,
    dryRun: r.dry_run,
    status: r.status,
    report: (r.report ?? null) as Record<string, unknown> | null,
    safetyBackupId: r.safety_backup_id,
    rtoSeconds: r.rto_ms === null ? null : Number(r.rto_ms) / 1000,
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
    requestedBy: r.requested_by,
    createdAt: r.created_at.toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
  };
}

/**
 * A run as an organization admin sees it: when and what kind, never the platform's inside (row
 * counts of every organization's tables, verification details, targets' errors, who asked).
 */
export function runForOrganizationAdmin<T extends BackupRunJson & { tables?: unknown[] }>(r: T): T {
  return {
    ...r,
    rows: null,
    plainBytes: null,
    error: r.error ? { code: r.error.code, message: r.error.code } : null,
    verify: r.verify ? { ...r.verify, detail: null } : null,
    copy: null,
    requestedBy: null,
    ...(r.tables ? { tables: [] } : {}),
  };
}
