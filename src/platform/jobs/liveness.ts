// Frees the jobs of graphile-worker workers whose process died without stopping (kill -9, an OOM
// kill, a lost machine). graphile-worker leaves such jobs locked until their lock is 4 hours old
// (its resetLockedAt); BUL does not wait that long. Each worker process records its graphile
// worker ids in bul_job_workers (migration 0026) and renews their heartbeat every `everyMs`; at each
// beat it also looks for workers that stopped beating — a heartbeat older than `deadAfterMs`, or a
// job locked longer than that by a worker id nobody registered (a process killed between taking
// its first job and its first beat) — and calls graphile-worker's forceUnlockWorkers for them: their
// jobs run again on a live worker (a new attempt, the job's own retry rules) within
// deadAfterMs + everyMs of the death. Graceful stops remove their rows (their jobs are released by
// graphile-worker itself).
//
// Backups agree: a backup or restore run beats on its own row (modules/backups HEARTBEAT_MS) and
// its sweep fails runs silent for STALE_AFTER_MS (3 min); `deadAfterMs` is kept below that (the
// setting's maximum), so a dead worker's backup job is taken up again, and its run beats again,
// before the backup sweep would call it interrupted.

import type { WorkerUtils } from 'graphile-worker';
import type pg from 'pg';
import { PROCESS_NAME } from './tick-loop.ts';

export interface WorkerLivenessOptions {
  pool: pg.Pool;
  utils: Pick<WorkerUtils, 'forceUnlockWorkers'>;
  /** The graphile worker ids (and the pool's id) of this process, as they are now. */
  ids(): string[];
  everyMs: number;
  deadAfterMs: number;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export class WorkerLiveness {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly opts: WorkerLivenessOptions;

  constructor(opts: WorkerLivenessOptions) {
    if (!(opts.deadAfterMs > opts.everyMs))
      throw new Error(
        `job worker liveness: dead after ${opts.deadAfterMs} ms must exceed the beat (${opts.everyMs} ms)`,
      );
    this.opts = opts;
  }

  /** Beats once now, then every `everyMs`. */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.tick()
        .catch((err) => this.opts.log.error({ err }, 'job worker heartbeat failed'))
        .finally(() => {
          this.running = null;
        });
    }, this.opts.everyMs);
    this.timer.unref();
  }

  /** Stops beating and removes this process's rows (call after the runner stopped). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    const ids = this.opts.ids();
    if (ids.length)
      await this.opts.pool.query('DELETE FROM bul_job_workers WHERE worker_id = ANY($1)', [ids]);
  }

  async tick(): Promise<void> {
    await this.beat();
    await this.sweep();
  }

  /** Records (or renews) this process's worker ids. */
  async beat(): Promise<void> {
    const ids = this.opts.ids();
    if (!ids.length) return;
    await this.opts.pool.query(
      `INSERT INTO bul_job_workers (worker_id, process) SELECT unnest($1::text[]), $2
       ON CONFLICT (worker_id) DO UPDATE SET heartbeat_at = now()`,
      [ids, PROCESS_NAME],
    );
  }

  /** Frees the jobs of dead workers; returns their ids. */
  async sweep(): Promise<string[]> {
    const { pool, deadAfterMs } = this.opts;
    const { rows } = await pool.query<{ id: string }>(
      `SELECT worker_id AS id FROM bul_job_workers
        WHERE heartbeat_at < now() - make_interval(secs => $1::double precision / 1000)
       UNION
       SELECT j.locked_by FROM graphile_worker._private_jobs j
        WHERE j.locked_by IS NOT NULL
          AND j.locked_at < now() - make_interval(secs => $1::double precision / 1000)
          AND NOT EXISTS (SELECT 1 FROM bul_job_workers w WHERE w.worker_id = j.locked_by)
       UNION
       SELECT q.locked_by FROM graphile_worker._private_job_queues q
        WHERE q.locked_by IS NOT NULL
          AND q.locked_at < now() - make_interval(secs => $1::double precision / 1000)
          AND NOT EXISTS (SELECT 1 FROM bul_job_workers w WHERE w.worker_id = q.locked_by)`,
      [deadAfterMs],
    );
    const mine = new Set(this.opts.ids());
    const dead = rows.map((r) => r.id).filter((id) => !mine.has(id));
    if (!dead.length) return [];
    await this.opts.utils.forceUnlockWorkers(dead);
    await pool.query('DELETE FROM bul_job_workers WHERE worker_id = ANY($1)', [dead]);
    this.opts.log.warn(
      { workerIds: dead, deadAfterMs },
      'freed the jobs of job workers that stopped beating (their process died)',
    );
    return dead;
  }
}
