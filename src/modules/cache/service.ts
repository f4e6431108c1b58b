// The cache module's service: the process's cache figures, and invalidation by tag for super
// admins (the cache itself is src/platform/cache; docs/cache.md).
import type { Cache } from '../../platform/cache/cache.ts';
import { cacheTag, PLATFORM } from '../../platform/cache/keys.ts';
import { PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { AppError, invalidField } from '../../platform/errors.ts';
import type { CallContext } from '../../platform/http/request-context.ts';
import { PROCESS_NAME } from '../../platform/jobs/tick-loop.ts';
import { type AuditService, actorOf } from '../audit/service.ts';
import { CACHE } from './messages.ts';
import type { CacheMetricsDto, InvalidateBodyType, InvalidatedDto } from './schemas.ts';

const rate = (hits: number, reads: number) => (reads > 0 ? Math.round((10_000 * hits) / reads) / 100 : null);
const ms = (s: number) => Math.round(s * 1e6) / 1000;

export class CacheService {
  /** The process's cache (what the monitoring sampler and tests read). */
  readonly cache: Cache;
  private readonly maxBytes: number;
  private readonly db: Db;
  private readonly audit: AuditService;

  constructor(deps: { cache: Cache; maxBytes: number; db: Db; audit: AuditService }) {
    this.cache = deps.cache;
    this.maxBytes = deps.maxBytes;
    this.db = deps.db;
    this.audit = deps.audit;
  }

  async metrics(): Promise<CacheMetricsDto> {
    const { entries, bytes } = await this.cache.store.size().catch(() => ({ entries: 0, bytes: 0 }));
    const families = this.cache
      .stats()
      .map((f) => {
        const reads = f.hits + f.stale + f.misses;
        return {
          family: f.family,
          reads,
          hits: f.hits,
          stale: f.stale,
          misses: f.misses,
          hitRatePct: rate(f.hits + f.stale, reads),
          loads: f.loads,
          loadErrors: f.loadErrors,
          loadAvgMs: f.loads > 0 ? ms(f.loadSecondsTotal / f.loads) : null,
          loadMaxMs: ms(f.loadSecondsMax),
          breaker: f.breaker,
        };
      })
      .sort((a, b) => a.family.localeCompare(b.family));
    const sum = (k: 'reads' | 'hits' | 'stale' | 'misses' | 'loads' | 'loadErrors') =>
      families.reduce((n, f) => n + f[k], 0);
    const loads = sum('loads');
    const loadSeconds = this.cache.stats().reduce((n, f) => n + f.loadSecondsTotal, 0);
    return {
      store: this.cache.enabled ? this.cache.store.kind : 'off',
      process: PROCESS_NAME,
      entries,
      bytes,
      maxBytes: this.cache.store.kind === 'memory' ? this.maxBytes : null,
      reads: sum('reads'),
      hits: sum('hits'),
      stale: sum('stale'),
      misses: sum('misses'),
      hitRatePct: rate(sum('hits') + sum('stale'), sum('reads')),
      loads,
      loadErrors: sum('loadErrors'),
      loadAvgMs: loads > 0 ? ms(loadSeconds / loads) : null,
      loadMaxMs: families.reduce((n, f) => Math.max(n, f.loadMaxMs), 0),
      families,
    };
  }

  /** Drops the entries of one tag of one organization, or of the platform, in every process. */
  /** Audited in the platform's trail; an organization that does not exist is a 404. */
  async invalidate(ctx: CallContext, body: InvalidateBodyType): Promise<InvalidatedDto> {
    const platform = body.platform === true;
    if (platform === (body.organizationId !== undefined))
      throw invalidField(body.organizationId ? 'platform' : 'organizationId', 'oneOf', CACHE.oneScopeField());
    const scope = body.organizationId ? { orgId: body.organizationId } : PLATFORM;
    await this.db.transaction({ orgId: PLATFORM_ORG_ID, userId: ctx.principal.userId }, async (tx) => {
      if (body.organizationId) {
        const { rows } = await tx.query('SELECT 1 FROM bul_platform_organizations() o WHERE o.id = $1', [
          body.organizationId,
        ]);
        if (rows.length === 0) throw new AppError('not-found', CACHE.noSuchOrganization());
      }
      await this.audit.record(tx, {
        orgId: PLATFORM_ORG_ID,
        actor: actorOf(ctx),
        action: 'cache.invalidate',
        resourceType: 'cache',
        resourceId: body.organizationId ?? 'platform',
        metadata: { tag: body.tag, scope: platform ? 'platform' : 'organization' },
        meta: ctx.meta,
      });
    });
    // After the commit: the audit event is part of the data version, so invalidating first could
    // let a read store the old figures again under the new version.
    await this.cache.invalidate([cacheTag(scope, body.tag)]);
    return {
      scope: platform ? 'platform' : 'organization',
      organizationId: body.organizationId ?? null,
      tag: body.tag,
    };
  }
}
