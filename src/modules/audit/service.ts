// The audit trail: every write and every authentication event records one event in the same
// transaction as the change it describes. Other modules call `record` with their transaction.
// Events are linked into their organization's hash chain after they commit (AuditSealer, and
// `seal` before every read of a chain); see migration 0006.
import type pg from 'pg';
import { newId, PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import { streamRows } from '../../platform/db/query-stream.ts';
import type { Db, NamedStatement, Sql } from '../../platform/db/transaction.ts';
import { AppError, fieldError } from '../../platform/errors.ts';
import type { EventInput } from '../../platform/events/catalogue.ts';
import { eventsParam, wakeAfterCommit } from '../../platform/events/outbox.ts';
import type { ExportColumn, ExportFormat, ExportSource } from '../../platform/export/send-export.ts';
import { decodeCursor, type PageOf, toPage } from '../../platform/http/pagination.ts';
import { type CallContext, type RequestMeta, tenantScope } from '../../platform/http/request-context.ts';
import type { AuditAction } from './actions.ts';
import { AUDIT } from './messages.ts';
import type { AuditEventDto, AuditSearchQueryType } from './schemas.ts';
import * as store from './store.ts';

export interface AuditActor {
  type: 'user' | 'api_key' | 'system' | 'anonymous';
  id: string | null;
  label: string | null;
}

export interface AuditEventInput {
  /** null: the platform chain (events with no organization, e.g. a failed login for an unknown e-mail). */
  orgId: string | null;
  actor: AuditActor;
  action: AuditAction;
  /** The domain events of the change (catalogue: platform/events/catalogue.ts), emitted with it. */
  events?: readonly EventInput[];
  outcome?: 'success' | 'failure';
  resourceType?: string;
  resourceId?: string;
  changes?: Changes | null;
  metadata?: Record<string, unknown>;
  meta?: RequestMeta | null;
}

export type Changes = Record<string, { before: unknown; after: unknown }>;

/** What a mutation says about its change; the organization, actor and request come from the caller. */
export type ChangeRecord = Omit<AuditEventInput, 'orgId' | 'actor' | 'meta'>;

/** Records a change's audit event and domain events in the transaction of `AuditService.change`. */
export type RecordChange = (e: ChangeRecord) => Promise<void>;

/** Who a change acts for, and the one-statement write path, in the transaction of `AuditService.change`. */
export interface ChangeScope {
  orgId: string;
  userId: string;
  /**
   * `AuditService.recordWith` in the change's transaction, with the caller's organization, actor
   * and request filled in: one write of exactly one row and its audit event in one statement.
   */
  recordWith<R>(write: NamedStatement, e: ChangeRecord, createdFields?: readonly string[]): Promise<R[]>;
}

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: null, label: 'system' };

export function actorOf(ctx: CallContext): AuditActor {
  const p = ctx.principal;
  return p.kind === 'api_key'
    ? { type: 'api_key', id: p.apiKeyId, label: p.email }
    : { type: 'user', id: p.userId, label: p.email };
}

/** Fields whose values differ between two snapshots, as {field: {before, after}}. */
export function diff<T extends object>(
  before: T | null,
  after: T | null,
  fields: readonly (keyof T & string)[],
): Changes | null {
  const changes: Changes = {};
  for (const field of fields) {
    const b = before ? (before[field] as unknown) : null;
    const a = after ? (after[field] as unknown) : null;
    if (JSON.stringify(b) !== JSON.stringify(a)) changes[field] = { before: b ?? null, after: a ?? null };
  }
  return Object.keys(changes).length > 0 ? changes : null;
}

function eventRow(e: AuditEventInput): store.NewAuditRow {
  return {
    orgId: e.orgId ?? PLATFORM_ORG_ID,
    id: newId(),
    actorType: e.actor.type,
    actorId: e.actor.id,
    actorLabel: e.actor.label,
    action: e.action,
    outcome: e.outcome ?? 'success',
    resourceType: e.resourceType ?? null,
    resourceId: e.resourceId ?? null,
    changes: e.changes ?? null,
    metadata: e.metadata ?? null,
    ip: e.meta?.ip ?? null,
    userAgent: e.meta?.userAgent ?? null,
    requestId: e.meta?.requestId ?? null,
  };
}

/** The outbox part of an audit event: its domain events, with the actor as events name it. */
function outboxOf(e: AuditEventInput): store.OutboxEvents | undefined {
  if (!e.events || e.events.length === 0) return undefined;
  return { actorType: e.actor.type === 'anonymous' ? 'system' : e.actor.type, events: eventsParam(e.events) };
}

