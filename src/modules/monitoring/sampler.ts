// The sampler every process runs (roles api and worker): at each multiple of the sample interval
// it reads the host, this process and its pool, drains the requests it answered, and writes them
// as one batch stamped with the start of the interval they describe, under its own source
// (host:pid). A failing reading is skipped and logged (readings.ts); a failing write is reported
// to onError; neither stops the loop.
import type pg from 'pg';
import type { Logger } from 'pino';
import { PROCESS_NAME } from '../../platform/jobs/tick-loop.ts';
import type { BackgroundLoop } from '../../platform/module.ts';
import { type HostReading, hostReadings } from '../../platform/observability/host-readings.ts';
import type { RequestIntervalStats } from '../../platform/observability/request-stats.ts';
import { platformReading, type Reading, ReadingRunner } from './readings.ts';
import type { MonitoringService, SampleInput } from './service.ts';

export interface SamplerDeps {
  monitoring: MonitoringService;
  pool: pg.Pool;
  log: Logger;
  dataDir: string;
  onError(err: unknown): void;
  /** host:pid by default, `worker:host:pid` in a process of the worker role (WORKER_SOURCE_PREFIX). */
  source?: string;
  now?: () => number;
  /** Instead of the host's readings (tests). */
  hostReadings?: HostReading[];
  /** The process's cache: its reads and hits of each interval (cache.hit_rate.percent). */
  cache?: { totals(): { reads: number; hits: number } };
}

/** A request interval's samples: an organization's totals, or the platform's per group and total. */
export function requestSamples(s: RequestIntervalStats): SampleInput[] {
  const labels = s.group === null ? {} : { labels: { group: s.group } };
  const base = { orgId: s.orgId, ...labels };
  return [
    { ...base, metric: 'http.requests', value: s.requests },
    { ...base, metric: 'http.errors', value: s.errors },
    { ...base, metric: 'http.response_time.total_ms', value: s.totalMs },
    { ...base, metric: 'http.response_time.p95_ms', value: s.p95Ms },
    { ...base, metric: 'http.response_time.p99_ms', value: s.p99Ms },
  ];
}

/**
 * The start of the source of a worker process's samples (`worker:host:pid`): /metrics tells from
 * them how long ago a worker last sampled (bul_worker_last_sample_age_seconds), which stays true
 * when every worker has stopped and the gauges they write have gone stale.
 */
export const WORKER_SOURCE_PREFIX = 'worker:';

export class Sampler implements BackgroundLoop {
  readonly name = 'monitoring:sampler';
  readonly roles = ['api', 'worker'] as const;
  private readonly d: SamplerDeps;
  private readonly runner: ReadingRunner;
  private readonly now: () => number;
  private readings: Reading[] | null = null;
  private closeHost: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = true;
  private source: string;
  /** Problems of invalid samples already logged (each once per process). */
  private readonly loggedProblems = new Set<string>();

  constructor(deps: SamplerDeps) {
    this.d = deps;
    this.runner = new ReadingRunner(deps.log);
    this.now = deps.now ?? Date.now;
    this.source = deps.source ?? PROCESS_NAME;
  }

  private get intervalMs(): number {
    return this.d.monitoring.sampleIntervalSeconds * 1000;
  }

  /** Takes the first readings of the rates (CPU, I/O, network), which later ones are measured from. */
  prime(): void {
    this.ensureReadings();
  }

  private ensureReadings(): Reading[] {
    if (this.readings) return this.readings;
    let host = this.d.hostReadings;
    if (!host) {
      const h = hostReadings({ dataDir: this.d.dataDir, clock: this.now });
      host = h.readings;
      this.closeHost = h.close;
    }
    const { pool, monitoring } = this.d;
    this.readings = [
      ...host.map(platformReading),
      {
        name: 'database pool',
        read: () => [
          { orgId: null, metric: 'db.pool.in_use', value: pool.totalCount - pool.idleCount },
          { orgId: null, metric: 'db.pool.waiting', value: pool.waitingCount },
        ],
      },
      {
        name: 'process gauges',
        read: () => monitoring.watched().map(([metric, read]) => ({ orgId: null, metric, value: read() })),
      },
      {
        name: 'requests',
        read: () => monitoring.requestStats.drain().flatMap(requestSamples),
      },
      ...(this.d.cache ? [this.cacheReading(this.d.cache)] : []),
    ];
    return this.readings;
  }

  /** The cache's reads and hits since the previous sample (its counters only grow). */
  private cacheReading(cache: NonNullable<SamplerDeps['cache']>): Reading {
    let last = cache.totals();
    return {
      name: 'cache',
      read: () => {
        const now = cache.totals();
        const reads = now.reads - last.reads;
        const hits = now.hits - last.hits;
        last = now;
        return [
          { orgId: null, metric: 'cache.reads', value: reads },
          { orgId: null, metric: 'cache.hits', value: hits },
        ];
      },
    };
  }

  /**
   * Takes the samples of the interval that ends at `tick` (stamped with its start) and writes
   * them; resolves with what was written and the readings that failed.
   */
  async sampleOnce(tick = new Date(this.now())): Promise<{ written: number; failed: string[] }> {
    const at = new Date(this.d.monitoring.intervalOf(tick).getTime() - this.intervalMs);
    const collected = await this.runner.collect(this.ensureReadings(), at);
    const { failed } = collected;
    const samples = this.valid(collected.samples);
    const source = this.source;
    await this.d.monitoring.recordFrom(samples.map((s) => ({ ...s, source })));
    this.d.monitoring.setLastSampled(
      samples.filter((s) => s.orgId === null && !s.metric.startsWith('http.')),
    );
    return { written: samples.length, failed };
  }

  /**
   * The samples `record` accepts: one bad value (a NaN from a reading, a label it should not have)
   * is left out, logged once per problem, and the rest of the batch (the drained request counts
   * with it) is written.
   */
  private valid(samples: SampleInput[]): SampleInput[] {
    return samples.filter((s) => {
      const problem = this.d.monitoring.sampleProblem(s);
      if (!problem) return true;
      if (!this.loggedProblems.has(problem)) {
        this.loggedProblems.add(problem);
        this.d.log.warn({ metric: s.metric, problem }, 'invalid metric sample left out');
      }
      return false;
    });
  }

  start(roles?: readonly ('api' | 'worker')[]): void {
    if (!this.d.source && roles?.includes('worker')) this.source = `${WORKER_SOURCE_PREFIX}${PROCESS_NAME}`;
    this.stopped = false;
    this.prime(); // so the first interval has the rates
    this.d.monitoring.requestStats.enabled = true;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    this.d.monitoring.requestStats.enabled = false;
    this.d.monitoring.requestStats.drain();
    this.closeHost?.();
    this.closeHost = null;
    this.readings = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    const every = this.intervalMs;
    // Just past the boundary, so the interval's requests are all in and every process agrees on it.
    const delay = every - (this.now() % every) + 20;
    this.timer = setTimeout(() => {
      this.running = this.sampleOnce()
        .catch((err) => this.d.onError(err))
        .finally(() => {
          this.running = null;
          this.schedule();
        });
    }, delay);
    this.timer.unref();
  }
}
