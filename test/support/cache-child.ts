// A second process for test/cache.test.ts: builds its own cache (its own connections) on the
// database (and Redis) it is given and answers one command per stdin line with one JSON line:
// `get <orgId>` reads through the cache a value whose loader counts its calls.
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import pg from 'pg';
import pino from 'pino';
import { buildCache, type CacheStoreSetting, cacheKey, cacheTag } from '../../src/platform/cache/index.ts';
import { MasterKey } from '../../src/platform/crypto/master-key.ts';

const pool = new pg.Pool({ connectionString: process.env.CACHE_CHILD_DB, max: 2 });
const redis = process.env.CACHE_CHILD_REDIS ? new Redis(process.env.CACHE_CHILD_REDIS) : null;
const built = buildCache({
  store: (process.env.CACHE_CHILD_STORE ?? 'auto') as CacheStoreSetting,
  maxBytes: 1024 * 1024,
  settings: { ttlMs: 600_000 },
  pool,
  redis,
  masterKey: new MasterKey(Buffer.from(process.env.CACHE_CHILD_KEY ?? '', 'base64')),
  log: pino({ level: 'silent' }),
});
await built.start();
let loads = 0;
process.stdout.write(`${JSON.stringify({ ready: true, store: built.cache.store.kind })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, orgId] = line.trim().split(' ');
  if (cmd === 'get' && orgId) {
    const value = await built.cache.getOrLoad(
      cacheKey({ orgId }, 'test.child', 'k'),
      async () => ({ loads: ++loads }),
      { tags: [cacheTag({ orgId }, 'projects')] },
    );
    process.stdout.write(`${JSON.stringify(value)}\n`);
  } else if (cmd === 'exit') break;
}
await built.stop();
await pool.end();
redis?.disconnect();
