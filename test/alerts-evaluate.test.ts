// The pure evaluator of alert rules (src/modules/alerts/evaluate.ts): each operator over a window
// "for N minutes" (every sampled step must hold and the window must be covered), counts compared
// as the window's total, `contains`, pending before firing, how conditions combine, the lifecycle
// steps with cooldown, and the 24 h replay the preview uses. No database: points and `now` are given.
import { describe, expect, it } from 'vitest';
import { ORG_BUILTIN_RULES } from '../src/modules/alerts/builtin-rules.ts';
import {
  type Condition,
  combine,
  evaluate,
  nextStep,
  type Point,
  replay,
} from '../src/modules/alerts/evaluate.ts';
import { toCondition } from '../src/modules/alerts/rule-validation.ts';

const STEP = 15;
const T0 = Date.UTC(2026, 2, 14, 12, 0, 0);
const at = (seconds: number) => new Date(T0 + seconds * 1000);
/** One point per 15 s step from `startSeconds`, with the given values. */
const series = (startSeconds: number, values: number[]): Point[] =>
  values.map((value, i) => ({ at: at(startSeconds + i * STEP), value }));
const cond = (c: Partial<Condition>): Condition => ({
  operator: 'gt',
  threshold: 80,
  forMinutes: 1,
  total: false,
  stepSeconds: STEP,
  ...c,
});

describe('each operator over a one-minute window (4 steps of 15 s)', () => {
  const now = at(60); // window [0 s, 60 s]: steps at 0, 15, 30, 45
  const cases: [Condition['operator'], number, number[], 'firing' | 'pending' | 'ok'][] = [
    ['gt', 80, [81, 90, 85, 99], 'firing'],
    ['gt', 80, [80, 90, 85, 99], 'pending'], // one step at the threshold, latest breaches
    ['gt', 80, [81, 90, 85, 80], 'ok'], // latest does not breach
    ['gte', 80, [80, 80, 80, 80], 'firing'],
    ['gte', 80, [79.9, 80, 80, 80], 'pending'],
    ['lt', 10, [1, 2, 3, 9.99], 'firing'],
    ['lt', 10, [1, 2, 3, 10], 'ok'],
    ['lte', 10, [10, 10, 10, 10], 'firing'],
    ['lte', 10, [11, 10, 10, 10], 'pending'],
    ['eq', 3, [3, 3, 3, 3], 'firing'],
    ['eq', 3, [3, 3, 2, 3], 'pending'],
    ['eq', 3, [3, 3, 3, 2], 'ok'],
  ];
  for (const [operator, threshold, values, state] of cases)
    it(`${operator} ${threshold} over [${values.join(', ')}] is ${state}`, () => {
      expect(evaluate(series(0, values), cond({ operator, threshold }), now).state).toBe(state);
    });

  it('contains: some step of the window equals the threshold (the series contains it)', () => {
    const c = cond({ operator: 'contains', threshold: 3 });
    expect(evaluate(series(0, [0, 3, 0, 0]), c, now)).toMatchObject({ state: 'firing', value: 3 });
    expect(evaluate(series(0, [0, 2, 4, 0]), c, now).state).toBe('ok');
    // A 3 before the window does not count.
    expect(evaluate([{ at: at(-15), value: 3 }, ...series(0, [0, 0, 0, 0])], c, now).state).toBe('ok');
  });
});

