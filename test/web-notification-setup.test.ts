// The notification setup screens in a real Chromium against a real BUL: an org admin sets up a
// Slack channel pointing at a local chat peer and sends a test from the page (the peer receives it,
// the page says the provider accepted it, and the stored webhook URL is never shown again); edits
// the Spanish e-mail template of task.assigned with a syntax error (its line shows beside the
// body), fixes it, saves and publishes it (v1 published in the versions list); a member sets quiet
// hours and a time zone and turns e-mail off for one event type, and after a reload the choices
// are still there; the pages render in Spanish and Brazilian Portuguese without a message key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationSetupMessages } from '../web/src/i18n/areas/notificationSetup.ts';
import { en } from '../web/src/i18n/en.ts';
import {
  type BrowserRig,
  chromiumAvailable,
  openPage,
  POLL,
  signInWithCookie,
  startBrowserRig,
  VIEWPORTS,
} from './support/browser.ts';
import { type ChatPeer, startChatPeer } from './support/providers/chat.ts';
import { addMember, type Session, signUp, uniqueEmail } from './support/test-app.ts';

const hasChromium = chromiumAvailable();
const desktop = VIEWPORTS[0];
let rig: BrowserRig;
let peer: ChatPeer;
let admin: Session;

/** Every message key of the English catalogue, e.g. `notificationSetup.channels.title`. */
function messageKeys(tree: object, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) =>
    typeof v === 'string' ? [`${prefix}${k}`] : messageKeys(v as object, `${prefix}${k}.`),
  );
}
const KEYS = messageKeys(en).filter((k) => k.includes('.'));

