// The executive dashboard's system, security and alert figures (issue 17, A2), seeded through the
// real services: request samples through monitoring.record at chosen times (asOf pins the
// window), a health round, alerts fired by the evaluator, threats raised by failed logins through
// the API. An organization admin sees only their organization's figures (never another's, never
// the platform's); scope=global needs a super admin, and its security and alert figures are the
// totals of every organization and the platform (SQL functions of migration 0022, which refuse
// anyone else themselves). Also the system trends from monitoring, per day in the organization's
// time zone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertServices } from '../src/modules/alerts/service.ts';
import type { MonitoringService, SampleInput } from '../src/modules/monitoring/service.ts';
import type { SecurityServices } from '../src/modules/security/service.ts';
import { PLATFORM_ORG_ID } from '../src/platform/db/ids.ts';
import type { CallContext } from '../src/platform/http/request-context.ts';
import { tickOf } from '../src/platform/jobs/tick-loop.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import { createTestApp, login, type Session, signUp, type TestApp, uniqueEmail } from './support/test-app.ts';

let t: TestApp;
let monitoring: MonitoringService;
let alerts: AlertServices;
let a: Session;
let b: Session;
let root: Session;

/** The instant the figures are asked for: fixed, far from the real clock (samples are kept raw). */
const AS_OF = '2025-03-10T12:00:00.000Z';
const at = (iso: string) => new Date(iso);
/** Alert evaluation times: an hour-aligned base in the past, a multiple of 15 s from it. */
const BASE = Math.floor(Date.now() / 3600_000) * 3600_000 - 5 * 3600_000;
const tick = (seconds: number) => new Date(BASE + seconds * 1000);

