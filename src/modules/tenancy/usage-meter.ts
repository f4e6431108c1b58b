// Counts API requests per organization for the plan's monthly quota. Counting in the request path
// would add a write to every request, so each process counts in memory and adds its counts to the
// database every few seconds. The quota check reads the stored count (loaded with the request's
// authentication) plus this process's unflushed count: with N processes, a burst can overshoot the
// quota by at most what N processes serve in one flush interval.
import type { Db } from '../../platform/db/transaction.ts';
import * as store from './store.ts';

const FLUSH_MS = 5_000;

export function monthPeriod(now = new Date()): string {
  return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}-01`;
}

export function secondsToNextMonth(now = new Date()): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return Math.ceil((next - now.getTime()) / 1000);
}

export class UsageMeter {
  private readonly db: Db;
  private pending = new Map<string, number>();
  private period = monthPeriod();
  private timer: NodeJS.Timeout | null = null;
  private readonly onError: (err: unknown) => void;

  constructor(db: Db, onError: (err: unknown) => void) {
    this.db = db;
    this.onError = onError;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  /** Requests counted here and not yet stored. */
  unflushed(orgId: string): number {
    return this.period === monthPeriod() ? (this.pending.get(orgId) ?? 0) : 0;
  }

  count(orgId: string): void {
    const period = monthPeriod();
    if (period !== this.period) void this.flush(); // month rolled over: store last month's counts first
    this.pending.set(orgId, (this.pending.get(orgId) ?? 0) + 1);
  }

  async flush(): Promise<void> {
    const batch = this.pending;
    const period = this.period;
    this.pending = new Map();
    this.period = monthPeriod();
    for (const [orgId, n] of batch) {
      try {
        await this.db.transaction({ orgId, userId: null }, (tx) =>
          store.addUsage(tx, orgId, 'api_requests', period, n),
        );
      } catch (err) {
        // Keep the count for the next attempt (an organization deleted meanwhile fails forever: drop it).
        if ((err as { code?: string }).code !== '23503')
          this.pending.set(orgId, (this.pending.get(orgId) ?? 0) + n);
        this.onError(err);
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}
