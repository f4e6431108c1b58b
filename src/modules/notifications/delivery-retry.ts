// When a notification delivery that failed transiently (SendResult 'retry' or 'provider_failed') is
// tried again, or given up on into BUL's dead letter (replayable from the delivery log).
//
// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"):
// after the n-th failed attempt wait a uniformly random time in [0, min(cap, base·2^(n-1))). Full
// jitter rather than ±20 % spreads out the retries of a broadcast whose deliveries all failed at
// once against one rate-limited provider, instead of sending them back together.
//
// Per priority, because urgency and volume differ. The worst-case (every draw at the top) wait
// from the first failure to the dead letter, and about half of it on average:
//   critical  2 s base,  2 min cap, 12 attempts: ≤ 12.1 min — retried fast and often (every attempt
//             also fails over to the channel's next provider), and long enough to ride out a
//             provider's short outage rather than dead-letter the alert.
//   high      5 s,      10 min,      8 attempts: ≤ 10.6 min
//   normal   10 s,      30 min,     10 attempts: ≤ 72.5 min
//   low      30 s,       2 h,       10 attempts: ≤ 4.1 h   — digests and broadcasts can wait out an
//             outage.
//
// A provider's Retry-After is a floor (retrying sooner is wasted and may get the account throttled
// harder), capped at 6 h: a provider asking for a day is re-asked after 6 h rather than trusted to
// hold a delivery that long. A retry that waited for Retry-After still counts as an attempt, so a
// provider that keeps answering 429 ends in the dead letter like any other failure.
import type { Priority } from './channels/provider.ts';

export interface RetryPolicy {
  /** Upper bound of the first retry's delay. */
  baseMs: number;
  /** The delay's upper bound stops doubling here. */
  capMs: number;
  /** Attempts in all, the first send included; after the last one fails, the dead letter. */
  maxAttempts: number;
}

export const RETRY_POLICIES: Readonly<Record<Priority, Readonly<RetryPolicy>>> = {
  critical: { baseMs: 2_000, capMs: 2 * 60_000, maxAttempts: 12 },
  high: { baseMs: 5_000, capMs: 10 * 60_000, maxAttempts: 8 },
  normal: { baseMs: 10_000, capMs: 30 * 60_000, maxAttempts: 10 },
  low: { baseMs: 30_000, capMs: 2 * 3_600_000, maxAttempts: 10 },
};

/** The longest a Retry-After is honoured; a longer one waits this long and asks again. */
export const RETRY_AFTER_CAP_MS = 6 * 3_600_000;

/**
 * The upper bound of the jittered delay after `attempt` failed attempts: base·2^(attempt-1), capped.
 */
export function backoffCeilingMs(attempt: number, priority: Priority): number {
  const { baseMs, capMs } = RETRY_POLICIES[priority];
  // 2^(attempt-1) overflows nothing here: it is capped long before the exponent matters.
  return Math.min(capMs, baseMs * 2 ** Math.min(attempt - 1, 40));
}

/**
 * The time of the next attempt after `attempt` attempts (1-based: 1 after the first send failed)
 * have failed, or null when they are exhausted and the delivery goes to the dead letter.
 * `retryAfterMs` is the provider's Retry-After (SendResult.retryAfterMs), null when it gave none.
 * `random` returns a number in [0, 1) (Math.random in production; fixed in tests).
 */
export function nextRetryAt(
  now: Date,
  attempt: number,
  priority: Priority,
  retryAfterMs: number | null,
  random: () => number,
): Date | null {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be ≥ 1: ${attempt}`);
  if (attempt >= RETRY_POLICIES[priority].maxAttempts) return null;
  // Clamp a misbehaving random source so the delay stays inside [0, ceiling).
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  const jittered = Math.floor(r * backoffCeilingMs(attempt, priority));
  const floor =
    retryAfterMs !== null && Number.isFinite(retryAfterMs) && retryAfterMs > 0
      ? Math.min(Math.ceil(retryAfterMs), RETRY_AFTER_CAP_MS)
      : 0;
  return new Date(now.getTime() + Math.max(jittered, floor));
}
