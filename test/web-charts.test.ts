// The charts of the dashboard, the executive dashboard and a project, in English, Spanish and
// Brazilian Portuguese, at desktop and phone widths: dates on the axes are whole ("7 de nov.", not
// "7 de nov. de"), money labels fit inside the chart, week labels follow the language ("S38"), the
// projects-by-status ring has a legend and its counts, and a chart with nothing to draw says so
// instead of showing a bare grid. Screenshots go to test-results/web-charts/.
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../web/src/i18n/en.ts';
import { es } from '../web/src/i18n/es.ts';
import { ptBR } from '../web/src/i18n/pt-BR.ts';
import { apiHelpers } from './support/api-helpers.ts';
import {
  type BrowserRig,
  chromiumAvailable,
  openPage,
  POLL,
  signInWithCookie,
  startBrowserRig,
  VIEWPORTS,
} from './support/browser.ts';
import { type Session, signUp } from './support/test-app.ts';

const hasChromium = chromiumAvailable();
const CATALOGUES = { en, es, 'pt-BR': ptBR } as const;
const LANGUAGES = ['en', 'es', 'pt-BR'] as const;

let rig: BrowserRig;
let admin: Session;
let empty: Session;
let projectId: string;
let bareProjectId: string;

beforeAll(async () => {
  if (!hasChromium) return;
  rig = await startBrowserRig();
  admin = await signUp(rig.app, { name: 'Lucía Pérez', orgName: 'Obras del Sur' });
  empty = await signUp(rig.app, { name: 'Nuno Vaz', orgName: 'Sem Dados' });
  const { api } = apiHelpers(
    () => rig.app,
    () => admin,
  );
  const ok = async (p: ReturnType<typeof api>) => {
    const r = await p;
    if (r.statusCode >= 300) throw new Error(`${r.statusCode} ${r.body}`);
    return r.json() as { id: string };
  };
  const today = new Date().toISOString().slice(0, 10);
  const client = await ok(api(admin, 'POST', '/clients', { name: 'Cliente Uno', status: 'active' }));
  // Amounts in the thousands, whose full formatting ("US$ 12.000,00") is wider than recharts' axis.
  const project = await ok(
    api(admin, 'POST', '/projects', { name: 'Torre Norte', clientId: client.id, budgetMinor: 1_200_000 }),
  );
  projectId = project.id;
  await ok(
    api(admin, 'POST', `/projects/${project.id}/expenses`, {
      spentOn: today,
      category: 'Acero',
      amountMinor: 350_000,
    }),
  );
  bareProjectId = (await ok(api(admin, 'POST', '/projects', { name: 'Sin cifras' }))).id;
  for (const title of ['Una', 'Dos']) {
    const task = await ok(api(admin, 'POST', '/tasks', { projectId: project.id, title }));
    await ok(api(admin, 'PATCH', `/tasks/${task.id}`, { status: 'completed' }));
  }
  await ok(
    api(admin, 'POST', '/contracts', {
      clientId: client.id,
      name: 'Soporte',
      amountMinor: 1_200_000,
      billingInterval: 'month',
      startDate: '2025-01-01',
    }),
  );
  const invoice = await ok(
    api(admin, 'POST', '/invoices', {
      clientId: client.id,
      number: 'F-1',
      issuedOn: today,
      dueOn: today,
      amountMinor: 900_000,
    }),
  );
  await ok(api(admin, 'POST', `/invoices/${invoice.id}/payments`, { paidOn: today, amountMinor: 400_000 }));
}, 180_000);

afterAll(async () => {
  await rig?.close();
});

/** The card (Mantine Card) whose heading is `title`. */
function card(page: Page, title: string): Locator {
  return page.locator('.mantine-Card-root', {
    has: page.getByRole('heading', { name: title, exact: true }),
  });
}

/** The texts of an axis's tick labels ('x' or 'y') in a chart. */
async function ticks(chart: Locator, axis: 'x' | 'y'): Promise<string[]> {
  return chart
    .locator(`.recharts-${axis}Axis-tick-labels .recharts-cartesian-axis-tick-value`)
    .evaluateAll((els) => els.map((e) => e.textContent ?? ''));
}

/** Tick labels of an axis that stick out of the chart's drawing (cut off at its edge). */
async function clippedTicks(chart: Locator, axis: 'x' | 'y'): Promise<string[]> {
  return chart.locator('svg.recharts-surface').evaluate((svg, a) => {
    const box = svg.getBoundingClientRect();
    return [...svg.querySelectorAll(`.recharts-${a}Axis-tick-labels .recharts-cartesian-axis-tick-value`)]
      .filter((t) => {
        const r = t.getBoundingClientRect();
        return r.left < box.left - 0.5 || r.right > box.right + 0.5;
      })
      .map((t) => t.textContent ?? '');
  }, axis);
}

/** The last `n` calendar days up to today (UTC), as the axis shows them in `lang`. */
function shortDays(lang: string, n: number): Set<string> {
  const fmt = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short', timeZone: 'UTC' });
  const days = new Set<string>();
  for (let i = -2; i <= n; i++) days.add(fmt.format(new Date(Date.now() - i * 86_400_000)));
  return days;
}

