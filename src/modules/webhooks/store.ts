// SQL of the webhooks module: endpoints, deliveries and their attempts (tenant tables, RLS).
import type { Sql } from '../../platform/db/transaction.ts';
import { traceContext } from '../../platform/observability/telemetry.ts';

export interface EndpointRow {
  org_id: string;
  id: string;
  url: string;
  description: string;
  event_types: string[];
  enabled: boolean;
  disabled_reason: 'manual' | 'failing' | null;
  secret_sealed: string;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export interface DeliveryRow {
  org_id: string;
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  event: Record<string, unknown>;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  round_start: number;
  next_attempt_at: Date | null;
  last_status_code: number | null;
  last_error_class: string | null;
  delivered_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  status_code: number | null;
  latency_ms: number;
  response_excerpt: string;
  response_truncated: boolean;
  error_class: string | null;
  next_attempt_at: Date | null;
}

export const DELIVER_TASK = 'webhooks:deliver';

export async function insertEndpoint(
  sql: Sql,
  e: { orgId: string; id: string; url: string; description: string; events: string[]; secretSealed: string },
): Promise<EndpointRow> {
  const { rows } = await sql.query<EndpointRow>(
    `INSERT INTO webhook_endpoints (org_id, id, url, description, event_types, secret_sealed)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [e.orgId, e.id, e.url, e.description, e.events, e.secretSealed],
  );
  return rows[0]!;
}

export async function getEndpoint(sql: Sql, id: string, forUpdate = false): Promise<EndpointRow | null> {
  const { rows } = await sql.query<EndpointRow>(
    `SELECT * FROM webhook_endpoints WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function listEndpoints(
  sql: Sql,
  q: { afterId?: string; limit: number },
): Promise<EndpointRow[]> {
  const { rows } = await sql.query<EndpointRow>(
    `SELECT * FROM webhook_endpoints WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2`,
    [q.afterId ?? null, q.limit + 1],
  );
  return rows;
}

export async function updateEndpoint(
  sql: Sql,
  id: string,
  p: {
    url: string;
    description: string;
    events: string[];
    enabled: boolean;
    disabledReason: string | null;
    failingSince: Date | null;
  },
): Promise<EndpointRow> {
  const { rows } = await sql.query<EndpointRow>(
    `UPDATE webhook_endpoints SET url = $2, description = $3, event_types = $4, enabled = $5,
       disabled_reason = $6, failing_since = $7
     WHERE id = $1 RETURNING *`,
    [id, p.url, p.description, p.events, p.enabled, p.disabledReason, p.failingSince],
  );
  return rows[0]!;
}

export async function setEndpointSecret(sql: Sql, id: string, secretSealed: string): Promise<void> {
  await sql.query('UPDATE webhook_endpoints SET secret_sealed = $2 WHERE id = $1', [id, secretSealed]);
}

export async function deleteEndpoint(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM webhook_endpoints WHERE id = $1', [id]);
}

/** A failure: the endpoint's failing streak starts now unless it already had. Returns the streak's start. */
export async function markEndpointFailing(sql: Sql, id: string, now: Date): Promise<Date | null> {
  await sql.query('UPDATE webhook_endpoints SET failing_since = $2 WHERE id = $1 AND failing_since IS NULL', [
    id,
    now,
  ]);
  const { rows } = await sql.query<{ failing_since: Date | null }>(
    'SELECT failing_since FROM webhook_endpoints WHERE id = $1',
    [id],
  );
  return rows[0]?.failing_since ?? null;
}

export async function markEndpointHealthy(sql: Sql, id: string): Promise<void> {
  await sql.query(
    'UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL',
    [id],
  );
}

export async function disableFailingEndpoint(sql: Sql, id: string): Promise<boolean> {
  const { rowCount } = await sql.query(
    `UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'failing' WHERE id = $1 AND enabled`,
    [id],
  );
  return rowCount === 1;
}

/** The organization's enabled endpoints and the event types each subscribes to. */
export async function enabledEndpoints(
  sql: Sql,
  orgId: string,
): Promise<{ id: string; event_types: string[] }[]> {
  const { rows } = await sql.query<{ id: string; event_types: string[] }>(
    'SELECT id, event_types FROM webhook_endpoints WHERE org_id = $1 AND enabled ORDER BY id',
    [orgId],
  );
  return rows;
}

/** One delivery to make: an event to one endpoint. */
export interface NewDelivery {
  endpointId: string;
  eventId: string;
  type: string;
  event: unknown;
}

/**
 * Fan-out, in the caller's transaction: each delivery and its first job, in one statement however
 * many events and endpoints (the dispatcher hands a batch of events at once). A delivery already
 * made adds nothing (unique (endpoint, event)), so an event seen again queues no job. Returns the
 * ids of the deliveries made.
 */
export async function insertDeliveries(
  sql: Sql,
  o: { orgId: string; now: Date },
  deliveries: readonly NewDelivery[],
  newIds: (n: number) => string[],
): Promise<string[]> {
  if (deliveries.length === 0) return [];
  const { rows } = await sql.query<{ id: string }>(
    `WITH ins AS (
       INSERT INTO webhook_deliveries (org_id, id, endpoint_id, event_id, event_type, event, next_attempt_at)
       SELECT $1, x.id, x.endpoint_id, x.event_id, x.event_type, x.event::jsonb, $7
         FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[])
              WITH ORDINALITY AS x (id, endpoint_id, event_id, event_type, event, n)
        ORDER BY x.n
       ON CONFLICT (org_id, endpoint_id, event_id) DO NOTHING
       RETURNING id),
     jobs AS (
       SELECT count(*) AS queued FROM graphile_worker.add_jobs(ARRAY(
         SELECT ROW('${DELIVER_TASK}',
                    json_strip_nulls(json_build_object('orgId', $1::text, 'deliveryId', ins.id, 'traceparent', $8::text)),
                    NULL, $7, 5, 'webhook-delivery:' || ins.id, NULL, NULL)::graphile_worker.job_spec
           FROM ins)))
     SELECT ins.id, (SELECT queued FROM jobs) AS queued FROM ins`,
    [
      o.orgId,
      newIds(deliveries.length),
      deliveries.map((d) => d.endpointId),
      deliveries.map((d) => d.eventId),
      deliveries.map((d) => d.type),
      deliveries.map((d) => JSON.stringify(d.event)),
      o.now,
      traceContext().traceparent ?? null, // the delivery's span joins this trace (tracing on)
    ],
  );
  return rows.map((r) => r.id);
}

/** Queues (or moves) the delivery's job to `runAt`. */
export async function queueDelivery(sql: Sql, orgId: string, id: string, runAt: Date): Promise<void> {
  await sql.query(
    `SELECT graphile_worker.add_job('${DELIVER_TASK}',
       json_strip_nulls(json_build_object('orgId', $1::text, 'deliveryId', $2::text, 'traceparent', $4::text)),
       run_at => $3, max_attempts => 5, job_key => 'webhook-delivery:' || $2)`,
    [orgId, id, runAt, traceContext().traceparent ?? null],
  );
}

export async function getDelivery(sql: Sql, id: string, forUpdate = false): Promise<DeliveryRow | null> {
  const { rows } = await sql.query<DeliveryRow>(
    `SELECT * FROM webhook_deliveries WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function listDeliveries(
  sql: Sql,
  q: { endpointId: string; status?: string; beforeId?: string; limit: number },
): Promise<DeliveryRow[]> {
  const { rows } = await sql.query<DeliveryRow>(
    `SELECT * FROM webhook_deliveries
      WHERE endpoint_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR id < $3)
      ORDER BY id DESC LIMIT $4`,
    [q.endpointId, q.status ?? null, q.beforeId ?? null, q.limit + 1],
  );
  return rows;
}

/** The attempts of some deliveries, oldest first; excerpts cut to `excerptChars`. */
export async function attemptsOf(
  sql: Sql,
  deliveryIds: string[],
  excerptChars: number,
): Promise<AttemptRow[]> {
  if (deliveryIds.length === 0) return [];
  const { rows } = await sql.query<AttemptRow>(
    `SELECT delivery_id, attempt, started_at, status_code, latency_ms, left(response_excerpt, $2) AS response_excerpt,
            response_truncated OR length(response_excerpt) > $2 AS response_truncated, error_class, next_attempt_at
       FROM webhook_delivery_attempts WHERE delivery_id = ANY ($1::uuid[]) ORDER BY delivery_id, attempt`,
    [deliveryIds, excerptChars],
  );
  return rows;
}

export async function insertAttempt(
  sql: Sql,
  a: {
    orgId: string;
    id: string;
    deliveryId: string;
    attempt: number;
    startedAt: Date;
    statusCode: number | null;
    latencyMs: number;
    excerpt: string;
    truncated: boolean;
    errorClass: string | null;
    nextAttemptAt: Date | null;
  },
): Promise<void> {
  await sql.query(
    `INSERT INTO webhook_delivery_attempts (org_id, id, delivery_id, attempt, started_at, status_code, latency_ms,
       response_excerpt, response_truncated, error_class, next_attempt_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      a.orgId,
      a.id,
      a.deliveryId,
      a.attempt,
      a.startedAt,
      a.statusCode,
      a.latencyMs,
      a.excerpt,
      a.truncated,
      a.errorClass,
      a.nextAttemptAt,
    ],
  );
}

export async function updateDelivery(
  sql: Sql,
  id: string,
  d: {
    status: DeliveryRow['status'];
    attempts: number;
    roundStart?: number;
    nextAttemptAt: Date | null;
    lastStatusCode: number | null;
    lastErrorClass: string | null;
    deliveredAt: Date | null;
  },
): Promise<DeliveryRow> {
  const { rows } = await sql.query<DeliveryRow>(
    `UPDATE webhook_deliveries SET status = $2, attempts = $3, round_start = coalesce($4, round_start),
       next_attempt_at = $5, last_status_code = $6, last_error_class = $7, delivered_at = coalesce($8, delivered_at)
     WHERE id = $1 RETURNING *`,
    [
      id,
      d.status,
      d.attempts,
      d.roundStart ?? null,
      d.nextAttemptAt,
      d.lastStatusCode,
      d.lastErrorClass,
      d.deliveredAt,
    ],
  );
  return rows[0]!;
}
