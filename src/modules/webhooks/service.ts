// Outbound webhooks: org admins register endpoints; every domain event of the organization whose
// type an enabled endpoint subscribes to becomes one delivery (enqueueFor, called by the events
// dispatcher in the event's transaction), sent by a job per delivery, signed per the Standard
// Webhooks spec, retried on a schedule (retry.ts) and logged per attempt. An endpoint that keeps
// failing for days is disabled, and its admins hear of it (the event webhook.endpoint_disabled).
// See docs/webhooks.md.
import { randomBytes } from 'node:crypto';
import type { Config } from '../../config.ts';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import { newId } from '../../platform/db/ids.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { AppError, invalidField, notFound } from '../../platform/errors.ts';
import type { DomainEvent as CommittedEvent } from '../../platform/events/catalogue.ts';
import { decodeCursor, isIdCursor, type PageOf, toPage } from '../../platform/http/pagination.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { BlockedAddressError, hostOf, resolveChecked } from '../../platform/outbound/address-guard.ts';
import { type AttemptResult, send } from '../../platform/outbound/signed-webhook.ts';
import { type AuditService, actorOf, diff, SYSTEM_ACTOR } from '../audit/service.ts';
import { WEBHOOKS } from './messages.ts';
import { DISABLE_AFTER_FAILING_MS, nextAttemptAt } from './retry.ts';
import type { DeliveryAttemptDto, WebhookDeliveryDto, WebhookEndpointDto } from './schemas.ts';
import * as store from './store.ts';

/**
 * A committed domain event (platform/events) as this module reads it: any type name (an endpoint
 * stores the types it subscribes to as text) and without its place in the commit order.
 */
export type DomainEvent = Omit<CommittedEvent, 'type' | 'seq'> & { type: string };

export interface WebhookDeps {
  db: Db;
  box: SecretBox;
  audit: AuditService;
  config: Pick<Config, 'webhookAllowPrivate' | 'webhookTimeoutMs'>;
  /** Injectable for tests: the retry schedule and the failing streak are measured with it. */
  clock?: () => Date;
  random?: () => number;
}

/** Excerpt length in lists; the stored excerpt (64 KB) is answered by GET /webhooks/deliveries/{id}. */
const LIST_EXCERPT_CHARS = 4096;
const CONNECT_TIMEOUT_MS = 5000;

/** A Standard Webhooks secret: whsec_ + base64 of 32 random bytes. */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

const secretContext = (orgId: string, endpointId: string) => `webhook:${orgId}:${endpointId}`;

function endpointDto(e: store.EndpointRow): WebhookEndpointDto {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: e.event_types,
    enabled: e.enabled,
    disabledReason: e.disabled_reason,
    failingSince: e.failing_since?.toISOString() ?? null,
    createdAt: e.created_at.toISOString(),
    updatedAt: e.updated_at.toISOString(),
    version: e.version,
  };
}

function attemptDto(a: store.AttemptRow): DeliveryAttemptDto {
  return {
    attempt: a.attempt,
    startedAt: a.started_at.toISOString(),
    statusCode: a.status_code,
    latencyMs: a.latency_ms,
    responseExcerpt: a.response_excerpt,
    responseTruncated: a.response_truncated,
    errorClass: a.error_class,
    nextAttemptAt: a.next_attempt_at?.toISOString() ?? null,
  };
}

function deliveryDto(d: store.DeliveryRow, attempts: store.AttemptRow[]): WebhookDeliveryDto {
  return {
    id: d.id,
    endpointId: d.endpoint_id,
    eventId: d.event_id,
    eventType: d.event_type,
    status: d.status,
    attemptCount: d.attempts,
    nextAttemptAt: d.next_attempt_at?.toISOString() ?? null,
    lastStatusCode: d.last_status_code,
    lastErrorClass: d.last_error_class,
    deliveredAt: d.delivered_at?.toISOString() ?? null,
    createdAt: d.created_at.toISOString(),
    updatedAt: d.updated_at.toISOString(),
    attempts: attempts.filter((a) => a.delivery_id === d.id).map(attemptDto),
  };
}

/** The request body of a delivery: the Standard Webhooks payload shape `{ type, timestamp, data }`. */
export function webhookBody(event: DomainEvent): string {
  return JSON.stringify({ type: event.type, timestamp: event.occurredAt, data: event.payload });
}

const ENDPOINT_FIELDS = ['url', 'description', 'events', 'enabled'] as const;

export class WebhookService {
  private readonly d: WebhookDeps;
  private readonly clock: () => Date;
  private readonly random: () => number;

  constructor(deps: WebhookDeps) {
    this.d = deps;
    this.clock = deps.clock ?? (() => new Date());
    this.random = deps.random ?? Math.random;
  }