describe.skipIf(!hasChromium)('charts in every language', () => {
  for (const vp of VIEWPORTS) {
    for (const lang of LANGUAGES) {
      const m = CATALOGUES[lang];
      it(`draws whole dates, fitting money, local weeks and a legend in ${lang} at ${vp.name} width`, {
        timeout: 120_000,
      }, async () => {
        const { context, page, problems, shot } = await openPage(rig, vp, { dir: 'web-charts' });
        try {
          await context.addInitScript((l) => localStorage.setItem('bul.language', l), lang);
          await signInWithCookie(rig, context, admin.email);

          // Dashboard: weeks in the language's abbreviation, a ring with a legend and its counts.
          await page.goto(`${rig.baseUrl}/`);
          const weekly = card(page, m.dashboard.tasksPerWeek);
          await weekly.locator('.recharts-xAxis-tick-labels text').first().waitFor();
          const weeks = await ticks(weekly, 'x');
          expect(weeks.length).toBeGreaterThan(0);
          const weekPattern = new RegExp(`^${m.dashboard.week.replace('{{week}}', '\\d{1,2}')}$`);
          for (const w of weeks) expect(w).toMatch(weekPattern);
          expect(weeks.join(' ')).toMatch(lang === 'en' ? /W\d/ : /S\d/);

          const byStatus = card(page, m.dashboard.projectsByStatus);
          const legend = byStatus.getByRole('listitem');
          await expect.poll(() => legend.count(), POLL).toBe(5);
          await expect(legend.filter({ hasText: m.projects.status.planning }).textContent()).resolves.toBe(
            `${m.projects.status.planning}: 2`,
          );
          await expect(legend.filter({ hasText: m.projects.status.active }).textContent()).resolves.toBe(
            `${m.projects.status.active}: 0`,
          );
          // The ring carries the count on its segment and the total in its middle.
          const ringTexts = await byStatus.locator('svg text').allTextContents();
          expect(ringTexts).toContain('2');
          await shot(`${lang}-dashboard`);

          // Executive dashboard: day labels are whole dates; money labels fit in the chart.
          await page.goto(`${rig.baseUrl}/executive`);
          const revenue = card(page, `${m.executive.revenueAndMrr} (USD)`);
          await revenue.locator('.recharts-yAxis-tick-labels text').first().waitFor();
          const days = await ticks(revenue, 'x');
          expect(days.length).toBeGreaterThan(0);
          const known = shortDays(lang, 40);
          for (const d of days) expect(known, `day label "${d}"`).toContain(d);
          const money = await ticks(revenue, 'y');
          expect(money.length).toBeGreaterThan(1);
          expect(await clippedTicks(revenue, 'y')).toEqual([]);
          expect(await clippedTicks(revenue, 'x')).toEqual([]);
          // The figures above the charts fit their cards (two to a row on a phone).
          const overflowing = await page
            .locator('[data-testid^="kpi-"]')
            .evaluateAll((els) =>
              els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent ?? ''),
            );
          expect(overflowing).toEqual([]);
          await shot(`${lang}-executive`);

          // A project's budget against spent: the money axis fits too.
          await page.goto(`${rig.baseUrl}/projects/${projectId}`);
          const budget = card(page, m.projects.budgetChart);
          await budget.locator('.recharts-yAxis-tick-labels text').first().waitFor();
          expect((await ticks(budget, 'y')).length).toBeGreaterThan(1);
          expect(await clippedTicks(budget, 'y')).toEqual([]);
          await shot(`${lang}-project`);
        } catch (err) {
          await shot(`${lang}-failure`).catch(() => {});
          throw err;
        } finally {
          await context.close();
        }
        expect(problems).toEqual([]);
      });
    }
  }

  for (const lang of LANGUAGES) {
    const m = CATALOGUES[lang];
    it(`shows an empty state, not a bare grid, for charts with nothing to draw in ${lang}`, {
      timeout: 120_000,
    }, async () => {
      const { context, page, problems, shot } = await openPage(rig, VIEWPORTS[0], { dir: 'web-charts' });
      try {
        await context.addInitScript((l) => localStorage.setItem('bul.language', l), lang);
        await signInWithCookie(rig, context, empty.email);

        await page.goto(`${rig.baseUrl}/`);
        for (const title of [m.dashboard.projectsByStatus, m.dashboard.tasksPerWeek]) {
          const c = card(page, title);
          await c.getByText(m.common.chartEmpty, { exact: true }).waitFor();
          expect(await c.locator('svg.recharts-surface').count()).toBe(0);
        }
        await shot(`${lang}-empty-dashboard`);

        await page.goto(`${rig.baseUrl}/executive`);
        for (const title of [
          `${m.executive.revenueAndMrr} (USD)`,
          m.executive.throughput,
          m.executive.projectsByStatus,
          m.executive.churnTrend,
        ]) {
          const c = card(page, title);
          await c.getByText(m.common.chartEmptyPeriod, { exact: true }).waitFor();
          expect(await c.locator('svg.recharts-surface').count()).toBe(0);
        }
        await shot(`${lang}-empty-executive`);

        // A project without budget or expenses (in the other organization).
        await signInWithCookie(rig, context, admin.email);
        await page.goto(`${rig.baseUrl}/projects/${bareProjectId}`);
        const budget = card(page, m.projects.budgetChart);
        await budget.getByText(m.common.chartEmpty, { exact: true }).waitFor();
        expect(await budget.locator('svg.recharts-surface').count()).toBe(0);
      } catch (err) {
        await shot(`${lang}-empty-failure`).catch(() => {});
        throw err;
      } finally {
        await context.close();
      }
      expect(problems).toEqual([]);
    });
  }
});
