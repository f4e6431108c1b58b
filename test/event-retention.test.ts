// Retention of domain events (migration 0014, src/modules/events/retention.ts): events older than
// EVENT_RETENTION_DAYS that every handler has passed go, with their done marks; an event a handler
// has not reached (a handler behind, one with no cursor yet in that organization, an event not yet
// numbered), one parked as a dead letter (until it is retried or 30 days after it failed) and a
// recent one stay. Several processes prune at once without an error or a double count, and pass
// over an event another transaction holds (a dead-letter retry) instead of waiting for it.
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventRetention } from '../src/modules/events/retention.ts';
import { newId } from '../src/platform/db/ids.ts';
import { inTransaction } from '../src/platform/db/transaction.ts';
import { EventDispatcher } from '../src/platform/events/dispatcher.ts';
import { emitEvents } from '../src/platform/events/outbox.ts';
import { type EventHandler, EventHandlerRegistry } from '../src/platform/events/registry.ts';
import { apiHelpers } from './support/api-helpers.ts';
import { createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let A: Session;
let B: Session;
let C: Session;
const quiet = pino({ level: 'silent' });
const { api } = apiHelpers(
  () => t,
  () => A,
);

beforeAll(async () => {
  t = await createTestApp();
  [A, B, C] = [await signUp(t), await signUp(t), await signUp(t)];
}, 60_000);

afterAll(async () => {
  await t?.close();
});

/** Emits `n` deal.created events through the outbox; returns their payload ids (our handles on them). */
async function emit(orgId: string, n: number): Promise<string[]> {
  const keys = Array.from({ length: n }, () => newId());
  for (let i = 0; i < n; i += 500) {
    const chunk = keys.slice(i, i + 500);
    await inTransaction(t.pool, { orgId, userId: null }, (tx) =>
      emitEvents(
        tx,
        orgId,
        { type: 'system', id: null },
        chunk.map((id) => ({ type: 'deal.created', payload: { id } })),
      ),
    );
  }
  return keys;
}

/**
 * Moves events `days` into the past as if emitted then: their time and their UUIDv7 id (whose
 * first 48 bits are the emission's milliseconds). Before dispatch, while no mark refers to them.
 */
async function age(keys: string[], days: number): Promise<void> {
  const { rowCount } = await t.owner(
    `UPDATE domain_events SET occurred_at = now() - make_interval(days => $2),
       id = (lpad(to_hex(floor(extract(epoch FROM now() - make_interval(days => $2)) * 1000)::bigint), 12, '0')
             || substr(replace(id::text, '-', ''), 13))::uuid
     WHERE payload->>'id' = ANY($1)`,
    [keys, days],
  );
  expect(rowCount).toBe(keys.length);
}

/** Which of these events are still stored. */
async function kept(keys: string[]): Promise<string[]> {
  const { rows } = await t.owner<{ k: string }>(
    `SELECT payload->>'id' AS k FROM domain_events WHERE payload->>'id' = ANY($1)`,
    [keys],
  );
  return rows.map((r) => r.k).sort();
}

async function eventIds(keys: string[]): Promise<string[]> {
  const { rows } = await t.owner<{ id: string }>(
    `SELECT id FROM domain_events WHERE payload->>'id' = ANY($1)`,
    [keys],
  );
  return rows.map((r) => r.id);
}

const sorted = (...lists: string[][]) => lists.flat().sort();

/** A handler that does nothing but pass, or throws on the events named in `refuse`. */
function handler(name: string, refuse = new Set<string>()): EventHandler {
  return {
    name,
    events: ['*'],
    async handle(event) {
      if (refuse.has(event.payload.id as string)) throw new Error(`${name} refuses ${event.payload.id}`);
    },
  };
}

function dispatcher(...handlers: EventHandler[]): EventDispatcher {
  return new EventDispatcher({
    pool: t.pool,
    registry: new EventHandlerRegistry().register(...handlers),
    log: quiet,
    maxAttempts: 1, // a refusal parks the event at once (a dead letter)
    retryBaseMs: 1,
    pollMs: 600_000,
  });
}

async function drain(d: EventDispatcher, orgId: string): Promise<void> {
  for (let i = 0; i < 1000 && (await d.dispatchOrg(orgId)); i++);
}

function retention(pool: pg.Pool, batchSize = 1000): EventRetention {
  return new EventRetention({
    pool,
    log: quiet,
    retentionDays: 7,
    batchSize,
    onError: (err) => {
      throw err;
    },
  });
}

describe('event retention', () => {
  it('deletes old events every handler has passed, with their marks, and keeps every other', async () => {
    const refused = new Set<string>();
    const keeper = handler('keeper');
    const picky = handler('picky', refused);
    const lagging = handler('lagging');
    const all = dispatcher(keeper, picky, lagging);
    // `lagging` is not registered here: the handler of a worker not yet up, or of a module removed.
    const most = dispatcher(keeper, picky);

    const done = await emit(A.orgId, 3); // old, every handler passed them: go
    const parked = await emit(A.orgId, 1); // old, a dead letter of `picky` since today: stays
    const expired = await emit(A.orgId, 1); // old, a dead letter for 31 days: goes
    const recent = await emit(A.orgId, 1); // handled, but not old: stays
    for (const k of [...parked, ...expired]) refused.add(k);
    await age(done, 10);
    await age(parked, 10);
    await age(expired, 40);
    const doneC = await emit(C.orgId, 2);
    const recentC = await emit(C.orgId, 1);
    await age(doneC, 10);
    await drain(all, A.orgId);
    await drain(all, C.orgId);
    await t.owner(
      `UPDATE domain_event_deliveries SET updated_at = now() - interval '31 days'
       WHERE status = 'failed' AND event_id = ANY($1)`,
      [await eventIds(expired)],
    );
    // Organization B: `lagging` never ran there (no cursor), though it passed these seqs elsewhere.
    const inB = await emit(B.orgId, 2);
    await age(inB, 10);
    await drain(most, B.orgId);
    // Later old events of A that `lagging` has not reached, and one not even numbered yet.
    const behind = await emit(A.orgId, 2);
    await age(behind, 10);
    await drain(most, A.orgId);
    const unnumbered = await emit(A.orgId, 1);
    await age(unnumbered, 10);

    const { rows: marks } = await t.owner<{ handler: string; status: string; n: number }>(
      `SELECT handler, status, count(*)::int AS n FROM domain_event_deliveries WHERE event_id = ANY($1)
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [await eventIds(sorted(done, parked, expired))],
    );
    expect(marks).toEqual([
      { handler: 'keeper', status: 'done', n: 5 },
      { handler: 'lagging', status: 'done', n: 5 },
      { handler: 'picky', status: 'done', n: 3 },
      { handler: 'picky', status: 'failed', n: 2 },
    ]);
    const everything = sorted(done, parked, expired, recent, doneC, recentC, inB, behind, unnumbered);
    expect(await kept(everything)).toEqual(everything);
    const doneIds = await eventIds(sorted(done, expired, doneC));

    expect(await retention(t.pool).pruneOnce()).toBe(6);
    expect(await kept(everything)).toEqual(sorted(parked, recent, recentC, inB, behind, unnumbered));
    const { rows: left } = await t.owner<{ n: number }>(
      'SELECT count(*)::int AS n FROM domain_event_deliveries WHERE event_id = ANY($1)',
      [doneIds],
    );
    expect(left[0]!.n).toBe(0); // their marks went with them
    expect(await retention(t.pool).pruneOnce()).toBe(0); // nothing more may go

    // The dead letter stays while a retry is asked for; once the retry has run, it may go.
    const failures = (await api(A, 'GET', '/events/failures')).json().items as {
      id: string;
      event: { payload: { id: string } };
    }[];
    const failure = failures.find((f) => f.event.payload.id === parked[0])!;
    expect(failures.map((f) => f.event.payload.id)).toEqual(parked); // the expired one went too
    expect((await api(A, 'POST', `/events/failures/${failure.id}/retry`)).statusCode).toBe(202);
    expect(await retention(t.pool).pruneOnce()).toBe(0);
    refused.clear();
    await drain(all, A.orgId); // the retry succeeds; `lagging` catches up on `behind` and `unnumbered`
    expect(await retention(t.pool).pruneOnce()).toBe(4);
    expect(await kept(everything)).toEqual(sorted(recent, recentC, inB));
  }, 60_000);

  it('prunes from two pools at once, each event once, without an error', async () => {
    const all = dispatcher(handler('keeper'), handler('picky'), handler('lagging'));
    const keys = [...(await emit(A.orgId, 1500)), ...(await emit(C.orgId, 1500))];
    await age(keys, 10);
    await drain(all, A.orgId);
    await drain(all, C.orgId);
    const other = new pg.Pool({ connectionString: t.appUrl, max: 4 });
    // A transaction holding one of them (as a dead-letter retry does): pruning neither waits for
    // it nor deletes that event.
    const holder = new pg.Client({ connectionString: t.ownerUrl });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM domain_events WHERE payload->>'id' = $1 FOR KEY SHARE`, [keys[0]]);
    try {
      // The statement itself, four callers on two pools, no lock between them.
      const before = new Date(Date.now() - 7 * 24 * 3600_000);
      const deadBefore = new Date(Date.now() - 30 * 24 * 3600_000);
      const caller = async (pool: pg.Pool) => {
        let total = 0;
        for (;;) {
          const { rows } = await pool.query<{ n: number }>('SELECT bul_events_prune($1, $2, 100) AS n', [
            before,
            deadBefore,
          ]);
          total += rows[0]!.n;
          if (rows[0]!.n === 0) return total;
        }
      };
      const counts = await Promise.all([caller(t.pool), caller(other), caller(t.pool), caller(other)]);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(2999);
      expect(await kept(keys)).toEqual([keys[0]]);
      await holder.query('COMMIT');
      expect(await caller(other)).toBe(1);
      expect(await kept(keys)).toEqual([]);

      // The loops of two processes: one takes the lock per batch, the other skips or follows.
      const more = [...(await emit(A.orgId, 300)), ...(await emit(C.orgId, 300))];
      await age(more, 10);
      await drain(all, A.orgId);
      await drain(all, C.orgId);
      const [one, two] = [retention(t.pool, 50), retention(other, 50)];
      const deleted = await Promise.all([one.pruneOnce(), two.pruneOnce(), one.pruneOnce()]);
      expect(deleted.reduce((a, b) => a + b, 0)).toBe(600);
      expect(await kept(more)).toEqual([]);
    } finally {
      await holder.end();
      await other.end();
    }
  }, 120_000);

  it('runs as a background loop, and stops', async () => {
    const all = dispatcher(handler('keeper'), handler('picky'), handler('lagging'));
    const keys = await emit(C.orgId, 5);
    await age(keys, 10);
    await drain(all, C.orgId);
    const errors: unknown[] = [];
    const loop = new EventRetention({
      pool: t.pool,
      log: quiet,
      retentionDays: 7,
      intervalMs: 20,
      firstDelayMs: 0,
      onError: (err) => errors.push(err),
    });
    loop.start();
    try {
      const end = Date.now() + 15_000;
      while ((await kept(keys)).length > 0) {
        if (Date.now() > end) throw new Error('the loop deleted nothing');
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await loop.stop();
    }
    expect(errors).toEqual([]);
  }, 30_000);
});
