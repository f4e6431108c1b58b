// The deployed shape (bench/README.md, "deployed"): several BUL processes on one external
// PostgreSQL, as the deploy kit runs them, one group of processes per rate-limit store so that the
// stores can be measured in alternating rounds against each other:
//   - memory:   RATE_LIMIT_STORE=memory (the reference: counters never leave the process);
//   - postgres: RATE_LIMIT_STORE=postgres (no Redis: what `auto` picks with DATABASE_URL alone);
//   - redis:    RATE_LIMIT_STORE=redis (when REDIS_URL is set).
// Each group is BENCH_PROCESSES node:cluster workers sharing one port (the primary hands each
// connection to the next worker, as a load balancer in front of N containers would). Every rate
// limit is raised out of the way, but every request is still counted in the group's store.
//
// The database: BENCH_DATABASE_URL names a server (owner URL); a fresh database is created on it
// and dropped at the end, with an application role of its own so that nothing else sharing the
// server is touched. Without it, an embedded PostgreSQL in a temporary directory plays the part.
// Prints one JSON line (ports, a token), then waits for SIGTERM.
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { loadMasterKey } from '../src/platform/crypto/master-key.ts';
import { createAppPool } from '../src/platform/db/database.ts';
import { prepareDatabase } from '../src/runtime.ts';

const POOL_SIZE = 10; // per process: two processes have the foundation bench's 20 between them
const PASSWORD = 'violet-harbor-lamp-42x';
const APP_ROLE = 'bul_bench_deployed';
const APP_PASSWORD = 'bench-deployed-app-role-password';
// One public URL for every group: it is the tokens' issuer, so one token serves them all.
const PUBLIC_URL = 'http://localhost:8080';
const raisedLimits = {
  RATE_LIMIT_IP_PER_MINUTE: '100000000',
  RATE_LIMIT_USER_PER_MINUTE: '100000000',
  RATE_LIMIT_LOGIN_BURST: '100000000',
  RATE_LIMIT_LOGIN_PER_SECOND: '100000000',
  LOCKOUT_ACCOUNT_THRESHOLD: '1000000',
  LOCKOUT_IP_THRESHOLD: '1000000',
};

if (cluster.isPrimary) await primary();
else await worker();

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function primary() {
  const processes = Number(process.env.BENCH_PROCESSES ?? 2);
  const redisUrl = process.env.REDIS_URL ?? '';
  const serverUrl = process.env.BENCH_DATABASE_URL;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bul-bench-deployed-'));
  const masterKey = randomBytes(32).toString('base64');
  let databaseUrl: string | undefined;
  let dropDatabase = async () => {};
  if (serverUrl) {
    const name = `bul_bench_deployed_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(serverUrl);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
    dropDatabase = async () => {
      const a = new pg.Client({ connectionString: serverUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    };
  }
  const config = loadConfig({
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    BUL_DATA_DIR: dataDir,
    BUL_MASTER_KEY: masterKey,
    DATABASE_APP_ROLE: APP_ROLE,
    DATABASE_APP_PASSWORD: APP_PASSWORD,
    PUBLIC_URL,
    LOG_LEVEL: 'silent',
  });
  const { location } = await prepareDatabase(config, pino({ level: 'silent' }));
  const cleanUp = async () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await dropDatabase().catch(() => {});
    await location.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.on('SIGTERM', async () => {
    await cleanUp();
    process.exit(0);
  });

  const shapes = ['memory', 'postgres', ...(redisUrl ? ['redis'] : [])];
  const ports: Record<string, number> = {};
  const pids: Record<string, number[]> = {};
  const listening: Promise<void>[] = [];
  for (const shape of shapes) {
    const port = await freePort();
    ports[shape] = port;
    for (let i = 0; i < processes; i++) {
      const w = cluster.fork({
        BENCH_SHAPE: shape,
        BENCH_PORT: String(port),
        BENCH_OWNER_URL: location.ownerUrl,
        BENCH_APP_URL: location.appUrl,
        BUL_MASTER_KEY: masterKey,
        BUL_DATA_DIR: dataDir,
        REDIS_URL: shape === 'redis' ? redisUrl : '',
      });
      pids[shape] = [...(pids[shape] ?? []), w.process.pid!];
      listening.push(
        new Promise((resolve, reject) => {
          w.once('listening', () => resolve());
          w.once('exit', (code) => reject(new Error(`${shape} worker exited (${code})`)));
        }),
      );
    }
  }
  try {
    await Promise.all(listening);
    await setUp(ports, pids, location.ownerUrl, processes, Boolean(serverUrl));
  } catch (err) {
    process.stderr.write(`bench deployed servers failed: ${(err as Error).message}\n`);
    await cleanUp();
    process.exit(1);
  }
}

async function setUp(
  ports: Record<string, number>,
  pids: Record<string, number[]>,
  ownerUrl: string,
  processes: number,
  external: boolean,
) {
  // One user on the enterprise plan (no monthly quota in the way); its token works in every group.
  const base = `http://127.0.0.1:${ports.memory}/api/v1`;
  const email = 'bench@example.com';
  const reg = await fetch(`${base}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email,
      password: PASSWORD,
      name: 'Bench',
      organization: { name: 'Bench', subdomain: 'bench' },
    }),
  });
  if (reg.status !== 201) throw new Error(`register: ${await reg.text()}`);
  const orgId = ((await reg.json()) as { organization: { id: string } }).organization.id;
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  await owner.query(`UPDATE organizations SET plan_id = 'enterprise' WHERE id = $1`, [orgId]);
  await owner.end();
  const login = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  const accessToken = ((await login.json()) as { accessToken: string }).accessToken;
  for (const [shape, port] of Object.entries(ports)) {
    const me = await fetch(`http://127.0.0.1:${port}/api/v1/auth/me`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    if (me.status !== 200) throw new Error(`${shape}: /auth/me answered ${me.status}: ${await me.text()}`);
  }
  process.stdout.write(
    `${JSON.stringify({ ports, pids, ownerUrl, processes, accessToken, postgres: external ? 'external' : 'embedded' })}\n`,
  );
}

async function worker() {
  const shape = process.env.BENCH_SHAPE!;
  const config = loadConfig({
    DATABASE_URL: process.env.BENCH_OWNER_URL!,
    BUL_DATA_DIR: process.env.BUL_DATA_DIR!,
    BUL_MASTER_KEY: process.env.BUL_MASTER_KEY!,
    DATABASE_APP_ROLE: APP_ROLE,
    DATABASE_APP_PASSWORD: APP_PASSWORD,
    PUBLIC_URL,
    LOG_LEVEL: 'silent',
    PORT: process.env.BENCH_PORT!,
    DATABASE_POOL_MAX: String(POOL_SIZE),
    RATE_LIMIT_STORE: shape,
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    ...raisedLimits,
  });
  const { key: masterKey } = loadMasterKey(config.masterKey, config.dataDir);
  // Each group's database backends carry its name, so the runner can add up their CPU time.
  const appUrl = new URL(process.env.BENCH_APP_URL!);
  appUrl.searchParams.set('application_name', `bul-bench-${shape}`);
  const pool = createAppPool(appUrl.toString(), POOL_SIZE, () => {});
  const redis = config.redisUrl
    ? new (await import('ioredis')).Redis(config.redisUrl, { maxRetriesPerRequest: 2 })
    : null;
  const { app } = await buildApp({ config, pool, masterKey, redis, logger: false });
  await app.listen({ host: '127.0.0.1', port: config.port });
  process.on('SIGTERM', async () => {
    await app.close();
    await pool.end();
    await redis?.quit();
    process.exit(0);
  });
}
