// Health checks (docs/health.md): each platform check ok / degraded / down, each channel probe
// against a real local SMTP server and an HTTP server that is up, failing, hanging and down, the
// score formula, uptime over 24 h / 7 d / 30 d and history from rounds at controlled ticks, what
// an organization sees versus a super admin, a hanging check that times out without stopping the
// loop, and exactly one round per tick with two app instances on one database.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  databaseStatus,
  diskStatus,
  type PlatformCheck,
  platformChecks,
  queueStatus,
} from '../src/modules/system/health-checks.ts';
import { HealthRunner, samplesOf } from '../src/modules/system/health-runner.ts';
import { failingChecks, healthScore, overallStatus } from '../src/modules/system/health-score.ts';
import { PLATFORM_ORG_ID } from '../src/platform/db/ids.ts';
import { tickOf } from '../src/platform/jobs/tick-loop.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import { type SmtpPeer, startSmtpPeer } from './support/providers/smtp.ts';
import {
  addMember,
  createSiblingApp,
  createTestApp,
  requirement,
  type Session,
  signUp,
  type TestApp,
} from './support/test-app.ts';

const TIMEOUT_MS = 1000;
const ENV = {
  WEBHOOK_ALLOW_PRIVATE: 'true',
  HEALTH_CHECK_TIMEOUT_MS: String(TIMEOUT_MS),
  ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
};
const EVERY = 30_000;
/** Ticks of this file's rounds: a minute or more in the past, so none is a tick a real loop takes. */
const BASE = tickOf(Date.now(), EVERY).getTime() - 60 * EVERY;

let t: TestApp;
let admin: Session;
let other: Session;
let root: Session;
let smtp: SmtpPeer;
let http: { server: Server; port: number; mode: 'ok' | 'fail' | 'hang' };

function api(s: Session, url: string) {
  return t.request({ method: 'GET', url: `/api/v1${url}`, headers: s.headers });
}

