// When a failed delivery is tried again: the Standard Webhooks recommendation (after the first
// attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — about 27 hours in all), each delay moved by
// up to ±JITTER of itself so that deliveries failing together do not retry together.
export const RETRY_DELAYS_SECONDS = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600] as const;
export const JITTER = 0.2;
/** An endpoint whose every attempt has failed for this long is disabled (and its admins told). */
export const DISABLE_AFTER_FAILING_MS = 5 * 24 * 3600 * 1000;

/**
 * The time of the next attempt after the `attemptInRound`-th attempt of a round failed (a round
 * starts when the delivery is created or resent), or null when the schedule is exhausted.
 * `random` is in [0, 1).
 */
export function nextAttemptAt(now: Date, attemptInRound: number, random: () => number): Date | null {
  const base = RETRY_DELAYS_SECONDS[attemptInRound - 1];
  if (base === undefined) return null;
  const factor = 1 + JITTER * (2 * random() - 1);
  return new Date(now.getTime() + Math.round(base * 1000 * factor));
}
