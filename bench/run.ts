// `npm run bench`: measures BUL against ceilings measured in the same run, on the same machine,
// and writes bench/results/<date>-<name>.json plus bench/results/latest.md. See bench/README.md.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import * as argon2 from '@node-rs/argon2';
import pg from 'pg';
import { SERVER_NODE_FLAGS } from '../bin/node-flags.js';
import { runAlertsBench } from './alerts.ts';
import { runBackupsBench } from './backups.ts';
import { runCacheBench } from './cache.ts';
import { runEventsBench } from './events.ts';
import { type Load, load } from './load.ts';
import { runMonitoringBench } from './monitoring.ts';
import { runNotificationsBench } from './notifications.ts';
import { runWebBench } from './web.ts';
import { runWorkBench } from './work.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
/** Login and the hash-rate ceiling are measured in this many alternating rounds (see loginRounds). */
const LOGIN_ROUNDS = Number(process.env.BENCH_LOGIN_ROUNDS ?? 3);
/** `/auth/me` and its ceiling at 32 connections: this many alternating rounds (see meRounds). */
const ME_ROUNDS = Number(process.env.BENCH_ME_ROUNDS ?? 3);
const ALL_SUITES = [
  'foundation',
  'deployed',
  'work',
  'web',
  'events',
  'notifications',
  'alerts',
  'monitoring',
  'backups',
  'cache',
];
/** Which suites to run: `BENCH_SUITES=foundation,deployed,work,web,events,notifications,alerts,monitoring,backups,cache` (the default: all). */
const SUITES = new Set((process.env.BENCH_SUITES ?? ALL_SUITES.join(',')).split(',').map((x) => x.trim()));
const OUT_DIR = path.join(HERE, 'results');
/** Each suite's markdown section of this run, by suite. */
const sections = new Map<string, string>();

interface Servers {
  bulPort: number;
  ceilingPort: number;
  accessToken: string;
  email: string;
  password: string;
  postgres: string;
}

