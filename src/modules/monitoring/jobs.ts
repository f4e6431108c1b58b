// The worker's jobs: roll-ups every minute (complete minutes into 1-minute buckets, complete hours
// into 1-hour ones, a little behind the clock so the last samples of a minute are in), and
// retention every hour (each level kept for its MONITOR_RETENTION_*).
import type { Config } from '../../config.ts';
import type { Db } from '../../platform/db/transaction.ts';
import type { JobDefinition } from '../../platform/jobs/worker.ts';
import { METRIC_NAMES, METRICS } from './service.ts';
import * as store from './store.ts';

const SUM = METRIC_NAMES.filter((m) => METRICS[m].combine === 'sum');
const MAX = METRIC_NAMES.filter((m) => METRICS[m].combine === 'max');

/** Rolls up what is complete `lagSeconds` before `now`. */
export function rollUp(db: Db, now: Date, lagSeconds: number) {
  return store.rollup(db.pool, new Date(now.getTime() - lagSeconds * 1000), SUM, MAX);
}

export function pruneHistory(db: Db, now: Date, retention: Config['monitor']) {
  const before = (seconds: number) => new Date(now.getTime() - seconds * 1000);
  return store.prune(db.pool, {
    raw: before(retention.rawRetention),
    minute: before(retention.minuteRetention),
    hour: before(retention.hourRetention),
  });
}

export function monitoringJobs(db: Db, config: Config): JobDefinition[] {
  return [
    {
      name: 'monitoring:rollup',
      schedule: '* * * * *',
      handler: async () => {
        // Two intervals: a sampler writes an interval's samples just after it ends.
        await rollUp(db, new Date(), 2 * config.monitor.sampleSeconds + 5);
      },
    },
    {
      name: 'monitoring:prune',
      schedule: '41 * * * *',
      handler: async (_payload, helpers) => {
        const r = await pruneHistory(db, new Date(), config.monitor);
        helpers.logger.info(`monitoring retention: ${JSON.stringify(r)}`);
      },
    },
  ];
}
