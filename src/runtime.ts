// Process lifecycle: find or start the database, bring its schema up to date, then run the
// process's role (API, worker or both) until told to stop; stopping drains HTTP requests and
// running jobs before the database goes down.
import type { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from 'pino';
import { buildApp } from './app.ts';
import type { Config } from './config.ts';
import { rolesOf, startBackground } from './platform/background.ts';
import { loadMasterKey, type MasterKey } from './platform/crypto/master-key.ts';
import {
  createAppPool,
  type DatabaseLocation,
  locateDatabase,
  provisionAppRole,
} from './platform/db/database.ts';
import { migrate } from './platform/db/migrator.ts';
import { startEventDispatch } from './platform/events/dispatcher.ts';
import { EventHandlerRegistry, moduleEventHandlers } from './platform/events/registry.ts';
import { migrateJobQueue, startWorker } from './platform/jobs/worker.ts';
import { realtimePublisher } from './platform/realtime/bus.ts';
import { type BulComposition, composeBul } from './services.ts';

export interface PreparedDatabase {
  location: DatabaseLocation;
  masterKey: MasterKey;
  appliedMigrations: number;
}

/** Locates (or starts) the database, applies pending migrations and provisions the app role. */
export async function prepareDatabase(
  config: Config,
  log: Logger,
  opts: { adopt?: boolean } = {},
): Promise<PreparedDatabase> {
  const { key: masterKey, generated } = loadMasterKey(config.masterKey, config.dataDir);
  if (generated)
    log.warn(
      `generated a master key in ${config.dataDir}/master.key; back it up (or set BUL_MASTER_KEY), encrypted secrets depend on it`,
    );
  const location = await locateDatabase({ config, masterKey, log: (m) => log.info(m), adopt: opts.adopt });
  try {
    const appliedMigrations = await migrate(location.ownerUrl, (m) => log.info(m));
    const owner = new pg.Client({ connectionString: location.ownerUrl, application_name: 'bul-provision' });
    await owner.connect();
    try {
      // Processes starting together on one database would otherwise grant on the same rows at once
      // and one would fail with "tuple concurrently updated"; a session lock makes them take turns.
      await owner.query("SELECT pg_advisory_lock(hashtext('bul:provision'))");
      await migrateJobQueue(location.ownerUrl, owner);
      await provisionAppRole(
        owner,
        config.databaseAppRole,
        config.databaseAppPassword ?? masterKey.deriveText('database-app-password'),
        location.appUrl,
      );
    } finally {
      await owner.end();
    }
    return { location, masterKey, appliedMigrations };
  } catch (err) {
    await location.close();
    throw err;
  }
}

/**
 * What every worker runs: the dispatcher of committed domain events to the modules' handlers and
 * to the realtime publisher (the fan-out to every API process's /ws connections). Returns its stop.
 */
export async function startEventHandling(o: {
  composition: BulComposition;
  pool: pg.Pool;
  config: Config;
  log: Logger;
  redis: Redis | null;
}): Promise<() => Promise<void>> {
  const registry = new EventHandlerRegistry().register(
    ...moduleEventHandlers(o.composition.eventHandlers()),
    realtimePublisher(o.redis, o.composition.busKey, o.log.child({ component: 'realtime' })),
  );
  return startEventDispatch({ pool: o.pool, config: o.config, log: o.log, registry });
}

/**
 * The client of REDIS_URL (not connected yet), or null without one. ioredis is loaded only when
 * configured (it weighs about 20 MB in memory).
 */
export async function redisClient(config: Config): Promise<Redis | null> {
  if (!config.redisUrl) return null;
  return new (await import('ioredis')).Redis(config.redisUrl, {
    maxRetriesPerRequest: 2,
    enableOfflineQueue: false,
    lazyConnect: true,
  });
}

export interface RunningBul {
  url: string | null;
  /** The embedded PostgreSQL's cluster directory; null on an external database. */
  embeddedDataPath: string | null;
  stop(): Promise<void>;
}

export async function startBul(config: Config, log: Logger): Promise<RunningBul> {
  const { location, masterKey } = await prepareDatabase(config, log);
  const pool = createAppPool(location.appUrl, config.databasePoolMax, (err) =>
    log.error({ err }, 'idle database connection failed'),
  );
  const redis = await redisClient(config);
  // In the order they run at shutdown: HTTP, then jobs, then background loops.
  const stops: (() => Promise<unknown>)[] = [];
  try {
    if (redis) {
      redis.on('error', (err) => log.warn({ err }, 'redis connection problem'));
      await redis.connect();
    }
    // One set of services per process, from the module list, whatever its role; the loops of
    // its role(s) run until it stops.
    const composition = await composeBul({
      config,
      pool,
      masterKey,
      redis,
      log,
      ownerUrl: location.ownerUrl,
    });
    const roles = rolesOf(config.role);
    const background = await startBackground(composition.loops, roles, log);
    stops.push(() => background.stop());
    let url: string | null = null;
    if (roles.includes('worker')) {
      const jobs = composition.jobs();
      const worker = await startWorker({
        pool,
        jobs,
        concurrency: config.workerConcurrency,
        heartbeatMs: config.jobWorkerHeartbeatSeconds * 1000,
        log: log.child({ component: 'worker' }),
      });
      stops.unshift(() => worker.stop());
      stops.unshift(await startEventHandling({ composition, pool, config, log, redis }));
      log.info(
        {
          modules: composition.modules.map((m) => m.name),
          jobs: jobs.map((j) => j.name),
          background: background.names,
        },
        'worker composed',
      );
    }
    if (roles.includes('api')) {
      const { app } = await buildApp({
        config,
        pool,
        masterKey,
        redis,
        role: config.role,
        logger: log,
        composition,
      });
      const address = await app.listen({ host: config.host, port: config.port });
      url = address.replace('127.0.0.1', 'localhost');
      stops.unshift(() => app.close());
    }
    return {
      url,
      embeddedDataPath: location.embedded?.dataPath ?? null,
      async stop() {
        // HTTP first (stop accepting, finish in-flight requests), then jobs, then connections.
        for (const stop of stops) await stop().catch((err) => log.error({ err }, 'error while stopping'));
        await pool.end();
        if (redis) await redis.quit().catch(() => redis.disconnect());
        await location.close();
      },
    };
  } catch (err) {
    for (const stop of stops) await stop().catch(() => {});
    await pool.end().catch(() => {});
    redis?.disconnect();
    await location.close();
    throw err;
  }
}
