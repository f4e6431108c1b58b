// The cache where BUL uses it (analytics) and its API: a change is seen by the very next read in
// another process (two apps on one database, each its own memory cache), values are loaded once
// per data version (a deleted organization moves the platform's), org-scoped invalidation through
// POST /cache/invalidate leaves other organizations' entries, bad input is a problem in the
// caller's language, only super admins get in, and the sampler's cache series answers
// GET /monitoring/series. Real PostgreSQL.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sampler } from '../src/modules/monitoring/sampler.ts';
import { RESET_STATEMENTS } from '../src/modules/system/demo-data/sql.ts';
import { PLATFORM_ORG_ID } from '../src/platform/db/ids.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import {
  createSiblingApp,
  createTestApp,
  login,
  type Session,
  signUp,
  type TestApp,
} from './support/test-app.ts';

let t: TestApp;
let other: TestApp;
let a: Session;
let b: Session;
let admin: Session;

beforeAll(async () => {
  t = await createTestApp({ CACHE_STORE: 'memory' });
  other = await createSiblingApp(t, { CACHE_STORE: 'memory' });
  a = await signUp(t, { orgName: 'Cached A' });
  b = await signUp(t, { orgName: 'Cached B' });
  const root = await signUp(t, { orgName: 'Platform' });
  await t.owner('UPDATE users SET is_super_admin = true WHERE id = $1', [root.userId]);
  admin = await login(t, root.email);
});

afterAll(async () => {
  await other?.close();
  await t?.close();
});

const get = (app: TestApp, s: Session, url: string, headers: Record<string, string> = {}) =>
  app.request({ method: 'GET', url: `/api/v1${url}`, headers: { ...s.headers, ...headers } });

async function family(app: TestApp, name: string) {
  const res = await get(app, admin, '/cache/metrics');
  expect(res.statusCode, res.body).toBe(200);
  return (
    (res.json().families as { family: string; loads: number; hits: number }[]).find(
      (f) => f.family === name,
    ) ?? { family: name, loads: 0, hits: 0 }
  );
}

async function dashboard(app: TestApp, s: Session) {
  const res = await get(app, s, '/analytics/dashboard');
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { projectsByStatus: Record<string, number> };
}

