// The backup settings: schedules (cron + time zone per type), retention, verification after each
// backup, the critical tables, the organization restore policy and the drill. Refusals name the
// field: a cron that does not parse, an unknown time zone, a critical table that is not backed up.
import { EXCLUDED_TABLES } from '../../platform/backup/catalog.ts';
import { PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { AppError, type FieldError, fieldError } from '../../platform/errors.ts';
import type { CallContext } from '../../platform/http/request-context.ts';
import { type AuditService, actorOf } from '../audit/service.ts';
import type { BackupEnvironment } from './engine.ts';
import { BACKUPS } from './messages.ts';
import { cronProblem, isTimeZone, nextOccurrence } from './schedule.ts';
import type {
  BackupConfigsJson,
  BackupScheduleJson,
  OrgRestorePolicy,
  UpdateConfigsInput,
} from './schemas.ts';
import * as store from './store.ts';

/** Tables that exist in `public` and are backed up (not excluded, not the migrations' table). */
export async function backedUpTables(sql: Sql): Promise<string[]> {
  const { rows } = await sql.query<{ name: string }>(
    "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
  );
  const excluded = new Set([...EXCLUDED_TABLES, 'bul_schema_migrations']);
  return rows.map((r) => r.name).filter((n) => !excluded.has(n) && !n.startsWith('backup_'));
}

export function scheduleJson(s: store.ScheduleRow, now: Date): BackupScheduleJson {
  return {
    type: s.type,
    cron: s.cron,
    timeZone: s.time_zone,
    enabled: s.enabled,
    retries: s.retries,
    nextRunAt: s.enabled ? (nextOccurrence(s.cron, s.time_zone, now)?.toISOString() ?? null) : null,
  };
}

export function targetsOf(env: BackupEnvironment): BackupConfigsJson['targets'] {
  return [
    { role: 'primary', kind: env.primary.kind, description: env.primary.description },
    ...(env.copy ? [{ role: 'copy' as const, kind: env.copy.kind, description: env.copy.description }] : []),
  ];
}

export class ConfigService {
  private readonly d: { db: Db; audit: AuditService; env: () => BackupEnvironment; clock: () => Date };
  constructor(d: ConfigService['d']) {
    this.d = d;
  }

  async get(): Promise<BackupConfigsJson> {
    return this.d.db.transaction({ orgId: null, userId: null }, (tx) => this.read(tx));
  }

  async orgRestorePolicy(): Promise<OrgRestorePolicy> {
    const s = await store.settings(this.d.db.pool);
    return s.org_restore;
  }

  private async read(tx: Sql): Promise<BackupConfigsJson> {
    const now = this.d.clock();
    const [schedules, s] = await Promise.all([store.schedules(tx), store.settings(tx)]);
    return {
      schedules: schedules.map((x) => scheduleJson(x, now)),
      retention: {
        keepLast: s.keep_last,
        daily: s.keep_daily,
        weekly: s.keep_weekly,
        monthly: s.keep_monthly,
      },
      verifyAfterBackup: s.verify_after_backup,
      criticalTables: s.critical_tables,
      orgRestore: s.org_restore,
      drill: {
        cron: s.drill_cron,
        timeZone: s.drill_time_zone,
        enabled: s.drill_enabled,
        nextRunAt: s.drill_enabled
          ? (nextOccurrence(s.drill_cron, s.drill_time_zone, now)?.toISOString() ?? null)
          : null,
      },
      targets: targetsOf(this.d.env()),
    };
  }

  async update(ctx: CallContext, body: UpdateConfigsInput): Promise<BackupConfigsJson> {
    const errors: FieldError[] = [];
    const checkCron = (field: string, cron: string | undefined) => {
      if (cron === undefined) return;
      const problem = cronProblem(cron);
      if (problem) errors.push(fieldError(field, 'cron', BACKUPS.badCron({ reason: problem })));
    };
    const checkTz = (field: string, tz: string | undefined) => {
      if (tz !== undefined && !isTimeZone(tz))
        errors.push(fieldError(field, 'timeZone', BACKUPS.badTimeZone({ tz })));
    };
    const seen = new Set<string>();
    (body.schedules ?? []).forEach((s, i) => {
      if (seen.has(s.type))
        errors.push(
          fieldError(`schedules[${i}].type`, 'unique', BACKUPS.duplicateSchedule({ type: s.type })),
        );
      seen.add(s.type);
      checkCron(`schedules[${i}].cron`, s.cron);
      checkTz(`schedules[${i}].timeZone`, s.timeZone);
    });
    checkCron('drill.cron', body.drill?.cron);
    checkTz('drill.timeZone', body.drill?.timeZone);

    return this.d.db.transaction({ orgId: PLATFORM_ORG_ID, userId: ctx.principal.userId }, async (tx) => {
      if (body.criticalTables) {
        const known = new Set(await backedUpTables(tx));
        body.criticalTables.forEach((t, i) => {
          if (!known.has(t))
            errors.push(fieldError(`criticalTables[${i}]`, 'table', BACKUPS.unknownTable({ table: t })));
        });
      }
      if (errors.length > 0)
        throw new AppError('validation-failed', errors[0]?.msg ?? errors[0]?.message, { errors });
      const before = await this.read(tx);
      for (const s of body.schedules ?? []) {
        const cur = (await store.schedules(tx)).find((x) => x.type === s.type) as store.ScheduleRow;
        await store.updateSchedule(tx, {
          type: s.type,
          cron: s.cron ?? cur.cron,
          time_zone: s.timeZone ?? cur.time_zone,
          enabled: s.enabled ?? cur.enabled,
          retries: s.retries ?? cur.retries,
        });
      }
      const cur = await store.settings(tx);
      await store.updateSettings(tx, {
        keep_last: body.retention?.keepLast ?? cur.keep_last,
        keep_daily: body.retention?.daily ?? cur.keep_daily,
        keep_weekly: body.retention?.weekly ?? cur.keep_weekly,
        keep_monthly: body.retention?.monthly ?? cur.keep_monthly,
        verify_after_backup: body.verifyAfterBackup ?? cur.verify_after_backup,
        critical_tables: body.criticalTables ?? cur.critical_tables,
        org_restore: body.orgRestore ?? cur.org_restore,
        drill_cron: body.drill?.cron ?? cur.drill_cron,
        drill_time_zone: body.drill?.timeZone ?? cur.drill_time_zone,
        drill_enabled: body.drill?.enabled ?? cur.drill_enabled,
      });
      const after = await this.read(tx);
      await this.d.audit.record(tx, {
        orgId: PLATFORM_ORG_ID,
        actor: actorOf(ctx),
        action: 'backup.configure',
        resourceType: 'backup_settings',
        changes: diff(before, after),
        meta: ctx.meta,
      });
      return after;
    });
  }
}

function diff(before: BackupConfigsJson, after: BackupConfigsJson) {
  const out: Record<string, { before: unknown; after: unknown }> = {};
  for (const k of [
    'schedules',
    'retention',
    'verifyAfterBackup',
    'criticalTables',
    'orgRestore',
    'drill',
  ] as const) {
    if (JSON.stringify(before[k]) !== JSON.stringify(after[k]))
      out[k] = { before: before[k], after: after[k] };
  }
  return out;
}
