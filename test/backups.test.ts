// The backups API (issue 18, C) on a real database with a directory target: each route, bad
// inputs named by field (unknown type, bad cron, bad time zone, unknown table, an org admin
// restoring another organization, the restore policy), a dry run that changes nothing, an
// applied organization restore with its safety backup, the cache cleared in every process by a
// restore, a verification, and the access matrix (super admin / org admin / member).

import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableChecksums } from '../src/platform/backup/checksums.ts';
import { type JobRunner, startWorker } from '../src/platform/jobs/worker.ts';
import { apiHelpers } from './support/api-helpers.ts';
import { composeWorker } from './support/event-worker-inline.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import { addMember, createTestApp, login, type Session, signUp, type TestApp } from './support/test-app.ts';
import { until as untilDefault } from './support/until.ts';

let t: TestApp;
let root: Session;
let adminA: Session;
let adminB: Session;
let member: Session;
let worker: JobRunner;

beforeAll(async () => {
  t = await createTestApp();
  adminA = await signUp(t, { orgName: 'Backups A' });
  adminB = await signUp(t, { orgName: 'Backups B' });
  member = await addMember(t, adminA, 'user');
  const sa = await signUp(t, { orgName: 'Operators' });
  await t.owner('UPDATE users SET is_super_admin = true WHERE id = $1', [sa.userId]);
  root = await login(t, sa.email);
  await logRowVersions();
  const c = await composeWorker(t);
  worker = await startWorker({
    pool: t.pool,
    jobs: c.jobs().filter((j) => j.name.startsWith('backups:')),
    concurrency: 1,
    log: pino({ level: 'silent' }),
  });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const { api } = apiHelpers(
  () => t,
  () => root,
);

async function createClient(s: Session, name: string) {
  const res = await api(s, 'POST', '/clients', { name });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string };
}

/** Checksums of the clients table, per organization, read as the owner. */
async function clientRows(orgId: string) {
  const { rows } = await t.owner('SELECT id, name, version FROM clients WHERE org_id = $1 ORDER BY id', [
    orgId,
  ]);
  return rows;
}

/**
 * Every row version of backup_runs and every new backup_restores row, with the transaction that
 * wrote it, logged by triggers into test_log.row_versions (a schema backups do not read): what a reader could have seen, whenever it
 * read.
 */
async function logRowVersions() {
  await t.owner(`
    CREATE SCHEMA test_log;
    CREATE TABLE test_log.row_versions (seq bigserial PRIMARY KEY, tbl text, id uuid, status text, verify_status text, tx bigint);
    CREATE FUNCTION test_log.log_row_version() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
    BEGIN
      INSERT INTO test_log.row_versions (tbl, id, status, verify_status, tx)
      VALUES (TG_TABLE_NAME, NEW.id, NEW.status, to_jsonb(NEW) ->> 'verify_status', txid_current());
      RETURN NEW;
    END $$;
    CREATE TRIGGER test_log AFTER INSERT OR UPDATE ON backup_runs
      FOR EACH ROW EXECUTE FUNCTION test_log.log_row_version();
    CREATE TRIGGER test_log AFTER INSERT ON backup_restores
      FOR EACH ROW EXECUTE FUNCTION test_log.log_row_version();`);
}

async function runVersions(id: string) {
  const { rows } = await t.owner(
    "SELECT status, verify_status AS verify, tx FROM test_log.row_versions WHERE tbl = 'backup_runs' AND id = $1 ORDER BY seq",
    [id],
  );
  return rows as { status: string; verify: string | null; tx: string }[];
}

let fullId: string;

describe('running a backup', () => {
  it('refuses an unknown type naming the field, and queues a full that a worker runs', async () => {
    expectFieldError(await api(root, 'POST', '/backup/run', { type: 'weekly' }), 'type');
    await createClient(adminA, 'Acme before');
    await createClient(adminB, 'Other org client');
    const res = await api(root, 'POST', '/backup/run', { type: 'full' });
    expect(res.statusCode, res.body).toBe(202);
    const queued = res.json();
    expect(queued).toMatchObject({
      type: 'full',
      trigger: 'manual',
      status: 'queued',
      requestedBy: root.userId,
    });
    fullId = queued.id;
    const run = await until('the backup to succeed', async () => {
      const r = (await api(root, 'GET', `/backup/runs/${fullId}`)).json();
      return r.status === 'succeeded' || r.status === 'failed' ? r : null;
    });
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.progress).toMatchObject({ phase: 'done', percent: 100 });
    expect(run.storedBytes).toBeGreaterThan(0);
    const clients = run.tables.find((x: { name: string }) => x.name === 'clients');
    expect(clients.rows).toBeGreaterThanOrEqual(2);
    expect(run.tables.map((x: { name: string }) => x.name)).not.toContain('backup_runs');
    // Verified after it was written (on by default), and pending from the moment it succeeded: a
    // page that read it between the two would otherwise have stopped following it.
    await until('the verification after the backup', async () => {
      const r = (await api(root, 'GET', `/backup/runs/${fullId}`)).json();
      return r.verify?.status === 'passed' || r.verify?.status === 'failed' ? r : null;
    });
    const succeeded = (await runVersions(fullId)).filter((v) => v.status === 'succeeded');
    expect(succeeded.map((v) => v.verify)).toEqual(['pending', 'pending', 'passed']);
  }, 90_000);

  it('verifies a succeeded run whose job runs again after dying before the verification', async () => {
    const before = (await runVersions(fullId)).length;
    await t.owner("UPDATE backup_runs SET verify_status = 'pending', verified_at = NULL WHERE id = $1", [
      fullId,
    ]);
    await t.owner("SELECT graphile_worker.add_job('backups:run', json_build_object('runId', $1::text))", [
      fullId,
    ]);
    const run = await until('the verification', async () => {
      const r = (await api(root, 'GET', `/backup/runs/${fullId}`)).json();
      return r.verify?.status === 'pending' ? null : r;
    });
    expect(run.verify.status).toBe('passed');
    expect(run.status).toBe('succeeded');
    // The backup itself was not written again.
    const again = (await runVersions(fullId)).slice(before);
    expect(again.map((v) => `${v.status}/${v.verify}`)).toEqual([
      'succeeded/pending',
      'succeeded/pending',
      'succeeded/passed',
    ]);
  }, 90_000);

  it('answers status, dashboard and the list', async () => {
    const status = (await api(root, 'GET', '/backup/status')).json();
    expect(status.lastByType.full.id).toBe(fullId);
    expect(status.running).toBeNull();
    const dash = (await api(root, 'GET', '/backup/dashboard')).json();
    expect(dash.health.status).toBe('ok');
    expect(dash.health.ageSeconds).toBeLessThan(600);
    expect(dash.health.successRate30d).toBe(1);
    expect(dash.sizeTrend.at(-1)).toMatchObject({ type: 'full' });
    expect(dash.targets).toEqual([
      { role: 'primary', kind: 'directory', description: expect.stringContaining(t.config.backup.dir) },
    ]);
    expect(dash.schedules.map((s: { type: string }) => s.type)).toEqual([
      'full',
      'incremental',
      'differential',
      'critical',
    ]);
    const list = (await api(root, 'GET', '/backup/list?type=full&status=succeeded&limit=1')).json();
    expect(list.items.map((r: { id: string }) => r.id)).toEqual([fullId]);
    expectFieldError(await api(root, 'GET', '/backup/list?status=lost'), 'status');
    expectProblem(
      await api(root, 'GET', '/backup/runs/01936f3e-8b1a-7c2d-9e4f-0a1b2c3d4e5f'),
      404,
      'not-found',
    );
    // The executive figure comes from the same health.
    const exec = await api(root, 'GET', '/executive/metrics?scope=global');
    expect(exec.statusCode, exec.body).toBe(200);
    expect(exec.json().system.backupHealth).toMatchObject({ status: 'ok', successRate30d: 1 });
    expect(exec.json().system.backupHealth.sizeBytes).toBeGreaterThan(0);
  });
});

