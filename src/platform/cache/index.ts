// Builds a process's cache from its settings (CACHE_* in src/config.ts): the store (memory, or
// Redis when REDIS_URL is set and CACHE_STORE is auto or redis) and, for the memory store, the
// channel its invalidations travel on to the other processes (Redis pub/sub, or PostgreSQL
// LISTEN/NOTIFY: platform/realtime/channel.ts). On the Redis store every process reads the same
// tag versions, so there is nothing to broadcast.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { MasterKey } from '../crypto/master-key.ts';
import { MIGRATIONS_DIR } from '../db/migrator.ts';
import {
  ChannelKey,
  type ChannelSubscription,
  publishOnChannel,
  subscribeToChannel,
} from '../realtime/channel.ts';
import { Cache, type CacheSettings } from './cache.ts';
import { parseTagId } from './keys.ts';
import { RedisStore } from './redis-store.ts';
import { MemoryStore } from './store.ts';

export { Cache, type CacheSettings, type FamilyStats, type LoadOptions } from './cache.ts';
export {
  type CacheKey,
  type CacheScope,
  type CacheTag,
  cacheKey,
  cacheTag,
  EVERY_SCOPE,
  PLATFORM,
} from './keys.ts';

/** BUL's version and the latest migration's number, e.g. `1.2.0.0025`: the Redis entries' namespace. */
export function cacheNamespace(): string {
  const pkg = path.resolve(import.meta.dirname, '../../../package.json');
  const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  const latest = readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .at(-1);
  return `${version}.${latest?.slice(0, 4) ?? '0000'}`;
}

export type CacheStoreSetting = 'auto' | 'memory' | 'redis' | 'off';

export interface BuiltCache {
  cache: Cache;
  /** Listens for other processes' invalidations (memory store); a no-op otherwise. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function buildCache(o: {
  store: CacheStoreSetting;
  maxBytes: number;
  settings: Partial<CacheSettings>;
  pool: pg.Pool;
  redis: Redis | null;
  masterKey: MasterKey;
  log: Logger;
}): BuiltCache {
  if (o.store === 'redis' && !o.redis) throw new Error('CACHE_STORE=redis needs REDIS_URL');
  const onRedis = o.redis !== null && (o.store === 'redis' || o.store === 'auto');
  const store =
    onRedis && o.redis
      ? new RedisStore(o.redis, o.masterKey.id, cacheNamespace())
      : new MemoryStore(o.maxBytes);
  const cache = new Cache(store, o.log, o.settings, o.store !== 'off');
  if (store.kind === 'redis' || o.store === 'off')
    return { cache, start: async () => {}, stop: async () => {} };

  // Each process tags its messages, and skips its own (it bumped its versions already).
  const origin = randomBytes(6).toString('base64url');
  const key = new ChannelKey(o.masterKey, 'cache');
  cache.useChannel({
    publish: (tags) =>
      publishOnChannel({ pool: o.pool, redis: o.redis, key }, JSON.stringify({ origin, tags })),
  });
  let sub: ChannelSubscription | null = null;
  return {
    cache,
    async start() {
      sub = await subscribeToChannel({
        pool: o.pool,
        redis: o.redis,
        key,
        log: o.log,
        onMessage: (text) => {
          try {
            const m = JSON.parse(text) as { origin?: unknown; tags?: unknown };
            if (m.origin === origin || !Array.isArray(m.tags)) return;
            const tags = m.tags.map(parseTagId).filter((t): t is string => t !== null);
            void cache.applyRemote(tags);
          } catch {
            // not JSON: signed by us, so never; ignored
          }
        },
        // Invalidations sent meanwhile are lost: forget everything rather than serve one of them.
        onReconnect: () => void store.clear(),
      });
    },
    async stop() {
      await sub?.close();
      sub = null;
    },
  };
}
