// The backups benchmark (`BENCH_SUITES=backups`, bench/README.md): BUL's backup engine against
// pg_dump -Fc and pg_restore on the same database, in the same run, in alternating rounds.
//
// On a fresh database of the PostgreSQL server (BENCH_DATABASE_URL, or the local one), dropped at
// the end: `bul seed-demo --size large` (100,000 tasks, 500,000 audit events), then
// `BENCH_BACKUP_ROUNDS` rounds (default 3; the order of the contenders turns each round) of
//   - backup: `pg_dump -Fc` (one connection, gzip) vs writeBackup full (zstd + AES-256-GCM, a
//     passphrase through scrypt) with 1 reader connection (the verdict: the same parallelism) and
//     with 2 (BUL's default, reported);
//   - restore: `pg_restore -j 2` of that dump into an empty database vs BUL's restore into an empty
//     database (its migrations, then restoreIntoEmpty with 2 connections): the same parallelism,
//     and both build the schema.
// Throughput is the database's size (pg_database_size) per second of wall clock. Each BUL side runs
// in a process of its own (bench/backup-child.ts), whose peak RSS (VmHWM) is reported.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROUNDS = Number(process.env.BENCH_BACKUP_ROUNDS ?? 3);
const RESTORE_JOBS = 2;
const RSS_LIMIT_MIB = 300;

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};

interface Timed {
  ms: number;
  peakRssMiB?: number;
  bytes?: number;
}

export interface BackupsBenchResults {
  postgresVersion: string;
  databaseBytes: number;
  seedSeconds: number;
  rounds: {
    pgDump: Timed;
    bul1: Timed;
    bul2: Timed;
    pgRestore: Timed;
    bulRestore: Timed & { migratedMs: number };
  }[];
  medians: {
    pgDumpMBps: number;
    bul1MBps: number;
    bul2MBps: number;
    pgRestoreMBps: number;
    bulRestoreMBps: number;
  };
  ratios: { backup: number; backupTwoReaders: number; restore: number; size: number };
  peakRssMiB: number;
}

