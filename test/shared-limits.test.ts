// Rate limits and lockouts hold across several BUL processes: through Redis when REDIS_URL is
// set, through PostgreSQL otherwise. Each "process" here is a separate app instance.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
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

describe('limits shared through PostgreSQL (no Redis, several processes)', () => {
  it('counts one address across processes', async () => {
    const [a, b] = await twoProcesses({ ...limits, RATE_LIMIT_STORE: 'postgres' });
    await perIpLimitIsShared(a, b);
    await lockoutIsShared(a, b);
  });
});

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
