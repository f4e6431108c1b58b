// Rate limits and lockouts hold across several BUL processes: through Redis when REDIS_URL is
// set, through PostgreSQL otherwise (per-request limits synced in batches, within the documented
// bound; lockouts exact). Each "process" here is a separate app instance.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { expectFieldError, expectProblem } from './support/problems.ts';
import { createSiblingApp, createTestApp, requirement, signUp, type TestApp } from './support/test-app.ts';

const apps: TestApp[] = [];
afterAll(async () => {
  for (const a of apps.reverse()) await a.close();
});

/** A documentation-range address nobody else in the run uses, so shared counters start at zero. */
const freshIp = () => `198.51.100.${1 + (randomBytes(1)[0]! % 250)}`;
const freshV6 = () => `2001:db8:${randomBytes(2).toString('hex')}::${randomBytes(2).toString('hex')}`;

async function twoProcesses(env: Record<string, string>): Promise<[TestApp, TestApp]> {
  const a = await createTestApp(env);
  apps.push(a);
  const b = await createSiblingApp(a, env);
  apps.push(b);
  return [a, b];
}

async function perIpLimitIsShared(a: TestApp, b: TestApp) {
  const ip = freshV6();
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) {
    const app = i % 2 === 0 ? a : b;
    const res = await app.request({ method: 'GET', url: '/api/v1/errors', remoteAddress: ip });
    statuses.push(res.statusCode);
    if (res.statusCode === 429) {
      expect(res.json().type).toBe('urn:bul:error:rate-limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
  }
  // 5 per minute in total, whichever process answered.
  expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  const other = await a.request({ method: 'GET', url: '/api/v1/errors', remoteAddress: freshIp() });
  expect(other.statusCode).toBe(200);
}

async function lockoutIsShared(a: TestApp, b: TestApp) {
  const s = await signUp(a);
  const ip = freshV6();
  for (const app of [a, b, a]) {
    const res = await app.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: ip,
      payload: { email: s.email, password: 'not-the-password-1' },
    });
    expect(res.statusCode).toBe(401);
  }
  const locked = await b.request({
    method: 'POST',
    url: '/api/v1/auth/login',
    remoteAddress: freshIp(),
    payload: { email: s.email, password: 'not-the-password-1' },
  });
  expect(locked.statusCode).toBe(429);
  expect(locked.json().type).toBe('urn:bul:error:account-locked');
}

const limits = { RATE_LIMIT_IP_PER_MINUTE: '5', LOCKOUT_ACCOUNT_THRESHOLD: '3', LOCKOUT_BASE: '60s' };
// Long enough that no background sync runs during a test: the tests sync when they mean to.
const syncByHand = { ...limits, RATE_LIMIT_STORE: 'postgres', RATE_LIMIT_SYNC_INTERVAL_MS: '10000' };

const get = (app: TestApp, ip: string, headers: Record<string, string> = {}) =>
  app.request({ method: 'GET', url: '/api/v1/errors', remoteAddress: ip, headers });

