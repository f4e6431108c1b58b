// The web suite of `npm run bench`: the initial JavaScript of the built app (gzipped), and the time
// from navigation to the dashboard's first render in Chromium on localhost, beside the floor of
// the same browser rendering a one-line static page from a bare node:http server.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type Browser, chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'web', 'dist');
const CHROMIUM = process.env.BENCH_CHROMIUM ?? '/usr/bin/chromium';
const LOADS = Number(process.env.BENCH_WEB_LOADS ?? 15);
export const INITIAL_JS_TARGET_KB = 250;

export interface WebBenchTarget {
  baseUrl: string;
  email: string;
  password: string;
}

/** What the browser downloads before the first screen: the entry script and its modulepreloads. */
export function initialAssets(): { js: { file: string; gzipBytes: number }[]; cssGzipBytes: number } {
  const html = readFileSync(path.join(DIST, 'index.html'), 'utf8');
  const refs = [
    ...html.matchAll(/<script[^>]+type="module"[^>]+src="([^"]+)"/g),
    ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g),
  ].map((m) => m[1]!);
  const gz = (ref: string) => gzipSync(readFileSync(path.join(DIST, ref.replace(/^\//, '')))).length;
  const css = [...html.matchAll(/<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"/g)].map((m) => m[1]!);
  return {
    js: [...new Set(refs)].map((file) => ({ file, gzipBytes: gz(file) })),
    cssGzipBytes: css.reduce((sum, ref) => sum + gz(ref), 0),
  };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Milliseconds from navigation start until `selector` is rendered, over fresh (cold-cache) contexts. */
async function timeToRender(
  browser: Browser,
  url: string,
  selector: string,
  prepare?: (ctx: import('playwright-core').BrowserContext) => Promise<void>,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
    await prepare?.(context);
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'commit' });
    await page.waitForSelector(selector, { timeout: 30_000 });
    times.push(await page.evaluate(() => Math.round(performance.now())));
    await context.close();
  }
  return times.sort((a, b) => a - b);
}

export async function runWebBench(target: WebBenchTarget) {
  // Measure the code as it is now.
  const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-web.ts')], {
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error('web build failed');
  const assets = initialAssets();
  const initialJsKb = +(assets.js.reduce((s, a) => s + a.gzipBytes, 0) / 1024).toFixed(1);

  const floorServer = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>floor</title><p id="ready">ready</p>');
  });
  await new Promise<void>((resolve) => floorServer.listen(0, '127.0.0.1', resolve));
  const floorUrl = `http://127.0.0.1:${(floorServer.address() as AddressInfo).port}/`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  try {
    const floor = await timeToRender(browser, floorUrl, '#ready');
    const dashboard = await timeToRender(
      browser,
      `${target.baseUrl}/`,
      '[data-testid="open-tasks"]',
      async (ctx) => {
        const r = await ctx.request.post(`${target.baseUrl}/api/v1/auth/login`, {
          data: { email: target.email, password: target.password, session: 'cookie' },
        });
        if (!r.ok()) throw new Error(`login for the web bench failed: ${r.status()}`);
      },
    );
    const results = {
      initialJs: {
        gzipKb: initialJsKb,
        files: assets.js,
        cssGzipKb: +(assets.cssGzipBytes / 1024).toFixed(1),
        target: `< ${INITIAL_JS_TARGET_KB} KB`,
      },
      dashboardFirstRender: {
        loads: LOADS,
        p50Ms: quantile(dashboard, 0.5),
        p95Ms: quantile(dashboard, 0.95),
        floorP50Ms: quantile(floor, 0.5),
        floorP95Ms: quantile(floor, 0.95),
      },
    };
    const verdicts = { initialJs: initialJsKb < INITIAL_JS_TARGET_KB };
    const d = results.dashboardFirstRender;
    const md = [
      `# Benchmark: web app (${new Date().toISOString()})`,
      '',
      `Chromium (${CHROMIUM}) headless on localhost, ${LOADS} cold loads each (a fresh browser context per load).`,
      '',
      '| measurement | BUL | floor | target | met |',
      '|---|---|---|---|---|',
      `| initial JavaScript (entry + modulepreload), gzipped | ${initialJsKb} KB in ${assets.js.length} files (CSS ${results.initialJs.cssGzipKb} KB) | — | < ${INITIAL_JS_TARGET_KB} KB | ${verdicts.initialJs ? 'yes' : 'NO'} |`,
      `| navigation → dashboard rendered (signed in, data loaded) | p50 ${d.p50Ms} ms, p95 ${d.p95Ms} ms | p50 ${d.floorP50Ms} ms, p95 ${d.floorP95Ms} ms (static one-line page, node:http) | report | — |`,
      '',
    ].join('\n');
    return { results, verdicts, md };
  } finally {
    await browser.close();
    floorServer.close();
  }
}
