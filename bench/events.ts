// The events benchmark (`BENCH_SUITES=events`, bench/README.md): domain events as deployed, on an
// external PostgreSQL (a fresh database made for the run, dropped at the end):
//   1. webhooks: tasks created through the API at a paced rate; latency from each create's 201 to
//      the signed webhook reaching a local sink; beside it, the same sink receiving direct POSTs
//      from a plain Node sender at the same rate (the floor of HTTP to the sink on this machine);
//   2. WebSocket broadcast: 10,000 connections spread over two API processes; one task update →
//      the time until each connection has the event; beside it, a bare `ws` server pair
//      broadcasting a message of the same size to as many clients;
//   3. task create with events on (the outbox written, a worker dispatching) against the work
//      suite's ceiling (the same INSERT through pg), in alternating rounds.
// BUL runs as `bul start` processes (measurements 1-2: two `--role api` and one `--role worker`;
// measurement 3: bench/work-servers.ts, API and worker in one process as `bul start` runs them).
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SERVER_NODE_FLAGS } from '../bin/node-flags.js';
import { now } from './clock.ts';
import { type Load, load } from './load.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..');
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Events per second of measurement 1 (tasks created through the API, and ceiling messages). */
const EVENT_RATE = Number(process.env.BENCH_EVENT_RATE ?? 500);
/** One more BUL round at this rate, reported beside: the path's latency when it is not saturated. */
const LOW_EVENT_RATE = Number(process.env.BENCH_EVENT_LOW_RATE ?? 100);
/** Alternating rounds of measurements 1 and 3. */
const ROUNDS = Number(process.env.BENCH_EVENT_ROUNDS ?? 3);
const WS_CONNECTIONS = Number(process.env.BENCH_WS_CONNECTIONS ?? 10_000);
/** Broadcasts of measurement 2, each to BUL and to the ceiling. */
const BROADCASTS = Number(process.env.BENCH_WS_BROADCASTS ?? 5);
/**
 * After the broadcasts, the connections are held idle this long while the CPU it costs is measured:
 * longer than one credentials check cycle (WS_REVALIDATE_MS, 60 s ± 20 %) and two heartbeats.
 */
const WS_IDLE_SECONDS = Number(process.env.BENCH_WS_IDLE_SECONDS ?? 75);
const PASSWORD = 'violet-harbor-lamp-42x';
const APP_ROLE = 'bul_bench_events';
const APP_PASSWORD = 'bench-events-app-role-password';
const PUBLIC_URL = 'http://localhost:8080';
/**
 * How long deliveries may trail the last send before the rest count as missing. Long: a round's
 * deliveries all arrive (or are missing) before the next round starts, so that no round inherits
 * the previous one's backlog.
 */
const DRAIN_MS = Number(process.env.BENCH_EVENT_DRAIN_SECONDS ?? 120) * 1000;
const raisedLimits = {
  RATE_LIMIT_IP_PER_MINUTE: '100000000',
  RATE_LIMIT_USER_PER_MINUTE: '100000000',
  RATE_LIMIT_LOGIN_BURST: '100000000',
  RATE_LIMIT_LOGIN_PER_SECOND: '100000000',
  LOCKOUT_ACCOUNT_THRESHOLD: '1000000',
  LOCKOUT_IP_THRESHOLD: '1000000',
  // The bench's clients all use one API key: 5,000 connections of it on each API process.
  WS_MAX_CONNECTIONS_PER_USER: '100000',
};

/** Wall-clock ms with sub-ms precision, comparable across this machine's processes (clock.ts). */
export { now };

export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentiles(values: number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) =>
    s.length ? +s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!.toFixed(1) : NaN;
  return {
    count: s.length,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: s.length ? +s.at(-1)!.toFixed(1) : NaN,
  };
}

export function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length / 2;
  return s.length % 2 ? s[Math.floor(mid)]! : (s[mid - 1]! + s[mid]!) / 2;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resident memory (MiB) and CPU time (ms, user + system) of a process, from /proc. */
export function procStat(pid: number): { rssMiB: number; cpuMs: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      rssMiB: rss ? Math.round(Number(rss[1]) / 1024) : 0,
      cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / 100,
    };
  } catch {
    return { rssMiB: 0, cpuMs: 0 };
  }
}

/** Load average and the other processes' CPU while a measurement ran (the machine is shared). */
export function loadNote(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
}

// ---------------------------------------------------------------------------------------------
// BUL processes

export interface BulProcess {
  name: string;
  child: ChildProcess;
  port: number | null;
  /** Warnings and errors it logged (pino level >= 40), the first 50, and how many in all. */
  problems: string[];
  problemCount: number;
  /** Set once it serves: from then on, any text it writes that is not a log line is a problem. */
  ready: boolean;
  exit: { code: number | null; signal: string | null } | null;
}

