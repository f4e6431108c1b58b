// The delivery runner of a worker process: claims due notifications from the table itself (no job
// per notification: a claim takes up to a lane's free slots in one statement, FOR UPDATE SKIP
// LOCKED, across organizations) and sends them concurrently. Priorities get lanes of their own so
// that a broadcast never delays a critical alert: the critical lane takes only critical
// notifications and the high lane critical and high ones, each with slots a broadcast cannot fill;
// the shared lane takes any, highest priority first. A claim is a lease: if the worker dies, the
// lease runs out and another runner sends the notification again, with the same id, which is the
// idempotency key receivers dedupe by (at least once, never lost).
//
// Wake-ups: a transaction that queues notifications NOTIFYs `bul_notifications` after it commits;
// runners LISTEN and claim at once. Otherwise they sleep until the soonest due time (a retry, the
// end of quiet hours, a lease running out), at most POLL_MS.
import pg from 'pg';
import type { Logger } from 'pino';
import { onCommit, type Sql } from '../../platform/db/transaction.ts';
import type { ClaimedNotification } from './delivery.ts';
import * as store from './store.ts';

export const WAKE_CHANNEL = 'bul_notifications';
const POLL_MS = 1000;

interface Lane {
  name: string;
  minRank: number;
  maxRank: number;
  slots: number;
  /** Free slots that make the lane claim again. */
  refillAt: number;
  inFlight: number;
  claiming: boolean;
}

export interface RunnerOptions {
  pool: pg.Pool;
  log: Logger;
  /** Slots of the shared lane; the critical and high lanes get a quarter each (at least 2). */
  concurrency: number;
  /** A claimed notification not settled within this long is claimable again (NOTIFY_LEASE_SECONDS). */
  leaseSeconds: number;
  /** Sends one claimed notification and records the outcome (NotificationDelivery.deliver). */
  deliver(n: ClaimedNotification): Promise<void>;
}

export class DeliveryRunner {
  private readonly o: RunnerOptions;
  private readonly lanes: Lane[];
  private listener: pg.Client | null = null;
  private readonly timers = new Map<Lane, NodeJS.Timeout>();
  private stopped = true;
  private readonly running = new Set<Promise<void>>();

  constructor(o: RunnerOptions) {
    this.o = o;
    const reserved = Math.max(2, Math.floor(o.concurrency / 4));
    this.lanes = [
      {
        name: 'critical',
        minRank: 0,
        maxRank: 0,
        slots: reserved,
        refillAt: 1,
        inFlight: 0,
        claiming: false,
      },
      { name: 'high', minRank: 0, maxRank: 1, slots: reserved, refillAt: 1, inFlight: 0, claiming: false },
      {
        name: 'shared',
        minRank: 0,
        maxRank: 3,
        slots: o.concurrency,
        refillAt: Math.max(1, Math.floor(o.concurrency / 4)),
        inFlight: 0,
        claiming: false,
      },
    ];
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.listen();
    this.wake();
  }

  /** Stops claiming and waits for the sends in flight (their outcome is recorded). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => {});
    await Promise.allSettled([...this.running]);
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ ...this.o.pool.options, application_name: 'bul-notify-listen' });
    client.on('notification', () => this.wake());
    client.on('error', (err) => {
      this.o.log.warn({ err }, 'notification wake-up connection lost; reconnecting');
      this.listener = null;
      client.end().catch(() => {});
      setTimeout(() => void this.listen().catch(() => {}), 1000).unref();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${WAKE_CHANNEL}`);
      this.listener = client;
    } catch (err) {
      client.end().catch(() => {});
      this.o.log.warn({ err }, 'cannot listen for notification wake-ups; polling until it can');
      setTimeout(() => void this.listen().catch(() => {}), 5000).unref();
    }
  }

  /** Claims for every lane with free slots now. */
  wake(): void {
    if (this.stopped) return;
    for (const lane of this.lanes) void this.fill(lane);
  }

  private async fill(lane: Lane): Promise<void> {
    if (lane.claiming || this.stopped) return;
    lane.claiming = true;
    let full = false;
    try {
      for (;;) {
        const free = lane.slots - lane.inFlight;
        if (free <= 0 || this.stopped) {
          full = true;
          break;
        }
        const claimed = await store.claim(this.o.pool, {
          minRank: lane.minRank,
          maxRank: lane.maxRank,
          limit: free,
          leaseSeconds: this.o.leaseSeconds,
        });
        for (const c of claimed) this.run(lane, c);
        if (claimed.length < free) break;
      }
    } catch (err) {
      this.o.log.warn({ err, lane: lane.name }, 'claiming notifications failed; retrying shortly');
    } finally {
      lane.claiming = false;
    }
    if (!full) await this.scheduleNext(lane);
  }

  private run(lane: Lane, n: ClaimedNotification): void {
    lane.inFlight++;
    const p = this.o
      .deliver(n)
      .catch((err) => this.o.log.error({ err, notification: n.id }, 'notification delivery failed'))
      .finally(() => {
        lane.inFlight--;
        this.running.delete(p);
        // Claim again once a quarter of the lane is free (or it is empty), not after every send:
        // one claim statement then fetches a batch.
        if (lane.slots - lane.inFlight >= lane.refillAt || lane.inFlight === 0) void this.fill(lane);
      });
    this.running.add(p);
  }

  /** Sleeps until the lane's soonest due notification (at most POLL_MS). */
  private async scheduleNext(lane: Lane): Promise<void> {
    if (this.stopped) return;
    let delay = POLL_MS;
    try {
      const at = await store.nextDue(this.o.pool, lane);
      // Due already but not claimed (held by another runner's claim): the poll comes back.
      if (at) delay = Math.min(POLL_MS, Math.max(50, at.getTime() - Date.now()));
    } catch {
      // the poll retries
    }
    if (this.stopped) return;
    const timer = this.timers.get(lane);
    if (timer) clearTimeout(timer);
    const next = setTimeout(() => {
      this.timers.delete(lane);
      void this.fill(lane);
    }, delay);
    next.unref();
    this.timers.set(lane, next);
  }

  /** How many sends are in flight per lane (metrics, tests). */
  inFlight(): Record<string, number> {
    return Object.fromEntries(this.lanes.map((l) => [l.name, l.inFlight]));
  }
}

/**
 * Wakes the runners (NOTIFY bul_notifications) once the transaction that queued notifications has
 * committed: never from inside it (a NOTIFY serialises commits database-wide; see
 * platform/events/outbox.ts), and once per WAKE_WINDOW_MS per process whatever the rate.
 */
export function wakeRunnersAfterCommit(tx: Sql): void {
  onCommit(tx, (pool) => wakerOf(pool)());
}

const WAKE_WINDOW_MS = 5;
const wakers = new WeakMap<pg.Pool, () => void>();
function wakerOf(pool: pg.Pool): () => void {
  let waker = wakers.get(pool);
  if (!waker) {
    let pending = false;
    waker = () => {
      if (pending) return;
      pending = true;
      setTimeout(() => {
        pending = false;
        pool.query(`SELECT pg_notify('${WAKE_CHANNEL}', '')`).catch(() => {}); // the poll catches up
      }, WAKE_WINDOW_MS);
    };
    wakers.set(pool, waker);
  }
  return waker;
}
