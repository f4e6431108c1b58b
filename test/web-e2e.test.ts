// The web app end to end in a real Chromium (Debian's /usr/bin/chromium driven by
// playwright-core) against a real BUL on a real port and database: sign up → enrol MFA → sign out
// → sign in with a TOTP code → create a client, a project and tasks → move a task across the
// board (and see a forbidden move refused and explained) → see it counted on the dashboard →
// switch to Spanish. At desktop and phone widths; any console error fails the test, except the
// browser's own notice for the HTTP errors the journey provokes on purpose (listed below).
// Screenshots go to test-results/ (ignored by git).
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserRig,
  centre,
  chromiumAvailable,
  dragWithMouse,
  moveWithKeys,
  openPage,
  POLL,
  startBrowserRig,
  VIEWPORTS,
} from './support/browser.ts';
import { STRONG_PASSWORD } from './support/constants.ts';
import { uniqueEmail, uniqueSubdomain } from './support/test-app.ts';

const hasChromium = chromiumAvailable();

/** HTTP errors the journey causes on purpose: the refused board move and the refused project dates. */
const EXPECTED_HTTP_ERRORS = [
  { status: 409, path: '/api/v1/tasks/' },
  { status: 400, path: '/api/v1/projects' }, // a due date before the start date, shown beside the field
];

let rig: BrowserRig;