export function startBulProcess(
  name: string,
  role: 'api' | 'worker',
  env: NodeJS.ProcessEnv,
  port: number | null,
  /** Further Node flags (the notifications suite's `--cpu-prof` of the worker). */
  nodeFlags: string[] = [],
) {
  const args = [path.join(ROOT, 'bin/bul.js'), 'start', '--role', role];
  if (port) args.push('--port', String(port), '--host', '127.0.0.1');
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...nodeFlags, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p: BulProcess = { name, child, port, problems: [], problemCount: 0, ready: false, exit: null };
  const startup: string[] = [];
  const onLine = (line: string) => {
    let level: number;
    try {
      level = (JSON.parse(line) as { level?: number }).level ?? 50;
    } catch {
      // Not a log line: before it serves, the start banner (kept aside, shown if it exits); after,
      // a crash's text.
      if (!p.ready) {
        startup.push(line);
        return;
      }
      level = 50;
    }
    if (level >= 40) {
      p.problemCount++;
      if (p.problems.length < 50) p.problems.push(line.slice(0, 600));
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  child.once('exit', (code, signal) => {
    p.exit = { code, signal };
    if (!p.ready) p.problems.push(...startup.slice(-20));
  });
  return p;
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  ms = 60_000,
  procs: BulProcess[] = [],
) {
  const end = Date.now() + ms;
  for (;;) {
    const dead = procs.find((p) => p.exit);
    if (dead)
      throw new Error(`${dead.name} exited (${JSON.stringify(dead.exit)}): ${dead.problems.join('\n')}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export async function stopBul(p: BulProcess): Promise<void> {
  if (p.exit) return;
  await new Promise<void>((resolve) => {
    p.child.once('exit', () => resolve());
    p.child.kill('SIGTERM');
    setTimeout(() => p.child.kill('SIGKILL'), 20_000).unref();
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export function request(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string; at: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: o.method ?? 'GET',
        agent,
        headers: {
          ...(o.body
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(o.body) }
            : {}),
          ...o.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), at: now() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

export async function api<T = Record<string, unknown>>(
  base: string,
  method: string,
  url: string,
  token: string | null,
  body?: unknown,
  expected = [200, 201],
): Promise<T> {
  const r = await request(`${base}/api/v1${url}`, {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!expected.includes(r.status)) throw new Error(`${method} ${url}: ${r.status} ${r.body}`);
  return (r.body ? JSON.parse(r.body) : {}) as T;
}

/**
 * Calls `fire(i)` `rate` times a second for `seconds`, open loop: the schedule does not wait for
 * answers (a server falling behind is seen in the latencies, not hidden by a slower pace).
 */
async function paced(rate: number, seconds: number, fire: (i: number) => void): Promise<number> {
  const total = Math.round(rate * seconds);
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000));
      while (sent < due) fire(sent++);
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  return (performance.now() - started) / 1000;
}

// ---------------------------------------------------------------------------------------------
// Child processes driven over IPC

export function forkChild(script: string, args: string[] = []): ChildProcess {
  return fork(path.join(HERE, script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** Sends one command and waits for the child's next message (one command at a time per child). */
export function ask<T>(child: ChildProcess, msg: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`child exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (m) => {
      child.off('exit', onExit);
      resolve(m as T);
    });
    child.send(msg as object);
  });
}

export function firstMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`child exited (${code})`)));
    child.once('message', (m) => resolve(m as T));
  });
}

interface SinkRecord {
  key: string;
  receivedAt: number;
  stampedAt: number | null;
  webhookId: string | null;
}

// ---------------------------------------------------------------------------------------------
// Measurement 1: webhooks

interface WebhookRound {
  sent: number;
  /** Sends that failed (a non-201 answer or a network error); none reach the sink. */
  failedSends: number;
  delivered: number;
  duplicates: number;
  secondsSending: number;
  latencyMs: Percentiles;
  /** Sink receive time − the event's occurred_at (BUL only). */
  fromOccurredMs?: Percentiles;
  /** From the last send's answer to the last delivery: how long the backlog took to clear. */
  drainSeconds: number;
  /** The API's answer times to the creates (BUL only). */
  createMs?: Percentiles;
  /** Where the time went, from the database (BUL only): see deliveryStages. */
  stagesMs?: Record<string, { p50: number; p95: number; p99: number }>;
  ratesPerSecond?: Record<string, number>;
  load: string;
}

async function collectUntil(
  sink: ChildProcess,
  /** The round's messages: a late delivery of an earlier round's is kept but not awaited. */
  wanted: Map<string, number>,
  expected: () => number,
  sendingDone: Promise<unknown>,
): Promise<{ records: SinkRecord[]; sendsEndedAt: number }> {
  const records: SinkRecord[] = [];
  const keys = new Set<string>();
  let sendsEndedAt = 0;
  void sendingDone.then(() => {
    sendsEndedAt = now();
  });
  for (;;) {
    await sleep(200);
    const taken = (await ask<{ records: SinkRecord[] }>(sink, { take: true })).records;
    records.push(...taken);
    for (const r of taken) if (wanted.has(r.key)) keys.add(r.key);
    if (sendsEndedAt && keys.size >= expected()) return { records, sendsEndedAt };
    if (sendsEndedAt && now() - sendsEndedAt > DRAIN_MS) return { records, sendsEndedAt };
  }
}

