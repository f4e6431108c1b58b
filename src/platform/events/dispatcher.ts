// Runs the registered handlers over the committed domain events (migration 0012), in worker
// processes. Delivery is at least once; a handler's database effects commit once, with its
// "(handler, event) done" mark, in the event's tenant context (registry.ts).
//
// Order and failures. Each organization's events are numbered in commit order after they commit
// (bul_events_sequence; docs/architecture.md says why). Each handler reads each organization's
// events in that order from its own cursor, so handlers never wait for one another. When a
// handler throws, its transaction rolls back to a savepoint, the attempt is recorded, and that
// handler stops for that organization until the retry is due (backoff base × 2^(attempt-1),
// with jitter, at most an hour): its later events wait, so it sees them in order. After
// `maxAttempts` the event is parked as failed (the dead letter: GET /api/v1/events/failures) and
// the handler goes on with the next one; an org admin can retry it from there, out of order.
//
// Wake-ups: the emitting process NOTIFYs `bul_domain_events` with the organization after commit; a
// dispatcher LISTENs and runs that organization at once. A poll (`pollMs`) catches what a lost
// connection missed and retries that became due. One dispatcher per organization at a time,
// across processes: a transaction-scoped advisory lock, released if the process dies.
import pg from 'pg';
import type { Logger } from 'pino';
import { isUuid, newId as newDeliveryId } from '../db/ids.ts';
import { inTransaction, moveCommitCallbacks, type Sql } from '../db/transaction.ts';
import { inSpan, reportError } from '../observability/telemetry.ts';
import type { DomainEvent, EventType } from './catalogue.ts';
import type { EventHandler, EventHandlerRegistry } from './registry.ts';

/** Advisory lock key space of event dispatch (the audit sealer's is 1651272001). */
const LOCK_SPACE = 1651272002;
const CHANNEL = 'bul_domain_events';

export interface DispatcherOptions {
  pool: pg.Pool;
  registry: EventHandlerRegistry;
  log: Logger;
  /** Attempts before an event is parked as failed for a handler. */
  maxAttempts: number;
  /** The first retry's delay; each next one doubles. */
  retryBaseMs: number;
  /** How often to look for work that no notification announced. */
  pollMs: number;
  /** Events per handler transaction. */
  batchSize?: number;
  /** Organizations dispatched at the same time. */
  concurrency?: number;
  /** How long one handler run may take before it counts as a failed attempt. */
  handlerTimeoutMs?: number;
}

interface EventRow {
  id: string;
  type: EventType;
  org_id: string;
  occurred_at: Date;
  actor_type: DomainEvent['actor']['type'];
  actor_id: string | null;
  payload: Record<string, unknown>;
  seq: string;
}

interface DeliveryRow {
  id: string;
  event_id: string;
  handler: string;
  status: 'done' | 'retrying' | 'failed' | 'retry_requested';
  attempts: number;
  next_attempt_at: Date | null;
}

export function toDomainEvent(r: EventRow): DomainEvent {
  return {
    id: r.id,
    type: r.type,
    orgId: r.org_id,
    occurredAt: r.occurred_at.toISOString(),
    actor: { type: r.actor_type, id: r.actor_id },
    payload: r.payload,
    seq: Number(r.seq),
  };
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.slice(0, 2000);
}

const EVENT_COLUMNS = 'id, type, org_id, occurred_at, actor_type, actor_id, payload, seq';

const UPSERT_DELIVERY = `INSERT INTO domain_event_deliveries
    (org_id, handler, event_id, id, status, attempts, last_error, next_attempt_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (org_id, handler, event_id) DO UPDATE SET status = EXCLUDED.status,
    attempts = EXCLUDED.attempts, last_error = EXCLUDED.last_error,
    next_attempt_at = EXCLUDED.next_attempt_at, updated_at = now()`;

/** The done marks of a batch, in one statement. */
const MARK_DONE = `INSERT INTO domain_event_deliveries
    (org_id, handler, event_id, id, status, attempts, last_error, next_attempt_at)
  SELECT $1, $2, x.event_id, x.id, 'done', x.attempts, NULL, NULL
    FROM unnest($3::uuid[], $4::uuid[], $5::int[]) AS x (event_id, id, attempts)
  ON CONFLICT (org_id, handler, event_id) DO UPDATE SET status = 'done',
    attempts = EXCLUDED.attempts, last_error = NULL, next_attempt_at = NULL, updated_at = now()`;