function startServers<T = Servers>(script = 'servers.ts'): Promise<{ child: ChildProcess; servers: T }> {
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, path.join(HERE, script)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench servers exited (${code})`)));
    createInterface({ input: child.stdout! }).once('line', (line) =>
      resolve({ child, servers: JSON.parse(line) as T }),
    );
  });
}

/**
 * argon2id verifications per second with BUL's parameters: the better of two runs, one with as
 * many at once as BUL's login runs (one per CPU) and one with as many as libuv's pool allows. On
 * 2 CPUs the first is usually about 10 % faster: more hashes than cores evict each other's 19 MiB
 * from the caches.
 */
async function argon2Rate(seconds: number): Promise<{ best: number; byParallelism: Record<number, number> }> {
  const perCpu = os.availableParallelism();
  const pool = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const byParallelism: Record<number, number> = {};
  for (const parallel of new Set([perCpu, pool]))
    byParallelism[parallel] = await argon2RateAt(parallel, seconds);
  return { best: Math.max(...Object.values(byParallelism)), byParallelism };
}

async function argon2RateAt(parallel: number, seconds: number): Promise<number> {
  const hash = await argon2.hash('violet-harbor-lamp-42x', {
    memoryCost: 19_456,
    timeCost: 2,
    parallelism: 1,
  });
  let done = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (Date.now() < until) {
        await argon2.verify(hash, 'violet-harbor-lamp-42x');
        done++;
      }
    }),
  );
  return Math.round(done / seconds);
}

/** The median of the rounds' ratios (the mean of the middle two for an even count). */
function medianRatio(ratios: number[]): number {
  const sorted = [...ratios].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return +median.toFixed(3);
}

interface MeRound<L extends Load = Load> {
  bul: L;
  ceiling: L;
  ratio: number;
}

/**
 * `/auth/me` against its ceiling in rounds, each measuring both, the one first in odd rounds and
 * the other in even ones, and the median of the rounds' ratios. On a shared 2-CPU machine either
 * server's rate moves by 20-40 % from one 10-second window to the next (the ceiling was seen at
 * 4,100 and 7,900 req/s a minute apart); one window each could land the ratio anywhere in that
 * range, and rounds show the spread.
 */
async function meRounds<L extends Load>(measureBul: () => Promise<L>, measureCeiling: () => Promise<L>) {
  const rounds: MeRound<L>[] = [];
  for (let i = 0; i < ME_ROUNDS; i++) {
    let bul: L;
    let ceiling: L;
    if (i % 2 === 0) {
      ceiling = await measureCeiling();
      bul = await measureBul();
    } else {
      bul = await measureBul();
      ceiling = await measureCeiling();
    }
    rounds.push({ bul, ceiling, ratio: +(bul.rps / ceiling.rps).toFixed(3) });
  }
  const ratio = medianRatio(rounds.map((r) => r.ratio));
  const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.ceil(rounds.length / 2) - 1]!;
  return {
    ratio,
    /** The median round's loads (with an even count, the lower middle one). */
    bul: median.bul,
    ceiling: median.ceiling,
    errors: rounds.reduce((sum, r) => sum + r.bul.errors, 0),
    non2xx: rounds.reduce((sum, r) => sum + r.bul.non2xx, 0),
    rounds,
  };
}

interface LoginRound {
  logins: Load;
  hashRate: number;
  hashRateByParallelism: Record<number, number>;
  ratio: number;
}

/**
 * Login throughput against the hash rate, in rounds that alternate the two (the server paused
 * while the runner hashes), and the median of the rounds' ratios. The hash rate of a shared machine
 * drifts with its neighbours' load (here by up to 40 % within half an hour); measuring the two side
 * by side, several times, compares them under the same conditions, not at two different moments.
 */
async function loginRounds(server: ChildProcess, login: (seconds?: number) => Promise<Load>) {
  // Each hash-rate run takes half a measurement (two of them make one); logins take a whole one.
  const hashSeconds = Math.max(2, Math.round(DURATION / 2));
  await login(3); // warm-up, as for the other measurements
  const rounds: LoginRound[] = [];
  for (let i = 0; i < LOGIN_ROUNDS; i++) {
    await sleep(500); // let the requests autocannon left in flight finish before pausing
    server.kill('SIGSTOP');
    const hash = await argon2Rate(hashSeconds).finally(() => server.kill('SIGCONT'));
    const logins = await login(DURATION);
    rounds.push({
      logins,
      hashRate: hash.best,
      hashRateByParallelism: hash.byParallelism,
      ratio: +(logins.rps / hash.best).toFixed(3),
    });
  }
  const ratio = medianRatio(rounds.map((r) => r.ratio));
  const mean = (pick: (r: LoginRound) => number) =>
    Math.round(rounds.reduce((sum, r) => sum + pick(r), 0) / rounds.length);
  return {
    ratio,
    loginsPerSecond: mean((r) => r.logins.rps),
    hashRate: mean((r) => r.hashRate),
    errors: rounds.reduce((sum, r) => sum + r.logins.errors, 0),
    non2xx: rounds.reduce((sum, r) => sum + r.logins.non2xx, 0),
    p99: Math.max(...rounds.map((r) => r.logins.p99)),
    hashSeconds,
    loginSeconds: DURATION,
    rounds,
  };
}

const warm = (url: string, headers?: Record<string, string>) =>
  load({ url, connections: 8, headers, seconds: 2 });

async function runFoundation() {
  const { child, servers } = await startServers();
  const bul = `http://127.0.0.1:${servers.bulPort}`;
  const ceilingUrl = `http://127.0.0.1:${servers.ceilingPort}/`;
  const auth = { authorization: `Bearer ${servers.accessToken}` };
  try {
    process.stderr.write(
      `bench: ${DURATION}s per measurement, ${os.cpus().length} CPUs, PostgreSQL ${servers.postgres}\n`,
    );
    await warm(ceilingUrl);
    await warm(`${bul}/api/v1/auth/me`, auth);

    const me = await meRounds(
      () => load({ url: `${bul}/api/v1/auth/me`, connections: 32, headers: auth }),
      () => load({ url: ceilingUrl, connections: 32 }),
    );
    const { bul: me32, ceiling: ceiling32 } = me;
    const ceiling1 = await load({ url: ceilingUrl, connections: 1 });
    const me1 = await load({ url: `${bul}/api/v1/auth/me`, connections: 1, headers: auth });

    const login = await loginRounds(child, (seconds) =>
      load({
        url: `${bul}/api/v1/auth/login`,
        connections: 8,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: servers.email, password: servers.password }),
        seconds,
      }),
    );

    const results = {
      name: 'foundation',
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
      },
      postgres: servers.postgres,
      secondsPerMeasurement: DURATION,
      me: {
        concurrency32: { ...me, target: '>= 0.40 with no errors (the median round)' },
        concurrency1: { bul: me1, ceiling: ceiling1, p99Ms: me1.p99, target: 'p99 < 5 ms' },
      },
      login: { ...login, target: '>= 0.80 (the median round)' },
    };
    const verdicts = {
      meThroughput: me.ratio >= 0.4 && me.errors === 0 && me.non2xx === 0,
      meLatency: me1.p99 < 5,
      login: login.ratio >= 0.8 && login.errors === 0 && login.non2xx === 0,
    };
    mkdirSync(OUT_DIR, { recursive: true });
    const stamp = results.date.slice(0, 10);
    writeFileSync(
      path.join(OUT_DIR, `${stamp}-foundation.json`),
      `${JSON.stringify({ ...results, verdicts }, null, 2)}\n`,
    );
    const md = [
      `# Benchmark: foundation (${results.date})`,
      '',
      `${results.machine.cpus} CPUs (${results.machine.cpuModel}), Node ${results.machine.node}, PostgreSQL ${servers.postgres}, ${DURATION} s per measurement.`,
      '',
      '| measurement | BUL | ceiling | ratio | target | met |',
      '|---|---|---|---|---|---|',
      `| GET /api/v1/auth/me, 32 connections | ${me32.rps} req/s (p99 ${me32.p99} ms, errors ${me.errors}, non-2xx ${me.non2xx}) | ${ceiling32.rps} req/s (node:http + one pg query) | ${me.ratio} | ≥ 0.40, no errors | ${verdicts.meThroughput ? 'yes' : 'NO'} |`,
      `| GET /api/v1/auth/me, 1 connection | p50 ${me1.p50} ms, p99 ${me1.p99} ms (${me1.rps} req/s) | p50 ${ceiling1.p50} ms, p99 ${ceiling1.p99} ms | — | p99 < 5 ms | ${verdicts.meLatency ? 'yes' : 'NO'} |`,
      `| POST /api/v1/auth/login, 8 connections | ${login.loginsPerSecond} logins/s (p99 ${login.p99} ms, errors ${login.errors}, non-2xx ${login.non2xx}) | ${login.hashRate} argon2id verifications/s (the better of one hash per CPU at once and as many as libuv's pool allows) | ${login.ratio} | ≥ 0.80 | ${verdicts.login ? 'yes' : 'NO'} |`,
      '',
      `\`/auth/me\` at 32 connections in ${me.rounds.length} rounds of ${DURATION} s against the ceiling and ${DURATION} s against BUL (the ceiling first in odd rounds, BUL first in even ones); the ratio and the figures above are the median round's:`,
      '',
      '| round | BUL req/s | ceiling req/s | ratio |',
      '|---|---|---|---|',
      ...me.rounds.map((r, i) => `| ${i + 1} | ${r.bul.rps} | ${r.ceiling.rps} | ${r.ratio} |`),
      '',
      `Login in ${login.rounds.length} rounds, each hashing in the runner for ${login.hashSeconds} s at each parallelism (server paused), then logging in for ${login.loginSeconds} s; the ratio is the median round's:`,
      '',
      '| round | logins/s | argon2id verifications/s | ratio |',
      '|---|---|---|---|',
      ...login.rounds.map(
        (r, i) =>
          `| ${i + 1} | ${r.logins.rps} | ${r.hashRate} (${Object.entries(r.hashRateByParallelism)
            .map(([n, rate]) => `${rate}/s with ${n} at once`)
            .join(', ')}) | ${r.ratio} |`,
      ),
      '',
    ].join('\n');
    sections.set('foundation', md);
    process.stdout.write(`${md}\n`);
  } finally {
    child.kill('SIGCONT');
    child.kill('SIGTERM');
  }
}

