// The work-management benchmark (part of `npm run bench`, see bench/README.md):
//   1. `bul seed-demo --size large` into a fresh data dir (or BENCH_DATABASE_URL);
//   2. task list with two filters and full-text search: p95 at concurrency 1, and the rate at
//      concurrency 32 against the same SQL in one round trip (bench/work-servers.ts ceiling);
//   3. task create against the same INSERT through `pg` directly;
//   4. a 1,000,000-row CSV export from a freshly started server, sampling its RSS throughout.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../bin/node-flags.js';
import { type Load, load } from './load.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..');
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const PASSWORD = 'violet-harbor-lamp-42x';
const LIST_WORD = process.env.BENCH_LIST_WORD ?? 'invoice';

interface WorkServers {
  bulPort: number;
  ceilingPort: number;
  accessToken: string;
  orgId: string;
  projectId: string;
  assigneeId: string;
  exportRows: number;
  postgres: string;
  plans: { list: string; ms: number; scans: string[] }[];
}

function startServers(
  env: NodeJS.ProcessEnv,
  mode: 'api' | 'export',
): Promise<{ child: ChildProcess; s: WorkServers }> {
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, path.join(HERE, 'work-servers.ts'), mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`work servers exited (${code})`)));
    createInterface({ input: child.stdout! }).once('line', (line) =>
      resolve({ child, s: JSON.parse(line) as WorkServers }),
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

/** One request at a time for `seconds`; exact percentiles from every request's duration. */
async function sequential(url: string, headers: Record<string, string>, seconds: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  let failures = 0;
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const started = performance.now();
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get(url, { agent, headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject);
    });
    times.push(performance.now() - started);
    if (status !== 200) failures++;
  }
  agent.destroy();
  times.sort((a, b) => a - b);
  const pct = (p: number) =>
    +times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!.toFixed(2);
  return { requests: times.length, failures, p50: pct(50), p95: pct(95), p99: pct(99) };
}

/** Resident memory of a process in MiB (Linux /proc). */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

/** Downloads an export, counting lines, while sampling the server's RSS every 50 ms. */
async function measureExport(url: string, headers: Record<string, string>, pid: number) {
  const before = rssMiB(pid);
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMiB(pid));
  }, 50);
  const started = performance.now();
  try {
    const { bytes, lines, status } = await new Promise<{ bytes: number; lines: number; status: number }>(
      (resolve, reject) => {
        http
          .get(url, { headers }, (res) => {
            let bytes = 0;
            let lines = 0;
            res.on('data', (chunk: Buffer) => {
              bytes += chunk.length;
              for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
            });
            res.on('end', () => resolve({ bytes, lines, status: res.statusCode ?? 0 }));
            res.on('error', reject);
          })
          .on('error', reject);
      },
    );
    peak = Math.max(peak, rssMiB(pid));
    return {
      status,
      rows: lines - 1,
      megabytes: +(bytes / 2 ** 20).toFixed(1),
      seconds: +((performance.now() - started) / 1000).toFixed(1),
      rssBeforeMiB: before,
      peakRssMiB: peak,
    };
  } finally {
    clearInterval(timer);
  }
}

export async function runWorkBench() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bul-bench-work-'));
  const env = {
    ...process.env,
    BUL_DATA_DIR: dataDir,
    BENCH_DEMO_PASSWORD: PASSWORD,
    BENCH_LIST_WORD: LIST_WORD,
    ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
    LOG_LEVEL: 'warn',
  };
  try {
    process.stderr.write('bench work: seeding the large demo data…\n');
    const seedStarted = performance.now();
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'bin/bul.js'), 'seed-demo', '--size', 'large', '--password', PASSWORD, '--reset'],
      { env, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const seedSeconds = +((performance.now() - seedStarted) / 1000).toFixed(1);

    // ---- list and create ----
    const { child, s } = await startServers(env, 'api');
    const bul = `http://127.0.0.1:${s.bulPort}`;
    const ceiling = `http://127.0.0.1:${s.ceilingPort}`;
    const auth = { authorization: `Bearer ${s.accessToken}` };
    const listUrl = `${bul}/api/v1/tasks?status=active&assigneeId=${s.assigneeId}&q=${LIST_WORD}`;
    let list1: Awaited<ReturnType<typeof sequential>>;
    let list32: Load;
    let listCeiling32: Load;
    let create: Load;
    let createCeiling: Load;
    let listItems: number;
    try {
      const first = await fetch(listUrl, { headers: auth });
      if (first.status !== 200) throw new Error(`task list: ${first.status} ${await first.text()}`);
      listItems = ((await first.json()) as { items: unknown[] }).items.length;
      await load({ url: listUrl, connections: 8, headers: auth, seconds: 2 });
      await load({ url: `${ceiling}/list`, connections: 8, seconds: 2 });
      list1 = await sequential(listUrl, auth, DURATION);
      listCeiling32 = await load({ url: `${ceiling}/list`, connections: 32 });
      list32 = await load({ url: listUrl, connections: 32, headers: auth });
      const body = JSON.stringify({ projectId: s.projectId, title: 'Benchmark task' });
      createCeiling = await load({ url: `${ceiling}/insert`, connections: 16, method: 'POST' });
      create = await load({
        url: `${bul}/api/v1/tasks`,
        connections: 16,
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body,
      });
    } finally {
      await stop(child);
    }

    // ---- export, from a freshly started server ----
    process.stderr.write('bench work: adding 1,000,000 tasks for the export…\n');
    const exp = await startServers(
      { ...env, BENCH_EXPORT_ROWS: process.env.BENCH_EXPORT_ROWS ?? '1000000' },
      'export',
    );
    let exportResult: Awaited<ReturnType<typeof measureExport>>;
    try {
      exportResult = await measureExport(
        `http://127.0.0.1:${exp.s.bulPort}/api/v1/tasks/export?format=csv&projectId=${exp.s.projectId}`,
        { authorization: `Bearer ${exp.s.accessToken}` },
        exp.child.pid!,
      );
    } finally {
      await stop(exp.child);
    }

    const results = {
      seedSeconds,
      explain: s.plans,
      list: {
        query: `GET /api/v1/tasks?status=active&assigneeId=…&q=${LIST_WORD} (${listItems} items on the page)`,
        concurrency1: { ...list1, target: 'p95 < 20 ms' },
        concurrency32: {
          bul: list32,
          ceiling: listCeiling32,
          ratio: +(list32.rps / listCeiling32.rps).toFixed(3),
          target: '>= 0.25, no errors',
        },
      },
      create: {
        bul: create,
        ceiling: createCeiling,
        ratio: +(create.rps / createCeiling.rps).toFixed(3),
        target: '>= 0.35, no errors (events on: the worker in the BUL process dispatches them)',
      },
      export: { ...exportResult, expectedRows: exp.s.exportRows, target: 'peak RSS < 200 MiB' },
    };
    const verdicts = {
      listLatency: list1.p95 < 20 && list1.failures === 0,
      listThroughput: results.list.concurrency32.ratio >= 0.25 && list32.errors === 0 && list32.non2xx === 0,
      create: results.create.ratio >= 0.35 && create.errors === 0 && create.non2xx === 0,
      export:
        exportResult.status === 200 &&
        exportResult.rows === exp.s.exportRows &&
        exportResult.peakRssMiB < 200,
    };
    return { results, verdicts, postgres: s.postgres };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
