// `bul start` in a real terminal (a pseudo-terminal made by util-linux `script`): one human line per
// event rather than JSON, no line per request at the default level (one at debug), a banner that
// sends a newcomer to the sign-up page, and Ctrl-C typed into the terminal stops BUL cleanly.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, it } from 'vitest';
import { startBanner } from '../src/cli/start.ts';
import { loadConfig } from '../src/config.ts';
import { STRONG_PASSWORD, TEST_MASTER_KEY } from './support/constants.ts';
import {
  bulEnv,
  cleanupProcesses,
  freePort,
  httpRequest,
  makeDataDir,
  ROOT,
  waitForHealth,
} from './support/process.ts';
import {
  createTestDatabase,
  dropTestDatabase,
  requirement,
  uniqueEmail,
  uniqueSubdomain,
} from './support/test-app.ts';

const SCRIPT = '/usr/bin/script';
const hasScript = existsSync(SCRIPT);
const NO_SCRIPT = 'script (util-linux; Debian package bsdutils) is not installed';
const databases: { adminUrl: string; dbName: string }[] = [];
const terminals = new Set<ChildProcess>();

afterAll(async () => {
  for (const t of terminals) {
    // bul runs in the terminal's own session: killing `script` alone would leave it running.
    try {
      for (const pid of readFileSync(`/proc/${t.pid}/task/${t.pid}/children`, 'utf8').trim().split(' '))
        if (pid) process.kill(Number(pid), 'SIGKILL');
    } catch {}
    t.kill('SIGKILL');
  }
  await cleanupProcesses();
  for (const d of databases) await dropTestDatabase(d.adminUrl, d.dbName);
}, 60_000);

/** What the terminal shows: colours removed, CR LF as LF. */
function screen(raw: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour sequences
  return raw.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r\n/g, '\n');
}