interface DeployedServers {
  ports: Record<'memory' | 'postgres' | 'redis' | 'ceiling', number | undefined>;
  pids: Record<string, number[]>;
  ownerUrl: string;
  processes: number;
  accessToken: string;
  projectId: string;
  postgres: string;
}

/** CPU time (ms) of each live process among `pids`, from /proc (Linux; empty elsewhere). */
function cpuMsOf(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / 100); // USER_HZ = 100
    } catch {
      // gone, or not Linux
    }
  }
  return out;
}

type CpuLoad = Load & {
  /** CPU microseconds per request: the BUL processes, and their PostgreSQL backends. */
  cpuUsPerRequest: { bul: number; postgres: number };
};

/**
 * The deployed shape (bench/deployed-servers.ts): several processes on one PostgreSQL, with the
 * rate-limit counters in PostgreSQL (no Redis) and in Redis, each against the same processes with
 * in-memory counters, in alternating rounds (as /auth/me against its ceiling). On a machine shared
 * with other work, req/s follow the share of CPU each group happens to get; CPU time per request
 * (the group's processes and their database backends, found by application_name) does not, and is
 * reported beside it.
 */
async function runDeployed() {
  const { child, servers } = await startServers<DeployedServers>('deployed-servers.ts');
  const auth = { authorization: `Bearer ${servers.accessToken}` };
  const meUrl = (port: number) => `http://127.0.0.1:${port}/api/v1/auth/me`;
  const owner = new pg.Client({ connectionString: servers.ownerUrl });
  await owner.connect();
  const backendPids = async (shape: string) =>
    (
      await owner.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
        `bul-bench-${shape}`,
      ])
    ).rows.map((r) => r.pid);
  const cpuSpent = (before: Map<number, number>, after: Map<number, number>) =>
    [...after].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0);
  /** What is asked of a group: `/auth/me` (GET /me of the ceiling) or a task create (POST /insert). */
  type Ask = 'me' | 'create';
  const requestOf = (shape: string, ask: Ask) => {
    const base = `http://127.0.0.1:${servers.ports[shape as 'memory']!}`;
    if (shape === 'ceiling')
      return ask === 'me' ? { url: `${base}/me` } : { url: `${base}/insert`, method: 'POST' as const };
    if (ask === 'me') return { url: meUrl(servers.ports[shape as 'memory']!), headers: auth };
    return {
      url: `${base}/api/v1/tasks`,
      method: 'POST' as const,
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ projectId: servers.projectId, title: 'Benchmark task' }),
    };
  };
  const measure = async (shape: string, connections: number, ask: Ask = 'me'): Promise<CpuLoad> => {
    const workers = servers.pids[shape]!;
    const backendsBefore = cpuMsOf(await backendPids(shape));
    const workersBefore = cpuMsOf(workers);
    const l = await load({ ...requestOf(shape, ask), connections });
    const workersAfter = cpuMsOf(workers);
    const backendsAfter = cpuMsOf(await backendPids(shape));
    const perRequest = (ms: number) => Math.round((ms * 1000) / Math.max(1, l.requests));
    return {
      ...l,
      cpuUsPerRequest: {
        bul: perRequest(cpuSpent(workersBefore, workersAfter)),
        postgres: perRequest(cpuSpent(backendsBefore, backendsAfter)),
      },
    };
  };
  const cpuTotal = (l: CpuLoad) => l.cpuUsPerRequest.bul + l.cpuUsPerRequest.postgres;
  const cpuText = (l: CpuLoad) =>
    `${cpuTotal(l)} µs (BUL ${l.cpuUsPerRequest.bul} + PostgreSQL ${l.cpuUsPerRequest.postgres})`;
  try {
    if (!servers.ports.redis) process.stderr.write('bench deployed: REDIS_URL is not set; no Redis shape\n');
    const shapes = (['postgres', 'redis'] as const).filter((s) => servers.ports[s]);
    await warm(meUrl(servers.ports.memory!), auth);
    for (const shape of shapes) await warm(meUrl(servers.ports[shape]!), auth);
    await warm(`http://127.0.0.1:${servers.ports.ceiling!}/me`);
    const stores: Record<string, unknown> = {};
    const rows: string[] = [];
    const roundRows: string[] = [];
    const ceilingRows: string[] = [];
    const verdicts: Record<string, boolean> = {};
    const memory1 = await measure('memory', 1);
    for (const shape of shapes) {
      const rounds = await meRounds(
        () => measure(shape, 32),
        () => measure('memory', 32),
      );
      const one = await measure(shape, 1);
      const memoryFailures = rounds.rounds.reduce((n, r) => n + r.ceiling.errors + r.ceiling.non2xx, 0);
      if (memoryFailures > 0) throw new Error(`the memory store failed ${memoryFailures} requests`);
      // CPU per request of the memory store over this store's, the median round's.
      const cpuRatio = medianRatio(rounds.rounds.map((r) => cpuTotal(r.ceiling) / cpuTotal(r.bul)));
      stores[shape] = {
        concurrency32: {
          ...rounds,
          cpuRatio,
          target: shape === 'postgres' ? '>= 0.80 of the memory store, no errors' : 'reported',
        },
        concurrency1: { load: one, p99Ms: one.p99, target: 'p99 < 5 ms' },
      };
      if (shape === 'postgres') {
        verdicts.postgresThroughput = rounds.ratio >= 0.8 && rounds.errors === 0 && rounds.non2xx === 0;
        verdicts.postgresLatency = one.p99 < 5;
      }
      rows.push(
        `| ${shape} store: GET /api/v1/auth/me, 32 connections | ${rounds.bul.rps} req/s (p99 ${rounds.bul.p99} ms, errors ${rounds.errors}, non-2xx ${rounds.non2xx}); CPU ${cpuText(rounds.bul)} per request | ${rounds.ceiling.rps} req/s; CPU ${cpuText(rounds.ceiling)} per request | ${rounds.ratio} (CPU per request: ${cpuRatio}) | ${shape === 'postgres' ? `≥ 0.80 | ${verdicts.postgresThroughput ? 'yes' : 'NO'}` : 'reported | —'} |`,
        `| ${shape} store: GET /api/v1/auth/me, 1 connection | p50 ${one.p50} ms, p99 ${one.p99} ms (${one.rps} req/s) | p50 ${memory1.p50} ms, p99 ${memory1.p99} ms | — | p99 < 5 ms | ${one.p99 < 5 ? 'yes' : 'NO'} |`,
      );
      roundRows.push(
        ...rounds.rounds.map(
          (r, i) =>
            `| ${shape} | ${i + 1} | ${r.bul.rps} | ${r.ceiling.rps} | ${r.ratio} | ${cpuTotal(r.bul)} | ${cpuTotal(r.ceiling)} |`,
        ),
      );
      // Against the ceiling (bare servers doing the one round trip each request needs), as the
      // foundation and work suites measure one process: /auth/me at 32 connections, create at 16.
      for (const [ask, connections, target] of [
        ['me', 32, 0.4],
        ['create', 16, 0.35],
      ] as const) {
        const vs = await meRounds(
          () => measure(shape, connections, ask),
          () => measure('ceiling', connections, ask),
        );
        const ceilingFailures = vs.rounds.reduce((n, r) => n + r.ceiling.errors + r.ceiling.non2xx, 0);
        if (ceilingFailures > 0) throw new Error(`the ${ask} ceiling failed ${ceilingFailures} requests`);
        const met = vs.ratio >= target && vs.errors === 0 && vs.non2xx === 0;
        verdicts[`${shape}${ask === 'me' ? 'Me' : 'Create'}VsCeiling`] = met;
        (stores[shape] as Record<string, unknown>)[`${ask}VsCeiling`] = {
          ...vs,
          connections,
          target: `>= ${target} of the ceiling, no errors`,
        };
        const what = ask === 'me' ? 'GET /api/v1/auth/me' : 'POST /api/v1/tasks';
        const unit = ask === 'me' ? 'req/s' : 'tasks/s';
        const ceilingWhat =
          ask === 'me' ? 'node:http + one pg primary-key read' : 'node:http + the same INSERT through pg';
        ceilingRows.push(
          `| ${shape} store: ${what}, ${connections} connections | ${vs.bul.rps} ${unit} (p99 ${vs.bul.p99} ms, errors ${vs.errors}, non-2xx ${vs.non2xx}); CPU ${cpuText(vs.bul)} per request | ${vs.ceiling.rps} ${unit} (${ceilingWhat}); CPU ${cpuText(vs.ceiling)} per request | ${vs.ratio} | ≥ ${target.toFixed(2)} | ${met ? 'yes' : 'NO'} |`,
        );
        roundRows.push(
          ...vs.rounds.map(
            (r, i) =>
              `| ${shape}, ${ask === 'me' ? '/auth/me' : 'create'} vs ceiling | ${i + 1} | ${r.bul.rps} | ${r.ceiling.rps} | ${r.ratio} | ${cpuTotal(r.bul)} | ${cpuTotal(r.ceiling)} |`,
          ),
        );
      }
    }
    const date = new Date().toISOString();
    const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version };
    mkdirSync(OUT_DIR, { recursive: true });
    writeFileSync(
      path.join(OUT_DIR, `${date.slice(0, 10)}-deployed.json`),
      `${JSON.stringify({ name: 'deployed', date, machine, postgres: servers.postgres, processes: servers.processes, secondsPerMeasurement: DURATION, memory: { concurrency1: memory1 }, stores, verdicts }, null, 2)}\n`,
    );
    const md = [
      `# Benchmark: deployed shape (${date})`,
      '',
      `${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, ${servers.postgres} PostgreSQL, ${servers.processes} BUL processes per store behind one port, ${DURATION} s per measurement. The reference is the same processes with RATE_LIMIT_STORE=memory. CPU per request: user + system time of the store's BUL processes and of their PostgreSQL backends over the requests served.`,
      '',
      '| measurement | BUL | memory store | ratio | target | met |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
      `Against the ceiling: ${servers.processes} bare \`node:http\` processes behind one port as well (bench/ceilings.ts), their connections acting for the organization, doing the one round trip each request needs. BUL's API processes run no worker (\`--role api\`): a create's events are written, not dispatched.`,
      '',
      '| measurement | BUL | ceiling | ratio | target | met |',
      '|---|---|---|---|---|---|',
      ...ceilingRows,
      '',
      `Each measurement at its connections in ${ME_ROUNDS} rounds, alternating with its reference (the reference first in odd rounds); the ratio is the median round's:`,
      '',
      '| store | round | BUL | reference | ratio | CPU µs per request | reference CPU µs per request |',
      '|---|---|---|---|---|---|---|',
      ...roundRows,
      '',
    ].join('\n');
    sections.set('deployed', md);
    process.stdout.write(`${md}\n`);
  } finally {
    await owner.end();
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

async function runWork() {
  const date = new Date().toISOString();
  const { results, verdicts, postgres } = await runWorkBench();
  mkdirSync(OUT_DIR, { recursive: true });
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version };
  writeFileSync(
    path.join(OUT_DIR, `${date.slice(0, 10)}-work.json`),
    `${JSON.stringify({ name: 'work', date, machine, postgres, secondsPerMeasurement: DURATION, ...results, verdicts }, null, 2)}\n`,
  );
  const { list, create } = results;
  const e = results.export;
  const yes = (v: boolean) => (v ? 'yes' : 'NO');
  const md = [
    `# Benchmark: work management (${date})`,
    '',
    `${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, PostgreSQL ${postgres}, ${DURATION} s per measurement; large demo data (seeded in ${results.seedSeconds} s: 100,000 tasks, 2,000 projects, 500,000 audit events).`,
    '',
    '| measurement | BUL | ceiling | ratio | target | met |',
    '|---|---|---|---|---|---|',
    `| ${list.query}, 1 connection | p50 ${list.concurrency1.p50} ms, p95 ${list.concurrency1.p95} ms, p99 ${list.concurrency1.p99} ms (${list.concurrency1.requests} requests, ${list.concurrency1.failures} failed) | — | — | p95 < 20 ms | ${yes(verdicts.listLatency)} |`,
    `| the same list, 32 connections | ${list.concurrency32.bul.rps} req/s (p99 ${list.concurrency32.bul.p99} ms, errors ${list.concurrency32.bul.errors}, non-2xx ${list.concurrency32.bul.non2xx}) | ${list.concurrency32.ceiling.rps} req/s (node:http, the same SQL in one round trip) | ${list.concurrency32.ratio} | ≥ 0.25 | ${yes(verdicts.listThroughput)} |`,
    `| POST /api/v1/tasks, 16 connections, the worker dispatching the events | ${create.bul.rps} tasks/s (p99 ${create.bul.p99} ms, errors ${create.bul.errors}, non-2xx ${create.bul.non2xx}) | ${create.ceiling.rps} inserts/s (node:http, the same INSERT through pg) | ${create.ratio} | ≥ 0.35 | ${yes(verdicts.create)} |`,
    `| GET /api/v1/tasks/export?format=csv, ${e.expectedRows.toLocaleString('en')} rows | ${e.rows.toLocaleString('en')} rows, ${e.megabytes} MB in ${e.seconds} s; server RSS ${e.rssBeforeMiB} MiB before, peak ${e.peakRssMiB} MiB | — | — | peak RSS < 200 MiB | ${yes(verdicts.export)} |`,
    '',
    'List queries on the large data (EXPLAIN ANALYZE as the application role, row-level security on):',
    '',
    '| list | execution | scans |',
    '|---|---|---|',
    ...results.explain.map((p) => `| ${p.list} | ${p.ms} ms | ${p.scans.join('; ')} |`),
    '',
  ].join('\n');
  sections.set('work', md);
  process.stdout.write(`${md}\n`);
}

