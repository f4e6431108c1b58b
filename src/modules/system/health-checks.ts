// The platform's health checks (docs/health.md): the database, Redis when configured, the job
// queue, the disk of BUL_DATA_DIR and the TLS certificate of each https origin (tls-check.ts).
// Each reads one thing and classifies it with a pure function (tested on its own); the runner
// (health-runner.ts) times them, bounds them with a timeout and turns a throw into `down`.
import { statfs } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { type TlsCheckDeps, tlsChecks } from './tls-check.ts';

export const HEALTH_STATUSES = ['ok', 'degraded', 'down'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

export const CHECK_KINDS = [
  'database',
  'redis',
  'job_queue',
  'disk',
  'notification_channel',
  'tls_certificate',
] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/** What a check found; its latency is measured by the runner. */
export interface CheckOutcome {
  status: HealthStatus;
  detail: string;
}

export interface PlatformCheck {
  /** Unique among the platform's checks: the `check` of the history query. */
  key: string;
  kind: CheckKind;
  name: string;
  run(now: Date): Promise<CheckOutcome>;
}

/** Connections in use at or above this share of max_connections: degraded. */
export const CONNECTIONS_DEGRADED = 0.8;
/** Free space of the data volume below these percentages: degraded, down. */
export const DISK_DEGRADED_PERCENT = 10;
export const DISK_DOWN_PERCENT = 2;
/** The oldest runnable job waiting more than this many times the allowed age: down. */
export const QUEUE_DOWN_FACTOR = 10;

export function databaseStatus(used: number, max: number): CheckOutcome {
  const share = max > 0 ? used / max : 1;
  return {
    status: share >= CONNECTIONS_DEGRADED ? 'degraded' : 'ok',
    detail: `${used} of ${max} connections in use (${Math.round(share * 100)} %)`,
  };
}

export function queueStatus(
  depth: number,
  oldestAgeSeconds: number | null,
  maxAgeSeconds: number,
): CheckOutcome {
  const age = oldestAgeSeconds === null ? 0 : Math.max(0, Math.round(oldestAgeSeconds));
  const status: HealthStatus =
    age > maxAgeSeconds * QUEUE_DOWN_FACTOR ? 'down' : age > maxAgeSeconds ? 'degraded' : 'ok';
  return {
    status,
    detail: depth === 0 ? 'no runnable job waiting' : `${depth} runnable jobs, the oldest waiting ${age} s`,
  };
}

export function diskStatus(freeBytes: number, totalBytes: number): CheckOutcome {
  const percent = totalBytes > 0 ? (100 * freeBytes) / totalBytes : 0;
  const status: HealthStatus =
    percent < DISK_DOWN_PERCENT ? 'down' : percent < DISK_DEGRADED_PERCENT ? 'degraded' : 'ok';
  const gib = (freeBytes / 1024 ** 3).toFixed(1);
  return {
    status,
    detail: `${percent.toFixed(1)} % free (${gib} GiB of ${(totalBytes / 1024 ** 3).toFixed(1)})`,
  };
}

/** Free and total bytes of the file system holding `dir` (injectable: tests cannot fill a disk). */
export type DiskReader = (dir: string) => Promise<{ freeBytes: number; totalBytes: number }>;

export const readDisk: DiskReader = async (dir) => {
  const s = await statfs(dir);
  // bavail: what an unprivileged process may still write (root's reserve excluded).
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
};

export interface PlatformCheckDeps {
  pool: pg.Pool;
  redis: Redis | null;
  dataDir: string;
  queueMaxAgeSeconds: number;
  readDisk?: DiskReader;
  /** The https origins' certificates; absent: no TLS check. */
  tls?: TlsCheckDeps;
}

export function platformChecks(d: PlatformCheckDeps): PlatformCheck[] {
  const checks: PlatformCheck[] = [
    {
      key: 'database',
      kind: 'database',
      name: 'PostgreSQL',
      run: async () => {
        const { rows } = await d.pool.query<{ used: number; max: number }>(
          `SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS used,
                  current_setting('max_connections')::int AS max`,
        );
        return databaseStatus(rows[0]!.used, rows[0]!.max);
      },
    },
  ];
  if (d.redis) {
    const redis = d.redis;
    checks.push({
      key: 'redis',
      kind: 'redis',
      name: 'Redis',
      run: async () => {
        const answer = await redis.ping();
        return { status: 'ok', detail: `PING answered ${answer}` };
      },
    });
  }
  checks.push(
    {
      key: 'job_queue',
      kind: 'job_queue',
      name: 'Job queue',
      run: async (now) => {
        // Runnable: not locked, attempts left, due. graphile-worker's own table (0.16+).
        const { rows } = await d.pool.query<{ depth: number; oldest: number | null }>(
          `SELECT count(*)::int AS depth, extract(epoch FROM $1::timestamptz - min(run_at))::float8 AS oldest
           FROM graphile_worker._private_jobs WHERE is_available AND run_at <= $1`,
          [now],
        );
        return queueStatus(rows[0]!.depth, rows[0]!.oldest, d.queueMaxAgeSeconds);
      },
    },
    {
      key: 'disk',
      kind: 'disk',
      name: 'Disk (data directory)',
      run: async () => {
        const { freeBytes, totalBytes } = await (d.readDisk ?? readDisk)(d.dataDir);
        return diskStatus(freeBytes, totalBytes);
      },
    },
  );
  if (d.tls) checks.push(...tlsChecks(d.tls));
  return checks;
}
