// Housekeeping jobs every installation runs.
import type pg from 'pg';
import type { JobDefinition } from '../../platform/jobs/worker.ts';

export function housekeepingJobs(pool: pg.Pool): JobDefinition[] {
  return [
    {
      name: 'system:cleanup_expired',
      schedule: '17 * * * *',
      handler: async (_payload, helpers) => {
        const { rows } = await pool.query<{ r: unknown }>('SELECT bul_cleanup_expired() AS r');
        helpers.logger.info(`cleanup: ${JSON.stringify(rows[0]?.r)}`);
      },
    },
  ];
}
