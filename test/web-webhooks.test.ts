// The webhook screens in a real Chromium against a real BUL: an org admin registers an endpoint (a
// local sink) for task.created, sees the signing secret once and copies it; a domain event is
// delivered by the job worker, signed so that the sink verifies it with that secret; the endpoint's
// deliveries page shows the delivery and its attempt, and Resend sends it again (attempt 2); back on
// the list, the endpoint is disabled with its switch, given another event type, and deleted.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookJobs } from '../src/modules/webhooks/jobs.ts';
import type { DomainEvent } from '../src/modules/webhooks/service.ts';
import { newId } from '../src/platform/db/ids.ts';
import { Db } from '../src/platform/db/transaction.ts';
import { type JobRunner, startWorker } from '../src/platform/jobs/worker.ts';
import {
  type BrowserRig,
  chromiumAvailable,
  openPage,
  signInWithCookie,
  startBrowserRig,
  VIEWPORTS,
} from './support/browser.ts';
import { signUp, uniqueEmail } from './support/test-app.ts';
import { type Sink, startSink } from './support/webhook-sink.ts';

const hasChromium = chromiumAvailable();
let rig: BrowserRig;
let worker: JobRunner;
let sink: Sink;

beforeAll(async () => {
  if (!hasChromium) return;
  rig = await startBrowserRig({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  worker = await startWorker({
    pool: rig.app.pool,
    jobs: webhookJobs(rig.app.services.webhooks),
    concurrency: 1,
    log: pino({ level: 'silent' }),
  });
  sink = await startSink();
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await sink?.close();
  await rig?.close();
});

describe.skipIf(!hasChromium)('webhook screens in Chromium', () => {
  for (const vp of VIEWPORTS) {
    it(`creates an endpoint, shows its secret once, and shows a delivery with its attempts at ${vp.name} width`, {
      timeout: 120_000,
    }, async () => {
      const email = uniqueEmail('hooks');
      const admin = await signUp(rig.app, { email, orgName: 'Hooks UI' });
      const { context, page, problems, shot } = await openPage(rig, vp, { dir: 'web-webhooks' });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: rig.baseUrl });
      try {
        await signInWithCookie(rig, context, email);
        await page.goto(`${rig.baseUrl}/`);
        if (vp.phone) await page.getByRole('button', { name: 'Menu' }).click();
        await page.getByRole('navigation').getByRole('link', { name: 'Webhooks', exact: true }).click();
        await page.getByRole('heading', { name: 'Webhooks', level: 2 }).waitFor();

        const form = page.getByRole('form', { name: 'New endpoint' });
        await form.getByRole('textbox', { name: 'URL' }).fill(sink.url);
        await form.getByLabel('Events').click();
        await page.getByRole('option', { name: 'task.created', exact: true }).click();
        await page.keyboard.press('Escape');
        await form.getByRole('button', { name: 'Add endpoint' }).click();
        const secretBox = page.getByTestId('webhook-secret');
        await secretBox.waitFor();
        const secret = (await secretBox.textContent())!.trim();
        expect(secret).toMatch(/^whsec_/);
        sink.secret = secret;
        await page.getByRole('button', { name: 'Copy', exact: true }).click();
        await page.getByRole('button', { name: 'Copied', exact: true }).waitFor();
        await page.getByTestId('webhooks-table').getByText(sink.url).waitFor();
        await shot('01-endpoint');
        await page.getByRole('button', { name: 'I have stored it' }).click();
        await secretBox.waitFor({ state: 'detached' });
        expect(await page.content()).not.toContain(secret);

        // A domain event of the shared shape, handed to the webhooks handler as the dispatcher will.
        const event: DomainEvent = {
          id: newId(),
          type: 'task.created',
          orgId: admin.orgId,
          occurredAt: new Date().toISOString(),
          actor: { type: 'user', id: admin.userId },
          payload: { id: newId(), title: 'Wire the webhook' },
        };
        await new Db(rig.app.pool).transaction({ orgId: admin.orgId, userId: null }, (tx) =>
          rig.app.services.webhooks.enqueueFor(tx, event),
        );

        await page.getByRole('link', { name: 'Deliveries', exact: true }).click();
        await page.getByRole('heading', { name: `Deliveries to ${sink.url}` }).waitFor();
        const card = page.getByTestId('webhook-delivery').first();
        const delivered = () =>
          card
            .getByText('Delivered')
            .isVisible()
            .catch(() => false);
        /** Clicks Refresh until `done`, for at most a minute (the worker sends in the background). */
        const refreshUntil = async (done: () => Promise<boolean>) => {
          const deadline = Date.now() + 60_000;
          while (!(await done()) && Date.now() < deadline) {
            await page.getByRole('button', { name: 'Refresh' }).click();
            await page.waitForTimeout(250);
          }
        };
        // The worker sends it; Refresh until the page shows it delivered.
        await refreshUntil(delivered);
        await card.getByText('Delivered').waitFor();
        await card.getByText('task.created').waitFor();
        await card.getByText(event.id).waitFor();
        await card.getByRole('cell', { name: '200' }).waitFor();
        const mine = () => sink.requests.filter((r) => r.headers['webhook-id'] === event.id);
        expect(mine()).toHaveLength(1);
        expect(mine()[0]!.verifyError).toBeNull();
        await shot('02-delivered');

        await card.getByRole('button', { name: 'Resend the task.created event' }).click();
        // Until both the second attempt and the delivery's status are in.
        await refreshUntil(async () => (await card.getByRole('row').count()) >= 3 && (await delivered()));
        expect(await card.getByRole('row').count()).toBe(3); // header + two attempts
        await card.getByText('Delivered').waitFor();
        expect(mine()).toHaveLength(2);
        await shot('03-resent');
        // Nothing (a long URL in the heading) makes the page wider than the screen.
        expect(await page.locator('html').evaluate((el) => el.scrollWidth)).toBeLessThanOrEqual(vp.width);

        // Back on the list: disable it, add an event type, then delete it.
        await page.getByRole('link', { name: '← Webhooks' }).click();
        const table = page.getByTestId('webhooks-table');
        await table.getByText(sink.url).waitFor();
        await page.getByRole('switch', { name: `Enabled: ${sink.url}` }).click();
        await table.getByText('Disabled', { exact: true }).waitFor();
        const endpointNow = async () =>
          (
            await rig.app.request({
              method: 'GET',
              url: '/api/v1/webhooks/endpoints',
              headers: admin.headers,
            })
          ).json().items[0] as { enabled: boolean; events: string[]; disabledReason: string | null };
        expect(await endpointNow()).toMatchObject({ enabled: false, disabledReason: 'manual' });
        await table.getByRole('button', { name: 'Edit', exact: true }).click();
        const editForm = page.getByRole('form', { name: 'Change endpoint' });
        await editForm.getByLabel('Events').click();
        await page.getByRole('option', { name: 'task.updated', exact: true }).click();
        await page.keyboard.press('Escape');
        await editForm.getByRole('button', { name: 'Save' }).click();
        await table.getByText('task.updated').waitFor();
        expect((await endpointNow()).events).toEqual(['task.created', 'task.updated']);
        await table.getByRole('button', { name: `Delete the endpoint ${sink.url}` }).click();
        await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
        await page.getByText('No webhook endpoints yet.').waitFor();
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});
