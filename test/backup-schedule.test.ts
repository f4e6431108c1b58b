// Backup schedules (issue 18, C): cron + time zone occurrences, exactly one run per occurrence with
// two processes' loops on one database, retries of a failing backup and backup.failed on the final
// attempt only, and retention keeping the full (and every link) a kept incremental depends on —
// on real backups in a directory target.
import { existsSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULE_EVERY_MS, SCHEDULE_TICK } from '../src/modules/backups/definition.ts';
import { expiredBackups, type RetainedRun } from '../src/modules/backups/retention.ts';
import { occurrencesBetween } from '../src/modules/backups/schedule.ts';
import type { BackupServices } from '../src/modules/backups/service.ts';
import * as store from '../src/modules/backups/store.ts';
import { newId } from '../src/platform/db/ids.ts';
import { TickLoop } from '../src/platform/jobs/tick-loop.ts';
import { type JobRunner, startWorker } from '../src/platform/jobs/worker.ts';
import { composeWorker } from './support/event-worker-inline.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { until } from './support/until.ts';

let t: TestApp;
let backups: BackupServices;

beforeAll(async () => {
  t = await createTestApp();
  backups = t.services.backups as BackupServices;
}, 60_000);

afterAll(async () => {
  await t?.close();
});

async function backupWorker(): Promise<JobRunner> {
  const c = await composeWorker(t);
  return startWorker({
    pool: t.pool,
    jobs: c.jobs().filter((j) => j.name.startsWith('backups:')),
    concurrency: 1,
    log: pino({ level: 'silent' }),
  });
}

describe('cron occurrences', () => {
  it('reads the expression in the schedule’s time zone, across a DST change', () => {
    // 02:00 in Madrid is 01:00Z in winter (CET) and 00:00Z in summer (CEST); DST began 2026-03-29.
    const got = occurrencesBetween(
      '0 2 * * *',
      'Europe/Madrid',
      new Date('2026-03-27T12:00:00Z'),
      new Date('2026-03-31T12:00:00Z'),
    ).map((d) => d.toISOString());
    expect(got).toEqual([
      '2026-03-28T01:00:00.000Z',
      // 2026-03-29 02:00 does not exist in Madrid (clocks jump 02:00 → 03:00): croner runs it at 03:00 CEST
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
    ]);
    expect(
      occurrencesBetween(
        '30 */6 * * *',
        'UTC',
        new Date('2026-01-01T00:00:00Z'),
        new Date('2026-01-01T12:30:00Z'),
      ).map((d) => d.toISOString()),
    ).toEqual(['2026-01-01T00:30:00.000Z', '2026-01-01T06:30:00.000Z', '2026-01-01T12:30:00.000Z']);
    // (from, to]: an occurrence at `from` belongs to the previous window
    expect(
      occurrencesBetween(
        '0 * * * *',
        'UTC',
        new Date('2026-01-01T01:00:00Z'),
        new Date('2026-01-01T01:59:59Z'),
      ),
    ).toEqual([]);
  });
});

describe('the schedule loop', () => {
  it('queues each due occurrence once, however many processes tick', async () => {
    await t.owner(
      "UPDATE backup_schedules SET enabled = (type = 'full'), cron = '*/5 * * * *', time_zone = 'America/Sao_Paulo'",
    );
    await t.owner('UPDATE backup_settings SET drill_enabled = false');
    const tick = new Date(Math.floor(Date.now() / 300_000) * 300_000 + 300_000 * 10); // a future :x0/:x5 minute
    const loops = [0, 1].map(
      () =>
        new TickLoop({
          pool: t.pool,
          name: SCHEDULE_TICK,
          everyMs: SCHEDULE_EVERY_MS,
          run: async (at) => {
            await backups.runner.scheduleTick(at, SCHEDULE_EVERY_MS);
          },
          onError: (err) => {
            throw err;
          },
        }),
    );
    const claimed = await Promise.all(loops.map((l) => l.runOnce(tick.getTime() + 1500)));
    expect(claimed.filter(Boolean)).toHaveLength(1);
    // A tick run twice without the claim (a process that lost its bul_ticks row) still queues once.
    await backups.runner.scheduleTick(tick, SCHEDULE_EVERY_MS);
    const { rows } = await t.owner<{ id: string; type: string; trigger: string; status: string }>(
      'SELECT id, type, trigger, status FROM backup_runs WHERE occurrence = $1',
      [`backup:full:${tick.toISOString()}`],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: 'full', trigger: 'schedule', status: 'queued' });
    const jobs = await t.owner('SELECT max_attempts FROM graphile_worker.jobs WHERE key = $1', [
      `backup:full:${tick.toISOString()}`,
    ]);
    expect(jobs.rows).toEqual([{ max_attempts: 3 }]); // retries 2 → 3 attempts
    // The next tick, one minute later, is not a */5 occurrence: nothing more.
    expect(await backups.runner.scheduleTick(new Date(tick.getTime() + 60_000), SCHEDULE_EVERY_MS)).toBe(0);
    await t.owner('SELECT graphile_worker.remove_job($1)', [`backup:full:${tick.toISOString()}`]);
    await t.owner('DELETE FROM backup_runs WHERE id = $1', [rows[0]?.id]);
  });

  it('retries a failing backup and emits backup.failed once, on the final attempt', async () => {
    // An incremental with no full to build on fails (chain_broken) on every attempt.
    await t.owner(
      "UPDATE backup_schedules SET enabled = (type = 'incremental'), cron = '* * * * *', time_zone = 'UTC', retries = 1",
    );
    const tick = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    expect(await backups.runner.scheduleTick(tick, SCHEDULE_EVERY_MS)).toBe(1);
    const worker = await backupWorker();
    try {
      const run = await until(
        'the run to fail for good',
        async () =>
          (
            await t.owner<{ id: string; status: string; attempt: number; error_code: string }>(
              "SELECT id, status, attempt, error_code FROM backup_runs WHERE occurrence = $1 AND status = 'failed'",
              [`backup:incremental:${tick.toISOString()}`],
            )
          ).rows[0],
        60_000,
      );
      expect(run).toMatchObject({ status: 'failed', attempt: 2, error_code: 'chain_broken' });
      const events = await t.owner<{ payload: Record<string, unknown> }>(
        "SELECT payload FROM domain_events WHERE type = 'backup.failed' AND payload->>'backupId' = $1",
        [run.id],
      );
      expect(events.rows).toHaveLength(1);
      expect(events.rows[0]?.payload).toMatchObject({
        type: 'incremental',
        errorCode: 'chain_broken',
        attempt: 2,
      });
      const failures = await t.owner(
        "SELECT value FROM monitoring_samples WHERE metric = 'backup.failures' AND org_id = '00000000-0000-0000-0000-000000000000'",
      );
      expect(failures.rows.length).toBeGreaterThan(0);
    } finally {
      await worker.stop();
      await t.owner('UPDATE backup_schedules SET enabled = false');
    }
  }, 90_000);
});

