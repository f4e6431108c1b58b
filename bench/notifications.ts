// The notifications benchmark (`BENCH_SUITES=notifications`, bench/README.md): the delivery runner
// as deployed, on an external PostgreSQL (a fresh database made for the run, dropped at the end),
// one `bul start --role api` and one `bul start --role worker` process:
//   1. webhook channel: BENCH_NOTIFY_COUNT (10,000) notifications to a local sink (bench/events-sink.ts),
//      all queued at once (deliveries per second) and queued at BENCH_NOTIFY_RATE a second (enqueue →
//      delivered latency); beside them, the same sink receiving as many signed POSTs from a plain
//      Node sender (bench/notify-ceiling.ts) with the runner's concurrency;
//   2. e-mail: a broadcast to an organization of BENCH_NOTIFY_COUNT members through the platform relay
//      (SMTP_HOST) pointing to a local SMTP sink (bench/smtp-sink.ts); beside it, nodemailer sending
//      as many messages directly with the pool size of BUL's bulk pool;
//   3. critical notifications sent through the API while a low-priority broadcast of
//      BENCH_NOTIFY_COUNT e-mails drains: each one's 202 → arrival, and the backlog then.
// The webhook channel is a team channel (planner.ts TEAM_CHANNELS): one POST per send, whatever the
// recipients. 10,000 webhook deliveries are 10,000 rows; the bench writes them as the database owner
// in one statement (measurement 1's burst: what a large fan-out leaves) or in small batches at the
// rate (the paced rounds), cloned from a notification that the API's /notifications/send planned,
// so that each row is what the API makes. That measures the runner, which the targets are about;
// /send's own rate is the API's and is not measured here. The 10,000 members of measurements 2 and
// 3 are written as the owner too (creating them through the API would take longer than the bench).
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import {
  api,
  ask,
  type BulProcess,
  firstMessage,
  forkChild,
  freePort,
  loadNote,
  medianOf,
  now,
  type Percentiles,
  percentiles,
  procStat,
  request,
  startBulProcess,
  stopBul,
  waitFor,
} from './events.ts';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Notifications per round (webhook rounds) and members of the organization (e-mail broadcasts). */
const COUNT = Number(process.env.BENCH_NOTIFY_COUNT ?? 10_000);
/** Webhook notifications queued per second in the paced rounds (for BENCH_SECONDS). */
const RATE = Number(process.env.BENCH_NOTIFY_RATE ?? 1000);
const ROUNDS = Number(process.env.BENCH_NOTIFY_ROUNDS ?? 3);
/** Critical notifications sent during the low-priority broadcast's drain, one a second. */
const CRITICAL = Number(process.env.BENCH_NOTIFY_CRITICAL ?? 5);
/** Connections per BUL process (other work shares the PostgreSQL server). */
const POOL_MAX = process.env.BENCH_DATABASE_POOL_MAX ?? '10';
/** NOTIFY_CONCURRENCY of the worker (BUL's default 32): the shared lane's slots. */
const CONCURRENCY = Number(process.env.NOTIFY_CONCURRENCY ?? 32);
/** The size of BUL's bulk SMTP pool (smtp-email.ts), for the ceiling's. */
const SMTP_POOL = 8;
/** `--cpu-prof` on the worker: its profile is summarised into the results (the figures move). */
const CPU_PROF = Boolean(process.env.BENCH_NOTIFY_CPU_PROF);
/** A round ends when every message has arrived, or none has for this long (the rest: missing). */
const STALL_MS = Number(process.env.BENCH_NOTIFY_STALL_SECONDS ?? 30) * 1000;
const PASSWORD = 'violet-harbor-lamp-42x';
const APP_ROLE = 'bul_bench_notifications';
const APP_PASSWORD = 'bench-notifications-app-role-password';
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const MESSAGE = {
  subject: 'Maintenance window tonight',
  body: 'The office network will be down from 22:00 to 23:00 for maintenance. Save your work before then.',
};
const raisedLimits = {
  RATE_LIMIT_IP_PER_MINUTE: '100000000',
  RATE_LIMIT_USER_PER_MINUTE: '100000000',
  RATE_LIMIT_LOGIN_BURST: '100000000',
  RATE_LIMIT_LOGIN_PER_SECOND: '100000000',
  LOCKOUT_ACCOUNT_THRESHOLD: '1000000',
  LOCKOUT_IP_THRESHOLD: '1000000',
};

// ---------------------------------------------------------------------------------------------
// Arrivals at both sinks, polled in the background

interface SinkRecord {
  key: string;
  receivedAt: number;
}

class Arrivals {
  readonly at = new Map<string, number[]>();
  unreadable = 0;
  private stopped = false;
  private readonly sinks: ChildProcess[];
  private readonly loop: Promise<void>;

  constructor(sinks: ChildProcess[]) {
    this.sinks = sinks;
    this.loop = this.poll();
  }

  private async poll() {
    while (!this.stopped) {
      for (const sink of this.sinks) {
        const r = await ask<{ records: SinkRecord[]; unreadable: number }>(sink, { take: true });
        this.unreadable += r.unreadable;
        for (const rec of r.records) {
          const list = this.at.get(rec.key);
          if (list) list.push(rec.receivedAt);
          else this.at.set(rec.key, [rec.receivedAt]);
        }
      }
      await sleep(50);
    }
  }

  /**
   * Waits until every key has arrived, or until none has for STALL_MS (the rest count as missing;
   * a slow drain that still makes progress is waited for).
   */
  async waitFor(keys: Iterable<string>): Promise<void> {
    let missing = [...keys];
    let progressAt = now();
    for (;;) {
      const before = missing.length;
      missing = missing.filter((k) => !this.at.has(k));
      if (missing.length === 0) break;
      if (missing.length < before) progressAt = now();
      else if (now() - progressAt > STALL_MS) break;
      await sleep(50);
    }
    // A duplicate would arrive close behind: give it the time to.
    await sleep(300);
  }

