// The platform cache (src/platform/cache): tag isolation between organizations, stampede
// protection in one process and across processes (Redis), the circuit breaker serving stale
// values, stale-while-revalidate, compression, and invalidations reaching another OS process
// (PostgreSQL NOTIFY, Redis pub/sub, the shared Redis store). Real PostgreSQL, real Redis when
// REDIS_URL is set.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../src/platform/cache/cache.ts';
import {
  type BuiltCache,
  buildCache,
  type CacheStoreSetting,
  cacheKey,
  cacheTag,
  EVERY_SCOPE,
  PLATFORM,
} from '../src/platform/cache/index.ts';
import { RedisStore } from '../src/platform/cache/redis-store.ts';
import { MemoryStore } from '../src/platform/cache/store.ts';
import { MasterKey } from '../src/platform/crypto/master-key.ts';
import { ROOT } from './support/process.ts';
import { createTestDatabase, dropTestDatabase, requirement } from './support/test-app.ts';
import { until } from './support/until.ts';

const silent = pino({ level: 'silent' });
const redisUrl = process.env.REDIS_URL;
let db: { dbName: string; ownerUrl: string; adminUrl: string };
let pool: pg.Pool;
const redisClients: Redis[] = [];
const built: BuiltCache[] = [];
const children: ChildProcessWithoutNullStreams[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.ownerUrl, max: 4 });
});

afterAll(async () => {
  for (const c of children) c.kill();
  for (const b of built) await b.stop();
  for (const r of redisClients) r.disconnect();
  await pool.end();
  await dropTestDatabase(db.adminUrl, db.dbName);
});

function newRedis(): Redis {
  const r = new Redis(redisUrl as string, { maxRetriesPerRequest: 2 });
  redisClients.push(r);
  return r;
}

/** A fresh installation (its own master key, so its own Redis keys and channels). */
const newKey = () => new MasterKey(randomBytes(32));

function memoryCache(settings = {}) {
  return new Cache(new MemoryStore(16 * 1024 * 1024), silent, settings);
}

/** Which stores to run the store-level tests on: memory, and Redis when REDIS_URL is set. */
const stores: [string, () => Cache | null][] = [
  ['memory', () => memoryCache()],
  [
    'redis',
    () =>
      requirement(Boolean(redisUrl), 'REDIS_URL is not set (Redis store tests)')
        ? new Cache(new RedisStore(newRedis(), newKey().id), silent)
        : null,
  ],
];

