// The business area of the web app in a real Chromium against a real BUL and database: sign up
// and create a client through the API, sign in through the UI, then record a contract (its MRR
// contribution and MRR today), an invoice with a payment (a payment above the balance refused
// beside its field), a deal moved across the pipeline (by mouse, by the list's Won button, and a
// refused move by keyboard explained with the allowed moves), and feedback; every list offers its
// export. At desktop and phone widths; any console error fails, except the browser's notice for
// the HTTP errors provoked on purpose (listed below). Screenshots go to test-results/web-business.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserRig,
  centre,
  chromiumAvailable,
  dragWithMouse,
  holdRequests,
  moveWithKeys,
  openPage,
  POLL,
  signInWithCookie,
  startBrowserRig,
  VIEWPORTS,
} from './support/browser.ts';
import { STRONG_PASSWORD } from './support/constants.ts';
import { signUp, uniqueEmail, uniqueSubdomain } from './support/test-app.ts';

const hasChromium = chromiumAvailable();

/**
 * HTTP errors the journey causes on purpose: a contract ending before it starts, a payment above
 * the invoice's balance, a forbidden deal move, a move of a deal changed meanwhile.
 */
const EXPECTED_HTTP_ERRORS = [
  { status: 400, path: '/api/v1/contracts' },
  { status: 409, path: '/api/v1/invoices/' },
  { status: 409, path: '/api/v1/deals/' },
  { status: 412, path: '/api/v1/deals/' },
];

let rig: BrowserRig;