  async stop() {
    this.stopped = true;
    await this.loop.catch(() => {});
  }
}

interface DeliveryRound {
  count: number;
  delivered: number;
  duplicates: number;
  failedSends: number;
  /** Delivered per second, from the first enqueue to the last arrival. */
  perSecond: number;
  seconds: number;
  latencyMs: Percentiles;
  load: string;
}

/** Latency and rate of the messages enqueued at `enqueuedAt` (id → ms), from their arrivals. */
function summarize(arrivals: Arrivals, enqueuedAt: Map<string, number>, load: string, failedSends = 0) {
  const latencies: number[] = [];
  let duplicates = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const [id, t0] of enqueuedAt) {
    first = Math.min(first, t0);
    const at = arrivals.at.get(id);
    if (!at) continue;
    duplicates += at.length - 1;
    const t = Math.min(...at);
    last = Math.max(last, t);
    latencies.push(t - t0);
  }
  const seconds = (last - first) / 1000;
  return {
    count: enqueuedAt.size,
    delivered: latencies.length,
    duplicates,
    failedSends,
    perSecond: Math.round(latencies.length / Math.max(0.001, seconds)),
    seconds: +seconds.toFixed(2),
    latencyMs: percentiles(latencies),
    load,
  } satisfies DeliveryRound;
}

// ---------------------------------------------------------------------------------------------

export async function runNotificationsBench() {
  const { results, verdicts } = await measure();
  return { results, verdicts, md: markdown(results, verdicts) };
}