describe('settings', () => {
  it('names each bad field: type, cron, time zone, critical table', async () => {
    expectFieldError(
      await api(root, 'PUT', '/backup/configs', { schedules: [{ type: 'hourly' }] }),
      'schedules[0].type',
    );
    expectFieldError(
      await api(root, 'PUT', '/backup/configs', { schedules: [{ type: 'full', cron: '61 2 * * *' }] }),
      'schedules[0].cron',
    );
    expectFieldError(
      await api(root, 'PUT', '/backup/configs', { schedules: [{ type: 'full', cron: '0 2 * * * *' }] }),
      'schedules[0].cron',
    );
    expectFieldError(
      await api(root, 'PUT', '/backup/configs', { schedules: [{ type: 'full', timeZone: 'Mars/Olympus' }] }),
      'schedules[0].timeZone',
    );
    expectFieldError(
      await api(root, 'PUT', '/backup/configs', { drill: { timeZone: 'Nowhere' } }),
      'drill.timeZone',
    );
    expectFieldError(
      await api(root, 'PUT', '/backup/configs', { criticalTables: ['clients', 'backup_runs'] }),
      'criticalTables[1]',
    );
    expectFieldError(
      await api(root, 'PUT', '/backup/configs', { retention: { keepLast: 0 } }),
      'retention.keepLast',
    );
    // Nothing changed.
    expect((await api(root, 'GET', '/backup/configs')).json().schedules[0]).toMatchObject({
      cron: '0 2 * * 0',
      timeZone: 'UTC',
    });
  });

  it('changes only what is sent, computes the next run in the time zone, and audits it', async () => {
    const res = await api(root, 'PUT', '/backup/configs', {
      schedules: [{ type: 'differential', cron: '0 3 * * 3', timeZone: 'Asia/Tokyo', enabled: true }],
      retention: { daily: 10 },
      criticalTables: ['organizations', 'clients'],
    });
    expect(res.statusCode, res.body).toBe(200);
    const c = res.json();
    const diff = c.schedules.find((s: { type: string }) => s.type === 'differential');
    expect(diff).toMatchObject({ cron: '0 3 * * 3', timeZone: 'Asia/Tokyo', enabled: true, retries: 2 });
    // 03:00 in Tokyo is 18:00Z the day before, a Tuesday.
    const next = new Date(diff.nextRunAt);
    expect(next.getUTCHours()).toBe(18);
    expect(next.getUTCDay()).toBe(2);
    expect(c.retention).toEqual({ keepLast: 7, daily: 10, weekly: 4, monthly: 6 });
    expect(c.criticalTables).toEqual(['organizations', 'clients']);
    const audit = await t.owner(
      "SELECT changes FROM audit_events WHERE action = 'backup.configure' ORDER BY created_at DESC LIMIT 1",
    );
    expect(Object.keys(audit.rows[0]?.changes ?? {}).sort()).toEqual([
      'criticalTables',
      'retention',
      'schedules',
    ]);
  });
});

