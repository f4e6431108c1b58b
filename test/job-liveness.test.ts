// The jobs of a graphile-worker worker whose process died (kill -9) are freed by the live workers
// after three missed heartbeats, not after graphile-worker's 4 hours (src/platform/jobs/liveness.ts).
// Dead workers are simulated in the database (their locks and heartbeat rows); the cluster test
// (test/cluster.test.ts) does it with a real kill -9 of a worker process.
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WorkerLiveness } from '../src/platform/jobs/liveness.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let utils: WorkerUtils;
beforeAll(async () => {
  t = await createTestApp();
  utils = await makeWorkerUtils({ pgPool: t.pool });
}, 60_000);
afterAll(async () => {
  await utils?.release();
  await t?.close();
});

/** A job locked by `workerId`, `ageSeconds` ago. */
async function lockedJob(workerId: string, ageSeconds: number): Promise<string> {
  const job = await utils.addJob('test:liveness', {});
  await t.pool.query(
    `UPDATE graphile_worker._private_jobs SET locked_by = $2, locked_at = now() - make_interval(secs => $3)
      WHERE id = $1`,
    [job.id, workerId, ageSeconds],
  );
  return job.id;
}

const lockOf = async (id: string) =>
  (
    await t.pool.query<{ locked_by: string | null }>(
      'SELECT locked_by FROM graphile_worker.jobs WHERE id = $1',
      [id],
    )
  ).rows[0]!.locked_by;

it('frees the jobs of workers that stopped beating, or never registered, and no live one', async () => {
  const warnings: object[] = [];
  const log = { warn: (obj: object) => warnings.push(obj), error: () => {} };
  const mine = new WorkerLiveness({
    pool: t.pool,
    utils,
    ids: () => ['worker_mine'],
    everyMs: 1000,
    deadAfterMs: 3000,
    log,
  });
  await mine.beat();
  // Another process: registered, beating until its "kill -9" 10 s ago.
  await t.pool.query(
    `INSERT INTO bul_job_workers (worker_id, process, heartbeat_at)
     VALUES ('worker_dead', 'elsewhere:1', now() - interval '10 seconds'),
            ('worker_alive', 'elsewhere:2', now())`,
  );
  const dead = await lockedJob('worker_dead', 12);
  const ghost = await lockedJob('worker_ghost', 10); // killed before its first beat
  const young = await lockedJob('worker_starting', 1); // not registered yet, but only just locked
  const alive = await lockedJob('worker_alive', 600); // a long job of a live worker
  const own = await lockedJob('worker_mine', 600);

  expect((await mine.sweep()).sort()).toEqual(['worker_dead', 'worker_ghost']);
  expect(await lockOf(dead)).toBeNull();
  expect(await lockOf(ghost)).toBeNull();
  expect(await lockOf(young)).toBe('worker_starting');
  expect(await lockOf(alive)).toBe('worker_alive');
  expect(await lockOf(own)).toBe('worker_mine');
  expect(warnings).toEqual([
    { workerIds: expect.arrayContaining(['worker_dead', 'worker_ghost']), deadAfterMs: 3000 },
  ]);
  const { rows } = await t.pool.query<{ worker_id: string }>(
    'SELECT worker_id FROM bul_job_workers ORDER BY 1',
  );
  expect(rows.map((r) => r.worker_id)).toEqual(['worker_alive', 'worker_mine']);
  // Nothing left to free: a second sweep (another live process's) does nothing.
  expect(await mine.sweep()).toEqual([]);

  // A graceful stop removes the process's own rows.
  await mine.stop();
  const after = await t.pool.query('SELECT 1 FROM bul_job_workers WHERE worker_id = $1', ['worker_mine']);
  expect(after.rowCount).toBe(0);
});

it('refuses a bound that is not longer than the beat', () => {
  expect(
    () =>
      new WorkerLiveness({
        pool: t.pool,
        utils,
        ids: () => [],
        everyMs: 1000,
        deadAfterMs: 1000,
        log: { warn: () => {}, error: () => {} },
      }),
  ).toThrow(/must exceed the beat/);
});