export function toDto(r: store.AuditRow): AuditEventDto {
  return {
    id: r.id,
    seq: r.seq,
    createdAt: r.created_at.toISOString(),
    actor: { type: r.actor_type, id: r.actor_id, label: r.actor_label },
    action: r.action,
    outcome: r.outcome,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    changes: r.changes,
    metadata: r.metadata,
    ip: r.ip,
    userAgent: r.user_agent,
    requestId: r.request_id,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

const isSeqCursor = (v: unknown): v is { seq: number } =>
  typeof v === 'object' && v !== null && Number.isInteger((v as { seq: unknown }).seq);

/** Where an export goes: the HTTP layer's writer for the chosen format. */
export interface AuditExportSink {
  format: ExportFormat;
  send(source: ExportSource): Promise<unknown>;
}

/** The columns of an audit export, in order. */
export const AUDIT_EXPORT_COLUMNS: ExportColumn[] = [
  'seq',
  'id',
  'createdAt',
  'actorType',
  'actorId',
  'actor',
  'action',
  'outcome',
  'resourceType',
  'resourceId',
  'changes',
  'metadata',
  'ip',
  'userAgent',
  'requestId',
  'prevHash',
  'hash',
].map(
  (key): ExportColumn =>
    key === 'createdAt' ? { key, header: key, type: 'timestamp' } : { key, header: key },
);

async function* exportRows(rows: AsyncIterable<store.AuditRow>): AsyncGenerator<Record<string, unknown>> {
  for await (const r of rows) {
    const e = toDto(r);
    yield {
      seq: e.seq,
      id: e.id,
      createdAt: e.createdAt,
      actorType: e.actor.type,
      actorId: e.actor.id,
      actor: e.actor.label,
      action: e.action,
      outcome: e.outcome,
      resourceType: e.resourceType,
      resourceId: e.resourceId,
      changes: e.changes === null ? null : JSON.stringify(e.changes),
      metadata: e.metadata === null ? null : JSON.stringify(e.metadata),
      ip: e.ip,
      userAgent: e.userAgent,
      requestId: e.requestId,
      prevHash: e.prevHash,
      hash: e.hash,
    };
  }
}

/** The store filter of the search parameters (dates checked: start before end). */
function searchFilter(orgId: string, q: Omit<AuditSearchQueryType, 'limit' | 'cursor'>) {
  const start = q.start_date ? new Date(q.start_date) : undefined;
  const end = q.end_date ? new Date(q.end_date) : undefined;
  if (start && end && start >= end) {
    throw new AppError('validation-failed', AUDIT.startAfterEnd(), {
      errors: [fieldError('end_date', 'after', AUDIT.afterStart(), 'query')],
    });
  }
  return {
    orgId,
    actorId: q.user_id,
    ...(q.action?.endsWith('*') ? { actionPrefix: q.action.slice(0, -1) } : { action: q.action }),
    resourceType: q.resource_type,
    resourceId: q.resource_id,
    outcome: q.outcome,
    start,
    end,
  };
}

export class AuditService {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  /**
   * Writes one event, and the change's domain events (`e.events`, the outbox), inside the caller's
   * transaction: the one call a mutation makes after its write.
   */
  async record(tx: Sql, e: AuditEventInput): Promise<void> {
    const row = eventRow(e);
    const out = outboxOf(e);
    await store.insertEvent(tx, row, out);
    if (out) wakeAfterCommit(tx, row.orgId);
  }

  /**
   * Runs one write that changes exactly one row (`... RETURNING`) and records its event in the
   * same statement (one round trip fewer); see store.writeWithEvent. With `createdFields`, the
   * event's changes are those fields of the stored row as a creation, as `diff(null, row, fields)`
   * would give. Returns the write's rows.
   */
  recordWith<R>(
    tx: Sql,
    write: NamedStatement,
    e: AuditEventInput,
    createdFields?: readonly string[],
  ): Promise<R[]> {
    const row = eventRow(e);
    const out = outboxOf(e);
    if (out) wakeAfterCommit(tx, row.orgId);
    return store.writeWithEvent<R>(tx, write, row, createdFields, out);
  }

  /**
   * The one shape of a mutation by a caller: a tenant transaction acting for them (`app.org_id`,
   * `app.user_id`), in which `record` writes the change's audit event and its domain events with
   * the caller's organization, actor and request filled in. The third argument says whom the
   * change acts for and offers `recordWith`, the same filled in for a write and its event in one
   * statement (see `recordWith` above). Nothing is emitted unless it commits.
   */
  change<T>(
    ctx: CallContext,
    work: (tx: pg.PoolClient, record: RecordChange, scope: ChangeScope) => Promise<T>,
  ): Promise<T> {
    const scope = tenantScope(ctx);
    const actor = actorOf(ctx);
    const filled = (e: ChangeRecord): AuditEventInput => ({
      ...e,
      orgId: scope.orgId,
      actor,
      meta: ctx.meta,
    });
    return this.db.transaction(scope, (tx) =>
      work(tx, (e) => this.record(tx, filled(e)), {
        orgId: scope.orgId,
        userId: ctx.principal.userId,
        recordWith: (write, e, createdFields) => this.recordWith(tx, write, filled(e), createdFields),
      }),
    );
  }

  /** Records an event in a transaction of its own (events not tied to another write). */
  recordAlone(e: AuditEventInput, userId: string | null = null): Promise<void> {
    return this.db.transaction({ orgId: e.orgId, userId }, (tx) => this.record(tx, e));
  }

  /**
   * Records that the caller starts an export of a list (`resource`: clients, tasks, audit, ...):
   * one audit event and one `data.exported` event per export, in a short transaction of its own
   * before the first row (the export's own transaction streams for as long as the download takes).
   * Threat detection counts these (mass export). Returns the export's id.
   */
  async recordExport(
    ctx: CallContext,
    e: { resource: string; format: ExportFormat; filters: object },
  ): Promise<string> {
    const id = newId();
    // Only the filters given (validation leaves absent ones out, but a caller may pass undefined).
    const filters = Object.fromEntries(Object.entries(e.filters).filter(([, v]) => v !== undefined));
    await this.change(ctx, (_tx, record) =>
      record({
        action: 'data.export',
        resourceType: 'export',
        resourceId: id,
        metadata: { resource: e.resource, format: e.format, filters },
        events: [{ type: 'data.exported', payload: { id, resource: e.resource, format: e.format, filters } }],
      }),
    );
    return id;
  }

  /**
   * Links the organization's committed events into its chain before it is read (the background
   * sealer, AuditSealer, does it for every organization a few times a second anyway).
   */
  seal(orgId: string): Promise<number> {
    return store.sealEvents(this.db.pool, orgId);
  }

  /**
   * Searches the organization's events, or the platform chain when `platform` is set (super admins).
   */
  async search(ctx: CallContext, q: AuditSearchQueryType, platform = false): Promise<PageOf<AuditEventDto>> {
    const orgId = platform ? PLATFORM_ORG_ID : ctx.principal.org?.id;
    if (!orgId) throw new AppError('forbidden', AUDIT.noOrganization());
    const cursor = decodeCursor(q.cursor, isSeqCursor);
    const limit = q.limit ?? 50;
    await this.seal(orgId);
    const rows = await this.db.transaction({ orgId, userId: ctx.principal.userId }, (tx) =>
      store.searchEvents(tx, { ...searchFilter(orgId, q), beforeSeq: cursor?.seq, limit }),
    );
    return toPage(rows, limit, toDto, (r) => ({ seq: r.seq }));
  }

  /**
   * Streams every event of the organization matching the search filters, oldest first, to the
   * export writer (CSV, XLSX or JSON) inside one transaction.
   */
  async exportEvents(
    ctx: CallContext,
    q: Omit<AuditSearchQueryType, 'limit' | 'cursor'>,
    sink: AuditExportSink,
  ) {
    const orgId = ctx.principal.org?.id;
    if (!orgId) throw new AppError('forbidden', AUDIT.noOrganization());
    const { text, values } = store.exportEventsQuery(searchFilter(orgId, q));
    await this.recordExport(ctx, { resource: 'audit', format: sink.format, filters: q });
    await this.seal(orgId);
    return this.db.transaction({ orgId, userId: ctx.principal.userId }, (tx) =>
      sink.send({ rows: exportRows(streamRows<store.AuditRow>(tx, text, values)) }),
    );
  }

  async integrity(ctx: CallContext) {
    const orgId = ctx.principal.org?.id;
    if (!orgId) throw new AppError('forbidden', AUDIT.noOrganization());
    await this.seal(orgId);
    const r = await this.db.transaction({ orgId, userId: ctx.principal.userId }, (tx) =>
      store.verifyCurrentChain(tx),
    );
    return { ok: r.ok, checked: r.checked, badSeq: r.bad_seq, badEventId: r.bad_id, problem: r.problem };
  }
}

/** Links an organization's pending events into its chain on any connection (e.g. the demo seeder's). */
export function sealChain(sql: Sql, orgId: string): Promise<number> {
  return store.sealEvents(sql, orgId);
}

/** For `bul audit verify`, on the owner connection: checks one organization or every chain. */
export async function verifyChains(
  owner: Sql,
  orgId?: string,
): Promise<{ orgId: string; result: store.IntegrityRow }[]> {
  const ids = orgId ? [orgId] : await store.chainOrgIds(owner);
  const out = [];
  for (const id of ids) {
    await store.sealEvents(owner, id);
    out.push({ orgId: id, result: await store.verifyChain(owner, id) });
  }
  return out;
}