async function channel(s: Session, body: Record<string, unknown>): Promise<string> {
  const res = await t.request({
    method: 'POST',
    url: '/api/v1/notifications/channels',
    headers: s.headers,
    payload: body,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

async function enable(s: Session, id: string, enabled: boolean) {
  const res = await t.request({
    method: 'PATCH',
    url: `/api/v1/notifications/channels/${id}`,
    headers: s.headers,
    payload: { enabled },
  });
  expect(res.statusCode, res.body).toBe(200);
}

/** Runs the round of the tick `n` intervals after BASE (each n once in the file). */
async function round(n: number, app: TestApp = t): Promise<void> {
  expect(await app.services.healthRunner.runTick(BASE + n * EVERY)).toBe(true);
}

type Check = { key: string; status: string; detail: string | null; orgId: string | null };
async function checks(s: Session): Promise<Check[]> {
  const res = await api(s, '/system/health');
  expect(res.statusCode, res.body).toBe(200);
  return res.json().checks;
}

beforeAll(async () => {
  t = await createTestApp(ENV);
  admin = await signUp(t);
  other = await signUp(t);
  root = await signUp(t);
  await t.owner('UPDATE users SET is_super_admin = true WHERE id = $1', [root.userId]);
  smtp = await startSmtpPeer();
  const server = createServer((_req, res) => {
    if (http.mode === 'hang') return; // never answers
    res.statusCode = http.mode === 'ok' ? 404 : 503;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  http = { server, port: (server.address() as AddressInfo).port, mode: 'ok' };
}, 60_000);

afterAll(async () => {
  http?.server.closeAllConnections();
  await new Promise((r) => http?.server.close(r));
  await smtp?.close();
  await t?.close();
});

describe('platform checks', () => {
  it('database, Redis, job queue and disk are ok on a healthy installation', async () => {
    requirement(Boolean(process.env.REDIS_URL), 'REDIS_URL for the Redis check');
    await round(0);
    const seen = await checks(root);
    const byKey = Object.fromEntries(seen.map((c) => [c.key, c]));
    expect(byKey.database).toMatchObject({ status: 'ok', orgId: null });
    expect(byKey.database!.detail).toMatch(/connections in use/);
    expect(byKey.job_queue).toMatchObject({ status: 'ok', detail: 'no runnable job waiting' });
    expect(byKey.disk).toMatchObject({ status: 'ok' });
    expect(byKey.disk!.detail).toMatch(/% free/);
    if (process.env.REDIS_URL)
      expect(byKey.redis).toMatchObject({ status: 'ok', detail: 'PING answered PONG' });
  });

  it('classifies connections, queue age and free disk by the documented thresholds', () => {
    expect(databaseStatus(79, 100).status).toBe('ok');
    expect(databaseStatus(80, 100)).toEqual({
      status: 'degraded',
      detail: '80 of 100 connections in use (80 %)',
    });
    expect(queueStatus(0, null, 300).status).toBe('ok');
    expect(queueStatus(3, 300, 300).status).toBe('ok');
    expect(queueStatus(3, 301, 300).status).toBe('degraded');
    expect(queueStatus(3, 3001, 300).status).toBe('down');
    expect(diskStatus(10, 100).status).toBe('ok');
    expect(diskStatus(9.9, 100).status).toBe('degraded');
    expect(diskStatus(2, 100).status).toBe('degraded');
    expect(diskStatus(1.9, 100).status).toBe('down');
  });

  it('reads the real job queue: old runnable jobs make it degraded, then down', async () => {
    const tick = new Date(BASE + 1 * EVERY);
    const runner = (disk?: { freeBytes: number; totalBytes: number }) =>
      new HealthRunner({
        pool: t.pool,
        checks: platformChecks({
          pool: t.pool,
          redis: null,
          dataDir: t.config.dataDir,
          queueMaxAgeSeconds: 300,
          ...(disk ? { readDisk: async () => disk } : {}),
        }),
        channels: null,
        everySeconds: 30,
        timeoutMs: TIMEOUT_MS,
        retentionDays: 30,
        onError: (err) => {
          throw err;
        },
      });
    const statusOf = async (key: string, disk?: { freeBytes: number; totalBytes: number }) =>
      (await runner(disk).measure(tick)).find((r) => r.key === key)!;
    const add = (ageSeconds: number) =>
      t.owner(`SELECT graphile_worker.add_job('health:probe', '{}'::json, run_at := $1)`, [
        new Date(tick.getTime() - ageSeconds * 1000),
      ]);
    try {
      await add(20 * 60);
      expect(await statusOf('job_queue')).toMatchObject({
        status: 'degraded',
        detail: '1 runnable jobs, the oldest waiting 1200 s',
      });
      await add(2 * 3600);
      expect((await statusOf('job_queue')).status).toBe('down');
      // A job due later is not waiting.
      await t.owner('DELETE FROM graphile_worker._private_jobs');
      await add(-600);
      expect((await statusOf('job_queue')).status).toBe('ok');
    } finally {
      await t.owner('DELETE FROM graphile_worker._private_jobs');
    }
    expect((await statusOf('disk', { freeBytes: 5, totalBytes: 100 })).status).toBe('degraded');
    expect((await statusOf('disk', { freeBytes: 1, totalBytes: 100 })).status).toBe('down');
  });

  it('a database or Redis that does not answer is down', async () => {
    const deadPool = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
    deadPool.on('error', () => {});
    const deadRedis = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0 });
    deadRedis.on('error', () => {});
    try {
      const runner = new HealthRunner({
        pool: t.pool,
        checks: platformChecks({
          pool: deadPool,
          redis: deadRedis,
          dataDir: '/nonexistent/bul',
          queueMaxAgeSeconds: 300,
        }),
        channels: null,
        everySeconds: 30,
        timeoutMs: TIMEOUT_MS,
        retentionDays: 30,
        onError: () => {},
      });
      const results = await runner.measure(new Date(BASE));
      expect(Object.fromEntries(results.map((r) => [r.key, r.status]))).toEqual({
        database: 'down',
        redis: 'down',
        job_queue: 'down',
        disk: 'down',
      });
      expect(results.find((r) => r.key === 'database')!.detail).toMatch(/ECONNREFUSED|connect/);
    } finally {
      deadRedis.disconnect();
      await deadPool.end();
    }
  });
});

describe('notification channel probes', () => {
  let mail: string;
  let hook: string;

  it('an SMTP relay that takes a login is ok; nothing is sent', async () => {
    mail = await channel(admin, {
      kind: 'email',
      name: 'Relay',
      config: { host: '127.0.0.1', port: smtp.port, secure: false, from: { address: 'n@example.com' } },
    });
    hook = await channel(admin, {
      kind: 'webhook',
      name: 'Hook',
      config: { url: `http://127.0.0.1:${http.port}/hooks/bul?token=secret` },
      secrets: { secret: 'whsec_c2VjcmV0' },
    });
    http.mode = 'ok';
    await round(2);
    const mine = Object.fromEntries((await checks(admin)).map((c) => [c.key, c]));
    expect(mine[`channel:${mail}`]).toMatchObject({ status: 'ok', orgId: admin.orgId });
    expect(mine[`channel:${mail}`]!.detail).toBe(`127.0.0.1:${smtp.port} accepts a login`);
    expect(smtp.received).toHaveLength(0);
    // A 4xx answer is an answer: reachable. Only the host was called, never the path with its token.
    expect(mine[`channel:${hook}`]).toMatchObject({
      status: 'ok',
      detail: `HTTP 404 from 127.0.0.1:${http.port}`,
    });
  });

  it('a relay that refuses the login is down; an HTTP host answering 5xx is degraded, then down when it stops', async () => {
    const locked = await startSmtpPeer({ auth: { user: 'bul', password: 'right' } });
    try {
      const refused = await channel(admin, {
        kind: 'email',
        name: 'Locked relay',
        config: { host: '127.0.0.1', port: locked.port, secure: false, from: { address: 'n@example.com' } },
        secrets: { user: 'bul', password: 'wrong' },
      });
      http.mode = 'fail';
      await round(3);
      let mine = Object.fromEntries((await checks(admin)).map((c) => [c.key, c]));
      expect(mine[`channel:${refused}`]!.status).toBe('down');
      expect(mine[`channel:${refused}`]!.detail).toMatch(/535/);
      expect(mine[`channel:${hook}`]).toMatchObject({
        status: 'degraded',
        detail: `HTTP 503 from 127.0.0.1:${http.port}`,
      });
      await enable(admin, refused, false);

      // The HTTP server goes away.
      const dead = createServer();
      await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
      const deadPort = (dead.address() as AddressInfo).port;
      await new Promise((r) => dead.close(r));
      const gone = await channel(admin, {
        kind: 'slack',
        name: 'Gone',
        secrets: { url: `http://127.0.0.1:${deadPort}/services/T000/B000/XXXX` },
      });
      await round(4);
      mine = Object.fromEntries((await checks(admin)).map((c) => [c.key, c]));
      expect(mine[`channel:${gone}`]).toMatchObject({
        status: 'down',
        detail: `no answer from 127.0.0.1:${deadPort}: connection_refused`,
      });
      // The last change is when it went down; the webhook's, when it became degraded.
      const res = (await api(admin, '/system/health')).json();
      const webhook = res.checks.find((c: Check) => c.key === `channel:${hook}`);
      expect(webhook.lastChangeAt).toBe(new Date(BASE + 3 * EVERY).toISOString());
      expect(webhook.checkedAt).toBe(new Date(BASE + 4 * EVERY).toISOString());
      await enable(admin, gone, false);
    } finally {
      await locked.close();
    }
  });

  it('a probe that hangs is down after the timeout, and the next round runs', async () => {
    http.mode = 'hang';
    const started = performance.now();
    await round(5);
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS * 5);
    const c = (await checks(admin)).find((x) => x.key === `channel:${hook}`)!;
    expect(c.status).toBe('down');
    expect(c.detail).toMatch(/timeout|no answer/);
    http.server.closeAllConnections();
    http.mode = 'ok';
    await round(6);
    expect((await checks(admin)).find((x) => x.key === `channel:${hook}`)!.status).toBe('ok');
  });

  it('a platform check that hangs or throws is down, and the loop goes on', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    // Keys of their own, deleted at the end: the rounds below write at real ticks.
    const hanging: PlatformCheck = {
      key: 'test:hang',
      kind: 'database',
      name: 'Hangs',
      run: () => {
        runs++;
        return new Promise(() => {});
      },
    };
    const throwing: PlatformCheck = {
      key: 'test:throw',
      kind: 'disk',
      name: 'Throws',
      run: async () => {
        throw new Error('statfs failed');
      },
    };
    const runner = new HealthRunner({
      pool: t.pool,
      checks: [hanging, throwing],
      channels: null,
      everySeconds: 1,
      timeoutMs: 200,
      retentionDays: 30,
      onError: (err) => errors.push(err),
    });
    const results = await runner.measure(new Date(BASE));
    expect(results.map((r) => [r.key, r.status, r.detail])).toEqual([
      ['test:hang', 'down', 'no answer within 200 ms'],
      ['test:throw', 'down', 'statfs failed'],
    ]);
    // Channel probes that never end as a whole: the round goes on without them, and says so.
    const stuck = new HealthRunner({
      pool: t.pool,
      checks: [throwing],
      channels: { probeAll: () => new Promise(() => {}) },
      everySeconds: 1,
      timeoutMs: 100,
      retentionDays: 30,
      onError: (err) => errors.push(err),
    });
    expect((await stuck.measure(new Date(BASE))).map((r) => r.key)).toEqual(['test:throw']);
    expect(errors.map((e) => (e as Error).message)).toEqual([
      'the channel probes took more than 800 ms; none recorded this round',
    ]);
    errors.length = 0;
    // The real loop: ticks keep coming although every round has a check that never answers.
    runner.loop.start();
    try {
      await expect.poll(() => runs, { timeout: 10_000, interval: 100 }).toBeGreaterThanOrEqual(3);
    } finally {
      await runner.loop.stop();
      for (const table of ['health_checks', 'health_check_results', 'health_check_hours'])
        await t.owner(`DELETE FROM ${table} WHERE check_key LIKE 'test:%'`);
    }
    expect(errors).toEqual([]);
  });
});

describe('what each caller sees', () => {
  let theirs: string;

  it('an organization sees the platform checks without detail and only its own channels', async () => {
    theirs = await channel(other, {
      kind: 'email',
      name: 'Other relay',
      config: { host: '127.0.0.1', port: smtp.port, secure: false, from: { address: 'o@example.com' } },
    });
    await round(7);
    const mine = await checks(admin);
    expect(mine.filter((c) => c.orgId === null).map((c) => c.detail)).toEqual(
      mine.filter((c) => c.orgId === null).map(() => null),
    );
    expect(mine.filter((c) => c.orgId !== null).every((c) => c.orgId === admin.orgId)).toBe(true);
    expect(mine.some((c) => c.key === `channel:${theirs}`)).toBe(false);
    const yours = await checks(other);
    expect(yours.filter((c) => c.orgId !== null).map((c) => c.key)).toEqual([`channel:${theirs}`]);
    // Another organization's check cannot be asked for by key.
    expectFieldError(await api(admin, `/system/health?check=channel:${theirs}`), 'check', 'exists');
    // A super admin sees everything, with detail.
    const all = await checks(root);
    expect(all.map((c) => c.key)).toEqual(expect.arrayContaining([`channel:${theirs}`, 'database']));
    expect(all.find((c) => c.key === 'database')!.detail).toMatch(/connections/);
    const theirHistory = (await api(root, `/system/health?check=channel:${theirs}`)).json().history;
    expect(theirHistory).toHaveLength(1);
    expect(theirHistory[0]).toMatchObject({ orgId: other.orgId, status: 'ok' });
  });

  it('needs system:health (organization admins have it; members without it get 403)', async () => {
    const member = await addMember(t, admin, 'user');
    expectProblem(await api(member, '/system/health'), 403, 'forbidden');
    const viewer = await addMember(t, admin, 'viewer');
    expectProblem(await api(viewer, '/system/health'), 403, 'forbidden');
  });

  it('RLS: the tenant context reads only its own rows; the platform context every row', async () => {
    const c = await t.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.org_id', $1, true)`, [admin.orgId]);
      const own = await c.query<{ org_id: string }>('SELECT DISTINCT org_id FROM health_checks');
      expect(own.rows.map((r) => r.org_id)).toEqual([admin.orgId]);
      await c.query(`SELECT set_config('app.org_id', $1, true)`, [PLATFORM_ORG_ID]);
      const every = await c.query<{ org_id: string }>('SELECT DISTINCT org_id FROM health_checks');
      expect(every.rows.map((r) => r.org_id).sort()).toEqual(
        [PLATFORM_ORG_ID, admin.orgId, other.orgId].sort(),
      );
      await c.query('ROLLBACK');
    } finally {
      c.release();
    }
  });
});

