// The dead letters of event dispatch, for org admins: the handler × event pairs that failed
// after their attempts (platform/events/dispatcher.ts), and a retry of one.
import type { Db } from '../../platform/db/transaction.ts';
import { notFound } from '../../platform/errors.ts';
import { decodeCursor, type PageOf, toPage } from '../../platform/http/pagination.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { type AuditService, actorOf } from '../audit/service.ts';
import type { EventFailureDto, EventFailureQueryType } from './schemas.ts';

interface FailureRow {
  id: string;
  handler: string;
  status: 'failed' | 'retry_requested';
  attempts: number;
  last_error: string | null;
  updated_at: Date;
  event_id: string;
  type: string;
  seq: string;
  occurred_at: Date;
  actor_type: string;
  actor_id: string | null;
  payload: Record<string, unknown>;
}

const toDto = (r: FailureRow): EventFailureDto => ({
  id: r.id,
  handler: r.handler,
  status: r.status,
  attempts: r.attempts,
  lastError: r.last_error,
  failedAt: r.updated_at.toISOString(),
  event: {
    id: r.event_id,
    type: r.type,
    seq: Number(r.seq),
    occurredAt: r.occurred_at.toISOString(),
    actor: { type: r.actor_type, id: r.actor_id },
    payload: r.payload,
  },
});

const isFailureCursor = (v: unknown): v is { at: string; id: string } =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { at: unknown }).at === 'string' &&
  !Number.isNaN(Date.parse((v as { at: string }).at)) &&
  typeof (v as { id: unknown }).id === 'string' &&
  /^[0-9a-f-]{36}$/.test((v as { id: string }).id);

export class EventFailureService {
  private readonly db: Db;
  private readonly audit: AuditService;
  constructor(deps: { db: Db; audit: AuditService }) {
    this.db = deps.db;
    this.audit = deps.audit;
  }

  /** The organization's failed handler runs, most recent first (row-level security scopes it). */
  async list(ctx: CallContext, q: EventFailureQueryType): Promise<PageOf<EventFailureDto>> {
    const limit = q.limit ?? 50;
    const cursor = decodeCursor(q.cursor, isFailureCursor);
    const rows = await this.db.transaction(tenantScope(ctx), async (tx) => {
      const r = await tx.query<FailureRow>(
        `SELECT d.id, d.handler, d.status, d.attempts, d.last_error, d.updated_at,
                e.id AS event_id, e.type, e.seq, e.occurred_at, e.actor_type, e.actor_id, e.payload
         FROM domain_event_deliveries d
         JOIN domain_events e ON e.org_id = d.org_id AND e.id = d.event_id
         WHERE d.status IN ('failed', 'retry_requested')
           AND ($1::timestamptz IS NULL OR (d.updated_at, d.id) < ($1, $2::uuid))
         ORDER BY d.updated_at DESC, d.id DESC LIMIT $3`,
        [cursor?.at ?? null, cursor?.id ?? null, limit + 1],
      );
      return r.rows;
    });
    return toPage(rows, limit, toDto, (r) => ({ at: r.updated_at.toISOString(), id: r.id }));
  }

  /** Queues one more attempt of a failed handler run; the dispatchers are woken at commit. */
  async retry(ctx: CallContext, id: string): Promise<EventFailureDto> {
    const s = tenantScope(ctx);
    return this.db.transaction(s, async (tx) => {
      // The event first: retention (migration 0014) skips a locked event, and waits for nothing,
      // so a dead letter retried as it expires is either deleted before (404) or kept.
      await tx.query(
        `SELECT 1 FROM domain_events e
         JOIN domain_event_deliveries d ON d.org_id = e.org_id AND d.event_id = e.id
         WHERE d.org_id = $1 AND d.id = $2 FOR KEY SHARE OF e`,
        [s.orgId, id],
      );
      const { rows } = await tx.query<FailureRow>(
        `WITH d AS (
           UPDATE domain_event_deliveries SET status = 'retry_requested', next_attempt_at = now(),
             updated_at = now()
           WHERE org_id = $1 AND id = $2 AND status IN ('failed', 'retry_requested')
           RETURNING id, handler, status, attempts, last_error, updated_at, event_id, org_id)
         SELECT d.id, d.handler, d.status, d.attempts, d.last_error, d.updated_at,
                e.id AS event_id, e.type, e.seq, e.occurred_at, e.actor_type, e.actor_id, e.payload
         FROM d JOIN domain_events e ON e.org_id = d.org_id AND e.id = d.event_id`,
        [s.orgId, id],
      );
      const row = rows[0];
      if (!row) throw notFound('eventFailure');
      await tx.query(`SELECT pg_notify('bul_domain_events', $1)`, [s.orgId]);
      await this.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'events.failure_retry',
        resourceType: 'event_failure',
        resourceId: id,
        metadata: { handler: row.handler, eventId: row.event_id, eventType: row.type },
        meta: ctx.meta,
      });
      return toDto(row);
    });
  }
}