/** The web app against the foundation servers' BUL (which serves web/dist). */
async function runWeb() {
  const { child, servers } = await startServers();
  try {
    const date = new Date().toISOString();
    const { results, verdicts, md } = await runWebBench({
      baseUrl: `http://127.0.0.1:${servers.bulPort}`,
      email: servers.email,
      password: servers.password,
    });
    mkdirSync(OUT_DIR, { recursive: true });
    const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version };
    writeFileSync(
      path.join(OUT_DIR, `${date.slice(0, 10)}-web.json`),
      `${JSON.stringify({ name: 'web', date, machine, ...results, verdicts }, null, 2)}\n`,
    );
    sections.set('web', md);
    process.stdout.write(`${md}\n`);
  } finally {
    child.kill('SIGTERM');
  }
}

/**
 * The events suite (bench/events.ts): webhook latency at a paced event rate, a WebSocket broadcast
 * to 10,000 connections over two API processes, and task create with the worker dispatching.
 */
async function runEvents() {
  const date = new Date().toISOString();
  const { results, verdicts } = await runEventsBench();
  mkdirSync(OUT_DIR, { recursive: true });
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version };
  writeFileSync(
    path.join(OUT_DIR, `${date.slice(0, 10)}-events.json`),
    `${JSON.stringify({ name: 'events', date, machine, secondsPerMeasurement: DURATION, ...results, verdicts }, null, 2)}\n`,
  );
  const yes = (v: boolean) => (v ? 'yes' : 'NO');
  const { webhooks: w, websocket: ws, create } = results;
  const pct = (p: { p50: number; p95: number; p99: number; max: number }) =>
    `p50 ${p.p50} ms, p95 ${p.p95} ms, p99 ${p.p99} ms, max ${p.max} ms`;
  type Round = (typeof w.rounds)[number]['bul'];
  const webhookRow = (label: string, r: Round, ceiling: string) =>
    [
      label,
      pct(r.latencyMs),
      `p50 ${r.fromOccurredMs?.p50} ms, p99 ${r.fromOccurredMs?.p99} ms`,
      `p50 ${r.createMs?.p50} ms, p99 ${r.createMs?.p99} ms`,
      Object.entries(r.stagesMs ?? {})
        .map(([k, v]) => `${k} ${v.p50} / ${v.p99} ms`)
        .join('; '),
      Object.values(r.ratesPerSecond ?? {}).join(', '),
      `${r.delivered} / ${r.sent} (failed sends ${r.failedSends}, duplicates ${r.duplicates}; the last ${r.drainSeconds} s after the last create's answer)`,
      ceiling,
      r.load,
    ]
      .join(' | ')
      .replace(/^/, '| ')
      .concat(' |');
  const md = [
    `# Benchmark: events (${date})`,
    '',
    `${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, PostgreSQL ${results.postgres} (a database made for the run), no Redis (events travel between processes by PostgreSQL NOTIFY). BUL: two \`bul start --role api\` processes and one \`--role worker\` (measurements 1 and 2); API and worker in one process (3).`,
    '',
    '| measurement | BUL | ceiling | target | met |',
    '|---|---|---|---|---|',
    `| task created through the API → its webhook at a local sink, ${w.rate} events/s for ${w.secondsPerRound} s, ${w.rounds.length} rounds | median round: p50 ${w.bul.medianRoundP50Ms} ms, p95 ${w.bul.medianRoundP95Ms} ms, p99 ${w.bul.medianRoundP99Ms} ms; worst round's p99 ${w.bul.worstRoundP99Ms} ms; delivered ${w.bul.delivered}/${w.bul.sent} | the sink receiving direct POSTs at the same rate from a plain Node sender: p50 ${w.ceiling.medianRoundP50Ms} ms, p95 ${w.ceiling.medianRoundP95Ms} ms, p99 ${w.ceiling.medianRoundP99Ms} ms; ${w.ceiling.delivered}/${w.ceiling.sent} | p99 < 500 ms in every round, all delivered once | ${yes(verdicts.webhooks)} |`,
    `| one task update → the event on each of ${ws.connections.toLocaleString('en')} WebSocket connections (half on each API process), ${ws.broadcasts} broadcasts | ${pct(ws.bul.latencyMs)}; received ${ws.bul.received}/${ws.bul.expected} | a bare \`ws\` server pair broadcasting a frame of the same size (${ws.frameBytes.ceiling} bytes; BUL's ${ws.frameBytes.bul}) to as many clients: ${pct(ws.ceiling.latencyMs)}; received ${ws.ceiling.received}/${ws.ceiling.expected} | p95 < 100 ms, every connection receives every broadcast | ${yes(verdicts.websocket)} |`,
    `| POST /api/v1/tasks, 16 connections, with the worker dispatching the events (ratio: the median of ${create.rounds.length} alternating rounds) | ${create.bul.rps} tasks/s (p99 ${create.bul.p99} ms, errors ${create.errors}, non-2xx ${create.non2xx}) | ${create.ceiling.rps} inserts/s (node:http, the same INSERT through pg); ratio ${create.ratio} | ≥ 0.35 | ${yes(verdicts.create)} |`,
    '',
    'Webhook rounds (latency: sink receive time − the 201 answer to the create; "from occurred_at": − the event\'s occurred_at; the ceiling first in odd rounds):',
    '',
    '| round | BUL latency | from occurred_at | create answer | stages (p50 / p99): dispatch, queue, send | rates per second: committed, dispatched, sent | delivered / sent | ceiling latency | load average |',
    '|---|---|---|---|---|---|---|---|---|',
    ...w.rounds.map((r, i) =>
      webhookRow(
        String(i + 1),
        r.bul,
        `${pct(r.ceiling.latencyMs)} (${r.ceiling.delivered} / ${r.ceiling.sent})`,
      ),
    ),
    ...(w.lowRate ? [webhookRow(`at ${w.lowRate.rate} events/s (reported)`, w.lowRate.round, '—')] : []),
    '',
    "Stages, from the rows BUL wrote: dispatch = the event's occurred_at → the start of the dispatcher transaction that queued its delivery; queue = → the start of the delivery job's attempt (includes the rest of that transaction, until its commit); send = the HTTP exchange with the sink.",
    '',
    `The worker's capacity with the API idle: ${w.backlog.events} tasks created at ${w.rate}/s while the worker was paused (SIGSTOP), then resumed: ${w.backlog.delivered} delivered ${w.backlog.seconds} s later, ${w.backlog.eventsPerSecond} events/s end to end (rates per second: committed, dispatched, sent: ${Object.values(w.backlog.ratesPerSecond ?? {}).join(', ')}).`,
    '',
    `CPU per task created (one create, its event, its delivery; BUL processes and their PostgreSQL backends): at ${w.rate}/s ${Object.entries(
      w.cpu.msPerEvent,
    )
      .map(([n, ms]) => `${n} ${ms} ms`)
      .join(', ')}${
      w.lowRate?.cpu
        ? `; at ${w.lowRate.rate}/s ${Object.entries(w.lowRate.cpu.msPerEvent)
            .map(([n, ms]) => `${n} ${ms} ms`)
            .join(', ')}`
        : ''
    }.`,
    '',
    `WebSocket broadcasts (BUL and ceiling alternate; latency: receive time − the update's 200 answer, or the ceiling's broadcast request). Connections opened: BUL ${ws.opening.bul.map((o) => `${o.opened} in ${o.ms} ms${o.failed ? ` (${o.failed} failed: ${JSON.stringify(o.failures)})` : ''}`).join(', ')}; ceiling ${ws.opening.ceiling.map((o) => `${o.opened} in ${o.ms} ms`).join(', ')}. API processes' RSS: ${ws.apiProcessRssMiB.before.join(' / ')} MiB before, ${ws.apiProcessRssMiB.connected.join(' / ')} MiB with the connections, ${ws.apiProcessRssMiB.after.join(' / ')} MiB after the broadcasts. Connections closed or failed during the broadcasts: ${(
      ws.clientStats as { bul: { closes: Record<string, number>; errors: number } }[]
    )
      .map((c) => `BUL ${JSON.stringify(c.bul.closes)} (${c.bul.errors} errors)`)
      .join(', ')}. Load average ${ws.load}.`,
    '',
    `Then ${ws.idle.seconds} s idle (heartbeats every 30 s, each connection's credentials checked again every 60 s ± 20 %): CPU seconds ${Object.entries(
      ws.idle.cpuSeconds,
    )
      .map(([n, sec]) => `${n} ${sec}`)
      .join(', ')}; API processes' RSS ${ws.idle.rssMiB.join(' / ')} MiB; connections still open: ${(
      ws.idle.clientStats as { bul: { open: number; closes: Record<string, number> } }[]
    )
      .map((c) => `${c.bul.open} (closed: ${JSON.stringify(c.bul.closes)})`)
      .join(', ')}; load average ${ws.idle.load}.`,
    '',
    '| broadcast | BUL | ceiling |',
    '|---|---|---|',
    ...ws.bul.perBroadcast.map(
      (b, i) =>
        `| ${i + 1} | ${pct(b.latencyMs)} (${b.received}/${b.expected}) | ${ws.ceiling.perBroadcast[i] ? `${pct(ws.ceiling.perBroadcast[i].latencyMs)} (${ws.ceiling.perBroadcast[i].received}/${ws.ceiling.perBroadcast[i].expected})` : '—'} |`,
    ),
    '',
    'Task create rounds (after each BUL round: the events the slowest event handler had yet to handle, and how long until it had handled them all):',
    '',
    '| round | BUL tasks/s | ceiling inserts/s | ratio | backlog at the end | caught up in | load average |',
    '|---|---|---|---|---|---|---|',
    ...create.rounds.map(
      (r, i) =>
        `| ${i + 1} | ${r.bul.rps} | ${r.ceiling.rps} | ${r.ratio} | ${r.backlogAtEnd} events | ${r.catchUpSeconds} s | ${r.load} |`,
    ),
    '',
    `For reference, before those rounds, the same servers without the worker (the events written, not dispatched; all dispatched before the rounds above): BUL ${create.withoutWorker.bul.rps} tasks/s, ceiling ${create.withoutWorker.ceiling.rps} inserts/s, ratio ${create.withoutWorker.ratio} (one round, load average ${create.withoutWorker.load}).`,
    '',
    `BUL processes' warnings and errors: ${results.processes.map((p) => `${p.process} ${p.warnings}${p.exit ? ` (exited: ${JSON.stringify(p.exit)})` : ''}`).join(', ')}.`,
    '',
  ].join('\n');
  sections.set('events', md);
  process.stdout.write(`${md}\n`);
}