describe('analytics through the cache', () => {
  it('computes a dashboard once per data version, and the very next read in another process sees a change', async () => {
    const loads0 = (await family(t, 'analytics.dashboard')).loads;
    const first = await dashboard(t, a);
    const again = await dashboard(t, a);
    // The cached copy: the same computation (its asOf is when it ran, an uncached read would differ).
    expect((again as typeof again & { asOf: string }).asOf).toBe(
      (first as typeof first & { asOf: string }).asOf,
    );
    expect(again).toEqual(first);
    const after = await family(t, 'analytics.dashboard');
    expect(after.loads - loads0).toBe(1); // the second read was a hit
    expect(after.hits).toBeGreaterThan(0);
    // The other process computes its own copy (asOf: its own now)...
    const { asOf: _, ...figures } = first as typeof first & { asOf: string };
    expect(await dashboard(other, a)).toMatchObject(figures);
    // ...and a project created through the first process shows in the other's very next read.
    const created = await t.request({
      method: 'POST',
      url: '/api/v1/projects',
      headers: a.headers,
      payload: { name: 'Counted' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const status = created.json().status as string;
    const seen = await dashboard(other, a);
    expect(seen.projectsByStatus[status]).toBe((first.projectsByStatus[status] ?? 0) + 1);
  });

  it('an organization setting (time zone, no event) changes the version too', async () => {
    const before = await get(t, a, '/analytics/dashboard');
    expect(before.json().timezone).toBe('UTC');
    const patch = await t.request({
      method: 'PATCH',
      url: '/api/v1/organization',
      headers: a.headers,
      payload: { timezone: 'America/Sao_Paulo' },
    });
    expect(patch.statusCode, patch.body).toBe(200);
    expect((await get(other, a, '/analytics/dashboard')).json().timezone).toBe('America/Sao_Paulo');
  });

  it('changes that emit no domain event still change the version: a payment moves the cached revenue, feedback the satisfaction', async () => {
    const c = await signUp(t, { orgName: 'Cached C' });
    const post = async (url: string, payload: Record<string, unknown>) => {
      const res = await t.request({ method: 'POST', url: `/api/v1${url}`, headers: c.headers, payload });
      expect(res.statusCode, res.body).toBe(201);
      return res.json() as { id: string };
    };
    const today = new Date().toISOString().slice(0, 10);
    const client = await post('/clients', { name: 'Payer' });
    const invoice = await post('/invoices', {
      clientId: client.id,
      number: 'INV-C-1',
      issuedOn: today,
      dueOn: today,
      amountMinor: 10_000,
    });
    type Executive = {
      money: { currency: string; revenueThisMonthMinor: number }[];
      satisfaction: { responses: number };
    };
    const executive = async () => {
      const res = await get(t, c, '/executive/metrics');
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as Executive;
    };
    const revenue = (e: Executive) => e.money.find((m) => m.currency === 'USD')?.revenueThisMonthMinor ?? 0;
    const before = await executive();
    const hits = (await family(t, 'analytics.executive')).hits;
    expect(revenue(await executive())).toBe(revenue(before));
    expect((await family(t, 'analytics.executive')).hits, 'the second read was cached').toBe(hits + 1);
    await post(`/invoices/${invoice.id}/payments`, { paidOn: today, amountMinor: 4000 });
    const paid = await executive();
    expect(revenue(paid)).toBe(revenue(before) + 4000);
    await post('/feedback', { clientId: client.id, score: 5 });
    expect((await executive()).satisfaction.responses).toBe(paid.satisfaction.responses + 1);
  });

  it('deleting an organization moves the platform’s data version: a cached global value is recomputed, also once the event counts are back where they were', async () => {
    type Global = { organizations: number; asOf: string };
    const global = async () => {
      const res = await get(t, admin, '/executive/metrics?scope=global');
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as Global;
    };
    // The API deletes no organization: `bul seed-demo --reset` does (its rows, its audit chain,
    // then the row), and a whole restore to before it existed, which takes its domain events too.
    const remove = async (orgId: string) => {
      const owner = new pg.Client({ connectionString: t.ownerUrl });
      await owner.connect();
      try {
        await owner.query('BEGIN');
        for (const sql of RESET_STATEMENTS) await owner.query(sql, [orgId]);
        await owner.query('DELETE FROM domain_events WHERE org_id = $1', [orgId]);
        await owner.query('DELETE FROM domain_event_heads WHERE org_id = $1', [orgId]);
        await owner.query('COMMIT');
      } finally {
        await owner.end();
      }
    };
    const doomed = await signUp(t, { orgName: 'Deleted later' });
    const cached = await global();
    expect((await global()).asOf, 'the second read was cached').toBe(cached.asOf);
    await remove(doomed.orgId);
    const after = await global();
    expect(after.organizations).toBe(cached.organizations - 1);
    expect(after.asOf).not.toBe(cached.asOf);
    // The same sign-up again brings every audit and domain event count back to what `cached` was
    // computed for: only bul_data_changes (raised by each insert and delete of organizations) tells.
    await signUp(t, { orgName: 'Created after' });
    const again = await global();
    expect(again.organizations).toBe(cached.organizations);
    expect(again.asOf, 'computed afresh, not the entry cached before the deletion').not.toBe(cached.asOf);
  });

  it('caches an explicit asOf only on a whole hour within the last 90 days: any other instant is computed each time', async () => {
    const used = async () => {
      const f = await family(t, 'analytics.dashboard');
      return { loads: f.loads, hits: f.hits };
    };
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000).toISOString();
    const cachedAt = async (asOf: string) => {
      const before = await used();
      for (let i = 0; i < 2; i++) {
        const res = await get(t, b, `/analytics/dashboard?asOf=${encodeURIComponent(asOf)}`);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().asOf).toBe(new Date(asOf).toISOString());
      }
      const after = await used();
      return { loads: after.loads - before.loads, hits: after.hits - before.hits };
    };
    expect(await cachedAt(hour), 'a whole hour: one load, then a hit').toEqual({ loads: 1, hits: 1 });
    const uncached = { loads: 0, hits: 0 }; // computed outside the cache
    expect(await cachedAt(new Date(Date.now() - 61_234).toISOString()), 'an arbitrary instant').toEqual(
      uncached,
    );
    expect(await cachedAt('2003-05-01T00:00:00.000Z'), 'years back').toEqual(uncached);
  });

  it('invalidating organization B’s analytics tag leaves A’s entry; A’s own tag reloads it', async () => {
    await dashboard(t, a);
    await dashboard(t, b);
    const loads = (await family(t, 'analytics.dashboard')).loads;
    const inv = await t.request({
      method: 'POST',
      url: '/api/v1/cache/invalidate',
      headers: admin.headers,
      payload: { organizationId: b.orgId, tag: 'analytics' },
    });
    expect(inv.statusCode, inv.body).toBe(200);
    expect(inv.json()).toEqual({ scope: 'organization', organizationId: b.orgId, tag: 'analytics' });
    await dashboard(t, a);
    expect((await family(t, 'analytics.dashboard')).loads, 'A still cached').toBe(loads);
    await dashboard(t, b);
    expect((await family(t, 'analytics.dashboard')).loads, 'B reloaded').toBe(loads + 1);
    const all = await t.request({
      method: 'POST',
      url: '/api/v1/cache/invalidate',
      headers: admin.headers,
      payload: { organizationId: a.orgId, tag: '*' },
    });
    expect(all.statusCode, all.body).toBe(200);
    await dashboard(t, a);
    expect((await family(t, 'analytics.dashboard')).loads, 'A reloaded').toBe(loads + 2);
  });

  it('caches executive metrics and trends, and reports the cache in /metrics', async () => {
    const m1 = await get(t, a, '/executive/metrics');
    const m2 = await get(t, a, '/executive/metrics');
    expect(m1.statusCode, m1.body).toBe(200);
    expect(m2.json().asOf, 'the cached computation, not a new one').toBe(m1.json().asOf);
    expect(m2.json().money).toEqual(m1.json().money);
    expect((await family(t, 'analytics.executive')).hits).toBeGreaterThan(0);
    expect((await get(t, a, '/executive/trends?metric=tasks_created')).statusCode).toBe(200);
    expect((await get(t, a, '/executive/trends?metric=tasks_created')).statusCode).toBe(200);
    expect((await family(t, 'analytics.trend')).hits).toBeGreaterThan(0);
    const metrics = await t.request({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/bul_cache_reads_total\{family="analytics.dashboard",outcome="hit"\} [1-9]/);
    expect(metrics.body).toMatch(
      /bul_cache_load_duration_seconds_count\{family="analytics.executive"\} [1-9]/,
    );
    expect(metrics.body).toMatch(/bul_cache_entries [1-9]/);
    expect(metrics.body).toMatch(/bul_cache_bytes [1-9]/);
  });
});

describe('the cache API', () => {
  it('GET /cache/metrics gives totals and families to super admins only', async () => {
    const res = await get(t, admin, '/cache/metrics');
    expect(res.statusCode).toBe(200);
    const m = res.json();
    expect(m.store).toBe('memory');
    expect(m.reads).toBe(m.hits + m.stale + m.misses);
    expect(m.hitRatePct).toBeGreaterThan(0);
    expect(m.entries).toBeGreaterThan(0);
    expectProblem(await get(t, a, '/cache/metrics'), 403, 'forbidden');
    const inv = await t.request({
      method: 'POST',
      url: '/api/v1/cache/invalidate',
      headers: a.headers,
      payload: { organizationId: a.orgId, tag: 'analytics' },
    });
    expectProblem(inv, 403, 'forbidden');
  });

  it('refuses bad input with the field and rule, in the caller’s language', async () => {
    const post = (payload: unknown, lang = 'en') =>
      t.request({
        method: 'POST',
        url: '/api/v1/cache/invalidate',
        headers: { ...admin.headers, 'accept-language': lang },
        payload: payload as Record<string, unknown>,
      });
    const neither = await post({ tag: 'analytics' }, 'es');
    const body = expectFieldError(neither, 'organizationId', 'oneOf');
    expect(body.errors[0].message).toBe('indique exactamente uno de organizationId y platform: true');
    const both = await post({ tag: 'analytics', organizationId: a.orgId, platform: true }, 'pt-BR');
    expect(expectFieldError(both, 'platform', 'oneOf').errors[0].message).toBe(
      'informe exatamente um de organizationId e platform: true',
    );
    expectFieldError(await post({ tag: 'Bad Tag!', platform: true }), 'tag', 'pattern');
    expectFieldError(await post({ tag: 'analytics', organizationId: 'nope' }), 'organizationId', 'format');
    const platform = await post({ tag: 'analytics', platform: true });
    expect(platform.statusCode, platform.body).toBe(200);
    expect(platform.json()).toEqual({ scope: 'platform', organizationId: null, tag: 'analytics' });
    const missing = await post({ tag: 'analytics', organizationId: randomUUID() }, 'es');
    expect(expectProblem(missing, 404, 'not-found').detail).toMatch(
      /^No existe ninguna organización con este id/,
    );
  });

  it('audits an invalidation in the platform’s trail, naming who and what', async () => {
    const inv = await t.request({
      method: 'POST',
      url: '/api/v1/cache/invalidate',
      headers: admin.headers,
      payload: { organizationId: b.orgId, tag: '*' },
    });
    expect(inv.statusCode, inv.body).toBe(200);
    const { rows } = await t.owner<{ actor_id: string; resource_id: string; metadata: unknown }>(
      `SELECT actor_id, resource_id, metadata FROM audit_events
       WHERE org_id = $1 AND action = 'cache.invalidate' AND resource_id = $2 AND metadata->>'tag' = '*'`,
      [PLATFORM_ORG_ID, b.orgId],
    );
    expect(rows).toEqual([
      { actor_id: admin.userId, resource_id: b.orgId, metadata: { tag: '*', scope: 'organization' } },
    ]);
  });

  it('the sampler records the hit rate: GET /monitoring/series?metric=cache.hit_rate.percent', async () => {
    const sampler = new Sampler({
      monitoring: t.services.monitoring,
      pool: t.pool,
      log: pino({ level: 'silent' }),
      dataDir: t.config.dataDir,
      onError: (err) => {
        throw err;
      },
      source: 'cache-test:1',
      hostReadings: [],
      cache: t.services.cacheAdmin.cache,
    });
    sampler.prime();
    const before = t.services.cacheAdmin.cache.totals();
    await dashboard(t, a); // a miss (its own key) or a hit: either way one read
    await dashboard(t, a); // a hit
    const after = t.services.cacheAdmin.cache.totals();
    const tick = new Date(Math.floor(Date.now() / 15_000) * 15_000 + 15_000);
    await sampler.sampleOnce(tick);
    await sampler.stop();
    const at = new Date(tick.getTime() - 15_000);
    const res = await get(
      t,
      admin,
      `/monitoring/series?metric=cache.hit_rate.percent&scope=platform&from=${at.toISOString()}&to=${tick.toISOString()}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    const points = res.json().points as { value: number }[];
    const reads = after.reads - before.reads;
    const hits = after.hits - before.hits;
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(points.at(-1)?.value).toBeCloseTo((100 * hits) / reads, 1);
  });
});
