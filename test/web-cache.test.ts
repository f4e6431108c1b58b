// The cache page (issue 19, Q1) in a real Chromium against a real BUL: a super admin sees the
// process's figures and each family's (after dashboards were read through the cache), the hit rate
// over time from the sampler's series, and invalidates an organization's analytics tag, found by
// typing part of its name among more organizations than the picker lists (the next dashboard read
// computes again); without an organization chosen the API's refusal shows beside the field in the
// UI's language (Spanish); an organization admin sees no Cache link.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sampler } from '../src/modules/monitoring/sampler.ts';
import { operationsMessages } from '../web/src/i18n/areas/operations.ts';
import { type BrowserRig, chromiumAvailable, POLL, pageRunner, startBrowserRig } from './support/browser.ts';
import { type Session, signUp } from './support/test-app.ts';

const hasChromium = chromiumAvailable();
const en = operationsMessages.en;
const es = operationsMessages.es;

let rig: BrowserRig;
const onPage = pageRunner('web-cache', () => rig);
let admin: Session;
let boss: Session;

async function dashboardLoads(): Promise<number> {
  return (
    rig.app.services.cacheAdmin.cache.stats().find((f) => f.family === 'analytics.dashboard')?.loads ?? 0
  );
}

async function readDashboard(who: Session) {
  const r = await rig.app.request({
    method: 'GET',
    url: '/api/v1/analytics/dashboard',
    headers: who.headers,
  });
  if (r.statusCode !== 200) throw new Error(`dashboard: ${r.statusCode} ${r.body}`);
}

beforeAll(async () => {
  if (!hasChromium) return;
  rig = await startBrowserRig({ CACHE_STORE: 'memory' });
  admin = await signUp(rig.app, { name: 'Ana Admin', orgName: 'Cachés' });
  boss = await signUp(rig.app, { name: 'Sam Super', orgName: 'Plataforma' });
  await rig.app.owner('UPDATE users SET is_super_admin = true WHERE id = $1', [boss.userId]);
  // 60 older organizations: the picker's first 50 options are all fillers, Cachés is found by search.
  await rig.app.owner(
    `INSERT INTO organizations (id, name, subdomain, plan_id, created_at)
     SELECT gen_random_uuid(), 'Filler ' || lpad(i::text, 2, '0'), 'filler-' || i,
            (SELECT id FROM plans ORDER BY id LIMIT 1), now() - interval '1 day' + i * interval '1 second'
     FROM generate_series(1, 60) i`,
  );
  // Reads through the cache (a load, then hits), recorded by a sampler run for the hit-rate series.
  const sampler = new Sampler({
    monitoring: rig.app.services.monitoring,
    pool: rig.app.pool,
    log: pino({ level: 'silent' }),
    dataDir: rig.app.config.dataDir,
    onError: (err) => {
      throw err;
    },
    source: 'web-cache:1',
    hostReadings: [],
    cache: rig.app.services.cacheAdmin.cache,
  });
  sampler.prime();
  for (let i = 0; i < 4; i++) await readDashboard(admin);
  await sampler.sampleOnce(new Date(Math.floor(Date.now() / 15_000) * 15_000 + 15_000));
  await sampler.stop();
}, 180_000);

afterAll(async () => {
  await rig?.close();
});

describe.skipIf(!hasChromium)('the cache page in Chromium', () => {
  it('figures, families, the hit rate over time, and invalidating an organization’s tag', {
    timeout: 120_000,
  }, async () => {
    await onPage('cache', boss, async (page) => {
      await page.goto(`${rig.baseUrl}/monitoring`);
      await page.getByRole('navigation').getByRole('link', { name: en.nav.cache, exact: true }).click();
      await page.getByRole('heading', { name: en.cache.title, level: 2 }).waitFor();
      const figures = page.getByTestId('cache-figures');
      expect(await figures.getByTestId('cache-store').textContent()).toBe(en.cache.stores.memory);
      expect(await figures.getByTestId('cache-hit-rate').textContent()).toMatch(/^\d+(\.\d+)?%$/);
      expect(Number(await figures.getByTestId('cache-entries').textContent())).toBeGreaterThanOrEqual(1);
      const row = figures.locator('[data-family="analytics.dashboard"]');
      // 4 reads, 1 load: 75 %.
      expect(await row.getByTestId('family-hit-rate').textContent()).toBe('75%');
      const chart = page.getByTestId('cache-over-time').locator('[data-metric="cache.hit_rate.percent"]');
      await expect.poll(() => chart.getByTestId('latest').textContent(), POLL).toBe('75%');

      const loads = await dashboardLoads();
      const form = page.getByRole('form', { name: en.cache.invalidate.title });
      const picker = form.getByRole('combobox', { name: en.cache.invalidate.organization });
      await picker.click();
      // Opened without a search: the first 50 of the installation, all older fillers.
      await page.getByRole('option', { name: /^Filler 50 / }).waitFor();
      expect(await page.getByRole('option', { name: /^Filler 51 / }).count()).toBe(0);
      expect(await page.getByRole('option', { name: /^Cachés/ }).count()).toBe(0);
      // What the admin types is searched on the server.
      const searched = page.waitForRequest((r) => r.url().includes('/api/v1/admin/organizations?q=CACH'));
      await picker.fill('CACH');
      await searched;
      await page.getByRole('option', { name: /^Cachés/ }).click();
      expect(await picker.inputValue()).toMatch(/^Cachés \(/);
      await form.getByRole('button', { name: en.cache.invalidate.submit }).click();
      await form.getByRole('status').filter({ hasText: 'Invalidated analytics' }).waitFor();
      await readDashboard(admin);
      expect(await dashboardLoads()).toBe(loads + 1);
    });
  });

  it('in Spanish: without an organization, the refusal shows beside the field', {
    timeout: 60_000,
  }, async () => {
    await onPage(
      'cache-es',
      boss,
      async (page) => {
        await page.goto(`${rig.baseUrl}/cache`);
        await page.getByRole('heading', { name: es.cache.title, level: 2 }).waitFor();
        const form = page.getByRole('form', { name: es.cache.invalidate.title });
        await form.getByRole('button', { name: es.cache.invalidate.submit }).click();
        await form.getByText('Indique exactamente uno de organizationId y platform: true').waitFor();
      },
      { language: 'es', expectedHttpErrors: [{ status: 400, path: '/api/v1/cache/invalidate' }] },
    );
  });

  it('an organization admin sees no Cache link', { timeout: 60_000 }, async () => {
    await onPage('cache-no-link', admin, async (page) => {
      await page.goto(`${rig.baseUrl}/monitoring`);
      const nav = page.getByRole('navigation');
      await nav.getByRole('link', { name: en.nav.monitoring, exact: true }).waitFor();
      expect(await nav.getByRole('link', { name: en.nav.cache, exact: true }).count()).toBe(0);
    });
  });
});
