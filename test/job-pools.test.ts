// Jobs with a pool of their own (JobDefinition.ownPool, src/platform/jobs/worker.ts): webhook
// deliveries wait on other servers, up to their timeout; in a pool of their own, a slow receiver
// neither holds up the worker's other jobs nor waits behind them.
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PROCESS_NAME } from '../src/platform/jobs/tick-loop.ts';
import { startWorker } from '../src/platform/jobs/worker.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { until } from './support/until.ts';

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

/** A promise and the function that settles it. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

it('runs a job with a pool of its own beside a busy shared pool, as many at once as its pool allows, and never the shared jobs', async () => {
  const sharedGate = gate();
  const ownGate = gate();
  const seen = { busy: 0, sharedAfter: 0, ownRunning: 0, ownMost: 0, ownDone: 0 };
  const worker = await startWorker({
    pool: t.pool,
    concurrency: 1,
    log: pino({ level: 'silent' }),
    jobs: [
      {
        name: 'test:busy',
        handler: async () => {
          seen.busy++;
          await sharedGate.opened;
        },
      },
      {
        name: 'test:shared-after',
        handler: async () => {
          seen.sharedAfter++;
        },
      },
      {
        name: 'test:own',
        ownPool: { concurrency: 3 },
        handler: async () => {
          seen.ownRunning++;
          seen.ownMost = Math.max(seen.ownMost, seen.ownRunning);
          await ownGate.opened;
          seen.ownRunning--;
          seen.ownDone++;
        },
      },
    ],
  });
  try {
    // The shared pool (one at a time) is held by a job that waits.
    await utils.addJob('test:busy', {});
    await until('the shared pool busy', async () => seen.busy === 1);
    // Five own-pool jobs: three run at once although the shared pool is full.
    for (let i = 0; i < 5; i++) await utils.addJob('test:own', { i });
    await until('three own-pool jobs running', async () => seen.ownRunning === 3);
    const waiting = await t.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'test:own' AND locked_at IS NULL`,
    );
    expect(waiting.rows[0]!.n).toBe(2);
    // A shared job queued now waits for the shared pool: the own pool does not take it.
    await utils.addJob('test:shared-after', {});
    ownGate.open();
    await until('every own-pool job done', async () => seen.ownDone === 5);
    expect(seen.ownMost).toBe(3);
    expect(seen.sharedAfter).toBe(0);
    sharedGate.open();
    await until('the shared job after the busy one', async () => seen.sharedAfter === 1);
    // Both pools' workers beat (liveness.ts): their jobs are freed if this process dies.
    const { rows } = await t.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM bul_job_workers WHERE process = $1',
      [PROCESS_NAME],
    );
    // A pool's id and each of its workers' ids: (1 + 1) shared, (1 + 3) own.
    expect(rows[0]!.n).toBe(2 + 4);
  } finally {
    sharedGate.open();
    ownGate.open();
    await worker.stop();
  }
}, 60_000);
