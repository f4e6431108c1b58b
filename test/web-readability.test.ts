// What the web app says, in English, Spanish and Brazilian Portuguese: a screen reader on the task
// board hears how to move a card and where it goes by the card's title and the column's name
// (dnd-kit's defaults were English and read out ids); every dialog's close button has a name; the
// audit trail names changed fields as the user knows them, with values formatted (not
// `budget_minor: null → 1200000`); the sessions table's columns say what they hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFor } from '../web/src/format/format.ts';
import { en } from '../web/src/i18n/en.ts';
import { es } from '../web/src/i18n/es.ts';
import { ptBR } from '../web/src/i18n/pt-BR.ts';
import { describeChanges, readableKey, type Translate } from '../web/src/pages/audit/changes.ts';
import { apiHelpers } from './support/api-helpers.ts';
import {
  type BrowserRig,
  chromiumAvailable,
  moveWithKeys,
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
type Messages = (typeof CATALOGUES)[keyof typeof CATALOGUES];

let rig: BrowserRig;
let admin: Session;
let projectId: string;

/** A message with its {{placeholders}} filled in, as i18next does. */
function fill(message: string, values: Record<string, string>): string {
  return message.replace(/\{\{(\w+)\}\}/g, (_, k: string) => values[k] ?? '');
}

/**
 * Run in the page: keeps every text of dnd-kit's live region, in order, in `window.announced`. A
 * text replaced before the observer's callback ran is in its record's oldValue.
 */
const WATCH_ANNOUNCEMENTS = `(() => {
  const region = document.querySelector('[id^="DndLiveRegion"]');
  const seen = (window.announced = []);
  const note = (text) => {
    if (text && seen.at(-1) !== text) seen.push(text);
  };
  new MutationObserver((records) => {
    for (const r of records) if (r.type === 'characterData') note(r.oldValue);
    note(region.textContent);
  }).observe(region, { childList: true, characterData: true, characterDataOldValue: true, subtree: true });
})()`;

beforeAll(async () => {
  if (!hasChromium) return;
  rig = await startBrowserRig();
  admin = await signUp(rig.app, { name: 'Ana Souza', orgName: 'Acme Obras' });
  const { api } = apiHelpers(
    () => rig.app,
    () => admin,
  );
  const ok = async (p: ReturnType<typeof api>) => {
    const r = await p;
    if (r.statusCode >= 300) throw new Error(`${r.statusCode} ${r.body}`);
    return r.json() as { id: string };
  };
  const project = await ok(api(admin, 'POST', '/projects', { name: 'Torre Norte' }));
  projectId = project.id;
  // The audit trail gets: a budget set where there was none, and a status change.
  await ok(api(admin, 'PATCH', `/projects/${project.id}`, { budgetMinor: 1_200_000 }));
  await ok(api(admin, 'PATCH', `/projects/${project.id}`, { status: 'active' }));
}, 180_000);

afterAll(async () => {
  await rig?.close();
});

describe.skipIf(!hasChromium)('the board, dialogs, audit trail and sessions in every language', () => {
  for (const lang of LANGUAGES) {
    const m: Messages = CATALOGUES[lang];

    it(`tells a screen reader how a card moves, by title and column, in ${lang}`, {
      timeout: 120_000,
    }, async () => {
      const { context, page, problems } = await openPage(rig, VIEWPORTS[0], { dir: 'web-readability' });
      const title = `Tarea ${lang}`;
      try {
        const { api } = apiHelpers(
          () => rig.app,
          () => admin,
        );
        const task = (await api(admin, 'POST', '/tasks', { projectId, title })).json() as { id: string };
        await context.addInitScript((l) => localStorage.setItem('bul.language', l), lang);
        await signInWithCookie(rig, context, admin.email);
        await page.goto(`${rig.baseUrl}/projects/${projectId}`);
        const card = page.locator('[data-column="pending"]').getByRole('button', { name: title });
        await card.waitFor();

        // The card says what it is and how to move it, in the language.
        expect(await card.getAttribute('aria-roledescription')).toBe(m.board.roleDescription);
        const describedBy = (await card.getAttribute('aria-describedby'))!;
        expect(await page.locator(`[id="${describedBy}"]`).textContent()).toBe(m.board.instructions);

        // What the live region says while the card moves from Pending to Active.
        await page.evaluate(WATCH_ANNOUNCEMENTS);
        await moveWithKeys(page, card, { from: 'pending', key: 'ArrowRight', through: ['active'] });
        await page.locator('[data-column="active"]').getByRole('button', { name: title }).waitFor();

        const names = { card: title, column: m.tasks.status.active };
        const expected = [
          fill(m.board.pickedUp, { card: title, column: m.tasks.status.pending }),
          fill(m.board.over, names),
          fill(m.board.dropped, names),
        ];
        const announced = async () => (await page.evaluate('window.announced')) as string[];
        await expect.poll(async () => (await announced()).at(-1), POLL).toBe(expected[2]);
        const said = await announced();
        // In this order (an "over Pending" may come between the lift and the move).
        expect(said.filter((s) => expected.includes(s))).toEqual(expected);
        for (const s of said) {
          expect(s).not.toContain(task.id);
          expect(s).not.toMatch(/draggable|droppable/i);
        }
      } finally {
        await context.close();
      }
      expect(problems).toEqual([]);
    });

    it(`names the close button of a dialog in ${lang}`, { timeout: 60_000 }, async () => {
      const { context, page, problems } = await openPage(rig, VIEWPORTS[1], { dir: 'web-readability' });
      try {
        await context.addInitScript((l) => localStorage.setItem('bul.language', l), lang);
        await signInWithCookie(rig, context, admin.email);
        await page.goto(`${rig.baseUrl}/clients`);
        await page.getByRole('button', { name: m.clients.new }).click();
        const dialog = page.getByRole('dialog', { name: m.clients.new });
        await dialog.waitFor();
        // Every button in the dialog has a name; the close button's is the language's "Close".
        const unnamed = await dialog
          .getByRole('button')
          .evaluateAll(
            (buttons) =>
              buttons.filter((b) => !(b.getAttribute('aria-label') || b.textContent?.trim())).length,
          );
        expect(unnamed).toBe(0);
        await dialog.getByRole('button', { name: m.common.close, exact: true }).click();
        await dialog.waitFor({ state: 'hidden' });
      } finally {
        await context.close();
      }
      expect(problems).toEqual([]);
    });

    it(`names changed fields and formats their values in the audit trail in ${lang}`, {
      timeout: 60_000,
    }, async () => {
      const { context, page, problems, shot } = await openPage(rig, VIEWPORTS[0], {
        dir: 'web-readability',
      });
      try {
        await context.addInitScript((l) => localStorage.setItem('bul.language', l), lang);
        await signInWithCookie(rig, context, admin.email);
        await page.goto(`${rig.baseUrl}/audit`);
        const results = page.getByTestId('audit-results');
        await results.waitFor();
        const money = new Intl.NumberFormat(lang, { style: 'currency', currency: 'USD' }).format(12_000);
        await expect
          .poll(() => results.locator('[data-field="budget_minor"]').allTextContents(), POLL)
          .toContain(`${m.fields.labels.budget_minor}: — → ${money}`);
        expect(await results.locator('[data-field="status"]').allTextContents()).toContain(
          `${m.fields.labels.status}: ${m.projects.status.planning} → ${m.projects.status.active}`,
        );
        // No stored column name shows in the changes column.
        const changes = (await results.locator('[data-field]').allTextContents()).join('\n');
        expect(changes).not.toMatch(/_minor|_id\b|_date\b/);
        await shot(`${lang}-audit`);
      } finally {
        await context.close();
      }
      expect(problems).toEqual([]);
    });

    it(`heads the sessions table by what its columns hold in ${lang}`, { timeout: 60_000 }, async () => {
      const { context, page, problems } = await openPage(rig, VIEWPORTS[0], { dir: 'web-readability' });
      try {
        await context.addInitScript((l) => localStorage.setItem('bul.language', l), lang);
        await signInWithCookie(rig, context, admin.email);
        await page.goto(`${rig.baseUrl}/settings/security`);
        const table = page.getByTestId('sessions-table');
        await table.getByText(m.sessions.current).waitFor();
        const headers = await table.getByRole('columnheader').allTextContents();
        expect(headers).toEqual([
          m.sessions.kind,
          m.sessions.device,
          m.sessions.started,
          m.sessions.lastSeen,
          m.sessions.expires,
          'IP',
          m.common.actions,
        ]);
        expect(headers).not.toContain(m.common.status);
        // The current browser session: its kind under "Type", the browser it runs in under "Device".
        const current = table.getByRole('row').filter({ hasText: m.sessions.current });
        const cells = await current.getByRole('cell').allTextContents();
        expect(cells[0]).toBe(`${m.sessions.browser}${m.sessions.current}`);
        expect(cells[1]).toMatch(/^Chrome · Linux$/);
      } finally {
        await context.close();
      }
      expect(problems).toEqual([]);
    });
  }
});

describe('audit changes in words', () => {
  // The real catalogues behind a minimal i18next-style lookup (key path, {{values}}, defaultValue).
  const translate =
    (m: Messages): Translate =>
    (key, options) => {
      const found = key.split('.').reduce<unknown>((node, k) => (node as Record<string, unknown>)?.[k], m);
      return typeof found === 'string' ? found : (options?.defaultValue ?? key);
    };

  it('names known fields per language and falls back readably for unknown ones', () => {
    for (const lang of LANGUAGES) {
      const m = CATALOGUES[lang];
      const f = formatFor(lang);
      const lines = describeChanges(
        {
          budget_minor: { before: null, after: 1_200_000 },
          due_date: { before: '2026-03-01', after: '2026-04-15' },
          require_mfa: { before: false, after: true },
          owner_id: { before: null, after: 'u-1' },
          stage: { before: 'lead', after: 'won' },
          unit_price_minor: { before: 100, after: 250 },
          shippingAddress: { before: 'A', after: 'B' },
        },
        {
          resourceType: 'deal',
          t: translate(m),
          f,
          currency: 'EUR',
          memberName: (id) => (id === 'u-1' ? 'Ana Souza' : undefined),
        },
      );
      const byField = Object.fromEntries(lines.map((l) => [l.field, l]));
      expect(byField.budget_minor).toEqual({
        field: 'budget_minor',
        label: m.fields.labels.budget_minor,
        before: '—',
        after: f.money(1_200_000, 'EUR'),
      });
      expect(byField.due_date!.after).toBe(f.day('2026-04-15'));
      expect(byField.require_mfa!.after).toBe(m.fields.yes);
      expect(byField.owner_id!.after).toBe('Ana Souza');
      expect(byField.stage!.after).toBe(m.business.deals.stages.won);
      expect(byField.unit_price_minor!.label).toBe('Unit price');
      expect(byField.unit_price_minor!.after).toBe(f.money(250, 'EUR'));
      expect(byField.shippingAddress!.label).toBe('Shipping address');
    }
    expect(readableKey('estimate_minutes')).toBe('Estimate minutes');
  });
});
