// The frame of the web app, in English, Spanish and Brazilian Portuguese: signing in from a deep
// link lands on that link (not on the dashboard); on a desktop the navigation's scrollbar shows
// only while in use and never covers the selected item; on a phone, tables wider than the screen
// scroll sideways inside their card with a visible sign that they do. Screenshots go to
// test-results/web-layout/.
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
import { STRONG_PASSWORD } from './support/constants.ts';
import { type Session, signUp } from './support/test-app.ts';

const hasChromium = chromiumAvailable();
const CATALOGUES = { en, es, 'pt-BR': ptBR } as const;
const LANGUAGES = ['en', 'es', 'pt-BR'] as const;
const [DESKTOP, PHONE] = VIEWPORTS;

let rig: BrowserRig;
let admin: Session;
let projectId: string;

beforeAll(async () => {
  if (!hasChromium) return;
  rig = await startBrowserRig();
  admin = await signUp(rig.app, { name: 'Lucía Pérez', orgName: 'Obras del Sur' });
  const { api } = apiHelpers(
    () => rig.app,
    () => admin,
  );
  const r = await api(admin, 'POST', '/projects', { name: 'Torre Norte' });
  if (r.statusCode !== 201) throw new Error(`${r.statusCode} ${r.body}`);
  projectId = (r.json() as { id: string }).id;
}, 180_000);

afterAll(async () => {
  await rig?.close();
});

describe.skipIf(!hasChromium)('the frame of the app in every language', () => {
  for (const lang of LANGUAGES) {
    const m = CATALOGUES[lang];

    it(`signs in from a deep link and lands on it in ${lang}`, { timeout: 60_000 }, async () => {
      const { context, page, problems, shot } = await openPage(rig, DESKTOP, { dir: 'web-layout' });
      try {
        await context.addInitScript((l) => localStorage.setItem('bul.language', l), lang);
        await page.goto(`${rig.baseUrl}/projects/${projectId}?view=board`);
        await page.waitForURL((u) => u.pathname === '/login');
        await page.getByLabel(m.auth.email).fill(admin.email);
        await page.getByRole('textbox', { name: m.auth.password }).fill(STRONG_PASSWORD);
        await page.getByRole('button', { name: m.auth.signIn }).click();
        await page.getByRole('heading', { name: 'Torre Norte' }).waitFor();
        const url = new URL(page.url());
        expect(url.pathname + url.search).toBe(`/projects/${projectId}?view=board`);
        // And it stays there (no later redirect to the dashboard).
        await page.waitForLoadState('networkidle');
        expect(new URL(page.url()).pathname).toBe(`/projects/${projectId}`);
        await shot(`${lang}-deep-link`);
      } finally {
        await context.close();
      }
      expect(problems).toEqual([]);
    });

    it(`scrolls wide tables sideways on a phone, with a sign, in ${lang}`, { timeout: 60_000 }, async () => {
      const { context, page, problems, shot } = await openPage(rig, PHONE, { dir: 'web-layout' });
      try {
        await context.addInitScript((l) => localStorage.setItem('bul.language', l), lang);
        await signInWithCookie(rig, context, admin.email);
        for (const { path, testId } of [
          { path: '/admin/roles', testId: 'permission-matrix' },
          { path: '/admin/members', testId: 'members-table' },
        ]) {
          await page.goto(`${rig.baseUrl}${path}`);
          const wide = page.locator('[data-wide-table]', { has: page.getByTestId(testId) });
          await wide.waitFor();
          const scroller = wide.getByRole('region', { name: m.common.scrollHint });
          // The table is wider than the screen and its container scrolls, not the page.
          const sizes = await scroller.evaluate((el) => ({ client: el.clientWidth, scroll: el.scrollWidth }));
          expect(sizes.scroll).toBeGreaterThan(sizes.client);
          expect(await page.locator('html').evaluate((el) => el.scrollWidth)).toBeLessThanOrEqual(
            PHONE.width,
          );
          // A shadow at the right edge and a line saying so; none at the left yet.
          const end = wide.locator('[data-scroll-shadow="end"]');
          await end.waitFor();
          const box = (await end.boundingBox())!;
          expect(box.width).toBeGreaterThan(0);
          expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
          expect(await wide.locator('[data-scroll-shadow="start"]').count()).toBe(0);
          expect(await wide.locator('[data-scroll-hint]').textContent()).toBe(`${m.common.scrollHint} →`);
          await shot(`${lang}${path.replace(/\//g, '-')}`);

          // Scrolled to the end: the shadow moves to the left edge.
          await scroller.evaluate((el) => el.scrollTo({ left: el.scrollWidth, behavior: 'instant' }));
          await wide.locator('[data-scroll-shadow="start"]').waitFor();
          await expect.poll(() => wide.locator('[data-scroll-shadow="end"]').count(), POLL).toBe(0);
        }
      } finally {
        await context.close();
      }
      expect(problems).toEqual([]);
    });
  }

  it('keeps the navigation scrollbar out of the way on a desktop', { timeout: 60_000 }, async () => {
    const { context, page, problems, shot } = await openPage(rig, DESKTOP, { dir: 'web-layout' });
    try {
      // Short enough that the navigation scrolls.
      await page.setViewportSize({ width: DESKTOP.width, height: 600 });
      await signInWithCookie(rig, context, admin.email);
      await page.goto(`${rig.baseUrl}/`);
      const nav = page.getByRole('navigation');
      const active = nav.locator('a[data-active]').first();
      await active.waitFor();
      const list = nav.locator('.mantine-ScrollArea-root');
      const viewport = list.locator('.mantine-ScrollArea-viewport');
      const sizes = await viewport.evaluate((el) => ({ client: el.clientHeight, scroll: el.scrollHeight }));
      expect(sizes.scroll).toBeGreaterThan(sizes.client);
      const scrollbar = list.locator('.mantine-ScrollArea-scrollbar[data-orientation="vertical"]');
      // Away from the list, no scrollbar shows.
      await page.mouse.move(900, 400);
      await expect.poll(() => scrollbar.isVisible(), POLL).toBe(false);
      await shot('nav-at-rest');
      // Over the list it shows, beside the items rather than over them.
      await active.hover();
      await scrollbar.waitFor();
      const bar = (await scrollbar.boundingBox())!;
      const item = (await active.boundingBox())!;
      expect(item.x + item.width).toBeLessThanOrEqual(bar.x + 0.5);
      await shot('nav-hovered');
    } finally {
      await context.close();
    }
    expect(problems).toEqual([]);
  });
});
