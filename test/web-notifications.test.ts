// The notification screens (issue 16, part 6) in a real Chromium against a real BUL, with the
// worker's event dispatch and the notification delivery runner running in-test and a local SMTP
// relay: (a) an admin sends a message to members from the Send page (a template error first,
// shown beside the body with its line and column); a member's bell, open in another browser
// context, shows 1 unread without a reload, its popover lists the message, "mark all read" clears
// the count; the batch summary follows the sends until they settle. (b) The delivery log lists
// the notifications with their statuses, filters by channel, shows a notification's attempts in
// its drawer, and replays a failed one (a second attempt); a broadcast rings the sender's own
// bell. (c) The inbox, the log, the send page and the bell in Spanish and Brazilian Portuguese,
// with no message key showing.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../web/src/i18n/en.ts';
import { es } from '../web/src/i18n/es.ts';
import { ptBR } from '../web/src/i18n/pt-BR.ts';
import {
  type BrowserRig,
  chromiumAvailable,
  openPage,
  POLL,
  signInWithCookie,
  startBrowserRig,
  VIEWPORTS,
} from './support/browser.ts';
import { composeWorker, startEvents, startLoop } from './support/event-worker-inline.ts';
import { type SmtpPeer, startSmtpPeer } from './support/providers/smtp.ts';
import { addMember, type Session, signUp, uniqueEmail } from './support/test-app.ts';

const hasChromium = chromiumAvailable();
const [DESKTOP] = VIEWPORTS;

let rig: BrowserRig;
let smtp: SmtpPeer;
let admin: Session;
let member: Session;
/** A member whose mailbox the relay refuses (550): their e-mail fails for good. */
let unreachable: Session;
const stops: (() => Promise<void>)[] = [];
const unreachableEmail = uniqueEmail('nomailbox');

beforeAll(async () => {
  if (!hasChromium) return;
  smtp = await startSmtpPeer({ unknownMailboxes: [unreachableEmail] });
  rig = await startBrowserRig({
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    SMTP_FROM: 'BUL Notifications <bul@example.test>',
  });
  const composition = await composeWorker(rig.app);
  stops.push(await startEvents(rig.app, composition));
  stops.push(await startLoop(composition, 'notification-delivery'));
  admin = await signUp(rig.app, { name: 'Ana Admin', orgName: 'Notify UI' });
  member = await addMember(rig.app, admin, 'developer');
  unreachable = await addMember(rig.app, admin, 'manager', unreachableEmail);
}, 180_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await rig?.close();
  await smtp?.close();
});

