// The cluster proof (issue 19 item 1): two `bul start --role api` and two `--role worker` processes,
// separate OS processes on one PostgreSQL, behave as one system — once with PostgreSQL alone, once
// with Redis (REDIS_URL). One cluster per variant carries every check:
//   1. lockouts exact across API processes; the per-IP limit shared (exact through Redis; through
//      PostgreSQL within the synced counters' bound, docs/architecture.md);
//   2. a WebSocket client of API process 1 gets the change made through API process 2;
//   3. every tick of the tick loops (alert evaluation every 15 s, health and cluster metrics every
//      5 s here, the backup schedule every 60 s; a variant waits, bounded, for at least 1 backup
//      schedule, 2 alert and 3 health and cluster-metrics ticks, MIN_TICKS) runs in exactly
//      one process, the one bul_ticks says claimed it; the due-soon scan (a graphile-worker cron job
//      every 10 minutes, too rare to wait for) queued twice at once, one per worker, has its
//      effect once;
//   4. `kill -9` of a worker while both are sending a batch of notifications loses none: the other
//      worker delivers the dead one's claims once their lease runs out, resending only what the
//      dead one had in flight (same webhook-id: the key the receiver dedupes by); the webhook
//      deliveries (graphile-worker jobs) it held locked are freed by a live worker after three
//      missed heartbeats (JOB_WORKER_HEARTBEAT_SECONDS, 1 s here) and all succeed;
//   5. a rolling restart of the API processes, one at a time, while a round-robin client that
//      retries idempotent requests sends a steady stream: no request lost, none applied twice; a
//      POST the stopping process has received (its "incoming request" line) is answered 201 by it
//      while it drains, and the same POST with the same Idempotency-Key on the other process is
//      replayed (idempotent-replayed, the same id); each restarted process answers the stream.
import { randomBytes, randomInt } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD, TEST_MASTER_KEY } from './support/constants.ts';
import {
  type BulProcess,
  cleanupProcesses,
  freePort,
  type HttpResult,
  httpRequest,
  makeDataDir,
  spawnBul,
  startSplitRequest,
} from './support/process.ts';
import {
  createTestDatabase,
  dropTestDatabase,
  requirement,
  uniqueEmail,
  uniqueSubdomain,
} from './support/test-app.ts';
import { until } from './support/until.ts';
import { type Sink, startSink } from './support/webhook-sink.ts';
import { connectWs, type WsClient } from './support/ws-client.ts';

// Generous: on a loaded 2-core machine four processes starting together take a while.
const START_TIMEOUT = 120_000;
/** One variant, start to finish (about 100 s on an idle machine; CI machines are slower). */
const VARIANT_TIMEOUT = 600_000;
const IP_LIMIT = 10;
const LOCKOUT_THRESHOLD = 5;
const NOTIFY_CONCURRENCY = 4;
const NOTIFICATIONS = 60;
const WEBHOOK_DELIVERIES = 12;
/** The longest the receivers hold answers before the kill -9 (a bounded wait, shorter than the leases). */
const HOLD_MS = 20_000;
/** The ticks of each loop a variant waits for (bounded) before checking them: at least these. */
const MIN_TICKS: Record<string, number> = {
  'backups:schedule': 1,
  'alerts:evaluate': 2,
  'monitoring:cluster': 3,
  'system:health': 3,
};
/** JOB_WORKER_HEARTBEAT_SECONDS here: a dead worker's jobs are freed after 3 s. */
const JOB_HEARTBEAT_SECONDS = 1;
/** How long after a worker's kill -9 its webhook deliveries may take to succeed elsewhere. */
const DEAD_WORKER_BOUND_MS = 60_000;

const databases: { adminUrl: string; dbName: string }[] = [];
const sinks: Sink[] = [];
const sockets: WsClient[] = [];
afterAll(async () => {
  for (const c of sockets) await c.close().catch(() => {});
  await cleanupProcesses();
  for (const s of sinks) await s.close();
  for (const d of databases) await dropTestDatabase(d.adminUrl, d.dbName);
}, 60_000);

/** A client address nobody else uses: every request names one (X-Forwarded-For, TRUST_PROXY). */
const group = () => (0x1000 + randomInt(0xefff)).toString(16); // four digits, as ipaddr.js writes it
const freshIp = () => `2001:db8:${group()}:${group()}::${group()}`;

interface Call {
  token?: string | null;
  body?: unknown;
  ip?: string;
  headers?: Record<string, string>;
}

