// Builds one process's services from the module list (src/modules/index.ts), on the platform's
// shared mechanisms. Every role composes the same way: the API process mounts the routes, the
// worker runs the jobs and event handlers, each with every service built.
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { MODULES } from './modules/index.ts';
import { type Composition, composeModules } from './platform/compose.ts';
import type { MasterKey } from './platform/crypto/master-key.ts';
import { SecretBox } from './platform/crypto/secret-box.ts';
import { Db } from './platform/db/transaction.ts';
import { createRateLimitStore } from './platform/http/rate-limit.ts';
import type { AnyModule, BackgroundLoop, PlatformDeps } from './platform/module.ts';
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
  const deps: PlatformDeps = {
    config,
    pool,
    db: new Db(pool),
    box: new SecretBox(opts.masterKey),
    redis,
    rateLimits,
    log,
    onBackgroundError: (err) => log.error({ err }, 'background task failed'),
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
    ...composition.backgroundLoops(),
  ];
  return Object.assign(composition, { loops, busKey: new BusKey(opts.masterKey) });
}
