// The backups screens (issue 18, D) in a real Chromium against a real BUL whose backup jobs run in
// a worker started by the test (graphile-worker on the test app's database, a directory target in
// the app's own data directory): a super admin runs a full backup from the screen, sees it queued
// with its progress bar, then succeed (the worker starts only after the queued state was seen),
// opens its tables, and finds it on the dashboard and in the list; in Spanish, a dry run of one
// organization's restore reports the client added since the backup as a row to remove, with no
// English left on the page; an organization admin on a phone sees the backups, the restore of
// their organization and its history only (no health, no settings), dry-runs their organization
// and may not apply it under the default policy (dry runs only), and the backups table scrolls
// sideways, not the page; a cron that does not parse and a critical table that is not backed up
// are refused beside their fields; and a super admin applies the organization restore: the page
// follows it to its result, which names the safety backup taken first, and the client is gone.
import path from 'node:path';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker } from '../src/platform/jobs/worker.ts';
import { backupMessages } from '../web/src/i18n/areas/backups.ts';
import { en as common } from '../web/src/i18n/en.ts';
import {
  type BrowserRig,
  chromiumAvailable,
  POLL,
  pageRunner,
  SCREENSHOT,
  startBrowserRig,
  type Viewport,
} from './support/browser.ts';
import { composeWorker } from './support/event-worker-inline.ts';
import { ROOT } from './support/process.ts';
import { type Session, signUp } from './support/test-app.ts';

const hasChromium = chromiumAvailable();
/** A common phone (iPhone 12 to 15). */
const phone: Viewport = { name: 'phone-390', width: 390, height: 844, phone: true };
const en = backupMessages.en;
const es = backupMessages.es;
const BACKUP_MS = 120_000;
/** A dry run answers within its request, after reading the whole chain into temporary tables. */
const DRY_RUN_MS = 60_000;

let rig: BrowserRig;
const onPage = pageRunner('web-backups', () => rig);
let boss: Session;
let admin: Session;
let stopWorker: (() => Promise<void>) | null = null;
let backupId = '';

/** Starts a worker running the backups module's jobs (backups, restores), once. */
async function startBackupWorker(): Promise<void> {
  if (stopWorker) return;
  const c = await composeWorker(rig.app);
  const worker = await startWorker({
    pool: rig.app.pool,
    jobs: c.jobs().filter((j) => j.name.startsWith('backups:')),
    concurrency: 1,
    log: pino({ level: 'silent' }),
  });
  stopWorker = () => worker.stop();
}

async function api(method: 'GET' | 'POST' | 'PUT', url: string, who: Session, payload?: object) {
  const r = await rig.app.request({ method, url: `/api/v1${url}`, headers: who.headers, payload });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json();
}

beforeAll(async () => {
  if (!hasChromium) return;
  rig = await startBrowserRig();
  boss = await signUp(rig.app, { name: 'Sam Super', orgName: 'Plataforma' });
  await rig.app.owner('UPDATE users SET is_super_admin = true WHERE id = $1', [boss.userId]);
  admin = await signUp(rig.app, { name: 'Olga Orgadmin', orgName: 'Respaldo SA' });
  await api('POST', '/clients', admin, { name: 'Cliente antes', status: 'active' });
}, 180_000);

afterAll(async () => {
  await stopWorker?.();
  await rig?.close();
});

/** A screenshot of a moment inside a test (onPage takes the last one). */
const snap = (page: Page, name: string) =>
  page.screenshot({
    path: path.join(ROOT, 'test-results', 'web-backups', `${name}.png`),
    fullPage: true,
    ...SCREENSHOT,
  });

/** Picks `option` (a part of its label) in the select named `label`. */
async function choose(page: Page, label: string, option: string | RegExp) {
  await page.getByRole('combobox', { name: label, exact: true }).click();
  await page.getByRole('option', { name: option }).first().click();
}