/** `bul start` (API and worker) on a fresh copy of the test database, its stdout and stderr a terminal. */
async function startInTerminal(env: Record<string, string> = {}) {
  const db = await createTestDatabase();
  databases.push(db);
  const port = await freePort();
  const command = `exec '${process.execPath}' '${path.join(ROOT, 'bin', 'bul.js')}' start`;
  const child = spawn(SCRIPT, ['--quiet', '--flush', '--return', '--command', command, '/dev/null'], {
    cwd: ROOT,
    env: bulEnv({
      DATABASE_URL: db.ownerUrl,
      BUL_MASTER_KEY: TEST_MASTER_KEY,
      BUL_DATA_DIR: makeDataDir(),
      PORT: String(port),
      TERM: 'xterm-256color',
      ...env,
    }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  terminals.add(child);
  let raw = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    raw += c;
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  const proc = {
    get exit() {
      return child.exitCode === null && child.signalCode === null
        ? null
        : { code: child.exitCode, signal: child.signalCode };
    },
    describe: () => `--- terminal ---\n${screen(raw).slice(-4000)}`,
  };
  await waitForHealth(proc, base, 60_000);
  const output = () => screen(raw);
  const until = async (test: () => boolean, what: string) => {
    for (let i = 0; i < 300 && !test(); i++) await sleep(100);
    if (!test()) throw new Error(`timed out waiting for ${what}\n${proc.describe()}`);
  };
  await until(() => output().includes('BUL is running at'), 'the banner');
  return {
    port,
    base,
    output,
    until,
    /** Ctrl-C typed into the terminal: the terminal driver sends SIGINT to BUL. */
    async ctrlC(): Promise<number | null> {
      child.stdin?.write('\x03');
      const code = await Promise.race([exited, sleep(30_000, 'timeout' as const)]);
      if (code === 'timeout') throw new Error(`bul did not stop on Ctrl-C\n${proc.describe()}`);
      terminals.delete(child);
      return code;
    },
  };
}

async function someRequests(base: string): Promise<void> {
  expect200(await httpRequest(`${base}/health?from=test`)); // waitForHealth's own have no query
  const me = await httpRequest(`${base}/api/v1/auth/me`);
  if (me.status !== 401) throw new Error(`GET /auth/me without credentials: ${me.status}`);
  const reg = await httpRequest(`${base}/api/v1/auth/register`, {
    json: {
      email: uniqueEmail('tty'),
      password: STRONG_PASSWORD,
      name: 'Tty User',
      organization: { name: 'Tty Org', subdomain: uniqueSubdomain('tty') },
    },
  });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${reg.body}`);
}

function expect200(res: { status: number; body: string }): void {
  if (res.status !== 200) throw new Error(`expected 200, got ${res.status} ${res.body}`);
}

/** A log line as pino-pretty writes it: `[HH:MM:ss.mmm] LEVEL: message`. */
const HUMAN_LINE = /^\[\d\d:\d\d:\d\d\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): \S/;

/** The log lines of the output: every non-empty line but the banner's. */
function logLines(output: string): string[] {
  const lines = output.split('\n');
  const first = lines.findIndex((l) => l.startsWith('  BUL is running at'));
  const last = lines.findIndex((l, i) => i > first && l.startsWith('  Stop:'));
  if (first >= 0) lines.splice(first, last - first + 1);
  // `^C`: the terminal's echo of the Ctrl-C typed into it, not BUL's output.
  return lines.map((l) => l.replace(/^\^C/, '')).filter((l) => l.trim());
}

describe('bul start in a terminal', () => {
  it('writes one human line per event, no line per request, a banner naming the sign-up page, and stops on Ctrl-C', async ({
    expect,
  }) => {
    if (!requirement(hasScript, NO_SCRIPT)) return;
    const t = await startInTerminal();
    await someRequests(t.base);
    await sleep(500); // a request line, if any, is written as the response finishes

    const banner = t.output().slice(t.output().indexOf('  BUL is running at'));
    expect(banner).toContain(`  BUL is running at http://localhost:${t.port}\n`);
    expect(banner).toMatch(
      new RegExp(
        `\\n  Sign up: +http://localhost:${t.port}/signup +\\(create your organization in the browser\\)\\n`,
      ),
    );
    expect(banner).toMatch(new RegExp(`\\n  Sign in: +http://localhost:${t.port}/login\\n`));
    expect(banner).toMatch(new RegExp(`\\n  API docs: +http://localhost:${t.port}/docs\\n`));
    expect(banner).not.toContain('POST');
    // The pages it names are the web app's routes.
    const routes = readFileSync(path.join(ROOT, 'web', 'src', 'app', 'App.tsx'), 'utf8');
    expect(routes).toContain('path="/signup"');
    expect(routes).toContain('path="/login"');

    const lines = logLines(t.output());
    for (const line of lines) expect(line).toMatch(HUMAN_LINE);
    expect(lines.some((l) => l.endsWith(`INFO: BUL is ready at http://localhost:${t.port}`))).toBe(true);
    expect(lines.some((l) => l.includes('INFO: worker: Worker connected'))).toBe(true);
    // Requests stay out of the terminal at the default level (they are at debug).
    expect(t.output()).not.toContain('/api/v1/auth');
    expect(t.output()).not.toContain('request completed');

    expect(await t.ctrlC()).toBe(0);
    const after = logLines(t.output());
    expect(after.some((l) => /INFO: shutting down$/.test(l))).toBe(true);
    expect(after.at(-1)).toMatch(/INFO: stopped$/);
    for (const line of after) expect(line).toMatch(HUMAN_LINE);
  }, 120_000);

  it('at LOG_LEVEL=debug writes each request as one line: method, URL, status, time', async ({ expect }) => {
    if (!requirement(hasScript, NO_SCRIPT)) return;
    const t = await startInTerminal({ LOG_LEVEL: 'debug' });
    await someRequests(t.base);
    await t.until(() => t.output().includes('POST /api/v1/auth/register 201'), 'the register line');
    const lines = logLines(t.output());
    for (const line of lines) expect(line).toMatch(HUMAN_LINE);
    const requestLines = (what: string) => lines.filter((l) => l.includes(what));
    expect(requestLines('GET /health?from=test')).toHaveLength(1);
    expect(requestLines('GET /health?from=test')[0]).toMatch(/DEBUG: GET \/health\?from=test 200 \d+ ms$/);
    expect(requestLines('/api/v1/auth/me')).toHaveLength(1);
    expect(requestLines('/api/v1/auth/me')[0]).toMatch(/DEBUG: GET \/api\/v1\/auth\/me 401 \d+ ms$/);
    expect(requestLines('/api/v1/auth/register')).toHaveLength(1);
    expect(t.output()).not.toContain('incoming request');
    expect(t.output()).not.toContain(STRONG_PASSWORD);
    expect(await t.ctrlC()).toBe(0);
  }, 120_000);

  it('writes JSON lines in a terminal too when LOG_FORMAT=json', async ({ expect }) => {
    if (!requirement(hasScript, NO_SCRIPT)) return;
    const t = await startInTerminal({ LOG_FORMAT: 'json' });
    await someRequests(t.base);
    await t.until(() => t.output().includes('"url":"/api/v1/auth/register"'), 'the register line');
    const lines = logLines(t.output());
    const parsed = lines.map((l) => JSON.parse(l) as { msg: string; req?: { url: string } });
    const register = parsed.filter((l) => l.req?.url === '/api/v1/auth/register');
    expect(register).toHaveLength(1);
    expect(register[0]).toMatchObject({ level: 30, msg: 'request completed', res: { statusCode: 201 } });
    expect(await t.ctrlC()).toBe(0);
  }, 120_000);
});