describe('the window "for N minutes"', () => {
  it('fires only once every step of the whole window breaches (5 minutes = 20 steps)', () => {
    const c = cond({ forMinutes: 5 });
    const points = series(
      0,
      Array.from({ length: 40 }, (_, i) => (i < 10 ? 50 : 95)),
    );
    // Breaching since step 10 (150 s): pending until the window [now-300 s, now] is all breaching.
    expect(evaluate(points, c, at(300)).state).toBe('pending');
    expect(evaluate(points, c, at(435)).state).toBe('pending'); // window from 135 s holds a 50
    expect(evaluate(points, c, at(450)).state).toBe('firing'); // window from 150 s
  });

  it('is not covered without a sample near its start, nor with only stale samples', () => {
    const c = cond({ forMinutes: 2 });
    // Samples only for the last minute: every one breaches, but the window is not covered.
    const r = evaluate(series(60, [99, 99, 99, 99]), c, at(120));
    expect(r).toMatchObject({ state: 'pending', covered: false });
    // The latest sample is three steps old: no verdict (the sampler stopped).
    expect(evaluate(series(0, [99, 99, 99, 99]), cond({}), at(105))).toMatchObject({
      state: 'nodata',
      covered: false,
    });
    // No samples at all.
    expect(evaluate([], c, at(120))).toEqual({ state: 'nodata', value: null, covered: false });
  });

  it('skips a missing step inside a covered window (steps without a sample are absent, not breaches)', () => {
    const points = series(0, [99, 99, 99, 99]).filter((_, i) => i !== 2);
    expect(evaluate(points, cond({}), at(60)).state).toBe('firing');
  });

  it('a one-step window whose step is not written yet is judged on the step before (the sampler runs just after the tick)', () => {
    // MONITOR_SAMPLE_SECONDS=5 and forMinutes = 5 s: at the tick at 60 s the sample of [55 s, 60 s)
    // may still be in flight; the one of [50 s, 55 s) stands for it, so a firing alert stays firing.
    const c = cond({ stepSeconds: 5, forMinutes: 5 / 60, threshold: 5 });
    const breach = [{ at: at(50), value: 90 }];
    expect(evaluate(breach, c, at(60))).toMatchObject({ state: 'firing', value: 90, covered: true });
    expect(evaluate([{ at: at(50), value: 1 }], c, at(60))).toMatchObject({ state: 'ok', value: 1 });
    // Once written, the step of the window decides.
    expect(evaluate([...breach, { at: at(55), value: 0 }], c, at(60)).state).toBe('ok');
    // Older than two steps: no verdict, as for any window (the sampler stopped).
    expect(evaluate([{ at: at(45), value: 90 }], c, at(60))).toMatchObject({
      state: 'nodata',
      covered: false,
    });
  });

  it('compares the total of a count over the window (steps without a sample count as zero)', () => {
    const c = cond({ operator: 'gt', threshold: 20, forMinutes: 5, total: true });
    const few = [
      { at: at(30), value: 8 },
      { at: at(200), value: 8 },
    ];
    expect(evaluate(few, c, at(300))).toMatchObject({ state: 'ok', value: 16, covered: true });
    const more = [...few, { at: at(285), value: 5 }];
    expect(evaluate(more, c, at(300))).toMatchObject({ state: 'firing', value: 21 });
    // Five minutes later the early ones have left the window.
    expect(evaluate(more, c, at(600)).state).toBe('ok');
  });
});

describe('conditions combined, and the lifecycle', () => {
  const ok = { state: 'ok' as const, value: 1, covered: true };
  const pending = { state: 'pending' as const, value: 2, covered: true };
  const firing = { state: 'firing' as const, value: 3, covered: true };

  it('all: as strong as the weakest; any: as the strongest (with that condition’s value)', () => {
    expect(combine([firing, pending], 'all')).toMatchObject({ state: 'pending', value: 2 });
    expect(combine([firing, firing], 'all')).toMatchObject({ state: 'firing', value: 3 });
    expect(combine([ok, firing], 'any')).toMatchObject({ state: 'firing', value: 3 });
    expect(combine([ok, ok], 'any').state).toBe('ok');
  });

  it('pending → firing → resolved; a pending alert that clears is dropped; cooldown holds new ones back', () => {
    const now = at(0);
    expect(nextStep(null, 'pending', null, now)).toBe('open_pending');
    expect(nextStep(null, 'firing', null, now)).toBe('open_firing');
    expect(nextStep('pending', 'firing', null, now)).toBe('fire');
    expect(nextStep('pending', 'ok', null, now)).toBe('clear');
    expect(nextStep('firing', 'pending', null, now)).toBe('none');
    expect(nextStep('acknowledged', 'ok', null, now)).toBe('resolve');
    expect(nextStep(null, 'firing', at(60), now)).toBe('none'); // cooling down
    expect(nextStep(null, 'firing', at(0), now)).toBe('open_firing'); // cooldown over
  });

  it('replays a day: fires, resolves, stays quiet through the cooldown, fires again', () => {
    // Breach 5-10 min, 12-14 min (inside the cooldown), 40-50 min.
    const values = Array.from({ length: 240 }, (_, i) => {
      const minute = (i * STEP) / 60;
      return (minute >= 5 && minute < 10) || (minute >= 12 && minute < 14) || (minute >= 40 && minute < 50)
        ? 95
        : 10;
    });
    const episodes = replay(
      [{ ...cond({ forMinutes: 1 }), points: series(0, values) }],
      { match: 'all', evaluateEverySeconds: 15, cooldownMinutes: 10 },
      at(0),
      at(3600),
    );
    expect(
      episodes.map((e) => [e.firedAt!.getTime() - T0, e.resolvedAt && e.resolvedAt.getTime() - T0]),
    ).toEqual([
      [6 * 60_000, 10 * 60_000],
      [41 * 60_000, 50 * 60_000],
    ]);
  });
});