/**
 * The notifications suite (bench/notifications.ts): webhook deliveries per second and their latency
 * at a paced rate, e-mail broadcasts through a local SMTP server, and the critical lane during a
 * broadcast. With BENCH_NOTIFY_CPU_PROF the worker runs under `--cpu-prof`: those figures are a
 * profile's, written to <date>-notifications-profiled.json and kept out of latest.md.
 */
async function runNotifications() {
  const date = new Date().toISOString();
  const { results, verdicts, md } = await runNotificationsBench();
  mkdirSync(OUT_DIR, { recursive: true });
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version };
  const profiled = Boolean(process.env.BENCH_NOTIFY_CPU_PROF);
  writeFileSync(
    path.join(OUT_DIR, `${date.slice(0, 10)}-notifications${profiled ? '-profiled' : ''}.json`),
    `${JSON.stringify({ name: 'notifications', date, machine, secondsPerMeasurement: DURATION, ...results, verdicts }, null, 2)}\n`,
  );
  if (!profiled) sections.set('notifications', md);
  process.stdout.write(`${md}\n`);
}

/** The alerts suite (bench/alerts.ts): one evaluation tick of 10,000 rules over 100 organizations. */
async function runAlerts() {
  const date = new Date().toISOString();
  const { results, verdicts, md } = await runAlertsBench();
  mkdirSync(OUT_DIR, { recursive: true });
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version };
  writeFileSync(
    path.join(OUT_DIR, `${date.slice(0, 10)}-alerts.json`),
    `${JSON.stringify({ name: 'alerts', date, machine, ...results, verdicts }, null, 2)}\n`,
  );
  sections.set('alerts', md);
  process.stdout.write(`${md}\n`);
}

