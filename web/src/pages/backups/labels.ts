// The backups screens' resources (read off the generated API contract), their names in the UI's
// language, colours of their states, and sizes and durations as people read them.
import type { TFunction } from 'i18next';
import type { Ok } from '../../api/types.ts';
import type { Format } from '../../format/format.ts';
import { formatBytes } from '../admin/formatBytes.ts';

export type BackupRun = Ok<'/api/v1/backup/list'>['items'][number];
export type BackupRunDetail = Ok<'/api/v1/backup/runs/{id}'>;
export type BackupType = BackupRun['type'];
export type RunStatus = BackupRun['status'];
export type BackupRestore = Ok<'/api/v1/backup/restores/{id}'>;
export type Dashboard = Ok<'/api/v1/backup/dashboard'>;
export type BackupConfigs = Ok<'/api/v1/backup/configs'>;
export type OrgRestorePolicy = BackupConfigs['orgRestore'];
/** A restore's report: tables added / changed / removed (a dry run answers it, a restore keeps it). */
export type RestoreReport = Ok<'/api/v1/backup/recover', 'post'>;
export type TableChange = RestoreReport['tables'][number];

const TYPES: Record<BackupType, true> = { full: true, incremental: true, differential: true, critical: true };
export const BACKUP_TYPES = Object.keys(TYPES) as BackupType[];
const STATUSES: Record<RunStatus, true> = { queued: true, running: true, succeeded: true, failed: true };
export const RUN_STATUSES = Object.keys(STATUSES) as RunStatus[];
export const ORG_RESTORE_POLICIES: OrgRestorePolicy[] = ['disabled', 'dry_run', 'enabled'];

export const STATUS_COLORS: Record<string, string> = {
  queued: 'gray',
  running: 'blue',
  succeeded: 'green',
  failed: 'red',
  pending: 'gray',
  passed: 'green',
  ok: 'green',
  warning: 'yellow',
  critical: 'red',
  unknown: 'gray',
};

/** Whether a run or a restore is still to finish (its screen asks again every second). */
export const isActive = (status: string) => status === 'queued' || status === 'running';

/** A backup type's name ("Full", "Incremental"…). */
export const typeName = (t: TFunction, type: string) =>
  t(`backups.type.${type}` as 'backups.type.full', { defaultValue: type });

/** A byte count, or a dash when there is none yet. */
export const bytes = (f: Format, n: number | null | undefined) =>
  n === null || n === undefined ? '—' : formatBytes(n, f.locale);

/** A duration as people read it: "850 ms", "12.5 s", "4 min 5 s", "2 h 3 min", "3 d 4 h". */
export function duration(f: Format, ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const unit = (value: number, u: string, digits = 0) =>
    new Intl.NumberFormat(f.locale, {
      style: 'unit',
      unit: u,
      unitDisplay: 'short',
      maximumFractionDigits: digits,
    }).format(value);
  if (ms < 1000) return unit(ms, 'millisecond');
  const s = ms / 1000;
  if (s < 60) return unit(s, 'second', s < 10 ? 1 : 0);
  const pair = (a: number, ua: string, b: number, ub: string) =>
    b > 0 ? `${unit(a, ua)} ${unit(b, ub)}` : unit(a, ua);
  if (s < 3600) return pair(Math.floor(s / 60), 'minute', Math.floor(s % 60), 'second');
  if (s < 86_400) return pair(Math.floor(s / 3600), 'hour', Math.floor((s % 3600) / 60), 'minute');
  return pair(Math.floor(s / 86_400), 'day', Math.floor((s % 86_400) / 3600), 'hour');
}
