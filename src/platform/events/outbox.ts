// Emission into the transactional outbox (table domain_events, migration 0012): events are rows
// inserted by the transaction of the change, so they exist exactly when the change committed.
// Services do not call this directly: they pass `events` to AuditService.record/recordWith, the
// one call that records a change's audit event and its domain events in its transaction.
import type pg from 'pg';
import { newId } from '../db/ids.ts';
import { onCommit, type Sql } from '../db/transaction.ts';
import type { EventInput } from './catalogue.ts';

export type EventActorType = 'user' | 'api_key' | 'system';

export interface EventActor {
  type: EventActorType;
  id: string | null;
}

/** The events as one JSON parameter: [{id, type, payload}], ids drawn here (UUIDv7). */
export function eventsParam(events: readonly EventInput[]): string {
  return JSON.stringify(events.map((e) => ({ id: newId(), type: e.type, payload: e.payload })));
}

/**
 * The INSERT of the outbox rows, from parameters: organization, actor type, actor id, the events
 * (eventsParam). `from` is what gates it: `FROM (SELECT 1 FROM w LIMIT 1) g` inside a write's
 * statement inserts the events only when the write changed a row.
 */
export function insertEventsSql(
  p: { org: number; actorType: number; actorId: number; events: number },
  gate = '',
) {
  return `INSERT INTO domain_events (org_id, id, type, actor_type, actor_id, payload)
    SELECT $${p.org}::uuid, (e->>'id')::uuid, e->>'type', $${p.actorType}, $${p.actorId}::uuid, e->'payload'
    FROM ${gate}jsonb_array_elements($${p.events}::jsonb) e`;
}

/**
 * Wakes the dispatchers (NOTIFY bul_domain_events, payload: the organization) once the emitting
 * transaction has committed. Not from inside it: a transaction that NOTIFYs takes a database-wide
 * lock at commit and holds it through its WAL flush, so every emitting transaction would commit
 * one at a time (pgbench, 16 clients, one INSERT each: about 8,000-10,000 commits/s without a
 * NOTIFY trigger, 900-3,700 with it; a NOTIFY of its own after the commit cost nothing visible).
 * The organizations committed within WAKE_WINDOW_MS go out in one statement, off the request's
 * path: at most 100 such statements a second per process, whatever the write rate.
 * A lost wake-up (a crash, a transaction not run by inTransaction) waits for the dispatchers' poll.
 */
export function wakeAfterCommit(tx: Sql, orgId: string): void {
  onCommit(tx, (pool) => wakerOf(pool).add(orgId));
}

const WAKE_WINDOW_MS = 10;
const wakers = new WeakMap<pg.Pool, { add(orgId: string): void }>();
function wakerOf(pool: pg.Pool) {
  let waker = wakers.get(pool);
  if (!waker) {
    const orgs = new Set<string>();
    waker = {
      add(orgId) {
        if (orgs.size === 0)
          setTimeout(() => {
            const batch = [...orgs];
            orgs.clear();
            pool
              .query({
                name: 'bul-events-wake',
                text: `SELECT pg_notify('bul_domain_events', o) FROM unnest($1::text[]) o`,
                values: [batch],
              })
              .catch(() => {}); // the poll catches up
          }, WAKE_WINDOW_MS);
        orgs.add(orgId);
      },
    };
    wakers.set(pool, waker);
  }
  return waker;
}

/** Inserts events inside the caller's transaction. */
export async function emitEvents(
  tx: Sql,
  orgId: string,
  actor: EventActor,
  events: readonly EventInput[],
): Promise<void> {
  if (events.length === 0) return;
  await tx.query({
    name: 'bul-emit-events',
    text: insertEventsSql({ org: 1, actorType: 2, actorId: 3, events: 4 }),
    values: [orgId, actor.type, actor.id, eventsParam(events)],
  });
  wakeAfterCommit(tx, orgId);
}

/** The names of the fields a change touched (the `fields` of an `*.updated` event). */
export function changedFields(changes: Record<string, unknown> | null | undefined): string[] {
  return changes ? Object.keys(changes) : [];
}

/**
 * The data version of an organization (or, `null`, of every organization: super admins only), read
 * in `tx` (migration 0025): the audit and domain events it has committed and its settings' version
 * (every organization: a counter of organization changes). It changes with every commit that
 * writes an audit event — every mutation — the moment that commit is visible: a cached value keyed
 * by it is recomputed by the first read after any change, in every process, without waiting for
 * the sealer or the events' dispatch.
 */
export async function dataVersion(tx: Sql, orgId: string | null): Promise<string> {
  const { rows } = await tx.query<{ v: string }>({
    name: 'bul_data_version',
    text: 'SELECT bul_data_version($1) AS v',
    values: [orgId],
  });
  return rows[0]?.v ?? '0';
}