function api(s: Session, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  return t.request({
    method,
    url: `/api/v1${url}`,
    headers: s.headers,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

async function ok(s: Session, url: string) {
  const res = await api(s, 'GET', url);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** Request samples: requests, 5xx and the sum of response times of one sample interval. */
function http(orgId: string | null, iso: string, requests: number, errors: number, totalMs: number) {
  const x = { orgId, at: at(iso) };
  return [
    { ...x, metric: 'http.requests', value: requests },
    { ...x, metric: 'http.errors', value: errors },
    { ...x, metric: 'http.response_time.total_ms', value: totalMs },
  ] satisfies SampleInput[];
}

function loginFrom(ip: string, email: string, password: string) {
  return t.request({
    method: 'POST',
    url: '/api/v1/auth/login',
    headers: { 'x-forwarded-for': ip, 'user-agent': 'bul-test' },
    payload: { email, password },
  });
}

/** A critical rule firing from 90 % samples: pending at 75 s, firing at 120 s. */
async function fireCritical(s: Session, orgId: string, scope: 'organization' | 'platform') {
  const platform = scope === 'platform';
  const metric = platform ? 'system.cpu.percent' : 'quota.users.percent';
  const res = await api(s, 'POST', '/alerts/rules', {
    name: `${metric} high`,
    type: platform ? 'performance' : 'business',
    severity: 'critical',
    conditions: [{ metric, operator: 'gt', threshold: 80, forMinutes: 1 }],
    evaluateEverySeconds: 15,
    cooldownMinutes: 5,
    channels: ['in_app'],
    ...(platform ? { scope: 'platform' } : {}),
  });
  expect(res.statusCode, res.body).toBe(201);
  await monitoring.record(
    Array.from({ length: 10 }, (_, i) => ({
      orgId: platform ? null : orgId,
      metric,
      value: 90,
      at: tick(i * 15),
    })) as SampleInput[],
  );
  const target = platform ? PLATFORM_ORG_ID : orgId;
  await alerts.evaluator.evaluateOrg(target, tick(75));
  await alerts.evaluator.evaluateOrg(target, tick(120));
}

beforeAll(async () => {
  t = await createTestApp({
    TRUST_PROXY: '127.0.0.1',
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
  });
  monitoring = t.services.monitoring as MonitoringService;
  alerts = t.services.alerts as AlertServices;
  a = await signUp(t, { orgName: 'Exec A' });
  b = await signUp(t, { orgName: 'Exec B' });
  const sa = await signUp(t, { orgName: 'Operators' });
  await t.owner('UPDATE users SET is_super_admin = true WHERE id = $1', [sa.userId]);
  root = await login(t, sa.email);
  // A counts its days in São Paulo (UTC−3, no daylight saving since 2019).
  const tz = await api(a, 'PATCH', '/organization', { timezone: 'America/Sao_Paulo' });
  expect(tz.statusCode, tz.body).toBe(200);

  await monitoring.record([
    // A: two samples in the 24 h before asOf, one a day earlier, one after asOf.
    ...http(a.orgId, '2025-03-10T11:50:00Z', 100, 7, 25_000),
    ...http(a.orgId, '2025-03-10T10:00:00Z', 100, 3, 15_000),
    ...http(a.orgId, '2025-03-10T02:00:00Z', 40, 0, 4_000), // 23:00 on the 9th in São Paulo
    ...http(a.orgId, '2025-03-09T11:00:00Z', 1_000, 0, 1_000), // more than 24 h before asOf
    ...http(a.orgId, '2025-03-10T12:05:00Z', 500, 500, 500), // after asOf
    { orgId: a.orgId, metric: 'security.failed_logins', value: 3, at: at('2025-03-10T05:00:00Z') },
    // B and the platform: never in A's figures.
    ...http(b.orgId, '2025-03-10T11:50:00Z', 50, 50, 50_000),
    ...http(null, '2025-03-10T11:55:00Z', 1_000, 10, 100_000),
    // The platform's gauges: the latest interval at or before asOf counts, not a later one.
    { orgId: null, metric: 'system.cpu.percent', value: 99, at: at('2025-03-10T11:59:15Z') },
    { orgId: null, metric: 'system.cpu.percent', value: 42.5, at: at('2025-03-10T11:59:45Z') },
    { orgId: null, metric: 'system.cpu.percent', value: 77, at: at('2025-03-10T12:01:00Z') },
    { orgId: null, metric: 'system.memory.percent', value: 63.25, at: at('2025-03-10T11:59:30Z') },
    { orgId: null, metric: 'db.connections', value: 12, at: at('2025-03-10T11:59:45Z') },
  ]);

  // A health round (the platform checks), a tick in the recent past.
  expect(await t.services.healthRunner.runTick(tickOf(Date.now(), 30_000).getTime() - 60_000)).toBe(true);

  // Alerts: one critical in A, one in B, one platform-wide; each through the evaluator.
  await fireCritical(a, a.orgId, 'organization');
  await fireCritical(b, b.orgId, 'organization');
  await fireCritical(root, PLATFORM_ORG_ID, 'platform');

  // Threats through the API: 10 failed logins on A's admin from 5 addresses (a burst on the
  // account, medium; credential stuffing of one account, high) and 20 unknown e-mails from one
  // address (the platform's: a burst from the address, medium; stuffing from it, high), and 10 on
  // B's admin from one address (a burst on the account, medium) plus a lockout recorded in B.
  for (let i = 0; i < 10; i++) await loginFrom(`198.51.100.${i % 5}`, a.email, 'wrong-password-1');
  for (let i = 0; i < 20; i++) await loginFrom('192.0.2.77', uniqueEmail('ghost'), 'wrong-password-1');
  for (let i = 0; i < 10; i++) await loginFrom('203.0.113.9', b.email, 'wrong-password-1');
  await t.owner(
    `INSERT INTO security_login_failures (org_id, id, at, email, user_id, ip, reason, locked_for_seconds)
     VALUES ($1, gen_random_uuid(), now(), $2, $3, '203.0.113.9', 'bad_password', 900)`,
    [b.orgId, b.email, b.userId],
  );
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('GET /executive/metrics: system, security, alerts', () => {
  it("scope=org: the organization's own figures, the platform's null", async () => {
    const m = await ok(a, `/executive/metrics?asOf=${AS_OF}`);
    expect(m.system).toEqual({
      healthScore: null,
      uptime: { last24hPct: null, last30dPct: null },
      requests: 240,
      errors: 10,
      errorRatePct: 4.17, // 10 ÷ 240
      avgResponseTimeMs: 183.3, // 44 000 ms ÷ 240
      cpuPercent: null,
      memoryPercent: null,
      dbConnections: null,
      cacheHitRatePct: null,
      backupHealth: null,
    });
    expect(m.security).toEqual({
      failedLogins24h: 10,
      lockouts24h: 0,
      incidents24h: 2,
      incidents24hBySeverity: { low: 0, medium: 1, high: 1, critical: 0 },
      openThreats: 2,
      mfaCoveragePct: 0,
      complianceScore: null,
    });
    expect(m.alerts).toEqual({
      active: 1,
      activeCritical: 1,
      bySeverity: { info: 0, warning: 0, error: 0, critical: 1 },
    });
  });

  it("another organization sees its own: B's requests, failed logins and threat", async () => {
    const m = await ok(b, `/executive/metrics?asOf=${AS_OF}`);
    expect(m.system).toMatchObject({ requests: 50, errors: 50, errorRatePct: 100, avgResponseTimeMs: 1000 });
    expect(m.security).toMatchObject({
      failedLogins24h: 11,
      lockouts24h: 1,
      incidents24h: 1,
      incidents24hBySeverity: { low: 0, medium: 1, high: 0, critical: 0 },
      openThreats: 1,
    });
    expect(m.alerts).toMatchObject({ active: 1, activeCritical: 1 });
  });

  it("scope=global: the platform's health, gauges and requests; security and alerts of every organization and the platform", async () => {
    const m = await ok(root, `/executive/metrics?scope=global&asOf=${AS_OF}`);
    const health = await ok(root, '/system/health');
    expect(health.score).not.toBeNull();
    const platformChecks = (
      health.checks as {
        orgId: string | null;
        kind: string;
        uptime: { last24h: number | null; last30d: number | null };
      }[]
    ).filter((c) => c.orgId === null && c.kind !== 'notification_channel');
    expect(platformChecks.length).toBeGreaterThanOrEqual(3);
    expect(m.system).toEqual({
      healthScore: health.score,
      uptime: {
        last24hPct: Math.min(...platformChecks.map((c) => c.uptime.last24h!)),
        last30dPct: Math.min(...platformChecks.map((c) => c.uptime.last30d!)),
      },
      requests: 1000,
      errors: 10,
      errorRatePct: 1,
      avgResponseTimeMs: 100,
      cpuPercent: 42.5,
      memoryPercent: 63.25,
      dbConnections: 12,
      cacheHitRatePct: null,
      // no backup yet: the backups module's health says so (test/backups.test.ts has one)
      backupHealth: {
        ageSeconds: null,
        lastSuccessAt: null,
        status: 'unknown',
        sizeBytes: 0,
        successRate30d: null,
      },
    });
    // A's 10 + B's 11 + the platform's 20; threats: A's 2, B's 1, the platform's 2.
    expect(m.security).toEqual({
      failedLogins24h: 41,
      lockouts24h: 1,
      incidents24h: 5,
      incidents24hBySeverity: { low: 0, medium: 3, high: 2, critical: 0 },
      openThreats: 5,
      mfaCoveragePct: 0,
      complianceScore: null,
    });
    // A's, B's and the platform's critical alerts, all firing.
    expect(m.alerts).toEqual({
      active: 3,
      activeCritical: 3,
      bySeverity: { info: 0, warning: 0, error: 0, critical: 3 },
    });
  });

  it('the totals functions count for super admins only, refusing anyone else with 42501', async () => {
    const client = await t.pool.connect();
    try {
      const run = async (org: string, user: string, sql: string) => {
        await client.query('BEGIN');
        try {
          await client.query(
            `SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true)`,
            [org, user],
          );
          return await client.query(sql);
        } finally {
          await client.query('ROLLBACK');
        }
      };
      const security = "SELECT * FROM bul_security_totals(now() - interval '1 day')";
      const alerting = 'SELECT * FROM bul_alert_totals()';
      for (const sql of [security, alerting]) {
        // An organization admin, in their organization's context or the platform's.
        await expect(run(a.orgId, a.userId, sql)).rejects.toMatchObject({ code: '42501' });
        await expect(run(PLATFORM_ORG_ID, a.userId, sql)).rejects.toMatchObject({ code: '42501' });
      }
      const totals = await run(PLATFORM_ORG_ID, root.userId, security);
      expect(totals.rows).toEqual([
        {
          failed_logins: 41,
          lockouts: 1,
          threats_low: 0,
          threats_medium: 3,
          threats_high: 2,
          threats_critical: 0,
          open_threats: 5,
        },
      ]);
      const open = await run(root.orgId, root.userId, alerting);
      expect(open.rows).toEqual([{ severity: 'critical', pending: 0, firing: 3, acknowledged: 0 }]);
    } finally {
      client.release();
    }
  });

  it('the services refuse the totals to an organization admin before any SQL (forbidden)', async () => {
    const ctx = {
      principal: { userId: a.userId, orgId: a.orgId, isSuperAdmin: false },
    } as unknown as CallContext;
    await expect(alerts.totals(ctx)).rejects.toMatchObject({ code: 'forbidden' });
    const security = t.services.security as SecurityServices;
    await expect(security.totals(ctx, new Date(0))).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('scope=global needs a super admin', async () => {
    expectProblem(await api(a, 'GET', '/executive/metrics?scope=global'), 403, 'forbidden');
    expectProblem(await api(a, 'GET', '/executive/trends?scope=global&metric=requests'), 403, 'forbidden');
  });
});

describe('GET /executive/trends: system metrics from monitoring', () => {
  const trend = async (s: Session, q: string) => ok(s, `/executive/trends?days=3&asOf=${AS_OF}&${q}`);

  it("per day in the organization's time zone, from the organization's series", async () => {
    const requests = await trend(a, 'metric=requests');
    expect(requests).toMatchObject({
      metric: 'requests',
      scope: 'org',
      timezone: 'America/Sao_Paulo',
      from: '2025-03-08',
      to: '2025-03-10',
      unit: 'count',
    });
    expect(requests.series).toEqual([
      {
        currency: null,
        points: [
          { date: '2025-03-08', value: 0 },
          { date: '2025-03-09', value: 1040 }, // 11:00 UTC on the 9th and 02:00 UTC on the 10th
          { date: '2025-03-10', value: 200 }, // the 500 after asOf left out
        ],
      },
    ]);
    const rate = await trend(a, 'metric=error_rate');
    expect(rate.unit).toBe('percent');
    expect(rate.series[0].points.map((p: { value: number | null }) => p.value)).toEqual([null, 0, 5]);
    const time = await trend(a, 'metric=response_time');
    expect(time.unit).toBe('ms');
    expect(time.series[0].points.map((p: { value: number | null }) => p.value)).toEqual([null, 4.8, 200]);
    const failed = await trend(a, 'metric=failed_logins');
    expect(failed.series[0].points.map((p: { value: number }) => p.value)).toEqual([0, 0, 3]);
  });

  it("scope=global: the platform's series in UTC; failed logins are per organization only", async () => {
    const requests = await trend(root, 'metric=requests&scope=global');
    expect(requests).toMatchObject({ scope: 'global', timezone: 'UTC', to: '2025-03-10' });
    expect(requests.series[0].points.map((p: { value: number }) => p.value)).toEqual([0, 0, 1000]);
    expectFieldError(
      await api(root, 'GET', `/executive/trends?scope=global&metric=failed_logins&asOf=${AS_OF}`),
      'metric',
      'scope',
    );
  });
});
