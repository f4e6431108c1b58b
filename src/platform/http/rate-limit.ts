// Rate limiting with rate-limiter-flexible. The store follows the deployment: one process keeps
// counters in memory; several processes share them through Redis (REDIS_URL) or, without Redis,
// through PostgreSQL. There, login-class limits and lockouts stay exact (one statement per check,
// table rate_limits) while the per-request limits are counted locally and synced in batches
// (synced-counters.ts: no database write on a request's path). Store failures fall back to an
// in-memory limiter rather than refusing or waving through all traffic.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { AppError } from '../errors.ts';
import { HTTP } from './messages.ts';
import { SyncedCounters } from './synced-counters.ts';

export interface LimiterSpec {
  /** Distinguishes this limiter's keys from the others'. */
  name: string;
  points: number;
  durationSeconds: number;
}

export type LimiterFactory = (spec: LimiterSpec) => RateLimiterAbstract;

/** What the request pipeline needs of a limiter: one point per request. */
export interface RequestLimiter {
  readonly points: number;
  /** Window, seconds. */
  readonly duration: number;
  /** Resolves with what is left, or rejects with a RateLimiterRes once the points are spent. */
  consume(key: string): Promise<RateLimiterRes>;
}

export interface RateLimitStore {
  /** Limiters exact across processes at every call: login-class limits and lockouts. */
  exact: LimiterFactory;
  /** Limiters taking a point on every API request (per IP, per user). */
  perRequest(spec: LimiterSpec): RequestLimiter;
  /** Adds what this process counted to the shared counts and reads them back now (postgres). */
  sync(): Promise<void>;
  /** Starts background syncing (postgres; API processes, which take the per-request limits). */
  start(): void;
  /** Stops background syncing, adding what is still counted locally. */
  stop(): Promise<void>;
}

export function createRateLimitStore(
  store: 'memory' | 'postgres' | 'redis',
  deps: { pool?: pg.Pool; redis?: Redis | null; syncIntervalMs: number; onError: (err: unknown) => void },
): RateLimitStore {
  const exact = limiterFactory(store, deps);
  if (store !== 'postgres')
    return { exact, perRequest: exact, sync: async () => {}, start: () => {}, stop: async () => {} };
  const counters = new SyncedCounters({
    pool: deps.pool!,
    intervalMs: deps.syncIntervalMs,
    onError: deps.onError,
  });
  return {
    exact,
    perRequest: (spec) => counters.limiter(spec),
    sync: () => counters.sync(),
    start: () => counters.start(),
    stop: () => counters.stop(),
  };
}

/** A short name of the installation: its database (server, port, name). */
function installationOf(pool: pg.Pool): string {
  const o = pool.options as { host?: string; port?: number; database?: string; connectionString?: string };
  let where = `${o.host ?? ''}:${o.port ?? ''}/${o.database ?? ''}`;
  if (o.connectionString) {
    const u = new URL(o.connectionString);
    where = `${u.hostname}:${u.port}${u.pathname}`;
  }
  return createHash('sha256').update(where).digest('hex').slice(0, 12);
}

export function limiterFactory(
  store: 'memory' | 'postgres' | 'redis',
  deps: { pool?: pg.Pool; redis?: Redis | null },
): LimiterFactory {
  // Redis may be shared by several installations (staging beside production, test runs): its keys
  // name the installation's database, so their counters never mix.
  const scope = store === 'redis' && deps.pool ? `${installationOf(deps.pool)}:` : '';
  return (spec) => {
    const base = {
      keyPrefix: `bul:${scope}${spec.name}`,
      points: spec.points,
      duration: spec.durationSeconds,
    };
    if (store === 'memory') return new RateLimiterMemory(base);
    const insuranceLimiter = new RateLimiterMemory(base);
    if (store === 'redis') {
      if (!deps.redis) throw new Error('redis rate-limit store without a Redis client');
      return new RateLimiterRedis({ ...base, storeClient: deps.redis, insuranceLimiter });
    }
    if (!deps.pool) throw new Error('postgres rate-limit store without a pool');
    return new RateLimiterPostgres({
      ...base,
      storeClient: deps.pool,
      storeType: 'pool',
      tableName: 'rate_limits',
      tableCreated: true, // created by migration 0001; the application role may not create tables
      clearExpiredByTimeout: true,
      insuranceLimiter,
    });
  };
}

export interface LimitOutcome {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/**
 * Takes one point from `key`; returns the headers' numbers, or throws a 429 AppError with
 * Retry-After when the limit is spent.
 */
export async function consumeOrThrow(
  limiter: RequestLimiter,
  key: string,
  what: 'per-address' | 'login' | 'per-user',
): Promise<LimitOutcome> {
  try {
    const res = await limiter.consume(key);
    return {
      limit: limiter.points,
      remaining: res.remainingPoints,
      resetSeconds: Math.ceil(res.msBeforeNext / 1000),
    };
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      const message = {
        'per-address': HTTP.rateLimitAddress,
        login: HTTP.rateLimitLogin,
        'per-user': HTTP.rateLimitUser,
      }[what];
      throw new AppError(
        'rate-limited',
        message({ points: limiter.points, duration: limiter.duration, seconds }),
        {
          retryAfterSeconds: seconds,
          extra: { limit: limiter.points, windowSeconds: limiter.duration },
        },
      );
    }
    throw rejection;
  }
}
