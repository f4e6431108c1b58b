// The backups API's schemas (validation, types and OpenAPI): runs with their progress, schedules,
// retention and restore policy, restores (dry runs, applied restores, verifications and drills).
import { type Static, Type } from 'typebox';
import { Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';

export const BACKUP_TYPES = ['full', 'incremental', 'differential', 'critical'] as const;
export type BackupTypeName = (typeof BACKUP_TYPES)[number];
export const RUN_TRIGGERS = ['manual', 'schedule', 'safety', 'cli'] as const;
export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export const VERIFY_STATUSES = ['pending', 'passed', 'failed'] as const;
export const ORG_RESTORE_POLICIES = ['disabled', 'dry_run', 'enabled'] as const;
export type OrgRestorePolicy = (typeof ORG_RESTORE_POLICIES)[number];
export const RESTORE_KINDS = ['restore', 'drill', 'verify'] as const;
export const RESTORE_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;

const BackupType = StringEnum(BACKUP_TYPES, {
  description:
    'full: every table; incremental: what changed since the last successful backup of any kind; differential: what changed since the last full; critical: only the critical tables (settings).',
});

const Count = Type.Integer({ minimum: 0 });

export const Progress = Type.Object({
  phase: StringEnum(['snapshot', 'tables', 'files', 'manifest', 'copy', 'verify', 'done'] as const),
  tablesDone: Count,
  tablesTotal: Count,
  rows: Count,
  plainBytes: Count,
  storedBytes: Count,
  etaSeconds: Nullable(Type.Number({ minimum: 0 })),
  percent: Type.Number({ minimum: 0, maximum: 100 }),
});

export const BackupRun = Type.Object({
  id: Uuid(),
  type: BackupType,
  trigger: StringEnum(RUN_TRIGGERS),
  status: StringEnum(RUN_STATUSES),
  parentId: Nullable(Uuid('The backup an incremental or differential builds on.')),
  createdAt: Timestamp(),
  startedAt: Nullable(Timestamp()),
  finishedAt: Nullable(Timestamp()),
  durationMs: Nullable(Count),
  rows: Nullable(Count),
  plainBytes: Nullable(Count),
  storedBytes: Nullable(Count),
  progress: Nullable(Progress),
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  verify: Nullable(
    Type.Object({
      status: StringEnum(VERIFY_STATUSES),
      at: Nullable(Timestamp()),
      detail: Nullable(
        Type.Record(Type.String(), Type.Unknown(), {
          description: 'What was checked: the parts read, the scratch restore, the problem found.',
        }),
      ),
    }),
  ),
  copy: Nullable(Type.Object({ status: Type.String() })),
  requestedBy: Nullable(Uuid('The user who asked for it (null: the schedule, the CLI).')),
  attempt: Type.Integer({ minimum: 1 }),
  pinned: Type.Boolean({ description: 'Kept by retention whatever its age.' }),
});
export type BackupRunJson = Static<typeof BackupRun>;

export const BackupRunDetail = Type.Intersect([
  BackupRun,
  Type.Object({
    tables: Type.Array(Type.Object({ name: Type.String(), rows: Count, storedBytes: Count }), {
      description: 'The tables of a succeeded backup (empty otherwise).',
    }),
  }),
]);

export const BackupStatus = Type.Object({
  running: Nullable(BackupRun),
  queued: Count,
  lastByType: Type.Object({
    full: Nullable(BackupRun),
    incremental: Nullable(BackupRun),
    differential: Nullable(BackupRun),
    critical: Nullable(BackupRun),
  }),
});

export const BackupSchedule = Type.Object({
  type: BackupType,
  cron: Type.String({ minLength: 1, maxLength: 100, examples: ['0 2 * * 0'] }),
  timeZone: Type.String({ minLength: 1, maxLength: 64, examples: ['Europe/Madrid'] }),
  enabled: Type.Boolean(),
  retries: Type.Integer({ minimum: 0, maximum: 10 }),
  nextRunAt: Nullable(Timestamp('The next occurrence (null when disabled).')),
});
export type BackupScheduleJson = Static<typeof BackupSchedule>;

const TargetInfo = Type.Object({
  role: StringEnum(['primary', 'copy'] as const),
  kind: StringEnum(['directory', 's3'] as const),
  description: Type.String(),
});

export const Retention = Type.Object(
  {
    keepLast: Type.Integer({ minimum: 1, maximum: 1000, description: 'The newest N backups are kept.' }),
    daily: Type.Integer({
      minimum: 0,
      maximum: 1000,
      description: 'The newest backup of each of the last N days.',
    }),
    weekly: Type.Integer({
      minimum: 0,
      maximum: 1000,
      description: 'The newest of each of the last N weeks.',
    }),
    monthly: Type.Integer({
      minimum: 0,
      maximum: 1000,
      description: 'The newest of each of the last N months.',
    }),
  },
  { additionalProperties: false },
);
export type RetentionJson = Static<typeof Retention>;

const Drill = Type.Object(
  {
    cron: Type.String({ minLength: 1, maxLength: 100 }),
    timeZone: Type.String({ minLength: 1, maxLength: 64 }),
    enabled: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const BackupConfigs = Type.Object({
  schedules: Type.Array(BackupSchedule),
  retention: Retention,
  verifyAfterBackup: Type.Boolean(),
  criticalTables: Type.Array(Type.String()),
  orgRestore: StringEnum(ORG_RESTORE_POLICIES, {
    description:
      'What organization admins may do: disabled (nothing), dry_run (dry runs only), enabled (restore their organization).',
  }),
  drill: Type.Intersect([Drill, Type.Object({ nextRunAt: Nullable(Timestamp()) })]),
  targets: Type.Array(TargetInfo),
});
export type BackupConfigsJson = Static<typeof BackupConfigs>;

const ScheduleInput = Type.Object(
  {
    type: BackupType,
    cron: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Five fields: minute hour day month weekday.',
      }),
    ),
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'An IANA time zone.' })),
    enabled: Type.Optional(Type.Boolean()),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
  },
  { additionalProperties: false },
);