async function measure() {
  const dbName = `bul_bench_notify_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  const postgresVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!
    .server_version;
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const dbUrl = new URL(SERVER_URL);
  dbUrl.pathname = `/${dbName}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bul-bench-notify-'));
  const profDir = path.join(dataDir, 'cpu-prof');
  const owner = new pg.Client({ connectionString: dbUrl.toString() });
  const procs: BulProcess[] = [];
  const children: ChildProcess[] = [];
  let arrivals: Arrivals | null = null;
  try {
    // ---- sinks and the ceiling sender, each a process of its own ----
    const webhookSink = forkChild('events-sink.ts');
    const smtpSink = forkChild('smtp-sink.ts');
    const ceiling = forkChild('notify-ceiling.ts');
    children.push(webhookSink, smtpSink, ceiling);
    const { port: webhookPort } = await firstMessage<{ port: number }>(webhookSink);
    const { port: smtpPort } = await firstMessage<{ port: number }>(smtpSink);
    await firstMessage(ceiling);
    const sinkUrl = `http://127.0.0.1:${webhookPort}/notifications`;

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: dbUrl.toString(),
      DATABASE_POOL_MAX: POOL_MAX,
      BUL_DATA_DIR: dataDir,
      BUL_MASTER_KEY: randomBytes(32).toString('base64'),
      DATABASE_APP_ROLE: APP_ROLE,
      DATABASE_APP_PASSWORD: APP_PASSWORD,
      PUBLIC_URL: 'http://localhost:8080',
      LOG_LEVEL: 'warn',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      REDIS_URL: '',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtpPort),
      SMTP_SECURE: 'false',
      SMTP_FROM: 'BUL Bench <no-reply@bench.example>',
      ...raisedLimits,
    };

    // ---- BUL as deployed: one API process, one worker ----
    process.stderr.write(`bench notifications: database ${dbName}; starting an API process and a worker…\n`);
    const apiPort = await freePort();
    const apiProc = startBulProcess('api', 'api', env, apiPort);
    procs.push(apiProc);
    const base = `http://127.0.0.1:${apiPort}`;
    await waitFor(
      'the API process',
      async () => (await request(`${base}/ready`)).status === 200,
      120_000,
      procs,
    );
    const worker = startBulProcess(
      'worker',
      'worker',
      env,
      null,
      CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
    );
    procs.push(worker);
    await owner.connect();
    await waitFor(
      'the worker listening for notifications',
      async () =>
        (
          await owner.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = 'bul-notify-listen'`,
            [dbName],
          )
        ).rowCount! > 0,
      60_000,
      procs,
    );
    await sleep(500);
    for (const p of procs) p.ready = true;
    arrivals = new Arrivals([webhookSink, smtpSink]);

    // ---- fixtures: an organization of COUNT members, its webhook channel to the sink ----
    const reg = await api<{ organization: { id: string }; user: { id: string } }>(
      base,
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
    const orgId = reg.organization.id;
    await owner.query(`UPDATE organizations SET plan_id = 'enterprise' WHERE id = $1`, [orgId]);
    const { accessToken } = await api<{ accessToken: string }>(base, 'POST', '/auth/login', null, {
      email: 'bench@example.com',
      password: PASSWORD,
    });
    const ownerUserId = reg.user.id;
    const channelVia = await createWebhookChannel(base, accessToken, owner, orgId, sinkUrl, env);
    const membersSeconds = await insertMembers(owner, orgId, COUNT - 1);

    // ---- a notification of each channel through the API: the rows to clone, and the warm-up ----
    const sent = await api<{ notifications: { id: string; channel: string; status: string }[] }>(
      base,
      'POST',
      '/notifications/send',
      accessToken,
      {
        to: { userIds: [ownerUserId] },
        channels: ['webhook', 'email'],
        priority: 'normal',
        message: MESSAGE,
      },
      [202],
    );
    const webhookTemplate = sent.notifications.find((n) => n.channel === 'webhook');
    const emailTemplate = sent.notifications.find((n) => n.channel === 'email');
    if (
      !webhookTemplate ||
      webhookTemplate.status !== 'queued' ||
      !emailTemplate ||
      emailTemplate.status !== 'queued'
    )
      throw new Error(
        `the warm-up send was not queued on both channels: ${JSON.stringify(sent.notifications)}`,
      );
    await arrivals.waitFor([webhookTemplate.id, emailTemplate.id]);
    if (!arrivals.at.has(webhookTemplate.id) || !arrivals.at.has(emailTemplate.id))
      throw new Error(
        `the warm-up notifications did not arrive: ${JSON.stringify(await statusOf(owner, [webhookTemplate.id, emailTemplate.id]))}`,
      );
    const emailRow = (
      await owner.query<{ subject: string; body: string; html: string | null }>(
        'SELECT subject, body, html FROM notifications WHERE id = $1',
        [emailTemplate.id],
      )
    ).rows[0]!;
    // A warm-up burst through the whole path (its figures are not kept).
    await webhookBurst(owner, arrivals, webhookTemplate.id, Math.min(COUNT, 2000));

    // ---- CPU and database transactions per delivery ----
    const meter = async () => {
      const backends = async () =>
        (
          await owner.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity
             WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
            [dbName],
          )
        ).rows.map((r) => r.pid);
      const xacts = async () =>
        Number(
          (
            await owner.query<{ n: string }>(
              'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1',
              [dbName],
            )
          ).rows[0]!.n,
        );
      const pg0 = new Map((await backends()).map((pid) => [pid, procStat(pid).cpuMs]));
      const worker0 = procStat(worker.child.pid!).cpuMs;
      const api0 = procStat(apiProc.child.pid!).cpuMs;
      const x0 = await xacts();
      return async (deliveries: number) => {
        // Backends report their counters at most once a second when idle.
        await sleep(1500);
        const pgMs = (await backends()).reduce(
          (sum, pid) => sum + procStat(pid).cpuMs - (pg0.get(pid) ?? procStat(pid).cpuMs),
          0,
        );
        const per = (ms: number) => +(ms / Math.max(1, deliveries)).toFixed(3);
        return {
          msPerDelivery: {
            worker: per(procStat(worker.child.pid!).cpuMs - worker0),
            api: per(procStat(apiProc.child.pid!).cpuMs - api0),
            postgres: per(pgMs),
          },
          transactionsPerDelivery: +(((await xacts()) - x0) / Math.max(1, deliveries)).toFixed(2),
        };
      };
    };

    // ---- 1. webhook channel ----
    process.stderr.write(
      `bench notifications: webhook, ${COUNT} at once and ${RATE}/s for ${DURATION} s, ${ROUNDS} rounds…\n`,
    );
    const webhookRounds: {
      bul: DeliveryRound & Awaited<ReturnType<typeof bulStages>> & { cpu: unknown; activity: unknown };
      ceiling: DeliveryRound;
      ceilingFreshConnections: DeliveryRound;
      paced: DeliveryRound & Awaited<ReturnType<typeof bulStages>>;
      pacedCeiling: DeliveryRound;
    }[] = [];
    const ceilingWebhook = async (keepAlive: boolean, rate?: number) => {
      const load = loadNote();
      const r = await ask<{ sentAt: [string, number][]; failed: number; error?: string }>(ceiling, {
        webhook: {
          url: sinkUrl,
          secret: SECRET,
          count: COUNT,
          concurrency: CONCURRENCY,
          keepAlive,
          subject: MESSAGE.subject,
          text: MESSAGE.body,
          ...(rate ? { rate, seconds: DURATION } : {}),
        },
      });
      if (r.error) throw new Error(`ceiling sender: ${r.error}`);
      const enqueuedAt = new Map(r.sentAt);
      await arrivals!.waitFor(enqueuedAt.keys());
      return summarize(arrivals!, enqueuedAt, load, r.failed);
    };
    const bulBurst = async () => {
      const m = await meter();
      const sampling = sampleActivity(owner, dbName);
      const r = await webhookBurst(owner, arrivals!, webhookTemplate.id, COUNT);
      const activity = await sampling.stop();
      return { ...r.round, ...(await bulStages(owner, r.ids)), cpu: await m(r.round.delivered), activity };
    };
    const bulPaced = async () => {
      const r = await webhookPaced(owner, arrivals!, webhookTemplate.id, RATE, DURATION);
      return { ...r.round, ...(await bulStages(owner, r.ids)) };
    };
    // The ceiling sender warms up too (its first thousands of POSTs run cold code).
    await ceilingWebhook(true);
    await ceilingWebhook(false);
    for (let i = 0; i < ROUNDS; i++) {
      let bul: Awaited<ReturnType<typeof bulBurst>>;
      let ceil: DeliveryRound;
      let paced: Awaited<ReturnType<typeof bulPaced>>;
      let pacedCeiling: DeliveryRound;
      if (i % 2 === 0) {
        ceil = await ceilingWebhook(true);
        bul = await bulBurst();
        pacedCeiling = await ceilingWebhook(true, RATE);
        paced = await bulPaced();
      } else {
        bul = await bulBurst();
        ceil = await ceilingWebhook(true);
        paced = await bulPaced();
        pacedCeiling = await ceilingWebhook(true, RATE);
      }
      const ceilingFreshConnections = await ceilingWebhook(false);
      webhookRounds.push({ bul, ceiling: ceil, ceilingFreshConnections, paced, pacedCeiling });
      process.stderr.write(
        `  round ${i + 1}: BUL ${bul.perSecond}/s (${bul.delivered}/${bul.count}), ceiling ${ceil.perSecond}/s (fresh connections ${ceilingFreshConnections.perSecond}/s); paced p99 ${paced.latencyMs.p99} ms (ceiling ${pacedCeiling.latencyMs.p99} ms)\n`,
      );
    }

    // ---- 2. e-mail: a broadcast to the organization through the platform relay ----
    process.stderr.write(`bench notifications: e-mail broadcasts to ${COUNT} members, ${ROUNDS} rounds…\n`);
    const emailRounds: {
      bul: DeliveryRound & { broadcastMs: number; cpu: unknown } & Awaited<ReturnType<typeof bulStages>>;
      ceiling: DeliveryRound;
    }[] = [];
    const ceilingSmtp = async () => {
      const load = loadNote();
      const r = await ask<{ sentAt: [string, number][]; failed: number; error?: string }>(ceiling, {
        smtp: {
          port: smtpPort,
          count: COUNT,
          concurrency: CONCURRENCY,
          poolSize: SMTP_POOL,
          from: 'BUL Bench <no-reply@bench.example>',
          subject: emailRow.subject,
          text: emailRow.body,
          html: emailRow.html,
        },
      });
      if (r.error) throw new Error(`ceiling sender: ${r.error}`);
      const enqueuedAt = new Map(r.sentAt);
      await arrivals!.waitFor(enqueuedAt.keys());
      return summarize(arrivals!, enqueuedAt, load, r.failed);
    };
    const bulBroadcast = async () => {
      const m = await meter();
      const r = await emailBroadcast(base, accessToken, owner, arrivals!, 'normal');
      return {
        ...r.round,
        broadcastMs: r.broadcastMs,
        ...(await bulStages(owner, r.ids)),
        cpu: await m(r.round.delivered),
      };
    };
    await ceilingSmtp();
    for (let i = 0; i < ROUNDS; i++) {
      let bul: Awaited<ReturnType<typeof bulBroadcast>>;
      let ceil: DeliveryRound;
      if (i % 2 === 0) {
        ceil = await ceilingSmtp();
        bul = await bulBroadcast();
      } else {
        bul = await bulBroadcast();
        ceil = await ceilingSmtp();
      }
      emailRounds.push({ bul, ceiling: ceil });
      process.stderr.write(
        `  round ${i + 1}: BUL ${bul.perSecond}/s (${bul.delivered}/${bul.count}, broadcast answered in ${bul.broadcastMs} ms), ceiling ${ceil.perSecond}/s\n`,
      );
    }

    // ---- 3. critical notifications while a low-priority broadcast drains ----
    process.stderr.write(`bench notifications: ${CRITICAL} critical sends during a low broadcast…\n`);
    const critical = await criticalDuringBroadcast(base, accessToken, owner, arrivals, ownerUserId);

    const warnings = procs.map((p) => ({
      process: p.name,
      warnings: p.problemCount,
      exit: p.exit,
      first: p.problems.slice(0, 5),
    }));
    for (const p of procs) await stopBul(p);
    const profile = CPU_PROF ? summarizeProfile(profDir) : null;

    // ---- results ----
    const med = (xs: number[]) => +medianOf(xs).toFixed(1);
    const medRatio = (xs: number[]) => +medianOf(xs).toFixed(3);
    const bulRates = webhookRounds.map((r) => r.bul.perSecond);
    const ceilRates = webhookRounds.map((r) => r.ceiling.perSecond);
    const ratios = webhookRounds.map((r) => +(r.bul.perSecond / r.ceiling.perSecond).toFixed(3));
    const emailRatios = emailRounds.map((r) => +(r.bul.perSecond / r.ceiling.perSecond).toFixed(3));
    const pacedWorstP99 = Math.max(...webhookRounds.map((r) => r.paced.latencyMs.p99));
    const once = (r: DeliveryRound) => r.delivered === r.count && r.duplicates === 0 && r.failedSends === 0;
    const results = {
      postgres: `external ${postgresVersion}`,
      processes: 'one `bul start --role api`, one `bul start --role worker`',
      databasePoolMax: Number(POOL_MAX),
      notifyConcurrency: CONCURRENCY,
      count: COUNT,
      webhookChannelCreatedVia: channelVia,
      membersInsertedSeconds: membersSeconds,
      webhook: {
        rounds: webhookRounds,
        bul: {
          medianPerSecond: med(bulRates),
          medianRatio: medRatio(ratios),
          medianFreshConnectionRatio: medRatio(
            webhookRounds.map((r) => r.bul.perSecond / r.ceilingFreshConnections.perSecond),
          ),
          pacedRate: RATE,
          pacedWorstP99Ms: pacedWorstP99,
          pacedMedianP50Ms: med(webhookRounds.map((r) => r.paced.latencyMs.p50)),
          pacedMedianP95Ms: med(webhookRounds.map((r) => r.paced.latencyMs.p95)),
          pacedMedianP99Ms: med(webhookRounds.map((r) => r.paced.latencyMs.p99)),
        },
        ceiling: {
          medianPerSecond: med(ceilRates),
          freshConnectionsMedianPerSecond: med(webhookRounds.map((r) => r.ceilingFreshConnections.perSecond)),
          pacedMedianP99Ms: med(webhookRounds.map((r) => r.pacedCeiling.latencyMs.p99)),
        },
        target: '>= 1,000 deliveries/s; p99 enqueue → delivered < 1 s at the rate; every one delivered once',
      },
      email: {
        rounds: emailRounds,
        bul: {
          medianPerSecond: med(emailRounds.map((r) => r.bul.perSecond)),
          medianRatio: medRatio(emailRatios),
        },
        ceiling: { medianPerSecond: med(emailRounds.map((r) => r.ceiling.perSecond)) },
        target: 'reported; every one delivered once',
      },
      critical,
      profile,
      unreadableAtSinks: arrivals.unreadable,
      warnings,
    };
    const verdicts = {
      webhookRate: medianOf(bulRates) >= 1000 && webhookRounds.every((r) => once(r.bul)),
      webhookLatency: pacedWorstP99 < 1000 && webhookRounds.every((r) => once(r.paced)),
      emailOnce: emailRounds.every((r) => once(r.bul)),
      critical:
        critical.sends.length > 0 &&
        critical.sends.every((s) => s.deliveries.every((d) => d.latencyMs !== null && d.latencyMs < 1000)),
    };
    return { results, verdicts };
  } finally {
    await arrivals?.stop();
    for (const p of procs) await stopBul(p).catch(() => {});
    for (const c of children) c.kill('SIGTERM');
    await owner.end().catch(() => {});
    if (process.env.BENCH_KEEP_DATABASE) {
      process.stderr.write(`bench notifications: kept database ${dbUrl} (BENCH_KEEP_DATABASE)\n`);
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
// Fixtures

/**
 * The organization's webhook channel to the sink: through the channels API where this BUL has it,
 * else (before that API) the row itself, its secret sealed as the API seals it.
 */
async function createWebhookChannel(
  base: string,
  token: string,
  owner: pg.Client,
  orgId: string,
  url: string,
  env: NodeJS.ProcessEnv,
): Promise<'api' | 'owner insert'> {
  const r = await request(`${base}/api/v1/notifications/channels`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify({
      kind: 'webhook',
      name: 'Bench sink',
      config: { url },
      secrets: { secret: SECRET },
    }),
  });
  if (r.status === 201 || r.status === 200) return 'api';
  if (r.status !== 404) throw new Error(`POST /notifications/channels: ${r.status} ${r.body}`);
  const { MasterKey } = await import('../src/platform/crypto/master-key.ts');
  const { SecretBox } = await import('../src/platform/crypto/secret-box.ts');
  const box = new SecretBox(new MasterKey(Buffer.from(env.BUL_MASTER_KEY!, 'base64')));
  const id = randomUUID();
  const sealed = box.seal(JSON.stringify({ secret: SECRET }), `notification-channel:${orgId}:${id}`);
  await owner.query(
    `INSERT INTO notification_channels (org_id, id, kind, name, position, config, secrets_sealed)
     VALUES ($1, $2, 'webhook', 'Bench sink', 1, $3, $4)`,
    [orgId, id, JSON.stringify({ url }), sealed],
  );
  return 'owner insert';
}

/** `n` active members with the built-in "user" role, written as the owner in two statements. */
async function insertMembers(owner: pg.Client, orgId: string, n: number): Promise<number> {
  const started = performance.now();
  await owner.query('BEGIN');
  await owner.query(
    `CREATE TEMP TABLE bench_members ON COMMIT DROP AS
     SELECT gen_random_uuid() AS user_id, gen_random_uuid() AS id, i FROM generate_series(1, $1::int) i`,
    [n],
  );
  await owner.query(
    `INSERT INTO users (id, email, name) SELECT user_id, 'member' || i || '@bench.example', 'Member ' || i FROM bench_members`,
  );
  await owner.query(
    `INSERT INTO memberships (org_id, id, user_id, role_id)
     SELECT $1, m.id, m.user_id, (SELECT id FROM roles WHERE org_id = $1 AND key = 'user') FROM bench_members m`,
    [orgId],
  );
  await owner.query('COMMIT');
  await owner.query('ANALYZE users; ANALYZE memberships');
  return +((performance.now() - started) / 1000).toFixed(1);
}

async function statusOf(owner: pg.Client, ids: string[]) {
  return (
    await owner.query(
      'SELECT id, channel, status, attempts, last_error FROM notifications WHERE id = ANY($1)',
      [ids],
    )
  ).rows;
}

// ---------------------------------------------------------------------------------------------
// Webhook rounds

const CLONE = `INSERT INTO notifications (org_id, id, idempotency_key, source, batch_id, event_id, event_type, rule_id,
    recipient_user_id, recipient_contact_id, recipient_name, address, channel, priority, priority_rank, language,
    subject, body, html, whatsapp_template, data, template_id, template_version, status, next_attempt_at)
  SELECT t.org_id, x.id, 'bench:' || x.id, t.source, t.batch_id, t.event_id, t.event_type, t.rule_id,
    t.recipient_user_id, t.recipient_contact_id, t.recipient_name, t.address, t.channel, t.priority, t.priority_rank,
    t.language, t.subject, t.body, t.html, t.whatsapp_template, t.data, t.template_id, t.template_version, 'queued', now()
  FROM notifications t CROSS JOIN unnest($2::uuid[]) AS x(id) WHERE t.id = $1`;

/** Queues copies of the template row under `ids` (one statement), then wakes the runners. */
async function enqueue(owner: pg.Client, templateId: string, ids: string[]): Promise<number> {
  await owner.query(CLONE, [templateId, ids]);
  const at = now();
  await owner.query(`SELECT pg_notify('bul_notifications', '')`);
  return at;
}

/** `count` webhook notifications queued in one statement, as a large fan-out leaves them. */
async function webhookBurst(owner: pg.Client, arrivals: Arrivals, templateId: string, count: number) {
  const ids = Array.from({ length: count }, () => randomUUID());
  const load = loadNote();
  const at = await enqueue(owner, templateId, ids);
  await arrivals.waitFor(ids);
  return { round: summarize(arrivals, new Map(ids.map((id) => [id, at])), load), ids };
}

/** `rate` webhook notifications a second for `seconds`, queued in batches as the clock says (open loop). */
async function webhookPaced(
  owner: pg.Client,
  arrivals: Arrivals,
  templateId: string,
  rate: number,
  seconds: number,
) {
  const total = Math.round(rate * seconds);
  const enqueuedAt = new Map<string, number>();
  const load = loadNote();
  const started = performance.now();
  let queued = 0;
  while (queued < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000));
    if (due > queued) {
      const ids = Array.from({ length: due - queued }, () => randomUUID());
      const at = await enqueue(owner, templateId, ids);
      for (const id of ids) enqueuedAt.set(id, at);
      queued = due;
    } else await sleep(1);
  }
  await arrivals.waitFor(enqueuedAt.keys());
  return { round: summarize(arrivals, enqueuedAt, load), ids: [...enqueuedAt.keys()] };
}

/**
 * Where a round's time went, from the rows BUL wrote: queue = created_at → the attempt's start
 * (waiting for a slot and the claim), send = the provider call, record = the call's end → the
 * settle (its transaction); and what they came to.
 */
async function bulStages(owner: pg.Client, ids: string[]) {
  const stage = (expr: string) => `percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY ${expr})`;
  const { rows } = await owner.query<Record<string, number[] | Record<string, number> | null>>(
    `SELECT ${stage('extract(epoch FROM a.started_at - n.created_at) * 1000')} AS queue,
            ${stage('a.latency_ms')} AS send,
            ${stage(`extract(epoch FROM n.updated_at - a.started_at) * 1000 - a.latency_ms`)} AS record,
            (SELECT jsonb_object_agg(status, c) FROM (SELECT status, count(*) c FROM notifications
              WHERE id = ANY($1) GROUP BY status) s) AS statuses,
            (SELECT jsonb_object_agg(attempts, c) FROM (SELECT attempts, count(*) c FROM notifications
              WHERE id = ANY($1) GROUP BY attempts) s) AS attempts
     FROM notifications n
     JOIN notification_attempts a ON a.org_id = n.org_id AND a.notification_id = n.id AND a.attempt = 1
     WHERE n.id = ANY($1)`,
    [ids],
  );
  const r = rows[0] ?? {};
  const ms = (v: unknown) => {
    const a = (v as number[] | null) ?? [];
    return { p50: +(a[0] ?? NaN).toFixed(1), p95: +(a[1] ?? NaN).toFixed(1), p99: +(a[2] ?? NaN).toFixed(1) };
  };
  return {
    stagesMs: { queue: ms(r.queue), send: ms(r.send), record: ms(r.record) },
    statuses: (r.statuses ?? {}) as Record<string, number>,
    attemptCounts: (r.attempts ?? {}) as Record<string, number>,
  };
}

/**
 * Samples pg_stat_activity every 20 ms: how many of BUL's pooled connections are running a
 * statement, idle inside a transaction (the process holds them between statements) or idle, and
 * what the running ones wait on.
 */
function sampleActivity(owner: pg.Client, dbName: string) {
  const sampler = new pg.Client(ownerConfig(owner));
  let stopped = false;
  const states: Record<string, number> = {};
  const waits: Record<string, number> = {};
  let samples = 0;
  const loop = (async () => {
    await sampler.connect();
    while (!stopped) {
      const { rows } = await sampler.query<{ state: string; wait: string | null }>(
        `SELECT state, wait_event_type || ':' || wait_event AS wait FROM pg_stat_activity
         WHERE datname = $1 AND application_name = 'bul' AND backend_type = 'client backend'`,
        [dbName],
      );
      samples++;
      for (const r of rows) {
        states[r.state] = (states[r.state] ?? 0) + 1;
        if (r.state === 'active' && r.wait) waits[r.wait] = (waits[r.wait] ?? 0) + 1;
      }
      await sleep(20);
    }
    await sampler.end();
  })();
  return {
    async stop() {
      stopped = true;
      await loop.catch(() => {});
      const avg = (o: Record<string, number>) =>
        Object.fromEntries(Object.entries(o).map(([k, v]) => [k, +(v / Math.max(1, samples)).toFixed(2)]));
      return { samples, averageConnectionsByState: avg(states), averageActiveWaitingOn: avg(waits) };
    },
  };
}

function ownerConfig(owner: pg.Client): pg.ClientConfig {
  const c = owner as unknown as { connectionParameters: pg.ClientConfig };
  const p = c.connectionParameters;
  return { host: p.host, port: p.port, user: p.user, password: p.password, database: p.database };
}

// ---------------------------------------------------------------------------------------------
// E-mail rounds and the critical lane

/** A broadcast to the whole organization on e-mail through the API; its arrivals at the SMTP sink. */
async function emailBroadcast(
  base: string,
  token: string,
  owner: pg.Client,
  arrivals: Arrivals,
  priority: 'normal' | 'low',
  during?: (batchId: string) => Promise<void>,
) {
  const load = loadNote();
  const started = now();
  const r = await request(`${base}/api/v1/notifications/broadcast`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify({
      audience: { kind: 'organization' },
      channels: ['email'],
      priority,
      message: MESSAGE,
    }),
  });
  if (r.status !== 202) throw new Error(`POST /notifications/broadcast: ${r.status} ${r.body}`);
  const { batchId } = JSON.parse(r.body) as { batchId: string };
  const ids = (
    await owner.query<{ id: string }>(
      `SELECT id FROM notifications WHERE batch_id = $1 AND channel = 'email' AND status <> 'skipped'`,
      [batchId],
    )
  ).rows.map((x) => x.id);
  const duringDone = during?.(batchId);
  await arrivals.waitFor(ids);
  await duringDone;
  return {
    round: summarize(arrivals, new Map(ids.map((id) => [id, r.at])), load),
    broadcastMs: Math.round(r.at - started),
    batchId,
    ids,
  };
}

async function criticalDuringBroadcast(
  base: string,
  token: string,
  owner: pg.Client,
  arrivals: Arrivals,
  userId: string,
) {
  const sends: {
    backlog: { queued: number; sending: number };
    afterBroadcastMs: number;
    answerMs: number;
    deliveries: { channel: string; id: string; latencyMs: number | null; status: string }[];
  }[] = [];
  let broadcastAt = 0;
  const broadcast = await emailBroadcast(base, token, owner, arrivals, 'low', async (batchId) => {
    broadcastAt = now();
    for (let i = 0; i < CRITICAL; i++) {
      await sleep(i === 0 ? 500 : 1000);
      const backlog = (
        await owner.query<{ queued: number; sending: number }>(
          `SELECT count(*) FILTER (WHERE status = 'queued')::int AS queued,
                  count(*) FILTER (WHERE status = 'sending')::int AS sending
           FROM notifications WHERE batch_id = $1`,
          [batchId],
        )
      ).rows[0]!;
      const started = now();
      const r = await request(`${base}/api/v1/notifications/send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify({
          to: { userIds: [userId] },
          channels: ['webhook', 'email'],
          priority: 'critical',
          message: { subject: `Critical ${i + 1}`, body: 'The production database is down.' },
        }),
      });
      if (r.status !== 202) throw new Error(`POST /notifications/send: ${r.status} ${r.body}`);
      const made = (JSON.parse(r.body) as { notifications: { id: string; channel: string }[] }).notifications;
      sends.push({
        backlog,
        afterBroadcastMs: Math.round(started - broadcastAt),
        answerMs: Math.round(r.at - started),
        deliveries: made.map((n) => ({ channel: n.channel, id: n.id, latencyMs: null, status: '' })),
      });
      // The 202's time is the enqueue time.
      for (const d of sends.at(-1)!.deliveries) (d as { enqueuedAt?: number }).enqueuedAt = r.at;
    }
    await arrivals.waitFor(sends.flatMap((s) => s.deliveries.map((d) => d.id)));
  });
  const statuses = new Map(
    (
      await owner.query<{ id: string; status: string }>(
        'SELECT id, status FROM notifications WHERE id = ANY($1)',
        [sends.flatMap((s) => s.deliveries.map((d) => d.id))],
      )
    ).rows.map((r) => [r.id, r.status]),
  );
  for (const s of sends)
    for (const d of s.deliveries) {
      const at = arrivals.at.get(d.id);
      const t0 = (d as { enqueuedAt?: number }).enqueuedAt!;
      d.latencyMs = at ? +(Math.min(...at) - t0).toFixed(1) : null;
      d.status = statuses.get(d.id) ?? 'unknown';
      delete (d as { enqueuedAt?: number }).enqueuedAt;
    }
  return {
    broadcast: { ...broadcast.round, broadcastMs: broadcast.broadcastMs, priority: 'low' },
    sends,
    target: 'each critical notification delivered < 1 s after the 202, while the broadcast drains',
  };
}

