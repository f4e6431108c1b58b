// The administration area in a real Chromium against a real BUL on a real port and database: an org
// admin registered through the API signs in through the UI, then invites a member (and sees the
// token once and the pending invitation), creates a custom role and ticks permissions in the matrix
// (checked through the API), builds a two-level department tree, adds IP rules that keep the test's
// own address in (and sees a bad CIDR refused beside the field), creates an API key (shown once,
// and it works), and reads the plan and usage. At desktop and phone widths; any console error fails
// the test, except the browser's notice for the HTTP errors provoked on purpose (listed below).
// A second test holds back the answer to one member search, to show that an older answer never
// replaces a newer one. Screenshots go to test-results/web-admin/ (ignored by git).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserRig,
  chromiumAvailable,
  holdRequests,
  openPage,
  POLL,
  signInWithCookie,
  startBrowserRig,
  VIEWPORTS,
} from './support/browser.ts';
import { STRONG_PASSWORD } from './support/constants.ts';
import { addMember, type Session, signUp, uniqueEmail, uniqueSubdomain } from './support/test-app.ts';

const hasChromium = chromiumAvailable();

/** The malformed CIDR refused on purpose. */
const EXPECTED_HTTP_ERRORS = [{ status: 400, path: '/api/v1/ip-rules' }];

let rig: BrowserRig;

