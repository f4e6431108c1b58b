// The pure part of alerting, shared by the evaluator of every tick and the 24 h preview: whether a
// condition holds over its window of points, how a rule's conditions combine, and what an alert's
// lifecycle does next. No clock, no database: `now` and the points are arguments.
//
// "For N minutes" (docs/alerts.md):
// - gauges and rates (percent, ms, bytes, per second, seconds): the condition holds when EVERY
//   sampled step in the window [now - N min, now] satisfies the operator AND the window is
//   covered: a sample within one step of its start, and a recent one (at most two steps old).
//   Steps without a sample (a sampler that missed a beat) are skipped, not counted as breaches.
//   When the latest step breaches but the window does not hold (yet), the condition is pending.
//   The step is the metric's own sampling period when it is longer than the sample interval
//   (quota.* every 300 s). No sample in the window, or only stale ones, is `nodata`: no verdict,
//   so an open alert stays as it is (a process that stopped sampling resolves nothing).
// - counts (failed logins, threats, errors per interval): the TOTAL over the window is compared
//   with the threshold (steps without a sample count as zero), so "more than 20 failed logins in
//   5 minutes" fires on the step that makes the total pass 20, with no pending phase.
// - `contains`: at least one sampled step in the window equals the threshold (count metrics only,
//   e.g. "health.failing_checks contains 3"): the series contains that value.

export const OPERATORS = ['gt', 'lt', 'eq', 'gte', 'lte', 'contains'] as const;
export type Operator = (typeof OPERATORS)[number];

export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** 0 critical … 3 info: the order of "most severe first". */
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

export interface Point {
  at: Date;
  value: number;
}

export interface Condition {
  operator: Operator;
  threshold: number;
  forMinutes: number;
  /** Count metrics: the window's total is compared (see above). */
  total: boolean;
  /** The sampling step of the points, seconds: max(sample interval, the metric's period). */
  stepSeconds: number;
}

/** `nodata`: the window has no recent sample, so the condition neither holds nor clears. */
export type ConditionState = 'ok' | 'pending' | 'firing' | 'nodata';

export interface ConditionResult {
  state: ConditionState;
  /** The reading compared: the latest step's value, the window's total, or null without data. */
  value: number | null;
  /** Whether the window had the data it needs (always true for totals). */
  covered: boolean;
}

/** Equal within a rounding error of the combine step (averages of floats). */
const EPSILON = 1e-9;

export function compare(operator: Operator, value: number, threshold: number): boolean {
  switch (operator) {
    case 'gt':
      return value > threshold;
    case 'lt':
      return value < threshold;
    case 'gte':
      return value >= threshold;
    case 'lte':
      return value <= threshold;
    case 'eq':
    case 'contains':
      return Math.abs(value - threshold) <= EPSILON * Math.max(1, Math.abs(threshold));
  }
}

/** The index of the first point at or after `t` in points sorted by time. */
function lowerBound(points: readonly Point[], t: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]!.at.getTime() < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A condition's verdict at any `now` over one series of points (sorted by time, one per step):
 * prefix counts built once, then each `now` costs two binary searches, so the preview can ask
 * 1,440 times over a day of points without re-scanning the window each time.
 */
export function windowEvaluator(
  points: readonly Point[],
  condition: Condition,
): (now: Date) => ConditionResult {
  const { operator, threshold } = condition;
  const stepMs = condition.stepSeconds * 1000;
  const windowMs = condition.forMinutes * 60_000;
  // prefix[i]: over points[0..i): the total, the number equal to the threshold, the number not breaching.
  const n = points.length;
  const sum = new Float64Array(n + 1);
  const hits = new Uint32Array(n + 1);
  const misses = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const v = points[i]!.value;
    sum[i + 1] = sum[i]! + v;
    hits[i + 1] = hits[i]! + (compare('contains', v, threshold) ? 1 : 0);
    misses[i + 1] = misses[i]! + (compare(operator, v, threshold) ? 0 : 1);
  }
  return (now) => {
    const end = now.getTime();
    const start = end - windowMs;
    let first = lowerBound(points, start);
    const last = lowerBound(points, end + 1); // exclusive
    // The step that ends at `now` is written just after it (the sampler and the tick both run a few
    // ms past the boundary), so a one-step window may hold no sample yet: its latest reading, if at
    // most two steps old, stands for it — else a firing alert would meet "no data" at random.
    const prev = points[first - 1];
    if (
      first === last &&
      !condition.total &&
      operator !== 'contains' &&
      prev &&
      prev.at.getTime() >= end - 2 * stepMs
    )
      first -= 1;
    if (operator === 'contains') {
      const hit = hits[last]! - hits[first]! > 0;
      return {
        state: hit ? 'firing' : 'ok',
        value: hit ? threshold : last > first ? points[last - 1]!.value : null,
        covered: true,
      };
    }
    if (condition.total) {
      const total = sum[last]! - sum[first]!;
      return { state: compare(operator, total, threshold) ? 'firing' : 'ok', value: total, covered: true };
    }
    const latest = last > first ? points[last - 1]! : undefined;
    // No sample in the window, or only stale ones: no verdict (the lifecycle keeps what is open).
    if (!latest || latest.at.getTime() < end - 2 * stepMs)
      return { state: 'nodata', value: latest?.value ?? null, covered: false };
    const covered = points[first]!.at.getTime() <= start + stepMs;
    const latestBreaches = compare(operator, latest.value, threshold);
    if (covered && latestBreaches && misses[last]! - misses[first]! === 0)
      return { state: 'firing', value: latest.value, covered };
    return { state: latestBreaches ? 'pending' : 'ok', value: latest.value, covered };
  };
}

/**
 * Whether `condition` holds at `now` over `points` (sorted by time, one per step; points outside
 * the window are ignored).
 */
export function evaluate(points: readonly Point[], condition: Condition, now: Date): ConditionResult {
  return windowEvaluator(points, condition)(now);
}

export interface RuleResult {
  state: ConditionState;
  /** The value of the first condition in the rule's state (or the first condition's). */
  value: number | null;
  conditions: ConditionResult[];
}

/**
 * A rule's state from its conditions: `all` is as strong as its weakest, `any` as its strongest.
 * Conditions without data: `all` is ok as soon as one condition with data is ok, and otherwise has
 * no data when any lacks it (it cannot hold); `any` leaves them out (a quota the plan does not
 * limit never has data) and has no data only when none has.
 */
export function combine(results: readonly ConditionResult[], match: 'all' | 'any'): RuleResult {
  const rank = { ok: 0, pending: 1, firing: 2 } as const;
  const withData = results.filter((r) => r.state !== 'nodata');
  let state: ConditionState;
  if (withData.length === 0) state = 'nodata';
  else {
    const ranks = withData.map((r) => rank[r.state as keyof typeof rank]);
    const level = match === 'all' ? Math.min(...ranks) : Math.max(...ranks);
    state = (['ok', 'pending', 'firing'] as const)[level]!;
    if (match === 'all' && state !== 'ok' && withData.length < results.length) state = 'nodata';
  }
  const lead = results.find((r) => r.state === state) ?? results[0];
  return { state, value: lead?.value ?? null, conditions: [...results] };
}

export type AlertStatus = 'pending' | 'firing' | 'acknowledged' | 'resolved';

/** What the lifecycle does with a rule's state, given its open alert (if any) and cooldown. */
export type LifecycleStep = 'none' | 'open_pending' | 'open_firing' | 'fire' | 'resolve' | 'clear';

export function nextStep(
  open: AlertStatus | null,
  state: ConditionState,
  cooldownUntil: Date | null,
  now: Date,
): LifecycleStep {
  // Without data nothing opens and nothing open moves: a firing alert waits for data (or a hand),
  // a pending one stays pending.
  if (state === 'nodata') return 'none';
  if (open === null || open === 'resolved') {
    if (state === 'ok') return 'none';
    // Cooldown: after an alert of this rule resolved, no new one until it has passed.
    if (cooldownUntil && now.getTime() < cooldownUntil.getTime()) return 'none';
    return state === 'firing' ? 'open_firing' : 'open_pending';
  }
  if (open === 'pending') return state === 'firing' ? 'fire' : state === 'ok' ? 'clear' : 'none';
  return state === 'ok' ? 'resolve' : 'none';
}

export interface PreviewCondition extends Condition {
  points: readonly Point[];
}

export interface Episode {
  /** When the alert opened (pending, or firing at once). */
  startedAt: Date;
  firedAt: Date | null;
  /** Null: still open at the end of the replay. */
  resolvedAt: Date | null;
  /** The value when it fired (or opened). */
  value: number | null;
}

/**
 * Replays a rule over past points at every evaluation tick from `from` to `to`, with the same
 * lifecycle and cooldown as the live evaluator (no acknowledgements: they change no state here).
 * Episodes that never fired (pending, then cleared) are left out. Each condition's prefix counts
 * are built once (windowEvaluator), so a tick costs a few binary searches per condition whatever
 * the window: 1,440 ticks × 10 conditions of 24 h windows stay a few milliseconds.
 */
export function replay(
  conditions: readonly PreviewCondition[],
  rule: { match: 'all' | 'any'; evaluateEverySeconds: number; cooldownMinutes: number },
  from: Date,
  to: Date,
): Episode[] {
  const every = rule.evaluateEverySeconds * 1000;
  const episodes: Episode[] = [];
  let open: Episode | null = null;
  let status: AlertStatus | null = null;
  let cooldownUntil: Date | null = null;
  const evaluators = conditions.map((c) => windowEvaluator(c.points, c));
  for (let t = Math.ceil(from.getTime() / every) * every; t <= to.getTime(); t += every) {
    const now = new Date(t);
    const result = combine(
      evaluators.map((e) => e(now)),
      rule.match,
    );
    switch (nextStep(status, result.state, cooldownUntil, now)) {
      case 'open_pending':
        open = { startedAt: now, firedAt: null, resolvedAt: null, value: result.value };
        status = 'pending';
        break;
      case 'open_firing':
        open = { startedAt: now, firedAt: now, resolvedAt: null, value: result.value };
        status = 'firing';
        break;
      case 'fire':
        open!.firedAt = now;
        open!.value = result.value;
        status = 'firing';
        break;
      case 'clear':
        open = null;
        status = null;
        break;
      case 'resolve':
        open!.resolvedAt = now;
        episodes.push(open!);
        cooldownUntil = new Date(t + rule.cooldownMinutes * 60_000);
        open = null;
        status = null;
        break;
      case 'none':
        break;
    }
  }
  if (open?.firedAt) episodes.push(open);
  return episodes;
}
