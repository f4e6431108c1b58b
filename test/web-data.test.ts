// The web app's lists and pickers past one page of the API, in Chromium: an organization with
// 5,000 members (inserted through the owner connection) finds member #4,321 in a task's assignee
// picker by typing (a server-side search), and scrolling the picker loads further pages; a project
// with 250 tasks shows all of them (200, then "load more"), naming the assignee by id; 230 clients
// are all reachable on the clients page; 230 deals (list and board) and 230 API keys are all
// reachable on their pages, a key on the second page can be revoked, and the keys' download holds
// all 230. Before the query cache every one of these lists stopped at the first 200 rows (the API
// keys page, and its download, until it moved onto the shared list block).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
const MEMBERS = 5000;
const TASKS = 250;
const CLIENTS = 230;
/** Past the 200 rows the deals and API keys pages ask for at a time. */
const DEALS = 230;
const KEYS = 230;

let rig: BrowserRig;
let admin: Session;
let projectId: string;
let wanted: { userId: string; name: string };

beforeAll(async () => {
  if (!hasChromium) return;
  rig = await startBrowserRig();
  const t = rig.app;
  admin = await signUp(t, { name: 'Alba Admin' });
  // 5,000 members in one statement: users, then their memberships with the built-in "user" role.
  await t.owner(
    `WITH role AS (SELECT id FROM roles WHERE org_id = $1 AND key = 'user'),
          made AS (
            INSERT INTO users (id, email, name)
            SELECT gen_random_uuid(), 'bulk' || n || '.' || $2 || '@example.com', 'Member ' || n
            FROM generate_series(1, $3::int) AS n
            RETURNING id)
     INSERT INTO memberships (org_id, id, user_id, role_id)
     SELECT $1, gen_random_uuid(), made.id, role.id FROM made, role`,
    [admin.orgId, `${process.pid}-${Date.now()}`, MEMBERS],
  );
  const found = await t.owner<{ id: string }>(
    `SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id AND m.org_id = $1 WHERE u.name = 'Member 4321'`,
    [admin.orgId],
  );
  wanted = { userId: found.rows[0]!.id, name: 'Member 4321' };

  const post = async (url: string, payload: object) => {
    const res = await t.request({ method: 'POST', url, headers: admin.headers, payload });
    if (res.statusCode !== 201) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return res.json() as { id: string };
  };
  projectId = (await post('/api/v1/projects', { name: 'Big project' })).id;
  for (let i = 1; i <= TASKS; i++) {
    await post('/api/v1/tasks', { projectId, title: `Job ${String(i).padStart(3, '0')}` });
  }
  for (let i = 1; i <= CLIENTS; i++) {
    await post('/api/v1/clients', { name: `Customer ${String(i).padStart(3, '0')}`, status: 'lead' });
  }
}, 300_000);

afterAll(async () => {
  await rig?.close();
});

