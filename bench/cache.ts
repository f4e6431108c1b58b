// The cache benchmark (`BENCH_SUITES=cache`, bench/README.md): GET /api/v1/executive/metrics on the
// large demo data without the cache (CACHE_STORE=off) and with it (memory; Redis too when
// REDIS_URL is set), in the same run, in alternating rounds, against the ceiling of a cached answer
// (bench/cache-servers.ts: one round trip for the data version, then a stored body).
//   1. `bul seed-demo --size large` into a fresh data dir (or a database made for the run on
//      BENCH_DATABASE_URL's server, dropped at the end), unless
//      BENCH_CACHE_DATA_DIR names a data dir already seeded (BUL_MASTER_KEY, DATABASE_APP_ROLE
//      and BENCH_DATABASE_URL as it was seeded with);
//   2. BENCH_CACHE_ROUNDS rounds (default 3): each target for BENCH_SECONDS at 8 connections.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../bin/node-flags.js';
import { DURATION, type Load, load } from './load.ts';
import { scratchDatabase } from './scratch-database.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const PASSWORD = 'bench-demo-password-9';
const ROUNDS = Number(process.env.BENCH_CACHE_ROUNDS ?? 3);
const CONNECTIONS = 8;
/** Cached against uncached, and cached against the ceiling of a cached answer. */
const TARGET_SPEEDUP = 10;
/**
 * A cached answer still authenticates (one round trip) and reads the data version in a transaction
 * of its own (BEGIN with the tenant settings, the read, COMMIT); the ceiling does one round trip.
 */
const TARGET_CEILING = 0.1;
/** The uncached requests still running when a measurement ends finish before the next starts. */
const SETTLE_MS = 5000;

interface CacheServers {
  ports: Record<string, number>;
  ceilingPort: number;
  accessToken: string;
  bodyBytes: number;
  postgres: string;
}

