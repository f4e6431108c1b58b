// The deployed shape (bench/README.md, "deployed"): several BUL processes on one external
// PostgreSQL, as the deploy kit runs them, one group of processes per rate-limit store so that the
// stores can be measured in alternating rounds against each other:
//   - memory:   RATE_LIMIT_STORE=memory (the reference: counters never leave the process);
//   - postgres: RATE_LIMIT_STORE=postgres (no Redis: what `auto` picks with DATABASE_URL alone);
//   - redis:    RATE_LIMIT_STORE=redis (when REDIS_URL is set);
//   - ceiling:  bare node:http servers (ceilings.ts), as many processes, doing the one round trip
//               `/auth/me` (GET /me) and task create (POST /insert) cannot do without, through the
//               same driver and role, their connections acting for the bench organization.
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
import { ceilingServer, PK_READ_PARAMS, PK_READ_SQL, TASK_INSERT_SQL, taskInsertParams } from './ceilings.ts';
import { scratchDatabase } from './scratch-database.ts';

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
else if (process.env.BENCH_SHAPE === 'ceiling') await ceilingWorker();
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
  const scratch = serverUrl ? await scratchDatabase(serverUrl, 'bul_bench_deployed') : null;
  const databaseUrl = scratch?.url;
  const dropDatabase = async () => scratch?.drop();
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
  /** Starts `processes` workers of `shape` on one new port; resolves when all listen. */
  const startGroup = async (shape: string, env: Record<string, string>) => {
    const port = await freePort();
    ports[shape] = port;
    const listening: Promise<void>[] = [];
    for (let i = 0; i < processes; i++) {
      const w = cluster.fork({
        ...env,
        BENCH_SHAPE: shape,
        BENCH_PORT: String(port),
        BENCH_APP_URL: location.appUrl,
      });
      pids[shape] = [...(pids[shape] ?? []), w.process.pid!];
      listening.push(
        new Promise((resolve, reject) => {
          w.once('listening', () => resolve());
          w.once('exit', (code) => reject(new Error(`${shape} worker exited (${code})`)));
        }),
      );
    }
    await Promise.all(listening);
  };
  try {
    await Promise.all(
      shapes.map((shape) =>
        startGroup(shape, {
          BENCH_OWNER_URL: location.ownerUrl,
          BUL_MASTER_KEY: masterKey,
          BUL_DATA_DIR: dataDir,
          REDIS_URL: shape === 'redis' ? redisUrl : '',
        }),
      ),
    );
    const bench = await setUp(ports, location.ownerUrl);
    await startGroup('ceiling', {
      BENCH_ORG_ID: bench.orgId,
      BENCH_USER_ID: bench.userId,
      BENCH_PROJECT_ID: bench.projectId,
    });
    process.stdout.write(
      `${JSON.stringify({ ports, pids, ownerUrl: location.ownerUrl, processes, ...bench, postgres: serverUrl ? 'external' : 'embedded' })}\n`,
    );
  } catch (err) {
    process.stderr.write(`bench deployed servers failed: ${(err as Error).message}\n`);
    await cleanUp();
    process.exit(1);
  }
}

/**
 * One user on the enterprise plan (no monthly quota in the way), whose token works in every group,
 * and a project for the tasks the create measurement adds.
 */
async function setUp(ports: Record<string, number>, ownerUrl: string) {
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
  const signedIn = (await login.json()) as { accessToken: string; user: { id: string } };
  const accessToken = signedIn.accessToken;
  for (const [shape, port] of Object.entries(ports)) {
    const me = await fetch(`http://127.0.0.1:${port}/api/v1/auth/me`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    if (me.status !== 200) throw new Error(`${shape}: /auth/me answered ${me.status}: ${await me.text()}`);
  }
  const project = await fetch(`${base}/projects`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Deployed benchmark' }),
  });
  if (project.status !== 201) throw new Error(`project: ${await project.text()}`);
  const projectId = ((await project.json()) as { id: string }).id;
  return { accessToken, orgId, userId: signedIn.user.id, projectId };
}

/** A ceiling process: the bare server of ceilings.ts, its connections acting for the organization. */
async function ceilingWorker() {
  const ids = {
    orgId: process.env.BENCH_ORG_ID!,
    userId: process.env.BENCH_USER_ID!,
    projectId: process.env.BENCH_PROJECT_ID!,
  };
  const pool = new pg.Pool({
    connectionString: process.env.BENCH_APP_URL!,
    max: POOL_SIZE,
    application_name: 'bul-bench-ceiling',
    options: `-c jit=off -c app.org_id=${ids.orgId} -c app.user_id=${ids.userId}`,
  });
  const server = ceilingServer(pool, (url) =>
    url === '/insert'
      ? { sql: TASK_INSERT_SQL, params: taskInsertParams(ids) }
      : { sql: PK_READ_SQL, params: PK_READ_PARAMS },
  );
  server.listen(Number(process.env.BENCH_PORT), '127.0.0.1');
  process.on('SIGTERM', async () => {
    server.close();
    await pool.end();
    process.exit(0);
  });
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
