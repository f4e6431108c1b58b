// SQL for the audit trail. The chain fields (seq, prev_hash, hash) are set by the database's sealer
// after the event's transaction commits (migration 0006, `bul_audit_seal`), never by this code.
import type { NamedStatement, Sql } from '../../platform/db/transaction.ts';
import { insertEventsSql } from '../../platform/events/outbox.ts';

export interface AuditRow {
  id: string;
  seq: number;
  created_at: Date;
  actor_type: 'user' | 'api_key' | 'system' | 'anonymous';
  actor_id: string | null;
  actor_label: string | null;
  action: string;
  outcome: 'success' | 'failure';
  resource_type: string | null;
  resource_id: string | null;
  changes: Record<string, { before: unknown; after: unknown }> | null;
  metadata: Record<string, unknown> | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

export interface NewAuditRow {
  orgId: string;
  id: string;
  actorType: AuditRow['actor_type'];
  actorId: string | null;
  actorLabel: string | null;
  action: string;
  outcome: AuditRow['outcome'];
  resourceType: string | null;
  resourceId: string | null;
  changes: unknown;
  metadata: unknown;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

const EVENT_COLUMNS = `org_id, id, seq, created_at, actor_type, actor_id, actor_label, action, outcome,
  resource_type, resource_id, changes, metadata, ip, user_agent, request_id, prev_hash, hash`;

/** The event's values in EVENT_COLUMNS order, less the chain fields and `changes` (see eventExpressions). */
function eventValues(e: NewAuditRow): unknown[] {
  return [
    e.orgId,
    e.id,
    e.actorType,
    e.actorId,
    e.actorLabel,
    e.action,
    e.outcome,
    e.resourceType,
    e.resourceId,
    e.metadata === null ? null : JSON.stringify(e.metadata),
    e.ip,
    e.userAgent,
    e.requestId,
  ];
}

/**
 * The SQL expressions for EVENT_COLUMNS, parameters numbered from `$from` (eventValues' order).
 * seq, prev_hash and hash get placeholders that the chain trigger overwrites.
 */
function eventExpressions(from: number, changes: string): string {
  const p = (i: number, type: string) => `$${from + i}::${type}`;
  return [
    p(0, 'uuid'),
    p(1, 'uuid'),
    '0',
    'now()',
    p(2, 'text'),
    p(3, 'uuid'),
    p(4, 'text'),
    p(5, 'text'),
    p(6, 'text'),
    p(7, 'text'),
    p(8, 'text'),
    changes,
    p(9, 'jsonb'),
    p(10, 'text'),
    p(11, 'text'),
    p(12, 'text'),
    "''",
    "''",
  ].join(', ');
}

/** The domain events that go with an audit event: the outbox actor and the events' JSON (outbox.ts). */
export interface OutboxEvents {
  actorType: 'user' | 'api_key' | 'system';
  events: string;
}

export async function insertEvent(sql: Sql, e: NewAuditRow, out?: OutboxEvents): Promise<void> {
  const audit = `INSERT INTO audit_events (${EVENT_COLUMNS}) VALUES (${eventExpressions(1, '$14::jsonb')})`;
  const values = [...eventValues(e), e.changes === null ? null : JSON.stringify(e.changes)];
  if (!out) {
    await sql.query({ name: 'bul_audit_insert', text: audit, values });
    return;
  }
  // One statement, one round trip: the audit row and the domain events.
  await sql.query({
    name: 'bul_audit_insert+events',
    text: `WITH audited AS (${audit}) ${insertEventsSql({ org: 1, actorType: 15, actorId: 4, events: 16 })}`,
    values: [...values, out.actorType, out.events],
  });
}

/**
 * Runs `write` (which must change exactly one row and RETURN it) and inserts its event in the SAME
 * statement, as data-modifying CTEs: one round trip instead of two. `write.name` names the combined
 * prepared statement too, so one write always comes with the same `createdFields`.
 * `createdFields` (column names of our own, never input): the event's `changes` are those columns of the returned row, as a creation
 * ({before: null, after: value} for each non-null one, like `diff(null, row, fields)`), computed
 * from what was stored; otherwise `e.changes`. No row returned, no event.
 */
export async function writeWithEvent<R>(
  sql: Sql,
  write: NamedStatement,
  e: NewAuditRow,
  createdFields?: readonly string[],
  out?: OutboxEvents,
): Promise<R[]> {
  const from = write.values.length + 1;
  const values = [...write.values, ...eventValues(e)];
  let changes: string;
  if (createdFields) {
    const pairs = createdFields.map((f) => `'${f}', w.${f}`).join(', ');
    changes = `(SELECT jsonb_object_agg(f.key, jsonb_build_object('before', NULL, 'after', f.value))
       FROM jsonb_each(jsonb_build_object(${pairs})) f WHERE f.value <> 'null'::jsonb)`;
  } else {
    values.push(e.changes === null ? null : JSON.stringify(e.changes));
    changes = `$${values.length}::jsonb`;
  }
  let emitted = '';
  if (out) {
    values.push(out.actorType, out.events);
    const n = values.length;
    // The events only when the write changed its row, like the audit event.
    emitted = `, emitted AS (${insertEventsSql({ org: from, actorType: n - 1, actorId: from + 3, events: n }, '(SELECT 1 FROM w LIMIT 1) g, ')})`;
  }
  const { rows } = await sql.query<R & Record<string, unknown>>({
    name: `${write.name}+audit${createdFields ? '-created' : ''}${out ? '+events' : ''}`,
    text: `WITH w AS (${write.text}),
      audited AS (INSERT INTO audit_events (${EVENT_COLUMNS}) SELECT ${eventExpressions(from, changes)} FROM w)${emitted}
      SELECT * FROM w`,
    values,
  });
  return rows;
}

export interface AuditFilter {
  orgId: string;
  actorId?: string;
  action?: string;
  actionPrefix?: string;
  resourceType?: string;
  resourceId?: string;
  outcome?: string;
  start?: Date;
  end?: Date;
  beforeSeq?: number;
  limit: number;
}

/** The WHERE clause and parameters of a search (shared by the list and the export). */
function searchWhere(f: Omit<AuditFilter, 'limit'>): { where: string; params: unknown[] } {
  const where = ['org_id = $1'];
  const params: unknown[] = [f.orgId];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  };
  if (f.actorId) add('actor_id = ?', f.actorId);
  if (f.action) add('action = ?', f.action);
  if (f.actionPrefix)
    add(
      `action LIKE ? || '%'`,
      f.actionPrefix.replace(/[\\%_]/g, (c) => `\\${c}`),
    );
  if (f.resourceType) add('resource_type = ?', f.resourceType);
  if (f.resourceId) add('resource_id = ?', f.resourceId);
  if (f.outcome) add('outcome = ?', f.outcome);
  if (f.start) add('created_at >= ?', f.start);
  if (f.end) add('created_at < ?', f.end);
  if (f.beforeSeq !== undefined) add('seq < ?', f.beforeSeq);
  return { where: where.join(' AND '), params };
}

/** At most this many events of one organization per transaction of the background sealer. */
export const SEAL_BATCH = 10_000;

/**
 * Links the organization's committed, unsealed events into its chain (waiting for a sealer already
 * at it), or, with `orgId` null, those of every organization no other sealer is at (a batch each).
 * Returns how many it sealed. Readers of a chain call it first; see migration 0006.
 */
export async function sealEvents(sql: Sql, orgId: string | null): Promise<number> {
  const { rows } = await sql.query<{ sealed: number }>({
    name: 'bul_audit_seal',
    text: 'SELECT bul_audit_seal($1, $2) AS sealed',
    values: [orgId, SEAL_BATCH],
  });
  return rows[0]?.sealed ?? 0;
}

/** What a search or an export reads of an event. */
const READ_COLUMNS = `id, seq, created_at, actor_type, actor_id, actor_label, action, outcome, resource_type,
            resource_id, changes, metadata, ip, user_agent, request_id, prev_hash, hash`;

/** Newest first, keyset-paginated on seq (which follows time within an organization). */
export async function searchEvents(sql: Sql, f: AuditFilter): Promise<AuditRow[]> {
  const { where, params } = searchWhere(f);
  params.push(f.limit + 1);
  // Sealed events only (an event committed after the reader's seal is found by the next search).
  const { rows } = await sql.query<AuditRow>(
    `SELECT ${READ_COLUMNS} FROM audit_events WHERE ${where} AND seq IS NOT NULL ORDER BY seq DESC LIMIT $${params.length}`,
    params,
  );
  return rows;
}

/** Every event matching a search, oldest first (chain order), for a streamed export. */
export function exportEventsQuery(f: Omit<AuditFilter, 'limit' | 'beforeSeq'>): {
  text: string;
  values: unknown[];
} {
  const { where, params } = searchWhere(f);
  return {
    text: `SELECT ${READ_COLUMNS} FROM audit_events WHERE ${where} AND seq IS NOT NULL ORDER BY seq`,
    values: params,
  };
}

export interface IntegrityRow {
  ok: boolean;
  checked: number;
  bad_seq: number | null;
  bad_id: string | null;
  problem: string | null;
}

/** The chain check of the organization in the transaction's context. */
export async function verifyCurrentChain(sql: Sql): Promise<IntegrityRow> {
  const { rows } = await sql.query<IntegrityRow>('SELECT * FROM bul_audit_verify_current()');
  return rows[0] ?? { ok: true, checked: 0, bad_seq: null, bad_id: null, problem: null };
}

/** Owner connection only (CLI): check any organization's chain, or list those that have one. */
export async function verifyChain(sql: Sql, orgId: string): Promise<IntegrityRow> {
  const { rows } = await sql.query<IntegrityRow>('SELECT * FROM bul_audit_verify($1)', [orgId]);
  return rows[0]!;
}

/** The organizations with a chain, or with events waiting for their first seal. */
export async function chainOrgIds(sql: Sql): Promise<string[]> {
  const { rows } = await sql.query<{ org_id: string }>(
    `SELECT org_id FROM audit_chain_heads
     UNION SELECT DISTINCT org_id FROM audit_events WHERE seq IS NULL
     ORDER BY org_id`,
  );
  return rows.map((r) => r.org_id);
}
