// Reading an organization's committed events back from the outbox (domain_events), for a client
// that resumes after its last event id, and for a hub that missed bus messages.
import type pg from 'pg';
import { isUuid } from '../db/ids.ts';
import { inTransaction } from '../db/transaction.ts';
import type { DomainEvent } from '../events/catalogue.ts';
import { toDomainEvent } from '../events/dispatcher.ts';

const COLUMNS = 'id, type, org_id, occurred_at, actor_type, actor_id, payload, seq';

/** The place of an event in its organization's order; null when unknown, purged or not numbered yet. */
export async function seqOfEvent(pool: pg.Pool, orgId: string, eventId: string): Promise<number | null> {
  if (!isUuid(eventId)) return null;
  return inTransaction(pool, { orgId, userId: null }, async (tx) => {
    const { rows } = await tx.query<{ seq: string | null }>(
      'SELECT seq FROM domain_events WHERE org_id = $1 AND id = $2',
      [orgId, eventId],
    );
    return rows[0]?.seq == null ? null : Number(rows[0].seq);
  });
}

/** The organization's numbered events after `afterSeq` (up to `uptoSeq` when given), in order, at most `limit`. */
export async function eventsAfter(
  pool: pg.Pool,
  orgId: string,
  afterSeq: number,
  limit: number,
  uptoSeq: number | null = null,
): Promise<DomainEvent[]> {
  return inTransaction(pool, { orgId, userId: null }, async (tx) => {
    const { rows } = await tx.query(
      `SELECT ${COLUMNS} FROM domain_events
       WHERE org_id = $1 AND seq > $2 AND ($3::bigint IS NULL OR seq <= $3)
       ORDER BY seq LIMIT $4`,
      [orgId, afterSeq, uptoSeq, limit],
    );
    return rows.map((r) => toDomainEvent(r as Parameters<typeof toDomainEvent>[0]));
  });
}

/** The last number given to one of the organization's events (0: none yet). */
export async function headSeq(pool: pg.Pool, orgId: string): Promise<number> {
  return inTransaction(pool, { orgId, userId: null }, async (tx) => {
    const { rows } = await tx.query<{ last_seq: string }>(
      'SELECT last_seq FROM domain_event_heads WHERE org_id = $1',
      [orgId],
    );
    return Number(rows[0]?.last_seq ?? 0);
  });
}

/**
 * How far the realtime publisher has published the organization's events (its cursor): every
 * event up to it went out on the bus (or, over Redis, at least that far).
 */
export async function publishedSeq(pool: pg.Pool, orgId: string): Promise<number> {
  return inTransaction(pool, { orgId, userId: null }, async (tx) => {
    const { rows } = await tx.query<{ last_seq: string }>(
      "SELECT last_seq FROM domain_event_cursors WHERE org_id = $1 AND handler = 'realtime'",
      [orgId],
    );
    return Number(rows[0]?.last_seq ?? 0);
  });
}