describe.each(stores)('the cache on the %s store', (_name, make) => {
  it('keeps organizations apart: invalidating org A’s tag leaves org B’s entries, even under the same tag name', async () => {
    const cache = make();
    if (!cache) return;
    const a = { orgId: randomUUID() };
    const b = { orgId: randomUUID() };
    let loads = 0;
    const read = (scope: { orgId: string }) =>
      cache.getOrLoad(
        cacheKey(scope, 'test.projects', 'list'),
        async () => ({ org: scope.orgId, n: ++loads }),
        {
          tags: [cacheTag(scope, 'projects')],
        },
      );
    const platformRead = () =>
      cache.getOrLoad(cacheKey(PLATFORM, 'test.projects', 'list'), async () => ({ n: ++loads }), {
        tags: [cacheTag(PLATFORM, 'projects')],
      });
    expect((await read(a)).n).toBe(1);
    expect((await read(b)).n).toBe(2);
    expect((await platformRead()).n).toBe(3);
    await cache.invalidate([cacheTag(a, 'projects')]);
    expect(await read(b)).toEqual({ org: b.orgId, n: 2 }); // still cached
    expect((await platformRead()).n).toBe(3);
    expect(await read(a)).toEqual({ org: a.orgId, n: 4 }); // reloaded
    // The scope-wide tag: everything of A, nothing of B.
    await cache.invalidate([cacheKey(a, 'test.projects').scopeTag]);
    expect((await read(a)).n).toBe(5);
    expect((await read(b)).n).toBe(2);
    // EVERY_SCOPE (a whole restore): every organization's entries and the platform's.
    await cache.invalidate([EVERY_SCOPE]);
    expect((await read(a)).n).toBe(6);
    expect((await read(b)).n).toBe(7);
    expect((await platformRead()).n).toBe(8);
    // A tag of B cannot be attached to A's key, and a key needs a real scope.
    await expect(
      cache.getOrLoad(cacheKey(a, 'test.projects', 'x'), async () => 1, { tags: [cacheTag(b, 'projects')] }),
    ).rejects.toThrow(/not of the scope/);
    expect(() => cacheKey({ orgId: '' }, 'test.projects')).toThrow(/organization id/);
    expect(() => cacheTag({ orgId: 'other-org' }, 'projects')).toThrow(/organization id/);
  });

  it('runs one load for 100 concurrent misses of a key', async () => {
    const cache = make();
    if (!cache) return;
    const scope = { orgId: randomUUID() };
    let loads = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const reads = Array.from({ length: 100 }, () =>
      cache.getOrLoad(cacheKey(scope, 'test.stampede'), async () => {
        loads++;
        await gate;
        return { value: 42 };
      }),
    );
    await until('the load to start', async () => loads > 0);
    release();
    const values = await Promise.all(reads);
    expect(loads).toBe(1);
    expect(values.every((v) => v.value === 42)).toBe(true);
  });

  it('serves the stale value while the loader fails, fails fast without one, and recovers', async () => {
    const cache = make();
    if (!cache) return;
    Object.assign(cache.settings, {
      ttlMs: 1,
      staleMs: 600_000,
      breakerFailures: 2,
      breakerResetMs: 600_000,
    });
    const scope = { orgId: randomUUID() };
    const key = cacheKey(scope, 'test.breaker', 'k');
    let failing = false;
    let calls = 0;
    const loader = async () => {
      calls++;
      if (failing) throw new Error('backend down');
      return { calls };
    };
    const first = await cache.getOrLoad(key, loader);
    expect(first).toEqual({ calls: 1 });
    failing = true;
    // Past its 1 ms TTL: each read serves the stale value; the background refreshes fail and open the breaker.
    await until('the breaker to open', async () => {
      expect(await cache.getOrLoad(key, loader)).toEqual({ calls: 1 });
      return cache.stats().find((f) => f.family === 'test.breaker')?.breaker === 'open';
    });
    const callsWhenOpen = calls;
    // Open: stale without calling the loader; a key with nothing stale fails fast with the original error.
    expect(await cache.getOrLoad(key, loader)).toEqual({ calls: 1 });
    await expect(cache.getOrLoad(cacheKey(scope, 'test.breaker', 'other'), loader)).rejects.toThrow(
      'backend down',
    );
    expect(calls).toBe(callsWhenOpen);
    // The backend is back: after the reset delay a probe succeeds and fresh values return.
    failing = false;
    cache.settings.breakerResetMs = 0;
    const fresh = await until('the breaker to close and a fresh value', async () => {
      const v = await cache.getOrLoad(key, loader);
      return v.calls > 1 ? v : null;
    });
    expect(fresh.calls).toBeGreaterThan(callsWhenOpen);
    await until(
      'the breaker closed',
      async () => cache.stats().find((f) => f.family === 'test.breaker')?.breaker === 'closed',
    );
  });

  it('serves a stale value within the stale window while one refresh runs', async () => {
    const cache = make();
    if (!cache) return;
    Object.assign(cache.settings, { ttlMs: 1, staleMs: 600_000 });
    const key = cacheKey({ orgId: randomUUID() }, 'test.swr');
    let version = 0;
    let refreshes = 0;
    let release: () => void = () => {};
    const loader = async () => {
      version++;
      if (version > 1) {
        refreshes++;
        await new Promise<void>((r) => {
          release = r;
        });
      }
      return { version };
    };
    expect(await cache.getOrLoad(key, loader)).toEqual({ version: 1 });
    await until('the entry to go stale', async () => {
      const v = await cache.getOrLoad(key, loader);
      return refreshes === 1 && v.version === 1;
    });
    // While the refresh is held, reads keep getting the stale value at once and start no other refresh.
    const during = await Promise.all(Array.from({ length: 20 }, () => cache.getOrLoad(key, loader)));
    expect(during.every((v) => v.version === 1)).toBe(true);
    expect(refreshes).toBe(1);
    release();
    await until('the refreshed value', async () => (await cache.getOrLoad(key, loader)).version === 2);
    expect(cache.stats().find((f) => f.family === 'test.swr')?.stale).toBeGreaterThan(0);
  });

  it('treats an undecodable stored entry as a miss: reloads and overwrites it', async () => {
    const cache = make();
    if (!cache) return;
    const key = cacheKey({ orgId: randomUUID() }, 'test.corrupt');
    // Valid by its tags (the key's scope and EVERY_SCOPE, which every key carries): only its payload is bad.
    const tags = [key.scopeTag.id, EVERY_SCOPE.id];
    const versions = await cache.store.prepareTags(tags);
    const now = Date.now();
    await cache.store.write(key.id, {
      payload: Buffer.from('{"half a value'),
      compressed: true,
      freshUntil: now + 600_000,
      staleUntil: now + 1_200_000,
      versions: Object.fromEntries(tags.map((t, i) => [t, versions[i] as string])),
    });
    let loads = 0;
    const loader = async () => ({ loads: ++loads });
    expect(await cache.getOrLoad(key, loader)).toEqual({ loads: 1 });
    expect(await cache.getOrLoad(key, loader)).toEqual({ loads: 1 }); // overwritten: a hit now
    expect(loads).toBe(1);
  });

  it('compresses values over 1 KB: smaller stored, equal when read', async () => {
    const cache = make();
    if (!cache) return;
    const scope = { orgId: randomUUID() };
    const big = {
      rows: Array.from({ length: 60 }, (_, i) => ({
        id: randomUUID(),
        name: `Project ${i}`,
        status: 'active',
        budget: i * 1000,
      })),
    };
    const small = { n: 1 };
    const before = await cache.store.size();
    expect(await cache.getOrLoad(cacheKey(scope, 'test.compress', 'big'), async () => big)).toEqual(big);
    expect(await cache.getOrLoad(cacheKey(scope, 'test.compress', 'big'), async () => ({}))).toEqual(big);
    expect(await cache.getOrLoad(cacheKey(scope, 'test.compress', 'small'), async () => small)).toEqual(
      small,
    );
    const stored = await cache.store.read(cacheKey(scope, 'test.compress', 'big').id, []);
    const json = Buffer.byteLength(JSON.stringify(big));
    expect(json).toBeGreaterThan(1024);
    expect(stored.entry?.compressed).toBe(true);
    expect(stored.entry?.payload.length).toBeLessThan(json / 2);
    const smallStored = await cache.store.read(cacheKey(scope, 'test.compress', 'small').id, []);
    expect(smallStored.entry?.compressed).toBe(false);
    if (cache.store.kind === 'memory') {
      const after = await cache.store.size();
      expect(after.entries - before.entries).toBe(2);
      expect(after.bytes - before.bytes).toBeLessThan(json);
    }
  });
});