beforeAll(async () => {
  if (hasChromium) rig = await startBrowserRig();
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

/** GET /api/v1<url> as the admin, through the API (not the browser). */
async function apiGet<T>(admin: Session, url: string): Promise<T> {
  const res = await rig.app.request({ method: 'GET', url: `/api/v1${url}`, headers: admin.headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as T;
}

describe.skipIf(!hasChromium)('the administration area in Chromium', () => {
  for (const vp of VIEWPORTS) {
    it(`administers an organization at ${vp.name} width (${vp.width}px)`, { timeout: 180_000 }, async () => {
      const email = uniqueEmail(`admin-${vp.name}`);
      const admin = await signUp(rig.app, {
        email,
        name: 'Beatriz Lima',
        orgName: `Admin ${vp.name}`,
        subdomain: uniqueSubdomain('adm'),
      });
      const { context, page, problems, shot } = await openPage(rig, vp, {
        dir: 'web-admin',
        expectedHttpErrors: EXPECTED_HTTP_ERRORS,
      });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: rig.baseUrl });
      const nav = async (label: string) => {
        if (vp.phone) await page.getByRole('button', { name: 'Menu' }).click();
        await page.getByRole('navigation').getByRole('link', { name: label, exact: true }).click();
        await page.getByRole('heading', { name: label, level: 2 }).waitFor();
      };

      try {
        // Sign in through the UI.
        await page.goto(`${rig.baseUrl}/login`);
        await page.getByLabel('E-mail').fill(email);
        await page.getByRole('textbox', { name: 'Password' }).fill(STRONG_PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

        // Members: the admin is listed; invite someone and see the token once and the invitation.
        await nav('Members');
        await page.getByTestId('members-table').getByText(email).waitFor();
        const invitee = uniqueEmail(`invitee-${vp.name}`);
        const inviteForm = page.getByRole('form', { name: 'Send invitation' });
        await inviteForm.getByRole('textbox', { name: 'E-mail' }).fill(invitee);
        await inviteForm.getByRole('combobox', { name: 'Role' }).click();
        await page.getByRole('option', { name: 'User', exact: true }).click();
        await inviteForm.getByRole('button', { name: 'Send invitation' }).click();
        const token = page.getByTestId('invitation-token');
        await token.waitFor();
        expect((await token.textContent())!.trim().length).toBeGreaterThan(16);
        await page.getByTestId('invitations-table').getByText(invitee).waitFor();
        await shot('01-members');
        await page.getByRole('button', { name: 'I have stored it' }).click();
        await token.waitFor({ state: 'detached' });
        const invitations = await apiGet<{ items: { email: string; status: string }[] }>(
          admin,
          '/invitations?status=open',
        );
        expect(invitations.items.map((i) => i.email)).toContain(invitee);

        // Roles: a custom role, two permissions ticked in the matrix, saved, and stored.
        await nav('Roles and permissions');
        await page.getByRole('button', { name: 'New role' }).click();
        const roleDialog = page.getByRole('dialog');
        await roleDialog.getByRole('textbox', { name: 'Name' }).fill('Auditors');
        await roleDialog.getByRole('button', { name: 'Create' }).click();
        await roleDialog.waitFor({ state: 'detached' });
        // Built-in roles are read-only.
        expect(await page.getByRole('checkbox', { name: 'clients:read for Viewer' }).isDisabled()).toBe(true);
        for (const permission of ['clients:read', 'projects:read']) {
          await page.getByRole('checkbox', { name: `${permission} for Auditors` }).check();
        }
        await page.getByText('1 role has unsaved changes.').waitFor();
        await page.getByRole('button', { name: 'Save changes' }).click();
        await page.getByText('Changes saved.').waitFor();
        await shot('02-roles');
        const roles = await apiGet<{ items: { name: string; permissions: string[]; builtin: boolean }[] }>(
          admin,
          '/roles',
        );
        const auditors = roles.items.find((r) => r.name === 'Auditors');
        expect(auditors?.builtin).toBe(false);
        expect([...(auditors?.permissions ?? [])].sort()).toEqual(['clients:read', 'projects:read']);

        // Departments: a tree of two levels, shown indented (the child nested in its parent).
        await nav('Departments');
        const deptForm = page.getByRole('form', { name: 'New department' });
        await deptForm.getByRole('textbox', { name: 'Name' }).fill('Engineering');
        await deptForm.getByRole('button', { name: 'Create' }).click();
        await page.locator('li[data-depth="0"] [data-department="Engineering"]').waitFor();
        await deptForm.getByRole('textbox', { name: 'Name' }).fill('Backend');
        await deptForm.getByRole('combobox', { name: 'Parent department' }).click();
        await page.getByRole('option', { name: 'Engineering', exact: true }).click();
        await deptForm.getByRole('button', { name: 'Create' }).click();
        await page.locator('li[data-depth="0"] li[data-depth="1"] [data-department="Backend"]').waitFor();
        // Renamed through the dialog (saved with If-Match), still under its parent.
        await page.getByRole('button', { name: 'Rename or move Backend' }).click();
        const deptDialog = page.getByRole('dialog');
        await deptDialog.getByRole('textbox', { name: 'Name' }).fill('Backend services');
        await deptDialog.getByRole('button', { name: 'Save' }).click();
        await deptDialog.waitFor({ state: 'detached' });
        await page.locator('li[data-depth="1"] [data-department="Backend services"]').waitFor();
        const parentBox = (await page.locator('[data-department="Engineering"]').boundingBox())!;
        const childBox = (await page.locator('[data-department="Backend services"]').boundingBox())!;
        expect(childBox.x).toBeGreaterThan(parentBox.x);
        await shot('03-departments');
        const departments = await apiGet<{
          items: { id: string; name: string; parentId: string | null; depth: number }[];
        }>(admin, '/departments');
        const engineering = departments.items.find((d) => d.name === 'Engineering');
        const backend = departments.items.find((d) => d.name === 'Backend services');
        expect(backend?.parentId).toBe(engineering?.id);
        expect(backend?.depth).toBe(1);

        // IP rules: a malformed CIDR is refused beside the field; then an allow rule for the test's
        // own loopback address (so nothing is locked out) and a deny rule for an IPv6 documentation range.
        await nav('IP rules');
        const ruleForm = page.getByRole('form', { name: 'New rule' });
        const cidr = ruleForm.getByRole('textbox', { name: 'Address or network' });
        await cidr.fill('10.0.0.300/33');
        await ruleForm.getByRole('button', { name: 'Add rule' }).click();
        await expect.poll(() => cidr.getAttribute('aria-invalid'), POLL).toBe('true');
        await ruleForm.getByText(/must be an IPv4 or IPv6 address/i).waitFor();
        await shot('04-ip-rule-refused');
        await cidr.fill('127.0.0.1/32');
        await ruleForm.getByRole('textbox', { name: 'Note' }).fill('This test');
        await ruleForm.getByRole('button', { name: 'Add rule' }).click();
        await page.getByTestId('ip-rules-table').getByText('127.0.0.1/32').waitFor();
        await ruleForm.locator('label', { hasText: 'Deny' }).click();
        await expect.poll(() => ruleForm.getByRole('radio', { name: 'Deny' }).isChecked(), POLL).toBe(true);
        await cidr.fill('2001:db8::/32');
        await ruleForm.getByRole('button', { name: 'Add rule' }).click();
        await page.getByTestId('ip-rules-table').getByText('2001:db8::/32').waitFor();
        await shot('05-ip-rules');
        const rules = await apiGet<{ items: { cidr: string; action: string }[] }>(admin, '/ip-rules');
        expect(rules.items.map((r) => `${r.action} ${r.cidr}`).sort()).toEqual([
          'allow 127.0.0.1/32',
          'deny 2001:db8::/32',
        ]);

        // API keys: created, shown once with a copy button, and it works.
        await nav('API keys');
        const keyForm = page.getByRole('form', { name: 'New API key' });
        await keyForm.getByRole('textbox', { name: 'Name' }).fill('Nightly export');
        await keyForm.getByLabel('Scopes').click();
        await page.getByRole('option', { name: 'projects:read', exact: true }).click();
        // Escape closes the dropdown: on a phone it opens upwards over the Name field, so a click there
        // would land on an option.
        await page.keyboard.press('Escape');
        await keyForm.getByRole('button', { name: 'Create key' }).click();
        const secret = page.getByTestId('api-key-secret');
        await secret.waitFor();
        const key = (await secret.textContent())!.trim();
        expect(key.length).toBeGreaterThan(20);
        await page.getByRole('button', { name: 'Copy', exact: true }).click();
        await page.getByRole('button', { name: 'Copied', exact: true }).waitFor();
        await page.getByTestId('api-keys-table').getByText('Nightly export').waitFor();
        await shot('06-api-key');
        await page.getByRole('button', { name: 'I have stored it' }).click();
        await secret.waitFor({ state: 'detached' });
        expect(await page.content()).not.toContain(key);
        const withKey = await rig.app.request({
          method: 'GET',
          url: '/api/v1/projects',
          headers: { authorization: `Bearer ${key}` },
        });
        expect(withKey.statusCode, withKey.body).toBe(200);

        // Plan and usage: the Free plan, one member plus one pending invitation of five users.
        await nav('Plan and usage');
        await expect.poll(() => page.getByTestId('current-plan').textContent(), POLL).toBe('Free');
        await expect.poll(() => page.getByTestId('usage-users-value').textContent(), POLL).toBe('2 of 5');
        await page.getByTestId('usage-requests').getByRole('progressbar').waitFor();
        await page.getByTestId('usage-users').getByText('1 member and 1 pending invitation').waitFor();
        await shot('07-plan');

        // In Spanish, the words and the numbers follow the language.
        await page.getByRole('combobox', { name: 'Language' }).click();
        await page.getByRole('option', { name: 'Español' }).click();
        await page.getByRole('heading', { name: 'Plan y consumo', level: 2 }).waitFor();
        await expect.poll(() => page.getByTestId('usage-users-value').textContent(), POLL).toBe('2 de 5');
        await page.getByTestId('usage-storage').getByText('0 bytes de 1 GB').waitFor();
        await shot('08-plan-spanish');
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

  it('a member search answered out of order shows the newer search, not the older one', {
    timeout: 120_000,
  }, async () => {
    const email = uniqueEmail('admin-race');
    const admin = await signUp(rig.app, {
      email,
      name: 'Beatriz Lima',
      orgName: 'Admin race',
      subdomain: uniqueSubdomain('race'),
    });
    const member = uniqueEmail('bruno');
    await addMember(rig.app, admin, 'developer', member);
    const { context, page, problems } = await openPage(rig, VIEWPORTS[0], { dir: 'web-admin' });
    // The network delivers the answer to the first search after the second one's, as a slow
    // query or a congested link would: the first request is held until the second was shown.
    const { held, release } = await holdRequests(
      page,
      (url) => url.pathname === '/api/v1/members' && url.searchParams.get('q') === 'beatriz',
    );
    try {
      await signInWithCookie(rig, context, email);
      await page.goto(`${rig.baseUrl}/admin/members`);
      const table = page.getByTestId('members-table');
      await table.getByText(member).waitFor();
      const search = page.getByRole('textbox', { name: 'Search by name or e-mail' });

      await search.fill('beatriz');
      await held; // the first search is on its way, and stays there
      await search.fill('member');
      await table.getByText(member).waitFor();
      await table.getByText(email).waitFor({ state: 'detached' });

      const late = page.waitForResponse(
        (res) =>
          res.url().includes('/api/v1/members') && new URL(res.url()).searchParams.get('q') === 'beatriz',
      );
      release();
      expect((await late).status()).toBe(200);
      // Give the late answer time to be (wrongly) shown, then check it was not.
      await page.waitForTimeout(750);
      expect(await table.getByText(email).count()).toBe(0);
      expect(await table.getByText(member).count()).toBe(1);
      expect(await search.inputValue()).toBe('member');
    } finally {
      await context.close();
    }
    expect(problems).toEqual([]);
  });
});
