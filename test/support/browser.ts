// Browser tests: Debian's Chromium driven by playwright-core against a real BUL listening on a
// real port (with the built web app), plus a console watch that fails on any console error
// except Chromium's "Failed to load resource" notice for HTTP errors the test provokes on purpose.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { STRONG_PASSWORD } from './constants.ts';
import { ROOT } from './process.ts';
import { createTestApp, requirement, type TestApp } from './test-app.ts';
import { ensureWebBuilt } from './web-build.ts';

export const CHROMIUM = '/usr/bin/chromium';
/** Polls in browser tests wait as long as locators do. */
export const POLL = { timeout: 15_000 };
/**
 * How long a full-page screenshot may take: a record of the page, not a check of it, so a machine
 * busy with other test files (seen at 15 s in a full run) must not fail the test that takes it.
 */
export const SCREENSHOT = { timeout: 60_000 };

/** Whether browser tests can run (skips with a reason, or fails under BUL_REQUIRE_ALL=1). */
export function chromiumAvailable(): boolean {
  return requirement(existsSync(CHROMIUM), `Chromium (${CHROMIUM}; Debian package chromium)`);
}

export const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 860, phone: false },
  { name: 'phone', width: 375, height: 740, phone: true },
] as const;
/** A screen size (VIEWPORTS, or a device a test needs). */
export interface Viewport {
  name: string;
  width: number;
  height: number;
  phone: boolean;
}

/** An HTTP error a test causes on purpose (status, and a part of the request path). */
export interface ExpectedHttpError {
  status: number;
  path: string;
}

export interface BrowserRig {
  app: TestApp;
  browser: Browser;
  baseUrl: string;
  close(): Promise<void>;
}

/** Builds the web app if needed, starts BUL (with `env` settings) on a free port and launches Chromium. */
export async function startBrowserRig(env: Record<string, string> = {}): Promise<BrowserRig> {
  ensureWebBuilt();
  const app = await createTestApp(env);
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.app.server.address();
  if (!address || typeof address === 'string') throw new Error('BUL did not listen on a port');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  return {
    app,
    browser,
    baseUrl: `http://127.0.0.1:${address.port}`,
    async close() {
      await browser.close();
      await app.close();
    },
  };
}

/** Opens a browser session for a user in the context (the cookie pair the web app signs in with). */
export async function signInWithCookie(
  rig: BrowserRig,
  context: BrowserContext,
  email: string,
): Promise<void> {
  const res = await context.request.post(`${rig.baseUrl}/api/v1/auth/login`, {
    data: { email, password: STRONG_PASSWORD, session: 'cookie' },
  });
  if (res.status() !== 200) throw new Error(`cookie sign-in failed: ${res.status()} ${await res.text()}`);
}

/** Drags `card` onto `target` with the mouse, centre to centre, in small steps (dnd-kit follows them). */
export async function dragWithMouse(page: Page, card: Locator, target: Locator): Promise<void> {
  const from = (await card.boundingBox())!;
  const to = (await target.boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 12 });
  await page.mouse.up();
}

/**
 * Moves `card` on a board by keyboard: lifts it (Space), presses `key` once per column in `through`
 * (each press awaited until the card is over that column, so the next starts from there), and
 * drops it (Space). Before the first press it waits until the lifted card is over its own column
 * `from` (the board has measured its columns then, and an arrow pressed earlier has no column to
 * go to: seen under load in CI), and then for the page's pending timers: dnd-kit's keyboard sensor
 * starts listening for keys in a setTimeout(0) after the lift, so an arrow pressed before that
 * timer ran was lost (seen on a fast machine, where both waits above were over 14 ms after the
 * lift and the listener came at 16 ms). Timers of equal delay run in the order they were set, so
 * one set now runs after the sensor's.
 */
export async function moveWithKeys(
  page: Page,
  card: Locator,
  move: { from: string; key: 'ArrowLeft' | 'ArrowRight'; through: string[] },
): Promise<void> {
  await card.focus();
  await page.keyboard.press('Space');
  await card.and(page.locator('[aria-pressed="true"]')).waitFor();
  await page.locator(`[data-column="${move.from}"][data-over="true"]`).waitFor();
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
  for (const column of move.through) {
    await page.keyboard.press(move.key);
    await page.locator(`[data-column="${column}"][data-over="true"]`).waitFor();
  }
  await page.keyboard.press('Space');
}

