// A loop that every process runs and that acts exactly once per tick across all of them: at each
// multiple of `everyMs` (aligned to the epoch, so every process agrees on the ticks), each process
// tries to insert (name, tick) into bul_ticks; only the insert that lands runs the tick. Finer than
// graphile-worker's crontab (one minute, UTC) and needs no leader: when the process that would have
// won is down, another wins. A tick whose runner dies midway is not retried: the next one comes
// `everyMs` later. Ticks missed while no process was up are not caught up.
import { hostname } from 'node:os';
import type pg from 'pg';

export interface TickLoopOptions {
  pool: pg.Pool;
  /** Unique per kind of work, e.g. `alerts:evaluate`. */
  name: string;
  everyMs: number;
  /** Runs the tick that starts at `tick`; its errors go to `onError`, never stop the loop. */
  run(tick: Date): Promise<void>;
  onError(err: unknown): void;
  /**
   * Told of every tick this process ran, once its run is over, `ok: false` when it threw (a debug
   * log line: which process ran which tick is what the cluster test checks, each tick exactly once
   * across processes; a failed run counts as run).
   */
  log?: { debug(obj: object, msg: string): void };
  /** The clock (tests); Date.now by default. */
  now?: () => number;
}

/** Claimed ticks older than this are deleted now and then (they only record who ran what). */
const KEEP_MS = 24 * 3600_000;

export const PROCESS_NAME = `${hostname()}:${process.pid}`;

/**
 * Claims one tick for this process. True exactly once per (name, tick) across every process on
 * the database.
 */
export async function claimTick(pool: pg.Pool, name: string, tick: Date): Promise<boolean> {
  const { rowCount } = await pool.query(
    'INSERT INTO bul_ticks (name, tick, claimed_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [name, tick, PROCESS_NAME],
  );
  return rowCount === 1;
}

/** The start of the tick `at` falls in. */
export function tickOf(at: number, everyMs: number): Date {
  return new Date(Math.floor(at / everyMs) * everyMs);
}

export class TickLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private lastPrune = 0;
  private readonly now: () => number;
  private readonly opts: TickLoopOptions;

  constructor(opts: TickLoopOptions) {
    this.opts = opts;
    if (!(opts.everyMs >= 1000))
      throw new Error(`${opts.name}: a tick of at least 1 s, not ${opts.everyMs} ms`);
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Claims and runs the tick `at` falls in, unless another process already has (tests call it). */
  async runOnce(at = this.now()): Promise<boolean> {
    const tick = tickOf(at, this.opts.everyMs);
    if (!(await claimTick(this.opts.pool, this.opts.name, tick))) return false;
    const started = performance.now();
    let ok = false;
    try {
      await this.opts.run(tick);
      ok = true;
    } finally {
      // Logged whether the run succeeded or threw: a failed run was still run (by this process).
      this.opts.log?.debug(
        {
          tickLoop: this.opts.name,
          tick: tick.toISOString(),
          ms: Math.round(performance.now() - started),
          ok,
        },
        'tick ran',
      );
    }
    if (at - this.lastPrune > 3600_000) {
      this.lastPrune = at;
      await this.opts.pool.query('DELETE FROM bul_ticks WHERE name = $1 AND tick < $2', [
        this.opts.name,
        new Date(at - KEEP_MS),
      ]);
    }
    return true;
  }

  private schedule(): void {
    if (this.stopped) return;
    const every = this.opts.everyMs;
    const now = this.now();
    // A little past the boundary, spread a little per process, so the database's clock and ours
    // agree on which tick it is and the processes do not all insert in the same millisecond.
    const delay = every - (now % every) + 50 + Math.floor(Math.random() * 200);
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .then(
          () => undefined,
          (err) => this.opts.onError(err),
        )
        .finally(() => {
          this.running = null;
          this.schedule();
        });
    }, delay);
    this.timer.unref();
  }
}
