// Real `bul` processes for CLI tests: spawn `node bin/bul.js ...`, collect their output, talk to
// them over real HTTP (no keep-alive, so shutdown is never held up by a pooled socket), and clean
// up everything they leave behind — including an embedded PostgreSQL orphaned by `kill -9`.
import { type ChildProcess, spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { SETTINGS } from '../../src/config.ts';
import { MasterKey } from '../../src/platform/crypto/master-key.ts';
import { ROOT_SERVER_HOME } from '../../src/platform/db/embedded-server.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const liveProcesses = new Set<BulProcess>();
const dataDirs = new Set<string>();

/** A temporary BUL_DATA_DIR, removed (with any PostgreSQL still running in it) by cleanupProcesses(). */
export function makeDataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bul-cli-'));
  dataDirs.add(dir);
  return dir;
}

/** A BUL_DATA_DIR made elsewhere, cleaned up by cleanupProcesses() like those of makeDataDir(). */
export function trackDataDir(dir: string): string {
  dataDirs.add(dir);
  return dir;
}

/**
 * A port free now for a child process to listen on. Taken below the kernel's ephemeral range
 * (32768–60999 on Linux): a port the kernel handed out with listen(0) and that is closed again can
 * be given at once to an outgoing connection (a database client of another test file), and the
 * child then fails with EADDRINUSE; ports below that range are only ever taken by listeners.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port between 20000 and 32000');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * The environment for a child: this process's environment without any BUL setting (so nothing
 * leaks in from the developer's shell or the test runner), generous rate limits, then `env`.
 */
