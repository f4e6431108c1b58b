// The fault test of issue 16: `kill -9` of the worker in the middle of 1,000 deliveries. BUL runs as
// separate OS processes (`bul start --role api` and `--role worker`) on one PostgreSQL; 1,000
// notifications go to a webhook channel whose receiver dedupes by the idempotency key (the
// webhook-id header: the notification's id, the same on every attempt). The worker is killed with
// SIGKILL while sending; a new worker takes over the claims the dead one held once their lease
// (NOTIFY_LEASE_SECONDS) runs out. After it: every notification delivered, each exactly once after
// dedupe, none lost, and the log says so.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { STRONG_PASSWORD, TEST_MASTER_KEY } from './support/constants.ts';
import {
  type BulProcess,
  callApi as call,
  cleanupProcesses,
  freePort,
  makeDataDir,
  spawnBul,
  waitForHealth,
} from './support/process.ts';
import { createTestDatabase, dropTestDatabase, uniqueEmail, uniqueSubdomain } from './support/test-app.ts';
import { type Sink, startSink } from './support/webhook-sink.ts';

const COUNT = 1000;
const databases: { adminUrl: string; dbName: string }[] = [];
let sink: Sink | null = null;

afterAll(async () => {
  await cleanupProcesses();
  await sink?.close();
  for (const d of databases) await dropTestDatabase(d.adminUrl, d.dbName);
}, 60_000);

it('kill -9 of the worker in the middle of 1,000 deliveries: after a restart every one is delivered once, none lost', async () => {
  const db = await createTestDatabase();
  databases.push(db);
  // The receiver answers after 20 ms: the worker is still sending when it is killed.
  const seen = new Map<string, number>();
  sink = await startSink((req, res) => {
    // The worker's health round also probes the channel's host (a HEAD, no webhook-id): not a delivery.
    const id = req.headers['webhook-id'];
    if (typeof id === 'string') seen.set(id, (seen.get(id) ?? 0) + 1);
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    }, 20);
  });
  const env = {
    DATABASE_URL: db.ownerUrl,
    BUL_MASTER_KEY: TEST_MASTER_KEY,
    LOG_LEVEL: 'warn',
    PUBLIC_URL: 'http://bul.test',
    DATABASE_POOL_MAX: '5',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    NOTIFY_CONCURRENCY: '8',
    NOTIFY_LEASE_SECONDS: '5',
    RATE_LIMIT_USER_PER_MINUTE: '100000',
    RATE_LIMIT_IP_PER_MINUTE: '100000',
  };
  const port = await freePort();
  const api = spawnBul(['start', '--role', 'api'], {
    ...env,
    PORT: String(port),
    BUL_DATA_DIR: makeDataDir(),
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHealth(api, base, 60_000);

  const email = uniqueEmail('fault');
  await call(base, 'POST', '/auth/register', null, {
    email,
    password: STRONG_PASSWORD,
    name: 'Fault Tester',
    organization: { name: 'Fault', subdomain: uniqueSubdomain('fault') },
  });
  const token = (await call(base, 'POST', '/auth/login', null, { email, password: STRONG_PASSWORD }))
    .accessToken as string;
  const me = await call(base, 'GET', '/auth/me', token);
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  await call(base, 'POST', '/notifications/channels', token, {
    kind: 'webhook',
    name: 'Receiver',
    config: { url: sink.url },
    secrets: { secret },
  });
  sink.secret = secret;

  // 1,000 notifications queued with no worker running: each send posts once to the webhook channel.
  const ids: string[] = [];
  for (let i = 0; i < COUNT; i += 20)
    ids.push(
      ...(await Promise.all(
        Array.from({ length: 20 }, async (_, j) => {
          const sent = await call(base, 'POST', '/notifications/send', token, {
            to: { userIds: [me.user?.id ?? me.id] },
            channels: ['webhook'],
            message: { subject: `n${i + j}`, body: 'fault test' },
          });
          return sent.notifications[0].id as string;
        }),
      )),
    );
  expect(new Set(ids).size).toBe(COUNT);

  const startWorker = (): BulProcess =>
    spawnBul(['start', '--role', 'worker'], { ...env, LOG_LEVEL: 'info', BUL_DATA_DIR: makeDataDir() });
  const first = startWorker();
  await expect.poll(() => seen.size, { timeout: 60_000, interval: 20 }).toBeGreaterThanOrEqual(COUNT / 5);
  first.child.kill('SIGKILL');
  const killed = await first.exited;
  expect(killed.signal).toBe('SIGKILL');
  const deliveredWhenKilled = seen.size;
  expect(deliveredWhenKilled).toBeLessThan(COUNT); // killed in the middle

  const second = startWorker();
  await expect.poll(() => seen.size, { timeout: 90_000, interval: 100 }).toBe(COUNT);
  // Exactly the notifications sent, each once after dedupe by webhook-id; every signature valid.
  expect([...seen.keys()].sort()).toEqual([...ids].sort());
  expect(sink.requests.filter((r) => r.headers['webhook-id']).every((r) => r.verifyError === null)).toBe(
    true,
  );
  // The log agrees: all delivered (none queued, sending or dead), each with a successful attempt.
  const owner = new pg.Client({ connectionString: db.ownerUrl });
  await owner.connect();
  try {
    const statuses = async () =>
      Object.fromEntries(
        (
          await owner.query<{ status: string; n: number }>(
            'SELECT status, count(*)::int AS n FROM notifications GROUP BY status',
          )
        ).rows.map((r) => [r.status, r.n]),
      );
    await expect.poll(statuses, { timeout: 30_000 }).toEqual({ delivered: COUNT });
    const { rows } = await owner.query<{ n: number }>(
      "SELECT count(DISTINCT notification_id)::int AS n FROM notification_attempts WHERE outcome = 'sent'",
    );
    expect(rows[0]!.n).toBe(COUNT);
  } finally {
    await owner.end();
  }
  const resent = [...seen.values()].filter((n) => n > 1).length;
  // At least once: what the dead worker had in flight may have been received and then sent again.
  expect(resent).toBeLessThanOrEqual(8);
  second.child.kill('SIGTERM');
  await second.exited;
}, 240_000);