/** `/api/v1${url}` as a session, expecting success. */
async function api(s: Session, method: 'GET' | 'POST', url: string, payload?: object) {
  const res = await rig.app.request({
    method,
    url: `/api/v1${url}`,
    headers: s.headers,
    ...(payload ? { payload: payload as Record<string, unknown> } : {}),
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** Resolves once the page's /ws socket said ready (events committed from now on reach it). */
function wsReady(page: Page): Promise<void> {
  return new Promise((resolve) => {
    page.on('websocket', (socket) => {
      if (!new URL(socket.url()).pathname.startsWith('/ws')) return;
      socket.on('framereceived', (f) => {
        if (typeof f.payload === 'string' && JSON.parse(f.payload).type === 'ready') resolve();
      });
    });
  });
}

interface LogItem {
  id: string;
  channel: string;
  status: string;
  recipientUserId: string | null;
  attemptCount: number;
}
const log = async (): Promise<LogItem[]> =>
  (await api(admin, 'GET', '/notifications/deliveries?limit=100')).items;

describe.skipIf(!hasChromium)('notification screens in Chromium', () => {
  it('sends from the Send page, rings the member’s bell live, and shows the delivery log', {
    timeout: 180_000,
  }, async () => {
    const memberTab = await openPage(rig, DESKTOP, { dir: 'web-notifications' });
    const adminTab = await openPage(rig, DESKTOP, {
      dir: 'web-notifications',
      // The first send carries a template error on purpose.
      expectedHttpErrors: [{ status: 400, path: '/api/v1/notifications/send' }],
    });
    try {
      // The member's tab is open on another page, connected to /ws.
      await signInWithCookie(rig, memberTab.context, member.email);
      const ready = wsReady(memberTab.page);
      await memberTab.page.goto(`${rig.baseUrl}/projects`);
      await ready;
      const bell = memberTab.page.getByRole('button', { name: /^Notifications/ });
      await expect.poll(() => bell.getAttribute('aria-label'), POLL).toBe('Notifications');
      // Marks this document: a reload would lose it.
      await memberTab.page.evaluate(() => {
        (globalThis as unknown as { stayed: boolean }).stayed = true;
      });

      // The admin sends from the Send page, reached through the navigation.
      const page = adminTab.page;
      await signInWithCookie(rig, adminTab.context, admin.email);
      await page.goto(`${rig.baseUrl}/`);
      await page.getByRole('navigation').getByRole('link', { name: 'Send a notification' }).click();
      await page.getByRole('heading', { name: 'Send a notification', level: 2 }).waitFor();
      const form = page.getByRole('form', { name: 'Send a notification' });
      for (const name of ['Member developer', 'Member manager']) {
        await form.getByRole('combobox', { name: 'Add a member' }).click();
        await form.getByRole('combobox', { name: 'Add a member' }).fill(name);
        await page.getByRole('option', { name, exact: true }).click();
        await form.getByTestId('chosen-members').getByText(name).waitFor();
      }
      await form.getByRole('checkbox', { name: 'E-mail' }).check();
      expect(await form.getByRole('checkbox', { name: 'In-app' }).isChecked()).toBe(true);
      await form.getByRole('textbox', { name: 'Subject' }).fill('Site visit moved');
      const body = form.getByRole('textbox', { name: 'Message' });
      await body.fill('Hello {{ recipient.name');
      await form.getByRole('button', { name: 'Send', exact: true }).click();
      // The server's template error, beside the body, naming line and column.
      await expect.poll(() => body.getAttribute('aria-invalid'), POLL).toBe('true');
      const bodyError = page.locator(`#${await body.getAttribute('id')}-error`);
      expect(await bodyError.textContent()).toMatch(/^Line 1, column \d+/);
      await adminTab.shot('01-template-error');

      await body.fill('Hello {{ recipient.name }}, the visit is on Friday.');
      await form.getByRole('button', { name: 'Send', exact: true }).click();
      const summary = page.getByTestId('batch-summary');
      await summary.getByText('Notifications: 4').waitFor();

      // The member's bell rings without a reload; the popover lists the message.
      await expect.poll(() => bell.getAttribute('aria-label'), POLL).toBe('Notifications: 1 unread');
      expect(
        await memberTab.page.evaluate(() => (globalThis as unknown as { stayed?: boolean }).stayed),
      ).toBe(true);
      await bell.click();
      const popover = memberTab.page.getByTestId('notification-popover');
      const item = popover.getByTestId('notification-item');
      await item.getByText('Site visit moved').waitFor();
      await item.getByText('Hello Member developer, the visit is on Friday.').waitFor();
      expect(await item.count()).toBe(1);
      expect(await item.getAttribute('data-unread')).toBe('true');
      await memberTab.shot('02-bell');
      await popover.getByRole('button', { name: 'Mark all read' }).click();
      await expect.poll(() => bell.getAttribute('aria-label'), POLL).toBe('Notifications');
      await expect.poll(() => item.getAttribute('data-unread'), POLL).toBe('false');
      expect((await api(member, 'GET', '/me/notifications/unread-count')).unread).toBe(0);
      // The inbox page, from the popover's link, lists it read.
      await popover.getByRole('link', { name: 'See all notifications' }).click();
      await memberTab.page.getByRole('heading', { name: 'Notifications', level: 2 }).waitFor();
      const inboxItem = memberTab.page.getByTestId('inbox-list').getByTestId('notification-item');
      await inboxItem.getByText('Site visit moved').waitFor();
      expect(await inboxItem.getAttribute('data-unread')).toBe('false');

      // The batch summary follows the e-mails until nothing is queued or sending.
      await expect.poll(() => summary.getAttribute('data-settled'), POLL).toBe('true');
      await summary.getByTestId('batch-count-delivered').waitFor();
      await summary.getByTestId('batch-count-sent').waitFor();
      await summary.getByTestId('batch-count-failed').waitFor();
      await adminTab.shot('03-batch');

      // (b) The delivery log: each notification with its status.
      const sent = await log();
      expect(sent).toHaveLength(4);
      const mailTo = (s: Session) =>
        sent.find((n) => n.channel === 'email' && n.recipientUserId === s.userId)!;
      expect(mailTo(member).status).toBe('sent');
      expect(mailTo(unreachable).status).toBe('failed');
      await page.getByRole('link', { name: 'See them in the log' }).click();
      await page.getByRole('heading', { name: 'Notification log', level: 2 }).waitFor();
      const rows = page.locator('tr[data-notification]');
      await expect.poll(() => rows.count(), POLL).toBe(4);
      for (const n of sent) {
        expect(await page.locator(`tr[data-notification="${n.id}"]`).getAttribute('data-status')).toBe(
          n.status,
        );
      }
      await page
        .locator(`tr[data-notification="${mailTo(member).id}"]`)
        .getByTestId('delivery-status')
        .getByText('Sent')
        .waitFor();

      // Filtered by channel: the e-mails only.
      await page.getByRole('combobox', { name: 'Channel' }).click();
      await page.getByRole('option', { name: 'E-mail', exact: true }).click();
      await expect.poll(() => rows.count(), POLL).toBe(2);
      await adminTab.shot('04-log');

      // The detail of the sent e-mail: one attempt, sent.
      await page.getByRole('button', { name: 'Details of the notification to Member developer' }).click();
      const detail = page.getByTestId('delivery-detail');
      await detail.getByText('Hello Member developer, the visit is on Friday.').waitFor();
      const attempts = detail.getByTestId('delivery-attempts').locator('tbody tr');
      await expect.poll(() => attempts.count(), POLL).toBe(1);
      await attempts.first().getByText('Sent', { exact: true }).waitFor();
      await adminTab.shot('05-detail');
      await page.keyboard.press('Escape');
      await detail.waitFor({ state: 'detached' });

      // The failed one (550): its attempt says rejected, and Replay sends it again.
      const failed = mailTo(unreachable);
      await page.getByRole('button', { name: 'Details of the notification to Member manager' }).click();
      await detail.getByTestId('delivery-attempts').getByText('Rejected').waitFor();
      await detail
        .getByTestId('delivery-attempts')
        .getByRole('cell', { name: '550', exact: true })
        .first()
        .waitFor();
      await page.keyboard.press('Escape');
      await detail.waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'Replay the notification to Member manager' }).click();
      await expect
        .poll(async () => (await log()).find((n) => n.id === failed.id)!.attemptCount, POLL)
        .toBe(2);
      await expect
        .poll(async () => (await log()).find((n) => n.id === failed.id)!.status, POLL)
        .toBe('failed');
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.getByRole('button', { name: 'Details of the notification to Member manager' }).click();
      await expect.poll(() => attempts.count(), POLL).toBe(2);
      await page.keyboard.press('Escape');
      await detail.waitFor({ state: 'detached' });

      // A broadcast to the whole organization, in-app: three members, the admin among them, whose
      // own bell rings.
      await page.getByRole('navigation').getByRole('link', { name: 'Send a notification' }).click();
      await form.getByRole('radio', { name: 'Whole organization' }).check();
      await form.getByRole('textbox', { name: 'Subject' }).fill('Office closed Monday');
      await form.getByRole('textbox', { name: 'Message' }).fill('The office is closed on Monday.');
      await form.getByRole('button', { name: 'Send', exact: true }).click();
      await page.getByTestId('batch-summary').getByText('Notifications: 3').waitFor();
      await expect
        .poll(() => page.getByRole('button', { name: /^Notifications/ }).getAttribute('aria-label'), POLL)
        .toBe('Notifications: 1 unread');

      expect(memberTab.problems).toEqual([]);
      expect(adminTab.problems).toEqual([]);
    } finally {
      await memberTab.context.close();
      await adminTab.context.close();
    }
  });

  /** Every message key of the English catalogue, e.g. `notifications.status.queued`. */
  function messageKeys(tree: object, prefix = ''): string[] {
    return Object.entries(tree).flatMap(([k, v]) =>
      typeof v === 'string' ? [`${prefix}${k}`] : messageKeys(v as object, `${prefix}${k}.`),
    );
  }
  const KEYS = messageKeys(en).filter((k) => k.includes('.'));

  for (const [lang, catalogue] of [
    ['es', es],
    ['pt-BR', ptBR],
  ] as const) {
    it(`shows the notification pages and the bell in ${lang}`, { timeout: 120_000 }, async () => {
      const { context, page, problems, shot } = await openPage(rig, DESKTOP, { dir: 'web-notifications' });
      try {
        await context.addInitScript((l) => localStorage.setItem('bul.language', l), lang);
        await signInWithCookie(rig, context, admin.email);
        const m = catalogue.notifications;
        for (const [path, heading] of [
          ['/notifications', m.inbox.title],
          ['/admin/notifications/deliveries', m.log.title],
          ['/admin/notifications/send', m.send.title],
        ] as const) {
          await page.goto(`${rig.baseUrl}${path}`);
          await page.getByRole('heading', { name: heading, level: 2 }).waitFor();
          await page.waitForLoadState('networkidle');
          const text = (await page.locator('main').textContent()) ?? '';
          expect(
            KEYS.filter((k) => text.includes(k)),
            `${path} shows message keys`,
          ).toEqual([]);
          await shot(`${lang}${path.replace(/\//g, '-')}`);
        }
        // The send page's labels are the language's.
        await page.getByRole('checkbox', { name: m.channel.in_app }).waitFor();
        await page.getByRole('button', { name: m.send.submit, exact: true }).waitFor();
        // The bell and its popover.
        // (Its label counts the admin's unread notifications when there are any.)
        await page.getByRole('button', { name: new RegExp(`^${m.bell.label}`) }).click();
        const popover = page.getByTestId('notification-popover');
        await popover.getByRole('link', { name: m.bell.seeAll }).waitFor();
        const text = (await popover.textContent()) ?? '';
        expect(text).toContain(m.markAllRead);
        expect(KEYS.filter((k) => text.includes(k))).toEqual([]);
      } finally {
        await context.close();
      }
      expect(problems).toEqual([]);
    });
  }
});