beforeAll(async () => {
  if (hasChromium) rig = await startBrowserRig();
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

/** A TOTP code for the step after the current one (the current one may be spent already). */
function nextCode(secret: string): string {
  return generateSync({ secret, strategy: 'totp', epoch: Math.floor(Date.now() / 1000) + 30 });
}

describe.skipIf(!hasChromium)('the web app in Chromium', () => {
  for (const vp of VIEWPORTS) {
    it(`walks the whole journey at ${vp.name} width (${vp.width}px)`, { timeout: 180_000 }, async () => {
      const { context, page, problems, shot } = await openPage(rig, vp, {
        dir: 'web-e2e',
        expectedHttpErrors: EXPECTED_HTTP_ERRORS,
      });
      const nav = async (label: string) => {
        if (vp.phone) await page.getByRole('button', { name: 'Menu' }).click();
        await page.getByRole('navigation').getByRole('link', { name: label, exact: true }).click();
      };
      const email = uniqueEmail(`e2e-${vp.name}`);

      try {
        // Sign up: creates the organization and lands on the dashboard.
        await page.goto(`${rig.baseUrl}/signup`);
        await page.getByLabel('Your name').fill('Ana Souza');
        await page.getByLabel('E-mail').fill(email);
        await page.getByRole('textbox', { name: 'Password' }).fill(STRONG_PASSWORD);
        await page.getByLabel('Organization name').fill('Acme Obras');
        await page.getByLabel('Subdomain').fill(uniqueSubdomain('e2e'));
        await shot('01-signup');
        await page.getByRole('button', { name: 'Create your organization' }).click();
        await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

        // Enrol MFA: QR code and key, a code from the key, then the recovery codes.
        await nav('Security');
        await page.getByRole('button', { name: 'Set up two-step verification' }).click();
        await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
        const secret = (await page.getByTestId('mfa-secret').textContent())!.trim();
        expect(secret).toMatch(/^[A-Z2-7]+=*$/);
        await page
          .getByLabel('Authentication code')
          .fill(generateSync({ secret, strategy: 'totp', epoch: Math.floor(Date.now() / 1000) }));
        await shot('02-mfa-enrol');
        await page.getByRole('button', { name: 'Turn on' }).click();
        await page.getByTestId('recovery-codes').waitFor();
        expect(await page.getByTestId('recovery-codes').getByRole('listitem').count()).toBeGreaterThanOrEqual(
          8,
        );
        await page.getByRole('button', { name: 'I have stored them' }).click();
        await page.getByText('Two-step verification is on.').waitFor();

        // Sign out, then sign in with password and a TOTP code.
        if (vp.phone) await page.getByRole('button', { name: 'Menu' }).click();
        await page.getByRole('navigation').getByRole('button', { name: 'Sign out' }).click();
        await page.getByRole('heading', { name: 'Sign in' }).waitFor();
        await page.getByLabel('E-mail').fill(email);
        await page.getByRole('textbox', { name: 'Password' }).fill(STRONG_PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByLabel('Authentication code').fill(nextCode(secret));
        await shot('03-mfa-login');
        await page.getByRole('button', { name: 'Verify' }).click();
        await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

        // A client…
        await nav('Clients');
        await page.getByRole('button', { name: 'New client' }).click();
        const clientDialog = page.getByRole('dialog');
        await clientDialog.getByLabel('Name').fill('Construtora Horizonte');
        await clientDialog.getByRole('button', { name: 'Create' }).click();
        await page.getByRole('button', { name: 'Construtora Horizonte' }).waitFor();

        // …a project for it (a refused field is shown beside the field, then fixed)…
        await nav('Projects');
        await page.getByRole('button', { name: 'New project' }).click();
        const projectDialog = page.getByRole('dialog');
        await projectDialog.getByLabel('Name').fill('Torre Norte');
        await projectDialog.getByLabel('Client').click();
        await page.getByRole('option', { name: 'Construtora Horizonte' }).click();
        await projectDialog.getByLabel('Start date').fill('2026-03-10');
        await projectDialog.getByLabel('Due date').fill('2026-03-01');
        await projectDialog.getByRole('button', { name: 'Create' }).click();
        await projectDialog
          .getByText(/startDate|start/i)
          .first()
          .waitFor();
        await projectDialog.getByLabel('Due date').fill('2026-12-20');
        await projectDialog.getByRole('button', { name: 'Create' }).click();
        await page.getByRole('heading', { name: 'Torre Norte' }).waitFor();

        // …and two tasks.
        const taskForm = page.getByRole('form', { name: 'New task' });
        for (const title of ['Pour the foundation', 'Order the steel']) {
          await taskForm.getByLabel('Title').fill(title);
          await taskForm.getByRole('button', { name: 'New task' }).click();
          await page.locator('[data-column="pending"]').getByRole('button', { name: title }).waitFor();
        }
        await shot('04-project');

        // Move a task from Pending to Completed on the board by mouse. On a phone the columns are
        // stacked: Active, between the two, is centred so that both are in view.
        const board = page.locator('[data-column="pending"]');
        if (vp.phone) await centre(page.locator('[data-column="active"]'));
        const card = board.getByRole('button', { name: 'Pour the foundation' });
        const completed = page.locator('[data-column="completed"]');
        await dragWithMouse(page, card, completed);
        await completed.getByRole('button', { name: 'Pour the foundation' }).waitFor();
        await expect
          .poll(
            async () =>
              (
                await rig.app.owner<{ status: string }>(
                  "SELECT status FROM tasks WHERE title = 'Pour the foundation' AND project_id IN (SELECT id FROM projects WHERE name = 'Torre Norte') ORDER BY created_at DESC LIMIT 1",
                )
              ).rows[0]?.status,
            POLL,
          )
          .toBe('completed');

        // A move the transition table forbids (completed → cancelled) is refused and explained.
        // On a desktop it is made by keyboard (focus, space, arrow to the next column, space), on a
        // phone by dragging again.
        const done = completed.getByRole('button', { name: 'Pour the foundation' });
        if (vp.phone) {
          await dragWithMouse(page, done, page.locator('[data-column="cancelled"]'));
        } else {
          await moveWithKeys(page, done, { from: 'completed', key: 'ArrowRight', through: ['cancelled'] });
        }
        const refusal = page.getByRole('alert').filter({ hasText: 'This move is not allowed' });
        await refusal.waitFor();
        await expect.poll(() => refusal.textContent(), POLL).toContain('it can move to: Active');
        await completed.getByRole('button', { name: 'Pour the foundation' }).waitFor();
        await shot('05-board');

        // The dashboard counts the completed task.
        await nav('Dashboard');
        await expect.poll(() => page.getByTestId('completed-30').textContent(), POLL).toBe('1');
        await expect.poll(() => page.getByTestId('open-tasks').textContent(), POLL).toBe('1');
        await shot('06-dashboard');

        // Spanish: the labels change.
        await page.getByRole('combobox', { name: 'Language' }).click();
        await page.getByRole('option', { name: 'Español' }).click();
        await page.getByRole('heading', { name: 'Panel' }).waitFor();
        await page.getByText('Tareas completadas por semana').waitFor();
        if (vp.phone) await page.getByRole('button', { name: 'Menú' }).click();
        await page.getByRole('navigation').getByRole('link', { name: 'Proyectos' }).waitFor();
        expect(await page.locator('html').getAttribute('lang')).toBe('es');
        await shot('07-spanish');
      } catch (err) {
        await shot('failure').catch(() => {});
        // What the page said is usually the reason.
        if (problems.length > 0 && err instanceof Error) err.message += `\n${problems.join('\n')}`;
        throw err;
      } finally {
        await context.close();
      }
      expect(problems).toEqual([]);
    });
  }
});
