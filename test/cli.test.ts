// The `bul` command as a real process: start/stop/restart on the embedded PostgreSQL, recovery
// after kill -9, graceful drain, refusing a second instance, configuration errors, migrate,
// status, admin create, the api/worker roles on an external database, and its JSON logs.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, it } from 'vitest';
import { missingNodeFlags, SERVER_NODE_FLAGS } from '../bin/node-flags.js';
import { unsupportedNode } from '../bin/node-version.js';
import { AuditService } from '../src/modules/audit/service.ts';
import { MODULES } from '../src/modules/index.ts';
import { newSecret, WebhookService } from '../src/modules/webhooks/service.ts';
import { MasterKey } from '../src/platform/crypto/master-key.ts';
import { SecretBox } from '../src/platform/crypto/secret-box.ts';
import { newId } from '../src/platform/db/ids.ts';
import { readMigrations } from '../src/platform/db/migrator.ts';
import { Db } from '../src/platform/db/transaction.ts';
import { STRONG_PASSWORD, TEST_MASTER_KEY } from './support/constants.ts';
import {
  type BulProcess,
  cleanupProcesses,
  embeddedOwnerUrl,
  freePort,
  httpRequest,
  isAlive,
  makeDataDir,
  portAccepts,
  postmaster,
  runBul,
  spawnBul,
  startSplitRequest,
  waitForHealth,
  waitUntilDead,
} from './support/process.ts';
import { createTestDatabase, dropTestDatabase, uniqueEmail, uniqueSubdomain } from './support/test-app.ts';
import { startSink } from './support/webhook-sink.ts';

const SLOW = 240_000;
const QUICK = 120_000;
// /health must answer within this. The target is a few seconds, but the deadline only guards
// against a hang: CI machines run several suites at once and initdb is slow on a busy disk.
const START_TIMEOUT = 60_000;
const MIGRATIONS = readMigrations();
const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

const databases: { adminUrl: string; dbName: string }[] = [];

afterAll(async () => {
  await cleanupProcesses();
  for (const d of databases) await dropTestDatabase(d.adminUrl, d.dbName);
}, 120_000);

async function query<T extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<pg.QueryResult<T>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query<T>(sql, params);
  } finally {
    await client.end();
  }
}

