// Background jobs on graphile-worker: the queue lives in PostgreSQL, workers wake on
// LISTEN/NOTIFY, retries back off exponentially, and cron schedules are kept in the database so
// that whichever worker is up runs each tick exactly once. Modules contribute tasks and schedules.
import { EventEmitter } from 'node:events';
import {
  Logger,
  makeWorkerUtils,
  type Runner,
  run,
  runMigrations,
  type Task,
  type WorkerEvents,
  type WorkerUtils,
} from 'graphile-worker';
import type pg from 'pg';
import type { Logger as Pino } from 'pino';
import { RUNTIME_GROUP_ROLE } from '../db/database.ts';
import { errorReportsActive, inSpan, reportError, tracingActive } from '../observability/telemetry.ts';
import { WorkerLiveness } from './liveness.ts';

export interface JobDefinition {
  name: string;
  handler: Task;
  /** Crontab schedule ("minute hour dom month dow"), or none for jobs queued on demand. */
  schedule?: string;
  /**
   * Runs in a pool of its own, this many at once, instead of the worker's shared pool
   * (WORKER_CONCURRENCY): for jobs that mostly wait on other servers (a webhook's HTTP call, up
   * to its timeout), so that slow receivers neither hold up the other jobs nor wait behind them.
   */
  ownPool?: { concurrency: number };
}

function pinoLogger(log: Pino): Logger {
  return new Logger((scope) => (level, message, meta) => {
    const fn =
      level === 'error'
        ? log.error
        : level === 'warning'
          ? log.warn
          : level === 'info'
            ? log.info
            : log.debug;
    fn.call(log, { ...scope, ...meta }, message);
  });
}

/** Installs or upgrades graphile-worker's schema (as the owner) and lets the runtime role use it. */
export async function migrateJobQueue(ownerUrl: string, owner: pg.ClientBase): Promise<void> {
  await runMigrations({ connectionString: ownerUrl, logger: new Logger(() => () => {}) });
  await owner.query(`GRANT USAGE ON SCHEMA graphile_worker TO ${RUNTIME_GROUP_ROLE};
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA graphile_worker TO ${RUNTIME_GROUP_ROLE};
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA graphile_worker TO ${RUNTIME_GROUP_ROLE};
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA graphile_worker TO ${RUNTIME_GROUP_ROLE};`);
  // graphile-worker turns row-level security on for its private tables (so that API layers expose
  // nothing); the job queue is not tenant data, so the runtime role gets a permissive policy there.
  await owner.query(`DO $$
    DECLARE t record;
    BEGIN
      FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'graphile_worker' AND c.relkind = 'r' AND c.relrowsecurity
                 AND NOT EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = 'graphile_worker'
                                 AND p.tablename = c.relname AND p.policyname = 'bul_runtime_access') LOOP
        EXECUTE format('CREATE POLICY bul_runtime_access ON graphile_worker.%I TO ${RUNTIME_GROUP_ROLE} USING (true) WITH CHECK (true)', t.relname);
      END LOOP;
    END $$`);
}

/**
 * A task in a span of its own (`job <name>`), the child of the trace that queued it when its
 * payload carries a `traceparent` (observability/telemetry.ts traceContext()); its failure on
 * the last attempt goes to the error reports. Unchanged when neither tracing nor reports are on.
 */
export function observedTask(name: string, handler: Task): Task {
  if (!tracingActive() && !errorReportsActive()) return handler;
  return (payload, helpers) => {
    const { job } = helpers;
    const tp = (payload as { traceparent?: unknown } | null)?.traceparent;
    return inSpan(
      `job ${name}`,
      { 'bul.job.name': name, 'bul.job.id': String(job.id), 'bul.job.attempt': job.attempts },
      async () => {
        try {
          return await handler(payload, helpers);
        } catch (err) {
          if (job.attempts >= job.max_attempts)
            reportError(err, {
              source: 'job',
              tags: { job: name, jobId: String(job.id), attempt: job.attempts },
            });
          throw err;
        }
      },
      typeof tp === 'string' ? tp : undefined,
    );
  };
}

export interface JobRunner {
  stop(): Promise<void>;
}

export async function startWorker(opts: {
  pool: pg.Pool;
  jobs: JobDefinition[];
  concurrency: number;
  log: Pino;
  /**
   * How often this process renews its workers' heartbeat; 3 beats missed = dead (liveness.ts).
   * JOB_WORKER_HEARTBEAT_SECONDS's default (10 s) when not given.
   */
  heartbeatMs?: number;
}): Promise<JobRunner> {
  // The ids graphile-worker gives this process's workers (and their pools), for the heartbeat.
  const ids = new Set<string>();
  const events: WorkerEvents = new EventEmitter();
  events.on('pool:create', ({ workerPool }) => ids.add(workerPool.id));
  events.on('worker:create', ({ worker }) => ids.add(worker.workerId));
  // One graphile-worker runner per pool: the shared one, and one per job with a pool of its own.
  // A runner fetches only the jobs of the tasks it was given.
  const shared = opts.jobs.filter((j) => !j.ownPool);
  const pools = [
    ...(shared.length > 0 || opts.jobs.length === 0 ? [{ jobs: shared, concurrency: opts.concurrency }] : []),
    ...opts.jobs.filter((j) => j.ownPool).map((j) => ({ jobs: [j], concurrency: j.ownPool!.concurrency })),
  ];
  const runners: Runner[] = [];
  const stopRunners = () => Promise.all(runners.map((r) => r.stop().catch(() => {})));
  try {
    for (const p of pools)
      runners.push(
        await run({
          events,
          pgPool: opts.pool,
          concurrency: p.concurrency,
          noHandleSignals: true, // BUL's own shutdown drains jobs
          taskList: Object.fromEntries(p.jobs.map((j) => [j.name, observedTask(j.name, j.handler)])),
          crontab: p.jobs
            .filter((j) => j.schedule)
            .map((j) => `${j.schedule} ${j.name}`)
            .join('\n'),
          logger: pinoLogger(opts.log),
        }),
      );
  } catch (err) {
    await stopRunners();
    throw err;
  }
  const utils = await makeWorkerUtils({ pgPool: opts.pool });
  const liveness = new WorkerLiveness({
    pool: opts.pool,
    utils,
    ids: () => [...ids],
    everyMs: opts.heartbeatMs ?? 10_000,
    deadAfterMs: 3 * (opts.heartbeatMs ?? 10_000),
    log: opts.log,
  });
  try {
    await liveness.start();
  } catch (err) {
    await stopRunners();
    await utils.release();
    throw err;
  }
  return {
    async stop() {
      try {
        await Promise.all(runners.map((r) => r.stop()));
        await liveness.stop();
      } finally {
        await utils.release();
      }
    },
  };
}

/** For API processes: queue jobs without running them. */
export function jobQueue(pool: pg.Pool): Promise<WorkerUtils> {
  return makeWorkerUtils({ pgPool: pool });
}