export const UpdateConfigsBody = Type.Object(
  {
    schedules: Type.Optional(Type.Array(ScheduleInput, { maxItems: 4 })),
    retention: Type.Optional(Type.Partial(Retention, { additionalProperties: false })),
    verifyAfterBackup: Type.Optional(Type.Boolean()),
    criticalTables: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 63 }), { maxItems: 200, uniqueItems: true }),
    ),
    orgRestore: Type.Optional(StringEnum(ORG_RESTORE_POLICIES)),
    drill: Type.Optional(Type.Partial(Drill, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type UpdateConfigsInput = Static<typeof UpdateConfigsBody>;

export const RunBody = Type.Object({ type: BackupType }, { additionalProperties: false });

export const VerifyBody = Type.Object({ backup_id: Uuid() }, { additionalProperties: false });
export const VerifyAccepted = Type.Object({ restoreId: Uuid() });

export const RecoverBody = Type.Object(
  {
    backup_id: Uuid('The backup to restore (an incremental or differential brings its chain).'),
    scope: Type.Optional(
      StringEnum(['all', 'organization'] as const, {
        description:
          'all (default; super admins): every table, or the `tables` given; organization: one organization’s rows.',
      }),
    ),
    tables: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 63 }), {
        minItems: 1,
        maxItems: 200,
        uniqueItems: true,
        description: 'Only these tables (scope all).',
      }),
    ),
    organization_id: Type.Optional(Uuid('Scope organization: which one (org admins: their own).')),
    dry_run: Type.Boolean({ description: 'true: report what would change and change nothing.' }),
  },
  { additionalProperties: false },
);
export type RecoverInput = Static<typeof RecoverBody>;

const TableChange = Type.Object({
  table: Type.String(),
  added: Count,
  changed: Count,
  removed: Count,
  unchanged: Count,
});

const RestoreScope = Type.Union([
  Type.Object({ kind: Type.Literal('all') }),
  Type.Object({ kind: Type.Literal('tables'), tables: Type.Array(Type.String()) }),
  Type.Object({ kind: Type.Literal('organization'), orgId: Uuid() }),
]);

export const RestoreReport = Type.Object({
  backupId: Uuid(),
  chain: Type.Array(Uuid(), { description: 'The backups applied, the full first.' }),
  scope: RestoreScope,
  dryRun: Type.Boolean(),
  tables: Type.Array(TableChange),
  files: Type.Object({ written: Count, bytes: Count }),
  durationMs: Count,
});

export const DryRunResult = Type.Intersect([RestoreReport, Type.Object({ restoreId: Uuid() })]);
export const RecoverAccepted = Type.Object({ id: Uuid('The restore (GET /backup/restores/{id}).') });

export const BackupRestore = Type.Object({
  id: Uuid(),
  kind: StringEnum(RESTORE_KINDS),
  backupId: Uuid(),
  scope: Nullable(RestoreScope),
  organizationId: Nullable(Uuid()),
  dryRun: Type.Boolean(),
  status: StringEnum(RESTORE_STATUSES),
  report: Nullable(
    Type.Record(Type.String(), Type.Unknown(), {
      description: 'The restore report (tables added/changed/removed), or the verification or drill report.',
    }),
  ),
  safetyBackupId: Nullable(Uuid('The full backup taken just before an applied restore.')),
  rtoSeconds: Nullable(
    Type.Number({ minimum: 0, description: 'Drills and verifications: how long the restore took.' }),
  ),
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  requestedBy: Nullable(Uuid()),
  createdAt: Timestamp(),
  startedAt: Nullable(Timestamp()),
  finishedAt: Nullable(Timestamp()),
});
export type BackupRestoreJson = Static<typeof BackupRestore>;

export const Health = Type.Object({
  ageSeconds: Nullable(Count),
  lastSuccessAt: Nullable(Timestamp()),
  successRate30d: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
  lastVerify: Nullable(Type.Object({ at: Timestamp(), status: Type.String() })),
  lastDrill: Nullable(
    Type.Object({
      at: Timestamp(),
      rtoSeconds: Nullable(Type.Number({ minimum: 0 })),
      status: Type.String(),
    }),
  ),
  status: StringEnum(['ok', 'warning', 'critical', 'unknown'] as const, {
    description:
      'ok: a successful backup within 26 hours and the last one did not fail; warning: the last run failed or a verification failed; critical: none for 26 hours; unknown: none yet.',
  }),
});

export const Dashboard = Type.Object({
  health: Health,
  sizeTrend: Type.Array(
    Type.Object({ at: Timestamp(), type: BackupType, storedBytes: Count, durationMs: Count }),
  ),
  schedules: Type.Array(BackupSchedule),
  targets: Type.Array(TargetInfo),
});

export const RunListQuery = Type.Object(
  {
    type: Type.Optional(BackupType),
    status: Type.Optional(StringEnum(RUN_STATUSES)),
    ...PageQuery,
  },
  { additionalProperties: false },
);
export type RunListInput = Static<typeof RunListQuery>;

export const RestoreListQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });
