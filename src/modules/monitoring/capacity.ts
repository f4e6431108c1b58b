// Capacity planning: a straight line fitted by least squares through a series, and the moment it
// reaches a limit. With the points (tᵢ, vᵢ) and their means t̄, v̄:
//   slope b = Σ(tᵢ − t̄)(vᵢ − v̄) / Σ(tᵢ − t̄)²,   line v(t) = v̄ + b (t − t̄),
//   reached at t* = t̄ + (limit − v̄) / b, when the line moves toward the limit (b > 0 up to a
//   limit above, b < 0 down to one below); never before now; now when the last value is there.

export interface Fit {
  /** Mean time (ms since the epoch) and mean value. */
  tMean: number;
  vMean: number;
  /** Change per millisecond. */
  slope: number;
}

export function fitLine(points: readonly { at: Date; value: number }[]): Fit | null {
  if (points.length < 2) return null;
  const n = points.length;
  const tMean = points.reduce((s, p) => s + p.at.getTime(), 0) / n;
  const vMean = points.reduce((s, p) => s + p.value, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    const dt = p.at.getTime() - tMean;
    num += dt * (p.value - vMean);
    den += dt * dt;
  }
  if (den === 0) return null;
  return { tMean, vMean, slope: num / den };
}

/**
 * When the fitted line reaches `limit` going `direction`; `now` when `current` is already there;
 * null without a fit or when the line does not move toward the limit.
 */
export function reachedAt(
  fit: Fit | null,
  limit: number,
  current: number | null,
  now: Date,
  direction: 'up' | 'down' = 'up',
): Date | null {
  if (current !== null && (direction === 'up' ? current >= limit : current <= limit)) return now;
  if (!fit) return null;
  if (direction === 'up' ? fit.slope <= 0 : fit.slope >= 0) return null;
  const at = fit.tMean + (limit - fit.vMean) / fit.slope;
  if (!Number.isFinite(at) || at > 8.64e15) return null; // beyond what a date holds
  return new Date(Math.max(at, now.getTime()));
}
