// The health score 0–100 and the overall status of a set of checks (the formula is in
// docs/health.md; a test pins it). Pure: the runner scores what it just measured, the API what
// the caller may see.
import type { CheckKind, HealthStatus } from './health-checks.ts';

/** Weight of each platform check: the database carries everything else. */
export const CHECK_WEIGHTS: Record<Exclude<CheckKind, 'notification_channel' | 'tls_certificate'>, number> = {
  database: 4,
  job_queue: 2,
  disk: 2,
  redis: 2,
};
/** The notification channels together weigh this much, whatever their number (their mean counts). */
export const CHANNELS_WEIGHT = 2;
/**
 * The TLS certificates together weigh this much, valued at the worst of them: a browser refuses
 * the origin whose certificate is bad, whichever it is, and listing more origins adds no weight.
 */
export const TLS_WEIGHT = 2;
/** A check of these kinds down brings the whole installation down. */
export const CRITICAL_KINDS: ReadonlySet<CheckKind> = new Set(['database', 'disk']);

const VALUE: Record<HealthStatus, number> = { ok: 1, degraded: 0.5, down: 0 };

interface Scored {
  kind: CheckKind;
  status: HealthStatus;
}

/**
 * 100 × Σ weight × value / Σ weight, value 1 ok, ½ degraded, 0 down; the channels enter as one
 * check of weight CHANNELS_WEIGHT valued at their mean, the TLS certificates as one of weight
 * TLS_WEIGHT valued at the worst. One decimal; null when there is no check.
 */
export function healthScore(checks: readonly Scored[]): number | null {
  let sum = 0;
  let weight = 0;
  const channels = checks.filter((c) => c.kind === 'notification_channel');
  const certificates = checks.filter((c) => c.kind === 'tls_certificate');
  for (const c of checks) {
    if (c.kind === 'notification_channel' || c.kind === 'tls_certificate') continue;
    sum += CHECK_WEIGHTS[c.kind] * VALUE[c.status];
    weight += CHECK_WEIGHTS[c.kind];
  }
  if (channels.length > 0) {
    const mean = channels.reduce((s, c) => s + VALUE[c.status], 0) / channels.length;
    sum += CHANNELS_WEIGHT * mean;
    weight += CHANNELS_WEIGHT;
  }
  if (certificates.length > 0) {
    sum += TLS_WEIGHT * Math.min(...certificates.map((c) => VALUE[c.status]));
    weight += TLS_WEIGHT;
  }
  return weight === 0 ? null : Math.round((1000 * sum) / weight) / 10;
}

export type OverallStatus = HealthStatus | 'unknown';

/** Down when a critical check is down; degraded when any check is not ok; unknown with none. */
export function overallStatus(checks: readonly Scored[]): OverallStatus {
  if (checks.length === 0) return 'unknown';
  if (checks.some((c) => c.status === 'down' && CRITICAL_KINDS.has(c.kind))) return 'down';
  return checks.every((c) => c.status === 'ok') ? 'ok' : 'degraded';
}

/** The checks that are down (the `health.failing_checks` sample). */
export const failingChecks = (checks: readonly Scored[]): number =>
  checks.filter((c) => c.status === 'down').length;
