// Every page of the web app, reached through the navigation as an org admin with data in every
// area, renders in English, Spanish and Brazilian Portuguese: with its heading, without a console
// error, and without a message key showing where a translation should be. Also at phone width.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../web/src/i18n/en.ts';
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
let rig: BrowserRig;
let admin: Session;
/** A super admin: the pages of the platform (the backups' health and settings). */
let boss: Session;

/** Every message key of the English catalogue, e.g. `projects.status.on_hold`. */
function messageKeys(tree: object, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) =>
    typeof v === 'string' ? [`${prefix}${k}`] : messageKeys(v as object, `${prefix}${k}.`),
  );
}
const KEYS = messageKeys(en).filter((k) => k.includes('.'));

beforeAll(async () => {
  if (!hasChromium) return;
  rig = await startBrowserRig();
  admin = await signUp(rig.app, { name: 'Lucía Pérez', orgName: 'Obras del Sur' });
  const { api } = apiHelpers(
    () => rig.app,
    () => admin,
  );
  // Something in every area, so pages show rows, charts and numbers rather than empty states.
  const ok = async (p: Promise<{ statusCode: number; body: string; json: () => { id: string } }>) => {
    const r = await p;
    if (r.statusCode >= 300) throw new Error(`${r.statusCode} ${r.body}`);
    return r.json();
  };
  const today = new Date().toISOString().slice(0, 10);
  const client = await ok(api(admin, 'POST', '/clients', { name: 'Cliente Uno', status: 'active' }));
  const project = await ok(
    api(admin, 'POST', '/projects', { name: 'Proyecto Uno', clientId: client.id, budgetMinor: 500000 }),
  );
  await ok(
    api(admin, 'POST', '/tasks', { projectId: project.id, title: 'Tarea uno', dueDate: '2020-01-01' }),
  );
  await ok(
    api(admin, 'POST', '/contracts', {
      clientId: client.id,
      name: 'Soporte',
      amountMinor: 120000,
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
      amountMinor: 90000,
    }),
  );
  await ok(api(admin, 'POST', `/invoices/${invoice.id}/payments`, { paidOn: today, amountMinor: 40000 }));
  await ok(api(admin, 'POST', '/deals', { title: 'Ampliación', clientId: client.id, amountMinor: 300000 }));
  await ok(api(admin, 'POST', '/feedback', { clientId: client.id, score: 4 }));
  boss = await signUp(rig.app, { name: 'Sam Super', orgName: 'Plataforma' });
  await rig.app.owner('UPDATE users SET is_super_admin = true WHERE id = $1', [boss.userId]);
}, 180_000);

afterAll(async () => {
  await rig?.close();
});

const LANGUAGES = ['en', 'es', 'pt-BR'] as const;

/**
 * Walks the pages the navigation links to (those `only` keeps) as `who`, in `lang` at `vp`: each
 * shows its heading, no message key, and no console error.
 */
async function walkPages(
  who: Session,
  lang: (typeof LANGUAGES)[number],
  vp: (typeof VIEWPORTS)[number],
  only: (href: string) => boolean = () => true,
) {
  const { context, page, problems, shot } = await openPage(rig, vp, {
    dir: 'web-pages',
    expectedHttpErrors: [],
  });
  let pages: string[] = [];
  try {
    await context.addInitScript((l) => localStorage.setItem('bul.language', l), lang);
    await signInWithCookie(rig, context, who.email);
    await page.goto(`${rig.baseUrl}/`);
    await page.locator('main h2').first().waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe(lang);

    const nav = page.getByRole('navigation');
    // On a phone the navigation slides in from the burger, and closes again on navigating.
    const showNav = async () => {
      if (vp.phone) await page.getByRole('button', { name: en.nav.menu }).click();
    };
    const hrefs = await nav
      .getByRole('link')
      .evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
    pages = hrefs.filter((h) => h.startsWith('/') && !h.startsWith('/docs')).filter(only);

    // The home page's heading is on show first: a walk that does not start there waits for the
    // first page's own heading rather than taking the home page's for it.
    let previous = pages[0] === '/' ? '' : ((await page.locator('main h2').first().textContent()) ?? '');
    for (const href of pages) {
      await showNav();
      await nav.locator(`a[href="${href}"]`).click();
      await page.waitForURL((u) => u.pathname === href);
      // Pages load on demand: wait for this page's heading, not the previous one's.
      const heading = page.locator('main h2').first();
      await expect.poll(async () => (await heading.textContent()) ?? previous, POLL).not.toBe(previous);
      previous = (await heading.textContent()) ?? '';
      await page.waitForLoadState('networkidle');
      const text = (await page.locator('main').textContent()) ?? '';
      const leaked = KEYS.filter((k) => text.includes(k));
      expect(leaked, `${href} shows message keys`).toEqual([]);
      await shot(`${lang}${href.replace(/\//g, '-')}`);
    }
  } catch (err) {
    await shot('failure').catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
  expect(problems).toEqual([]);
  return pages;
}

describe.skipIf(!hasChromium)('every page in every language', () => {
  const runs = [
    ...LANGUAGES.map((lang) => ({ lang, vp: VIEWPORTS[0] })),
    { lang: 'en' as const, vp: VIEWPORTS[1] },
  ];
  for (const { lang, vp } of runs) {
    it(`renders every page in ${lang} at ${vp.name} width`, { timeout: 240_000 }, async () => {
      const pages = await walkPages(admin, lang, vp);
      expect(pages.length).toBeGreaterThanOrEqual(6);
    });
  }
  // The pages only super admins reach (an org admin's navigation does not link them).
  for (const { lang, vp } of runs) {
    it(`renders the super admin's backups pages in ${lang} at ${vp.name} width`, {
      timeout: 120_000,
    }, async () => {
      const pages = await walkPages(boss, lang, vp, (href) => href.startsWith('/backups'));
      expect(pages).toEqual([
        '/backups',
        '/backups/runs',
        '/backups/restore',
        '/backups/restores',
        '/backups/settings',
      ]);
    });
  }
});
