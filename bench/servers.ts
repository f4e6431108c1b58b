// The servers a benchmark run measures, started in a child process of bench/run.ts so that the
// load generator and the servers are separate processes (as they would be in production):
//   - BUL itself (the app from src/app.ts) with every rate limit raised out of the way;
//   - the ceiling: a bare node:http server doing one `pg` round trip per request against the same
//     database through the same driver and pool size.
// It prints one JSON line with the ports and a ready-made user, then waits for SIGTERM.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createAppPool } from '../src/platform/db/database.ts';
import { prepareDatabase } from '../src/runtime.ts';
import { ceilingServer, PK_READ_PARAMS, PK_READ_SQL } from './ceilings.ts';

const POOL_SIZE = 20;
const PASSWORD = 'violet-harbor-lamp-42x';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bul-bench-'));
const config = loadConfig({
  ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
  BUL_DATA_DIR: dataDir,
  LOG_LEVEL: 'silent',
  PORT: '0',
  DATABASE_POOL_MAX: String(POOL_SIZE),
  RATE_LIMIT_STORE: 'memory',
  RATE_LIMIT_IP_PER_MINUTE: '100000000',
  RATE_LIMIT_USER_PER_MINUTE: '100000000',
  RATE_LIMIT_LOGIN_BURST: '100000000',
  RATE_LIMIT_LOGIN_PER_SECOND: '100000000',
  LOCKOUT_ACCOUNT_THRESHOLD: '1000000',
  LOCKOUT_IP_THRESHOLD: '1000000',
});
const log = pino({ level: 'silent' });
const { location, masterKey } = await prepareDatabase(config, log);
process.on('uncaughtException', async (err) => {
  process.stderr.write(`bench servers failed: ${err.stack}\n`);
  await location.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  throw err;
});
const pool = createAppPool(location.appUrl, POOL_SIZE, () => {});
// The enterprise plan: no monthly request quota in the way of a load test.
const owner = new pg.Client({ connectionString: location.ownerUrl });
await owner.connect();

const { app } = await buildApp({ config, pool, masterKey, redis: null, logger: false });
await app.listen({ host: '127.0.0.1', port: 0 });
const bulPort = (app.server.address() as { port: number }).port;

const email = 'bench@example.com';
const reg = await app.inject({
  method: 'POST',
  url: '/api/v1/auth/register',
  payload: { email, password: PASSWORD, name: 'Bench', organization: { name: 'Bench', subdomain: 'bench' } },
});
if (reg.statusCode !== 201) throw new Error(`register: ${reg.body}`);
const orgId = reg.json().organization.id as string;
await owner.query(`UPDATE organizations SET plan_id = 'enterprise' WHERE id = $1`, [orgId]);
const login = await app.inject({
  method: 'POST',
  url: '/api/v1/auth/login',
  payload: { email, password: PASSWORD },
});
const accessToken = login.json().accessToken as string;

// Ceiling: one round trip per request through the same driver and role (ceilings.ts).
const ceilingPool = createAppPool(location.appUrl, POOL_SIZE, () => {});
const ceiling = ceilingServer(ceilingPool, () => ({ sql: PK_READ_SQL, params: PK_READ_PARAMS }));
await new Promise<void>((resolve) => ceiling.listen(0, '127.0.0.1', resolve));
const ceilingPort = (ceiling.address() as { port: number }).port;

process.stdout.write(
  `${JSON.stringify({ bulPort, ceilingPort, accessToken, email, password: PASSWORD, postgres: config.databaseUrl ? 'external' : 'embedded' })}\n`,
);

process.on('SIGTERM', async () => {
  ceiling.close();
  await app.close();
  await pool.end();
  await ceilingPool.end();
  await owner.end();
  await location.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
});
