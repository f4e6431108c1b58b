// Retention of domain events: worker processes delete, in batches, the events every handler has
// passed and no handler run still needs, once they are older than EVENT_RETENTION_DAYS; their
// done marks go with them. The rule is in migration 0014 (bul_events_prune), which is safe to run
// from several processes at once; an advisory lock makes one process do the work at a time.
import type pg from 'pg';
import type { Logger } from 'pino';

/** Advisory lock key space of event retention (dispatch is 1651272002). */
const LOCK_SPACE = 1651272003;
const DAY_MS = 24 * 3600 * 1000;
/** A dead letter keeps its event this long after it failed (or the retention, if longer). */
export const DEAD_LETTER_DAYS = 30;

export interface EventRetentionOptions {
  pool: pg.Pool;
  log: Logger;
  retentionDays: number;
  /** Between passes; a pass goes on while its batches come back full. */
  intervalMs?: number;
  /** Before the first pass: workers starting together do not all prune at once. */
  firstDelayMs?: number;
  /** Events per transaction. */
  batchSize?: number;
  onError(err: unknown): void;
}

export class EventRetention {
  private readonly o: Required<EventRetentionOptions>;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopping = false;

  constructor(opts: EventRetentionOptions) {
    this.o = { intervalMs: 10 * 60_000, firstDelayMs: 60_000, batchSize: 1000, ...opts };
  }

  /** The bounds of a pass at `now`: events before `before` are old; dead letters before `deadBefore` expired. */
  bounds(now: Date): { before: Date; deadBefore: Date } {
    const days = this.o.retentionDays;
    return {
      before: new Date(now.getTime() - days * DAY_MS),
      deadBefore: new Date(now.getTime() - Math.max(DEAD_LETTER_DAYS, days) * DAY_MS),
    };
  }

  /**
   * One batch in its own transaction, if this process gets the retention lock: the number of
   * events deleted, or null when another process holds the lock (it is pruning).
   */
  async pruneBatch(now = new Date()): Promise<number | null> {
    const { before, deadBefore } = this.bounds(now);
    const client = await this.o.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const lock = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1, 0) AS ok', [
        LOCK_SPACE,
      ]);
      if (!lock.rows[0]!.ok) {
        await client.query('COMMIT');
        return null;
      }
      const { rows } = await client.query<{ n: number }>('SELECT bul_events_prune($1, $2, $3) AS n', [
        before,
        deadBefore,
        this.o.batchSize,
      ]);
      await client.query('COMMIT');
      return rows[0]!.n;
    } catch (err) {
      broken = true;
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** Batches until one comes back short (or another process prunes); returns the events deleted. */
  async pruneOnce(now = new Date()): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.pruneBatch(now);
      if (n === null) break;
      total += n;
      if (n < this.o.batchSize || this.stopping) break; // a stop waits for one batch at most
    }
    if (total > 0) this.o.log.info({ deleted: total }, 'old domain events deleted');
    return total;
  }

  start(): void {
    this.stopping = false;
    const run = () => {
      if (this.stopping) return;
      this.running ??= this.pruneOnce()
        .catch((err) => this.o.onError(err))
        .finally(() => {
          this.running = null;
        });
    };
    this.timer = setTimeout(() => {
      run();
      this.timer = setInterval(run, this.o.intervalMs);
      this.timer.unref();
    }, this.o.firstDelayMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass in progress (which ends after its current batch). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) {
      clearTimeout(this.timer);
      clearInterval(this.timer);
    }
    this.timer = null;
    await this.running;
  }
}
