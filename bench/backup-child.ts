// One side of the backups benchmark in a process of its own (bench/backups.ts), so that its peak
// RSS (VmHWM) is the engine's alone:
//   node bench/backup-child.ts backup  (env BENCH_URL, BENCH_DIR, BENCH_JOBS, BENCH_ID)
//   node bench/backup-child.ts restore (env BENCH_URL = a freshly created empty database, BENCH_DIR, BENCH_JOBS, BENCH_ID)
// Prints one JSON line: what it did, how long it took, and the process's peak RSS.
import { readFileSync } from 'node:fs';
import { restoreIntoEmpty } from '../src/platform/backup/restore-empty.ts';
import { createTarget } from '../src/platform/backup/targets/index.ts';
import { loadManifest } from '../src/platform/backup/verify.ts';
import { writeBackup } from '../src/platform/backup/write-backup.ts';
import { migrate } from '../src/platform/db/migrator.ts';

export const BENCH_INSTALLATION = 'bench-installation';
export const BENCH_PASSPHRASE = 'correct horse battery staple, bench edition';

function peakRssMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? +(Number(m[1]) / 1024).toFixed(1) : Number.NaN;
}

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const mode = process.argv[2];
const target = createTarget({ kind: 'directory', dir: env('BENCH_DIR') });
const keySource = { kind: 'passphrase' as const, passphrase: BENCH_PASSPHRASE };
const jobs = Number(env('BENCH_JOBS'));
const started = performance.now();
if (mode === 'backup') {
  const m = await writeBackup({
    ownerUrl: env('BENCH_URL'),
    target,
    keySource,
    installationId: BENCH_INSTALLATION,
    bulVersion: 'bench',
    id: env('BENCH_ID'),
    type: 'full',
    jobs,
    filesRoot: null,
  });
  const ms = performance.now() - started;
  process.stdout.write(
    `${JSON.stringify({ ms, rows: m.totals.rows, plainBytes: m.totals.plainBytes, storedBytes: m.totals.storedBytes, peakRssMiB: peakRssMiB() })}\n`,
  );
} else if (mode === 'restore') {
  await migrate(env('BENCH_URL'), () => {});
  const migratedMs = performance.now() - started;
  const { manifest } = await loadManifest(target, env('BENCH_ID'), keySource, {
    installationId: BENCH_INSTALLATION,
  });
  const r = await restoreIntoEmpty({
    databaseUrl: env('BENCH_URL'),
    target,
    keySource,
    installationId: BENCH_INSTALLATION,
    chain: [manifest],
    jobs,
    filesRoot: null,
  });
  const ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ ms, migratedMs, rows: r.rows, peakRssMiB: peakRssMiB() })}\n`);
} else {
  process.stderr.write('usage: node bench/backup-child.ts backup|restore\n');
  process.exit(2);
}
