// The operations screens (issue 17, section 7) in a real Chromium against a real BUL with its event
// worker running, on data seeded through the services and the API: the monitoring page shows the
// health checks (status, uptime, a check's history), a chart of a metric picked from the catalogue
// with its latest value, and the capacity projections; an alert rule saved from the editor after
// its preview of the last 24 hours; an alert that fires while the alerts page is open appears
// without a reload (alert.fired over /ws), is acknowledged with a comment, its history shows both
// transitions, and it is silenced for a few hours; the security page in Brazilian Portuguese shows the dashboard and filters the
// threats by type; the executive page shows the system, security and alert figures (the
// installation's health score, CPU and database connections in the global scope, for a super
// admin), with the cache hit rate, backup health and the compliance score not available yet; a member without these permissions sees no
// operations links. Then: the alerts list on a phone (the table scrolls, not the page); an alert
// resolved by hand leaves the active list, its history saying who resolved it; the monitoring page
// in Spanish; and a super admin's platform scope on the monitoring page, the alerts and the threats
// (a platform alert and a platform threat, absent from the organization's). One app and one event
// worker for the file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORM_ORG_ID } from '../src/platform/db/ids.ts';
import { operationsMessages } from '../web/src/i18n/areas/operations.ts';
import { en as common } from '../web/src/i18n/en.ts';
import {
  type BrowserRig,
  chromiumAvailable,
  POLL,
  pageRunner,
  startBrowserRig,
  type Viewport,
} from './support/browser.ts';
import { STRONG_PASSWORD } from './support/constants.ts';
import { composeWorker, startEvents } from './support/event-worker-inline.ts';
import { addMember, type Session, signUp } from './support/test-app.ts';

const hasChromium = chromiumAvailable();
/** A common phone (iPhone 12 to 15). */
const phone: Viewport = { name: 'phone-390', width: 390, height: 844, phone: true };
const en = operationsMessages.en;
const pt = operationsMessages.ptBR;
const es = operationsMessages.es;
const STEP_MS = 15_000;

let rig: BrowserRig;
const onPage = pageRunner('web-operations', () => rig);
let stopEvents: (() => Promise<void>) | null = null;
let admin: Session;
let member: Session;
/** A super admin: the executive page's global scope. */
let boss: Session;

/** The current 15 s tick (what the evaluator and the health loop run on). */
const tickNow = () => new Date(Math.floor(Date.now() / STEP_MS) * STEP_MS);

/** `usage.users` of the admin's organization at `value`, every 15 s over `minutes` ending `endMs` ago. */
async function seedUsers(value: number, minutes: number, endMsAgo: number): Promise<void> {
  const end = tickNow().getTime() - endMsAgo;
  const samples = Array.from({ length: (minutes * 60_000) / STEP_MS + 1 }, (_, i) => ({
    orgId: admin.orgId,
    metric: 'usage.users' as const,
    value,
    at: new Date(end - i * STEP_MS),
  }));
  await rig.app.services.monitoring.record(samples);
}

async function api(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, who?: Session) {
  const r = await rig.app.request({
    method,
    url: `/api/v1${url}`,
    headers: (who ?? admin).headers,
    payload,
  });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json();
}

beforeAll(async () => {
  if (!hasChromium) return;
  rig = await startBrowserRig({ TRUST_PROXY: '127.0.0.1' });
  stopEvents = await startEvents(rig.app, await composeWorker(rig.app));
  admin = await signUp(rig.app, { name: 'Olga Ops', orgName: 'Vigía' });
  member = await addMember(rig.app, admin, 'user');
  boss = await signUp(rig.app, { name: 'Sam Super', orgName: 'Plataforma' });
  await rig.app.owner('UPDATE users SET is_super_admin = true WHERE id = $1', [boss.userId]);
  // The evaluator's first tick installs the built-in alert rules.
  await rig.app.services.alerts.evaluator.runTick(tickNow());
  // A health round, so the checks have a status, uptime and history.
  await rig.app.services.healthRunner.runTick(tickNow().getTime());
  // Members over 5 for ten minutes three hours ago, then 3 for five minutes, and 7 again now: a
  // rule on it fires twice in 24 h (without the 3s, the first alert would stay open through the
  // hours without samples: no data resolves nothing).
  await seedUsers(7, 10, 3 * 3_600_000);
  await seedUsers(3, 5, 3 * 3_600_000 - 5 * 60_000);
  await seedUsers(7, 10, 0);
  // Failed logins on the member's account from five addresses: a burst on the account (10) and
  // credential stuffing (5 addresses, one account), detected inline.
  for (let i = 0; i < 10; i++) {
    await rig.app.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'x-forwarded-for': `203.0.113.${10 + (i % 5)}` },
      payload: { email: member.email, password: `${STRONG_PASSWORD}-wrong` },
    });
  }
}, 180_000);