/** A handler threw on the fast path (see runHandler): the batch is run again event by event. */
class FastPathFailed extends Error {
  constructor(original: unknown) {
    super('event handler failed on the fast path', { cause: original });
  }
}

export class EventDispatcher {
  private readonly o: Required<DispatcherOptions>;
  private listener: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private readonly dirty = new Set<string>();
  private readonly active = new Set<string>();
  private pumping: Promise<void> | null = null;

  constructor(opts: DispatcherOptions) {
    this.o = { batchSize: 200, concurrency: 4, handlerTimeoutMs: 30_000, ...opts };
  }

  private handlers(): EventHandler[] {
    return this.o.registry.list();
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.listen();
    this.timer = setInterval(() => void this.poll(), this.o.pollMs);
    this.timer.unref();
    await this.poll();
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ ...this.o.pool.options, application_name: 'bul-events-listen' });
    client.on('notification', (n) => {
      // Anyone may NOTIFY this channel: only a UUID names an organization.
      if (n.channel === CHANNEL && n.payload && isUuid(n.payload)) this.wake(n.payload);
    });
    client.on('error', (err) => {
      this.o.log.warn({ err }, 'event notification connection lost; reconnecting');
      this.listener = null;
      client.end().catch(() => {});
      setTimeout(() => void this.listen().catch(() => {}), 1000).unref();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.listener = client;
    } catch (err) {
      client.end().catch(() => {});
      this.o.log.warn({ err }, 'cannot listen for events; polling until it can');
      setTimeout(() => void this.listen().catch(() => {}), 5000).unref();
    }
  }

  /** Marks an organization as having work and runs it soon. */
  wake(orgId: string): void {
    if (this.stopped) return;
    this.dirty.add(orgId);
    this.pumping ??= this.pump().finally(() => {
      this.pumping = null;
      if (this.dirty.size > 0 && !this.stopped) this.wake([...this.dirty][0]!);
    });
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.handlers().length === 0) return;
    try {
      const { rows } = await this.o.pool.query<{ org: string }>(
        'SELECT bul_events_pending_orgs($1, 1000) AS org',
        [this.handlers().map((h) => h.name)],
      );
      for (const r of rows) this.wake(r.org);
    } catch (err) {
      this.o.log.error({ err }, 'looking for pending events failed');
    }
  }

  /** Dispatches dirty organizations, `concurrency` at a time, until none is left. */
  private async pump(): Promise<void> {
    const running = new Set<Promise<void>>();
    while (!this.stopped) {
      const next = [...this.dirty].find((o) => !this.active.has(o));
      if (next === undefined || running.size >= this.o.concurrency) {
        if (running.size === 0) break;
        await Promise.race(running);
        continue;
      }
      this.dirty.delete(next);
      this.active.add(next);
      const p: Promise<void> = this.dispatchOrg(next)
        .then((more) => {
          if (more) this.dirty.add(next);
        })
        .catch((err) => this.o.log.error({ err, orgId: next }, 'event dispatch failed'))
        .finally(() => {
          this.active.delete(next);
          running.delete(p);
        });
      running.add(p);
    }
    await Promise.all(running);
  }

  /**
   * One round for one organization: number its newly committed events, then let each handler
   * take a batch from its cursor, and run the retries asked for. Returns whether work remains.
   */
  async dispatchOrg(orgId: string): Promise<boolean> {
    const handlers = this.handlers();
    if (handlers.length === 0) return false;
    const lock = await this.o.pool.connect();
    let broken = false;
    try {
      await lock.query('BEGIN');
      const { rows } = await lock.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS ok',
        [LOCK_SPACE, orgId],
      );
      if (!rows[0]!.ok) return false; // another dispatcher has it; the poll comes back
      const head = await inTransaction(this.o.pool, { orgId, userId: null }, async (tx) => {
        const r = await tx.query<{ head: string }>('SELECT bul_events_sequence() AS head');
        return Number(r.rows[0]!.head);
      });
      const more = await Promise.all(
        handlers.map((h) => {
          const on = { eventId: null as string | null };
          return this.runHandler(orgId, h, head, on, false)
            .catch((err) => {
              // A handler failed on the fast path: run the batch again event by event.
              if (err instanceof FastPathFailed) return this.runHandler(orgId, h, head, on, true);
              throw err;
            })
            .catch(async (err) => {
              this.o.log.error({ err, orgId, handler: h.name }, 'event handler transaction failed');
              reportError(err, { source: 'event-handler', tags: { handler: h.name, orgId } });
              if (on.eventId) await this.recordBrokenRun(orgId, h, on.eventId, err).catch(() => {});
              return false;
            });
        }),
      );
      await this.runRequestedRetries(orgId);
      return more.some(Boolean);
    } catch (err) {
      broken = true;
      throw err;
    } finally {
      await lock.query('COMMIT').catch(() => {
        broken = true;
      });
      lock.release(broken);
    }
  }

  private backoffMs(attempts: number): number {
    const base = Math.min(this.o.retryBaseMs * 2 ** (attempts - 1), 3_600_000);
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  /**
   * Runs one handler on one event within its time limit. Past the limit the run counts as failed
   * and its transaction handle refuses further statements (a late statement would otherwise land in
   * the transaction of whatever runs next).
   */
  private runOne(h: EventHandler, event: DomainEvent, tx: Sql, orgId: string, attempt: number) {
    return this.runBatch(h, [event], [attempt], tx, orgId);
  }

  /**
   * Runs one handler on events, in order, within one time limit: its `handleBatch` when it has
   * one, else `handle` per event. Past the limit the run counts as failed and its transaction
   * handle refuses further statements (a late statement would otherwise land in the transaction
   * of whatever runs next).
   */
  private async runBatch(
    h: EventHandler,
    events: DomainEvent[],
    attempts: number[],
    tx: Sql,
    orgId: string,
  ): Promise<void> {
    let expired = false;
    let timer: NodeJS.Timeout | undefined;
    const guarded: Sql = {
      query: ((...args: Parameters<Sql['query']>) =>
        expired
          ? Promise.reject(new Error('the handler ran past its time limit'))
          : (tx.query as (...a: unknown[]) => unknown)(...args)) as Sql['query'],
    };
    const ctx = (attempt: number) => ({ tx: guarded, orgId, attempt, log: this.o.log });
    const work = async () => {
      if (h.handleBatch) await h.handleBatch(events, ctx(Math.max(...attempts)));
      else for (let i = 0; i < events.length; i++) await h.handle(events[i]!, ctx(attempts[i]!));
    };
    try {
      await Promise.race([
        // A span per handler run (tracing on). The events carry no trace context (the outbox
        // row has no column for it), so each run starts a trace of its own; jobs it queues join it.
        inSpan(
          `event handler ${h.name}`,
          { 'bul.handler': h.name, 'bul.org_id': orgId, 'bul.events': events.length },
          work,
        ),
        new Promise((_, reject) => {
          timer = setTimeout(() => {
            expired = true;
            reject(new Error(`timed out after ${this.o.handlerTimeoutMs} ms`));
          }, this.o.handlerTimeoutMs);
        }),
      ]);
      // What the run asked to do after commit (onCommit on its handle: wake-ups, caches) goes
      // with the transaction. A run that failed hands nothing on.
      moveCommitCallbacks(guarded, tx);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * When a handler's whole transaction fails (its connection died, a statement the savepoint
   * could not contain), the event it was on gets the attempt, so it still ends parked after its
   * attempts instead of being retried for ever; the batch's earlier events run again (their
   * done marks rolled back with their effects).
   */
  private async recordBrokenRun(
    orgId: string,
    h: EventHandler,
    eventId: string,
    err: unknown,
  ): Promise<void> {
    await inTransaction(this.o.pool, { orgId, userId: null }, async (tx) => {
      const { rows } = await tx.query<{ id: string; attempts: number }>(
        `SELECT id, attempts FROM domain_event_deliveries WHERE org_id = $1 AND handler = $2 AND event_id = $3`,
        [orgId, h.name, eventId],
      );
      const attempt = (rows[0]?.attempts ?? 0) + 1;
      const parked = attempt >= this.o.maxAttempts;
      await tx.query(UPSERT_DELIVERY, [
        orgId,
        h.name,
        eventId,
        rows[0]?.id ?? newDeliveryId(),
        parked ? 'failed' : 'retrying',
        attempt,
        errorText(err),
        parked ? null : new Date(Date.now() + this.backoffMs(attempt)),
      ]);
    });
  }

  /**
   * One batch of one handler over one organization's events; true when a full batch was read.
   *
   * Two ways to run it. Fast (the usual case): every event in the one transaction, no savepoint,
   * the done marks written together at the end; if the handler throws, FastPathFailed rolls the
   * whole batch back (its effects are database writes in this transaction, so nothing happened)
   * and the caller runs it again carefully: a savepoint per event, so a failing event is recorded
   * and retried while the events before it commit. The fast path saves three round trips per
   * event and handler (SAVEPOINT, RELEASE, the done mark's upsert).
   */
  private async runHandler(
    orgId: string,
    h: EventHandler,
    head: number,
    on: { eventId: string | null },
    careful: boolean,
  ): Promise<boolean> {
    const types = h.events.includes('*') ? null : [...h.events];
    return inTransaction(this.o.pool, { orgId, userId: null }, async (tx) => {
      await tx.query(
        `INSERT INTO domain_event_cursors (org_id, handler) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
        [orgId, h.name],
      );
      const cursor = Number(
        (
          await tx.query<{ last_seq: string }>(
            'SELECT last_seq FROM domain_event_cursors WHERE org_id = $1 AND handler = $2 FOR UPDATE',
            [orgId, h.name],
          )
        ).rows[0]!.last_seq,
      );
      if (cursor >= head) return false;
      const { rows: events } = await tx.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM domain_events
         WHERE org_id = $1 AND seq > $2 AND seq <= $3 AND ($4::text[] IS NULL OR type = ANY($4))
         ORDER BY seq LIMIT $5`,
        [orgId, cursor, head, types, this.o.batchSize],
      );
      const full = events.length === this.o.batchSize;
      let reached = full ? Number(events.at(-1)!.seq) : head;
      const { rows: known } = await tx.query<DeliveryRow>(
        `SELECT id, event_id, handler, status, attempts, next_attempt_at FROM domain_event_deliveries
         WHERE org_id = $1 AND handler = $2 AND event_id = ANY($3::uuid[])`,
        [orgId, h.name, events.map((e) => e.id)],
      );
      const deliveries = new Map(known.map((d) => [d.event_id, d]));
      const done: { eventId: string; id: string; attempt: number }[] = [];
      /** The fast path's events, run together after the loop. */
      const eligible: { row: EventRow; mark: (typeof done)[number] }[] = [];
      let blocked = false;
      for (const row of events) {
        const d = deliveries.get(row.id);
        if (d && d.status !== 'retrying') continue; // done (a redelivery), or parked
        if (d?.next_attempt_at && d.next_attempt_at.getTime() > Date.now()) {
          reached = Number(row.seq) - 1; // waiting for its retry: later events wait too
          blocked = true;
          break;
        }
        const attempt = (d?.attempts ?? 0) + 1;
        const mark = { eventId: row.id, id: d?.id ?? newDeliveryId(), attempt };
        if (!careful) {
          eligible.push({ row, mark });
          continue;
        }
        on.eventId = row.id; // should the whole transaction fail, this event gets the attempt
        await tx.query('SAVEPOINT bul_handler');
        try {
          await this.runOne(h, toDomainEvent(row), tx, orgId, attempt);
          await tx.query('RELEASE SAVEPOINT bul_handler');
          done.push(mark);
        } catch (err) {
          await tx.query('ROLLBACK TO SAVEPOINT bul_handler');
          const parked = attempt >= this.o.maxAttempts;
          this.o.log.warn(
            { err, orgId, handler: h.name, eventId: row.id, attempt, parked },
            parked ? 'event handler failed for good; parked' : 'event handler failed; will retry',
          );
          if (parked)
            reportError(err, {
              source: 'event-handler',
              tags: { handler: h.name, orgId, eventId: row.id, attempt },
            });
          await tx.query(UPSERT_DELIVERY, [
            orgId,
            h.name,
            row.id,
            d?.id ?? newDeliveryId(),
            parked ? 'failed' : 'retrying',
            attempt,
            errorText(err),
            parked ? null : new Date(Date.now() + this.backoffMs(attempt)),
          ]);
          if (!parked) {
            reached = Number(row.seq) - 1;
            blocked = true;
            break;
          }
        }
      }
      if (eligible.length > 0) {
        on.eventId = eligible[0]!.row.id;
        try {
          await this.runBatch(
            h,
            eligible.map((e) => toDomainEvent(e.row)),
            eligible.map((e) => e.mark.attempt),
            tx,
            orgId,
          );
        } catch (err) {
          throw new FastPathFailed(err);
        }
        done.push(...eligible.map((e) => e.mark));
      }
      if (done.length > 0)
        await tx.query(MARK_DONE, [
          orgId,
          h.name,
          done.map((m) => m.eventId),
          done.map((m) => m.id),
          done.map((m) => m.attempt),
        ]);
      await tx.query(
        'UPDATE domain_event_cursors SET last_seq = $3, updated_at = now() WHERE org_id = $1 AND handler = $2',
        [orgId, h.name, reached],
      );
      return full && !blocked;
    });
  }

  /** Failed events an org admin asked to retry (POST /events/failures/{id}/retry): one attempt each. */
  private async runRequestedRetries(orgId: string): Promise<void> {
    await inTransaction(this.o.pool, { orgId, userId: null }, async (tx) => {
      const { rows } = await tx.query<DeliveryRow & EventRow & { delivery_id: string }>(
        `SELECT d.id AS delivery_id, d.handler, d.attempts, ${EVENT_COLUMNS.split(', ')
          .map((c) => `e.${c}`)
          .join(', ')}
         FROM domain_event_deliveries d JOIN domain_events e ON e.org_id = d.org_id AND e.id = d.event_id
         WHERE d.org_id = $1 AND d.status = 'retry_requested' ORDER BY e.seq LIMIT 100
         FOR UPDATE OF d SKIP LOCKED`,
        [orgId],
      );
      for (const r of rows) {
        const h = this.o.registry.get(r.handler);
        if (!h) continue;
        const attempt = r.attempts + 1;
        await tx.query('SAVEPOINT bul_handler');
        try {
          await this.runOne(h, toDomainEvent(r), tx, orgId, attempt);
          await tx.query('RELEASE SAVEPOINT bul_handler');
          await tx.query(UPSERT_DELIVERY, [orgId, h.name, r.id, r.delivery_id, 'done', attempt, null, null]);
        } catch (err) {
          await tx.query('ROLLBACK TO SAVEPOINT bul_handler');
          this.o.log.warn(
            { err, orgId, handler: h.name, eventId: r.id },
            'retried event handler failed again',
          );
          reportError(err, { source: 'event-handler', tags: { handler: h.name, orgId, eventId: r.id } });
          await tx.query(UPSERT_DELIVERY, [
            orgId,
            h.name,
            r.id,
            r.delivery_id,
            'failed',
            attempt,
            errorText(err),
            null,
          ]);
        }
      }
    });
  }

  /** Stops listening and polling, and waits for the rounds in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => {});
    await this.pumping;
  }
}

/** Starts a worker process's dispatcher with the configured retry policy; returns its stop. */
export async function startEventDispatch(o: {
  pool: pg.Pool;
  config: { eventHandlerMaxAttempts: number; eventRetryBaseMs: number; eventPollIntervalMs: number };
  log: Logger;
  registry: EventHandlerRegistry;
}): Promise<() => Promise<void>> {
  const dispatcher = new EventDispatcher({
    pool: o.pool,
    registry: o.registry,
    log: o.log.child({ component: 'events' }),
    maxAttempts: o.config.eventHandlerMaxAttempts,
    retryBaseMs: o.config.eventRetryBaseMs,
    pollMs: o.config.eventPollIntervalMs,
  });
  await dispatcher.start();
  return () => dispatcher.stop();
}
