// Servers for the cache benchmark, in a child process of bench/cache.ts: on the database
// `bul seed-demo --size large` filled, one BUL (src/app.ts) per cache store — CACHE_STORE=off,
// memory, and redis when REDIS_URL is set — each with its own pool and port, rate limits out of
// the way; and the ceiling: a bare node:http server that does what a cached answer cannot avoid
// (one round trip reading the organization's data version, bul_data_version) and answers with the
// executive metrics' JSON computed once. Prints one JSON line, then waits for SIGTERM.
import http from 'node:http';
import pg from 'pg';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createAppPool } from '../src/platform/db/database.ts';
import { prepareDatabase } from '../src/runtime.ts';

const POOL_SIZE = 10;
const dataDir = process.env.BUL_DATA_DIR;
const password = process.env.BENCH_DEMO_PASSWORD;
if (!dataDir || !password) throw new Error('BUL_DATA_DIR and BENCH_DEMO_PASSWORD are required');

const base = {
  // The database cache.ts seeded (a fresh one on BENCH_DATABASE_URL's server), else the data dir's.
  ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  BUL_DATA_DIR: dataDir,
  ...Object.fromEntries(
    ['BUL_MASTER_KEY', 'DATABASE_APP_ROLE', 'DATABASE_APP_PASSWORD', 'REDIS_URL']
      .filter((k) => process.env[k])
      .map((k) => [k, process.env[k]!]),
  ),
  LOG_LEVEL: 'silent',
  PORT: '0',
  DATABASE_POOL_MAX: String(POOL_SIZE),
  RATE_LIMIT_STORE: 'memory',
  RATE_LIMIT_IP_PER_MINUTE: '100000000',
  RATE_LIMIT_USER_PER_MINUTE: '100000000',
  RATE_LIMIT_LOGIN_BURST: '100000000',
  RATE_LIMIT_LOGIN_PER_SECOND: '100000000',
};
const { location, masterKey } = await prepareDatabase(loadConfig(base), pino({ level: 'silent' }));
const stores = ['off', 'memory', ...(process.env.REDIS_URL ? ['redis'] : [])] as const;
const closers: (() => Promise<unknown>)[] = [];
const ports: Record<string, number> = {};
for (const store of stores) {
  const config = loadConfig({ ...base, CACHE_STORE: store });
  const pool = createAppPool(location.appUrl, POOL_SIZE, () => {});
  const redis =
    store === 'redis' && config.redisUrl ? new (await import('ioredis')).Redis(config.redisUrl) : null;
  const { app } = await buildApp({ config, pool, masterKey, redis, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  ports[store] = (app.server.address() as { port: number }).port;
  closers.push(async () => {
    await app.close();
    await pool.end();
    redis?.disconnect();
  });
}

const first = `http://127.0.0.1:${ports.memory}`;
const login = await fetch(`${first}/api/v1/auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email: 'admin@demo.bul.local', password }),
});
if (login.status !== 200) throw new Error(`login: ${await login.text()}`);
const session = (await login.json()) as {
  accessToken: string;
  user: { id: string };
  organization: { id: string };
};
const body = await (
  await fetch(`${first}/api/v1/executive/metrics`, {
    headers: { authorization: `Bearer ${session.accessToken}` },
  })
).text();

// The ceiling acts for the organization at session level, so its read is a single round trip.
const ceilingPool = new pg.Pool({
  connectionString: location.appUrl,
  max: POOL_SIZE,
  options: `-c jit=off -c app.org_id=${session.organization.id} -c app.user_id=${session.user.id}`,
});
const ceiling = http.createServer((_req, res) => {
  ceilingPool
    .query('SELECT bul_data_version($1) AS v', [session.organization.id])
    .then(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    })
    .catch((err: Error) => {
      res.writeHead(500);
      res.end(err.message);
    });
});
await new Promise<void>((resolve) => ceiling.listen(0, '127.0.0.1', resolve));
const postgres = (await ceilingPool.query<{ server_version: string }>('SHOW server_version')).rows[0]!
  .server_version;

process.stdout.write(
  `${JSON.stringify({
    ports,
    ceilingPort: (ceiling.address() as { port: number }).port,
    accessToken: session.accessToken,
    bodyBytes: Buffer.byteLength(body),
    postgres,
  })}\n`,
);

process.once('SIGTERM', async () => {
  ceiling.close();
  await ceilingPool.end();
  for (const close of closers) await close().catch(() => {});
  await location.close();
  process.exit(0);
});