describe('restores', () => {
  it('refuses bad restores naming the field', async () => {
    expectFieldError(
      await api(root, 'POST', '/backup/recover', {
        backup_id: fullId,
        tables: ['clients', 'no_such_table'],
        dry_run: true,
      }),
      'tables[1]',
    );
    expectFieldError(
      await api(root, 'POST', '/backup/recover', { backup_id: fullId, scope: 'organization', dry_run: true }),
      'organization_id',
    );
    expectFieldError(await api(root, 'POST', '/backup/recover', { backup_id: fullId }), 'dry_run');
    // organization_id only with scope organization; an organization neither here nor in the backup.
    expectFieldError(
      await api(root, 'POST', '/backup/recover', {
        backup_id: fullId,
        scope: 'all',
        organization_id: adminA.orgId,
        dry_run: true,
      }),
      'organization_id',
    );
    expectFieldError(
      await api(root, 'POST', '/backup/recover', {
        backup_id: fullId,
        organization_id: '01936f3e-8b1a-7c2d-9e4f-0a1b2c3d4e5f',
        dry_run: true,
      }),
      'organization_id',
    );
    // A super admin naming an organization without a scope restores that organization, never everything.
    const implied = await api(root, 'POST', '/backup/recover', {
      backup_id: fullId,
      organization_id: adminA.orgId,
      dry_run: true,
    });
    expect(implied.statusCode, implied.body).toBe(200);
    expect(implied.json().scope).toEqual({ kind: 'organization', orgId: adminA.orgId });
    expectProblem(
      await api(root, 'POST', '/backup/recover', {
        backup_id: '01936f3e-8b1a-7c2d-9e4f-0a1b2c3d4e5f',
        dry_run: true,
      }),
      404,
      'not-found',
    );
  });

  it('a dry run reports the differences and changes nothing', async () => {
    await createClient(adminA, 'Acme after');
    await t.owner("UPDATE clients SET name = 'Acme renamed' WHERE name = 'Acme before'");
    const before = await clientRows(adminA.orgId);
    const owner = new pg.Client({ connectionString: t.ownerUrl });
    await owner.connect();
    const sums = async () =>
      tableChecksums(owner, [
        { name: 'clients', columns: ['id', 'org_id', 'name', 'version', 'updated_at'] },
      ]);
    const sumBefore = await sums();
    const res = await api(root, 'POST', '/backup/recover', {
      backup_id: fullId,
      tables: ['clients'],
      dry_run: true,
    });
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({
      backupId: fullId,
      dryRun: true,
      chain: [fullId],
      scope: { kind: 'tables', tables: ['clients'] },
    });
    expect(report.tables).toEqual([expect.objectContaining({ table: 'clients', removed: 1, changed: 1 })]);
    expect(await clientRows(adminA.orgId)).toEqual(before);
    expect(await sums()).toEqual(sumBefore);
    await owner.end();
    const row = (await api(root, 'GET', `/backup/restores/${report.restoreId}`)).json();
    expect(row).toMatchObject({ kind: 'restore', dryRun: true, status: 'succeeded' });
  }, 60_000);

  it('holds org admins to their own organization and to the restore policy', async () => {
    const own = { backup_id: fullId, scope: 'organization', organization_id: adminA.orgId, dry_run: true };
    // default policy: dry_run
    expect((await api(adminA, 'GET', '/backup/restore-policy')).json()).toEqual({ orgRestore: 'dry_run' });
    const other = await api(adminA, 'POST', '/backup/recover', { ...own, organization_id: adminB.orgId });
    expectProblem(other, 403, 'forbidden');
    expectProblem(
      await api(adminA, 'POST', '/backup/recover', { backup_id: fullId, dry_run: true, scope: 'all' }),
      403,
      'forbidden',
    );
    const dry = await api(adminA, 'POST', '/backup/recover', own);
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json().scope).toEqual({ kind: 'organization', orgId: adminA.orgId });
    const apply = await api(adminA, 'POST', '/backup/recover', { ...own, dry_run: false });
    expect(expectProblem(apply, 403, 'forbidden').policy).toBe('org_restore');
    await api(root, 'PUT', '/backup/configs', { orgRestore: 'disabled' });
    const disabled = expectProblem(await api(adminA, 'POST', '/backup/recover', own), 403, 'forbidden');
    expect(disabled.policy).toBe('org_restore');
    expect(disabled.detail).toContain('disabled');
    await api(root, 'PUT', '/backup/configs', { orgRestore: 'enabled' });
  });

  it('applies an organization restore after a safety backup, leaving the other organization alone', async () => {
    const bBefore = await clientRows(adminB.orgId);
    await t.owner("UPDATE clients SET name = 'B changed meanwhile' WHERE org_id = $1", [adminB.orgId]);
    const bChanged = await clientRows(adminB.orgId);
    // The organization's own row (plan, status, name) and its usage counters are not rewound.
    await t.owner("UPDATE organizations SET name = 'Backups A renamed' WHERE id = $1", [adminA.orgId]);
    const usage = await t.owner<{ metric: string; period: string; value: string }>(
      'SELECT * FROM usage_counters WHERE org_id = $1 ORDER BY metric, period',
      [adminA.orgId],
    );
    const res = await api(adminA, 'POST', '/backup/recover', {
      backup_id: fullId,
      scope: 'organization',
      dry_run: false,
    });
    expect(res.statusCode, res.body).toBe(202);
    const { id } = res.json();
    const done = await until(
      'the restore to finish',
      async () => {
        const r = (await api(adminA, 'GET', `/backup/restores/${id}`)).json();
        return r.status === 'succeeded' || r.status === 'failed' ? r : null;
      },
      90_000,
    );
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.safetyBackupId).toBeTruthy();
    const safety = (await api(root, 'GET', `/backup/runs/${done.safetyBackupId}`)).json();
    expect(safety).toMatchObject({ type: 'full', trigger: 'safety', status: 'succeeded' });
    // A's clients are as in the backup; B's keep the change made after it.
    expect((await clientRows(adminA.orgId)).map((r) => r.name)).toEqual(['Acme before']);
    expect(await clientRows(adminB.orgId)).toEqual(bChanged);
    expect(bChanged).not.toEqual(bBefore);
    const org = await t.owner<{ name: string }>('SELECT name FROM organizations WHERE id = $1', [
      adminA.orgId,
    ]);
    expect(org.rows[0]!.name).toBe('Backups A renamed');
    // Usage keeps counting (this test's own requests): every counter is at least where it was.
    const after = await t.owner<{ metric: string; period: string; value: string }>(
      'SELECT * FROM usage_counters WHERE org_id = $1 ORDER BY metric, period',
      [adminA.orgId],
    );
    for (const u of usage.rows) {
      const now = after.rows.find((x) => x.metric === u.metric && String(x.period) === String(u.period));
      expect(Number(now?.value), `${u.metric} ${u.period}`).toBeGreaterThanOrEqual(Number(u.value));
    }
    // Audited in the organization with the event; B's admin cannot see A's restore.
    const ev = await t.owner(
      "SELECT org_id FROM domain_events WHERE type = 'backup.restored' AND payload->>'id' = $1",
      [id],
    );
    expect(ev.rows.map((r) => r.org_id).sort()).toEqual(
      [adminA.orgId, '00000000-0000-0000-0000-000000000000'].sort(),
    );
    expectProblem(await api(adminB, 'GET', `/backup/restores/${id}`), 404, 'not-found');
    expect((await api(adminB, 'GET', '/backup/restores')).json().items).toEqual([]);
  }, 120_000);

  it('clears the cache in every process once a restore committed: the next read computes the restored rows', async () => {
    // A restore of chosen tables audits in the platform only: A's data version does not move, so
    // only the restore's invalidation (from the worker's process to this one) can drop A's entry.
    const client = await createClient(adminA, 'Feedback giver');
    const fb = await api(adminA, 'POST', '/feedback', { clientId: client.id, score: 4 });
    expect(fb.statusCode, fb.body).toBe(201);
    const responses = async () => {
      const res = await api(adminA, 'GET', '/executive/metrics');
      expect(res.statusCode, res.body).toBe(200);
      return res.json().satisfaction.responses as number;
    };
    const loads = async () => {
      const res = await api(root, 'GET', '/cache/metrics');
      expect(res.statusCode, res.body).toBe(200);
      const f = (res.json().families as { family: string; loads: number }[]).find(
        (x) => x.family === 'analytics.executive',
      );
      return f?.loads ?? 0;
    };
    const feedbackRows = async () => {
      const { rows } = await t.owner<{ n: string }>('SELECT count(*) AS n FROM feedback WHERE org_id = $1', [
        adminA.orgId,
      ]);
      return Number(rows[0]?.n);
    };
    const cached = await responses();
    expect(cached).toBe(await feedbackRows());
    const loaded = await loads();
    expect(await responses()).toBe(cached);
    expect(await loads(), 'the second read was a hit').toBe(loaded);

    const res = await api(root, 'POST', '/backup/recover', {
      backup_id: fullId,
      tables: ['feedback'],
      dry_run: false,
    });
    expect(res.statusCode, res.body).toBe(202);
    const done = await until('the restore to finish', async () => {
      const r = (await api(root, 'GET', `/backup/restores/${res.json().id}`)).json();
      return r.status === 'succeeded' || r.status === 'failed' ? r : null;
    });
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    const restored = await feedbackRows();
    expect(restored).toBeLessThan(cached);
    // The memory store hears the invalidation a moment later (NOTIFY); without it the cached figure
    // would stay for CACHE_TTL_MS (60 s) and stale for CACHE_STALE_MS more.
    await until('the restored figure', async () => (await responses()) === restored, 15_000);
    expect(await loads(), 'computed afresh').toBeGreaterThan(loaded);
  }, 120_000);

  it('verifies a backup: every part and a scratch restore', async () => {
    const res = await api(root, 'POST', '/backup/verify', { backup_id: fullId });
    expect(res.statusCode, res.body).toBe(202);
    const { restoreId } = res.json();
    // Pending in the very transaction that queued it, so the run's page follows it from the answer on.
    const { rows: queued } = await t.owner(
      "SELECT tx FROM test_log.row_versions WHERE tbl = 'backup_restores' AND id = $1",
      [restoreId],
    );
    expect((await runVersions(fullId)).filter((v) => v.tx === queued[0]?.tx).map((v) => v.verify)).toEqual([
      'pending',
    ]);
    const done = await until(
      'the verification',
      async () => {
        const r = (await api(root, 'GET', `/backup/restores/${restoreId}`)).json();
        return r.status === 'succeeded' || r.status === 'failed' ? r : null;
      },
      90_000,
    );
    expect(done.status, JSON.stringify(done.report)).toBe('succeeded');
    expect(done.kind).toBe('verify');
    const run = (await api(root, 'GET', `/backup/runs/${fullId}`)).json();
    expect(run.verify.status).toBe('passed');
    const scratch = await t.owner("SELECT datname FROM pg_database WHERE datname LIKE 'bul_verify_%'");
    expect(scratch.rows).toEqual([]);
  }, 120_000);
});

