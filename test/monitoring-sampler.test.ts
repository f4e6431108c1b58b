// The metrics sampler (every process) and the cluster readings (one process per tick), the
// request statistics the HTTP layer feeds, and the /monitoring API: series, catalogue, capacity,
// and the bad input each refuses naming the field.
import os from 'node:os';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterReadings, sampleCluster } from '../src/modules/monitoring/cluster-readings.ts';
import { MonitoringQueries } from '../src/modules/monitoring/query-service.ts';
import { ReadingRunner } from '../src/modules/monitoring/readings.ts';
import { Sampler } from '../src/modules/monitoring/sampler.ts';
import { MonitoringService } from '../src/modules/monitoring/service.ts';
import { Db } from '../src/platform/db/transaction.ts';
import type { CallContext } from '../src/platform/http/request-context.ts';
import { percentile, RequestStats, routeGroup } from '../src/platform/observability/request-stats.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import { addMember, createTestApp, login, type Session, signUp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let admin: Session;
let member: Session;
let superAdmin: Session;

beforeAll(async () => {
  t = await createTestApp();
  admin = await signUp(t, { orgName: 'Watched' });
  member = await addMember(t, admin, 'user');
  const sa = await signUp(t, { orgName: 'Platform' });
  await t.owner('UPDATE users SET is_super_admin = true WHERE id = $1', [sa.userId]);
  superAdmin = await login(t, sa.email);
}, 60_000);
afterAll(() => t?.close());

/** A logger that keeps what it is told. */
function recordingLog() {
  const lines: { level: number; msg: string; reading?: string; metric?: string }[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { log, lines };
}

describe('request statistics', () => {
  it('groups routes and gives exact nearest-rank percentiles', () => {
    expect(routeGroup('/api/v1/tasks/:id/comments')).toBe('tasks');
    expect(routeGroup('/ws')).toBe('ws');
    expect(routeGroup('static')).toBe('static');
    expect(routeGroup('/')).toBe('root');
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.95)).toBe(95);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
  });

  it('drains per organization (totals) and per group platform-wide, then starts afresh', () => {
    const s = new RequestStats();
    s.observe('org-a', 'tasks', 200, 1);
    expect(s.drain()).toEqual([]); // nothing kept while no sampler drains it
    s.enabled = true;
    for (let i = 1; i <= 20; i++) s.observe('org-a', 'tasks', i === 20 ? 503 : 200, i);
    s.observe('org-b', 'clients', 200, 100);
    s.observe(null, 'auth', 401, 5);
    const out = s.drain();
    const find = (orgId: string | null, group: string | null) =>
      out.find((r) => r.orgId === orgId && r.group === group);
    expect(find('org-a', null)).toEqual({
      orgId: 'org-a',
      group: null,
      requests: 20,
      errors: 1,
      totalMs: 210,
      p95Ms: 19,
      p99Ms: 20,
    });
    expect(find('org-a', 'tasks')).toBeUndefined(); // not per organization × group
    expect(find(null, 'auth')?.requests).toBe(1);
    expect(find(null, 'clients')?.p99Ms).toBe(100);
    expect(find(null, null)?.requests).toBe(22);
    expect(s.drain()).toEqual([]);
  });
});