afterAll(async () => {
  await stopEvents?.();
  await rig?.close();
});

describe.skipIf(!hasChromium)('operations screens in Chromium', () => {
  it('monitoring: health checks with uptime and history, a chosen metric, capacity', {
    timeout: 120_000,
  }, async () => {
    await onPage('monitoring', admin, async (page) => {
      await page.goto(`${rig.baseUrl}/`);
      await page.getByRole('navigation').getByRole('link', { name: en.nav.monitoring, exact: true }).click();
      await page.getByRole('heading', { name: en.monitoring.title, level: 2 }).waitFor();

      const health = page.getByTestId('health');
      const database = health.locator('tr[data-check="database"]');
      await database.waitFor();
      await database.getByText(en.health.status.ok, { exact: true }).waitFor();
      expect(await database.getByTestId('uptime-24h').textContent()).toBe('100%');
      expect(await health.getByTestId('health-score').textContent()).toMatch(/^\d+$/);
      await database
        .getByRole('button', { name: en.health.historyWho.replace('{{name}}', 'PostgreSQL') })
        .click();
      const history = page.getByTestId('check-history');
      await history.locator('tr[data-result="ok"]').first().waitFor();
      await page.keyboard.press('Escape');
      await history.waitFor({ state: 'detached' });

      // A metric from the catalogue: its chart and its latest value.
      const metrics = page.getByTestId('metrics');
      await metrics.getByRole('combobox', { name: en.monitoring.addChart }).click();
      await page.getByRole('option', { name: en.metric.usage_users, exact: true }).click();
      const chart = metrics.locator('[data-metric="usage.users"]');
      await chart.locator('.recharts-line-curve').waitFor({ state: 'attached' });
      await expect.poll(() => chart.getByTestId('latest').textContent(), POLL).toBe('7');

      const capacity = page.getByTestId('capacity');
      await capacity.locator('tr[data-resource="users"]').waitFor();
    });
  });

  it('alert rules: the editor previews the last 24 hours, then saves the rule', {
    timeout: 120_000,
  }, async () => {
    await onPage('rules', admin, async (page) => {
      await page.goto(`${rig.baseUrl}/alerts/rules`);
      await page.getByRole('heading', { name: en.rules.title, level: 2 }).waitFor();
      await page.getByRole('button', { name: en.rules.add }).click();
      const form = page.getByRole('form', { name: en.rules.new });
      await form.getByRole('textbox', { name: 'Name' }).fill('Too many members');
      await form.getByRole('combobox', { name: en.rules.severityLabel }).click();
      await page.getByRole('option', { name: en.severity.critical, exact: true }).click();
      await form
        .getByRole('combobox', { name: `${en.rules.conditionN.replace('{{n}}', '1')}: ${en.rules.metric}` })
        .fill('usage.users');
      await page.getByRole('option', { name: `${en.metric.usage_users} (usage.users)` }).click();
      await form.getByRole('textbox', { name: en.rules.threshold }).fill('5');
      await form.getByRole('textbox', { name: en.rules.forMinutes }).fill('1');
      await form.getByRole('textbox', { name: en.rules.evaluateEvery }).fill('15');

      const preview = form.getByTestId('rule-preview');
      await preview.getByRole('button', { name: en.rules.preview.run }).click();
      await preview.getByTestId('preview-fired').waitFor();
      expect(await preview.getByTestId('preview-fired').textContent()).toBe(
        en.rules.preview.fired_other.replace('{{count}}', '2'),
      );
      expect(await preview.getByTestId('preview-episode').count()).toBe(2);
      await preview.locator('.recharts-bar-rectangle').first().waitFor({ state: 'attached' });

      await form.getByRole('button', { name: en.rules.create }).click();
      await form.waitFor({ state: 'detached' });
      const row = page.locator('tr[data-rule="Too many members"]');
      await row.waitFor();
      await row.getByText(en.severity.critical, { exact: true }).waitFor();
      // Built-in rules are listed and marked (installed by the evaluator's first tick).
      await page.getByText(en.rules.builtin).first().waitFor();
    });
  });

  it('alerts: a firing alert appears live, is acknowledged with a comment, shows its history, is silenced', {
    timeout: 120_000,
  }, async () => {
    await onPage('alerts', admin, async (page) => {
      await page.goto(`${rig.baseUrl}/alerts`);
      await page.getByRole('heading', { name: en.alerts.title, level: 2 }).waitFor();
      const row = page.locator('tr', { hasText: 'Too many members' });
      expect(await row.count()).toBe(0);

      // The evaluator fires the rule saved above; the open page hears alert.fired over /ws.
      await seedUsers(7, 3, 0);
      const tick = tickNow();
      for (let i = 0; i < 3; i++)
        await rig.app.services.alerts.evaluator.evaluateOrg(
          admin.orgId,
          new Date(tick.getTime() + i * STEP_MS),
        );
      await row.first().waitFor();
      await row.locator('[data-status="firing"]').waitFor();

      await row.getByRole('button', { name: /^Acknowledge / }).click();
      const dialog = page.getByRole('form', { name: en.alerts.acknowledgeTitle });
      await dialog.getByRole('textbox', { name: en.alerts.comment }).fill('Looking into it');
      await dialog.getByRole('button', { name: en.alerts.acknowledge }).click();
      await dialog.waitFor({ state: 'detached' });
      await row.locator('[data-status="acknowledged"]').waitFor();
      await row.getByTestId('ack-comment').getByText('Looking into it', { exact: false }).waitFor();

      await row.getByRole('button', { name: /^History of / }).click();
      const history = page.getByTestId('alert-history');
      await history.locator('[data-transition="firing"]').waitFor();
      await history.locator('[data-transition="acknowledged"]').waitFor();
      await history.getByText('Looking into it').waitFor();
      const listed = await api('GET', '/alerts/list?status=acknowledged');
      expect(listed.items.map((a: { ackComment: string }) => a.ackComment)).toContain('Looking into it');
      await page.keyboard.press('Escape');
      await history.waitFor({ state: 'detached' });

      // Silenced for 4 hours (the default): the row says until when.
      await row.getByRole('button', { name: /^Silence / }).click();
      const silence = page.getByRole('form', { name: en.alerts.silenceTitle });
      await silence.getByRole('button', { name: en.alerts.silence }).click();
      await silence.waitFor({ state: 'detached' });
      await row.getByText(/^Silenced until /).waitFor();
    });
  });

  it('security in Portuguese: the dashboard, and threats filtered by type', {
    timeout: 120_000,
  }, async () => {
    await onPage(
      'security-pt-BR',
      admin,
      async (page) => {
        await page.goto(`${rig.baseUrl}/`);
        await page.getByRole('navigation').getByRole('link', { name: pt.nav.security, exact: true }).click();
        await page.getByRole('heading', { name: pt.security.title, level: 2 }).waitFor();
        const dashboard = page.getByTestId('security-dashboard');
        await expect.poll(() => dashboard.getByTestId('kpi-failed-logins').textContent(), POLL).toBe('10');
        expect(Number(await dashboard.getByTestId('kpi-threats').textContent())).toBeGreaterThanOrEqual(2);
        await dashboard.getByText(pt.security.type.failed_login_burst_account).first().waitFor();

        const burst = page.locator('tr[data-threat="failed_login_burst_account"]');
        const stuffing = page.locator('tr[data-threat="credential_stuffing_account"]');
        await burst.waitFor();
        await stuffing.waitFor();
        await page.getByRole('combobox', { name: pt.security.typeLabel }).click();
        await page
          .getByRole('option', { name: pt.security.type.credential_stuffing_account, exact: true })
          .click();
        await burst.waitFor({ state: 'detached' });
        await stuffing.waitFor();
        expect(await page.locator('tr[data-threat]').count()).toBe(1);
        await stuffing.getByText(pt.security.status.open, { exact: true }).waitFor();
      },
      { locale: 'pt-BR', language: 'pt-BR' },
    );
  });

  it('executive: system, security and alert figures; cache, backups and compliance not available yet', {
    timeout: 120_000,
  }, async () => {
    await onPage('executive', admin, async (page) => {
      await page.goto(`${rig.baseUrl}/executive`);
      const figures = page.getByTestId('executive-system');
      await figures.getByRole('heading', { name: en.executive.system }).waitFor();
      await expect
        .poll(async () => Number(await figures.getByTestId('kpi-critical-alerts').textContent()), POLL)
        .toBeGreaterThanOrEqual(1);
      expect(await figures.getByTestId('kpi-failed-logins').textContent()).toBe('10');
      expect(Number(await figures.getByTestId('kpi-incidents').textContent())).toBeGreaterThanOrEqual(2);
      expect(await figures.getByTestId('kpi-requests').textContent()).toMatch(/^[\d,]+$/);
      for (const id of ['kpi-cache', 'kpi-backup', 'kpi-compliance'])
        expect(await figures.getByTestId(id).textContent()).toBe(en.notAvailable);
      await figures.locator('[data-executive-alert="Too many members"]').waitFor();
      // The installation's figures are for the global scope only.
      expect(await figures.getByTestId('kpi-health-score').count()).toBe(0);
    });
    await onPage('executive-global', boss, async (page) => {
      await page.goto(`${rig.baseUrl}/executive`);
      await page.getByText('All organizations').click();
      const figures = page.getByTestId('executive-system');
      await expect.poll(() => figures.getByTestId('kpi-health-score').textContent(), POLL).toMatch(/^\d+$/);
      await figures.getByTestId('kpi-cpu').waitFor();
      await figures.getByTestId('kpi-db-connections').waitFor();
    });
  });

  it('a member without the permissions sees no operations links', { timeout: 60_000 }, async () => {
    await onPage('member-nav', member, async (page) => {
      await page.goto(`${rig.baseUrl}/projects`);
      const nav = page.getByRole('navigation');
      await nav.getByRole('link', { name: 'Projects', exact: true }).waitFor();
      for (const name of [en.nav.monitoring, en.nav.alerts, en.nav.rules, en.nav.security])
        expect(await nav.getByRole('link', { name, exact: true }).count()).toBe(0);
    });
  });

  it('alerts on a phone: the table scrolls sideways, the page does not', { timeout: 60_000 }, async () => {
    await onPage(
      'alerts-phone',
      admin,
      async (page) => {
        await page.goto(`${rig.baseUrl}/alerts`);
        await page.getByRole('heading', { name: en.alerts.title, level: 2 }).waitFor();
        const row = page.locator('tr[data-alert="Too many members"]');
        await row.waitFor();
        const wide = page.locator('[data-wide-table]', { has: row });
        const scroller = wide.getByRole('region', { name: common.common.scrollHint });
        const sizes = await scroller.evaluate((el) => ({ client: el.clientWidth, scroll: el.scrollWidth }));
        expect(sizes.scroll).toBeGreaterThan(sizes.client);
        expect(sizes.client).toBeLessThanOrEqual(phone.width);
        for (const element of ['html', 'body'])
          expect(await page.locator(element).evaluate((el) => el.scrollWidth)).toBeLessThanOrEqual(
            phone.width,
          );
        // The filters stay on the screen (they wrap rather than push the page wider).
        for (const name of [en.alerts.status.label, en.alerts.severityLabel]) {
          const box = (await page.getByRole('combobox', { name }).boundingBox())!;
          expect(box.x).toBeGreaterThanOrEqual(0);
          expect(box.x + box.width).toBeLessThanOrEqual(phone.width);
        }
      },
      { viewport: phone },
    );
  });

  it('alerts: resolved by hand, it leaves the active list; its history says who resolved it', {
    timeout: 120_000,
  }, async () => {
    await onPage('alerts-resolve', admin, async (page) => {
      await page.goto(`${rig.baseUrl}/alerts`);
      await page.getByRole('heading', { name: en.alerts.title, level: 2 }).waitFor();
      const row = page.locator('tr[data-alert="Too many members"]');
      await row.waitFor();
      await row.getByRole('button', { name: /^Resolve / }).click();
      const dialog = page.getByRole('form', { name: en.alerts.resolveTitle });
      await dialog.getByRole('textbox', { name: en.alerts.comment }).fill('Removed the extra members');
      await dialog.getByRole('button', { name: en.alerts.resolve, exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
      // The list shows the active alerts (firing, acknowledged): the resolved one leaves it.
      await row.waitFor({ state: 'detached' });
      const resolved = await api('GET', '/alerts/list?status=resolved');
      expect(
        resolved.items.filter((a: { title: string }) => a.title === 'Too many members').length,
      ).toBeGreaterThanOrEqual(1);

      await page.getByRole('combobox', { name: en.alerts.status.label }).click();
      await page.getByRole('option', { name: en.alerts.status.resolved, exact: true }).click();
      const done = page.locator('tr[data-alert="Too many members"][data-status="resolved"]').first();
      await done.waitFor();
      // No more actions on a resolved alert, but its history.
      expect(await done.getByRole('button', { name: /^(Acknowledge|Resolve|Silence) / }).count()).toBe(0);
      await done.getByRole('button', { name: /^History of / }).click();
      const history = page.getByTestId('alert-history');
      const last = history.locator('[data-transition="resolved"]');
      await last.waitFor();
      await last.getByText(en.alerts.byName.replace('{{name}}', 'Olga Ops'), { exact: false }).waitFor();
      await last.getByText('Removed the extra members').waitFor();
    });
  });

  it('monitoring in Spanish: health checks, charts and capacity, no English left', {
    timeout: 120_000,
  }, async () => {
    await onPage(
      'monitoring-es',
      admin,
      async (page) => {
        await page.goto(`${rig.baseUrl}/`);
        await page
          .getByRole('navigation')
          .getByRole('link', { name: es.nav.monitoring, exact: true })
          .click();
        await page.getByRole('heading', { name: es.monitoring.title, level: 2 }).waitFor();
        const health = page.getByTestId('health');
        await health.getByRole('heading', { name: es.health.title }).waitFor();
        const database = health.locator('tr[data-check="database"]');
        await database.getByText(es.health.status.ok, { exact: true }).waitFor();
        // The checks BUL names in English are named in Spanish.
        for (const key of ['job_queue', 'disk'] as const)
          await health
            .locator(`tr[data-check="${key}"]`)
            .getByText(es.health.checkName[key], { exact: true })
            .waitFor();
        // Spanish writes a space before the percent sign.
        expect(await database.getByTestId('uptime-24h').textContent()).toMatch(/^100\s%$/);
        const metrics = page.getByTestId('metrics');
        await metrics.getByRole('heading', { name: es.metric.http_requests, exact: true }).waitFor();
        await metrics.getByText(es.monitoring.range_24h, { exact: true }).waitFor();
        const capacity = page.getByTestId('capacity');
        await capacity.getByRole('heading', { name: es.monitoring.capacity.title }).waitFor();
        await capacity
          .locator('tr[data-resource="users"]')
          .getByText(es.monitoring.capacity.resource.users)
          .waitFor();
        // No English of the page's own messages is left on it.
        const text = (await page.locator('main').textContent()) ?? '';
        const sections = [
          [en.health, es.health],
          [en.health.checkName, es.health.checkName],
          [en.monitoring, es.monitoring],
          [en.monitoring.capacity, es.monitoring.capacity],
          [en.monitoring.capacity.resource, es.monitoring.capacity.resource],
        ] as [Record<string, unknown>, Record<string, unknown>][];
        const english = sections.flatMap(([e, s]) =>
          Object.entries(e)
            .filter(([k, v]) => typeof v === 'string' && v !== s[k] && !v.includes('{{') && v.length >= 5)
            .map(([, v]) => v as string),
        );
        expect(english.length).toBeGreaterThan(20);
        expect(english.filter((v) => text.includes(v))).toEqual([]);
      },
      { locale: 'es', language: 'es' },
    );
  });

  it('platform scope for a super admin: monitoring, alerts and threats of the platform, not the organization', {
    timeout: 180_000,
  }, async () => {
    // A platform rule on the host's CPU, firing on platform samples (no organization).
    await api(
      'POST',
      '/alerts/rules',
      {
        name: 'Host CPU hot',
        type: 'performance',
        severity: 'critical',
        scope: 'platform',
        conditions: [{ metric: 'system.cpu.percent', operator: 'gte', threshold: 90, forMinutes: 1 }],
        evaluateEverySeconds: 15,
      },
      boss,
    );
    // An hour ago: the app's own sampler writes the host's real CPU now, which would average in.
    const end = tickNow().getTime() - 3600_000;
    await rig.app.services.monitoring.record(
      Array.from({ length: 13 }, (_, i) => ({
        orgId: null,
        metric: 'system.cpu.percent' as const,
        value: 97,
        at: new Date(end - i * STEP_MS),
      })),
    );
    for (let i = 0; i < 3; i++)
      await rig.app.services.alerts.evaluator.evaluateOrg(PLATFORM_ORG_ID, new Date(end + i * STEP_MS));
    // Failed logins of ten unknown e-mails from one address: credential stuffing, a platform threat.
    const ip = '198.51.100.77';
    for (let i = 0; i < 10; i++)
      await rig.app.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'x-forwarded-for': ip },
        payload: { email: `ghost-${i}@example.com`, password: `${STRONG_PASSWORD}-wrong` },
      });

    await onPage('platform', boss, async (page) => {
      const toPlatform = () => page.getByText(en.scope.platform, { exact: true }).click();

      // Monitoring: the organization's charts, then the host's.
      await page.goto(`${rig.baseUrl}/monitoring`);
      const metrics = page.getByTestId('metrics');
      await metrics.locator('[data-metric="http.requests"]').waitFor();
      expect(await metrics.locator('[data-metric="system.cpu.percent"]').count()).toBe(0);
      await toPlatform();
      const cpu = metrics.locator('[data-metric="system.cpu.percent"]');
      // The latest reading is the sampler's real one (whatever the machine's load).
      await expect.poll(() => cpu.getByTestId('latest').textContent(), POLL).toMatch(/^\d+(\.\d+)?%$/);
      expect(await metrics.locator('[data-metric="http.requests"]').count()).toBe(0);
      await page.getByTestId('capacity').locator('tr[data-resource="disk"]').waitFor();

      // Alerts: none of the platform's in the organization's list.
      await page.goto(`${rig.baseUrl}/alerts`);
      await page.getByRole('heading', { name: en.alerts.title, level: 2 }).waitFor();
      await page.getByText(en.alerts.none).waitFor();
      expect(await page.locator('tr[data-alert="Host CPU hot"]').count()).toBe(0);
      await toPlatform();
      const alert = page.locator('tr[data-alert="Host CPU hot"]');
      await alert.locator('[data-status="firing"]').waitFor();
      await alert.getByText(en.severity.critical, { exact: true }).waitFor();
      await alert.getByRole('button', { name: /^History of / }).click();
      await page.getByTestId('alert-history').locator('[data-transition="firing"]').waitFor();
      await page.keyboard.press('Escape');

      // Threats: the address's credential stuffing is the platform's.
      await page.goto(`${rig.baseUrl}/security`);
      await page.getByRole('heading', { name: en.security.title, level: 2 }).waitFor();
      await page.getByText(en.security.none).waitFor();
      expect(await page.locator('tr[data-threat]', { hasText: ip }).count()).toBe(0);
      await toPlatform();
      const threat = page.locator('tr[data-threat="credential_stuffing_ip"]', { hasText: ip });
      await threat.waitFor();
      await threat.getByText(en.security.status.open, { exact: true }).waitFor();
    });
  });
});