// `script` itself is what makes the terminal: check it does (a pty, so BUL sees isTTY).
describe('the terminal of these tests', () => {
  it('is a terminal to the program it runs', ({ expect }) => {
    if (!requirement(hasScript, NO_SCRIPT)) return;
    const r = spawnSync(
      SCRIPT,
      [
        '--quiet',
        '--return',
        '--command',
        `'${process.execPath}' -e 'process.stdout.write(String(process.stdout.isTTY))'`,
        '/dev/null',
      ],
      { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] },
    );
    expect(r.stdout.trim()).toBe('true');
  });
});

describe('the start banner', () => {
  const url = 'http://localhost:3000';
  const banner = (env: Record<string, string>, webApp = true) =>
    startBanner({ url, config: loadConfig({ LOG_FORMAT: 'json', ...env }), webApp, embeddedDataPath: null });

  it('names the sign-in page only, and why, when sign-up is off', ({ expect }) => {
    const text = banner({ REGISTRATION_ENABLED: 'false' });
    expect(text).not.toContain('Sign up');
    expect(text).toContain(`Sign in:     ${url}/login  (sign-up is off: REGISTRATION_ENABLED=false)`);
  });

  it('says how to build the web app when it is not built, and signs up through the API meanwhile', ({
    expect,
  }) => {
    const text = banner({}, false);
    expect(text).toContain('Web app:     not built: run `npm run build`, then start again');
    expect(text).toContain(`Sign up:     POST ${url}/api/v1/auth/register`);
    expect(text).not.toContain('/signup');
  });

  it('names where the data lives: the data dir, and the database', ({ expect }) => {
    expect(banner({ BUL_DATA_DIR: '/srv/bul' })).toContain(
      'Data:        /srv/bul; embedded PostgreSQL in /srv/bul/postgres',
    );
    expect(banner({ BUL_DATA_DIR: '/srv/bul', DATABASE_URL: 'postgres://u@db/bul' })).toContain(
      'Data:        /srv/bul; external PostgreSQL (DATABASE_URL)',
    );
  });
});