describe('score, uptime and history', () => {
  it('scores by the documented formula', () => {
    const ok = (kind: 'database' | 'job_queue' | 'disk' | 'redis' | 'notification_channel') => ({
      kind,
      status: 'ok' as const,
    });
    expect(healthScore([])).toBeNull();
    expect(overallStatus([])).toBe('unknown');
    expect(healthScore([ok('database'), ok('job_queue'), ok('disk'), ok('redis')])).toBe(100);
    // Database (4) degraded: (2 + 2 + 2 + 2) / 10.
    expect(
      healthScore([{ kind: 'database', status: 'degraded' }, ok('job_queue'), ok('disk'), ok('redis')]),
    ).toBe(80);
    // Channels together weigh 2 at their mean: one of two down → 1; (4 + 2 + 2 + 1) / 10.
    const withChannels = [
      ok('database'),
      ok('job_queue'),
      ok('disk'),
      { kind: 'notification_channel' as const, status: 'ok' as const },
      { kind: 'notification_channel' as const, status: 'down' as const },
    ];
    expect(healthScore(withChannels)).toBe(90);
    expect(overallStatus(withChannels)).toBe('degraded');
    expect(failingChecks(withChannels)).toBe(1);
    // A critical check down: down overall. Database down alone: (2 + 2 + 2) / 10.
    const dbDown = [
      { kind: 'database' as const, status: 'down' as const },
      ok('job_queue'),
      ok('disk'),
      ok('redis'),
    ];
    expect(healthScore(dbDown)).toBe(60);
    expect(overallStatus(dbDown)).toBe('down');
    expect(overallStatus([ok('database'), { kind: 'redis', status: 'down' }])).toBe('degraded');
  });

  it('reports the platform score and each organization’s as monitoring samples', () => {
    const at = new Date(BASE);
    const r = (
      orgId: string,
      key: string,
      kind: 'database' | 'notification_channel',
      status: 'ok' | 'down',
    ) => ({
      orgId,
      key,
      kind,
      name: key,
      status,
      latencyMs: 1,
      detail: '',
    });
    const samples = samplesOf(
      [
        r(PLATFORM_ORG_ID, 'database', 'database', 'ok'),
        r(admin.orgId, 'channel:x', 'notification_channel', 'down'),
      ],
      at,
    );
    // Platform: (4 + 0) / 6; the organization sees the same checks. The platform's failing count
    // leaves out the organization's dead channel (it must not page the super admins); the
    // organization's counts it.
    expect(samples).toEqual([
      { orgId: null, metric: 'health.score', value: 66.7, at },
      { orgId: null, metric: 'health.failing_checks', value: 0, at },
      { orgId: admin.orgId, metric: 'health.score', value: 66.7, at },
      { orgId: admin.orgId, metric: 'health.failing_checks', value: 1, at },
    ]);
    // A platform check down counts for the platform and for every organization with channels.
    const down = samplesOf(
      [
        r(PLATFORM_ORG_ID, 'database', 'database', 'down'),
        r(admin.orgId, 'channel:x', 'notification_channel', 'down'),
      ],
      at,
    ).filter((x) => x.metric === 'health.failing_checks');
    expect(down).toEqual([
      { orgId: null, metric: 'health.failing_checks', value: 1, at },
      { orgId: admin.orgId, metric: 'health.failing_checks', value: 2, at },
    ]);
  });

  it('the API answers the score of what the caller sees, and the overall status', async () => {
    const res = (await api(admin, '/system/health')).json();
    expect(res.score).toBe(healthScore(res.checks));
    expect(res.status).toBe(overallStatus(res.checks));
    expect(res.intervalSeconds).toBe(30);
  });

  it('uptime over 24 h, 7 d and 30 d counts ok and degraded results as up', async () => {
    // A fresh organization whose one channel's answers the test decides, at ticks relative to now.
    const s = await signUp(t);
    http.mode = 'ok';
    const id = await channel(s, {
      kind: 'webhook',
      name: 'Uptime',
      config: { url: `http://127.0.0.1:${http.port}/u` },
      secrets: { secret: 'whsec_c2VjcmV0' },
    });
    const now = tickOf(Date.now(), EVERY).getTime();
    const at = async (msAgo: number, mode: 'ok' | 'fail' | 'down') => {
      // "fail": the host answers 503 (degraded); "down": the URL points at a closed port.
      http.mode = mode === 'fail' ? 'fail' : 'ok';
      if (mode === 'down') await setUrl(s, id, 'http://127.0.0.1:1/u');
      expect(await t.services.healthRunner.runTick(now - msAgo)).toBe(true);
      if (mode === 'down') await setUrl(s, id, `http://127.0.0.1:${http.port}/u`);
    };
    const DAY = 86_400_000;
    await at(20 * DAY, 'ok');
    await at(20 * DAY - EVERY, 'down');
    await at(3 * DAY, 'ok');
    await at(3 * 3600_000, 'ok');
    await at(2 * 3600_000, 'fail'); // degraded counts as up
    await at(3600_000, 'down');
    await at(2 * 60_000, 'ok');
    await enable(s, id, false);
    http.mode = 'ok';
    const res = (await api(s, '/system/health')).json();
    const c = res.checks.find((x: Check) => x.key === `channel:${id}`);
    expect(c.uptime).toEqual({ last24h: 75, last7d: 80, last30d: 71.43 });
    expect(c.status).toBe('ok');
    expect(c.lastChangeAt).toBe(new Date(now - 2 * 60_000).toISOString());

    // History: one check, newest first, within [from, to), at most `limit`.
    const h = (q: string) => api(s, `/system/health?check=channel:${id}${q}`);
    const all = (await h('&limit=100')).json().history;
    expect(all.map((r: { status: string }) => r.status)).toEqual([
      'ok',
      'down',
      'degraded',
      'ok',
      'ok',
      'down',
      'ok',
    ]);
    const window = (
      await h(
        `&from=${new Date(now - 4 * 3600_000).toISOString()}&to=${new Date(now - 3600_000).toISOString()}`,
      )
    ).json().history;
    expect(window.map((r: { checkedAt: string }) => r.checkedAt)).toEqual([
      new Date(now - 2 * 3600_000).toISOString(),
      new Date(now - 3 * 3600_000).toISOString(),
    ]);
    expect((await h('&limit=2')).json().history).toHaveLength(2);
    const range = expectFieldError(
      await h(`&from=${new Date(now).toISOString()}&to=${new Date(now - 1000).toISOString()}`),
      'to',
      'range',
    );
    // Query parameters, located as such (not in the body).
    expect(range.errors).toEqual([expect.objectContaining({ field: 'to', in: 'query' })]);
    const unknown = expectFieldError(await api(s, '/system/health?check=nonsense'), 'check');
    expect(unknown.errors).toEqual([expect.objectContaining({ field: 'check', in: 'query' })]);
  });
});