function api(base: string, method: string, path: string, o: Call = {}): Promise<HttpResult> {
  return httpRequest(`${base}/api/v1${path}`, {
    method,
    headers: {
      'x-forwarded-for': o.ip ?? freshIp(),
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      ...o.headers,
    },
    ...(o.body === undefined ? {} : { json: o.body }),
  });
}

async function ok(res: Promise<HttpResult>, what: string) {
  const r = await res;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.body}`);
  return r.body ? r.json() : null;
}

class Cluster {
  apis: BulProcess[] = [];
  workers: BulProcess[] = [];
  /** Every process started, in order (logs of the stopped ones are still read). */
  all: BulProcess[] = [];
  readonly env: Record<string, string>;
  readonly ports: number[];
  constructor(env: Record<string, string>, ports: number[]) {
    this.env = env;
    this.ports = ports;
  }
  get bases() {
    return this.ports.map((p) => `http://127.0.0.1:${p}`);
  }
  startApi(i: number): BulProcess {
    const p = spawnBul(['start', '--role', 'api'], {
      ...this.env,
      // Adds one line per request, "incoming request" (the rolling restart waits for it).
      LOG_LEVEL: 'trace',
      PORT: String(this.ports[i]),
      BUL_DATA_DIR: makeDataDir(),
    });
    this.apis[i] = p;
    this.all.push(p);
    return p;
  }
  startWorker(i: number): BulProcess {
    const p = spawnBul(['start', '--role', 'worker'], { ...this.env, BUL_DATA_DIR: makeDataDir() });
    this.workers[i] = p;
    this.all.push(p);
    return p;
  }
  /**
   * /health answers 200 (no rate limit applies to /health and /ready: request-pipeline.ts).
   * freePort() reserves nothing: a process that found its port taken (EADDRINUSE) is started again
   * on another one, up to three times.
   */
  async apiUp(i: number) {
    let proc = this.apis[i]!;
    let restarts = 0;
    let last = '';
    await until(
      `API process ${i + 1} healthy`,
      async () => {
        if (proc.exit && restarts < 3 && `${proc.stdout}${proc.stderr}`.includes('EADDRINUSE')) {
          restarts++;
          this.ports[i] = await freePort();
          proc = this.startApi(i);
          return false;
        }
        if (proc.exit)
          throw new Error(`API ${i + 1} exited (${JSON.stringify(proc.exit)})\n${proc.describe()}`);
        const res = await httpRequest(`${this.bases[i]}/health`).catch(() => null);
        last = res ? `${res.status} ${res.body.slice(0, 200)}` : 'no answer';
        return res?.status === 200;
      },
      START_TIMEOUT,
    ).catch((err: Error) => {
      throw new Error(`${err.message} (last: ${last})\n${proc.describe()}`);
    });
  }
  async workerUp(i: number) {
    await this.workers[i]!.waitForLog((l) => l.msg === 'worker composed', `worker ${i}`, START_TIMEOUT);
  }
}

async function signUpOver(base: string, loginBase: string) {
  const email = uniqueEmail('cluster');
  await ok(
    api(base, 'POST', '/auth/register', {
      body: {
        email,
        password: STRONG_PASSWORD,
        name: 'Cluster User',
        organization: { name: 'Cluster', subdomain: uniqueSubdomain('cl') },
      },
    }),
    'register',
  );
  const login = await ok(
    api(loginBase, 'POST', '/auth/login', { body: { email, password: STRONG_PASSWORD } }),
    'login',
  );
  const me = await ok(api(loginBase, 'GET', '/auth/me', { token: login.accessToken }), 'me');
  return {
    email,
    token: login.accessToken as string,
    orgId: login.organization?.id as string,
    userId: (me.user?.id ?? me.id) as string,
  };
}