beforeAll(async () => {
  if (hasChromium) rig = await startBrowserRig();
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

/** Picks an option of the Mantine select labelled `label` inside `scope`. */
async function pick(page: Page, scope: ReturnType<Page['getByRole']>, label: string, option: string) {
  await scope.getByLabel(label).first().click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

describe.skipIf(!hasChromium)('the business area in Chromium', () => {
  for (const vp of VIEWPORTS) {
    it(`records contracts, invoices, deals and feedback at ${vp.name} width (${vp.width}px)`, {
      timeout: 180_000,
    }, async () => {
      const { context, page, problems, shot } = await openPage(rig, vp, {
        dir: 'web-business',
        expectedHttpErrors: EXPECTED_HTTP_ERRORS,
      });
      const nav = async (label: string) => {
        if (vp.phone) await page.getByRole('button', { name: 'Menu' }).click();
        await page.getByRole('navigation').getByRole('link', { name: label, exact: true }).click();
        await page.getByRole('heading', { name: label, level: 2 }).waitFor();
      };
      /** The export menu's CSV link answers 200 with the list's CSV (the session cookie suffices). */
      const exportWorks = async (path: string) => {
        await page.getByRole('button', { name: 'Export' }).click();
        const href = await page.getByRole('menuitem', { name: 'Export as CSV' }).getAttribute('href');
        expect(href).toContain(`${path}?`);
        expect(href).toContain('format=csv');
        const res = await page.request.get(`${rig.baseUrl}${href}`);
        expect(res.status()).toBe(200);
        expect(res.headers()['content-type']).toContain('text/csv');
        await page.keyboard.press('Escape');
        await page.getByRole('menu').waitFor({ state: 'hidden' });
        return (await res.text()).replace(/^\ufeff/, '');
      };

      // An organization and a client, through the API.
      const email = uniqueEmail(`biz-${vp.name}`);
      const owner = await signUp(rig.app, { email, name: 'Bea Lima', orgName: 'Lima Consultoria' });
      const client = await rig.app.request({
        method: 'POST',
        url: '/api/v1/clients',
        headers: owner.headers,
        payload: { name: 'Construtora Horizonte', status: 'active' },
      });
      expect(client.statusCode, client.body).toBe(201);
      const stageOf = async (title: string) =>
        (
          await rig.app.owner<{ stage: string }>('SELECT stage FROM deals WHERE org_id = $1 AND title = $2', [
            owner.orgId,
            title,
          ])
        ).rows[0]?.stage;

      try {
        // Sign in through the UI.
        await page.goto(`${rig.baseUrl}/login`);
        await page.getByLabel('E-mail').fill(email);
        await page.getByRole('textbox', { name: 'Password' }).fill(STRONG_PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

        // ---- a contract: a yearly 1,200.00 contributes 100.00 to MRR ----
        await nav('Contracts');
        await page.getByRole('button', { name: 'New contract' }).click();
        const contractDialog = page.getByRole('dialog');
        await pick(page, contractDialog, 'Client', 'Construtora Horizonte');
        await contractDialog.getByLabel('Contract name').fill('Site supervision');
        await contractDialog.getByLabel('Recurring amount').fill('1200');
        await pick(page, contractDialog, 'Billing interval', 'Yearly');
        await contractDialog.getByLabel('Start date').fill('2024-01-01');
        await contractDialog.getByLabel('End date').fill('2023-12-31');
        await contractDialog.getByRole('button', { name: 'Create' }).click();
        // the API names endDate: its message is shown beside the field
        await contractDialog.getByText(/end date December 31, 2023 is before the start date/i).waitFor();
        await contractDialog.getByLabel('End date').fill('');
        await contractDialog.getByRole('button', { name: 'Create' }).click();
        await contractDialog.waitFor({ state: 'hidden' });
        const contractRow = page.locator('[data-contract="Site supervision"]');
        await expect
          .poll(() => contractRow.getByTestId('mrr-contribution').textContent(), POLL)
          .toBe('$100.00');
        await expect.poll(() => contractRow.textContent(), POLL).toContain('$1,200.00 / year');
        await expect.poll(() => page.getByTestId('mrr-today').textContent(), POLL).toBe('$100.00');
        await expect.poll(() => page.getByTestId('active-contracts').textContent(), POLL).toBe('1');
        // edit it: monthly 250.00 now counts 250.00
        await page.getByRole('button', { name: 'Edit: Site supervision' }).click();
        const editDialog = page.getByRole('dialog');
        await editDialog.getByLabel('Recurring amount').fill('250');
        await pick(page, editDialog, 'Billing interval', 'Monthly');
        await editDialog.getByRole('button', { name: 'Save' }).click();
        await editDialog.waitFor({ state: 'hidden' });
        await expect.poll(() => page.getByTestId('mrr-today').textContent(), POLL).toBe('$250.00');
        // a quarterly 300.00 counts 100.00 a month
        await page.getByRole('button', { name: 'New contract' }).click();
        const quarterDialog = page.getByRole('dialog');
        await pick(page, quarterDialog, 'Client', 'Construtora Horizonte');
        await quarterDialog.getByLabel('Contract name').fill('Quarterly audit');
        await quarterDialog.getByLabel('Recurring amount').fill('300');
        await pick(page, quarterDialog, 'Billing interval', 'Quarterly');
        await quarterDialog.getByLabel('Start date').fill('2024-01-01');
        await quarterDialog.getByRole('button', { name: 'Create' }).click();
        await quarterDialog.waitFor({ state: 'hidden' });
        const quarterRow = page.locator('[data-contract="Quarterly audit"]');
        await expect
          .poll(() => quarterRow.getByTestId('mrr-contribution').textContent(), POLL)
          .toBe('$100.00');
        await expect.poll(() => quarterRow.textContent(), POLL).toContain('$300.00 / quarter');
        await expect.poll(() => page.getByTestId('mrr-today').textContent(), POLL).toBe('$350.00');
        expect(await exportWorks('/api/v1/contracts/export')).toContain('Site supervision');
        await shot('01-contracts');

        // ---- an invoice of 1,000.00 with a payment of 400.00 ----
        await nav('Invoices');
        await page.getByRole('button', { name: 'New invoice' }).click();
        const invoiceDialog = page.getByRole('dialog', { name: 'New invoice' });
        await pick(page, invoiceDialog, 'Client', 'Construtora Horizonte');
        await invoiceDialog.getByLabel('Number').fill('INV-2026-001');
        await invoiceDialog.getByLabel('Issued on').fill('2026-01-15');
        await invoiceDialog.getByLabel('Due on').fill('2099-02-15');
        await invoiceDialog.getByLabel('Amount').fill('1000');
        await invoiceDialog.getByRole('button', { name: 'Create' }).click();
        // the new invoice opens with its payments
        const invoice = page.getByRole('dialog', { name: 'Invoice INV-2026-001' });
        await invoice.getByText('No payments recorded yet.').waitFor();
        const payment = invoice.getByRole('form', { name: 'Record payment' });
        await payment.getByLabel('Payment amount').fill('1500');
        await payment.getByRole('button', { name: 'Record payment' }).click();
        // more than the balance: 409 naming amountMinor, shown beside the field
        await payment.getByText(/must not exceed the invoice balance of 100000/i).waitFor();
        await payment.getByLabel('Payment amount').fill('400');
        await payment.getByLabel('Method').fill('transfer');
        await payment.getByRole('button', { name: 'Record payment' }).click();
        await invoice.getByRole('table', { name: 'Payments' }).getByText('$400.00').waitFor();
        await expect.poll(() => invoice.getByTestId('invoice-paid').textContent(), POLL).toBe('$400.00');
        await expect.poll(() => invoice.getByTestId('invoice-balance').textContent(), POLL).toBe('$600.00');
        await shot('02-invoice-payments');
        await page.keyboard.press('Escape');
        await invoice.waitFor({ state: 'hidden' });
        const invoiceRow = page.locator('[data-invoice="INV-2026-001"]');
        await expect.poll(() => invoiceRow.getByTestId('balance').textContent(), POLL).toBe('$600.00');
        await expect.poll(() => invoiceRow.textContent(), POLL).toContain('Partially paid');
        await expect.poll(() => page.getByTestId('invoices-outstanding').textContent(), POLL).toBe('$600.00');
        await expect.poll(() => page.getByTestId('invoices-collected').textContent(), POLL).toBe('$400.00');
        expect(await exportWorks('/api/v1/invoices/export')).toContain('INV-2026-001');
        await shot('03-invoices');

        // ---- a deal across the pipeline ----
        await nav('Deals');
        await page.getByRole('button', { name: 'New deal' }).click();
        const dealDialog = page.getByRole('dialog');
        await dealDialog.getByLabel('Title').fill('Tower rollout');
        await pick(page, dealDialog, 'Client', 'Construtora Horizonte');
        await pick(page, dealDialog, 'Owner', 'Bea Lima');
        await dealDialog.getByLabel('Expected value').fill('9900');
        await dealDialog.getByRole('button', { name: 'Create' }).click();
        await dealDialog.waitFor({ state: 'hidden' });
        const lead = page.locator('[data-column="lead"]');
        await lead.getByRole('button', { name: 'Tower rollout' }).waitFor();
        await expect
          .poll(() => page.getByTestId('pipeline-open-amount').textContent(), POLL)
          .toBe('$9,900.00');
        await expect.poll(() => page.getByTestId('pipeline-open-count').textContent(), POLL).toBe('1');

        // Lead → Proposal by mouse (on a phone the stages are stacked: Qualified, between the two,
        // is centred so that both are in view).
        if (vp.phone) await centre(page.locator('[data-column="qualified"]'));
        const card = lead.getByRole('button', { name: 'Tower rollout' });
        const proposal = page.locator('[data-column="proposal"]');
        await dragWithMouse(page, card, proposal);
        await proposal.getByRole('button', { name: 'Tower rollout' }).waitFor();
        await expect.poll(() => stageOf('Tower rollout'), POLL).toBe('proposal');
        await expect.poll(() => proposal.getAttribute('aria-label'), POLL).toBe('Proposal · $9,900.00');

        // Won, from the list view's button.
        await page.getByText('List', { exact: true }).click();
        await page.getByRole('button', { name: 'Mark “Tower rollout” as won' }).click();
        await expect.poll(() => stageOf('Tower rollout'), POLL).toBe('won');
        await expect
          .poll(() => page.locator('[data-deal="Tower rollout"]').textContent(), POLL)
          .toContain('Won');
        await expect
          .poll(() => page.getByTestId('pipeline-won-amount').textContent(), POLL)
          .toBe('$9,900.00');
        await expect.poll(() => page.getByTestId('pipeline-win-rate').textContent(), POLL).toBe('100%');
        await expect.poll(() => page.getByTestId('pipeline-open-amount').textContent(), POLL).toBe('$0.00');
        await shot('04-deals-list');

        // A won deal only reopens to negotiation: moving it back to an open stage is refused and
        // explained. On a desktop by keyboard (focus, space, arrows to Lead, space); on a phone,
        // where the stages are stacked, by dragging it up to Proposal.
        await page.getByText('Pipeline', { exact: true }).click();
        const won = page.locator('[data-column="won"]').getByRole('button', { name: 'Tower rollout' });
        if (vp.phone) {
          const target = page.locator('[data-column="proposal"]');
          // Negotiation lies between Proposal and Won: centring it shows both.
          await centre(page.locator('[data-column="negotiation"]'));
          await dragWithMouse(page, won, target);
        } else {
          await moveWithKeys(page, won, {
            from: 'won',
            key: 'ArrowLeft',
            through: ['negotiation', 'proposal', 'qualified', 'lead'],
          });
        }
        const refusal = page.getByRole('alert').filter({ hasText: 'This move is not allowed' });
        await refusal.waitFor();
        await expect
          .poll(() => refusal.textContent(), POLL)
          .toContain('From “Won” a deal can move to: Negotiation.');
        await page.locator('[data-column="won"]').getByRole('button', { name: 'Tower rollout' }).waitFor();
        expect(await stageOf('Tower rollout')).toBe('won');
        expect(await exportWorks('/api/v1/deals/export')).toContain('Tower rollout');
        await refusal.scrollIntoViewIfNeeded();
        await shot('05-deals-pipeline');

        // Someone else reopens the deal meanwhile (here through the API, as another tab would).
        // Moving the card this page still shows under Won is refused as stale (its If-Match names
        // the old version: 412), explained, and the pipeline reloads with the deal where the other
        // change put it; without that reload the card would go back to Won.
        const dealId = (
          await rig.app.owner<{ id: string }>('SELECT id FROM deals WHERE org_id = $1 AND title = $2', [
            owner.orgId,
            'Tower rollout',
          ])
        ).rows[0]!.id;
        const reopened = await rig.app.request({
          method: 'PATCH',
          url: `/api/v1/deals/${dealId}`,
          headers: owner.headers,
          payload: { stage: 'negotiation', expectedCloseOn: '2027-02-01' },
        });
        expect(reopened.statusCode, reopened.body).toBe(200);
        const staleCard = page.locator('[data-column="won"]').getByRole('button', { name: 'Tower rollout' });
        const negotiation = page.locator('[data-column="negotiation"]');
        if (vp.phone) {
          await centre(negotiation);
          await dragWithMouse(page, staleCard, negotiation);
        } else {
          await moveWithKeys(page, staleCard, { from: 'won', key: 'ArrowLeft', through: ['negotiation'] });
        }
        await page
          .getByRole('alert')
          .filter({ hasText: 'Someone else changed this deal meanwhile; the pipeline was reloaded.' })
          .waitFor();
        await negotiation.getByRole('button', { name: 'Tower rollout' }).waitFor();
        await page.locator('[data-column="won"]').getByRole('button', { name: 'Tower rollout' }).waitFor({
          state: 'detached',
        });
        const stored = (
          await rig.app.owner<{ stage: string; close: string }>(
            'SELECT stage, expected_close_on::text AS close FROM deals WHERE id = $1',
            [dealId],
          )
        ).rows[0]!;
        expect(stored).toEqual({ stage: 'negotiation', close: '2027-02-01' }); // the other change, intact

        // ---- feedback: 4 of 5 ----
        await nav('Feedback');
        await page.getByRole('button', { name: 'New feedback' }).click();
        const feedbackDialog = page.getByRole('dialog');
        await pick(page, feedbackDialog, 'Client', 'Construtora Horizonte');
        await feedbackDialog.getByText('4', { exact: true }).click();
        await feedbackDialog.getByLabel('Comment').fill('Clear reports, on time.');
        await feedbackDialog.getByRole('button', { name: 'Create' }).click();
        await feedbackDialog.waitFor({ state: 'hidden' });
        await page.getByRole('cell', { name: 'Clear reports, on time.' }).waitFor();
        await expect.poll(() => page.getByTestId('feedback-average').textContent(), POLL).toBe('4');
        await expect.poll(() => page.getByTestId('feedback-count').textContent(), POLL).toBe('1');
        expect(await exportWorks('/api/v1/feedback/export')).toContain('Clear reports, on time.');
        await shot('06-feedback');
      } catch (err) {
        await shot('failure').catch(() => {});
        if (problems.length > 0 && err instanceof Error) err.message += `\n${problems.join('\n')}`;
        throw err;
      } finally {
        await context.close();
      }
      expect(problems).toEqual([]);
    });
  }

  it('archives a churned client: out of the list, listed apart, and back', { timeout: 120_000 }, async () => {
    const email = uniqueEmail('archive');
    const owner = await signUp(rig.app, { email, orgName: 'Archive', subdomain: uniqueSubdomain('archive') });
    for (const [name, status] of [
      ['Gone Ltd', 'churned'],
      ['Still here', 'active'],
    ]) {
      const res = await rig.app.request({
        method: 'POST',
        url: '/api/v1/clients',
        headers: owner.headers,
        payload: { name, status },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    const { context, page, problems } = await openPage(rig, VIEWPORTS[0], { dir: 'web-business' });
    try {
      await signInWithCookie(rig, context, email);
      await page.goto(`${rig.baseUrl}/clients`);
      const gone = page.getByRole('button', { name: 'Gone Ltd' });
      await gone.click();
      const dialog = page.getByRole('dialog', { name: 'Gone Ltd' });
      await dialog.getByRole('button', { name: 'Archive' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await gone.waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'Still here' }).waitFor();
      // An active client offers no archiving: it must churn first.
      await page.getByRole('button', { name: 'Still here' }).click();
      const active = page.getByRole('dialog', { name: 'Still here' });
      await active.getByText('Contacts').waitFor();
      expect(await active.getByRole('button', { name: 'Archive' }).count()).toBe(0);
      await page.keyboard.press('Escape');
      await active.waitFor({ state: 'hidden' });

      await page.getByLabel('Archived clients').check();
      await gone.waitFor();
      expect(await page.getByRole('button', { name: 'Still here' }).count()).toBe(0);
      await gone.click();
      await page
        .getByRole('dialog', { name: 'Gone Ltd' })
        .getByRole('button', { name: 'Bring back' })
        .click();
      await gone.waitFor({ state: 'detached' });
      const row = await rig.app.owner<{ archived_at: Date | null }>(
        'SELECT archived_at FROM clients WHERE org_id = $1 AND name = $2',
        [owner.orgId, 'Gone Ltd'],
      );
      expect(row.rows[0]!.archived_at).toBeNull();
    } finally {
      await context.close();
    }
    expect(problems).toEqual([]);
  });

  it('a next page asked for before the filter changed is not added to the new list', {
    timeout: 120_000,
  }, async () => {
    const email = uniqueEmail('paging');
    const owner = await signUp(rig.app, {
      email,
      orgName: 'Paging race',
      subdomain: uniqueSubdomain('paging'),
    });
    const client = await rig.app.request({
      method: 'POST',
      url: '/api/v1/clients',
      headers: owner.headers,
      payload: { name: 'Paging client', status: 'active' },
    });
    expect(client.statusCode, client.body).toBe(201);
    // 101 fives and one 1: the unfiltered list has a second page (100 per page), the 1s none.
    for (const score of [...Array(101).fill(5), 1]) {
      const res = await rig.app.request({
        method: 'POST',
        url: '/api/v1/feedback',
        headers: owner.headers,
        payload: { clientId: client.json().id, score, comment: `scored ${score}` },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    const { context, page, problems } = await openPage(rig, VIEWPORTS[0], {
      dir: 'web-business',
      expectedHttpErrors: [{ status: 503, path: '/api/v1/feedback' }],
    });
    // The second page's answer is held until the filtered list is on screen, as a slow link would.
    const { held, release } = await holdRequests(
      page,
      (url) => url.pathname === '/api/v1/feedback' && url.searchParams.has('cursor'),
    );
    try {
      await signInWithCookie(rig, context, email);
      await page.goto(`${rig.baseUrl}/business/feedback`);
      const count = page.getByTestId('feedback-count');
      await expect.poll(() => count.textContent(), POLL).toBe('100');
      await page.getByRole('button', { name: 'Load more' }).click();
      await held; // the unfiltered second page is on its way, and stays there
      await pick(page, page.getByRole('group', { name: 'Filters' }), 'Score', '1 of 5');
      await expect.poll(() => count.textContent(), POLL).toBe('1');

      const late = page.waitForResponse(
        (res) => res.url().includes('/api/v1/feedback') && new URL(res.url()).searchParams.has('cursor'),
      );
      release();
      expect((await late).status()).toBe(200);
      // Give the late page time to be (wrongly) added, then check it was not.
      await page.waitForTimeout(750);
      expect(await count.textContent()).toBe('1');
      expect(await page.getByText('scored 5').count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);

      // The same, with the late page failing: its failure is not news for the filtered list.
      const failing = await holdRequests(
        page,
        (url) => url.pathname === '/api/v1/feedback' && url.searchParams.has('cursor'),
        { failWith: 503 },
      );
      await page.goto(`${rig.baseUrl}/business/feedback`);
      await expect.poll(() => count.textContent(), POLL).toBe('100');
      await page.getByRole('button', { name: 'Load more' }).click();
      await failing.held;
      await pick(page, page.getByRole('group', { name: 'Filters' }), 'Score', '1 of 5');
      await expect.poll(() => count.textContent(), POLL).toBe('1');
      const failed = page.waitForResponse(
        (res) => res.url().includes('/api/v1/feedback') && new URL(res.url()).searchParams.has('cursor'),
      );
      failing.release();
      expect((await failed).status()).toBe(503);
      await page.waitForTimeout(750);
      expect(await page.getByRole('alert').count()).toBe(0);
      expect(await count.textContent()).toBe('1');
    } finally {
      await context.close();
    }
    expect(problems).toEqual([]);
  });
});