function startServers(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; s: CacheServers }> {
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, path.join(HERE, 'cache-servers.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`cache servers exited (${code})`)));
    createInterface({ input: child.stdout! }).once('line', (line) =>
      resolve({ child, s: JSON.parse(line) as CacheServers }),
    );
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export interface CacheBenchResults {
  seedSeconds: number | null;
  bodyBytes: number;
  rounds: Record<string, Load[]>;
  medianRps: Record<string, number>;
  speedup: number;
  ceilingRatio: number;
  redisCeilingRatio: number | null;
  postgres: string;
}

export async function runCacheBench(): Promise<{
  results: CacheBenchResults;
  verdicts: Record<string, boolean>;
  md: string;
}> {
  const given = process.env.BENCH_CACHE_DATA_DIR;
  const dataDir = given ?? mkdtempSync(path.join(os.tmpdir(), 'bul-bench-cache-'));
  // Seeded data of its own: a fresh database on BENCH_DATABASE_URL's server, dropped at the end
  // (with BENCH_CACHE_DATA_DIR, the database it was seeded into, kept).
  const serverUrl = process.env.BENCH_DATABASE_URL;
  const scratch = serverUrl && !given ? await scratchDatabase(serverUrl, 'bul_bench_cache') : null;
  const databaseUrl = scratch?.url ?? serverUrl;
  const env = {
    ...process.env,
    BUL_DATA_DIR: dataDir,
    BENCH_DEMO_PASSWORD: process.env.BENCH_CACHE_PASSWORD ?? PASSWORD,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    LOG_LEVEL: 'warn',
  };
  try {
    let seedSeconds: number | null = null;
    if (!given) {
      process.stderr.write('bench cache: seeding the large demo data…\n');
      const started = performance.now();
      execFileSync(
        process.execPath,
        [path.join(ROOT, 'bin/bul.js'), 'seed-demo', '--size', 'large', '--password', PASSWORD, '--reset'],
        { env, stdio: ['ignore', 'ignore', 'inherit'] },
      );
      seedSeconds = +((performance.now() - started) / 1000).toFixed(1);
    }
    const { child, s } = await startServers(env);
    const headers = { authorization: `Bearer ${s.accessToken}` };
    const targets: Record<string, string> = {
      ...Object.fromEntries(
        Object.entries(s.ports).map(([store, port]) => [
          store,
          `http://127.0.0.1:${port}/api/v1/executive/metrics`,
        ]),
      ),
      ceiling: `http://127.0.0.1:${s.ceilingPort}/`,
    };
    const rounds: Record<string, Load[]> = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
    try {
      // Warm-up: each BUL computes (or caches) once, and the JIT settles.
      for (const url of Object.values(targets)) {
        const r = await fetch(url, { headers });
        if (r.status !== 200) throw new Error(`${url}: ${r.status} ${await r.text()}`);
        await load({ url, connections: CONNECTIONS, headers, seconds: 2 });
      }
      await sleep(SETTLE_MS);
      const names = Object.keys(targets);
      for (let round = 0; round < ROUNDS; round++) {
        // Alternating order: the first target in odd rounds goes last in even ones.
        for (const name of round % 2 ? [...names].reverse() : names) {
          process.stderr.write(`bench cache: round ${round + 1}, ${name}\n`);
          rounds[name]!.push(await load({ url: targets[name]!, connections: CONNECTIONS, headers }));
          if (name === 'off') await sleep(SETTLE_MS);
        }
      }
    } finally {
      await stop(child);
    }
    const medianRps = Object.fromEntries(
      Object.entries(rounds).map(([k, v]) => [k, median(v.map((l) => l.rps))]),
    );
    const off = medianRps.off ?? 0;
    const memory = medianRps.memory ?? 0;
    const ceiling = medianRps.ceiling ?? 1;
    const results: CacheBenchResults = {
      seedSeconds,
      bodyBytes: s.bodyBytes,
      rounds,
      medianRps,
      speedup: +(memory / Math.max(off, 0.1)).toFixed(1),
      ceilingRatio: +(memory / ceiling).toFixed(3),
      redisCeilingRatio: medianRps.redis === undefined ? null : +(medianRps.redis / ceiling).toFixed(3),
      postgres: s.postgres,
    };
    const clean = (k: string) => rounds[k]!.every((l) => l.errors === 0 && l.non2xx === 0);
    const verdicts = {
      speedup: results.speedup >= TARGET_SPEEDUP && clean('off') && clean('memory'),
      ceiling: results.ceilingRatio >= TARGET_CEILING && clean('memory'),
    };
    const yes = (v: boolean) => (v ? 'yes' : 'NO');
    const cell = (k: string) => {
      const l = rounds[k]!;
      return `${medianRps[k]} req/s (rounds ${l.map((x) => x.rps).join(', ')}; p99 ${median(l.map((x) => x.p99))} ms; errors ${l.reduce((n, x) => n + x.errors + x.non2xx, 0)})`;
    };
    const md = [
      `# Benchmark: cache (${new Date().toISOString()})`,
      '',
      `${os.cpus().length} CPUs (${os.cpus()[0]?.model}), Node ${process.version}, PostgreSQL ${s.postgres}, ${DURATION} s per measurement, ${ROUNDS} alternating rounds, ${CONNECTIONS} connections; large demo data${seedSeconds === null ? '' : ` (seeded in ${seedSeconds} s)`}. GET /api/v1/executive/metrics (${s.bodyBytes} bytes).`,
      '',
      '| measurement | BUL | reference | ratio | target | met |',
      '|---|---|---|---|---|---|',
      `| CACHE_STORE=memory against CACHE_STORE=off | ${cell('memory')} | ${cell('off')} | ${results.speedup}× | ≥ ${TARGET_SPEEDUP}× | ${yes(verdicts.speedup)} |`,
      `| CACHE_STORE=memory against the ceiling | ${cell('memory')} | ${cell('ceiling')} (node:http: the data-version round trip, then the stored body) | ${results.ceilingRatio} | ≥ ${TARGET_CEILING} | ${yes(verdicts.ceiling)} |`,
      ...(rounds.redis
        ? [
            `| CACHE_STORE=redis against the ceiling | ${cell('redis')} | the same | ${results.redisCeilingRatio} | reported | — |`,
          ]
        : []),
      '',
    ].join('\n');
    return { results, verdicts, md };
  } finally {
    if (!given) rmSync(dataDir, { recursive: true, force: true });
    await scratch?.drop().catch((err: Error) => process.stderr.write(`bench cache: ${err.message}\n`));
  }
}