async function webhookCeilingRound(
  sink: ChildProcess,
  sinkUrl: string,
  sampleBody: string,
): Promise<WebhookRound> {
  const sentAt = new Map<string, number>();
  let failedSends = 0;
  const sending: Promise<unknown>[] = [];
  const load = loadNote();
  const done = paced(EVENT_RATE, DURATION, () => {
    const id = randomUUID();
    const t = now();
    sentAt.set(id, t);
    // The same size as a BUL delivery, and headers of the same length.
    const body = JSON.stringify({ id, sentAt: t, ...JSON.parse(sampleBody) });
    sending.push(
      request(sinkUrl, {
        method: 'POST',
        headers: {
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(t / 1000)),
          'webhook-signature': `v1,${randomBytes(32).toString('base64')}`,
        },
        body,
      }).then(
        (r) => r.status === 204 || failedSends++,
        () => failedSends++,
      ),
    );
  });
  const collected = await collectUntil(
    sink,
    sentAt,
    () => sentAt.size - failedSends,
    done.then(() => Promise.all(sending)),
  );
  const secondsSending = await done;
  return summarizeWebhooks(collected, sentAt, failedSends, secondsSending, load);
}

function summarizeWebhooks(
  { records, sendsEndedAt }: { records: SinkRecord[]; sendsEndedAt: number },
  committedAt: Map<string, number>,
  failedSends: number,
  secondsSending: number,
  load: string,
  createMs?: number[],
): WebhookRound {
  const seen = new Set<string>();
  const latencies: number[] = [];
  const fromOccurred: number[] = [];
  let duplicates = 0;
  let lastReceivedAt = sendsEndedAt;
  for (const r of records) {
    const t0 = committedAt.get(r.key);
    if (t0 === undefined) continue; // from a warm-up or an earlier round
    if (seen.has(r.key)) {
      duplicates++;
      continue;
    }
    seen.add(r.key);
    lastReceivedAt = Math.max(lastReceivedAt, r.receivedAt);
    latencies.push(r.receivedAt - t0);
    if (createMs && r.stampedAt) fromOccurred.push(r.receivedAt - r.stampedAt);
  }
  return {
    sent: committedAt.size + (createMs ? failedSends : 0),
    failedSends,
    delivered: seen.size,
    duplicates,
    secondsSending: +secondsSending.toFixed(2),
    drainSeconds: +((lastReceivedAt - sendsEndedAt) / 1000).toFixed(1),
    latencyMs: percentiles(latencies),
    ...(createMs ? { fromOccurredMs: percentiles(fromOccurred), createMs: percentiles(createMs) } : {}),
    load,
  };
}

/**
 * The stages of the round's deliveries, from the rows BUL wrote: `dispatch` from the event's
 * occurred_at (its transaction's start) to the start of the dispatcher's transaction that queued
 * its delivery (the delivery row's created_at); `queue` from there to the start of the delivery's
 * first attempt (it includes the rest of that dispatch transaction, until its commit makes the job
 * visible); `send` the attempt's HTTP exchange with the sink.
 */
async function deliveryStages(owner: pg.Client, taskIds: string[]) {
  const stage = (expr: string) => `percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY ${expr})`;
  const rate = (column: string) =>
    `count(*) / nullif(extract(epoch FROM max(${column}) - min(${column})), 0)`;
  const { rows } = await owner.query<Record<string, number[] | number | null>>(
    `SELECT ${stage('extract(epoch FROM d.created_at - e.occurred_at) * 1000')} AS dispatch,
            ${stage('extract(epoch FROM a.started_at - d.created_at) * 1000')} AS queue,
            ${stage('a.latency_ms')} AS send,
            ${rate('e.occurred_at')} AS committed_rate,
            ${rate('d.created_at')} AS dispatched_rate,
            ${rate('a.started_at')} AS sent_rate
     FROM webhook_deliveries d
     JOIN domain_events e ON e.org_id = d.org_id AND e.id = d.event_id
     JOIN webhook_delivery_attempts a ON a.org_id = d.org_id AND a.delivery_id = d.id AND a.attempt = 1
     WHERE e.type = 'task.created' AND e.payload->>'id' = ANY($1)`,
    [taskIds],
  );
  const r = rows[0] ?? {};
  const ms = (v: unknown) => {
    const a = (v as number[] | null) ?? [];
    return { p50: +(a[0] ?? NaN).toFixed(1), p95: +(a[1] ?? NaN).toFixed(1), p99: +(a[2] ?? NaN).toFixed(1) };
  };
  const perSecond = (v: unknown) => Math.round(Number(v ?? NaN));
  return {
    stagesMs: { dispatch: ms(r.dispatch), queue: ms(r.queue), send: ms(r.send) },
    /**
     * Per second over the round, from first to last: events committed, deliveries queued by the
     * dispatcher (its batches share a start time), attempts started. A stage that keeps up runs at
     * the commit rate; one that does not shows what it manages.
     */
    ratesPerSecond: {
      committed: perSecond(r.committed_rate),
      dispatched: perSecond(r.dispatched_rate),
      sent: perSecond(r.sent_rate),
    },
  };
}