async function clusterProof(variant: 'postgres' | 'redis', extra: Record<string, string>) {
  const t0 = Date.now();
  const phase = (what: string) => console.info(`[cluster ${variant}] ${what} at ${Date.now() - t0} ms`);
  const db = await createTestDatabase();
  databases.push(db);
  const owner = new pg.Client({ connectionString: db.ownerUrl });
  owner.on('error', () => {}); // the database is dropped WITH (FORCE) after a failed run
  await owner.connect();
  // This variant's processes and receivers: killed and closed when it ends, passed or failed, so a
  // failed variant does not run on into the next one.
  let running: Cluster | undefined;
  const variantSinks: Sink[] = [];
  try {
    // The receiver of notifications counts each webhook-id (the notification's id, the same on
    // every attempt). While `hold` is set it answers no delivery: the workers' sends stay in flight.
    const seen = new Map<string, number>();
    let hold = true;
    const held: (() => void)[] = [];
    const sink = await startSink((req, res) => {
      const answer = () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      };
      const id = req.headers['webhook-id'];
      if (typeof id !== 'string') return answer(); // the health round's probe of the channel's host
      seen.set(id, (seen.get(id) ?? 0) + 1);
      if (hold) held.push(answer);
      else answer();
    });
    sinks.push(sink);
    variantSinks.push(sink);

    const cluster = new Cluster(
      {
        DATABASE_URL: db.ownerUrl,
        BUL_MASTER_KEY: TEST_MASTER_KEY,
        // "tick ran" lines (TickLoop) are debug lines: each says which process ran which tick.
        LOG_LEVEL: 'debug',
        PUBLIC_URL: 'http://bul.test',
        // Four processes on a server other test files share (max_connections 100 by default).
        DATABASE_POOL_MAX: '5',
        TRUST_PROXY: '127.0.0.1',
        RATE_LIMIT_IP_PER_MINUTE: String(IP_LIMIT),
        LOCKOUT_ACCOUNT_THRESHOLD: String(LOCKOUT_THRESHOLD),
        LOCKOUT_BASE: '60s',
        WEBHOOK_ALLOW_PRIVATE: 'true',
        NOTIFY_CONCURRENCY: String(NOTIFY_CONCURRENCY),
        // A held send must outlast the hold (at most HOLD_MS): the provider's timeout longer than
        // it, the lease longer than the timeout (so no live worker's claim is taken over).
        NOTIFY_PROVIDER_TIMEOUT_MS: String(HOLD_MS + 10_000),
        NOTIFY_LEASE_SECONDS: String((HOLD_MS + 15_000) / 1000),
        JOB_WORKER_HEARTBEAT_SECONDS: String(JOB_HEARTBEAT_SECONDS),
        // A held delivery must not time out while the test holds it.
        WEBHOOK_TIMEOUT_MS: String(HOLD_MS + 10_000),
        // A worker sends at most 4 of the WEBHOOK_DELIVERIES at once, so that both hold some.
        WEBHOOK_CONCURRENCY: '4',
        HEALTH_CHECK_SECONDS: '5',
        MONITOR_SAMPLE_SECONDS: '5',
        ...extra,
      },
      [await freePort(), await freePort()],
    );
    running = cluster;
    cluster.startApi(0);
    cluster.startApi(1);
    cluster.startWorker(0);
    cluster.startWorker(1);
    await Promise.all([cluster.apiUp(0), cluster.apiUp(1), cluster.workerUp(0), cluster.workerUp(1)]);
    const [a, b] = cluster.bases as [string, string];
    phase('started');
    const user = await signUpOver(a, b);

    // ---- 1. lockouts and rate limits, shared ------------------------------------------------
    const victim = await signUpOver(b, a);
    const attempts: number[] = [];
    for (let i = 0; i <= LOCKOUT_THRESHOLD; i++) {
      // Each attempt from another address and through the other process: only the account counts.
      const res = await api(i % 2 ? b : a, 'POST', '/auth/login', {
        body: { email: victim.email, password: 'not-the-password-1' },
      });
      attempts.push(res.status);
      if (res.status === 429) expect(res.json().type).toBe('urn:bul:error:account-locked');
    }
    expect(attempts).toEqual([...Array(LOCKOUT_THRESHOLD).fill(401), 429]);
    // Locked on both processes, the right password included.
    for (const base of [a, b]) {
      const res = await api(base, 'POST', '/auth/login', {
        body: { email: victim.email, password: STRONG_PASSWORD },
      });
      expect(res.status).toBe(429);
      expect(res.json().type).toBe('urn:bul:error:account-locked');
    }

    // One address, requests alternating between the processes, until both have refused it. Windows
    // are a minute, aligned to the clock: a run that straddles a boundary starts again.
    // Through PostgreSQL each process counts locally and adds its counts to rate_limit_counters
    // every RATE_LIMIT_SYNC_INTERVAL_MS, reading the cluster's total back: the documented bound is
    // an overshoot of 1 + (interval + round trip) × the address's request rate at the other
    // process. Each request here waits until the answering process has synced it (the shared row
    // holds every admitted request) before the next goes to the other process: the rate term is
    // then nil and the bound is exact, IP_LIMIT + 1 (the other process admits one request on the
    // total it read at its previous sync). Through Redis the count is one counter: IP_LIMIT.
    const sharedCount = async (ip: string) =>
      (
        await owner.query<{ n: number }>(
          "SELECT coalesce(sum(points), 0)::int AS n FROM rate_limit_counters WHERE key = 'bul:api-ip:' || $1",
          [ip],
        )
      ).rows[0]!.n;
    let statuses: number[] = [];
    for (let round = 0; ; round++) {
      const ip = freshIp();
      const minute = Math.floor(Date.now() / 60_000);
      statuses = [];
      const refused = new Set<number>();
      for (let i = 0; refused.size < 2 && i < 4 * IP_LIMIT; i++) {
        const res = await api(cluster.bases[i % 2]!, 'GET', '/errors', { ip });
        statuses.push(res.status);
        if (res.status === 429) {
          refused.add(i % 2);
          expect(res.json().type).toBe('urn:bul:error:rate-limited');
          continue;
        }
        expect(res.status).toBe(200);
        const admittedSoFar = statuses.filter((st) => st === 200).length;
        if (variant === 'postgres')
          await until(
            'the request counted in the shared row',
            async () => (await sharedCount(ip)) === admittedSoFar,
          );
      }
      // Once both know, both keep refusing.
      const after: number[] = [];
      for (const base of [a, b]) after.push((await api(base, 'GET', '/errors', { ip })).status);
      // Checked after the last request of the run: any of them in a new window starts again.
      if (Math.floor(Date.now() / 60_000) !== minute) {
        if (round > 2) throw new Error('three runs straddled a minute boundary');
        continue;
      }
      expect(after).toEqual([429, 429]);
      break;
    }
    const admitted = statuses.filter((st) => st === 200).length;
    expect(statuses.slice(0, IP_LIMIT)).toEqual(Array(IP_LIMIT).fill(200));
    // Counted alone (no sharing), the alternating requests would pass 2 × IP_LIMIT.
    expect(admitted).toBe(variant === 'redis' ? IP_LIMIT : IP_LIMIT + 1);
    console.info(
      `[cluster ${variant}] per-IP limit ${IP_LIMIT}: ${admitted} admitted (${statuses.join(' ')})`,
    );

    phase('limits checked');
    // ---- 2. a change through process 2 reaches a WebSocket client of process 1 ----------------
    const ws = await connectWs(`${a.replace('http', 'ws')}/ws`, {
      authorization: `Bearer ${user.token}`,
      'x-forwarded-for': freshIp(),
    });
    sockets.push(ws);
    const project = await ok(
      api(b, 'POST', '/projects', { token: user.token, body: { name: 'Across' } }),
      'project',
    );
    await ws.next(
      (m) => m.type === 'project.created' && m.payload?.id === project.id,
      'the project made through process 2, on process 1',
      30_000,
    );

    phase('ws checked');
    // ---- 3b. the due-soon scan queued on both workers at once: its effect once ----------------
    // An organization whose local time is about noon, one assigned task due on its next local date.
    const offset = Math.min(11, new Date().getUTCHours() - 12); // local = UTC − offset
    const zone = offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '+' : '-'}${Math.abs(offset)}`;
    await owner.query('UPDATE organizations SET timezone = $1 WHERE id = $2', [zone, user.orgId]);
    const tomorrow = new Date(Date.now() - offset * 3600_000 + 86_400_000).toISOString().slice(0, 10);
    const due = await ok(
      api(a, 'POST', '/tasks', {
        token: user.token,
        body: { projectId: project.id, title: 'Due tomorrow', assigneeId: user.userId, dueDate: tomorrow },
      }),
      'task due tomorrow',
    );
    // A scan the crontab (every 10 minutes) ran before the task existed would make today's a no-op.
    await owner.query("DELETE FROM notification_scans WHERE org_id = $1 AND kind = 'due_soon'", [user.orgId]);
    // Only events emitted from here on count (a scan of the crontab's before this is not ours).
    const emittedBefore = (
      await owner.query<{ n: string }>(
        'SELECT coalesce(max(emitted), 0)::text AS n FROM domain_events WHERE org_id = $1',
        [user.orgId],
      )
    ).rows[0]!.n;
    await owner.query(
      "SELECT graphile_worker.add_job('notifications:due-soon-scan'), graphile_worker.add_job('notifications:due-soon-scan')",
    );
    await until('both scans done', async () => {
      const { rows } = await owner.query(
        "SELECT 1 FROM graphile_worker.jobs WHERE task_identifier = 'notifications:due-soon-scan'",
      );
      return rows.length === 0;
    });
    const dueSoon = await owner.query<{ task: string }>(
      "SELECT payload->>'id' AS task FROM domain_events WHERE org_id = $1 AND type = 'task.due_soon' AND emitted > $2::bigint",
      [user.orgId, emittedBefore],
    );
    expect(dueSoon.rows).toEqual([{ task: due.id }]);

    phase('due-soon checked');
    // ---- 4. kill -9 of a worker in the middle of a batch of notifications -------------------
    // ... and while it holds outgoing webhook deliveries (graphile-worker jobs, locked by its
    // workers): the live workers free them once its heartbeat is JOB_WORKER_HEARTBEAT_SECONDS × 3
    // old (platform/jobs/liveness.ts), not after graphile-worker's 4 hours.
    const deliveriesSeen = new Map<string, number>();
    const heldDeliveries: (() => void)[] = [];
    const hooks = await startSink((req, res) => {
      const answer = () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      };
      const id = req.headers['webhook-id'];
      if (typeof id !== 'string') return answer();
      deliveriesSeen.set(id, (deliveriesSeen.get(id) ?? 0) + 1);
      if (hold) heldDeliveries.push(answer);
      else answer();
    });
    sinks.push(hooks);
    variantSinks.push(hooks);
    const endpoint = await ok(
      api(a, 'POST', '/webhooks/endpoints', {
        token: user.token,
        body: { url: hooks.url, events: ['project.created'] },
      }),
      'webhook endpoint',
    );
    hooks.secret = endpoint.secret;
    for (let i = 0; i < WEBHOOK_DELIVERIES; i++)
      await ok(
        api(cluster.bases[i % 2]!, 'POST', '/projects', { token: user.token, body: { name: `hook ${i}` } }),
        'project for a webhook',
      );
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    await ok(
      api(a, 'POST', '/notifications/channels', {
        token: user.token,
        body: { kind: 'webhook', name: 'Receiver', config: { url: sink.url }, secrets: { secret } },
      }),
      'webhook channel',
    );
    sink.secret = secret;
    const ids: string[] = [];
    for (let i = 0; i < NOTIFICATIONS; i += 20)
      ids.push(
        ...(await Promise.all(
          Array.from({ length: 20 }, async (_, j) => {
            const sent = await ok(
              api(cluster.bases[j % 2]!, 'POST', '/notifications/send', {
                token: user.token,
                body: {
                  to: { userIds: [user.userId] },
                  channels: ['webhook'],
                  message: { subject: `n${i + j}`, body: 'cluster test' },
                },
              }),
              'send',
            );
            return sent.notifications[0].id as string;
          }),
        )),
      );
    expect(new Set(ids).size).toBe(NOTIFICATIONS);
    // Each worker sends at most NOTIFY_CONCURRENCY normal notifications at once (its shared lane):
    // more sends held than that means both workers have some in flight. Kill one of them then.
    const victimWorker = cluster.workers[0]!;
    // Webhook delivery jobs the victim's graphile workers hold (registered in bul_job_workers).
    const lockedByVictim = async () =>
      (
        await owner.query<{ id: string; locked_by: string }>(
          `SELECT j.id::text, j.locked_by FROM graphile_worker.jobs j
             JOIN bul_job_workers w ON w.worker_id = j.locked_by
            WHERE j.task_identifier = 'webhooks:deliver' AND w.process LIKE '%:' || $1::text`,
          [victimWorker.pid],
        )
      ).rows;
    await until(
      'both workers sending, the victim holding webhook deliveries',
      async () => held.length > NOTIFY_CONCURRENCY && (await lockedByVictim()).length > 0,
      HOLD_MS,
    );
    const victimJobs = await lockedByVictim();
    victimWorker.child.kill('SIGKILL');
    expect((await victimWorker.exited).signal).toBe('SIGKILL');
    const killedAt = Date.now();
    const deliveredWhenKilled = seen.size;
    expect(deliveredWhenKilled).toBeLessThan(NOTIFICATIONS);
    hold = false;
    for (const answer of held.splice(0)) answer(); // the dead worker's sockets are gone: no one hears
    for (const answer of heldDeliveries.splice(0)) answer();
    // A new worker joins while the survivor finishes the batch (the dead one's claims after their lease).
    cluster.startWorker(0);
    // Every webhook delivery succeeds, the dead worker's too: its jobs were freed by a live worker
    // (the log line names the dead worker ids) well before graphile-worker's own 4 hours.
    const deliveryStatuses = async () =>
      (
        await owner.query<{ status: string; n: number }>(
          'SELECT status, count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1 GROUP BY status ORDER BY status',
          [endpoint.id],
        )
      ).rows;
    await until(
      'every webhook delivery succeeded after the kill',
      async () => {
        const rows = await deliveryStatuses();
        return rows.length === 1 && rows[0]!.status === 'succeeded' && rows[0]!.n === WEBHOOK_DELIVERIES;
      },
      // 3 missed beats of 1 s, a beat, a retry of the job: far within this bound.
      DEAD_WORKER_BOUND_MS,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await deliveryStatuses())}`);
    });
    const freedAfterMs = Date.now() - killedAt;
    expect(deliveriesSeen.size).toBe(WEBHOOK_DELIVERIES);
    const freed = cluster.all
      .filter((p) => p !== victimWorker)
      .flatMap((p) => p.logLines())
      .filter((l) => String(l.msg).startsWith('freed the jobs of job workers'))
      .flatMap((l) => l.workerIds as string[]);
    for (const j of victimJobs) expect(freed).toContain(j.locked_by);
    expect(
      (
        await owner.query(
          "SELECT 1 FROM graphile_worker.jobs WHERE task_identifier = 'webhooks:deliver' AND locked_by = ANY($1)",
          [victimJobs.map((j) => j.locked_by)],
        )
      ).rowCount,
    ).toBe(0);
    console.info(
      `[cluster ${variant}] kill -9 with ${victimJobs.length} webhook deliveries locked: all ${WEBHOOK_DELIVERIES} delivered ${freedAfterMs} ms after the kill`,
    );
    await until('every notification delivered', async () => seen.size === NOTIFICATIONS, HOLD_MS + 60_000);
    expect([...seen.keys()].sort()).toEqual([...ids].sort());
    expect(sink.requests.filter((r) => r.headers['webhook-id']).every((r) => r.verifyError === null)).toBe(
      true,
    );
    const statusesOf = async () =>
      Object.fromEntries(
        (
          await owner.query<{ status: string; n: number }>(
            'SELECT status, count(*)::int AS n FROM notifications WHERE org_id = $1 AND id = ANY($2) GROUP BY status',
            [user.orgId, ids],
          )
        ).rows.map((r) => [r.status, r.n]),
      );
    await until(
      'every notification recorded delivered',
      async () => (await statusesOf()).delivered === NOTIFICATIONS,
      // The dead worker's claims are sent again once their lease (HOLD_MS + 15 s) runs out.
      HOLD_MS + 60_000,
    );
    // At least once: what the dead worker had in flight (received, never answered) is sent again
    // once its lease runs out, with the same webhook-id; nothing else is received twice.
    const resent = [...seen.values()].filter((n) => n > 1).length;
    expect(resent).toBeGreaterThanOrEqual(1);
    expect(resent).toBeLessThanOrEqual(NOTIFY_CONCURRENCY);
    console.info(
      `[cluster ${variant}] kill -9 at ${deliveredWhenKilled}/${NOTIFICATIONS} delivered: all delivered, ${resent} resent`,
    );
    await cluster.workerUp(0);

    phase('kill checked');
    // ---- 5. rolling restart of the API processes under a steady stream ---------------------
    const stream = new RoundRobinClient(() => cluster.bases, user.token);
    const streaming = stream.run(project.id as string);
    await until('the stream flowing', async () => stream.done >= 6);
    let replayed = 0;
    for (const i of [0, 1]) {
      const old = cluster.apis[i]!;
      const other = cluster.bases[1 - i]!;
      // A POST in flight on the process being stopped: its headers received (the process logged
      // "incoming request", at trace level, for its request id) and half its body sent when SIGTERM
      // arrives. A request the process already took in is finished while it drains: 201.
      const title = `stream in flight ${i}`;
      const key = `in-flight-${randomBytes(8).toString('hex')}`;
      const rid = `in-flight-${randomBytes(8).toString('hex')}`;
      stream.posts.push(title);
      const split = startSplitRequest(
        `${cluster.bases[i]}/api/v1/tasks`,
        { projectId: project.id, title },
        {
          authorization: `Bearer ${user.token}`,
          'idempotency-key': key,
          'x-request-id': rid,
          'x-forwarded-for': freshIp(),
        },
      );
      await old.waitForLog(
        (l) => l.msg === 'incoming request' && l.reqId === rid,
        `API ${i + 1} receiving the POST`,
      );
      old.kill('SIGTERM');
      split.finish();
      const first = await split.response;
      expect(first.status, first.body).toBe(201);
      // The same request again, on the other process, with the same key: the stored answer, not a
      // second task.
      const again = await api(other, 'POST', '/tasks', {
        token: user.token,
        body: { projectId: project.id, title },
        headers: { 'idempotency-key': key },
      });
      expect(again.status, again.body).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json().id).toBe(first.json().id);
      replayed++;
      const exit = await old.waitForExit(30_000);
      expect(exit.code).toBe(0);
      cluster.startApi(i);
      await cluster.apiUp(i);
      // The restarted process answers the stream's requests (counted from after it is up).
      const base = cluster.bases[i]!;
      const mark = stream.answeredBy.get(base) ?? 0;
      await until(
        `the stream answered by the restarted API ${i + 1}`,
        async () => (stream.answeredBy.get(base) ?? 0) >= mark + 3,
      );
    }
    stream.stop();
    await streaming;
    expect(stream.failures).toEqual([]);
    expect(stream.posts.length).toBeGreaterThan(0);
    const { rows: made } = await owner.query<{ title: string; n: number }>(
      "SELECT title, count(*)::int AS n FROM tasks WHERE org_id = $1 AND title LIKE 'stream %' GROUP BY title",
      [user.orgId],
    );
    // Every POST applied exactly once, whatever its retries.
    expect(made.map((r) => r.title).sort()).toEqual([...stream.posts].sort());
    expect(made.every((r) => r.n === 1)).toBe(true);
    expect(replayed + stream.replays).toBeGreaterThanOrEqual(1);
    console.info(
      `[cluster ${variant}] rolling restart: ${stream.done} requests (${stream.posts.length} POSTs), ${stream.retries} retried, ${replayed + stream.replays} replayed`,
    );

    phase('rolling restart checked');
    // ---- 3. every tick run by exactly one process --------------------------------------------
    // Enough ticks of each loop for the checks to check something (bounded: the backup schedule
    // ticks every 60 s, the alert evaluation every 15 s, the others every 5 s here).
    const tickCounts = async () =>
      Object.fromEntries(
        (
          await owner.query<{ name: string; n: number }>(
            'SELECT name, count(*)::int AS n FROM bul_ticks GROUP BY name',
          )
        ).rows.map((r) => [r.name, r.n]),
      ) as Record<string, number>;
    await until(
      'enough ticks of every loop',
      async () => {
        const counts = await tickCounts();
        return Object.entries(MIN_TICKS).every(([name, n]) => (counts[name] ?? 0) >= n);
      },
      90_000,
    ).catch(async (err: Error) => {
      throw new Error(
        `${err.message}: ${JSON.stringify(await tickCounts())}, wanted ${JSON.stringify(MIN_TICKS)}`,
      );
    });
    // Stopped gracefully first: a process finishes the tick it is running before it exits.
    const live = cluster.all.filter((p) => !p.exit);
    for (const p of live) p.kill('SIGTERM');
    for (const p of live) expect((await p.waitForExit(30_000)).code).toBe(0);
    checkTicks(cluster, await ticksOf(owner), victimWorker.pid);
    phase('ticks checked');
  } finally {
    const left = running?.all.filter((p) => !p.exit) ?? [];
    for (const p of left) p.kill('SIGKILL');
    await Promise.all(left.map((p) => p.exited));
    for (const s of variantSinks) await s.close();
    await owner.end();
  }
}

