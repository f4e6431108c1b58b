// The deployed shape of realtime: two `bul start --role api` processes and one `--role worker` on one
// PostgreSQL, as separate OS processes. A change made through process A reaches a WebSocket client
// connected to process B (fanned out over PostgreSQL NOTIFY, then over Redis pub/sub when
// REDIS_URL is set), every event once and in commit order; another organization's client on
// either process receives none of it.
import { afterAll, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD, TEST_MASTER_KEY } from './support/constants.ts';
import {
  callApi as call,
  cleanupProcesses,
  freePort,
  makeDataDir,
  spawnBul,
  waitForHealth,
} from './support/process.ts';
import {
  createTestDatabase,
  dropTestDatabase,
  requirement,
  uniqueEmail,
  uniqueSubdomain,
} from './support/test-app.ts';
import { connectWs, type WsClient, type WsMessage } from './support/ws-client.ts';

const START_TIMEOUT = 60_000;
const databases: { adminUrl: string; dbName: string }[] = [];
const clients: WsClient[] = [];

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await cleanupProcesses();
  for (const d of databases) await dropTestDatabase(d.adminUrl, d.dbName);
}, 60_000);

async function startCluster(extra: Record<string, string>) {
  const db = await createTestDatabase();
  databases.push(db);
  const env = {
    DATABASE_URL: db.ownerUrl,
    BUL_MASTER_KEY: TEST_MASTER_KEY,
    LOG_LEVEL: 'warn',
    // One site: tokens name it as their issuer, and any process must accept another's.
    PUBLIC_URL: 'http://bul.test',
    // Three processes on a server other test files share (max_connections 100 by default).
    DATABASE_POOL_MAX: '5',
    ...extra,
  };
  const ports = [await freePort(), await freePort()];
  const apis = ports.map((port) =>
    spawnBul(['start', '--role', 'api'], { ...env, PORT: String(port), BUL_DATA_DIR: makeDataDir() }),
  );
  const worker = spawnBul(['start', '--role', 'worker'], {
    ...env,
    LOG_LEVEL: 'info',
    BUL_DATA_DIR: makeDataDir(),
  });
  const bases = ports.map((p) => `http://127.0.0.1:${p}`);
  await Promise.all(apis.map((p, i) => waitForHealth(p, bases[i]!, START_TIMEOUT)));
  await worker.waitForLog((l) => l.msg === 'worker composed', 'the worker', START_TIMEOUT);
  return { bases, worker };
}

async function signUpOver(base: string, orgName: string) {
  const email = uniqueEmail('rt');
  await call(base, 'POST', '/auth/register', null, {
    email,
    password: STRONG_PASSWORD,
    name: 'Realtime User',
    organization: { name: orgName, subdomain: uniqueSubdomain('rt') },
  });
  const login = await call(base, 'POST', '/auth/login', null, { email, password: STRONG_PASSWORD });
  return { token: login.accessToken as string, orgId: login.organization?.id as string | undefined };
}

async function open(base: string, token: string): Promise<WsClient> {
  const c = await connectWs(`${base.replace('http', 'ws')}/ws`, { authorization: `Bearer ${token}` });
  clients.push(c);
  return c;
}

async function changeOnAReachesB(extra: Record<string, string>) {
  const { bases } = await startCluster(extra);
  const [a, b] = bases as [string, string];
  const orgA = await signUpOver(a, 'Cluster A');
  const orgB = await signUpOver(b, 'Cluster B');
  const onB = await open(b, orgA.token);
  const onA = await open(a, orgA.token);
  const otherOnA = await open(a, orgB.token);
  const otherOnB = await open(b, orgB.token);

  const project = await call(a, 'POST', '/projects', orgA.token, { name: 'Across processes' });
  const tasks: string[] = [];
  for (let i = 0; i < 20; i++) {
    const task = await call(a, 'POST', '/tasks', orgA.token, { projectId: project.id, title: `t${i}` });
    tasks.push(task.id);
  }
  const last = tasks.at(-1)!;
  const isLast = (m: WsMessage) => m.type === 'task.created' && m.payload?.id === last;
  await onB.next(isLast, 'the last task on process B', 30_000);
  await onA.next(isLast, 'the last task on process A', 30_000);
  for (const c of [onA, onB]) {
    const created = c
      .events()
      .filter((m) => m.type === 'task.created')
      .map((m) => m.payload?.id);
    expect(created).toEqual(tasks); // every one, once, in commit order
    const seqs = c.events().map((m) => m.seq!);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  }
  // Organization B's clients, on both processes, saw nothing of A.
  const bProject = await call(b, 'POST', '/projects', orgB.token, { name: 'B marker' });
  for (const c of [otherOnA, otherOnB]) {
    await c.next((m) => m.type === 'project.created' && m.payload?.id === bProject.id, "B's own marker");
    const seen = new Set(c.events().map((m) => m.payload?.id));
    expect([project.id, ...tasks].some((id) => seen.has(id))).toBe(false);
  }
}

describe('realtime across processes', () => {
  it('a change through API process A reaches a client of process B, over PostgreSQL NOTIFY', async () => {
    await changeOnAReachesB({});
  }, 120_000);

  it('the same over Redis pub/sub (REDIS_URL)', async () => {
    const url = process.env.REDIS_URL;
    if (!requirement(Boolean(url), 'REDIS_URL is not set: the Redis fan-out is not tested')) return;
    await changeOnAReachesB({ REDIS_URL: url!, RATE_LIMIT_STORE: 'redis' });
  }, 120_000);
});
