// The monitoring benchmark (`BENCH_SUITES=monitoring`, bench/README.md): the CPU the metrics
// sampler costs a BUL API process. One process (bench/monitoring-server.ts) on a fresh database of
// an external PostgreSQL (BENCH_DATABASE_URL, dropped at the end) answers a steady load of
// BENCH_MONITOR_RATE requests a second (GET /health, so every request also passes the request
// statistics hook) while the sampler and the cluster readings are on in some rounds and off in
// the others, alternating (off first in odd pairs, on first in even ones), in the same run. The
// process's CPU time (utime + stime from /proc) per round, as a share of one core; the overhead
// is the median of the on rounds minus the median of the off rounds, in points of one core.
// The sampler runs every MONITOR_SAMPLE_SECONDS=5 here (the shortest allowed, three times the
// default's work) so that each round holds several samplings.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import pg from 'pg';
import { ask, firstMessage, forkChild, loadNote, medianOf, procStat } from './events.ts';

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Pairs of rounds (one on, one off). */
const PAIRS = Number(process.env.BENCH_MONITOR_PAIRS ?? 3);
const ROUND_SECONDS = Number(process.env.BENCH_MONITOR_ROUND_SECONDS ?? 12);
const RATE = Number(process.env.BENCH_MONITOR_RATE ?? 200);
const TARGET_POINTS = 2;

interface Round {
  sampler: boolean;
  cpuPercent: number;
  requests: number;
  errors: number;
}

export async function runMonitoringBench() {
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  const dbName = `bul_bench_monitoring_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${dbName}`;
  const child = forkChild('monitoring-server.ts', [url.toString()]);
  try {
    const { port, pid } = await firstMessage<{ port: number; pid: number }>(child);
    // Warm up: JIT, pool connections, first samplings.
    await ask(child, { sampler: true });
    await drive(port, 3);
    const rounds: Round[] = [];
    for (let pair = 0; pair < PAIRS; pair++) {
      const order = pair % 2 === 0 ? [false, true] : [true, false];
      for (const sampler of order) {
        await ask(child, { sampler });
        await sleep(200);
        const before = procStat(pid).cpuMs;
        const started = performance.now();
        const r = await drive(port, ROUND_SECONDS);
        const wallMs = performance.now() - started;
        const cpuMs = procStat(pid).cpuMs - before;
        rounds.push({ sampler, cpuPercent: (100 * cpuMs) / wallMs, requests: r.requests, errors: r.errors });
      }
    }
    const on = medianOf(rounds.filter((r) => r.sampler).map((r) => r.cpuPercent));
    const off = medianOf(rounds.filter((r) => !r.sampler).map((r) => r.cpuPercent));
    const overhead = on - off;
    const results = {
      sampleSeconds: 5,
      ratePerSecond: RATE,
      roundSeconds: ROUND_SECONDS,
      rounds,
      cpuPercentWithSampler: round2(on),
      cpuPercentWithout: round2(off),
      overheadPointsOfOneCore: round2(overhead),
      load: loadNote(),
    };
    const verdicts = { samplerOverheadUnder2Percent: overhead < TARGET_POINTS };
    const md = [
      `# Benchmark: monitoring (${new Date().toISOString().slice(0, 10)})`,
      '',
      `One API process under ${RATE} requests/s (GET /health), sampler every 5 s, ${PAIRS} pairs of ${ROUND_SECONDS} s rounds alternating; CPU of the process as % of one core (median).`,
      '',
      '| measurement | with sampler | without | overhead | target |',
      '|---|---|---|---|---|',
      `| process CPU | ${round2(on)} % | ${round2(off)} % | ${round2(overhead)} points | < ${TARGET_POINTS} points ${verdicts.samplerOverheadUnder2Percent ? '✓' : '✗'} |`,
      '',
      `Rounds: ${rounds.map((r) => `${r.sampler ? 'on' : 'off'} ${round2(r.cpuPercent)} %`).join(', ')}. Load average: ${results.load}.`,
      '',
    ].join('\n');
    return { results, verdicts, md };
  } finally {
    await ask(child, { stop: true }).catch(() => child.kill());
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;

async function drive(port: number, seconds: number) {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}/health`,
    connections: 4,
    overallRate: RATE,
    duration: seconds,
  });
  return { requests: r.requests.total, errors: r.errors + r.timeouts + r.non2xx };
}
