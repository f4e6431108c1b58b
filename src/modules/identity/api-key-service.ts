// Scoped API keys for machines. A key acts as the member who created it, limited to its scopes:
// what it may do is the intersection of its scopes and that member's current permissions, so a
// demoted or removed member's keys lose their power at once. The secret is shown once and stored
// as a SHA-256 digest; lookups go by digest.

import { digestToken, randomToken } from '../../platform/crypto/tokens.ts';
import { newId } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { AppError, invalidField, notFound } from '../../platform/errors.ts';
import { decodeCursor, isIdCursor, type PageOf, toPage } from '../../platform/http/pagination.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { assertGrantable } from '../access/service.ts';
import { type AuditService, actorOf } from '../audit/service.ts';
import { IDENTITY } from './messages.ts';
import type { ApiKeyDto } from './schemas.ts';
import * as store from './store.ts';

/** Every API key starts with this, which is how the authenticator tells keys from JWTs. */
export const API_KEY_PREFIX = 'bul';

function toDto(k: store.ApiKeyRow): ApiKeyDto {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    userId: k.user_id,
    scopes: k.scopes,
    expiresAt: k.expires_at?.toISOString() ?? null,
    lastUsedAt: k.last_used_at?.toISOString() ?? null,
    lastUsedIp: k.last_used_ip,
    revokedAt: k.revoked_at?.toISOString() ?? null,
    createdAt: k.created_at.toISOString(),
    updatedAt: k.updated_at.toISOString(),
    version: k.version,
  };
}

export class ApiKeyService {
  private readonly db: Db;
  private readonly audit: AuditService;

  constructor(db: Db, audit: AuditService) {
    this.db = db;
    this.audit = audit;
  }

  async create(ctx: CallContext, body: { name: string; scopes: string[]; expiresAt?: string | null }) {
    const s = tenantScope(ctx);
    if (ctx.principal.kind === 'api_key') throw new AppError('forbidden', IDENTITY.apiKeyCannotCreateKeys());
    assertGrantable(body.scopes, ctx.principal, 'scopes');
    const expiresAt = body.expiresAt ? new Date(body.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now())
      throw invalidField('expiresAt', 'future', IDENTITY.mustBeFuture());
    const secret = randomToken(API_KEY_PREFIX, 32);
    const row = await this.db.transaction(s, async (tx) => {
      const inserted = await store.insertApiKey(tx, {
        orgId: s.orgId,
        id: newId(),
        userId: s.userId,
        name: body.name,
        prefix: secret.slice(0, 12),
        keyHash: digestToken(secret),
        scopes: [...body.scopes].sort(),
        expiresAt,
      });
      await this.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'api_key.create',
        resourceType: 'api_key',
        resourceId: inserted.id,
        metadata: { name: inserted.name, scopes: inserted.scopes, expiresAt: inserted.expires_at },
        meta: ctx.meta,
      });
      return inserted;
    });
    return { ...toDto(row), key: secret };
  }

  async list(
    ctx: CallContext,
    q: { mine?: boolean; limit?: number; cursor?: string },
  ): Promise<PageOf<ApiKeyDto>> {
    const s = tenantScope(ctx);
    const limit = q.limit ?? 50;
    const cursor = decodeCursor(q.cursor, isIdCursor);
    const rows = await this.db.transaction(s, (tx) =>
      store.listApiKeys(tx, { userId: q.mine ? s.userId : undefined, afterId: cursor?.id, limit }),
    );
    return toPage(rows, limit, toDto, (r) => ({ id: r.id }));
  }

  async revoke(ctx: CallContext, id: string): Promise<void> {
    const s = tenantScope(ctx);
    await this.db.transaction(s, async (tx) => {
      const key = await store.getApiKey(tx, id);
      if (!key) throw notFound('apiKey');
      if (key.revoked_at) throw new AppError('conflict', IDENTITY.keyAlreadyRevoked());
      await store.revokeApiKey(tx, id);
      await this.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'api_key.revoke',
        resourceType: 'api_key',
        resourceId: id,
        metadata: { name: key.name },
        meta: ctx.meta,
      });
    });
  }
}