describe('access', () => {
  const MANAGE: [string, string, unknown?][] = [
    ['GET', '/backup/status'],
    ['GET', '/backup/dashboard'],
    ['GET', '/backup/configs'],
    ['PUT', '/backup/configs', {}],
    ['POST', '/backup/run', { type: 'full' }],
    ['POST', '/backup/verify', { backup_id: '01936f3e-8b1a-7c2d-9e4f-0a1b2c3d4e5f' }],
  ];
  const RESTORE: [string, string, unknown?][] = [
    ['GET', '/backup/list'],
    ['GET', '/backup/restores'],
    ['GET', '/backup/restore-policy'],
  ];

  it('super admins reach everything; org admins read runs and restore; members nothing', async () => {
    for (const [m, url, body] of [...MANAGE.slice(0, 3), ...RESTORE]) {
      const res = await api(root, m as 'GET', url, body);
      expect(res.statusCode, `${m} ${url}: ${res.body}`).toBe(200);
    }
    for (const [m, url, body] of MANAGE) {
      const res = await api(adminA, m as 'GET', url, body);
      expect(expectProblem(res, 403, 'forbidden').permission, `${m} ${url}`).toBe('backups:manage');
    }
    for (const [m, url] of RESTORE) expect((await api(adminA, m as 'GET', url)).statusCode, url).toBe(200);
    // An org admin reads when and what kind, not the platform's inside (every organization's row
    // counts, who asked); a super admin reads it all.
    const seen = await api(adminA, 'GET', `/backup/runs/${fullId}`);
    expect(seen.statusCode).toBe(200);
    expect(seen.json()).toMatchObject({
      id: fullId,
      status: 'succeeded',
      tables: [],
      rows: null,
      requestedBy: null,
    });
    const full = (await api(root, 'GET', `/backup/runs/${fullId}`)).json();
    expect(full.tables.length).toBeGreaterThan(10);
    expect(full.requestedBy).toBe(root.userId);
    const listed = (await api(adminA, 'GET', '/backup/list')).json().items;
    expect(
      listed.every((r: { requestedBy: unknown; rows: unknown }) => r.requestedBy === null && r.rows === null),
    ).toBe(true);
    for (const [m, url, body] of [
      ...MANAGE,
      ...RESTORE,
      ['GET', `/backup/runs/${fullId}`],
      ['POST', '/backup/recover', { backup_id: fullId, scope: 'organization', dry_run: true }],
    ] as [string, string, unknown?][]) {
      const res = await api(member, m as 'GET', url, body);
      expectProblem(res, 403, 'forbidden');
    }
    expectProblem(await t.request({ method: 'GET', url: '/api/v1/backup/list' }), 401, 'unauthenticated');
  });
});

/** This file's default wait is longer (backups and verifications in a worker). */
function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 60_000): Promise<T> {
  return untilDefault(what, fn, ms);
}
