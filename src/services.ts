// Builds one process's services from the module list (src/modules/index.ts), on the platform's
// shared mechanisms. Every role composes the same way: the API process mounts the routes, the
// worker runs the jobs and event handlers, each with every service built.
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { MODULES } from './modules/index.ts';
import { buildCache } from './platform/cache/index.ts';
import { type Composition, composeModules } from './platform/compose.ts';
import type { MasterKey } from './platform/crypto/master-key.ts';
import { SecretBox } from './platform/crypto/secret-box.ts';
import { Db } from './platform/db/transaction.ts';
import { createRateLimitStore } from './platform/http/rate-limit.ts';
import type { AnyModule, BackgroundLoop, PlatformDeps } from './platform/module.ts';
import { reportError } from './platform/observability/telemetry.ts';
import { BusKey } from './platform/realtime/bus.ts';

export type BulComposition = Composition<typeof MODULES> & {
  /** Every loop this process may run: the modules' and the platform's. */
  loops: BackgroundLoop[];
  /** Signs and checks the realtime fan-out's messages (workers publish, API processes listen). */
  busKey: BusKey;
};

export async function composeBul(opts: {
  config: Config;
  pool: pg.Pool;
  masterKey: MasterKey;
  redis: Redis | null;
  log: Logger;
  /** The owner connection (backups); DATABASE_URL when not given. */
  ownerUrl?: string | null;
  /** The module list (tests add one to it); MODULES otherwise. */
  modules?: readonly AnyModule[];
}): Promise<BulComposition> {
  const { config, pool, redis, log } = opts;
  const rateLimits = createRateLimitStore(config.rateLimitStore, {
    pool,
    redis,
    syncIntervalMs: config.rateLimitSyncIntervalMs,
    onError: (err) => log.error({ err }, 'rate-limit counters could not be synced'),
  });
  // One cache per process, whatever its role: API processes read through it, and whoever changes
  // what it holds (a request, a worker's event handler) invalidates it.
  const cache = buildCache({
    store: config.cache.store,
    maxBytes: config.cache.maxBytes,
    settings: { ttlMs: config.cache.ttlMs, staleMs: config.cache.staleMs },
    pool,
    redis,
    masterKey: opts.masterKey,
    log: log.child({ component: 'cache' }),
  });
  const deps: PlatformDeps = {
    config,
    pool,
    db: new Db(pool),
    box: new SecretBox(opts.masterKey),
    redis,
    rateLimits,
    cache: cache.cache,
    log,
    masterKey: opts.masterKey,
    ownerUrl: opts.ownerUrl ?? config.databaseUrl,
    onBackgroundError: (err) => {
      log.error({ err }, 'background task failed');
      reportError(err, { source: 'background' });
    },
  };
  const composition = (await composeModules(opts.modules ?? MODULES, deps)) as Composition<typeof MODULES>;
  const loops: BackgroundLoop[] = [
    // The per-IP and per-user limits are taken by API requests only.
    {
      name: 'rate-limit-counters',
      roles: ['api'],
      start: () => rateLimits.start(),
      stop: () => rateLimits.stop(),
    },
    // Other processes' invalidations (memory store), from before anything is read: in API
    // processes, the ones that read through the cache (a worker only ever publishes).
    {
      name: 'cache-invalidations',
      roles: ['api'],
      start: () => cache.start(),
      stop: () => cache.stop(),
    },
    ...composition.backgroundLoops(),
  ];
  return Object.assign(composition, { loops, busKey: new BusKey(opts.masterKey) });
}