/**
 * Holds the page's requests whose URL matches until `release()` is called, as a slow query or a
 * congested link would. `held` resolves when the first of them has been sent and is waiting.
 * With `failWith`, a released request is answered with that status (a problem) instead of going on
 * to the server. The newest route added wins where several match.
 */
export async function holdRequests(
  page: Page,
  matches: (url: URL) => boolean,
  opts: { failWith?: number } = {},
): Promise<{ held: Promise<void>; release: () => void }> {
  let holding!: () => void;
  const held = new Promise<void>((resolve) => {
    holding = resolve;
  });
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route(matches, async (route) => {
    holding();
    await released;
    if (!opts.failWith) return route.continue();
    return route.fulfill({
      status: opts.failWith,
      contentType: 'application/problem+json',
      body: JSON.stringify({
        type: 'about:blank',
        title: 'Held and failed by the test',
        status: opts.failWith,
      }),
    });
  });
  return { held, release };
}

/**
 * Scrolls so the element sits in the middle of the screen, at once (no smooth scrolling), so that
 * bounding boxes read right after are where the mouse will find them.
 */
export async function centre(locator: Locator): Promise<void> {
  await locator.evaluate((el) =>
    (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({
      block: 'center',
      behavior: 'instant',
    }),
  );
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far (expect it to equal [] at the end). */
  problems: string[];
  /** Saves a full-page screenshot under test-results/<dir>/<viewport>-<name>.png. */
  shot(name: string): Promise<void>;
}

/** A new browser context at a viewport, in a language, with its console watched. */
export async function openPage(
  rig: BrowserRig,
  vp: Viewport,
  opts: { dir: string; locale?: string; expectedHttpErrors?: ExpectedHttpError[] },
): Promise<WatchedPage> {
  const context = await rig.browser.newContext({
    viewport: { width: vp.width, height: vp.height },
    locale: opts.locale ?? 'en-US',
    isMobile: vp.phone,
    hasTouch: vp.phone,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  const expected = opts.expectedHttpErrors ?? [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const where = msg.location().url;
    const status = Number(/status of (\d{3})/.exec(text)?.[1]);
    const allowed = expected.some(
      (e) => text.startsWith('Failed to load resource') && e.status === status && where.includes(e.path),
    );
    if (!allowed) problems.push(`console error: ${text} (${where})`);
  });
  const dir = path.join(ROOT, 'test-results', opts.dir);
  mkdirSync(dir, { recursive: true });
  return {
    context,
    page,
    problems,
    shot: async (name) => {
      await page.screenshot({
        path: path.join(dir, `${vp.name}-${name}.png`),
        fullPage: true,
        ...SCREENSHOT,
      });
    },
  };
}

export interface PageRunOptions {
  viewport?: Viewport;
  /** The browser's locale (default en-US). */
  locale?: string;
  /** The UI language, stored before the app loads (default: what the app picks). */
  language?: string;
  expectedHttpErrors?: ExpectedHttpError[];
}

/**
 * The steps of a browser test file, each on its own page: open a watched page (first viewport by
 * default), set the UI language, sign in by cookie, run the body, save the screenshot `name` (or
 * `name-failure`), expect no console problems, close. `rig` is asked at each run: test files
 * start it in beforeAll.
 */
export function pageRunner(dir: string, rig: () => BrowserRig) {
  return async (
    name: string,
    who: { email: string },
    body: (page: Page) => Promise<void>,
    opts: PageRunOptions = {},
  ): Promise<void> => {
    const r = rig();
    const { context, page, problems, shot } = await openPage(r, opts.viewport ?? VIEWPORTS[0], {
      dir,
      ...(opts.locale ? { locale: opts.locale } : {}),
      ...(opts.expectedHttpErrors ? { expectedHttpErrors: opts.expectedHttpErrors } : {}),
    });
    try {
      if (opts.language)
        await context.addInitScript((l) => localStorage.setItem('bul.language', l), opts.language);
      await signInWithCookie(r, context, who.email);
      await body(page);
      await shot(name);
      expect(problems).toEqual([]);
    } catch (err) {
      await shot(`${name}-failure`).catch(() => {});
      throw err;
    } finally {
      await context.close();
    }
  };
}