interface TickRow {
  name: string;
  tick: string;
  claimed_by: string;
}

async function ticksOf(owner: pg.Client): Promise<TickRow[]> {
  const { rows } = await owner.query<TickRow>(
    `SELECT name, to_char(tick AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS tick, claimed_by
       FROM bul_ticks ORDER BY name, tick`,
  );
  return rows;
}

/**
 * Each process logs "tick ran" for every tick it ran. Per (loop, tick): exactly one line across all
 * processes (`ok: false` when its run threw: still run), from the process bul_ticks says claimed
 * it; a claimed tick without its line is one the killed worker was running. Between the first and the last tick of a loop, none is missing.
 */
function checkTicks(cluster: Cluster, claims: TickRow[], killedPid: number) {
  const ran = new Map<string, number[]>();
  for (const p of cluster.all)
    for (const l of p.logLines())
      if (l.msg === 'tick ran') {
        const key = `${l.tickLoop} ${l.tick}`;
        ran.set(key, [...(ran.get(key) ?? []), p.pid]);
      }
  const twice = [...ran].filter(([, pids]) => pids.length > 1);
  expect(twice, 'ticks run by more than one process').toEqual([]);
  const byName = new Map<string, TickRow[]>();
  for (const c of claims) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
  for (const c of claims) {
    const pids = ran.get(`${c.name} ${c.tick}`);
    const claimant = Number(c.claimed_by.split(':').at(-1));
    if (pids) expect(pids, `${c.name} ${c.tick}`).toEqual([claimant]);
    else expect(claimant, `${c.name} ${c.tick} claimed but not run`).toBe(killedPid);
  }
  for (const key of ran.keys()) {
    const [name, tick] = key.split(' ') as [string, string];
    expect(
      claims.some((c) => c.name === name && c.tick === tick),
      `${key} ran without a claim`,
    ).toBe(true);
  }
  // At least once: every tick of a loop between its first and last one was claimed. (Not asked of
  // system:health: a round that overruns its 5 s makes its process skip the next tick, and while
  // one worker is down the survivor is the only one to take it.)
  for (const [name, n] of Object.entries(MIN_TICKS))
    expect(byName.get(name)?.length ?? 0, `${name} ticks`).toBeGreaterThanOrEqual(n);
  const every: Record<string, number> = { 'monitoring:cluster': 5000, 'alerts:evaluate': 15_000 };
  for (const [name, ms] of Object.entries(every)) {
    const ticks = (byName.get(name) ?? []).map((c) => Date.parse(c.tick));
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!, `${name} gap`).toBe(ms);
  }
  const summary = [...byName].map(([n, rows]) => `${n} ${rows.length}`).join(', ');
  console.info(`[cluster] ticks, each run once: ${summary}`);
}

