// The backups module as the processes compose it: the API (runs, settings, restores), the jobs
// workers run (a backup, a restore, a verification, a drill) and the schedule loop (TickLoop
// `backups:schedule`, every 60 s, worker processes) that queues each due occurrence once across
// processes and records backup.age_seconds. See docs/backups.md.
import { TickLoop } from '../../platform/jobs/tick-loop.ts';
import { defineModule } from '../../platform/module.ts';
import type { AuditService } from '../audit/service.ts';
import type { MonitoringService } from '../monitoring/service.ts';
import { backupRoutes } from './routes.ts';
import { DRILL_JOB, RESTORE_JOB, RUN_JOB, VERIFY_JOB } from './runner.ts';
import { BackupServices } from './service.ts';

export const SCHEDULE_TICK = 'backups:schedule';
export const SCHEDULE_EVERY_MS = 60_000;

const payloadOf = (p: unknown) => (p ?? {}) as { runId?: string; restoreId?: string };

export const backupsModule = defineModule({
  name: 'backups',
  needs: ['audit', 'monitoring'],
  build: (deps, { audit, monitoring }: { audit: AuditService; monitoring: MonitoringService }) => {
    if (!deps.masterKey) throw new Error('backups: the platform gives no master key');
    return {
      backups: new BackupServices({
        db: deps.db,
        audit,
        monitoring,
        cache: deps.cache,
        config: deps.config,
        masterKey: deps.masterKey,
        ownerUrl: deps.ownerUrl ?? deps.config.databaseUrl ?? '',
        onError: deps.onBackgroundError,
      }),
    };
  },
  routes: async (api, { services }) => {
    await api.register(backupRoutes, { backups: services.backups });
  },
  jobs: ({ services }) => [
    {
      name: RUN_JOB,
      handler: async (payload, helpers) => {
        const { runId } = payloadOf(payload);
        if (!runId) return;
        const final = helpers.job.attempts >= helpers.job.max_attempts;
        try {
          await services.backups.runner.runBackup(runId, { attempt: helpers.job.attempts, final });
        } catch (err) {
          // Before the last attempt the job retries (graphile-worker's backoff); the last one has
          // recorded the failure and emitted backup.failed, so the job ends.
          if (!final) throw err;
          helpers.logger.error(`backup ${runId} failed on its last attempt: ${(err as Error).message}`);
        }
      },
    },
    {
      name: RESTORE_JOB,
      handler: async (payload, helpers) => {
        const { restoreId } = payloadOf(payload);
        if (!restoreId) return;
        await services.backups.runner.runRestore(restoreId).catch((err: Error) => {
          helpers.logger.error(`restore ${restoreId} failed: ${err.message}`);
        });
      },
    },
    {
      name: VERIFY_JOB,
      handler: async (payload) => {
        const { restoreId } = payloadOf(payload);
        if (!restoreId) return;
        await services.backups.runner.verifyRequested(restoreId);
      },
    },
    {
      name: DRILL_JOB,
      handler: async (payload) => {
        const { restoreId } = payloadOf(payload);
        if (restoreId) await services.backups.runner.drill(restoreId);
      },
    },
  ],
  background: ({ services, deps }) => {
    const log = deps.log.child({ component: 'backup-schedule' });
    const onError = (err: unknown) => log.error({ err }, 'a backup schedule tick failed');
    const loop = new TickLoop({
      pool: deps.pool,
      name: SCHEDULE_TICK,
      everyMs: SCHEDULE_EVERY_MS,
      run: async (tick) => {
        await services.backups.runner.scheduleTick(tick, SCHEDULE_EVERY_MS);
      },
      onError,
      log,
    });
    return [
      { name: 'backup-schedule', roles: ['worker'], start: () => loop.start(), stop: () => loop.stop() },
    ];
  },
  events: { emits: ['backup.completed', 'backup.failed', 'backup.restored', 'backup.verified'] },
  permissions: ['backups:manage', 'backups:restore'],
});
