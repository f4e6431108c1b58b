// Lists without an export route of their own (members, IP rules, ...) are exported by the web app:
// every page of the list fetched, saved as CSV (BOM, CRLF, formula-like cells prefixed with ') or
// JSON. The downloads are read back from Chromium.
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHelpers } from './support/api-helpers.ts';
import {
  type BrowserRig,
  chromiumAvailable,
  openPage,
  signInWithCookie,
  startBrowserRig,
  VIEWPORTS,
} from './support/browser.ts';
import { type Session, signUp } from './support/test-app.ts';

const hasChromium = chromiumAvailable();
let rig: BrowserRig;
let admin: Session;

beforeAll(async () => {
  if (!hasChromium) return;
  rig = await startBrowserRig();
  admin = await signUp(rig.app, { orgName: 'Descargas SA' });
  const { api } = apiHelpers(
    () => rig.app,
    () => admin,
  );
  const rule = await api(admin, 'POST', '/ip-rules', {
    cidr: '203.0.113.0/24',
    action: 'deny',
    note: '=HYPERLINK("http://x", "y")',
  });
  expect(rule.statusCode, rule.body).toBe(201);
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

async function download(page: Page, format: 'CSV' | 'JSON'): Promise<string> {
  await page.getByRole('button', { name: 'Export' }).first().click();
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('menuitem', { name: `Export as ${format}` }).click(),
  ]);
  return readFileSync((await file.path())!, 'utf8');
}

describe.skipIf(!hasChromium)('downloads of lists exported by the web app', () => {
  it('saves members and IP rules as CSV and JSON', { timeout: 120_000 }, async () => {
    const { context, page, problems } = await openPage(rig, VIEWPORTS[0], { dir: 'web-downloads' });
    try {
      await signInWithCookie(rig, context, admin.email);

      await page.goto(`${rig.baseUrl}/admin/members`);
      await page.locator('main h2').first().waitFor();
      const members = await download(page, 'CSV');
      expect(members.startsWith('\uFEFFname,email,role,status,mfaEnabled,departmentId,since\r\n')).toBe(true);
      expect(members).toContain(`,${admin.email},org_admin,active,false,,`);

      await page.goto(`${rig.baseUrl}/admin/ip-rules`);
      await page.locator('main h2').first().waitFor();
      const csv = await download(page, 'CSV');
      expect(csv).toContain(`203.0.113.0/24,deny,"'=HYPERLINK(""http://x"", ""y"")"`);
      const json = JSON.parse(await download(page, 'JSON')) as Record<string, unknown>[];
      expect(json).toEqual([
        expect.objectContaining({
          cidr: '203.0.113.0/24',
          action: 'deny',
          note: '=HYPERLINK("http://x", "y")',
        }),
      ]);
    } finally {
      await context.close();
    }
    expect(problems).toEqual([]);
  });
});