// ---------------------------------------------------------------------------------------------
// The worker's CPU profile (BENCH_NOTIFY_CPU_PROF)

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self time by function and by area (BUL's modules, pg, nodemailer, Node's internals, GC, idle). */
function summarizeProfile(dir: string) {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return { error: 'no profile written' };
  }
  if (files.length === 0) return { error: 'no profile written' };
  const prof = JSON.parse(readFileSync(path.join(dir, files[0]!), 'utf8')) as {
    nodes: ProfileNode[];
    startTime: number;
    endTime: number;
    samples: number[];
  };
  const perSample = (prof.endTime - prof.startTime) / 1000 / Math.max(1, prof.samples.length);
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  const area = (url: string, fn: string) => {
    if (fn === '(idle)') return 'idle';
    if (fn === '(garbage collector)') return 'garbage collector';
    if (fn === '(program)') return 'program (native)';
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (m) return m[1]!;
    const s = /\/src\/(.*)\/[^/]+\.ts$/.exec(url);
    if (s) return `src/${s[1]}`;
    if (url.startsWith('node:') || url === '') return 'node internals';
    return url;
  };
  for (const n of prof.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const ms = hits * perSample;
    total += ms;
    const { functionName, url, lineNumber } = n.callFrame;
    const name = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    const a = area(url, functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + ms);
  }
  const top = (m: Map<string, number>, k: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), share: +(ms / total).toFixed(3) }));
  return { totalMs: Math.round(total), byArea: top(byArea, 15), topFunctions: top(byFunction, 25) };
}