/** The monitoring suite (bench/monitoring.ts): the CPU the metrics sampler costs an API process. */
async function runMonitoring() {
  const date = new Date().toISOString();
  const { results, verdicts, md } = await runMonitoringBench();
  mkdirSync(OUT_DIR, { recursive: true });
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version };
  writeFileSync(
    path.join(OUT_DIR, `${date.slice(0, 10)}-monitoring.json`),
    `${JSON.stringify({ name: 'monitoring', date, machine, ...results, verdicts }, null, 2)}\n`,
  );
  sections.set('monitoring', md);
  process.stdout.write(`${md}\n`);
}

/** The backups suite (bench/backups.ts): BUL's backup and restore against pg_dump -Fc and pg_restore. */
async function runBackups() {
  const date = new Date().toISOString();
  const { results, verdicts, md } = await runBackupsBench();
  mkdirSync(OUT_DIR, { recursive: true });
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version };
  writeFileSync(
    path.join(OUT_DIR, `${date.slice(0, 10)}-backups.json`),
    `${JSON.stringify({ name: 'backups', date, machine, ...results, verdicts }, null, 2)}\n`,
  );
  sections.set('backups', md);
  process.stdout.write(`${md}\n`);
}

/** The cache suite (bench/cache.ts): executive metrics with and without the cache, large demo data. */
async function runCache() {
  const date = new Date().toISOString();
  const { results, verdicts, md } = await runCacheBench();
  mkdirSync(OUT_DIR, { recursive: true });
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version };
  writeFileSync(
    path.join(OUT_DIR, `${date.slice(0, 10)}-cache.json`),
    `${JSON.stringify({ name: 'cache', date, machine, secondsPerMeasurement: DURATION, ...results, verdicts }, null, 2)}\n`,
  );
  sections.set('cache', md);
  process.stdout.write(`${md}\n`);
}