describe('retention', () => {
  const day = (n: number) => new Date(Date.UTC(2026, 0, n, 2));
  const r = (
    id: string,
    type: RetainedRun['type'],
    n: number,
    parentId: string | null = null,
    baseFullId: string | null = null,
  ): RetainedRun => ({
    id,
    type,
    parentId,
    baseFullId,
    at: day(n),
    pinned: false,
  });

  it('keeps the newest, the newest per day/week/month, and every link a kept backup depends on', () => {
    const runs = [
      r('F1', 'full', 1),
      r('I2', 'incremental', 2, 'F1', 'F1'),
      r('I3', 'incremental', 3, 'I2', 'F1'),
      r('F8', 'full', 8),
      r('D9', 'differential', 9, 'F8', 'F8'),
      r('C9', 'critical', 9),
      r('C10', 'critical', 10),
    ];
    const policy = { keepLast: 1, daily: 0, weekly: 0, monthly: 0 };
    // Newest chain backup D9 needs F8; the newest critical is C10; F1's chain goes.
    expect(expiredBackups(runs, policy).sort()).toEqual(['C9', 'F1', 'I2', 'I3']);
    // Keeping I3 (two per day for 2 days... here: the newest of 4 days) keeps I2 and F1 with it.
    expect(expiredBackups(runs, { keepLast: 1, daily: 4, weekly: 0, monthly: 0 })).not.toContain('F1');
    expect(expiredBackups(runs, { keepLast: 1, daily: 4, weekly: 0, monthly: 0 })).not.toContain('I2');
    // A pinned backup stays, with its chain.
    const pinned = runs.map((x) => (x.id === 'I2' ? { ...x, pinned: true } : x));
    expect(expiredBackups(pinned, policy).sort()).toEqual(['C9', 'I3']);
  });

  it('deletes expired backups from the target and never the full a kept incremental needs', async () => {
    await t.owner(
      'UPDATE backup_settings SET keep_last = 1, keep_daily = 0, keep_weekly = 0, keep_monthly = 0, verify_after_backup = false',
    );
    const take = async (type: 'full' | 'incremental') => {
      const id = newId();
      await store.insertRun(t.pool, { id, type, trigger: 'cli', requestedBy: null });
      await backups.runner.runBackup(id, { attempt: 1, final: true });
      return id;
    };
    const dir = t.config.backup.dir;
    const f1 = await take('full');
    const i1 = await take('incremental');
    const i2 = await take('incremental');
    // keep_last 1 keeps i2, which needs i1 and f1.
    for (const id of [f1, i1, i2]) expect(existsSync(path.join(dir, id, 'manifest.json')), id).toBe(true);
    // A deletion before the next full, and one after it.
    await t.owner(`INSERT INTO backup_tombstones (table_name, pk) VALUES ('clients', '{"id": "x"}')`);
    const f2 = await take('full');
    await t.owner(`INSERT INTO backup_tombstones (table_name, pk) VALUES ('clients', '{"id": "y"}')`);
    await backups.runner.applyRetention();
    // Retention pruned every tombstone older than the newest full's snapshot (the xmin is the whole
    // server's: a transaction of another test file can hold it back), and kept the later one.
    const xmin = (
      await t.owner<{ x: string }>(
        "SELECT manifest->'snapshot'->>'xmin' AS x FROM backup_runs WHERE id = $1",
        [f2],
      )
    ).rows[0]!.x;
    const { rows: tomb } = await t.owner<{ pk: { id: string }; old: boolean }>(
      'SELECT pk, xid < $1::xid8 AS old FROM backup_tombstones',
      [xmin],
    );
    expect(tomb.filter((x) => x.old)).toEqual([]);
    expect(tomb.map((x) => x.pk.id)).toContain('y');
    // Now the newest is f2 (stands alone): the old chain goes, from the directory and the table.
    for (const id of [f1, i1, i2]) expect(existsSync(path.join(dir, id)), id).toBe(false);
    expect(existsSync(path.join(dir, f2, 'manifest.json'))).toBe(true);
    const left = await t.owner<{ id: string }>("SELECT id FROM backup_runs WHERE status = 'succeeded'");
    expect(left.rows.map((x) => x.id)).toEqual([f2]);
  }, 120_000);
});