// ---------------------------------------------------------------------------------------------

type Results = Awaited<ReturnType<typeof measure>>['results'];

function markdown(r: Results, v: Record<string, boolean>): string {
  const yes = (b: boolean) => (b ? 'yes' : 'NO');
  const pct = (p: Percentiles) => `p50 ${p.p50} ms, p95 ${p.p95} ms, p99 ${p.p99} ms, max ${p.max} ms`;
  const got = (d: DeliveryRound) =>
    `${d.delivered}/${d.count}${d.duplicates ? `, ${d.duplicates} duplicates` : ''}${d.failedSends ? `, ${d.failedSends} failed sends` : ''}`;
  const w = r.webhook;
  const e = r.email;
  const stages = (s: Record<string, { p50: number; p99: number }>) =>
    Object.entries(s)
      .map(([k, x]) => `${k} ${x.p50} / ${x.p99}`)
      .join('; ');
  const cpu = (c: unknown) => {
    const x = c as { msPerDelivery: Record<string, number>; transactionsPerDelivery: number };
    return `${Object.entries(x.msPerDelivery)
      .map(([k, ms]) => `${k} ${ms}`)
      .join(', ')} ms; ${x.transactionsPerDelivery} transactions`;
  };
  const lines = [
    `# Benchmark: notifications (${new Date().toISOString()})`,
    '',
    `${os.cpus().length} CPUs (${os.cpus()[0]?.model}), Node ${process.version}, PostgreSQL ${r.postgres} (a database made for the run), ${r.processes}, DATABASE_POOL_MAX ${r.databasePoolMax} each, NOTIFY_CONCURRENCY ${r.notifyConcurrency} (the shared lane; critical and high lanes ${Math.max(2, Math.floor(r.notifyConcurrency / 4))} each). Webhook rows cloned from one the API planned, written as the owner (the webhook channel posts once per send); ${r.count.toLocaleString('en')} members written as the owner in ${r.membersInsertedSeconds} s; the webhook channel made through ${r.webhookChannelCreatedVia === 'api' ? 'the channels API' : 'an owner insert (no channels API in this build)'}.`,
    '',
    '| measurement | BUL | ceiling | ratio | target | met |',
    '|---|---|---|---|---|---|',
    `| ${r.count.toLocaleString('en')} webhook notifications queued at once → a local sink, ${w.rounds.length} rounds | median ${w.bul.medianPerSecond} deliveries/s | the same sink, signed POSTs from a plain Node sender, ${r.notifyConcurrency} at once: keep-alive ${w.ceiling.medianPerSecond}/s; a connection per POST (as BUL) ${w.ceiling.freshConnectionsMedianPerSecond}/s | ${w.bul.medianRatio} (against a connection per POST ${w.bul.medianFreshConnectionRatio}) | ≥ 1,000/s, each delivered once | ${yes(v.webhookRate!)} |`,
    `| webhook notifications queued at ${w.bul.pacedRate}/s for ${DURATION} s → the sink (enqueue's commit → arrival) | median round p50 ${w.bul.pacedMedianP50Ms} ms, p95 ${w.bul.pacedMedianP95Ms} ms, p99 ${w.bul.pacedMedianP99Ms} ms; worst round p99 ${w.bul.pacedWorstP99Ms} ms | the sender at the same rate: median round p99 ${w.ceiling.pacedMedianP99Ms} ms | — | p99 < 1 s in every round, each delivered once | ${yes(v.webhookLatency!)} |`,
    `| a broadcast to ${r.count.toLocaleString('en')} members on e-mail → a local SMTP server (the broadcast's 202 → arrival) | median ${e.bul.medianPerSecond} deliveries/s | nodemailer, a pool of ${SMTP_POOL} connections, ${r.notifyConcurrency} messages at once: ${e.ceiling.medianPerSecond}/s | ${e.bul.medianRatio} | reported; each delivered once | ${yes(v.emailOnce!)} |`,
    `| critical notifications (webhook + e-mail) sent during a low-priority ${r.count.toLocaleString('en')}-e-mail broadcast | ${r.critical.sends
      .flatMap((s) => s.deliveries.map((d) => `${d.channel} ${d.latencyMs ?? 'missing'} ms`))
      .join(', ')} | — | — | each < 1 s | ${yes(v.critical!)} |`,
    '',
    'Webhook rounds (BUL and the keep-alive ceiling alternate, the ceiling first in odd rounds; stages p50 / p99 ms from the rows: queue = created_at → attempt start, send = the POST, record = POST end → settle; CPU and database transactions per delivery over the burst):',
    '',
    '| round | BUL at once: rate, latency | delivered | stages | CPU per delivery | pooled connections (avg over samples) | ceiling keep-alive | ceiling a connection per POST | BUL at the rate: latency | ceiling at the rate | load average |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...w.rounds.map((x, i) => {
      const act = x.bul.activity as {
        averageConnectionsByState: Record<string, number>;
        averageActiveWaitingOn: Record<string, number>;
      };
      return `| ${i + 1} | ${x.bul.perSecond}/s in ${x.bul.seconds} s; ${pct(x.bul.latencyMs)} | ${got(x.bul)} | ${stages(x.bul.stagesMs)} | ${cpu(x.bul.cpu)} | ${JSON.stringify(act.averageConnectionsByState)} waiting ${JSON.stringify(act.averageActiveWaitingOn)} | ${x.ceiling.perSecond}/s (${got(x.ceiling)}) | ${x.ceilingFreshConnections.perSecond}/s (${got(x.ceilingFreshConnections)}) | ${pct(x.paced.latencyMs)} (${got(x.paced)}; stages ${stages(x.paced.stagesMs)}) | ${pct(x.pacedCeiling.latencyMs)} | ${x.bul.load} |`;
    }),
    '',
    "E-mail rounds (a broadcast through the API to the whole organization; latency from its 202 answer, so it is mostly each message's place in the queue):",
    '',
    '| round | broadcast answered in | BUL rate | latency | delivered | stages | CPU per delivery | ceiling | load average |',
    '|---|---|---|---|---|---|---|---|---|',
    ...e.rounds.map(
      (x, i) =>
        `| ${i + 1} | ${x.bul.broadcastMs} ms | ${x.bul.perSecond}/s in ${x.bul.seconds} s | ${pct(x.bul.latencyMs)} | ${got(x.bul)} | ${stages(x.bul.stagesMs)} | ${cpu(x.bul.cpu)} | ${x.ceiling.perSecond}/s, ${pct(x.ceiling.latencyMs)} (${got(x.ceiling)}) | ${x.bul.load} |`,
    ),
    '',
    `Critical notifications during a low-priority broadcast (answered in ${r.critical.broadcast.broadcastMs} ms, drained at ${r.critical.broadcast.perSecond}/s, ${got(r.critical.broadcast)}); latency from each send's 202:`,
    '',
    '| send | after the broadcast | backlog then (queued / sending) | answered in | webhook | e-mail |',
    '|---|---|---|---|---|---|',
    ...r.critical.sends.map((s, i) => {
      const of = (c: string) => {
        const d = s.deliveries.find((x) => x.channel === c);
        return d ? `${d.latencyMs ?? 'missing'} ms (${d.status})` : '—';
      };
      return `| ${i + 1} | ${s.afterBroadcastMs} ms | ${s.backlog.queued} / ${s.backlog.sending} | ${s.answerMs} ms | ${of('webhook')} | ${of('email')} |`;
    }),
    '',
    `BUL processes' warnings and errors: ${r.warnings.map((p) => `${p.process} ${p.warnings}${p.exit && p.exit.code !== 0 ? ` (exited: ${JSON.stringify(p.exit)})` : ''}`).join(', ')}; messages the sinks could not read: ${r.unreadableAtSinks}.`,
    '',
  ];
  if (r.profile && 'byArea' in r.profile && r.profile.byArea) {
    lines.push(
      `The worker's CPU profile over the whole run (\`--cpu-prof\`, ${r.profile.totalMs} ms sampled), self time by area: ${r.profile.byArea
        .slice(0, 10)
        .map((a) => `${a.name} ${(a.share * 100).toFixed(1)} %`)
        .join(', ')}.`,
      '',
    );
  }
  return lines.join('\n');
}
