// Readiness checks: the database answers as the application role, its schema is at the version
// this code expects, and Redis (when configured) answers.
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { readMigrations } from '../../platform/db/migrator.ts';

export type ReadinessCheck = () => Promise<{ name: string; ok: boolean; detail?: string; ms: number }[]>;

async function timed(name: string, run: () => Promise<string | undefined>) {
  const started = performance.now();
  try {
    const detail = await Promise.race([
      run(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('timed out after 3 s')), 3000).unref(),
      ),
    ]);
    return { name, ok: true, ...(detail ? { detail } : {}), ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message, ms: Math.round(performance.now() - started) };
  }
}

export function readinessCheck(pool: pg.Pool, redis: Redis | null): ReadinessCheck {
  const expected = Math.max(0, ...readMigrations().map((m) => m.version));
  return async () => {
    const checks = [
      timed('database', async () => {
        await pool.query('SELECT 1');
        return undefined;
      }),
      timed('migrations', async () => {
        const { rows } = await pool.query<{ v: number | null }>(
          'SELECT max(version) AS v FROM bul_schema_migrations',
        );
        const applied = rows[0]?.v ?? 0;
        if (applied !== expected) throw new Error(`schema at ${applied}, code expects ${expected}`);
        return `at ${applied}`;
      }),
    ];
    if (redis) {
      checks.push(
        timed('redis', async () => {
          await redis.ping();
          return undefined;
        }),
      );
    }
    return Promise.all(checks);
  };
}