/**
 * A tiny client of the API processes in turn: GET the project, then POST a task with an
 * Idempotency-Key; a connection error, a 503 or a 409 (the same key still running elsewhere) is
 * retried on the next process with the same key until the request is answered.
 */
class RoundRobinClient {
  done = 0;
  retries = 0;
  replays = 0;
  posts: string[] = [];
  failures: string[] = [];
  /** Answers (not 503/409) per API address. */
  answeredBy = new Map<string, number>();
  private next = 0;
  private stopping = false;
  /** The API processes' addresses as they are now (a restarted process may have a new port). */
  private readonly bases: () => string[];
  private readonly token: string;
  constructor(bases: () => string[], token: string) {
    this.bases = bases;
    this.token = token;
  }

  stop() {
    this.stopping = true;
  }

  async send(method: string, path: string, body?: unknown, key?: string): Promise<HttpResult> {
    for (let attempt = 0; attempt < 2000; attempt++) {
      const bases = this.bases();
      const base = bases[this.next++ % bases.length]!;
      try {
        const res = await api(base, method, path, {
          token: this.token,
          ...(body === undefined ? {} : { body }),
          ...(key ? { headers: { 'idempotency-key': key } } : {}),
        });
        if (res.status !== 503 && res.status !== 409) {
          this.answeredBy.set(base, (this.answeredBy.get(base) ?? 0) + 1);
          return res;
        }
      } catch {
        // refused or reset: that process is restarting
      }
      this.retries++;
    }
    throw new Error(`${method} ${path}: no process answered`);
  }