export async function runBackupsBench(): Promise<{
  results: BackupsBenchResults;
  verdicts: Record<string, boolean>;
  md: string;
}> {
  const id = Math.random().toString(16).slice(2, 10);
  const dbName = `bul_bench_backups_${id}`;
  const dbUrl = withDatabase(SERVER_URL, dbName);
  const work = mkdtempSync(path.join(os.tmpdir(), 'bul-bench-backups-'));
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  const postgresVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!
    .server_version;
  const major = postgresVersion.split('.')[0]!;
  const bin = (tool: string) => `/usr/lib/postgresql/${major}/bin/${tool}`;
  try {
    statSync(bin('pg_dump'));
  } catch {
    throw new Error(
      `the backups bench needs pg_dump and pg_restore ${major} (${bin('pg_dump')}) for the server it measures`,
    );
  }
  const scratch: string[] = [];
  const createDb = async (name: string) => {
    await admin.query(`CREATE DATABASE ${name}`);
    scratch.push(name);
  };
  const dropDb = async (name: string) => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  await createDb(dbName);
  try {
    const env = {
      ...process.env,
      DATABASE_URL: dbUrl,
      BUL_DATA_DIR: work,
      BUL_MASTER_KEY: process.env.BUL_MASTER_KEY ?? Buffer.alloc(32, 7).toString('base64'),
      LOG_LEVEL: 'warn',
    };
    process.stderr.write('bench backups: seeding the large demo data…\n');
    const seedStarted = performance.now();
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'bin/bul.js'), 'seed-demo', '--size', 'large', '--reset'],
      {
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    const seedSeconds = +((performance.now() - seedStarted) / 1000).toFixed(1);
    const seeded = new pg.Client({ connectionString: dbUrl });
    await seeded.connect();
    await seeded.query('VACUUM ANALYZE');
    const databaseBytes = Number(
      (await seeded.query<{ b: string }>('SELECT pg_database_size(current_database()) AS b')).rows[0]!.b,
    );
    await seeded.end();

    const child = async (mode: 'backup' | 'restore', extra: Record<string, string>) => {
      const { stdout } = await run(process.execPath, [path.join(ROOT, 'bench/backup-child.ts'), mode], {
        env: { ...process.env, ...extra },
        maxBuffer: 1 << 20,
      });
      return JSON.parse(stdout.trim().split('\n').pop()!) as {
        ms: number;
        storedBytes?: number;
        peakRssMiB: number;
        migratedMs?: number;
      };
    };
    const dumpFile = path.join(work, 'bench.dump');
    const backupDir = path.join(work, 'backups');
    const backupId = (round: number, jobs: number) => `bench-${round}-${jobs}`;

    const rounds: BackupsBenchResults['rounds'] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const r: Partial<BackupsBenchResults['rounds'][number]> = {};
      const pgDump = async () => {
        rmSync(dumpFile, { force: true });
        const t = performance.now();
        await run(bin('pg_dump'), ['-Fc', '-f', dumpFile, dbUrl]);
        r.pgDump = { ms: performance.now() - t, bytes: statSync(dumpFile).size };
      };
      const bul = (jobs: number) => async () => {
        const o = await child('backup', {
          BENCH_URL: dbUrl,
          BENCH_DIR: backupDir,
          BENCH_JOBS: String(jobs),
          BENCH_ID: backupId(round, jobs),
        });
        const timed = { ms: o.ms, peakRssMiB: o.peakRssMiB, bytes: o.storedBytes };
        if (jobs === 1) r.bul1 = timed;
        else r.bul2 = timed;
      };
      const backups = [pgDump, bul(1), bul(2)];
      // Turn the order each round, so no contender always runs first (cold) or last.
      for (let i = 0; i < backups.length; i++) await backups[(i + round) % backups.length]!();

      const pgRestore = async () => {
        const name = `${dbName}_pgr${round}`;
        await createDb(name);
        const t = performance.now();
        await run(bin('pg_restore'), [
          '-j',
          String(RESTORE_JOBS),
          '--no-owner',
          '-d',
          withDatabase(SERVER_URL, name),
          dumpFile,
        ]);
        r.pgRestore = { ms: performance.now() - t };
        await dropDb(name);
      };
      const bulRestore = async () => {
        const name = `${dbName}_bulr${round}`;
        await createDb(name);
        const o = await child('restore', {
          BENCH_URL: withDatabase(SERVER_URL, name),
          BENCH_DIR: backupDir,
          BENCH_JOBS: String(RESTORE_JOBS),
          BENCH_ID: backupId(round, RESTORE_JOBS),
        });
        r.bulRestore = { ms: o.ms, peakRssMiB: o.peakRssMiB, migratedMs: o.migratedMs ?? 0 };
        await dropDb(name);
      };
      const restores = round % 2 === 0 ? [pgRestore, bulRestore] : [bulRestore, pgRestore];
      for (const f of restores) await f();
      rounds.push(r as BackupsBenchResults['rounds'][number]);
      process.stderr.write(`bench backups: round ${round + 1}/${ROUNDS} ${JSON.stringify(r)}\n`);
    }

    const mbps = (ms: number) => +(databaseBytes / 1e6 / (ms / 1000)).toFixed(1);
    const medians = {
      pgDumpMBps: mbps(median(rounds.map((r) => r.pgDump.ms))),
      bul1MBps: mbps(median(rounds.map((r) => r.bul1.ms))),
      bul2MBps: mbps(median(rounds.map((r) => r.bul2.ms))),
      pgRestoreMBps: mbps(median(rounds.map((r) => r.pgRestore.ms))),
      bulRestoreMBps: mbps(median(rounds.map((r) => r.bulRestore.ms))),
    };
    // Each round's ratio (alternating rounds), then the median ratio.
    const ratio = (f: (r: BackupsBenchResults['rounds'][number]) => number) =>
      +median(rounds.map(f)).toFixed(2);
    const ratios = {
      backup: ratio((r) => r.pgDump.ms / r.bul1.ms),
      backupTwoReaders: ratio((r) => r.pgDump.ms / r.bul2.ms),
      restore: ratio((r) => r.pgRestore.ms / r.bulRestore.ms),
      size: ratio((r) => r.bul1.bytes! / r.pgDump.bytes!),
    };
    const peakRssMiB = Math.max(
      ...rounds.flatMap((r) => [r.bul1.peakRssMiB!, r.bul2.peakRssMiB!, r.bulRestore.peakRssMiB!]),
    );
    const verdicts = {
      'backup ≥ 1.0× pg_dump -Fc (1 connection each)': ratios.backup >= 1,
      'restore ≥ 1.0× pg_restore -j 2 (2 connections each)': ratios.restore >= 1,
      [`peak RSS < ${RSS_LIMIT_MIB} MiB`]: peakRssMiB < RSS_LIMIT_MIB,
    };
    const results: BackupsBenchResults = {
      postgresVersion,
      databaseBytes,
      seedSeconds,
      rounds,
      medians,
      ratios,
      peakRssMiB,
    };
    const ok = (b: boolean) => (b ? 'yes' : '**no**');
    const mib = (b: number) => (b / 2 ** 20).toFixed(1);
    const med = (f: (r: BackupsBenchResults['rounds'][number]) => number) => median(rounds.map(f));
    const md = `# Benchmark: backups (${new Date().toISOString().slice(0, 10)})

PostgreSQL ${postgresVersion}, the large demo data (${mib(databaseBytes)} MiB database, seeded in ${seedSeconds} s),
${ROUNDS} alternating rounds; medians. BUL: zstd level 3 + AES-256-GCM segments, key from a passphrase (scrypt).

| measurement | BUL | reference | ratio | target | met |
|---|---|---|---|---|---|
| full backup, 1 connection | ${medians.bul1MBps} MB/s (${(med((r) => r.bul1.ms) / 1000).toFixed(1)} s) | \`pg_dump -Fc\` ${medians.pgDumpMBps} MB/s (${(med((r) => r.pgDump.ms) / 1000).toFixed(1)} s) | ${ratios.backup}× | ≥ 1.0× | ${ok(verdicts['backup ≥ 1.0× pg_dump -Fc (1 connection each)']!)} |
| full backup, 2 connections (BUL's default) | ${medians.bul2MBps} MB/s | \`pg_dump -Fc\` | ${ratios.backupTwoReaders}× | reported | — |
| backup size | ${mib(med((r) => r.bul1.bytes!))} MiB | \`pg_dump -Fc\` ${mib(med((r) => r.pgDump.bytes!))} MiB | ${ratios.size}× | reported | — |
| restore into an empty database (schema included), 2 connections | ${medians.bulRestoreMBps} MB/s (${(med((r) => r.bulRestore.ms) / 1000).toFixed(1)} s, of which migrations ${(med((r) => r.bulRestore.migratedMs) / 1000).toFixed(1)} s) | \`pg_restore -j 2\` ${medians.pgRestoreMBps} MB/s (${(med((r) => r.pgRestore.ms) / 1000).toFixed(1)} s) | ${ratios.restore}× | ≥ 1.0× | ${ok(verdicts['restore ≥ 1.0× pg_restore -j 2 (2 connections each)']!)} |
| peak RSS of a BUL backup or restore process | ${peakRssMiB} MiB | — | — | < ${RSS_LIMIT_MIB} MiB | ${ok(verdicts[`peak RSS < ${RSS_LIMIT_MIB} MiB`]!)} |
`;
    return { results, verdicts, md };
  } finally {
    for (const name of scratch.reverse()) await dropDb(name).catch(() => {});
    await admin.end();
    rmSync(work, { recursive: true, force: true });
  }
}