async function setUrl(s: Session, id: string, url: string) {
  const res = await t.request({
    method: 'PATCH',
    url: `/api/v1/notifications/channels/${id}`,
    headers: s.headers,
    payload: { config: { url } },
  });
  expect(res.statusCode, res.body).toBe(200);
}

describe('several processes', () => {
  it('two app instances on one database: exactly one runs each round', async () => {
    const sibling = await createSiblingApp(t, ENV);
    try {
      const at = BASE + 8 * EVERY + 1234;
      const ran = await Promise.all([
        t.services.healthRunner.runTick(at),
        sibling.services.healthRunner.runTick(at + 5000),
        sibling.services.healthRunner.runTick(at),
        t.services.healthRunner.runTick(at + 10),
      ]);
      expect(ran.filter(Boolean)).toHaveLength(1);
      const { rows } = await t.owner<{ n: number }>(
        `SELECT count(*)::int AS n FROM health_check_results WHERE org_id = $1 AND check_key = 'database' AND checked_at = $2`,
        [PLATFORM_ORG_ID, new Date(BASE + 8 * EVERY)],
      );
      expect(rows[0]!.n).toBe(1);
      // The round recorded its score in monitoring, once.
      const points = await t.services.monitoring.points({
        orgId: null,
        metric: 'health.failing_checks',
        from: new Date(BASE + 8 * EVERY),
        to: new Date(BASE + 9 * EVERY),
        stepSeconds: 30,
      });
      expect(points).toHaveLength(1);
      const score = await t.services.monitoring.points({
        orgId: null,
        metric: 'health.score',
        from: new Date(BASE + 8 * EVERY),
        to: new Date(BASE + 9 * EVERY),
        stepSeconds: 30,
      });
      expect(score[0]!.value).toBeGreaterThan(0);
      expect(score[0]!.value).toBeLessThanOrEqual(100);
      // The next tick is the other instance's as much as anyone's.
      expect(await sibling.services.healthRunner.runTick(BASE + 9 * EVERY)).toBe(true);
    } finally {
      await sibling.close();
    }
  });
});