describe.skipIf(!hasChromium)('backups screens in Chromium', () => {
  it('a super admin runs a full backup from the screen and follows it to success', {
    timeout: BACKUP_MS + 60_000,
  }, async () => {
    await onPage('run-backup', boss, async (page) => {
      await page.goto(`${rig.baseUrl}/`);
      await page.getByRole('navigation').getByRole('link', { name: en.nav.dashboard, exact: true }).click();
      await page.getByRole('heading', { name: en.dashboard.title, level: 2 }).waitFor();
      await page.locator('[data-health="unknown"]').waitFor();

      await page.getByRole('button', { name: en.run.now }).click();
      const form = page.getByRole('form', { name: en.run.title });
      await form.getByRole('radio', { name: en.type.full }).check();
      await form.getByRole('button', { name: en.run.start }).click();
      await page.waitForURL(/\/backups\/runs\/[0-9a-f-]{36}$/);
      backupId = page.url().split('/').pop() ?? '';

      // Queued (no worker runs yet): the progress bar shows, the page asks every second.
      const run = page.getByTestId('backup-run');
      await page.locator('[data-testid="backup-run"][data-status="queued"]').waitFor();
      await run.getByTestId('progress-bar').waitFor();
      await run.getByTestId('phase').getByText(en.status.queued).waitFor();
      expect(await page.getByRole('heading', { level: 2 }).textContent()).toBe(
        en.detail.title.replace('{{type}}', en.type.full),
      );

      await startBackupWorker();
      await page
        .locator('[data-testid="backup-run"][data-status="succeeded"]')
        .waitFor({ timeout: BACKUP_MS });
      expect(await run.getByTestId('progress').count()).toBe(0);
      expect(await run.getByTestId('run-size').textContent()).toMatch(/\d/);
      expect(Number((await run.getByTestId('run-rows').textContent())?.replace(/\D/g, ''))).toBeGreaterThan(
        0,
      );
      const clients = run.getByTestId('run-tables').locator('tr[data-table="clients"]');
      expect(await clients.getByTestId('table-rows').textContent()).toBe('1');
      // Verified after it was written (on by default): restored into a scratch database and compared.
      await run.getByText(en.verify.passed, { exact: true }).waitFor({ timeout: BACKUP_MS });
      await snap(page, 'desktop-run-detail');

      // The dashboard: healthy, the full backup as the last of its type, the size trend drawn.
      await page.getByRole('navigation').getByRole('link', { name: en.nav.dashboard, exact: true }).click();
      await page.locator('[data-health="ok"]').waitFor();
      const full = page.getByTestId('last-by-type').locator('tr[data-type="full"]');
      await full.locator('[data-status="succeeded"]').waitFor();
      await page.getByTestId('size-trend').locator('.recharts-bar-rectangle').first().waitFor({
        state: 'attached',
      });
      await page.getByTestId('schedules').locator('tr[data-schedule="full"]').waitFor();
      expect(
        await page
          .getByTestId('schedules')
          .locator('tr[data-schedule="full"]')
          .getByTestId('next-run')
          .textContent(),
      ).toMatch(/\d/);
      await snap(page, 'desktop-dashboard');

      // The list: the backup with its status, type and verification.
      await page.getByRole('navigation').getByRole('link', { name: en.nav.runs, exact: true }).click();
      const row = page.locator(`tr[data-run="${backupId}"]`);
      await row.locator('[data-status="succeeded"]').waitFor();
      await row.getByText(en.type.full, { exact: true }).waitFor();
      await row.getByText(en.trigger.manual, { exact: true }).waitFor();
      await row.locator('[data-verify="passed"]').waitFor();
      await page.getByRole('combobox', { name: en.status.label }).click();
      await page.getByRole('option', { name: en.status.failed, exact: true }).click();
      await row.waitFor({ state: 'detached' });
      await page.getByText(en.runs.none).waitFor();
    });
  });

  it('in Spanish: a dry run of one organization’s restore reports what would change', {
    timeout: 120_000,
  }, async () => {
    expect(backupId).not.toBe('');
    // Added after the backup: restoring the organization would remove it.
    await api('POST', '/clients', admin, { name: 'Cliente después', status: 'active' });
    await onPage(
      'dry-run-es',
      boss,
      async (page) => {
        await page.goto(`${rig.baseUrl}/`);
        await page.getByRole('navigation').getByRole('link', { name: es.nav.restore, exact: true }).click();
        await page.getByRole('heading', { name: es.restore.title, level: 2 }).waitFor();
        await choose(page, es.restore.backup, new RegExp(es.type.full));
        await page.getByRole('button', { name: es.restore.next }).click();
        const scope = page.getByTestId('step-scope');
        await scope.getByText(es.restore.scopeOrganization, { exact: true }).click();
        await choose(page, es.restore.organization, 'Respaldo SA');
        await scope.getByRole('button', { name: es.restore.dryRun }).click();

        const report = page.getByTestId('step-report');
        await report.getByRole('heading', { name: es.restore.report }).waitFor({ timeout: DRY_RUN_MS });
        const clients = report.locator('tr[data-table="clients"]');
        expect(await clients.getByTestId('removed').textContent()).toBe('1');
        expect(await clients.getByTestId('added').textContent()).toBe('0');
        await report.getByText(es.restore.chain_one.replace('{{count}}', '1')).waitFor();
        // A super admin may go on to the confirmation.
        expect(await report.getByRole('button', { name: es.restore.continue }).isEnabled()).toBe(true);

        // No English of the area's own messages is left on the page.
        const text = (await page.locator('main').textContent()) ?? '';
        const english = (
          [
            [en.restore, es.restore],
            [en.type, es.type],
          ] as [Record<string, unknown>, Record<string, unknown>][]
        ).flatMap(([e, s]) =>
          Object.entries(e)
            .filter(([k, v]) => typeof v === 'string' && v !== s[k] && !v.includes('{{') && v.length >= 5)
            .map(([, v]) => v as string),
        );
        expect(english.length).toBeGreaterThan(20);
        // Whole words only: "Confirm" is not left in "Confirmación".
        const shown = (v: string) =>
          new RegExp(`(?<!\\p{L})${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?!\\p{L})`, 'u').test(text);
        expect(english.filter(shown)).toEqual([]);
      },
      { locale: 'es', language: 'es' },
    );
    // The dry run is in the history, and changed nothing.
    const restores = await api('GET', '/backup/restores', boss);
    expect(restores.items[0]).toMatchObject({ kind: 'restore', dryRun: true, status: 'succeeded' });
    const clients = await api('GET', '/clients', admin);
    expect(clients.items.map((c: { name: string }) => c.name).sort()).toEqual([
      'Cliente antes',
      'Cliente después',
    ]);
  });

  it('an organization admin on a phone: backups, the restore of their organization and its history only', {
    timeout: 120_000,
  }, async () => {
    await onPage(
      'org-admin-phone',
      admin,
      async (page) => {
        await page.goto(`${rig.baseUrl}/projects`);
        await page.getByRole('button', { name: common.nav.menu }).click();
        const nav = page.getByRole('navigation');
        for (const name of [en.nav.runs, en.nav.restore, en.nav.restores])
          await nav.getByRole('link', { name, exact: true }).waitFor();
        for (const name of [en.nav.dashboard, en.nav.settings])
          expect(await nav.getByRole('link', { name, exact: true }).count()).toBe(0);

        // The backups table scrolls sideways, the page does not; no "run backup now".
        await nav.getByRole('link', { name: en.nav.runs, exact: true }).click();
        const row = page.locator(`tr[data-run="${backupId}"]`);
        await row.waitFor();
        expect(await page.getByRole('button', { name: en.run.now }).count()).toBe(0);
        const scroller = page
          .locator('[data-wide-table]', { has: row })
          .getByRole('region', { name: common.common.scrollHint });
        const sizes = await scroller.evaluate((el) => ({ client: el.clientWidth, scroll: el.scrollWidth }));
        expect(sizes.scroll).toBeGreaterThan(sizes.client);
        for (const element of ['html', 'body'])
          expect(await page.locator(element).evaluate((el) => el.scrollWidth)).toBeLessThanOrEqual(
            phone.width,
          );

        // The restore: their own organization, a dry run, and no way on under the default policy.
        await page.getByRole('button', { name: common.nav.menu }).click();
        await nav.getByRole('link', { name: en.nav.restore, exact: true }).click();
        await page.getByRole('heading', { name: en.restore.title, level: 2 }).waitFor();
        await choose(page, en.restore.backup, new RegExp(en.type.full));
        await page.getByRole('button', { name: en.restore.next }).click();
        const scope = page.getByTestId('step-scope');
        await scope
          .getByTestId('own-organization')
          .getByText(en.restore.ownOrganization.replace('{{name}}', 'Respaldo SA'))
          .waitFor();
        expect(await scope.getByText(en.restore.scopeAll).count()).toBe(0);
        await scope.getByRole('button', { name: en.restore.dryRun }).click();
        const report = page.getByTestId('step-report');
        await report.locator('tr[data-table="clients"]').waitFor({ timeout: DRY_RUN_MS });
        expect(await report.locator('tr[data-table="clients"]').getByTestId('removed').textContent()).toBe(
          '1',
        );
        await report.getByTestId('policy-dry-run').waitFor();
        await snap(page, 'phone-org-admin-report');
        expect(await report.getByRole('button', { name: en.restore.continue }).isDisabled()).toBe(true);
        for (const element of ['html', 'body'])
          expect(await page.locator(element).evaluate((el) => el.scrollWidth)).toBeLessThanOrEqual(
            phone.width,
          );

        // The history: the dry runs of their organization (the super admin's and their own).
        await page.getByRole('button', { name: common.nav.menu }).click();
        await nav.getByRole('link', { name: en.nav.restores, exact: true }).click();
        await page.getByRole('heading', { name: en.restores.title, level: 2 }).waitFor();
        const dryRuns = page.locator('tr[data-kind="restore"][data-status="succeeded"]');
        await expect.poll(() => dryRuns.count(), POLL).toBe(2);
        await dryRuns
          .first()
          .getByTestId('scope')
          .getByText(`${en.restores.scopeOrganization}: Respaldo SA`)
          .waitFor();
      },
      { viewport: phone },
    );
    // What the screens hide, the API refuses.
    const r = await rig.app.request({ method: 'GET', url: '/api/v1/backup/configs', headers: admin.headers });
    expect(r.statusCode).toBe(403);
  });

  it('settings: a cron that does not parse and an unknown critical table are refused beside their fields; valid ones are saved', {
    timeout: 90_000,
  }, async () => {
    await onPage(
      'settings',
      boss,
      async (page) => {
        await page.goto(`${rig.baseUrl}/backups/settings`);
        const form = page.getByRole('form', { name: en.settings.title });
        const cron = form.getByRole('textbox', { name: `${en.type.differential}: ${en.settings.cron}` });
        await cron.fill('every day at noon');
        // And a critical table that is not backed up.
        const critical = form.locator('.mantine-TagsInput-inputField');
        await critical.fill('no_such_table');
        await critical.press('Enter');
        await form.getByRole('button', { name: 'Save' }).click();
        const field = page.locator('[data-schedule="differential"]');
        await expect
          .poll(async () => (await cron.getAttribute('aria-invalid')) ?? 'false', POLL)
          .toBe('true');
        expect(await field.locator('.mantine-TextInput-error').textContent()).toMatch(/\S/);
        expect(await critical.getAttribute('aria-invalid')).toBe('true');
        await form
          .getByText(/no_such_table/)
          .last()
          .waitFor();
        expect(await page.getByTestId('saved').count()).toBe(0);

        await critical.press('Backspace');
        await cron.fill('15 3 * * *');
        await form.getByRole('switch', { name: `${en.type.differential}: ${en.settings.enabled}` }).check({
          force: true,
        });
        await form.getByRole('combobox', { name: en.settings.orgRestore }).click();
        await page.getByRole('option', { name: en.settings.orgRestorePolicy.enabled, exact: true }).click();
        await form.getByRole('button', { name: 'Save' }).click();
        await page.getByTestId('saved').waitFor();
        await field.getByText(/^Next run: /).waitFor();
      },
      { expectedHttpErrors: [{ status: 400, path: '/api/v1/backup/configs' }] },
    );
    const configs = await api('GET', '/backup/configs', boss);
    expect(configs.schedules.find((s: { type: string }) => s.type === 'differential')).toMatchObject({
      cron: '15 3 * * *',
      enabled: true,
    });
    expect(configs.orgRestore).toBe('enabled');
    await api('PUT', '/backup/configs', boss, {
      schedules: [{ type: 'differential', enabled: false }],
      orgRestore: 'dry_run',
    });
  });

  it('a super admin applies an organization restore: followed to its result, with the safety backup', {
    timeout: BACKUP_MS + 60_000,
  }, async () => {
    await startBackupWorker();
    await onPage('apply-restore', boss, async (page) => {
      await page.goto(`${rig.baseUrl}/backups/runs/${backupId}`);
      await page.getByRole('link', { name: en.detail.restoreFrom }).click();
      await page.getByRole('heading', { name: en.restore.title, level: 2 }).waitFor();
      await page.getByRole('button', { name: en.restore.next }).click();
      const scope = page.getByTestId('step-scope');
      await scope.getByText(en.restore.scopeOrganization, { exact: true }).click();
      await choose(page, en.restore.organization, 'Respaldo SA');
      await scope.getByRole('button', { name: en.restore.dryRun }).click();
      const report = page.getByTestId('step-report');
      await report.locator('tr[data-table="clients"]').waitFor({ timeout: DRY_RUN_MS });
      await report.getByRole('button', { name: en.restore.continue }).click();

      const confirm = page.getByTestId('step-confirm');
      const apply = confirm.getByRole('button', { name: en.restore.apply });
      expect(await apply.isDisabled()).toBe(true);
      await confirm.getByRole('checkbox', { name: en.restore.confirmCheck }).check();
      await apply.click();

      const result = page.getByTestId('step-result');
      await page
        .locator('[data-testid="step-result"][data-status="succeeded"]')
        .waitFor({ timeout: BACKUP_MS });
      await result.getByText(en.restore.succeeded).waitFor();
      const safety = (await result.getByTestId('safety-backup').textContent()) ?? '';
      expect(safety).toMatch(/^[0-9a-f-]{36}$/);
      expect(await result.locator('tr[data-table="clients"]').getByTestId('removed').textContent()).toBe('1');

      // The safety backup is a succeeded full backup started by the restore.
      await result.getByTestId('safety-backup').click();
      await page.locator('[data-testid="backup-run"][data-status="succeeded"]').waitFor();
      await page.getByText(en.trigger.safety, { exact: true }).waitFor();
    });
    const clients = await api('GET', '/clients', admin);
    expect(clients.items.map((c: { name: string }) => c.name)).toEqual(['Cliente antes']);
  });
});
