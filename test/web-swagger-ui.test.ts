// Swagger UI at /docs in Chromium, opened at http://127.0.0.1:<port> (not the PUBLIC_URL host):
// the page loads without a console error (a CSP violation is one), "Try it out" reaches the API
// from the page's own origin, and uploads show a file input.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  admin = await signUp(rig.app, { orgName: 'Swagger SA' });
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

/** Swagger UI takes a while to render on a loaded machine. */
const RENDER = { timeout: 120_000 } as const;

/** Opens /docs, expands a tag and one of its operations (`operationId`) and presses "Try it out". */
async function tryOut(page: Page, tag: string, operationId: string) {
  await page.goto(`${rig.baseUrl}/docs`);
  await page.locator(`#operations-tag-${tag}`).click(RENDER);
  const op = page.locator(`#operations-${tag}-${operationId}`);
  await op.locator('.opblock-summary-control').click(RENDER);
  await op.getByRole('button', { name: 'Try it out' }).click(RENDER);
  return op;
}

describe.skipIf(!hasChromium)('Swagger UI at /docs', () => {
  it('loads without console errors and "Try it out" reaches the API', { timeout: 600_000 }, async () => {
    expect(rig.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(rig.app.config.publicUrl).not.toContain('127.0.0.1');
    const { context, page, problems } = await openPage(rig, VIEWPORTS[0], { dir: 'web-swagger-ui' });
    try {
      await signInWithCookie(rig, context, admin.email);
      const me = await tryOut(page, 'auth', 'getCurrentUser');
      await me.getByRole('button', { name: 'Execute' }).click();
      const status = me.locator('.live-responses-table .response .response-col_status').first();
      await status.waitFor();
      expect((await status.textContent())?.trim()).toBe('200');
      expect(await me.locator('.live-responses-table .microlight').first().textContent()).toContain(
        admin.email,
      );

      const upload = await tryOut(page, 'tasks', 'createTaskAttachment');
      await expect(upload.locator('input[type="file"]').count()).resolves.toBe(1);
      const importClients = await tryOut(page, 'clients', 'importClients');
      await expect(importClients.locator('input[type="file"]').count()).resolves.toBe(1);

      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