describe('metrics sampled less often than every interval (quota.* every 300 s)', () => {
  // As the cluster readings stamp them: one reading per 5 minutes, at the interval before the tick.
  const quota = (values: number[]) => values.map((value, i) => ({ at: at(i * 300 - STEP), value }));
  const builtin = ORG_BUILTIN_RULES.find((r) => r.key === 'quota_near_limit')!;

  it('the condition takes the metric’s period as its step', () => {
    expect(
      toCondition({ metric: 'quota.users.percent', operator: 'gte', threshold: 90, forMinutes: 10 }, STEP),
    ).toMatchObject({ stepSeconds: 300 });
    expect(
      toCondition({ metric: 'system.cpu.percent', operator: 'gt', threshold: 90, forMinutes: 10 }, STEP),
    ).toMatchObject({ stepSeconds: STEP });
  });

  it('the built-in quota_near_limit fires on 5-minute readings, at every 15 s tick in between', () => {
    expect(builtin.conditions.every((c) => c.forMinutes * 60 >= 2 * 300)).toBe(true);
    const points = quota([95, 95, 95, 95, 95, 95, 95]);
    const c = toCondition(builtin.conditions[0]!, STEP);
    for (let s = 900; s <= 1800; s += STEP) expect(evaluate(points, c, at(s)).state).toBe('firing');
    // The rule as the evaluator runs it (every 300 s, match any, the other quotas unlimited: no data).
    const episodes = replay(
      [
        { ...c, points },
        { ...toCondition(builtin.conditions[1]!, STEP), points: [] },
        { ...toCondition(builtin.conditions[2]!, STEP), points: [] },
      ],
      { match: builtin.match, evaluateEverySeconds: builtin.evaluateEverySeconds, cooldownMinutes: 60 },
      at(0),
      at(1800),
    );
    expect(episodes).toHaveLength(1);
    expect(episodes[0]!.firedAt).toEqual(at(300)); // two readings in the window
  });
});

describe('no data is not a recovery', () => {
  it('a firing or acknowledged alert stays when its data stops; a pending one stays pending; nothing opens', () => {
    const now = at(0);
    expect(nextStep('firing', 'nodata', null, now)).toBe('none');
    expect(nextStep('acknowledged', 'nodata', null, now)).toBe('none');
    expect(nextStep('pending', 'nodata', null, now)).toBe('none');
    expect(nextStep(null, 'nodata', null, now)).toBe('none');
    expect(nextStep('resolved', 'nodata', null, now)).toBe('none');
  });

  it('combines: all has no data unless a condition with data is ok; any leaves out conditions without data', () => {
    const r = (state: 'ok' | 'pending' | 'firing' | 'nodata') => ({ state, value: 1, covered: true });
    expect(combine([r('firing'), r('nodata')], 'all').state).toBe('nodata');
    expect(combine([r('ok'), r('nodata')], 'all').state).toBe('ok');
    expect(combine([r('nodata'), r('nodata')], 'all').state).toBe('nodata');
    expect(combine([r('ok'), r('nodata')], 'any').state).toBe('ok');
    expect(combine([r('firing'), r('nodata')], 'any').state).toBe('firing');
    expect(combine([r('nodata'), r('nodata')], 'any').state).toBe('nodata');
  });

  it('an error rate whose requests stop (no points) keeps its alert open until data returns', () => {
    const c = cond({ operator: 'gt', threshold: 5, forMinutes: 1 });
    // Errors for 2 minutes, then no requests at all for an hour, then healthy requests.
    const points = [...series(0, Array(8).fill(50)), ...series(3720, Array(8).fill(0))];
    const episodes = replay(
      [{ ...c, points }],
      { match: 'all', evaluateEverySeconds: 60, cooldownMinutes: 5 },
      at(0),
      at(3600),
    );
    expect(episodes).toHaveLength(1);
    expect(episodes[0]!.resolvedAt).toBeNull(); // still open at the end of the silence
    const later = replay(
      [{ ...c, points }],
      { match: 'all', evaluateEverySeconds: 60, cooldownMinutes: 5 },
      at(0),
      at(3900),
    );
    expect(later[0]!.resolvedAt).toEqual(at(3720)); // resolved by the first healthy step
  });
});

describe('the preview’s worst case', () => {
  it('ten conditions with 24 h windows over two days of 15 s points, replayed every minute: its answer', () => {
    // 48 h of points (the day replayed and the windows behind it), breaching but for hour 12.
    const start = -24 * 3600;
    const values = Array.from({ length: (48 * 3600) / STEP }, (_, i) => {
      const s = start + i * STEP;
      return s >= 12 * 3600 && s < 13 * 3600 ? 10 : 99;
    });
    const c = { ...cond({ forMinutes: 1440 }), points: series(start, values) };
    const episodes = replay(
      Array.from({ length: 10 }, () => c),
      { match: 'all', evaluateEverySeconds: 60, cooldownMinutes: 15 },
      at(0),
      at(24 * 3600 - STEP),
    );
    // Fires at once (the day before breached), resolves at hour 12; from hour 13 it is pending
    // again, never firing (the dip stays in the 24 h window): pending episodes are not listed.
    expect(episodes).toEqual([{ startedAt: at(0), firedAt: at(0), resolvedAt: at(12 * 3600), value: 99 }]);
  });
});