/** A database for one test: the migrated template copy, or (empty: true) a database with nothing in it. */
async function externalDatabase(opts: { empty?: boolean } = {}): Promise<{ ownerUrl: string }> {
  const db = await createTestDatabase();
  databases.push(db);
  if (opts.empty) {
    const admin = new pg.Client({ connectionString: db.adminUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE ${db.dbName} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${db.dbName}`);
    } finally {
      await admin.end();
    }
  }
  return { ownerUrl: db.ownerUrl };
}

/** Env for a process on an external database (same master key as the test harness: same app-role password). */
function externalEnv(ownerUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return { DATABASE_URL: ownerUrl, BUL_MASTER_KEY: TEST_MASTER_KEY, BUL_DATA_DIR: makeDataDir(), ...extra };
}

async function startServer(
  args: string[],
  env: Record<string, string>,
): Promise<{ proc: BulProcess; port: number; base: string }> {
  const port = await freePort();
  const proc = spawnBul(args, { PORT: String(port), ...env });
  const base = `http://127.0.0.1:${port}`;
  await waitForHealth(proc, base, START_TIMEOUT);
  return { proc, port, base };
}

async function register(base: string): Promise<{ email: string; userId: string; orgId: string }> {
  const email = uniqueEmail('cli');
  const res = await httpRequest(`${base}/api/v1/auth/register`, {
    json: {
      email,
      password: STRONG_PASSWORD,
      name: 'Cli User',
      organization: { name: 'Cli Org', subdomain: uniqueSubdomain('cli') },
    },
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.body}`);
  return { email, userId: res.json().user.id, orgId: res.json().organization.id };
}

async function loginOver(base: string, email: string, headers: Record<string, string> = {}) {
  return httpRequest(`${base}/api/v1/auth/login`, { json: { email, password: STRONG_PASSWORD }, headers });
}

/** Stops with SIGTERM and expects a clean exit. */
async function stop(proc: BulProcess): Promise<number | null> {
  proc.kill('SIGTERM');
  return (await proc.waitForExit(30_000)).code;
}

describe('the Node flags `bul start` re-executes itself with', () => {
  it('are those neither the command line nor NODE_OPTIONS sets, whatever value they give', ({ expect }) => {
    expect(SERVER_NODE_FLAGS).toContain('--max-semi-space-size=8');
    expect(missingNodeFlags(['--max-semi-space-size=8'], [], undefined)).toEqual(['--max-semi-space-size=8']);
    expect(missingNodeFlags(['--max-semi-space-size=8'], ['--max-semi-space-size=8'], '')).toEqual([]);
    // An operator's own value wins: the flag is not added a second time.
    expect(
      missingNodeFlags(['--max-semi-space-size=8'], [], '--max-semi-space-size=32 --enable-source-maps'),
    ).toEqual([]);
    expect(missingNodeFlags(['--max-semi-space-size=8', '--a=1'], ['--inspect'], '--a=2')).toEqual([
      '--max-semi-space-size=8',
    ]);
  });
});

describe('the oldest Node.js BUL runs on', () => {
  it('refuses Node older than 22.12 with one line naming both versions, and accepts 22.12 and later', ({
    expect,
  }) => {
    expect(unsupportedNode('v20.20.2')).toBe(
      'bul: BUL needs Node.js 22.12 or later (24 LTS recommended); this is v20.20.2\n',
    );
    expect(unsupportedNode('v22.11.0')).toContain('this is v22.11.0');
    expect(unsupportedNode('v18.20.8')).not.toBeNull();
    for (const ok of ['v22.12.0', 'v22.18.1', 'v23.0.0', 'v24.21.0', 'v26.1.0'])
      expect(unsupportedNode(ok)).toBeNull();
    expect(unsupportedNode()).toBeNull(); // the Node running these tests
  });

  it('is what `node bin/node-version.js` (npm prepare, prestart, pretest) checks: silent, exit 0 on this Node', ({
    expect,
  }) => {
    const script = path.resolve(import.meta.dirname, '../bin/node-version.js');
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({
      status: 0,
      stdout: '',
      stderr: '',
    });
  });
});

// ---- embedded PostgreSQL -----------------------------------------------------------------------

describe('bul start on the embedded PostgreSQL', () => {
  it(
    'starts on an empty data dir, creates the schema, stops on SIGTERM with postgres gone, and keeps data across a restart',
    async ({ expect }) => {
      const dataDir = makeDataDir();
      const first = await startServer(['start'], { BUL_DATA_DIR: dataDir });
      const health = await httpRequest(`${first.base}/health`);
      expect(health.status).toBe(200);
      expect(health.json().status).toBe('ok');
      await first.proc.until(
        () => first.proc.stderr.includes(`BUL is running at http://localhost:${first.port}`),
        'the URL banner',
      );
      // `bul start` re-executed itself in place (same pid) with the server's Node flags.
      const cmdline = readFileSync(`/proc/${first.proc.pid}/cmdline`, 'utf8').split('\0');
      for (const flag of SERVER_NODE_FLAGS) expect(cmdline).toContain(flag);

      const pm = postmaster(dataDir);
      expect(pm).not.toBeNull();
      expect(isAlive(pm!.pid)).toBe(true);
      const applied = await query<{ version: number; checksum: string }>(
        embeddedOwnerUrl(dataDir),
        'SELECT version, checksum FROM bul_schema_migrations ORDER BY version',
      );
      expect(applied.rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, checksum: m.checksum })));
      const tables = await query<{ n: number }>(
        embeddedOwnerUrl(dataDir),
        "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('users', 'organizations', 'audit_events')",
      );
      expect(tables.rows[0]?.n).toBe(3);

      const user = await register(first.base);
      expect((await loginOver(first.base, user.email)).status).toBe(200);

      expect(await stop(first.proc)).toBe(0);
      expect(await waitUntilDead(pm!.pid, 10_000)).toBe(true);
      expect(postmaster(dataDir)).toBeNull();

      const second = await startServer(['start'], { BUL_DATA_DIR: dataDir });
      const again = await loginOver(second.base, user.email);
      expect(again.status).toBe(200);
      expect(again.json().status).toBe('authenticated');
      expect(again.json().user.id).toBe(user.userId);
      // The restart reuses the schema rather than re-applying it.
      expect(second.proc.stdout).not.toContain('applied migration');
      const pm2 = postmaster(dataDir)!;
      expect(await stop(second.proc)).toBe(0);
      expect(await waitUntilDead(pm2.pid, 10_000)).toBe(true);
    },
    SLOW,
  );

  it(
    'recovers after kill -9: the orphaned postgres is stopped by the next start and the data is still there',
    async ({ expect }) => {
      const dataDir = makeDataDir();
      const first = await startServer(['start'], { BUL_DATA_DIR: dataDir });
      const user = await register(first.base);
      const orphan = postmaster(dataDir)!;

      first.proc.kill('SIGKILL');
      const exit = await first.proc.waitForExit();
      expect(exit.signal).toBe('SIGKILL');
      expect(isAlive(orphan.pid)).toBe(true); // left behind, as kill -9 allows nothing else

      const second = await startServer(['start'], { BUL_DATA_DIR: dataDir });
      expect(isAlive(orphan.pid)).toBe(false);
      expect(second.proc.stdout).toContain(`stopping orphaned embedded PostgreSQL (pid ${orphan.pid})`);
      const res = await loginOver(second.base, user.email);
      expect(res.status).toBe(200);
      expect(res.json().user.id).toBe(user.userId);
      expect(await stop(second.proc)).toBe(0);
    },
    SLOW,
  );

  it(
    'drains on SIGTERM: a login in flight still completes with 200, new connections are refused, exit 0',
    async ({ expect }) => {
      const dataDir = makeDataDir();
      // trace: a request's arrival is logged at that level (its one line at info comes at the end).
      const { proc, port, base } = await startServer(['start'], {
        BUL_DATA_DIR: dataDir,
        LOG_LEVEL: 'trace',
      });
      const user = await register(base);
      const pm = postmaster(dataDir)!;

      // Headers and half of the body are sent: the server has the request but cannot answer yet.
      const reqId = `drain-${randomBytes(4).toString('hex')}`;
      const inFlight = startSplitRequest(
        `${base}/api/v1/auth/login`,
        { email: user.email, password: STRONG_PASSWORD },
        { 'x-request-id': reqId },
      );
      await proc.waitForLog(
        (l) => l.reqId === reqId && l.msg === 'incoming request',
        'the request to arrive',
      );

      proc.kill('SIGTERM');
      await proc.waitForLog((l) => l.msg === 'shutting down', 'the shutdown to begin');
      // The listener closes at once, while the login is still waiting for the rest of its body.
      let refused = false;
      for (let i = 0; i < 100 && !refused; i++) {
        refused = !(await portAccepts(port));
        if (!refused) await new Promise((r) => setTimeout(r, 50));
      }
      expect(refused).toBe(true);
      expect(proc.exit).toBeNull(); // still draining

      inFlight.finish();
      const res = await inFlight.response;
      expect(res.status).toBe(200);
      expect(res.json().status).toBe('authenticated');
      expect(res.headers['x-request-id']).toBe(reqId);

      expect((await proc.waitForExit()).code).toBe(0);
      expect(await portAccepts(port)).toBe(false);
      expect(await waitUntilDead(pm.pid, 10_000)).toBe(true);
    },
    SLOW,
  );

  it(
    'refuses a second bul start on a data dir whose BUL is running, naming the running pid',
    async ({ expect }) => {
      const dataDir = makeDataDir();
      const first = await startServer(['start'], { BUL_DATA_DIR: dataDir });
      const secondPort = await freePort();
      const second = await runBul(['start'], { BUL_DATA_DIR: dataDir, PORT: String(secondPort) });
      expect(second.code).not.toBe(0);
      expect(second.code).not.toBeNull();
      expect(second.stderr).toContain(`BUL (pid ${first.proc.pid}) is already running`);
      expect(await portAccepts(secondPort)).toBe(false);
      // The running instance is unaffected.
      expect((await httpRequest(`${first.base}/ready`)).status).toBe(200);
      expect(await stop(first.proc)).toBe(0);
    },
    SLOW,
  );
});