async function webhookBulRound(
  owner: pg.Client,
  sink: ChildProcess,
  apiBases: string[],
  apiKey: string,
  projectId: string,
  round: number,
  o: {
    seconds?: number;
    rate?: number;
    /**
     * Paused (SIGSTOP) while the tasks are created, resumed once all are answered: the round
     * then measures how fast the worker clears a backlog, with the API idle.
     */
    pausedWorker?: ChildProcess;
  } = {},
): Promise<WebhookRound> {
  const { seconds = DURATION, rate = EVENT_RATE, pausedWorker } = o;
  const committedAt = new Map<string, number>();
  const createMs: number[] = [];
  let failedSends = 0;
  const sending: Promise<unknown>[] = [];
  const load = loadNote();
  pausedWorker?.kill('SIGSTOP');
  const done = paced(rate, seconds, (i) => {
    const base = apiBases[i % apiBases.length]!;
    const started = now();
    sending.push(
      request(`${base}/api/v1/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ projectId, title: `Webhook bench ${round}.${i}` }),
      }).then(
        (r) => {
          if (r.status !== 201) {
            failedSends++;
            return;
          }
          committedAt.set((JSON.parse(r.body) as { id: string }).id, r.at);
          createMs.push(r.at - started);
        },
        () => failedSends++,
      ),
    );
  });
  const allAnswered = done.then(() => Promise.all(sending)).finally(() => pausedWorker?.kill('SIGCONT'));
  const collected = await collectUntil(sink, committedAt, () => committedAt.size, allAnswered).finally(() =>
    pausedWorker?.kill('SIGCONT'),
  );
  const secondsSending = await done;
  return {
    ...summarizeWebhooks(collected, committedAt, failedSends, secondsSending, load, createMs),
    ...(await deliveryStages(owner, [...committedAt.keys()])),
  };
}

// ---------------------------------------------------------------------------------------------
// Measurement 2: WebSocket broadcast

interface Broadcast {
  received: number;
  expected: number;
  latencyMs: Percentiles;
  frameBytes: number;
}

async function broadcastOnce(
  clients: ChildProcess[],
  group: 'bul' | 'ceiling',
  key: string,
  trigger: () => Promise<number>,
): Promise<Broadcast & { times: number[] }> {
  for (const c of clients) await ask(c, { arm: { group, key } });
  const t0 = await trigger();
  const results = await Promise.all(
    clients.map((c) =>
      ask<{ times: number[]; missing: number; bytes: number }>(c, { collect: { group, timeoutMs: 15_000 } }),
    ),
  );
  const times = results.flatMap((r) => r.times.map((t) => t - t0));
  return {
    received: times.length,
    expected: times.length + results.reduce((n, r) => n + r.missing, 0),
    latencyMs: percentiles(times),
    frameBytes: Math.max(...results.map((r) => r.bytes)),
    times,
  };
}

// ---------------------------------------------------------------------------------------------

export async function runEventsBench() {
  const dbName = `bul_bench_events_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  const postgresVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!
    .server_version;
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const dbUrl = new URL(SERVER_URL);
  dbUrl.pathname = `/${dbName}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bul-bench-events-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: dbUrl.toString(),
    BUL_DATA_DIR: dataDir,
    BUL_MASTER_KEY: randomBytes(32).toString('base64'),
    DATABASE_APP_ROLE: APP_ROLE,
    DATABASE_APP_PASSWORD: APP_PASSWORD,
    PUBLIC_URL,
    LOG_LEVEL: 'warn',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    // PostgreSQL carries the events between processes (NOTIFY), as without Redis.
    REDIS_URL: '',
    ...raisedLimits,
  };
  const owner = new pg.Client({ connectionString: dbUrl.toString() });
  const procs: BulProcess[] = [];
  const children: ChildProcess[] = [];
  try {
    // ---- the deployed shape: two API processes and a worker ----
    process.stderr.write(`bench events: database ${dbName}; starting 2 API processes and a worker…\n`);
    const ports = [await freePort(), await freePort()];
    const api1 = startBulProcess('api-1', 'api', env, ports[0]!);
    procs.push(api1);
    const bases = ports.map((p) => `http://127.0.0.1:${p}`);
    // The first process migrates the new database; the others start on it once it is ready.
    await waitFor('api-1', async () => (await request(`${bases[0]}/ready`)).status === 200, 120_000, procs);
    const api2 = startBulProcess('api-2', 'api', env, ports[1]!);
    const worker = startBulProcess('worker', 'worker', env, null);
    procs.push(api2, worker);
    await owner.connect();
    await waitFor('api-2', async () => (await request(`${bases[1]}/ready`)).status === 200, 60_000, procs);
    await waitFor(
      'the worker listening for events',
      async () =>
        (
          await owner.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = 'bul-events-listen'`,
            [dbName],
          )
        ).rowCount! > 0,
      60_000,
      procs,
    );
    // Their start banners are out by now (printed once they serve): any later text is a problem.
    await sleep(500);
    for (const p of procs) p.ready = true;

    // ---- fixtures: an organization, an API key, a project, a webhook endpoint to the sink ----
    const reg = await api<{ organization: { id: string }; accessToken?: string }>(
      bases[0]!,
      'POST',
      '/auth/register',
      null,
      {
        email: 'bench@example.com',
        password: PASSWORD,
        name: 'Bench',
        organization: { name: 'Bench', subdomain: 'bench' },
      },
    );
    await owner.query(`UPDATE organizations SET plan_id = 'enterprise' WHERE id = $1`, [reg.organization.id]);
    const { accessToken } = await api<{ accessToken: string }>(bases[0]!, 'POST', '/auth/login', null, {
      email: 'bench@example.com',
      password: PASSWORD,
    });
    const { key: apiKey } = await api<{ key: string }>(bases[0]!, 'POST', '/api-keys', accessToken, {
      name: 'bench',
      scopes: ['projects:read', 'projects:manage', 'tasks:read', 'tasks:work', 'tasks:manage'],
    });
    const project = await api<{ id: string }>(bases[0]!, 'POST', '/projects', apiKey, {
      name: 'Events bench',
    });
    const sink = forkChild('events-sink.ts');
    children.push(sink);
    const { port: sinkPort } = await firstMessage<{ port: number }>(sink);
    const sinkUrl = `http://127.0.0.1:${sinkPort}/hook`;
    await api(bases[0]!, 'POST', '/webhooks/endpoints', accessToken, {
      url: sinkUrl,
      events: ['task.created'],
    });

    // ---- 1. webhooks at EVENT_RATE events/s ----
    process.stderr.write(`bench events: webhooks at ${EVENT_RATE}/s, ${ROUNDS} rounds of ${DURATION} s…\n`);
    // Warm-up: two seconds at the rate, through the whole path (its backlog drained before round 1).
    const warmRound = await webhookBulRound(owner, sink, bases, apiKey, project.id, 0, { seconds: 2 });
    const sampleBody = JSON.stringify({
      type: 'task.created',
      timestamp: new Date().toISOString(),
      data: { projectId: project.id, assigneeId: null, status: 'pending' },
    });
    const webhookRounds: { bul: WebhookRound; ceiling: WebhookRound }[] = [];
    const backendPids = async () =>
      (
        await owner.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
           WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
          [dbName],
        )
      ).rows.map((r) => r.pid);
    /**
     * CPU seconds spent by the BUL processes and their PostgreSQL connections' backends from here
     * to the returned function's call (autovacuum and other server processes are not counted).
     */
    const cpuMeter = async () => {
      const pg0 = new Map((await backendPids()).map((pid) => [pid, procStat(pid).cpuMs]));
      const bul0 = procs.map((p) => procStat(p.child.pid!).cpuMs);
      return async (events: number) => {
        const bul1 = procs.map((p) => procStat(p.child.pid!).cpuMs);
        // Backends present at both ends (the pools keep theirs); ones that came and went are missed.
        const pgMs = (await backendPids()).reduce(
          (sum, pid) => sum + procStat(pid).cpuMs - (pg0.get(pid) ?? procStat(pid).cpuMs),
          0,
        );
        const apiMs = bul1[0]! - bul0[0]! + bul1[1]! - bul0[1]!;
        const workerMs = bul1[2]! - bul0[2]!;
        const per = (ms: number) => +(ms / Math.max(1, events)).toFixed(2);
        return {
          seconds: {
            'api processes': +(apiMs / 1000).toFixed(1),
            worker: +(workerMs / 1000).toFixed(1),
            postgres: +(pgMs / 1000).toFixed(1),
          },
          /** Per task created (one create, one event, one delivery). */
          msPerEvent: { 'api processes': per(apiMs), worker: per(workerMs), postgres: per(pgMs) },
        };
      };
    };
    const roundsCpu = await cpuMeter();
    for (let i = 0; i < ROUNDS; i++) {
      let bul: WebhookRound;
      let ceiling: WebhookRound;
      if (i % 2 === 0) {
        ceiling = await webhookCeilingRound(sink, sinkUrl, sampleBody);
        bul = await webhookBulRound(owner, sink, bases, apiKey, project.id, i + 1);
      } else {
        bul = await webhookBulRound(owner, sink, bases, apiKey, project.id, i + 1);
        ceiling = await webhookCeilingRound(sink, sinkUrl, sampleBody);
      }
      webhookRounds.push({ bul, ceiling });
      process.stderr.write(
        `  round ${i + 1}: BUL p99 ${bul.latencyMs.p99} ms (${bul.delivered}/${bul.sent}), ceiling p99 ${ceiling.latencyMs.p99} ms\n`,
      );
    }
    const webhookCpu = await roundsCpu(webhookRounds.reduce((n, r) => n + r.bul.sent, 0));
    const lowRateCpu = await cpuMeter();
    const lowRateRound =
      LOW_EVENT_RATE > 0
        ? await webhookBulRound(owner, sink, bases, apiKey, project.id, ROUNDS + 1, { rate: LOW_EVENT_RATE })
        : null;
    const lowRateCpuUsed = lowRateRound ? await lowRateCpu(lowRateRound.sent) : null;
    // The worker's capacity alone: a round's tasks created while it is paused, then cleared.
    const backlogRound = await webhookBulRound(owner, sink, bases, apiKey, project.id, ROUNDS + 2, {
      pausedWorker: worker.child,
    });

    // ---- 2. WebSocket broadcast ----
    process.stderr.write(`bench events: ${WS_CONNECTIONS} WebSocket connections…\n`);
    const ceilingServers: { child: ChildProcess; port: number }[] = [];
    for (let i = 0; i < 2; i++) {
      const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, path.join(HERE, 'ws-ceiling-server.ts')], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      const port = await new Promise<number>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`ws ceiling server exited (${code})`)));
        createInterface({ input: child.stdout! }).once('line', (l) =>
          resolve((JSON.parse(l) as { port: number }).port),
        );
      });
      ceilingServers.push({ child, port });
    }
    const clients = [forkChild('ws-clients.ts'), forkChild('ws-clients.ts')];
    children.push(...clients);
    await Promise.all(clients.map((c) => firstMessage(c)));
    const perClientPerServer = Math.floor(WS_CONNECTIONS / 4);
    const apiProcs = [api1, api2];
    const rssBefore = apiProcs.map((p) => procStat(p.child.pid!).rssMiB);
    const opening = await Promise.all(
      clients.map((c) =>
        ask<{ opened: number; failed: number; failures: Record<string, number>; ms: number }>(c, {
          open: {
            group: 'bul',
            targets: ports.map((p) => ({
              url: `ws://127.0.0.1:${p}/ws`,
              headers: { authorization: `Bearer ${apiKey}` },
              count: perClientPerServer,
            })),
            concurrency: 50,
          },
        }),
      ),
    );
    const ceilingOpening = await Promise.all(
      clients.map((c) =>
        ask<{ opened: number; failed: number; failures: Record<string, number>; ms: number }>(c, {
          open: {
            group: 'ceiling',
            targets: ceilingServers.map((s) => ({
              url: `ws://127.0.0.1:${s.port}/ws`,
              headers: {},
              count: perClientPerServer,
            })),
            concurrency: 50,
          },
        }),
      ),
    );
    const rssConnected = apiProcs.map((p) => procStat(p.child.pid!).rssMiB);
    const wsTask = await api<{ id: string }>(bases[0]!, 'POST', '/tasks', apiKey, {
      projectId: project.id,
      title: 'Broadcast bench',
    });
    // One untimed broadcast first: the path's first use (prepared statements, JIT) is not measured.
    await broadcastOnce(clients, 'bul', wsTask.id, async () => {
      const r = await request(`${bases[0]}/api/v1/tasks/${wsTask.id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ title: 'Broadcast warm-up' }),
      });
      return r.at;
    });
    let bulFrameBytes = 0;
    const bulBroadcasts: Broadcast[] = [];
    const ceilingBroadcasts: Broadcast[] = [];
    const bulTimes: number[] = [];
    const ceilingTimes: number[] = [];
    const bulBroadcast = async (i: number) => {
      const b = await broadcastOnce(clients, 'bul', wsTask.id, async () => {
        const r = await request(`${bases[i % 2]}/api/v1/tasks/${wsTask.id}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${apiKey}` },
          body: JSON.stringify({ title: `Broadcast ${i}` }),
        });
        if (r.status !== 200) throw new Error(`PATCH task: ${r.status} ${r.body}`);
        return r.at; // the change has committed when its answer arrives
      });
      bulFrameBytes = Math.max(bulFrameBytes, b.frameBytes);
      bulTimes.push(...b.times);
      const { times: _, ...rest } = b;
      bulBroadcasts.push(rest);
    };
    const ceilingBroadcast = async (measured = true) => {
      const key = randomUUID();
      // The shape of a BUL event frame, so the frames are of the same size.
      const frame = JSON.stringify({
        id: randomUUID(),
        type: 'task.updated',
        seq: 1000 + ceilingBroadcasts.length,
        occurredAt: new Date().toISOString(),
        actor: { type: 'api_key', id: randomUUID() },
        payload: { id: key, projectId: project.id, fields: ['title'] },
      });
      const b = await broadcastOnce(clients, 'ceiling', key, async () => {
        const t0 = now();
        await Promise.all(
          ceilingServers.map((s) =>
            request(`http://127.0.0.1:${s.port}/broadcast`, { method: 'POST', body: frame }),
          ),
        );
        return t0;
      });
      if (!measured) return;
      ceilingTimes.push(...b.times);
      const { times: _, ...rest } = b;
      ceilingBroadcasts.push(rest);
    };
    await ceilingBroadcast(false); // untimed, as BUL's first
    const wsLoad = loadNote();
    for (let i = 0; i < BROADCASTS; i++) {
      if (i % 2 === 0) {
        await ceilingBroadcast();
        await bulBroadcast(i);
      } else {
        await bulBroadcast(i);
        await ceilingBroadcast();
      }
      await sleep(500);
    }
    const wsStats = await Promise.all(clients.map((c) => ask<Record<string, unknown>>(c, { stats: true })));
    const rssAfter = apiProcs.map((p) => procStat(p.child.pid!).rssMiB);
    // Idle: heartbeats and credentials checks of every connection, nothing else.
    process.stderr.write(`bench events: ${WS_CONNECTIONS} idle connections for ${WS_IDLE_SECONDS} s…\n`);
    const idleCpu = await cpuMeter();
    await sleep(WS_IDLE_SECONDS * 1000);
    const idle = {
      seconds: WS_IDLE_SECONDS,
      cpuSeconds: (await idleCpu(1)).seconds,
      rssMiB: apiProcs.map((p) => procStat(p.child.pid!).rssMiB),
      clientStats: await Promise.all(clients.map((c) => ask<Record<string, unknown>>(c, { stats: true }))),
      load: loadNote(),
    };
    for (const c of clients) {
      await ask(c, { close: { group: 'bul' } });
      await ask(c, { close: { group: 'ceiling' } });
    }
    for (const s of ceilingServers) s.child.kill('SIGTERM');
    const webhookProblems = procs.map((p) => ({
      process: p.name,
      warnings: p.problemCount,
      exit: p.exit,
      first: p.problems.slice(0, 5),
    }));
    for (const p of procs) await stopBul(p);
    procs.length = 0;

    // ---- 3. task create with events on ----
    process.stderr.write('bench events: task create with the worker dispatching…\n');
    const create = await createWithEvents(env, dbUrl.toString());

    const pooled = (rounds: WebhookRound[]) => ({
      sent: rounds.reduce((n, r) => n + r.sent, 0),
      delivered: rounds.reduce((n, r) => n + r.delivered, 0),
    });
    const webhookBul = webhookRounds.map((r) => r.bul);
    const webhookCeiling = webhookRounds.map((r) => r.ceiling);
    // The latency over every round's deliveries, from the rounds' distributions: the rounds are
    // equally long, so the worst round's p99 bounds the whole; the median round's is reported too.
    const webhookP99 = Math.max(...webhookBul.map((r) => r.latencyMs.p99));
    const wsBul = percentiles(bulTimes);
    const wsCeiling = percentiles(ceilingTimes);
    const wsReceived = bulBroadcasts.reduce((n, b) => n + b.received, 0);
    const wsExpected = BROADCASTS * WS_CONNECTIONS;
    const results = {
      postgres: `external ${postgresVersion}`,
      webhooks: {
        rate: EVENT_RATE,
        backlog: {
          events: backlogRound.sent,
          delivered: backlogRound.delivered,
          seconds: backlogRound.drainSeconds,
          eventsPerSecond: Math.round(backlogRound.delivered / Math.max(0.001, backlogRound.drainSeconds)),
          ratesPerSecond: backlogRound.ratesPerSecond,
          target: 'reported',
        },
        lowRate: lowRateRound && {
          rate: LOW_EVENT_RATE,
          round: lowRateRound,
          cpu: lowRateCpuUsed,
          target: 'reported',
        },
        secondsPerRound: DURATION,
        warmUp: warmRound,
        rounds: webhookRounds,
        bul: {
          ...pooled(webhookBul),
          worstRoundP99Ms: webhookP99,
          medianRoundP99Ms: medianOf(webhookBul.map((r) => r.latencyMs.p99)),
          medianRoundP50Ms: medianOf(webhookBul.map((r) => r.latencyMs.p50)),
          medianRoundP95Ms: medianOf(webhookBul.map((r) => r.latencyMs.p95)),
        },
        ceiling: {
          ...pooled(webhookCeiling),
          medianRoundP50Ms: medianOf(webhookCeiling.map((r) => r.latencyMs.p50)),
          medianRoundP95Ms: medianOf(webhookCeiling.map((r) => r.latencyMs.p95)),
          medianRoundP99Ms: medianOf(webhookCeiling.map((r) => r.latencyMs.p99)),
        },
        /** Over the rounds at the rate, the ceiling's included (BUL idle then, but for its backlog). */
        cpu: webhookCpu,
        workerConcurrency: 'default (WORKER_CONCURRENCY 5)',
        target: `p99 < 500 ms (every round), every event delivered once`,
      },
      websocket: {
        connections: WS_CONNECTIONS,
        broadcasts: BROADCASTS,
        opening: { bul: opening, ceiling: ceilingOpening },
        frameBytes: { bul: bulFrameBytes, ceiling: ceilingBroadcasts[0]?.frameBytes },
        bul: { latencyMs: wsBul, received: wsReceived, expected: wsExpected, perBroadcast: bulBroadcasts },
        ceiling: {
          latencyMs: wsCeiling,
          received: ceilingBroadcasts.reduce((n, b) => n + b.received, 0),
          expected: wsExpected,
          perBroadcast: ceilingBroadcasts,
        },
        apiProcessRssMiB: { before: rssBefore, connected: rssConnected, after: rssAfter },
        clientStats: wsStats,
        idle,
        load: wsLoad,
        target: 'p95 < 100 ms over every broadcast, every connection receives every broadcast',
      },
      create,
      processes: webhookProblems,
    };
    const verdicts = {
      webhooks:
        webhookP99 < 500 &&
        webhookBul.every((r) => r.delivered === r.sent && r.failedSends === 0 && r.duplicates === 0),
      websocket: wsBul.p95 < 100 && wsReceived === wsExpected,
      create: create.ratio >= 0.35 && create.errors === 0 && create.non2xx === 0,
    };
    return { results, verdicts };
  } finally {
    for (const p of procs) await stopBul(p).catch(() => {});
    for (const c of children) c.kill('SIGTERM');
    await owner.end().catch(() => {});
    if (process.env.BENCH_KEEP_DATABASE) {
      process.stderr.write(`bench events: kept database ${dbUrl} (BENCH_KEEP_DATABASE)\n`);
    } else {
      const a = new pg.Client({ connectionString: SERVER_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
      await a.end();
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Measurement 3: task create with events on

/**
 * The work suite's task-create measurement (bench/work-servers.ts: BUL with its worker in one
 * process, as `bul start` runs, and the ceiling: the same INSERT through pg) on the small demo
 * data, in alternating rounds. After each BUL round, how many events the dispatcher still had to
 * handle and how long it took to catch up: the load it carried beside the creates.
 */
interface WorkServers {
  bulPort: number;
  ceilingPort: number;
  accessToken: string;
  projectId: string;
}

async function startWorkServers(env: NodeJS.ProcessEnv, dbUrl: string, worker: boolean) {
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, path.join(HERE, 'work-servers.ts'), 'api'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...env,
      BENCH_DATABASE_URL: dbUrl,
      BENCH_DEMO_PASSWORD: PASSWORD,
      BENCH_WORKER: worker ? 'on' : 'off',
    },
  });
  const s = await new Promise<WorkServers>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`work servers exited (${code})`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line)));
  });
  const auth = { authorization: `Bearer ${s.accessToken}` };
  const bulLoad = (connections = 16, seconds = DURATION) =>
    load({
      url: `http://127.0.0.1:${s.bulPort}/api/v1/tasks`,
      connections,
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ projectId: s.projectId, title: 'Benchmark task' }),
      seconds,
    });
  const ceilingLoad = (connections = 16, seconds = DURATION) =>
    load({ url: `http://127.0.0.1:${s.ceilingPort}/insert`, connections, method: 'POST', seconds });
  return {
    bulLoad,
    ceilingLoad,
    // Warm-up, as in the other suites: two seconds each.
    warm: async () => {
      await ceilingLoad(8, 2);
      await bulLoad(8, 2);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * The work suite's task-create measurement (bench/work-servers.ts: BUL with its worker in one
 * process, as `bul start` runs, and the ceiling: the same INSERT through pg) on the small demo
 * data, in alternating rounds. After each BUL round, how many events the dispatcher still had to
 * handle and how long it took to catch up: the load it carried beside the creates. First, for
 * reference, one round of the same servers without the worker (the events are still written).
 */
async function createWithEvents(env: NodeJS.ProcessEnv, dbUrl: string) {
  execFileSync(
    process.execPath,
    [path.join(ROOT, 'bin/bul.js'), 'seed-demo', '--size', 'small', '--password', PASSWORD, '--reset'],
    { env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const owner = new pg.Client({ connectionString: dbUrl });
  await owner.connect();
  /**
   * Events committed but not yet handled by every handler: the unnumbered ones, and per
   * organization the slowest handler's distance from the head. A handler without a cursor for an
   * organization yet (its first batch there has not committed) is at 0. The handlers are those
   * measurements 1 and 2 saw run, on this same database.
   */
  const backlog = async () =>
    Number(
      (
        await owner.query<{ n: string }>(
          `WITH handlers AS (SELECT DISTINCT handler FROM domain_event_cursors)
           SELECT (SELECT count(*) FROM domain_events WHERE seq IS NULL)
                + (SELECT coalesce(sum(gap), 0) FROM (
                     SELECT max(h.last_seq - coalesce(c.last_seq, 0)) AS gap
                     FROM domain_event_heads h CROSS JOIN handlers x
                     LEFT JOIN domain_event_cursors c ON c.org_id = h.org_id AND c.handler = x.handler
                     GROUP BY h.org_id) g) AS n`,
        )
      ).rows[0]!.n,
    );
  const caughtUp = async () => {
    const started = performance.now();
    while ((await backlog()) > 0) {
      if (performance.now() - started > 120_000) break;
      await sleep(100);
    }
    return +((performance.now() - started) / 1000).toFixed(1);
  };
  let servers = await startWorkServers(env, dbUrl, false);
  try {
    await servers.warm();
    const refCeiling = await servers.ceilingLoad();
    const refBul = await servers.bulLoad();
    const withoutWorker = {
      bul: refBul,
      ceiling: refCeiling,
      ratio: +(refBul.rps / refCeiling.rps).toFixed(3),
      load: loadNote(),
      target: 'reported',
    };
    await servers.stop();
    servers = await startWorkServers(env, dbUrl, true);
    // The reference round's events, undispatched so far, are handled before anything is measured.
    const referenceBacklogSeconds = await caughtUp();
    const { bulLoad, ceilingLoad } = servers;
    await servers.warm();
    const rounds: {
      bul: Load;
      ceiling: Load;
      ratio: number;
      backlogAtEnd: number;
      catchUpSeconds: number;
      load: string;
    }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const l = loadNote();
      let bul: Load;
      let ceiling: Load;
      let backlogAtEnd = 0;
      let catchUpSeconds = 0;
      const bulRound = async () => {
        const r = await bulLoad();
        backlogAtEnd = await backlog();
        catchUpSeconds = await caughtUp();
        return r;
      };
      if (i % 2 === 0) {
        ceiling = await ceilingLoad();
        bul = await bulRound();
      } else {
        bul = await bulRound();
        ceiling = await ceilingLoad();
      }
      rounds.push({
        bul,
        ceiling,
        ratio: +(bul.rps / ceiling.rps).toFixed(3),
        backlogAtEnd,
        catchUpSeconds,
        load: l,
      });
    }
    const ratio = +medianOf(rounds.map((r) => r.ratio)).toFixed(3);
    const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.ceil(rounds.length / 2) - 1]!;
    return {
      ratio,
      bul: median.bul,
      ceiling: median.ceiling,
      errors: rounds.reduce((n, r) => n + r.bul.errors, 0),
      non2xx: rounds.reduce((n, r) => n + r.bul.non2xx, 0),
      rounds,
      target: '>= 0.35 of the ceiling (the median round), no errors',
      withoutWorker,
      referenceBacklogSeconds,
    };
  } finally {
    await owner.end();
    await servers.stop();
  }
}
