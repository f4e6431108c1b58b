// One round of health checks (docs/health.md), run by the TickLoop `system:health`: every worker
// process runs the loop, one of them each tick. The platform checks and the notification channel
// probes run at once, each bounded by the timeout (a check that hangs or throws is `down`, never
// the round's end); the results are written in one transaction in the platform context, old ones
// pruned now and then, and the score and failing checks reported as samples (monitoring).
import type pg from 'pg';
import { PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import { inTransaction } from '../../platform/db/transaction.ts';
import { TickLoop } from '../../platform/jobs/tick-loop.ts';
import type { ChannelProbe } from '../notifications/service.ts';
import type { PlatformCheck } from './health-checks.ts';
import { failingChecks, healthScore } from './health-score.ts';
import * as store from './health-store.ts';

export const HEALTH_TICK = 'system:health';
/** Channels probed at once. */
export const CHANNEL_CONCURRENCY = 8;
const PRUNE_EVERY_MS = 3600_000;

export interface HealthSample {
  orgId: string | null;
  metric: 'health.score' | 'health.failing_checks';
  value: number;
  at: Date;
}

export interface HealthRunnerDeps {
  pool: pg.Pool;
  checks: readonly PlatformCheck[];
  /** The notification channels' probes (notifications service), when composed. */
  channels: { probeAll(o: { timeoutMs: number; concurrency: number }): Promise<ChannelProbe[]> } | null;
  everySeconds: number;
  timeoutMs: number;
  retentionDays: number;
  /** Where the score and failing-check samples go (monitoring.record), when it exists. */
  record?: (samples: HealthSample[]) => Promise<void>;
  onError(err: unknown): void;
  /** Told of every round this process ran (TickLoop's debug line). */
  log?: { debug(obj: object, msg: string): void };
}

/**
 * `work`'s outcome, or `late()`'s (its value, or what it throws) once `ms` have passed without one;
 * the work is left to finish alone.
 */
export function within<T>(work: Promise<T>, ms: number, late: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(late());
      } catch (err) {
        reject(err);
      }
    }, ms);
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export class HealthRunner {
  readonly loop: TickLoop;
  private readonly d: HealthRunnerDeps;
  private lastPrune = 0;

  constructor(deps: HealthRunnerDeps) {
    this.d = deps;
    this.loop = new TickLoop({
      pool: deps.pool,
      name: HEALTH_TICK,
      everyMs: deps.everySeconds * 1000,
      run: async (tick) => {
        await this.round(tick);
      },
      onError: deps.onError,
      ...(deps.log ? { log: deps.log } : {}),
    });
  }

  /** Claims and runs the round of the tick `at` falls in, unless another process has (tests). */
  runTick(at: number): Promise<boolean> {
    return this.loop.runOnce(at);
  }

  private async platformResult(check: PlatformCheck, now: Date): Promise<store.ResultInput> {
    const started = performance.now();
    const outcome = await within(
      check.run(now).catch((err: unknown) => ({
        status: 'down' as const,
        detail: err instanceof Error ? err.message : String(err),
      })),
      this.d.timeoutMs,
      () => ({ status: 'down' as const, detail: `no answer within ${this.d.timeoutMs} ms` }),
    );
    return {
      orgId: PLATFORM_ORG_ID,
      key: check.key,
      kind: check.kind,
      name: check.name,
      latencyMs: performance.now() - started,
      ...outcome,
    };
  }

  private async channelResults(): Promise<store.ResultInput[]> {
    const { channels } = this.d;
    if (!channels) return [];
    // Each probe has its own timeout; this bounds the round (a slow read, many dead channels).
    const budget = Math.max(this.d.timeoutMs * 2, this.d.everySeconds * 800);
    try {
      const probes = await within(
        channels.probeAll({ timeoutMs: this.d.timeoutMs, concurrency: CHANNEL_CONCURRENCY }),
        budget,
        () => {
          throw new Error(`the channel probes took more than ${budget} ms; none recorded this round`);
        },
      );
      return probes.map((p) => ({
        orgId: p.orgId,
        key: `channel:${p.channelId}`,
        kind: 'notification_channel' as const,
        name: `${p.kind}: ${p.name}`,
        status: p.status,
        latencyMs: p.latencyMs,
        detail: p.detail,
      }));
    } catch (err) {
      this.d.onError(err);
      return [];
    }
  }

  /** Runs every check and probe at `tick` and says what they found (nothing written). */
  async measure(tick: Date): Promise<store.ResultInput[]> {
    const [platform, channels] = await Promise.all([
      Promise.all(this.d.checks.map((c) => this.platformResult(c, tick))),
      this.channelResults(),
    ]);
    return [...platform, ...channels];
  }

  /** One round at `tick`: check, write, prune now and then, report the samples. */
  async round(tick: Date): Promise<store.ResultInput[]> {
    const results = await this.measure(tick);
    const prune = tick.getTime() - this.lastPrune >= PRUNE_EVERY_MS;
    await inTransaction(this.d.pool, { orgId: PLATFORM_ORG_ID, userId: null }, async (tx) => {
      await store.writeResults(tx, tick, results);
      if (prune) {
        const stale = Math.max(10 * 60_000, 10 * this.d.everySeconds * 1000);
        await store.prune(
          tx,
          new Date(tick.getTime() - this.d.retentionDays * 86_400_000),
          new Date(tick.getTime() - stale),
        );
      }
    });
    if (prune) this.lastPrune = tick.getTime();
    if (this.d.record) {
      await this.d.record(samplesOf(results, tick)).catch((err: unknown) => this.d.onError(err));
    }
    return results;
  }
}

/**
 * The platform's score over every check, but its failing count over the platform checks only (the
 * built-in "health check failing" rule pages super admins on it: one tenant's dead webhook is that
 * tenant's alert, not theirs); each organization's with channels over the platform checks and its
 * own channels (what its admins see).
 */
export function samplesOf(results: readonly store.ResultInput[], at: Date): HealthSample[] {
  const platform = results.filter((r) => r.orgId === PLATFORM_ORG_ID);
  const samples: HealthSample[] = [
    { orgId: null, metric: 'health.score', value: healthScore(results) ?? 100, at },
    { orgId: null, metric: 'health.failing_checks', value: failingChecks(platform), at },
  ];
  const byOrg = new Map<string, store.ResultInput[]>();
  for (const r of results) {
    if (r.orgId === PLATFORM_ORG_ID) continue;
    byOrg.set(r.orgId, [...(byOrg.get(r.orgId) ?? []), r]);
  }
  for (const [orgId, own] of byOrg) {
    const seen = [...platform, ...own];
    samples.push(
      { orgId, metric: 'health.score', value: healthScore(seen) ?? 100, at },
      { orgId, metric: 'health.failing_checks', value: failingChecks(seen), at },
    );
  }
  return samples;
}