try {
  if (SUITES.has('foundation')) await runFoundation();
  if (SUITES.has('deployed')) await runDeployed();
  if (SUITES.has('work')) await runWork();
  if (SUITES.has('web')) await runWeb();
  if (SUITES.has('events')) await runEvents();
  if (SUITES.has('notifications')) await runNotifications();
  if (SUITES.has('alerts')) await runAlerts();
  if (SUITES.has('monitoring')) await runMonitoring();
  if (SUITES.has('backups')) await runBackups();
  if (SUITES.has('cache')) await runCache();
} finally {
  // The suites that finished keep their tables even when a later one fails.
  writeLatest();
}

/**
 * latest.md holds each suite's section from the latest run of that suite, in suite order; each
 * section's heading carries the date of its run. A run of some suites replaces their sections only.
 */
function writeLatest() {
  if (sections.size === 0) return;
  const file = path.join(OUT_DIR, 'latest.md');
  const headings: Record<string, RegExp> = {
    foundation: /^# Benchmark: foundation/,
    deployed: /^# Benchmark: deployed/,
    work: /^# Benchmark: work/,
    web: /^# Benchmark: web/,
    events: /^# Benchmark: events/,
    notifications: /^# Benchmark: notifications/,
    alerts: /^# Benchmark: alerts/,
    monitoring: /^# Benchmark: monitoring/,
    backups: /^# Benchmark: backups/,
  };
  const kept = new Map<string, string>();
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
  for (const part of previous.split(/^(?=# Benchmark: )/m)) {
    const suite = Object.keys(headings).find((s) => headings[s]!.test(part));
    if (suite) kept.set(suite, `${part.trimEnd()}\n`);
  }
  for (const [suite, md] of sections) kept.set(suite, md);
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(
    file,
    ALL_SUITES.filter((s) => kept.has(s))
      .map((s) => kept.get(s)!)
      .join('\n'),
  );
}