  /** Refuses a URL BUL must not call: not http(s), credentials in it, or a non-public host. */
  private async checkUrl(text: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw invalidField('url', 'url', WEBHOOKS.badUrl());
    }
    if (
      (url.protocol !== 'https:' && url.protocol !== 'http:') ||
      url.username ||
      url.password ||
      !url.hostname
    )
      throw invalidField('url', 'url', WEBHOOKS.badUrl());
    if (!this.d.config.webhookAllowPrivate) {
      const host = hostOf(url);
      try {
        await resolveChecked(host, false);
      } catch (err) {
        if (err instanceof BlockedAddressError)
          throw invalidField('url', 'publicAddress', WEBHOOKS.privateAddress({ host, address: err.address }));
        throw invalidField('url', 'resolvable', WEBHOOKS.hostNotFound({ host }));
      }
    }
    return url.toString();
  }

  async createEndpoint(
    ctx: CallContext,
    body: { url: string; events: string[]; description?: string },
  ): Promise<WebhookEndpointDto & { secret: string }> {
    const s = tenantScope(ctx);
    const url = await this.checkUrl(body.url);
    const id = newId();
    const secret = newSecret();
    const row = await this.d.db.transaction(s, async (tx) => {
      const inserted = await store.insertEndpoint(tx, {
        orgId: s.orgId,
        id,
        url,
        description: body.description ?? '',
        events: [...body.events].sort(),
        secretSealed: this.d.box.seal(secret, secretContext(s.orgId, id)),
      });
      await this.d.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'webhook_endpoint.create',
        resourceType: 'webhook_endpoint',
        resourceId: id,
        changes: diff(null, endpointDto(inserted), ENDPOINT_FIELDS),
        meta: ctx.meta,
      });
      return inserted;
    });
    return { ...endpointDto(row), secret };
  }

  async listEndpoints(
    ctx: CallContext,
    q: { limit?: number; cursor?: string },
  ): Promise<PageOf<WebhookEndpointDto>> {
    const limit = q.limit ?? 50;
    const cursor = decodeCursor(q.cursor, isIdCursor);
    const rows = await this.d.db.transaction(tenantScope(ctx), (tx) =>
      store.listEndpoints(tx, { afterId: cursor?.id, limit }),
    );
    return toPage(rows, limit, endpointDto, (r) => ({ id: r.id }));
  }

  async getEndpoint(ctx: CallContext, id: string): Promise<WebhookEndpointDto> {
    const row = await this.d.db.transaction(tenantScope(ctx), (tx) => store.getEndpoint(tx, id));
    if (!row) throw notFound('webhookEndpoint');
    return endpointDto(row);
  }

  async updateEndpoint(
    ctx: CallContext,
    id: string,
    body: { url?: string; events?: string[]; description?: string; enabled?: boolean },
    expectedVersion?: number,
  ): Promise<WebhookEndpointDto> {
    const s = tenantScope(ctx);
    const url = body.url === undefined ? undefined : await this.checkUrl(body.url);
    const row = await this.d.db.transaction(s, async (tx) => {
      const before = await store.getEndpoint(tx, id, true);
      if (!before) throw notFound('webhookEndpoint');
      assertVersion(before.version, expectedVersion, 'webhookEndpoint');
      const enabled = body.enabled ?? before.enabled;
      const reenabled = enabled && !before.enabled;
      const after = await store.updateEndpoint(tx, id, {
        url: url ?? before.url,
        description: body.description ?? before.description,
        events: body.events ? [...body.events].sort() : before.event_types,
        enabled,
        disabledReason: enabled ? null : before.enabled ? 'manual' : before.disabled_reason,
        // Enabled again: the failing streak starts afresh.
        failingSince: reenabled ? null : before.failing_since,
      });
      await this.d.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'webhook_endpoint.update',
        resourceType: 'webhook_endpoint',
        resourceId: id,
        changes: diff(endpointDto(before), endpointDto(after), ENDPOINT_FIELDS),
        meta: ctx.meta,
      });
      return after;
    });
    return endpointDto(row);
  }

  async deleteEndpoint(ctx: CallContext, id: string): Promise<void> {
    const s = tenantScope(ctx);
    await this.d.db.transaction(s, async (tx) => {
      const before = await store.getEndpoint(tx, id, true);
      if (!before) throw notFound('webhookEndpoint');
      // Its deliveries and attempts go with it (ON DELETE CASCADE); queued jobs find nothing.
      await store.deleteEndpoint(tx, id);
      await this.d.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'webhook_endpoint.delete',
        resourceType: 'webhook_endpoint',
        resourceId: id,
        changes: diff(endpointDto(before), null, ENDPOINT_FIELDS),
        meta: ctx.meta,
      });
    });
  }

  async rotateSecret(ctx: CallContext, id: string): Promise<{ secret: string }> {
    const s = tenantScope(ctx);
    const secret = newSecret();
    await this.d.db.transaction(s, async (tx) => {
      const before = await store.getEndpoint(tx, id, true);
      if (!before) throw notFound('webhookEndpoint');
      await store.setEndpointSecret(tx, id, this.d.box.seal(secret, secretContext(s.orgId, id)));
      await this.d.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'webhook_endpoint.rotate_secret',
        resourceType: 'webhook_endpoint',
        resourceId: id,
        meta: ctx.meta,
      });
    });
    return { secret };
  }

  async listDeliveries(
    ctx: CallContext,
    endpointId: string,
    q: { status?: string; limit?: number; cursor?: string },
  ): Promise<PageOf<WebhookDeliveryDto>> {
    const limit = q.limit ?? 50;
    const cursor = decodeCursor(q.cursor, isIdCursor);
    // One snapshot: an attempt and its delivery's new status are committed together, and a page
    // must not show the attempt beside the old status.
    return this.d.db.snapshot(tenantScope(ctx), async (tx) => {
      if (!(await store.getEndpoint(tx, endpointId))) throw notFound('webhookEndpoint');
      const rows = await store.listDeliveries(tx, {
        endpointId,
        status: q.status,
        beforeId: cursor?.id,
        limit,
      });
      const attempts = await store.attemptsOf(
        tx,
        rows.slice(0, limit).map((r) => r.id),
        LIST_EXCERPT_CHARS,
      );
      return toPage(
        rows,
        limit,
        (r) => deliveryDto(r, attempts),
        (r) => ({ id: r.id }),
      );
    });
  }

  async getDelivery(ctx: CallContext, id: string): Promise<WebhookDeliveryDto> {
    return this.d.db.snapshot(tenantScope(ctx), async (tx) => {
      const row = await store.getDelivery(tx, id);
      if (!row) throw notFound('webhookDelivery');
      return deliveryDto(row, await store.attemptsOf(tx, [id], 1024 * 1024));
    });
  }

  /** Sends a delivery again now, starting a new round of retries. */
  async resend(ctx: CallContext, id: string): Promise<WebhookDeliveryDto> {
    const s = tenantScope(ctx);
    const now = this.clock();
    return this.d.db.transaction(s, async (tx) => {
      const d = await store.getDelivery(tx, id, true);
      if (!d) throw notFound('webhookDelivery');
      const endpoint = await store.getEndpoint(tx, d.endpoint_id);
      if (!endpoint?.enabled) throw new AppError('conflict', WEBHOOKS.deliveryNotResendable());
      const row = await store.updateDelivery(tx, id, {
        status: 'pending',
        attempts: d.attempts,
        roundStart: d.attempts,
        nextAttemptAt: now,
        lastStatusCode: d.last_status_code,
        lastErrorClass: d.last_error_class,
        deliveredAt: null,
      });
      await store.queueDelivery(tx, s.orgId, id, now);
      await this.d.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'webhook_delivery.resend',
        resourceType: 'webhook_delivery',
        resourceId: id,
        metadata: { endpointId: d.endpoint_id, eventId: d.event_id, eventType: d.event_type },
        meta: ctx.meta,
      });
      return deliveryDto(row, await store.attemptsOf(tx, [id], LIST_EXCERPT_CHARS));
    });
  }

  /**
   * The events dispatcher's handler: one delivery (and its job) per enabled endpoint of the
   * event's organization subscribed to its type, in the dispatcher's transaction `tx` (tenant
   * context of the event's organization). Idempotent by (endpoint, event id). Returns the
   * deliveries made.
   */
  async enqueueFor(tx: Sql, event: DomainEvent): Promise<string[]> {
    return this.enqueueForEvents(tx, [event]);
  }

  /**
   * The same for several events of one organization at once (the dispatcher's batch): the
   * endpoints read once, every delivery and job written in one statement.
   */
  async enqueueForEvents(tx: Sql, events: readonly DomainEvent[]): Promise<string[]> {
    if (events.length === 0) return [];
    const orgId = events[0]!.orgId;
    const endpoints = await store.enabledEndpoints(tx, orgId);
    const deliveries = events.flatMap((event) =>
      endpoints
        .filter((e) => e.event_types.includes(event.type))
        .map((e) => ({ endpointId: e.id, eventId: event.id, type: event.type, event })),
    );
    return store.insertDeliveries(tx, { orgId, now: this.clock() }, deliveries, (n) =>
      Array.from({ length: n }, newId),
    );
  }

  /**
   * One attempt of a delivery (the job `webhooks:deliver`). The HTTP call runs outside any
   * transaction; its outcome, the next attempt and the endpoint's failing streak are written after.
   */
  async deliver(orgId: string, deliveryId: string): Promise<void> {
    const scope = { orgId, userId: null };
    const loaded = await this.d.db.transaction(scope, async (tx) => {
      const d = await store.getDelivery(tx, deliveryId);
      if (!d || d.status !== 'pending') return null;
      const endpoint = await store.getEndpoint(tx, d.endpoint_id);
      return endpoint ? { d, endpoint } : null;
    });
    if (!loaded) return; // deleted with its endpoint, or already settled
    const { d, endpoint } = loaded;
    const startedAt = this.clock();
    const result: AttemptResult = endpoint.enabled
      ? await send({
          url: endpoint.url,
          secret: this.d.box.open(endpoint.secret_sealed, secretContext(orgId, endpoint.id)).toString(),
          message: {
            id: d.event_id,
            timestamp: Math.floor(startedAt.getTime() / 1000),
            body: webhookBody(d.event as unknown as DomainEvent),
          },
          allowPrivate: this.d.config.webhookAllowPrivate,
          connectTimeoutMs: Math.min(CONNECT_TIMEOUT_MS, this.d.config.webhookTimeoutMs),
          totalTimeoutMs: this.d.config.webhookTimeoutMs,
        })
      : { ok: false, statusCode: null, latencyMs: 0, excerpt: '', truncated: false, errorClass: null };

    await this.d.db.transaction(scope, async (tx) => {
      const current = await store.getDelivery(tx, deliveryId, true);
      if (!current || current.status !== 'pending') return;
      const attempt = current.attempts + 1;
      const now = this.clock();
      if (!endpoint.enabled) {
        // Disabled since it was queued: the delivery stops here (a resend after enabling sends it).
        await store.updateDelivery(tx, deliveryId, {
          status: 'failed',
          attempts: current.attempts,
          nextAttemptAt: null,
          lastStatusCode: current.last_status_code,
          lastErrorClass: 'endpoint_disabled',
          deliveredAt: null,
        });
        return;
      }
      const next = result.ok ? null : nextAttemptAt(now, attempt - current.round_start, this.random);
      await store.insertAttempt(tx, {
        orgId,
        id: newId(),
        deliveryId,
        attempt,
        startedAt,
        statusCode: result.statusCode,
        latencyMs: result.latencyMs,
        excerpt: result.excerpt.replaceAll('\u0000', ''),
        truncated: result.truncated,
        errorClass: result.errorClass,
        nextAttemptAt: next,
      });
      await store.updateDelivery(tx, deliveryId, {
        status: result.ok ? 'succeeded' : next ? 'pending' : 'failed',
        attempts: attempt,
        nextAttemptAt: next,
        lastStatusCode: result.statusCode,
        lastErrorClass: result.errorClass,
        deliveredAt: result.ok ? now : null,
      });
      if (next) await store.queueDelivery(tx, orgId, deliveryId, next);
      if (result.ok) {
        await store.markEndpointHealthy(tx, endpoint.id);
        return;
      }
      const failingSince = await store.markEndpointFailing(tx, endpoint.id, startedAt);
      if (failingSince && now.getTime() - failingSince.getTime() >= DISABLE_AFTER_FAILING_MS)
        await this.disableFailing(tx, orgId, endpoint, failingSince);
    });
  }

  /**
   * Disables an endpoint that has failed for days, and tells its organization's admins: the audit
   * event and the domain event `webhook.endpoint_disabled` go out in the transaction of the
   * disable, so admins' realtime clients (and the notifications to come) hear of it exactly when
   * it happened. Not a loop: the event is emitted once per transition from enabled to disabled,
   * never by a delivery, and the endpoint just disabled gets no delivery of it (docs/webhooks.md).
   */
  private async disableFailing(tx: Sql, orgId: string, endpoint: store.EndpointRow, failingSince: Date) {
    if (!(await store.disableFailingEndpoint(tx, endpoint.id))) return;
    const reason = 'failing';
    await this.d.audit.record(tx, {
      orgId,
      actor: SYSTEM_ACTOR,
      action: 'webhook_endpoint.disable',
      resourceType: 'webhook_endpoint',
      resourceId: endpoint.id,
      changes: { enabled: { before: true, after: false } },
      metadata: { reason, failingSince: failingSince.toISOString() },
      events: [
        {
          type: 'webhook.endpoint_disabled',
          payload: { id: endpoint.id, url: endpoint.url, reason, failingSince: failingSince.toISOString() },
        },
      ],
    });
  }
}