beforeAll(async () => {
  if (!hasChromium) return;
  rig = await startBrowserRig({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  peer = await startChatPeer();
  admin = await signUp(rig.app, { email: uniqueEmail('notify-admin'), orgName: 'Avisos' });
}, 180_000);

afterAll(async () => {
  await peer?.close();
  await rig?.close();
});

const api = async (who: Session, method: 'GET' | 'POST', url: string, payload?: object) => {
  const r = await rig.app.request({ method, url: `/api/v1${url}`, headers: who.headers, payload });
  return r.json();
};

describe.skipIf(!hasChromium)('notification setup screens in Chromium', () => {
  it('sets up a Slack channel and sends a test that the chat peer receives', {
    timeout: 120_000,
  }, async () => {
    const { context, page, problems, shot } = await openPage(rig, desktop, { dir: 'web-notification-setup' });
    try {
      await signInWithCookie(rig, context, admin.email);
      await page.goto(`${rig.baseUrl}/`);
      await page.getByRole('navigation').getByRole('link', { name: 'Channels', exact: true }).click();
      await page.getByRole('heading', { name: 'Notification channels', level: 2 }).waitFor();

      await page.getByRole('button', { name: 'Add channel' }).click();
      const form = page.getByRole('form', { name: 'New channel' });
      await form.getByRole('combobox', { name: 'Kind' }).click();
      await page.getByRole('option', { name: 'Slack', exact: true }).click();
      await form.getByRole('textbox', { name: 'Name' }).fill('Team Slack');
      await form.getByLabel('Webhook URL').fill(peer.slackUrl);
      await form.getByRole('button', { name: 'Add channel' }).click();
      await form.waitFor({ state: 'detached' });
      const row = page.locator('tr[data-channel="Team Slack"]');
      await row.waitFor();
      // Write-only: the stored URL is never on the page again.
      expect(await page.content()).not.toContain(peer.slackUrl);

      await row.getByRole('button', { name: 'Send test' }).click();
      const dialog = page.getByRole('dialog', { name: 'Send a test through Team Slack' });
      await dialog.getByText('The test goes to the URL in the channel’s settings.').waitFor();
      await dialog.getByRole('button', { name: 'Send test' }).click();
      const result = dialog.getByTestId('channel-test-result');
      await result.getByText('The provider accepted the test').waitFor();
      await result.getByText('Sent', { exact: true }).waitFor();
      await result.getByText('Status 200').waitFor();
      const received = peer.requests.filter((r) => r.service === 'slack');
      expect(received).toHaveLength(1);
      expect(JSON.stringify(received[0]!.json)).toContain('Test message from Avisos');
      await shot('01-test-sent');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });

      // Editing shows the credential as set, with a button to replace it, never its value.
      await row.getByRole('button', { name: 'Edit Team Slack' }).click();
      const edit = page.getByRole('form', { name: 'Change channel' });
      await edit.getByText('Set', { exact: true }).waitFor();
      await edit.getByRole('button', { name: 'Replace Webhook URL' }).waitFor();
      expect(await page.content()).not.toContain(peer.slackUrl);
      expect(problems).toEqual([]);
    } catch (err) {
      await shot('failure').catch(() => {});
      throw err;
    } finally {
      await context.close();
    }
  });

  it('shows a template error beside the body, then saves and publishes v1', {
    timeout: 120_000,
  }, async () => {
    const { context, page, problems, shot } = await openPage(rig, desktop, {
      dir: 'web-notification-setup',
      // The live preview of the broken template answers 400 on purpose.
      expectedHttpErrors: [{ status: 400, path: '/api/v1/notifications/templates/preview' }],
    });
    try {
      await signInWithCookie(rig, context, admin.email);
      await page.goto(`${rig.baseUrl}/`);
      await page.getByRole('navigation').getByRole('link', { name: 'Templates', exact: true }).click();
      await page.getByRole('heading', { name: 'Notification templates', level: 2 }).waitFor();
      await page.locator('main').getByRole('combobox', { name: 'Event type' }).fill('task.assigned');
      await page.getByRole('option', { name: 'task.assigned', exact: true }).click();
      await page.locator('main').getByRole('combobox', { name: 'Channel' }).click();
      await page.getByRole('option', { name: 'E-mail', exact: true }).click();
      await page.locator('main').getByRole('combobox', { name: 'Language' }).click();
      await page.getByRole('option', { name: 'Español', exact: true }).click();
      // The built-in text is held back on the network for a moment: until it is in, the fields
      // wait (text arriving while someone types would land in front of what they typed; CI saw it).
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      await page.route('**/api/v1/notifications/templates/builtin?*', async (route) => {
        await held;
        await route.continue();
      });
      await page.getByRole('button', { name: 'Open template' }).click();
      await page.getByRole('heading', { name: 'Edit template', level: 2 }).waitFor();
      await page.getByText('task.assigned · E-mail · Español').waitFor();

      const body = page.getByRole('textbox', { name: 'Body' });
      const subject = page.getByRole('textbox', { name: 'Subject' });
      expect(await subject.isDisabled()).toBe(true);
      expect(await body.isDisabled()).toBe(true);
      release();
      await expect.poll(() => subject.inputValue(), POLL).toMatch(/^Tarea asignada/);
      expect(await body.isDisabled()).toBe(false);
      await page.unroute('**/api/v1/notifications/templates/builtin?*');
      await subject.fill('Nueva tarea para {{ recipient.name }}');
      await body.fill('Hola {{ recipient.name }}:\nTienes la tarea {{ payload.title');
      // The problem, with its line, is the body's own description (beside the field).
      // Read in one go in the page: a locator per id would wait (15 s) for an id the re-rendered
      // field no longer has.
      const describedBy = () =>
        body.evaluate((el) =>
          (el.getAttribute('aria-describedby') ?? '')
            .split(/\s+/)
            .filter(Boolean)
            .map((id: string) => el.ownerDocument.getElementById(id)?.textContent ?? '')
            .join(' '),
        );
      await expect.poll(describedBy, POLL).toMatch(/Line 2, column \d+/);
      expect(await body.getAttribute('aria-invalid')).toBe('true');
      await page.getByTestId('template-preview-error').waitFor();
      await shot('02-template-error');

      // A variable clicked goes in at the cursor (the end of the body here).
      await body.fill('Hola {{ recipient.name }}:\nTienes una tarea nueva: ');
      await body.press('End');
      await body.press('Control+End');
      await page.getByRole('button', { name: 'Insert recipient.email' }).click();
      await expect
        .poll(() => body.inputValue(), POLL)
        .toBe('Hola {{ recipient.name }}:\nTienes una tarea nueva: {{ recipient.email }}');
      // The corrected body's preview (debounced, then rendered by the server). On a loaded CI machine
      // (two browser files and the suite's databases on two cores) it was seen to take over 15 s,
      // the failure screenshot then showing it done: a longer deadline, not a different outcome.
      const SLOW = { timeout: 45_000 };
      await expect.poll(describedBy, SLOW).not.toMatch(/Line \d/);
      const preview = page.getByTestId('template-preview');
      await preview
        .getByText(/^Subject: Nueva tarea para \S/)
        .waitFor(SLOW)
        .catch(async (error: Error) => {
          // What the preview card showed instead (a landing CI run once timed out here, unexplained).
          const card = await page
            .locator('main')
            .textContent({ timeout: 1000 })
            .catch(() => '?');
          throw new Error(`${error.message}\nThe page showed:\n${(card ?? '').slice(-1500)}`);
        });
      await page
        .frameLocator('iframe[title="E-mail preview"]')
        .getByText(/Tienes una tarea nueva/)
        .waitFor();

      await page.getByRole('textbox', { name: 'Note' }).fill('Primera versión');
      expect(await page.getByRole('checkbox', { name: 'Publish this version now' }).isChecked()).toBe(true);
      await page.getByRole('button', { name: 'Save as a new version' }).click();
      await page.getByText('Saved as v1').waitFor();
      const v1 = page.getByTestId('template-versions').locator('tr[data-version="1"]');
      await v1.getByText('Published', { exact: true }).waitFor();
      await v1.getByText('Primera versión').waitFor();
      await v1.getByRole('button', { name: 'Unpublish' }).waitFor();
      await shot('03-template-published');

      const list = await api(admin, 'GET', '/notifications/templates?eventType=task.assigned');
      const entry = list.items.find(
        (i: { channel: string; language: string }) => i.channel === 'email' && i.language === 'es',
      );
      expect(entry).toMatchObject({ source: 'organization', publishedVersion: 1, latestVersion: 1 });
      const stored = await api(admin, 'GET', `/notifications/templates/${entry.templateId}`);
      expect(stored.versions[0]).toMatchObject({
        number: 1,
        note: 'Primera versión',
        subject: 'Nueva tarea para {{ recipient.name }}',
        body: 'Hola {{ recipient.name }}:\nTienes una tarea nueva: {{ recipient.email }}',
        published: true,
      });
      expect(problems).toEqual([]);
    } catch (err) {
      await shot('failure').catch(() => {});
      throw err;
    } finally {
      await context.close();
    }
  });

  it('keeps a member’s quiet hours, time zone and e-mail choice after a reload', {
    timeout: 120_000,
  }, async () => {
    const member = await addMember(rig.app, admin, 'user');
    const { context, page, problems, shot } = await openPage(rig, desktop, { dir: 'web-notification-setup' });
    try {
      await signInWithCookie(rig, context, member.email);
      await page.goto(`${rig.baseUrl}/`);
      const nav = page.getByRole('navigation');
      await nav.getByRole('link', { name: 'My notifications' }).click();
      await page.getByRole('heading', { name: 'My notifications', level: 2 }).waitFor();
      // A member without notifications:manage sees only their own page in this section.
      expect(await nav.getByRole('link', { name: 'Channels', exact: true }).count()).toBe(0);

      const commentEmail = page.getByRole('switch', { name: 'comment.added by E-mail' });
      expect(await commentEmail.isChecked()).toBe(true);
      const saved = page.waitForResponse(
        (r) => r.url().endsWith('/api/v1/me/notifications/preferences') && r.request().method() === 'PUT',
      );
      await commentEmail.click({ force: true });
      expect((await saved).status()).toBe(200);

      await page.getByRole('combobox', { name: 'Time zone' }).fill('Madrid');
      await page.getByRole('option', { name: 'Europe/Madrid', exact: true }).click();
      await page.getByRole('switch', { name: 'Quiet hours' }).click({ force: true });
      await page.getByLabel('From', { exact: true }).fill('21:30');
      await page.getByLabel('Until', { exact: true }).fill('06:45');
      await page
        .getByRole('form', { name: 'Time zone and quiet hours' })
        .getByRole('button', { name: 'Save' })
        .click();
      await page.getByText('Saved', { exact: true }).waitFor();
      await shot('04-preferences');

      await page.reload();
      await page.getByRole('heading', { name: 'My notifications', level: 2 }).waitFor();
      const afterReload = page.getByRole('switch', { name: 'comment.added by E-mail' });
      await expect.poll(() => afterReload.isChecked(), POLL).toBe(false);
      expect(await page.getByRole('switch', { name: 'task.assigned by E-mail' }).isChecked()).toBe(true);
      expect(await page.getByRole('switch', { name: 'comment.added by In-app' }).isChecked()).toBe(true);
      await expect.poll(() => page.getByLabel('From', { exact: true }).inputValue(), POLL).toBe('21:30');
      expect(await page.getByLabel('Until', { exact: true }).inputValue()).toBe('06:45');
      expect(await page.getByRole('combobox', { name: 'Time zone' }).inputValue()).toBe('Europe/Madrid');

      const prefs = await api(member, 'GET', '/me/notifications/preferences');
      expect(prefs.items).toEqual([{ eventType: 'comment.added', channel: 'email', enabled: false }]);
      expect(await api(member, 'GET', '/me/notifications/settings')).toEqual({
        timeZone: 'Europe/Madrid',
        quietHours: { start: '21:30', end: '06:45' },
      });
      expect(problems).toEqual([]);
    } catch (err) {
      await shot('failure').catch(() => {});
      throw err;
    } finally {
      await context.close();
    }
  });

  for (const lang of ['es', 'pt-BR'] as const) {
    it(`renders the notification pages in ${lang} without message keys`, { timeout: 120_000 }, async () => {
      const m = lang === 'es' ? notificationSetupMessages.es : notificationSetupMessages.ptBR;
      const { context, page, problems, shot } = await openPage(rig, desktop, {
        dir: 'web-notification-setup',
      });
      try {
        // Top frame only: the e-mail preview is a sandboxed frame without storage.
        await context.addInitScript({
          content: `if (window === window.top) localStorage.setItem('bul.language', ${JSON.stringify(lang)});`,
        });
        await signInWithCookie(rig, context, admin.email);
        const pages = [
          { path: '/notifications/preferences', heading: m.prefs.title },
          { path: '/notifications/setup/channels', heading: m.channels.title },
          { path: '/notifications/setup/templates', heading: m.templates.title },
          { path: '/notifications/setup/templates/task.assigned/email/es', heading: m.templates.editorTitle },
          { path: '/notifications/setup/rules', heading: m.rules.title },
          { path: '/notifications/setup/analytics', heading: m.analytics.title },
        ];
        for (const p of pages) {
          await page.goto(`${rig.baseUrl}${p.path}`);
          await page.getByRole('heading', { name: p.heading, level: 2 }).waitFor();
          await page.waitForLoadState('networkidle');
          const text = (await page.locator('main').textContent()) ?? '';
          expect(
            KEYS.filter((k) => text.includes(k)),
            `${p.path} shows message keys`,
          ).toEqual([]);
          expect(text).not.toContain('notificationSetup.');
          await shot(`${lang}${p.path.replace(/\//g, '-')}`);
        }
        // The navigation section is translated too.
        await page.getByRole('navigation').getByText(m.nav.section, { exact: true }).waitFor();
        expect(problems).toEqual([]);
      } catch (err) {
        await shot(`${lang}-failure`).catch(() => {});
        throw err;
      } finally {
        await context.close();
      }
    });
  }
});