describe('limits shared through PostgreSQL (no Redis, several processes)', () => {
  it("counts one address across processes, each learning the others' counts at its next sync", async () => {
    const [a, b] = await twoProcesses(syncByHand);
    const ip = freshV6();
    for (let i = 0; i < 5; i++) expect((await get(a, ip)).statusCode).toBe(200);
    // A process's own count is exact, synced or not.
    const sixth = await get(a, ip);
    expectProblem(sixth, 429, 'rate-limited');
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(0);
    // B has not seen this address since its last sync: the documented overshoot (one sync interval).
    expect((await get(b, ip)).statusCode).toBe(200);
    await a.services.rateLimits.sync();
    await b.services.rateLimits.sync();
    // Both now enforce the shared total (5 through A + 1 through B).
    expectProblem(await get(b, ip), 429, 'rate-limited');
    expectProblem(await get(a, ip), 429, 'rate-limited');
    expect((await get(b, freshIp())).statusCode).toBe(200);
  });

  it('syncs in the background: past the limit, another process refuses within a few intervals', async () => {
    const [a, b] = await twoProcesses({
      ...limits,
      RATE_LIMIT_STORE: 'postgres',
      RATE_LIMIT_SYNC_INTERVAL_MS: '20',
    });
    const ip = freshV6();
    for (let i = 0; i < 5; i++) expect((await get(a, ip)).statusCode).toBe(200);
    // One request through B every two intervals: B learns A's five at its first sync.
    let admittedByB = 0;
    for (let i = 0; i < 100; i++) {
      const res = await get(b, ip);
      if (res.statusCode === 429) break;
      expect(res.statusCode).toBe(200);
      admittedByB++;
      await new Promise((r) => setTimeout(r, 40));
    }
    // Counted alone, B would let 5 through before refusing (the memory store below).
    expect(admittedByB).toBeLessThan(5);
    expectProblem(await get(a, ip), 429, 'rate-limited');
  });

  it('drops ended windows in the hourly housekeeping', async () => {
    const [a] = await twoProcesses(syncByHand);
    const ip = freshV6();
    expect((await get(a, ip)).statusCode).toBe(200);
    await a.services.rateLimits.sync();
    await a.owner(
      "INSERT INTO rate_limit_counters (key, window_end, points) VALUES ('bul:api-ip:ended', 60000, 7)",
    );
    const before = await a.owner('SELECT key FROM rate_limit_counters');
    expect(before.rows.map((r) => r.key).sort()).toEqual([`bul:api-ip:${ip}`, 'bul:api-ip:ended']);
    await a.owner('SELECT bul_cleanup_expired()');
    const after = await a.owner<{ key: string; points: number }>(
      'SELECT key, points FROM rate_limit_counters',
    );
    expect(after.rows).toEqual([{ key: `bul:api-ip:${ip}`, points: 1 }]);
  });

  it('keeps lockouts exact across processes', async () => {
    const [a, b] = await twoProcesses(syncByHand);
    await lockoutIsShared(a, b);
  });

  it('answers an API request without waiting on the counters in the database', async () => {
    // Each request used to upsert a counter row and wait for its commit: all requests from one
    // address queued on that row's lock. Holding every counter table's write lock shows it.
    const [a] = await twoProcesses(syncByHand);
    const s = await signUp(a);
    const { rows } = await a.owner<{ t: string }>(
      "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'rate\\_limit%'",
    );
    expect(rows.length).toBeGreaterThan(0);
    const locker = new pg.Client({ connectionString: a.ownerUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${rows.map((r) => r.t).join(', ')} IN EXCLUSIVE MODE`);
      const answered = a
        .request({ method: 'GET', url: '/api/v1/auth/me', remoteAddress: freshV6(), headers: s.headers })
        .then((res) => `answered ${res.statusCode}`);
      const blocked = waitForLockWaiter(locker, a.dbName).then(() => 'waited for the lock');
      expect(await Promise.race([answered, blocked])).toBe('answered 200');
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
  });

  it('still answers bad input with a problem naming the field', async () => {
    const [a, b] = await twoProcesses(syncByHand);
    for (const app of [a, b]) {
      const res = await app.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: freshV6(),
        payload: { email: 'someone@example.com' },
      });
      expectFieldError(res, 'password');
    }
  });
});

/** Resolves once a backend of database `db` waits for a lock (polling pg_stat_activity). */
async function waitForLockWaiter(c: pg.Client, db: string): Promise<void> {
  for (;;) {
    const { rows } = await c.query(
      "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
      [db],
    );
    if (rows.length > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('limits shared through Redis', () => {
  const redisUrl = process.env.REDIS_URL;
  it('counts one address across processes', async () => {
    if (
      !requirement(
        Boolean(redisUrl),
        'REDIS_URL is not set (start Redis and set REDIS_URL=redis://127.0.0.1:6379)',
      )
    )
      return;
    const [a, b] = await twoProcesses({ ...limits, RATE_LIMIT_STORE: 'redis', REDIS_URL: redisUrl! });
    await perIpLimitIsShared(a, b);
    await lockoutIsShared(a, b);
  });

  it('keeps the counters of two installations (two databases) on one Redis apart', async () => {
    if (!requirement(Boolean(redisUrl), 'REDIS_URL is not set')) return;
    const env = { ...limits, RATE_LIMIT_STORE: 'redis', REDIS_URL: redisUrl! };
    const one = await createTestApp(env);
    apps.push(one);
    const other = await createTestApp(env);
    apps.push(other);
    const ip = freshV6();
    const get = (app: TestApp) => app.request({ method: 'GET', url: '/api/v1/errors', remoteAddress: ip });
    for (let i = 0; i < 5; i++) expect((await get(one)).statusCode).toBe(200);
    expect((await get(one)).statusCode).toBe(429);
    // The same address on another installation has its own 5 (before, one Redis key served both).
    expect((await get(other)).statusCode).toBe(200);
  });
});

describe('limits in memory', () => {
  it('are independent per process (the contrast that makes the tests above meaningful)', async () => {
    const [a, b] = await twoProcesses({ ...limits, RATE_LIMIT_STORE: 'memory' });
    const ip = freshIp();
    for (let i = 0; i < 5; i++)
      expect((await a.request({ method: 'GET', url: '/api/v1/errors', remoteAddress: ip })).statusCode).toBe(
        200,
      );
    expect((await b.request({ method: 'GET', url: '/api/v1/errors', remoteAddress: ip })).statusCode).toBe(
      200,
    );
    expect((await a.request({ method: 'GET', url: '/api/v1/errors', remoteAddress: ip })).statusCode).toBe(
      429,
    );
  });
});