describe('the circuit breaker per organization', () => {
  it('organization A’s failing loads open A’s breaker only: B’s loader still runs', async () => {
    const cache = memoryCache({ breakerFailures: 2, breakerResetMs: 600_000 });
    const a = { orgId: randomUUID() };
    const b = { orgId: randomUUID() };
    const failing = async () => {
      throw new Error('A is broken');
    };
    for (const k of ['1', '2', '3'])
      await expect(cache.getOrLoad(cacheKey(a, 'test.scoped', k), failing)).rejects.toThrow('A is broken');
    expect(cache.stats().find((f) => f.family === 'test.scoped')?.breaker).toBe('open');
    let bLoads = 0;
    expect(await cache.getOrLoad(cacheKey(b, 'test.scoped', '1'), async () => ({ b: ++bLoads }))).toEqual({
      b: 1,
    });
    expect(bLoads).toBe(1);
  });
});

describe('a store whose reads fail (Redis down)', () => {
  it('still runs one load per key in the process', async () => {
    // A client of a port nothing listens on, failing each command at once (no offline queue).
    const down = new Redis({
      host: '127.0.0.1',
      port: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    down.on('error', () => {}); // refused connections are the point
    redisClients.push(down);
    const cache = new Cache(new RedisStore(down, newKey().id), silent);
    const key = cacheKey({ orgId: randomUUID() }, 'test.down');
    let loads = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const loader = async () => {
      loads++;
      await gate;
      return { loads };
    };
    const reads = Array.from({ length: 20 }, () => cache.getOrLoad(key, loader));
    await until('the load to start', async () => loads > 0);
    release();
    const values = await Promise.all(reads);
    expect(loads).toBe(1);
    expect(values.every((v) => v.loads === 1)).toBe(true);
  });
});

describe('stampede across processes (Redis)', () => {
  it('two caches on separate Redis connections run one load for 100 concurrent misses', async () => {
    if (!requirement(Boolean(redisUrl), 'REDIS_URL is not set (cross-process stampede)')) return;
    const installation = newKey().id;
    const one = new Cache(new RedisStore(newRedis(), installation), silent);
    const two = new Cache(new RedisStore(newRedis(), installation), silent);
    const key = cacheKey({ orgId: randomUUID() }, 'test.stampede');
    let loads = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const loader = async () => {
      loads++;
      await gate;
      return { value: 7 };
    };
    const reads = Array.from({ length: 100 }, (_, i) => (i % 2 ? one : two).getOrLoad(key, loader));
    await until('the load to start', async () => loads > 0);
    release();
    const values = await Promise.all(reads);
    expect(loads).toBe(1);
    expect(values.every((v) => v.value === 7)).toBe(true);
  });

  it('the lock holder renews its lock while a load outlasts it: the other process waits instead of loading too', async () => {
    if (!requirement(Boolean(redisUrl), 'REDIS_URL is not set (lock renewal)')) return;
    const installation = newKey().id;
    const settings = { lockMs: 200, lockWaitMs: 60_000 };
    const one = new Cache(new RedisStore(newRedis(), installation), silent, settings);
    const two = new Cache(new RedisStore(newRedis(), installation), silent, settings);
    const key = cacheKey({ orgId: randomUUID() }, 'test.renew');
    let loads = 0;
    let waiting: Promise<{ loads: number }> | null = null;
    const slow = async () => {
      loads++;
      const started = Date.now();
      waiting = two.getOrLoad(key, async () => ({ loads: ++loads }));
      // The load runs five lock lifetimes.
      await until('five lock lifetimes', async () => Date.now() - started > 5 * settings.lockMs);
      return { loads };
    };
    expect(await one.getOrLoad(key, slow)).toEqual({ loads: 1 });
    expect(await (waiting as unknown as Promise<{ loads: number }>)).toEqual({ loads: 1 });
    expect(loads).toBe(1);
  });

  it('a waiter loads itself when the lock holder died without a value', async () => {
    if (!requirement(Boolean(redisUrl), 'REDIS_URL is not set (lock holder death)')) return;
    const installation = newKey().id;
    const store = new RedisStore(newRedis(), installation);
    const cache = new Cache(store, silent, { lockMs: 300, lockWaitMs: 10_000 });
    const key = cacheKey({ orgId: randomUUID() }, 'test.lock');
    // A "process" took the lock and died: it expires after 300 ms, and the waiter loads.
    const dead = await store.lock(key.id, 300);
    expect(dead).not.toBeNull();
    let loads = 0;
    let holderLockWhenLoading: boolean | null = null;
    expect(
      await cache.getOrLoad(key, async () => {
        // The waiter waited: the dead holder's lock was gone when it loaded (extending it fails).
        holderLockWhenLoading = await store.extend(key.id, dead as string, 300);
        return { loads: ++loads };
      }),
    ).toEqual({ loads: 1 });
    expect(holderLockWhenLoading).toBe(false);
  });
});

describe('the Redis entries’ namespace', () => {
  it('a release or schema of another version never reads this one’s entries', async () => {
    if (!requirement(Boolean(redisUrl), 'REDIS_URL is not set (entry namespace)')) return;
    const installation = newKey().id;
    const older = new Cache(new RedisStore(newRedis(), installation, '1.0.0.0024'), silent);
    const newer = new Cache(new RedisStore(newRedis(), installation, '1.0.0.0025'), silent);
    const key = cacheKey({ orgId: randomUUID() }, 'test.namespace');
    expect(await older.getOrLoad(key, async () => ({ shape: 'old' }))).toEqual({ shape: 'old' });
    expect(await newer.getOrLoad(key, async () => ({ shape: 'new' }))).toEqual({ shape: 'new' });
    expect(await older.getOrLoad(key, async () => ({ shape: 'reloaded' }))).toEqual({ shape: 'old' });
  });
});

describe('the circuit breaker across processes (Redis)', () => {
  it('a half-open probe that meets another process’s lock is released: the breaker closes once the backend is back', async () => {
    if (!requirement(Boolean(redisUrl), 'REDIS_URL is not set (half-open probe and a lock holder)')) return;
    const installation = newKey().id;
    const cache = new Cache(new RedisStore(newRedis(), installation), silent, {
      ttlMs: 1,
      staleMs: 600_000,
      breakerFailures: 1,
      breakerResetMs: 600_000,
    });
    const other = new RedisStore(newRedis(), installation);
    const key = cacheKey({ orgId: randomUUID() }, 'test.halfopen');
    const state = () => cache.stats().find((f) => f.family === 'test.halfopen')?.breaker;
    let failing = false;
    let calls = 0;
    const loader = async () => {
      calls++;
      if (failing) throw new Error('backend down');
      return { calls };
    };
    expect(await cache.getOrLoad(key, loader)).toEqual({ calls: 1 });
    failing = true;
    await until('the breaker to open', async () => {
      expect(await cache.getOrLoad(key, loader)).toEqual({ calls: 1 });
      return state() === 'open';
    });
    // Another process holds the load lock: the half-open probes find it and return the stale value.
    const token = await other.lock(key.id, 600_000);
    expect(token).not.toBeNull();
    failing = false;
    cache.settings.breakerResetMs = 0;
    const callsBefore = calls;
    await until('a probe that met the lock holder', async () => {
      expect(await cache.getOrLoad(key, loader)).toEqual({ calls: 1 });
      return state() === 'half-open';
    });
    expect(calls).toBe(callsBefore);
    // The holder goes without a value: the next probe takes the lock, loads and closes the breaker.
    await other.unlock(key.id, token as string);
    const fresh = await until(
      'a fresh value after the holder left',
      async () => {
        const v = await cache.getOrLoad(key, loader);
        return v.calls > 1 ? v : null;
      },
      10_000,
    );
    expect(fresh.calls).toBeGreaterThan(callsBefore);
    await until('the breaker closed', async () => state() === 'closed', 10_000);
  });
});

/** A real second OS process with its own cache and connections (test/support/cache-child.ts). */
async function startChild(env: Record<string, string>) {
  const child = spawn(process.execPath, [path.join(ROOT, 'test/support/cache-child.ts')], {
    env: { ...process.env, CACHE_CHILD_DB: db.ownerUrl, ...env },
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error(`cache child exited: ${stderr}`);
    return JSON.parse(r.value) as Record<string, unknown>;
  };
  const ready = await next();
  return {
    ready,
    async get(orgId: string) {
      child.stdin.write(`get ${orgId}\n`);
      return (await next()).loads as number;
    },
  };
}

const channels: [string, CacheStoreSetting, boolean][] = [
  ['memory store, PostgreSQL NOTIFY', 'memory', false],
  ['memory store, Redis pub/sub', 'memory', true],
  ['Redis store', 'redis', true],
];

describe.each(channels)('an invalidation reaches another process (%s)', (_name, store, withRedis) => {
  it('the second process reloads after the first invalidates, and only that organization', async () => {
    if (withRedis && !requirement(Boolean(redisUrl), 'REDIS_URL is not set (invalidation over Redis)'))
      return;
    const masterKey = randomBytes(32);
    const here = buildCache({
      store,
      maxBytes: 1024 * 1024,
      settings: {},
      pool,
      redis: withRedis ? newRedis() : null,
      masterKey: new MasterKey(masterKey),
      log: silent,
    });
    built.push(here);
    await here.start();
    const child = await startChild({
      CACHE_CHILD_KEY: masterKey.toString('base64'),
      CACHE_CHILD_STORE: store,
      ...(withRedis ? { CACHE_CHILD_REDIS: redisUrl as string } : {}),
    });
    expect(child.ready.store).toBe(store);
    const a = randomUUID();
    const b = randomUUID();
    expect(await child.get(a)).toBe(1);
    expect(await child.get(b)).toBe(2);
    expect(await child.get(a)).toBe(1); // cached in the child
    await here.cache.invalidate([cacheTag({ orgId: a }, 'projects')]);
    // The child sees it (asynchronously over a channel) and reloads A; B stays cached.
    const reloaded = await until('the child to reload after the invalidation', async () => {
      const n = await child.get(a);
      return n > 1 ? n : null;
    });
    expect(reloaded).toBe(3);
    expect(await child.get(b)).toBe(2);
    // EVERY_SCOPE (what a whole restore invalidates): every organization's entries, there too.
    await here.cache.invalidate([EVERY_SCOPE]);
    expect(
      await until('the child to reload B after EVERY_SCOPE', async () => {
        const n = await child.get(b);
        return n > 2 ? n : null;
      }),
    ).toBe(4);
    expect(await child.get(a)).toBe(5);
  });
});
