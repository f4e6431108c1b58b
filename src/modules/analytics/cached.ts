// Analytics through the platform cache (docs/cache.md): the figures of an organization (or, for
// super admins, of every organization) are kept under the data version of that scope — how many
// audit and domain events it has committed, and its settings' version (platform/events/outbox.ts
// dataVersion). Every mutation writes an audit event in its own transaction, so the first read
// after any change, in any process, finds a new version and computes afresh; a read that finds the
// same version gets the figures computed for it. What moves with the clock alone (the current day,
// "overdue", the last 30 days) is bounded by the TTL: a query without `asOf` is "now" for
// CACHE_TTL_MS at most. An explicit `asOf` is cached only within a bounded window (asOfKey).
import type { Cache, LoadOptions } from '../../platform/cache/cache.ts';
import { cacheKey, cacheTag, PLATFORM } from '../../platform/cache/keys.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { dataVersion } from '../../platform/events/outbox.ts';

/** How far back an explicit `asOf` is cached (on a whole hour only): further back, computed each time. */
export const CACHED_AS_OF_DAYS = 90;

/**
 * The key part of a query's `asOf`: 'now' without one; a whole hour (UTC) within the last
 * CACHED_AS_OF_DAYS days (or up to a day ahead) as itself; any other instant null — not cached, so
 * that no caller can fill the cache with keys of every millisecond of any year (each costs a full
 * computation and an entry). At most 24 × 91 explicit keys per family and scope.
 */
export function asOfKey(given: string | undefined, asOf: Date, now = Date.now()): string | null {
  if (!given) return 'now';
  const t = asOf.getTime();
  if (t % 3_600_000 !== 0) return null;
  if (t < now - CACHED_AS_OF_DAYS * 86_400_000 || t > now + 86_400_000) return null;
  return asOf.toISOString();
}

/** The tag every analytics entry of a scope carries (POST /cache/invalidate with tag `analytics`). */
export const ANALYTICS_TAG = 'analytics';

export class AnalyticsCache {
  private readonly db: Db;
  private readonly cache: Cache;

  constructor(db: Db, cache: Cache) {
    this.db = db;
    this.cache = cache;
  }

  /**
   * `load`'s result for `parts` in the scope of `orgId` (null: every organization, read as the
   * super admin `tx` acts for), computed at most once per data version and TTL. `parts` null: not
   * cached (an `asOf` outside the cached window, asOfKey).
   */
  async read<T>(
    tx: { orgId: string | null; userId: string },
    orgId: string | null,
    family: string,
    parts: unknown[] | null,
    load: () => Promise<T>,
    options: LoadOptions = {},
  ): Promise<T> {
    if (!this.cache.enabled || parts === null) return load();
    return this.get(await this.version(tx, orgId), orgId, family, parts, load, options);
  }

  /** The scope's data version (one small transaction), for several `get`s of one request. */
  version(tx: { orgId: string | null; userId: string }, orgId: string | null): Promise<string> {
    if (!this.cache.enabled) return Promise.resolve('');
    return this.db.transaction(tx, (t) => dataVersion(t, orgId));
  }

  get<T>(
    version: string,
    orgId: string | null,
    family: string,
    parts: unknown[] | null,
    load: () => Promise<T>,
    options: LoadOptions = {},
  ): Promise<T> {
    if (!this.cache.enabled || parts === null) return load();
    const scope = orgId === null ? PLATFORM : { orgId };
    return this.cache.getOrLoad(cacheKey(scope, family, version, ...parts), load, {
      ...options,
      tags: [cacheTag(scope, ANALYTICS_TAG)],
    });
  }
}
