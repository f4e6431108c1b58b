// Reading threats (organization or, for super admins, platform scope) and dismissing one.
import { PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { AppError, fieldError } from '../../platform/errors.ts';
import { decodeCursor, type PageOf, toPage } from '../../platform/http/pagination.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { type AuditService, actorOf } from '../audit/service.ts';
import { SECURITY } from './messages.ts';
import type { ThreatDto, ThreatQueryType } from './schemas.ts';
import * as store from './store.ts';

export const toThreatDto = (r: store.ThreatRow): ThreatDto => ({
  id: r.id,
  type: r.type,
  severity: r.severity,
  status: r.status,
  userId: r.user_id,
  ip: r.ip,
  evidence: r.evidence,
  occurrences: r.occurrences,
  detectedAt: r.detected_at.toISOString(),
  lastSeenAt: r.last_seen_at.toISOString(),
  dismissedBy: r.dismissed_by,
  dismissedAt: r.dismissed_at?.toISOString() ?? null,
});

const isCursor = (v: unknown): v is { at: string; id: string } =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { at: unknown }).at === 'string' &&
  !Number.isNaN(Date.parse((v as { at: string }).at)) &&
  typeof (v as { id: unknown }).id === 'string' &&
  /^[0-9a-f-]{36}$/.test((v as { id: string }).id);

/** The transaction scope of a call: its organization, or the platform's (super admins only). */
export function securityScope(
  ctx: CallContext,
  scope: 'organization' | 'platform' | undefined,
): { orgId: string; userId: string } {
  if (scope === 'platform') {
    if (!ctx.principal.isSuperAdmin) throw new AppError('forbidden', SECURITY.platformScope());
    return { orgId: PLATFORM_ORG_ID, userId: ctx.principal.userId };
  }
  return tenantScope(ctx);
}

export class ThreatService {
  private readonly db: Db;
  private readonly audit: AuditService;

  constructor(deps: { db: Db; audit: AuditService }) {
    this.db = deps.db;
    this.audit = deps.audit;
  }

  async list(ctx: CallContext, q: ThreatQueryType): Promise<PageOf<ThreatDto>> {
    const scope = securityScope(ctx, q.scope);
    const from = q.from ? new Date(q.from) : undefined;
    const to = q.to ? new Date(q.to) : undefined;
    if (from && to && to <= from) {
      const msg = SECURITY.fromAfterTo({ from: q.from! });
      throw new AppError('validation-failed', msg, { errors: [fieldError('to', 'after', msg, 'query')] });
    }
    const limit = q.limit ?? 50;
    const cursor = decodeCursor(q.cursor, isCursor);
    const rows = await this.db.transaction(scope, (tx) =>
      store.listThreats(tx, {
        type: q.type,
        severity: q.severity,
        status: q.status,
        userId: q.user,
        from,
        to,
        cursor,
        limit,
      }),
    );
    return toPage(rows, limit, toThreatDto, (r) => ({ at: r.detected_at.toISOString(), id: r.id }));
  }

  async get(ctx: CallContext, id: string, scopeName?: 'organization' | 'platform'): Promise<ThreatDto> {
    const scope = securityScope(ctx, scopeName);
    const row = await this.db.transaction(scope, (tx) => store.getThreat(tx, id));
    if (!row) throw new AppError('not-found', SECURITY.threatNotFound());
    return toThreatDto(row);
  }

  /** Marks a threat dismissed (seen, not acted on); later detections of its key still add to it. */
  async dismiss(ctx: CallContext, id: string, scopeName?: 'organization' | 'platform'): Promise<ThreatDto> {
    const scope = securityScope(ctx, scopeName);
    return this.db.transaction(scope, async (tx) => {
      const before = await store.getThreat(tx, id);
      if (!before) throw new AppError('not-found', SECURITY.threatNotFound());
      if (before.status === 'dismissed') throw new AppError('conflict', SECURITY.alreadyDismissed());
      const row = (await store.dismissThreat(tx, id, ctx.principal.userId))!;
      await this.audit.record(tx, {
        orgId: scope.orgId,
        actor: actorOf(ctx),
        action: 'security.threat_dismiss',
        resourceType: 'security_threat',
        resourceId: id,
        changes: { status: { before: 'open', after: 'dismissed' } },
        metadata: { type: row.type, severity: row.severity },
        meta: ctx.meta,
      });
      return toThreatDto(row);
    });
  }
}