describe('sampler', () => {
  it('writes the host, process, pool and request readings of an interval under its source', async () => {
    const m = t.services.monitoring;
    const sampler = new Sampler({
      monitoring: m,
      pool: t.pool,
      log: pino({ level: 'silent' }),
      dataDir: t.config.dataDir,
      onError: (err) => {
        throw err;
      },
      source: 'test-host:1',
    });
    // Requests answered by the app are counted for the organization of the request.
    const res = await t.request({ method: 'GET', url: '/api/v1/members', headers: admin.headers });
    expect(res.statusCode).toBe(200);
    const cpuTotal = () => os.cpus().reduce((n, c) => n + c.times.idle + c.times.user + c.times.sys, 0);
    const baseline = cpuTotal();
    sampler.prime(); // baselines of the rates
    // The kernel's CPU counters move in ticks (10 ms): the CPU reading needs one between readings.
    await expect.poll(cpuTotal, { timeout: 5000 }).toBeGreaterThan(baseline);
    await expect.poll(cpuTotal, { timeout: 5000 }).toBeGreaterThan(cpuTotal());
    const tick = new Date(Math.floor(Date.now() / 15_000) * 15_000 + 15_000);
    const first = await sampler.sampleOnce(tick);
    await sampler.stop();
    expect(first.written).toBeGreaterThan(10);
    const at = new Date(tick.getTime() - 15_000);
    const { rows } = await t.owner<{ metric: string; org_id: string }>(
      "SELECT DISTINCT metric, org_id FROM monitoring_samples WHERE source = 'test-host:1' AND at = $1",
      [at],
    );
    const platform = rows
      .filter((r) => r.org_id === '00000000-0000-0000-0000-000000000000')
      .map((r) => r.metric);
    for (const metric of [
      'system.cpu.percent',
      'system.cpu.core.percent',
      'system.memory.percent',
      'system.memory.used_bytes',
      'system.disk.percent',
      'system.disk.free_bytes',
      'process.cpu.percent',
      'process.memory.rss_bytes',
      'process.event_loop_lag_ms',
      'db.pool.in_use',
      'db.pool.waiting',
      'http.requests',
    ])
      expect(platform, metric).toContain(metric);
    const ofOrg = rows.filter((r) => r.org_id === admin.orgId).map((r) => r.metric);
    expect(ofOrg).toEqual(
      expect.arrayContaining(['http.requests', 'http.errors', 'http.response_time.p95_ms']),
    );
    // The org admin reads the organization's requests of that interval back through the API.
    const series = await t.request({
      method: 'GET',
      url: `/api/v1/monitoring/series?metric=http.requests&from=${at.toISOString()}&to=${tick.toISOString()}`,
      headers: admin.headers,
    });
    expect(series.statusCode, series.body).toBe(200);
    expect(series.json().points[0].value).toBeGreaterThanOrEqual(1);
    // /metrics serves the sampled host readings as gauges.
    const metrics = await t.request({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/^bul_system_memory_percent \d/m);
    expect(metrics.body).toMatch(/^bul_system_cpu_core_percent\{core="0"\} \d/m);
    // Base units, spelled out: the event-loop lag in seconds, rates per second.
    expect(metrics.body).toMatch(/^bul_process_event_loop_lag_seconds \d/m);
    expect(metrics.body).not.toMatch(/_ms |_per_s /);
  });

  it('skips and logs a reading that fails, once per failure streak, and the loop goes on', async () => {
    const m = new MonitoringService({ db: new Db(t.pool), sampleIntervalSeconds: 1 });
    const { log, lines } = recordingLog();
    let calls = 0;
    const sampler = new Sampler({
      monitoring: m,
      pool: t.pool,
      log,
      dataDir: t.config.dataDir,
      onError: (err) => {
        throw err;
      },
      source: 'test-host:2',
      hostReadings: [
        {
          name: 'broken',
          read: () => {
            calls++;
            throw new Error('no such sensor');
          },
        },
        { name: 'fine', read: () => [{ metric: 'system.memory.percent', value: 42 }] },
        { name: 'unknown', read: () => [{ metric: 'system.flux.capacitance', value: 1 }] },
      ],
    });
    const r = await sampler.sampleOnce(new Date(Date.UTC(2031, 0, 1, 0, 0, 1)));
    expect(r.failed.sort()).toEqual(['broken', 'unknown']);
    const again = await sampler.sampleOnce(new Date(Date.UTC(2031, 0, 1, 0, 0, 2)));
    expect(again.failed.sort()).toEqual(['broken', 'unknown']);
    // Warned once per reading; the repeat goes to debug.
    const warnings = lines.filter((l) => l.level === 40).map((l) => l.reading);
    expect(warnings.sort()).toEqual(['broken', 'unknown']);
    expect(lines.filter((l) => l.level === 20 && l.reading === 'broken')).toHaveLength(1);
    const points = await m.points({
      orgId: null,
      metric: 'system.memory.percent',
      from: new Date(Date.UTC(2031, 0, 1)),
      to: new Date(Date.UTC(2031, 0, 1, 0, 0, 5)),
      stepSeconds: 1,
    });
    expect(points.map((p) => p.value)).toEqual([42, 42]);
    // Running on its timer: the failing reading never stops it.
    sampler.start();
    const before = calls;
    await expect.poll(() => calls, { timeout: 10_000 }).toBeGreaterThanOrEqual(before + 2);
    await sampler.stop();
  });

  it('leaves out an invalid sample (logged once) and writes the rest of the batch, drained requests included', async () => {
    const m = new MonitoringService({ db: new Db(t.pool), sampleIntervalSeconds: 1 });
    const { log, lines } = recordingLog();
    const sampler = new Sampler({
      monitoring: m,
      pool: t.pool,
      log,
      dataDir: t.config.dataDir,
      onError: (err) => {
        throw err;
      },
      source: 'test-host:3',
      hostReadings: [
        { name: 'nan', read: () => [{ metric: 'system.swap.percent', value: Number.NaN }] },
        { name: 'labelled', read: () => [{ metric: 'system.memory.percent', value: 1, labels: { x: 'y' } }] },
        { name: 'fine', read: () => [{ metric: 'system.memory.percent', value: 33 }] },
      ],
    });
    const day = Date.UTC(2031, 1, 1);
    m.requestStats.enabled = true;
    m.requestStats.observe(admin.orgId, 'tasks', 200, 12);
    const first = await sampler.sampleOnce(new Date(day + 1000));
    await sampler.sampleOnce(new Date(day + 2000));
    m.requestStats.enabled = false;
    expect(first.written).toBeGreaterThan(1);
    const q = { from: new Date(day), to: new Date(day + 5000), stepSeconds: 1 };
    expect(
      (await m.points({ ...q, orgId: null, metric: 'system.memory.percent' })).map((p) => p.value),
    ).toEqual([33, 33]);
    expect(await m.points({ ...q, orgId: null, metric: 'system.swap.percent' })).toEqual([]);
    // The requests drained with the bad batch are stored.
    expect(
      (await m.points({ ...q, orgId: admin.orgId, metric: 'http.requests' })).map((p) => p.value),
    ).toEqual([1]);
    // Logged once per problem, not once per batch.
    const warned = lines.filter((l) => l.level === 40 && l.msg === 'invalid metric sample left out');
    expect(warned.map((l) => l.metric).sort()).toEqual(['system.memory.percent', 'system.swap.percent']);
  });

  it('takes the cluster readings once per tick: database, job queue, and per organization its quota use', async () => {
    const m = t.services.monitoring;
    const runner = new ReadingRunner(pino({ level: 'silent' }));
    const tick = new Date(Math.floor(Date.now() / 300_000) * 300_000); // a quota tick (every 5 min)
    const readings = clusterReadings(t.pool, () => tick);
    const r = await sampleCluster(m, runner, readings, tick);
    expect(r.failed).toEqual([]);
    const at = new Date(tick.getTime() - 15_000);
    const latestOf = async (orgId: string | null, metric: Parameters<typeof m.points>[0]['metric']) =>
      (await m.points({ orgId, metric, from: at, to: tick, stepSeconds: 15 })).at(-1)?.value;
    expect(await latestOf(null, 'db.connections')).toBeGreaterThan(0);
    expect(await latestOf(null, 'jobs.queue.depth')).toBeGreaterThanOrEqual(0);
    // The free plan: 5 users; the organization has 2 members.
    expect(await latestOf(admin.orgId, 'usage.users')).toBe(2);
    expect(await latestOf(admin.orgId, 'quota.users.percent')).toBe(40);
    expect(await latestOf(admin.orgId, 'quota.storage.percent')).toBeGreaterThanOrEqual(0);
    // Not a quota tick: only the platform readings.
    const other = new Date(tick.getTime() + 15_000);
    const r2 = await sampleCluster(
      m,
      runner,
      clusterReadings(t.pool, () => other),
      other,
    );
    expect(r2.written).toBe(3);
  });
});

describe('GET /monitoring/*', () => {
  const get = (s: Session, url: string) =>
    t.request({ method: 'GET', url: `/api/v1${url}`, headers: s.headers });

  it('lists the catalogue', async () => {
    const res = await get(admin, '/monitoring/metrics');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.sampleIntervalSeconds).toBe(15);
    const rate = body.metrics.find((x: { name: string }) => x.name === 'http.error_rate.percent');
    expect(rate).toMatchObject({ scope: 'both', unit: 'percent', derived: true, labels: ['group'] });
  });

  it('refuses bad input naming the field', async () => {
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    expectFieldError(await get(admin, '/monitoring/series?metric=no.such.metric'), 'metric');
    expectFieldError(await get(admin, '/monitoring/series?metric=system.cpu.percent'), 'metric', 'scope');
    expectFieldError(
      await get(admin, `/monitoring/series?metric=http.requests&from=${iso(now)}&to=${iso(now - 60_000)}`),
      'from',
      'beforeTo',
    );
    expectFieldError(await get(admin, '/monitoring/series?metric=http.requests&step=5'), 'step', 'minimum');
    expectFieldError(
      await get(
        admin,
        `/monitoring/series?metric=http.requests&from=${iso(now - 86_400_000)}&to=${iso(now)}&step=15`,
      ),
      'step',
      'maxPoints',
    );
    // A step that is not whole minutes reads raw samples, kept 48 h.
    expectFieldError(
      await get(
        admin,
        `/monitoring/series?metric=http.requests&from=${iso(now - 3 * 86_400_000)}&to=${iso(now - 3 * 86_400_000 + 3600_000)}&step=15`,
      ),
      'step',
      'rawRetention',
    );
    expectFieldError(
      await get(admin, '/monitoring/series?metric=http.requests&labels=colour=red'),
      'labels',
      'label',
    );
    expectFieldError(
      await get(admin, '/monitoring/series?metric=http.requests&labels=nonsense'),
      'labels',
      'format',
    );
    expectFieldError(await get(admin, '/monitoring/capacity?days=1'), 'days');
    // The platform scope is the super admins'; the series are for monitoring:read holders.
    const platform = expectProblem(
      await get(admin, '/monitoring/series?metric=system.cpu.percent&scope=platform'),
      403,
      'forbidden',
    );
    expect(platform.permission).toBe('platform:admin');
    expectProblem(await get(member, '/monitoring/series?metric=http.requests'), 403, 'forbidden');
  });

  it('chooses default steps the roll-ups serve: whole minutes past the samples, whole hours past the minutes', async () => {
    const now = Date.now();
    const stepOf = async (fromAgo: number, toAgo = 0) => {
      const res = await get(
        admin,
        `/monitoring/series?metric=http.requests&from=${new Date(now - fromAgo).toISOString()}&to=${new Date(now - toAgo).toISOString()}`,
      );
      expect(res.statusCode, res.body).toBe(200);
      return res.json().stepSeconds as number;
    };
    const day = 86_400_000;
    expect(await stepOf(3600_000)).toBe(15); // the last hour: every sample
    expect(await stepOf(day)).toBe(60); // 43.2 s → a minute
    expect(await stepOf(7 * day)).toBe(360); // 302.4 s → 6 minutes (not 315 s: raw only, gone after 48 h)
    expect(await stepOf(3 * day, 3 * day - 3600_000)).toBe(60); // an hour three days ago
    expect(await stepOf(30 * day)).toBe(3600); // past the minute roll-ups' 14 days: hours
  });

  it('answers the platform series to a super admin', async () => {
    const m = t.services.monitoring;
    const at = new Date(Math.floor(Date.now() / 15_000) * 15_000 - 60_000);
    await m.record([{ orgId: null, metric: 'health.score', value: 87, at }]);
    const res = await get(
      superAdmin,
      `/monitoring/series?metric=health.score&scope=platform&from=${at.toISOString()}&step=60`,
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ scope: 'platform', unit: 'percent', stepSeconds: 60 });
    expect(res.json().points.map((p: { value: number }) => p.value)).toContain(87);
  });

  it('projects when each plan limit is reached from the trend', async () => {
    // A clock of its own, far from the background sampler's samples.
    const now = new Date(Date.UTC(2032, 2, 1, 12, 30));
    const m = new MonitoringService({ db: new Db(t.pool), sampleIntervalSeconds: 15, now: () => now });
    const queries = new MonitoringQueries({ monitoring: m, db: new Db(t.pool), now: () => now });
    const org = admin.orgId;
    const hour = 3_600_000;
    const day = 24 * hour;
    const start = Date.UTC(2032, 1, 20); // ten and a half days before (2032 is a leap year)
    const samples = [];
    // Users: 2 then, growing by 0.25 a day → 4.625 at noon, the free plan's 5 a day and a half later.
    // Storage: flat. Requests: 1000 a day (a month's worth far below 100,000).
    for (let h = 0; h <= 252; h++) {
      const at = new Date(start + h * hour);
      samples.push({ orgId: org, metric: 'usage.users' as const, value: 2 + (0.25 * h) / 24, at });
      samples.push({ orgId: org, metric: 'usage.storage_bytes' as const, value: 1000, at });
      samples.push({ orgId: org, metric: 'http.requests' as const, value: 1000 / 24, at });
    }
    await m.record(samples);
    const ctx = {
      principal: { userId: admin.userId, org: { id: org }, permissions: new Set(['monitoring:read']) },
      meta: { ip: '127.0.0.1', userAgent: null, requestId: 'test' },
    } as unknown as CallContext;
    const body = await queries.capacity(ctx, { days: 10 });
    const of = (r: string) => body.projections.find((p) => p.resource === r)!;
    expect(of('users')).toMatchObject({ limit: 5, current: 4.625 });
    expect(of('users').slopePerDay).toBeCloseTo(0.25, 6);
    expect(Date.parse(of('users').projectedAt!)).toBeCloseTo(start + 252 * hour + 1.5 * day, -4);
    expect(of('storage')).toMatchObject({ limit: 1073741824, current: 1000, projectedAt: null });
    expect(of('requests').limit).toBe(100000);
    expect(of('requests').current).toBeCloseTo(1000 * (365.25 / 12), 6);
    expect(of('requests').projectedAt).toBeNull(); // flat, below
    // Over HTTP, the organization's projections (whatever the background sampler has seen by now).
    const res = await get(admin, '/monitoring/capacity');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().projections.map((p: { resource: string }) => p.resource)).toEqual([
      'users',
      'storage',
      'requests',
    ]);
    const platform = await get(superAdmin, '/monitoring/capacity?scope=platform');
    expect(platform.statusCode, platform.body).toBe(200);
    expect(platform.json().projections[0]).toMatchObject({ resource: 'disk', limit: 0 });
  });
});