export function bulEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const s of SETTINGS) {
    delete out[s.env];
    delete out[`${s.env}_FILE`];
  }
  delete out.BUL_ADMIN_PASSWORD;
  Object.assign(out, {
    RATE_LIMIT_IP_PER_MINUTE: '100000',
    RATE_LIMIT_USER_PER_MINUTE: '100000',
    RATE_LIMIT_LOGIN_BURST: '100000',
    RATE_LIMIT_LOGIN_PER_SECOND: '100000',
    LOCKOUT_ACCOUNT_THRESHOLD: '1000',
    LOCKOUT_IP_THRESHOLD: '1000',
  });
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class BulProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  exit: Exit | null = null;
  private out = '';
  private err = '';
  private waiters: (() => void)[] = [];

  /** `at`: another copy of BUL to run (its root directory), as a clone elsewhere would be. */
  constructor(args: string[], env: Record<string, string | undefined>, at = ROOT) {
    this.child = spawn(process.execPath, [path.join(at, 'bin', 'bul.js'), ...args], {
      cwd: at,
      env: bulEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.out += chunk;
      this.notify();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.err += chunk;
      this.notify();
    });
    liveProcesses.add(this);
    this.exited = new Promise<Exit>((resolve) => {
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        liveProcesses.delete(this);
        this.notify();
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }
  get stdout(): string {
    return this.out;
  }
  get stderr(): string {
    return this.err;
  }

  /** stdout parsed as JSON lines (lines that are not JSON are returned as `{ raw }`). */
  logLines(): Record<string, unknown>[] {
    return this.out
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return { raw: l };
        }
      });
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until `test` holds (re-checked on every output and on exit); rejects after timeoutMs. */
  async until<T>(test: () => T | undefined | null | false, what: string, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = test();
      if (v) return v;
      if (this.exit)
        throw new Error(`bul exited (${JSON.stringify(this.exit)}) before ${what}\n${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}\n${this.describe()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for a JSON log line on stdout that matches. */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    what: string,
    timeoutMs = 30_000,
  ): Promise<Record<string, unknown>> {
    return this.until(() => this.logLines().find(match), what, timeoutMs);
  }

  async waitForExit(timeoutMs = 30_000): Promise<Exit> {
    const timer = sleep(timeoutMs, 'timeout' as const, { ref: false });
    const r = await Promise.race([this.exited, timer]);
    if (r === 'timeout') throw new Error(`bul did not exit within ${timeoutMs} ms\n${this.describe()}`);
    return r;
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.exit) this.child.kill(signal);
  }

  describe(): string {
    return `--- stdout (tail) ---\n${this.out.slice(-3000)}\n--- stderr (tail) ---\n${this.err.slice(-3000)}`;
  }
}

/** Spawns `bul <args>` in the background (of the copy of BUL in `at`, by default this one). */
export function spawnBul(args: string[], env: Record<string, string | undefined>, at = ROOT): BulProcess {
  return new BulProcess(args, env, at);
}

/** Runs `bul <args>` to completion. */
export async function runBul(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 60_000,
): Promise<Exit & { stdout: string; stderr: string }> {
  const p = new BulProcess(args, env);
  p.child.stdin?.end();
  try {
    const exit = await p.waitForExit(timeoutMs);
    return { ...exit, stdout: p.stdout, stderr: p.stderr };
  } catch (err) {
    p.kill('SIGKILL');
    throw err;
  }
}

// ---- HTTP without keep-alive ------------------------------------------------------------------

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience, like LightMyRequest's json()
  json(): any;
}

function collect(res: http.IncomingMessage): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      body += c;
    });
    res.on('error', reject);
    res.on('end', () =>
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) }),
    );
  });
}

export function httpRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; json?: unknown } = {},
): Promise<HttpResult> {
  const payload = opts.json === undefined ? undefined : JSON.stringify(opts.json);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: opts.method ?? (payload ? 'POST' : 'GET'),
        agent: false,
        headers: {
          connection: 'close',
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...opts.headers,
        },
      },
      (res) => collect(res).then(resolve, reject),
    );
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error(`no answer from ${url} in 20 s`)));
    req.end(payload);
  });
}

/**
 * A request whose body is sent in two halves: the headers and the first half now, the rest when
 * `finish()` is called. Until then the request is in flight on the server.
 */
export function startSplitRequest(
  url: string,
  json: unknown,
  headers: Record<string, string> = {},
): { finish(): void; response: Promise<HttpResult> } {
  const payload = Buffer.from(JSON.stringify(json));
  const half = Math.floor(payload.length / 2);
  let req!: http.ClientRequest;
  const response = new Promise<HttpResult>((resolve, reject) => {
    req = http.request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          connection: 'close',
          'content-type': 'application/json',
          'content-length': String(payload.length),
          ...headers,
        },
      },
      (res) => collect(res).then(resolve, reject),
    );
    req.on('error', reject);
    req.flushHeaders();
    req.write(payload.subarray(0, half));
  });
  return { response, finish: () => req.end(payload.subarray(half)) };
}

/** Resolves true if something accepts a TCP connection on the port, false if it is refused. */
export function portAccepts(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      // ECONNRESET: a listener that is closing dropped the connection from its accept queue.
      if (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET') resolve(false);
      else reject(err);
    });
  });
}

/** Polls GET /health until it answers 200 (or the process exits, or timeoutMs passes). */
export async function waitForHealth(
  proc: Pick<BulProcess, 'exit' | 'describe'>,
  baseUrl: string,
  timeoutMs = 30_000,
): Promise<HttpResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exit)
      throw new Error(
        `bul exited (${JSON.stringify(proc.exit)}) before /health answered\n${proc.describe()}`,
      );
    try {
      const res = await httpRequest(`${baseUrl}/health`);
      if (res.status === 200) return res;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`/health did not answer 200 within ${timeoutMs} ms\n${proc.describe()}`);
    await sleep(100);
  }
}

// ---- the embedded PostgreSQL of a data dir ----------------------------------------------------

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** pid and port from <dataDir>/postgres/postmaster.pid, or null when no server runs there. */
export function postmaster(dataDir: string): { pid: number; port: number } | null {
  try {
    const lines = readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n');
    return { pid: Number(lines[0]), port: Number(lines[3]) };
  } catch {
    return null;
  }
}

/** Superuser URL of the embedded server running on dataDir (database `bul`). */
export function embeddedOwnerUrl(dataDir: string, masterKeyBase64?: string): string {
  const pm = postmaster(dataDir);
  if (!pm) throw new Error(`no embedded PostgreSQL runs in ${dataDir}`);
  const key = (masterKeyBase64 ?? readFileSync(path.join(dataDir, 'master.key'), 'utf8')).trim();
  const password = new MasterKey(Buffer.from(key, 'base64')).deriveText('embedded-superuser-password');
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pm.port}/bul`;
}

export async function waitUntilDead(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

/** Kills every bul process still running, any PostgreSQL left in the data dirs, and removes them. */
export async function cleanupProcesses(): Promise<void> {
  for (const p of [...liveProcesses]) {
    p.kill('SIGKILL');
    await p.waitForExit(10_000).catch(() => {});
  }
  for (const dir of [...dataDirs]) {
    const pm = postmaster(dir);
    if (pm && isAlive(pm.pid)) {
      try {
        process.kill(pm.pid, 'SIGQUIT');
      } catch {}
      if (!(await waitUntilDead(pm.pid, 10_000))) {
        try {
          process.kill(pm.pid, 'SIGKILL');
        } catch {}
        await waitUntilDead(pm.pid, 5_000);
      }
    }
    // As root, the cluster may live elsewhere (ROOT_SERVER_HOME/<id>/postgres), linked from here.
    const link = path.join(dir, 'postgres');
    try {
      const home = path.dirname(path.resolve(dir, readlinkSync(link)));
      if (lstatSync(link).isSymbolicLink() && path.dirname(home) === ROOT_SERVER_HOME)
        rmSync(home, { recursive: true, force: true });
    } catch {}
    rmSync(dir, { recursive: true, force: true });
    dataDirs.delete(dir);
  }
}

/** `/api/v1${path}` of a running BUL over HTTP, as a bearer-token client; throws on a non-2xx answer. */
export async function callApi(
  base: string,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