  async run(projectId: string) {
    for (let i = 0; !this.stopping; i++) {
      const got = await this.send('GET', `/projects/${projectId}`);
      if (got.status !== 200) this.failures.push(`GET ${got.status} ${got.body}`);
      const title = `stream ${i}`;
      const key = `stream-${randomBytes(8).toString('hex')}`;
      this.posts.push(title);
      const made = await this.send('POST', '/tasks', { projectId, title }, key);
      if (made.status !== 201) this.failures.push(`POST ${made.status} ${made.body}`);
      if (made.headers['idempotent-replayed'] === 'true') this.replays++;
      this.done += 2;
    }
  }
}

describe('two API and two worker processes on one PostgreSQL', () => {
  it(
    'behave as one system without Redis',
    async () => {
      await clusterProof('postgres', { RATE_LIMIT_STORE: 'postgres' });
    },
    VARIANT_TIMEOUT,
  );

  it(
    'behave as one system with Redis (REDIS_URL)',
    async () => {
      const url = process.env.REDIS_URL;
      if (!requirement(Boolean(url), 'REDIS_URL is not set: the cluster with Redis is not tested')) return;
      await clusterProof('redis', { REDIS_URL: url!, RATE_LIMIT_STORE: 'redis' });
    },
    VARIANT_TIMEOUT,
  );
});