describe('restore drill', () => {
  it('a due drill restores the latest backup into a scratch database, once per occurrence, and records the RTO', async () => {
    await t.owner('UPDATE backup_schedules SET enabled = false');
    await t.owner(
      "UPDATE backup_settings SET drill_enabled = true, drill_cron = '0 4 1 * *', drill_time_zone = 'UTC', verify_after_backup = false",
    );
    const id = newId();
    await store.insertRun(t.pool, { id, type: 'full', trigger: 'cli', requestedBy: null });
    await backups.runner.runBackup(id, { attempt: 1, final: true });
    // The tick just after the occurrence (the first of the month, 04:00), and the same tick again:
    // one drill.
    const tick = new Date('2027-01-01T04:00:30Z');
    await backups.runner.scheduleTick(tick, SCHEDULE_EVERY_MS);
    await backups.runner.scheduleTick(tick, SCHEDULE_EVERY_MS);
    const { rows } = await t.owner<{ id: string; backup_id: string; status: string }>(
      "SELECT id, backup_id, status FROM backup_restores WHERE kind = 'drill'",
    );
    expect(rows).toEqual([expect.objectContaining({ backup_id: id, status: 'queued' })]);
    // What the worker's backups:drill job runs.
    await backups.runner.drill(rows[0]!.id);
    const done = await t.owner<{ status: string; rto_ms: number; report: { ok: boolean } }>(
      'SELECT status, rto_ms, report FROM backup_restores WHERE id = $1',
      [rows[0]!.id],
    );
    expect(done.rows[0]).toMatchObject({
      status: 'succeeded',
      report: expect.objectContaining({ ok: true }),
    });
    expect(Number(done.rows[0]!.rto_ms)).toBeGreaterThan(0);
    // No scratch database is left behind.
    const left = await t.owner<{ n: string }>(
      "SELECT count(*) AS n FROM pg_database WHERE datname LIKE 'bul_drill%'",
    );
    expect(Number(left.rows[0]!.n)).toBe(0);
  }, 120_000);
});

describe('interrupted work', () => {
  it('fails a run and a restore whose process stopped beating, and leaves a live one alone', async () => {
    const dead = newId();
    const live = newId();
    for (const id of [dead, live])
      await store.insertRun(t.pool, { id, type: 'full', trigger: 'cli', requestedBy: null });
    // The dead one started ten minutes ago and never beat again (its worker was killed).
    await t.owner(
      "UPDATE backup_runs SET status = 'running', started_at = now() - interval '10 minutes', heartbeat_at = CASE WHEN id = $1 THEN now() - interval '10 minutes' ELSE now() END WHERE id = ANY($2)",
      [dead, [dead, live]],
    );
    const restore = newId();
    await store.insertRestore(t.pool, {
      id: restore,
      kind: 'restore',
      backupId: live,
      scope: { kind: 'all' },
      orgId: null,
      dryRun: false,
      requestedBy: null,
    });
    await t.owner(
      "UPDATE backup_restores SET status = 'running', started_at = now() - interval '1 hour' WHERE id = $1",
      [restore],
    );
    const swept = await backups.runner.sweepStale();
    expect(swept).toEqual({ runs: [dead], restores: [restore] });
    const runs = await t.owner<{ id: string; status: string; error_code: string | null }>(
      'SELECT id, status, error_code FROM backup_runs WHERE id = ANY($1) ORDER BY id',
      [[dead, live]],
    );
    expect(Object.fromEntries(runs.rows.map((r) => [r.id, [r.status, r.error_code]]))).toEqual({
      [dead]: ['failed', 'interrupted'],
      [live]: ['running', null],
    });
    // A new restore can be queued again (the stuck one no longer holds the one-at-a-time slot).
    expect(await store.activeRestore(t.pool)).toBeNull();
    await t.owner("UPDATE backup_runs SET status = 'failed' WHERE id = $1", [live]);
  });
});
