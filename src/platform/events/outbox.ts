// Emission into the transactional outbox (table domain_events, migration 0012): events are rows
// inserted by the transaction of the change, so they exist exactly when the change committed.
// Services do not call this directly: they pass `events` to AuditService.record/recordWith, the
// one call that records a change's audit event and its domain events in its transaction.
import { newId } from '../db/ids.ts';
import type { Sql } from '../db/transaction.ts';
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
}

/** The names of the fields a change touched (the `fields` of an `*.updated` event). */
export function changedFields(changes: Record<string, unknown> | null | undefined): string[] {
  return changes ? Object.keys(changes) : [];
}