// ---- configuration -----------------------------------------------------------------------------

/** stderr lines that report configuration problems. */
const problems = (stderr: string) =>
  stderr.split('\n').filter((l) => l.startsWith('bul: invalid configuration: '));

describe.concurrent('configuration errors', () => {
  it(
    'PORT=99999 exits 78 with one line naming PORT and its range',
    async ({ expect }) => {
      const r = await runBul(['start'], { BUL_DATA_DIR: makeDataDir(), PORT: '99999' });
      expect(r.code).toBe(78);
      expect(problems(r.stderr)).toEqual([
        'bul: invalid configuration: PORT: must be between 0 and 65535 (got "99999")',
      ]);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    },
    QUICK,
  );

  it(
    'PORT=99999 and LOG_LEVEL=loud give two lines, one per setting',
    async ({ expect }) => {
      const r = await runBul(['start'], { BUL_DATA_DIR: makeDataDir(), PORT: '99999', LOG_LEVEL: 'loud' });
      expect(r.code).toBe(78);
      const lines = problems(r.stderr);
      expect(lines).toHaveLength(2);
      expect(lines.some((l) => l.includes('PORT: must be between 0 and 65535'))).toBe(true);
      expect(lines.some((l) => /LOG_LEVEL: must be one of .*info/.test(l))).toBe(true);
    },
    QUICK,
  );

  it(
    'DATABASE_URL=mysql://x is named (and its secret value is not echoed)',
    async ({ expect }) => {
      const r = await runBul(['start'], { BUL_DATA_DIR: makeDataDir(), DATABASE_URL: 'mysql://x' });
      expect(r.code).toBe(78);
      const lines = problems(r.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('DATABASE_URL: must be a URL starting with postgres://');
      expect(r.stderr).not.toContain('mysql://x');
    },
    QUICK,
  );

  it(
    'METRICS_TOKEN and METRICS_TOKEN_FILE both set is an error naming both',
    async ({ expect }) => {
      const dir = makeDataDir();
      const file = path.join(dir, 'metrics-token');
      writeFileSync(file, 'from-the-file\n');
      const r = await runBul(['start'], {
        BUL_DATA_DIR: dir,
        METRICS_TOKEN: 'direct',
        METRICS_TOKEN_FILE: file,
      });
      expect(r.code).toBe(78);
      const lines = problems(r.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('METRICS_TOKEN');
      expect(lines[0]).toContain('METRICS_TOKEN_FILE');
    },
    QUICK,
  );

  it(
    '--help exits 0 with the usage; an unknown command exits 2',
    async ({ expect }) => {
      const help = await runBul(['--help'], {});
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Usage: bul <command>');
      const unknown = await runBul(['frobnicate'], {});
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('unknown command "frobnicate"');
    },
    QUICK,
  );

  it(
    'bul status exits 3 when nothing listens at --url',
    async ({ expect }) => {
      const port = await freePort();
      const r = await runBul(['status', '--url', `http://localhost:${port}`], {});
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('not reachable');
    },
    QUICK,
  );
});

// ---- external database (DATABASE_URL) ----------------------------------------------------------

describe.concurrent('with an external DATABASE_URL', () => {
  it(
    'bul migrate applies the migrations to an empty database, then says it is up to date',
    async ({ expect }) => {
      const { ownerUrl } = await externalDatabase({ empty: true });
      const env = externalEnv(ownerUrl);
      const first = await runBul(['migrate'], env);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toContain(`applied ${MIGRATIONS.length} migration(s)`);
      const rows = await query<{ version: number }>(
        ownerUrl,
        'SELECT version FROM bul_schema_migrations ORDER BY version',
      );
      expect(rows.rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      const worker = await query(ownerUrl, "SELECT 1 FROM pg_namespace WHERE nspname = 'graphile_worker'");
      expect(worker.rowCount).toBe(1);

      const second = await runBul(['migrate'], env);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toContain('the database is up to date');
    },
    SLOW,
  );

  it(
    'refuses to migrate or start when an applied migration was edited (checksum changed)',
    async ({ expect }) => {
      const { ownerUrl } = await externalDatabase();
      await query(ownerUrl, "UPDATE bul_schema_migrations SET checksum = 'x' WHERE version = $1", [LATEST]);
      const edited = new RegExp(`migration ${LATEST} \\(\\w+\\) was edited after it was applied`);

      const migrate = await runBul(['migrate'], externalEnv(ownerUrl));
      expect(migrate.code).toBe(1);
      expect(migrate.stderr).toMatch(edited);

      const port = await freePort();
      const start = await runBul(['start', '--role', 'api'], externalEnv(ownerUrl, { PORT: String(port) }));
      expect(start.code).toBe(1);
      expect(start.stderr).toMatch(edited);
      expect(await portAccepts(port)).toBe(false);
      // Nothing was "repaired" behind the operator's back.
      const row = await query<{ checksum: string }>(
        ownerUrl,
        'SELECT checksum FROM bul_schema_migrations WHERE version = $1',
        [LATEST],
      );
      expect(row.rows[0]?.checksum).toBe('x');
    },
    SLOW,
  );

  it(
    'runs --role worker without HTTP (delivering webhooks) and --role api with HTTP on one database; both stop on SIGTERM',
    async ({ expect }) => {
      const { ownerUrl } = await externalDatabase({ empty: true });
      const workerPort = await freePort();
      const worker = spawnBul(
        ['start', '--role', 'worker'],
        externalEnv(ownerUrl, { PORT: String(workerPort), WEBHOOK_ALLOW_PRIVATE: 'true' }),
      );
      await worker.waitForLog((l) => l.msg === 'BUL worker is running', 'the worker to start', 60_000);
      // The worker installed graphile-worker's schema and registered the cron schedule there.
      let crontabs: string[] = [];
      for (let i = 0; i < 100 && !crontabs.includes('system:cleanup_expired'); i++) {
        crontabs = (
          await query<{ identifier: string }>(
            ownerUrl,
            `SELECT identifier FROM graphile_worker._private_known_crontabs`,
          )
        ).rows.map((r) => r.identifier);
        if (!crontabs.includes('system:cleanup_expired')) await new Promise((r) => setTimeout(r, 100));
      }
      expect(crontabs).toContain('system:cleanup_expired');
      // It built every module's services from the module list and runs the worker's loops only.
      const composed = await worker.waitForLog((l) => l.msg === 'worker composed', 'the worker composed');
      expect(composed.modules).toEqual(MODULES.map((m) => m.name));
      expect(composed.jobs).toEqual([
        'monitoring:rollup',
        'monitoring:prune',
        'security:purge',
        'alerts:prune',
        'webhooks:deliver',
        'notifications:due-soon-scan',
        'system:cleanup_expired',
        'backups:run',
        'backups:restore',
        'backups:verify',
        'backups:drill',
      ]);
      expect(composed.background).toEqual([
        'audit-sealer',
        'event-retention',
        'signing-keys',
        'monitoring:sampler',
        'monitoring:cluster',
        'alert-evaluation',
        'notification-delivery',
        'health-checks',
        'backup-schedule',
      ]);
      // A queued job runs in the worker process: the housekeeping drops an ended counter window.
      await query(
        ownerUrl,
        "INSERT INTO rate_limit_counters (key, window_end, points) VALUES ('bul:api-ip:ended', 60000, 7)",
      );
      await query(ownerUrl, "SELECT graphile_worker.add_job('system:cleanup_expired')");
      let left = 1;
      for (let i = 0; i < 100 && left > 0; i++) {
        left =
          (await query(ownerUrl, "SELECT 1 FROM rate_limit_counters WHERE key = 'bul:api-ip:ended'"))
            .rowCount ?? 0;
        if (left > 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(left).toBe(0);
      expect(await portAccepts(workerPort)).toBe(false);
      expect(worker.stderr).not.toContain('BUL is running at');

      const api = await startServer(['start', '--role', 'api'], externalEnv(ownerUrl));
      const ready = await httpRequest(`${api.base}/ready`);
      expect(ready.status).toBe(200);
      expect(ready.json().role).toBe('api');
      const status = await runBul(['status', '--url', `http://localhost:${api.port}`], {});
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/: ready \(role api/);

      // The worker process has the services its jobs need: it delivers a webhook, signed.
      const sink = await startSink();
      try {
        const tenant = await register(api.base);
        const token = (await loginOver(api.base, tenant.email)).json().accessToken as string;
        const created = await httpRequest(`${api.base}/api/v1/webhooks/endpoints`, {
          headers: { authorization: `Bearer ${token}` },
          json: { url: 'http://127.0.0.1:1/refused-by-the-api', events: ['task.created'] },
        });
        expect(created.status).toBe(400); // the API process refuses loopback (no WEBHOOK_ALLOW_PRIVATE)
        const owner = new pg.Pool({ connectionString: ownerUrl, max: 1 });
        try {
          // As the owner (the API refuses a loopback sink): an endpoint, then an event handed to the handler.
          const box = new SecretBox(new MasterKey(Buffer.from(TEST_MASTER_KEY, 'base64')));
          const webhooks = new WebhookService({
            db: new Db(owner),
            box,
            audit: new AuditService(new Db(owner)),
            config: { webhookAllowPrivate: true, webhookTimeoutMs: 5000 },
          });
          const secret = newSecret();
          const endpointId = newId();
          await owner.query(
            `INSERT INTO webhook_endpoints (org_id, id, url, event_types, secret_sealed) VALUES ($1, $2, $3, '{task.created}', $4)`,
            [tenant.orgId, endpointId, sink.url, box.seal(secret, `webhook:${tenant.orgId}:${endpointId}`)],
          );
          sink.secret = secret;
          const eventId = newId();
          await new Db(owner).transaction({ orgId: tenant.orgId, userId: null }, (tx) =>
            webhooks.enqueueFor(tx, {
              id: eventId,
              type: 'task.created',
              orgId: tenant.orgId,
              occurredAt: new Date().toISOString(),
              actor: { type: 'system', id: null },
              payload: { id: newId() },
            }),
          );
          for (let i = 0; i < 300 && sink.requests.length === 0; i++)
            await new Promise((r) => setTimeout(r, 50));
          expect(sink.requests.map((r) => [r.headers['webhook-id'], r.verifyError])).toEqual([
            [eventId, null],
          ]);
        } finally {
          await owner.end();
        }
      } finally {
        await sink.close();
      }

      expect(await stop(api.proc)).toBe(0);
      expect(await stop(worker)).toBe(0);
      expect(await portAccepts(api.port)).toBe(false);
    },
    SLOW,
  );

  it(
    'bul admin create makes a super admin who can list all organizations; a second run promotes, not duplicates',
    async ({ expect }) => {
      const { ownerUrl } = await externalDatabase();
      const email = uniqueEmail('root');
      const env = externalEnv(ownerUrl, { BUL_ADMIN_PASSWORD: STRONG_PASSWORD });
      const created = await runBul(['admin', 'create', '--email', email, '--name', 'Root Admin'], env);
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toMatch(new RegExp(`^created super admin ${email.replace(/\./g, '\\.')} \\(`));
      expect(created.stdout).not.toContain('password (shown once');

      const api = await startServer(['start', '--role', 'api'], externalEnv(ownerUrl));
      const tenant = await register(api.base);
      const login = await loginOver(api.base, email);
      expect(login.status).toBe(200);
      expect(login.json().user.isSuperAdmin).toBe(true);
      const orgs = await httpRequest(`${api.base}/api/v1/admin/organizations`, {
        headers: { authorization: `Bearer ${login.json().accessToken}` },
      });
      expect(orgs.status).toBe(200);
      expect(orgs.json().items.map((o: { id: string }) => o.id)).toContain(tenant.orgId);

      // An ordinary user gets 403 there.
      const plain = await loginOver(api.base, tenant.email);
      const denied = await httpRequest(`${api.base}/api/v1/admin/organizations`, {
        headers: { authorization: `Bearer ${plain.json().accessToken}` },
      });
      expect(denied.status).toBe(403);
      expect(denied.json().type).toBe('urn:bul:error:forbidden');

      const again = await runBul(['admin', 'create', '--email', email.toUpperCase(), '--name', 'Root'], env);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('promoted super admin');
      const users = await query<{ n: number; admins: number }>(
        ownerUrl,
        'SELECT count(*)::int AS n, count(*) FILTER (WHERE is_super_admin)::int AS admins FROM users WHERE lower(email) = lower($1)',
        [email],
      );
      expect(users.rows[0]).toEqual({ n: 1, admins: 1 });
      expect(await stop(api.proc)).toBe(0);
    },
    SLOW,
  );

  it(
    'logs JSON lines, one per request with the request id, and an authenticated request logs its userId and orgId; METRICS_TOKEN_FILE is honoured',
    async ({ expect }) => {
      const { ownerUrl } = await externalDatabase();
      const dataDir = makeDataDir();
      const tokenFile = path.join(dataDir, 'metrics-token');
      const token = randomBytes(16).toString('hex');
      writeFileSync(tokenFile, `${token}\n`);
      const api = await startServer(
        ['start', '--role', 'api'],
        externalEnv(ownerUrl, { LOG_LEVEL: 'info', METRICS_TOKEN_FILE: tokenFile }),
      );
      // The token comes from METRICS_TOKEN_FILE (trailing newline trimmed).
      expect((await httpRequest(`${api.base}/metrics`)).status).toBe(401);
      const wrong = await httpRequest(`${api.base}/metrics`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const metrics = await httpRequest(`${api.base}/metrics`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('bul_http_requests_total');
      const user = await register(api.base);
      const login = await loginOver(api.base, user.email);
      const reqId = `me-${randomBytes(4).toString('hex')}`;
      const me = await httpRequest(`${api.base}/api/v1/auth/me`, {
        headers: { authorization: `Bearer ${login.json().accessToken}`, 'x-request-id': reqId },
      });
      expect(me.status).toBe(200);
      expect(me.headers['x-request-id']).toBe(reqId);

      const done = await api.proc.waitForLog(
        (l) => l.reqId === reqId && l.msg === 'request completed',
        'the completion log of GET /auth/me',
      );
      // Every stdout line is JSON (stdout is a pipe here: LOG_FORMAT auto means json).
      const lines = api.proc.stdout.split('\n').filter((l) => l.trim());
      for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
      expect(done.level).toBe(30);
      // One line per request, saying what was asked and what was answered.
      expect(api.proc.logLines().filter((l) => l.reqId === reqId)).toHaveLength(1);
      expect(done).toMatchObject({
        req: { method: 'GET', url: '/api/v1/auth/me' },
        res: { statusCode: 200 },
      });
      expect(done.responseTime).toBeTypeOf('number');
      // Secrets stay out of the log.
      expect(api.proc.stdout).not.toContain(STRONG_PASSWORD);
      expect(api.proc.stdout).not.toContain(login.json().accessToken);
      expect(done).toMatchObject({ reqId, userId: user.userId, orgId: user.orgId });

      expect(await stop(api.proc)).toBe(0);
    },
    SLOW,
  );
});