describe.skipIf(!hasChromium)('lists and pickers beyond one page', () => {
  const vp = VIEWPORTS[0];

  it(`a project's ${TASKS} tasks all show; member #4,321 of ${MEMBERS} is found in the assignee picker by typing`, {
    timeout: 180_000,
  }, async () => {
    const { context, page, problems, shot } = await openPage(rig, vp, { dir: 'web-data' });
    try {
      await signInWithCookie(rig, context, admin.email);
      await page.goto(`${rig.baseUrl}/projects/${projectId}`);
      await page.getByRole('heading', { name: 'Big project' }).waitFor();
      const cards = page.locator('[data-card]');
      await expect.poll(() => cards.count(), POLL).toBe(200);
      await page.getByRole('button', { name: 'Load more' }).click();
      await expect.poll(() => cards.count(), POLL).toBe(TASKS);
      await expect.poll(() => page.getByRole('button', { name: 'Load more' }).count(), POLL).toBe(0);
      for (const title of ['Job 001', 'Job 200', 'Job 201', `Job ${TASKS}`]) {
        await page.getByText(title, { exact: true }).waitFor();
      }

      // The picker loads a page when it opens, and the next one when scrolled to its end.
      const form = page.getByRole('form', { name: 'New task' });
      await form.getByLabel('Assignee').click();
      const options = page.getByRole('option');
      await expect.poll(() => options.count(), POLL).toBe(50);
      await page.getByRole('listbox').evaluate((list) => {
        // The options scroll inside the listbox (Mantine's ScrollArea viewport).
        const scroller = list.querySelector('.mantine-ScrollArea-viewport')!;
        scroller.scrollTop = scroller.scrollHeight;
      });
      await expect.poll(() => options.count(), POLL).toBe(100);

      // Typing searches the server: member #4,321 is one option away.
      await form.getByLabel('Assignee').fill('Member 4321');
      await expect.poll(() => options.allTextContents(), POLL).toEqual(['Member 4321']);
      await shot('assignee-search');
      await options.first().click();
      await form.getByLabel('Title').fill('Call the customer');
      await form.getByRole('button', { name: 'New task' }).click();

      // Stored with her user id, and shown on the board by her name (looked up by id).
      const card = page.locator('[data-card]', { hasText: 'Call the customer' });
      await card.getByText(wanted.name).waitFor();
      const stored = await rig.app.request({
        method: 'GET',
        url: `/api/v1/tasks?projectId=${projectId}&q=customer`,
        headers: admin.headers,
      });
      expect(stored.json().items.map((x: { assigneeId: string }) => x.assigneeId)).toEqual([wanted.userId]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it(`the clients page reaches all ${CLIENTS} clients, a page at a time, and searches on the server`, {
    timeout: 120_000,
  }, async () => {
    const { context, page, problems } = await openPage(rig, vp, { dir: 'web-data' });
    try {
      await signInWithCookie(rig, context, admin.email);
      await page.goto(`${rig.baseUrl}/clients`);
      const rows = page.getByRole('button', { name: /^Customer \d{3}$/ });
      await expect.poll(() => rows.count(), POLL).toBe(100);
      await page.getByRole('button', { name: 'Load more' }).click();
      await expect.poll(() => rows.count(), POLL).toBe(200);
      await page.getByRole('button', { name: 'Load more' }).click();
      await expect.poll(() => rows.count(), POLL).toBe(CLIENTS);
      await expect.poll(() => page.getByRole('button', { name: 'Load more' }).count(), POLL).toBe(0);
      await page.getByRole('textbox', { name: 'Search' }).fill('Customer 217');
      await expect.poll(() => rows.allTextContents(), POLL).toEqual(['Customer 217']);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it(`the deals page (list and board) reaches all ${DEALS} deals and the API keys page all ${KEYS} keys`, {
    timeout: 240_000,
  }, async () => {
    const post = async (url: string, payload: object) => {
      const res = await rig.app.request({ method: 'POST', url, headers: admin.headers, payload });
      if (res.statusCode !== 201) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    };
    const n = (i: number) => String(i).padStart(3, '0');
    for (let i = 1; i <= DEALS; i++) await post('/api/v1/deals', { title: `Deal ${n(i)}`, amountMinor: 100 });
    for (let i = 1; i <= KEYS; i++)
      await post('/api/v1/api-keys', { name: `Key ${n(i)}`, scopes: ['projects:read'] });

    const { context, page, problems } = await openPage(rig, vp, { dir: 'web-data' });
    const loadMore = page.getByRole('button', { name: 'Load more' });
    try {
      await signInWithCookie(rig, context, admin.email);

      // Deals, newest first: "Deal 001" is on the second page.
      await page.goto(`${rig.baseUrl}/business/deals?view=list`);
      const deals = page.locator('tr[data-deal]');
      await expect.poll(() => deals.count(), POLL).toBe(200);
      expect(await page.locator('[data-deal="Deal 001"]').count()).toBe(0);
      await loadMore.click();
      await expect.poll(() => deals.count(), POLL).toBe(DEALS);
      await expect.poll(() => loadMore.count(), POLL).toBe(0);
      for (const title of [`Deal ${n(DEALS)}`, 'Deal 031', 'Deal 030', 'Deal 001'])
        await page.locator(`[data-deal="${title}"]`).waitFor();

      // The board: the same listing, a page at a time, under its columns.
      await page.goto(`${rig.baseUrl}/business/deals`);
      const cards = page.locator('[data-card]');
      await expect.poll(() => cards.count(), POLL).toBe(200);
      await loadMore.click();
      await expect.poll(() => cards.count(), POLL).toBe(DEALS);
      await expect.poll(() => loadMore.count(), POLL).toBe(0);

      // API keys, newest first: "Key 001" is on the second page.
      await page.goto(`${rig.baseUrl}/admin/api-keys`);
      const keyRows = page.getByTestId('api-keys-table').locator('tbody tr');
      await expect.poll(() => keyRows.count(), POLL).toBe(200);
      expect(await keyRows.filter({ hasText: 'Key 001' }).count()).toBe(0);
      await loadMore.click();
      await expect.poll(() => keyRows.count(), POLL).toBe(KEYS);
      await expect.poll(() => loadMore.count(), POLL).toBe(0);

      // A key of the second page is revoked; the reloaded listing still holds both pages.
      await page.getByRole('button', { name: 'Revoke the key Key 001' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
      const first = keyRows.filter({ hasText: 'Key 001' });
      await expect.poll(() => first.textContent(), POLL).toContain('Revoked');
      expect(await first.getByRole('button', { name: 'Revoke the key Key 001' }).count()).toBe(0);
      expect(await keyRows.count()).toBe(KEYS);

      // The download holds every key, not the first page.
      await page.getByRole('button', { name: 'Export' }).click();
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('menuitem', { name: 'Export as CSV' }).click(),
      ]);
      const lines = readFileSync((await file.path())!, 'utf8')
        .split('\r\n')
        .filter(Boolean);
      expect(lines.length).toBe(1 + KEYS);
      expect(lines.filter((l) => l.startsWith('Key 001,'))).toHaveLength(1);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
