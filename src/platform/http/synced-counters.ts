// Per-request rate limits shared by several processes through PostgreSQL without a database
// write per request. A row per key, written by every request, serialised a cluster: all requests
// from one address (a proxy, a NAT) queued on one row lock, each waiting for a WAL flush.
//
// Instead each process counts locally and, every `intervalMs`, adds its per-key counts to the
// UNLOGGED table rate_limit_counters in one statement that returns the cluster's totals. A request
// is allowed while (the shared total as last read + what this process counted since) stays within
// the limit. Windows are fixed and aligned to the clock, so processes agree on them unasked.
//
// The bound: a process reads a key's shared total back at the sync after it counts that key, so
// past the limit each other process lets the key through for at most one interval (plus a round
// trip) from its next request for it: overshoot ≤ 1 + (interval + round trip) × the key's request
// rate at that process. A process's own count is exact.
// If the database cannot be reached, every process goes on counting alone (as the memory store)
// and adds its counts once it can.
import type pg from 'pg';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { LimiterSpec, RequestLimiter } from './rate-limit.ts';

interface Counter {
  /** End of the counter's window, epoch ms: its identity together with the key. */
  windowEnd: number;
  /** The cluster's total as of this process's last sync (this process's synced counts included). */
  shared: number;
  /** Counted here and being added by the sync in flight. */
  syncing: number;
  /** Counted here since. */
  pending: number;
}

// Keys in the order of the primary key, so that two processes' syncs lock rows in the same order
// and cannot deadlock.
const ADD_SQL = `
INSERT INTO rate_limit_counters AS c (key, window_end, points)
SELECT k, w, d FROM unnest($1::text[], $2::bigint[], $3::int[]) AS t(k, w, d) ORDER BY k, w
ON CONFLICT (key, window_end) DO UPDATE SET points = c.points + excluded.points
RETURNING c.key, c.window_end::float8 AS window_end, c.points`;

export class SyncedCounters {
  private readonly counters = new Map<string, Counter>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private failing = false;

  private readonly opts: {
    pool: pg.Pool;
    intervalMs: number;
    /** Told when syncing starts failing (once, not every interval), with the error. */
    onError: (err: unknown) => void;
  };

  constructor(opts: SyncedCounters['opts']) {
    this.opts = opts;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.sync(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and adds what is still counted locally. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sync();
  }

  limiter(spec: LimiterSpec): RequestLimiter {
    const prefix = `bul:${spec.name}:`;
    const durationMs = spec.durationSeconds * 1000;
    return {
      points: spec.points,
      duration: spec.durationSeconds,
      consume: async (key) => this.consume(prefix + key, spec.points, durationMs),
    };
  }

  private consume(id: string, points: number, durationMs: number): RateLimiterRes {
    const now = Date.now();
    const windowEnd = (Math.floor(now / durationMs) + 1) * durationMs;
    let c = this.counters.get(id);
    if (!c || c.windowEnd !== windowEnd) {
      c = { windowEnd, shared: 0, syncing: 0, pending: 0 };
      this.counters.set(id, c);
    }
    const used = c.shared + c.syncing + c.pending;
    // Thrown as rate-limiter-flexible's limiters do; a refused request is not counted.
    if (used >= points) throw new RateLimiterRes(0, windowEnd - now, used + 1, false);
    c.pending++;
    return new RateLimiterRes(points - used - 1, windowEnd - now, used + 1, used === 0);
  }

  /** Adds the local counts to the shared ones and reads the totals back (one at a time). */
  sync(): Promise<void> {
    this.running ??= this.syncOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async syncOnce(): Promise<void> {
    const now = Date.now();
    const ids: string[] = [];
    const windows: number[] = [];
    const deltas: number[] = [];
    for (const [id, c] of this.counters) {
      if (c.pending > 0) {
        ids.push(id);
        windows.push(c.windowEnd);
        deltas.push(c.pending);
        c.syncing = c.pending;
        c.pending = 0;
      } else if (c.windowEnd <= now) this.counters.delete(id); // ended and nothing left to add
    }
    if (ids.length === 0) return;
    try {
      const { rows } = await this.opts.pool.query<{ key: string; window_end: number; points: number }>(
        ADD_SQL,
        [ids, windows, deltas],
      );
      for (const row of rows) {
        const c = this.counters.get(row.key);
        if (c && c.windowEnd === row.window_end) {
          c.shared = row.points;
          c.syncing = 0;
        }
      }
      this.failing = false;
    } catch (err) {
      // Counted again next time; meanwhile the local counts keep limiting this process.
      for (let i = 0; i < ids.length; i++) {
        const c = this.counters.get(ids[i]!);
        if (c && c.windowEnd === windows[i]) {
          c.pending += c.syncing;
          c.syncing = 0;
        }
      }
      if (!this.failing) this.opts.onError(err);
      this.failing = true;
    }
  }
}
