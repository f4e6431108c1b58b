// The pure time and retry rules of notification delivery (issue 16): quiet hours in the recipient's
// zone across DST both ways, the retry schedule per priority with Retry-After, and the daily "due
// soon" scan per organization zone, including zones whose local date differs from UTC's. Every
// expected instant below is written out in UTC and was worked out from the tz database by hand (not
// computed by the code under test), so a wrong offset or a wrong DST rule fails.
import { describe, expect, it } from 'vitest';
import {
  backoffCeilingMs,
  nextRetryAt,
  RETRY_AFTER_CAP_MS,
  RETRY_POLICIES,
} from '../src/modules/notifications/delivery-retry.ts';
import { dueSoonScanDue, dueSoonWindow } from '../src/modules/notifications/due-soon.ts';
import {
  holdUntil,
  isValidClock,
  isValidTimeZone,
  type QuietHours,
  quietUntil,
} from '../src/modules/notifications/quiet-hours.ts';
import { localDate, zonedInstant } from '../src/modules/notifications/zoned-time.ts';

const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const HOUR = 3_600_000;
const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';

/** Deterministic [0, 1) source (mulberry32) for the property checks. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The real length of the quiet window that opens at `opens`, and proof it opens exactly there. */
function windowFrom(opens: string, q: QuietHours): number {
  const open = at(opens);
  expect(quietUntil(new Date(open.getTime() - 1), q)).toBeNull();
  const closes = quietUntil(open, q);
  expect(closes).not.toBeNull();
  // Quiet right up to the end, and not a millisecond after.
  expect(iso(quietUntil(new Date(closes!.getTime() - 1), q))).toBe(closes!.toISOString());
  expect(quietUntil(closes!, q)).toBeNull();
  return closes!.getTime() - open.getTime();
}

describe('local wall-clock time (zoned-time)', () => {
  it('resolves a local time to its instant, gap → first instant after, overlap → first occurrence', () => {
    expect(iso(zonedInstant('2026-07-01', '09:15', NY))).toBe('2026-07-01T13:15:00.000Z');
    expect(iso(zonedInstant('2026-01-01', '09:15', NY))).toBe('2026-01-01T14:15:00.000Z');
    // 02:30 does not exist on 2026-03-08 in New York: 03:00 EDT (croner's answer, not cron-parser's 03:30).
    expect(iso(zonedInstant('2026-03-08', '02:30', NY))).toBe('2026-03-08T07:00:00.000Z');
    expect(iso(zonedInstant('2026-03-08', '02:00', NY))).toBe('2026-03-08T07:00:00.000Z');
    expect(iso(zonedInstant('2026-03-08', '03:00', NY))).toBe('2026-03-08T07:00:00.000Z');
    expect(iso(zonedInstant('2026-03-08', '01:59', NY))).toBe('2026-03-08T06:59:00.000Z');
    // 01:30 happens twice on 2026-11-01: the first, EDT (05:30Z), not EST (06:30Z).
    expect(iso(zonedInstant('2026-11-01', '01:30', NY))).toBe('2026-11-01T05:30:00.000Z');
    expect(iso(zonedInstant('2026-11-01', '02:00', NY))).toBe('2026-11-01T07:00:00.000Z');
    // Berlin: gap 02:00–03:00 on 2026-03-29, repeated 02:00–03:00 on 2026-10-25.
    expect(iso(zonedInstant('2026-03-29', '02:30', BERLIN))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(zonedInstant('2026-10-25', '02:30', BERLIN))).toBe('2026-10-25T00:30:00.000Z');
    // A whole skipped day: Samoa jumped from 2011-12-29 straight to 2011-12-31 (−10 → +14).
    expect(iso(zonedInstant('2011-12-30', '12:00', 'Pacific/Apia'))).toBe('2011-12-30T10:00:00.000Z');
    // Half-hour offset.
    expect(iso(zonedInstant('2026-06-16', '07:00', 'Asia/Kolkata'))).toBe('2026-06-16T01:30:00.000Z');
  });

  it('gives the local date, which differs from UTC far east and far west', () => {
    expect(localDate(at('2026-06-15T18:00:00Z'), 'Pacific/Kiritimati')).toBe('2026-06-16');
    expect(localDate(at('2026-06-16T10:00:00Z'), 'Pacific/Pago_Pago')).toBe('2026-06-15');
    expect(localDate(at('2026-06-16T10:00:00Z'), 'UTC')).toBe('2026-06-16');
  });
});

describe('quiet hours', () => {
  const nyNight: QuietHours = { start: '22:00', end: '07:00', timeZone: NY };

  it('validates clock times and IANA zones', () => {
    for (const ok of ['00:00', '07:00', '22:30', '23:59']) expect(isValidClock(ok)).toBe(true);
    for (const bad of ['24:00', '7:00', '07:60', '0700', '07:00:00', ' 07:00', '']) {
      expect(isValidClock(bad)).toBe(false);
    }
    for (const ok of [NY, BERLIN, 'Asia/Kolkata', 'America/Sao_Paulo', 'UTC', 'Etc/GMT+5']) {
      expect(isValidTimeZone(ok)).toBe(true);
    }
    for (const bad of ['Mars/Olympus_Mons', '+05:30', '-03:00', '', 'America/New York', '../etc/passwd']) {
      expect(isValidTimeZone(bad)).toBe(false);
    }
    expect(() => quietUntil(at('2026-06-01T00:00:00Z'), { ...nyNight, end: '25:00' })).toThrow(RangeError);
    expect(() => quietUntil(at('2026-06-01T00:00:00Z'), { ...nyNight, timeZone: 'Nowhere/Land' })).toThrow(
      RangeError,
    );
  });

  it('start equal to end means no quiet hours at all', () => {
    const q: QuietHours = { start: '22:00', end: '22:00', timeZone: NY };
    for (const t of ['2026-06-16T02:00:00Z', '2026-06-16T14:00:00Z', '2026-06-17T02:00:00Z']) {
      expect(quietUntil(at(t), q)).toBeNull();
    }
  });

  it('a window wrapping midnight holds until the next local end time, and only inside it', () => {
    // Summer in New York: EDT, UTC−4. 22:00 local = 02:00Z next day; 07:00 local = 11:00Z.
    expect(quietUntil(at('2026-06-16T01:59:59Z'), nyNight)).toBeNull(); // 21:59:59 on the 15th
    expect(iso(quietUntil(at('2026-06-16T02:00:00Z'), nyNight))).toBe('2026-06-16T11:00:00.000Z');
    expect(iso(quietUntil(at('2026-06-16T04:00:00Z'), nyNight))).toBe('2026-06-16T11:00:00.000Z'); // 00:00
    expect(iso(quietUntil(at('2026-06-16T10:59:00Z'), nyNight))).toBe('2026-06-16T11:00:00.000Z');
    expect(quietUntil(at('2026-06-16T11:00:00Z'), nyNight)).toBeNull();
    expect(quietUntil(at('2026-06-16T18:00:00Z'), nyNight)).toBeNull();
    expect(windowFrom('2026-06-16T02:00:00Z', nyNight)).toBe(9 * HOUR);
  });

  it('a window within one day (a lunch break)', () => {
    const q: QuietHours = { start: '12:30', end: '13:30', timeZone: 'UTC' };
    expect(quietUntil(at('2026-06-16T12:29:00Z'), q)).toBeNull();
    expect(iso(quietUntil(at('2026-06-16T12:30:00Z'), q))).toBe('2026-06-16T13:30:00.000Z');
    expect(quietUntil(at('2026-06-16T13:30:00Z'), q)).toBeNull();
    expect(quietUntil(at('2026-06-16T00:00:00Z'), q)).toBeNull();
  });

  it('New York, spring-forward night: 22:00–07:00 lasts 8 real hours', () => {
    // 22:00 EST on 2026-03-07 = 03:00Z; 07:00 EDT on 2026-03-08 = 11:00Z.
    expect(windowFrom('2026-03-08T03:00:00Z', nyNight)).toBe(8 * HOUR);
    expect(iso(quietUntil(at('2026-03-08T06:59:59Z'), nyNight))).toBe('2026-03-08T11:00:00.000Z'); // 01:59:59 EST
    expect(iso(quietUntil(at('2026-03-08T07:00:00Z'), nyNight))).toBe('2026-03-08T11:00:00.000Z'); // 03:00 EDT
  });

  it('New York, fall-back night: 22:00–07:00 lasts 10 real hours', () => {
    // 22:00 EDT on 2026-10-31 = 02:00Z on 11-01; 07:00 EST on 11-01 = 12:00Z.
    expect(windowFrom('2026-11-01T02:00:00Z', nyNight)).toBe(10 * HOUR);
    // Both 01:30s (05:30Z EDT and 06:30Z EST) are inside the window.
    expect(iso(quietUntil(at('2026-11-01T05:30:00Z'), nyNight))).toBe('2026-11-01T12:00:00.000Z');
    expect(iso(quietUntil(at('2026-11-01T06:30:00Z'), nyNight))).toBe('2026-11-01T12:00:00.000Z');
  });

  it('an end time in the spring-forward gap ends the window at the first instant after the gap', () => {
    const q: QuietHours = { start: '22:00', end: '02:30', timeZone: NY };
    // 02:30 does not exist on 2026-03-08: the window ends at 03:00 EDT = 07:00Z.
    expect(iso(quietUntil(at('2026-03-08T06:59:59Z'), q))).toBe('2026-03-08T07:00:00.000Z');
    expect(quietUntil(at('2026-03-08T07:00:00Z'), q)).toBeNull();
    expect(windowFrom('2026-03-08T03:00:00Z', q)).toBe(4 * HOUR); // 22:00 EST → 03:00 EDT
    // A start in the gap opens at 03:00 EDT too.
    const early: QuietHours = { start: '02:30', end: '06:00', timeZone: NY };
    expect(windowFrom('2026-03-08T07:00:00Z', early)).toBe(3 * HOUR); // 03:00 EDT → 06:00 EDT
    // Start and end both in the gap: the window does not exist that day.
    const inGap: QuietHours = { start: '02:00', end: '02:45', timeZone: NY };
    expect(quietUntil(at('2026-03-08T07:00:00Z'), inGap)).toBeNull();
    expect(quietUntil(at('2026-03-08T06:59:00Z'), inGap)).toBeNull();
    expect(iso(quietUntil(at('2026-03-09T06:10:00Z'), inGap))).toBe('2026-03-09T06:45:00.000Z'); // next day, EDT
  });

  it('an ambiguous end time ends the window at its first occurrence; the repeated hour stays unquiet', () => {
    const q: QuietHours = { start: '22:00', end: '01:30', timeZone: NY };
    // 01:30 EDT = 05:30Z comes first; 01:30 EST = 06:30Z an hour later.
    expect(iso(quietUntil(at('2026-11-01T05:00:00Z'), q))).toBe('2026-11-01T05:30:00.000Z'); // 01:00 EDT
    expect(quietUntil(at('2026-11-01T05:30:00Z'), q)).toBeNull();
    // 01:10 EST reads inside 22:00–01:30 on the wall clock, but that night's window is over.
    expect(quietUntil(at('2026-11-01T06:10:00Z'), q)).toBeNull();
    expect(windowFrom('2026-11-01T02:00:00Z', q)).toBe(3.5 * HOUR);
    // An ambiguous start opens at its first occurrence.
    const late: QuietHours = { start: '01:30', end: '05:00', timeZone: NY };
    expect(windowFrom('2026-11-01T05:30:00Z', late)).toBe(4.5 * HOUR); // 01:30 EDT → 05:00 EST
  });

  it('Berlin: 8 h on spring-forward night, 10 h on fall-back night', () => {
    const q: QuietHours = { start: '22:00', end: '07:00', timeZone: BERLIN };
    expect(windowFrom('2026-03-28T21:00:00Z', q)).toBe(8 * HOUR); // 22:00 CET → 07:00 CEST
    expect(windowFrom('2026-10-24T20:00:00Z', q)).toBe(10 * HOUR); // 22:00 CEST → 07:00 CET
    expect(windowFrom('2026-07-01T20:00:00Z', q)).toBe(9 * HOUR);
  });

  it('Lisbon: UTC itself in winter, DST at 01:00 UTC like the rest of the EU', () => {
    const q: QuietHours = { start: '22:00', end: '07:00', timeZone: 'Europe/Lisbon' };
    expect(windowFrom('2026-01-15T22:00:00Z', q)).toBe(9 * HOUR);
    expect(iso(quietUntil(at('2026-01-16T03:00:00Z'), q))).toBe('2026-01-16T07:00:00.000Z');
    expect(windowFrom('2026-03-28T22:00:00Z', q)).toBe(8 * HOUR); // 22:00 WET → 07:00 WEST (06:00Z)
    expect(windowFrom('2026-10-24T21:00:00Z', q)).toBe(10 * HOUR); // 22:00 WEST → 07:00 WET (07:00Z)
  });

  it('São Paulo: no DST since 2019 (9 h every night), and its old midnight gap still resolves', () => {
    const q: QuietHours = { start: '22:00', end: '07:00', timeZone: 'America/Sao_Paulo' };
    for (const opens of ['2026-01-15T01:00:00Z', '2026-03-08T01:00:00Z', '2026-11-01T01:00:00Z']) {
      expect(windowFrom(opens, q)).toBe(9 * HOUR);
    }
    // On 2018-11-04 the clock jumped from 00:00 (−03) to 01:00 (−02): local midnight did not exist.
    expect(windowFrom('2018-11-04T01:00:00Z', q)).toBe(8 * HOUR);
    const toHalfPast: QuietHours = { start: '22:00', end: '00:30', timeZone: 'America/Sao_Paulo' };
    expect(iso(quietUntil(at('2018-11-04T02:50:00Z'), toHalfPast))).toBe('2018-11-04T03:00:00.000Z'); // 01:00 −02
  });

  it('Kolkata: a half-hour offset (+05:30)', () => {
    const q: QuietHours = { start: '22:00', end: '07:00', timeZone: 'Asia/Kolkata' };
    // 22:00 IST = 16:30Z; 07:00 IST = 01:30Z.
    expect(windowFrom('2026-06-15T16:30:00Z', q)).toBe(9 * HOUR);
    expect(iso(quietUntil(at('2026-06-15T20:00:00Z'), q))).toBe('2026-06-16T01:30:00.000Z');
    expect(quietUntil(at('2026-06-15T16:00:00Z'), q)).toBeNull(); // 21:30 IST
  });

  it('critical priority ignores quiet hours; no quiet hours means send now', () => {
    const inside = at('2026-06-16T04:00:00Z'); // midnight in New York
    expect(holdUntil(inside, 'critical', nyNight)).toBeNull();
    for (const p of ['high', 'normal', 'low'] as const) {
      expect(iso(holdUntil(inside, p, nyNight))).toBe('2026-06-16T11:00:00.000Z');
    }
    expect(holdUntil(inside, 'normal', null)).toBeNull();
    expect(holdUntil(at('2026-06-16T16:00:00Z'), 'low', nyNight)).toBeNull();
  });
});

describe('delivery retry schedule', () => {
  const now = at('2026-06-16T12:00:00Z');
  const delay = (d: Date | null) => {
    expect(d).not.toBeNull();
    return d!.getTime() - now.getTime();
  };

  it('the delay ceiling doubles from the base up to the cap, per priority', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffCeilingMs(n, 'critical'))).toEqual([
      2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 120_000,
    ]);
    expect([1, 2, 8, 9].map((n) => backoffCeilingMs(n, 'normal'))).toEqual([
      10_000, 20_000, 1_280_000, 1_800_000,
    ]);
    expect(backoffCeilingMs(1, 'high')).toBe(5_000);
    expect(backoffCeilingMs(7, 'high')).toBe(320_000);
    expect(backoffCeilingMs(9, 'low')).toBe(2 * HOUR);
    expect(backoffCeilingMs(1000, 'low')).toBe(2 * HOUR);
  });

  it('the worst-case time to the dead letter is what delivery-retry.ts documents', () => {
    const worst = (p: keyof typeof RETRY_POLICIES) => {
      let total = 0;
      for (let n = 1; n < RETRY_POLICIES[p].maxAttempts; n++) total += backoffCeilingMs(n, p);
      return total / 1000;
    };
    expect(worst('critical')).toBe(726); // ≤ 12.1 min
    expect(worst('high')).toBe(635); // ≤ 10.6 min
    expect(worst('normal')).toBe(4350); // ≤ 72.5 min
    expect(worst('low')).toBe(14_850); // ≤ 4.1 h
  });

  it('full jitter: the delay is random in [0, ceiling), its ceiling grows, and never passes the cap', () => {
    const random = seeded(16);
    for (const p of ['critical', 'high', 'normal', 'low'] as const) {
      const { maxAttempts, capMs } = RETRY_POLICIES[p];
      for (let n = 1; n < maxAttempts; n++) {
        let lowest = Number.POSITIVE_INFINITY;
        let highest = 0;
        for (let i = 0; i < 200; i++) {
          const d = delay(nextRetryAt(now, n, p, null, random));
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThan(backoffCeilingMs(n, p));
          expect(d).toBeLessThanOrEqual(capMs);
          lowest = Math.min(lowest, d);
          highest = Math.max(highest, d);
        }
        // Spread over the range, not pinned to one end (200 uniform draws: the odds of failing are nil).
        expect(lowest).toBeLessThan(backoffCeilingMs(n, p) * 0.1);
        expect(highest).toBeGreaterThan(backoffCeilingMs(n, p) * 0.9);
      }
    }
    // The extremes of the random source.
    expect(delay(nextRetryAt(now, 3, 'normal', null, () => 0))).toBe(0);
    expect(delay(nextRetryAt(now, 3, 'normal', null, () => 0.5))).toBe(20_000);
    expect(delay(nextRetryAt(now, 3, 'normal', null, () => 0.999_999_999))).toBe(39_999);
    // A broken source cannot push it out of range.
    expect(delay(nextRetryAt(now, 3, 'normal', null, () => 7))).toBeLessThan(40_000);
    expect(delay(nextRetryAt(now, 3, 'normal', null, () => -1))).toBe(0);
  });

  it('with the same random draws the schedule is the same', () => {
    const a = [1, 2, 3, 4, 5].map((n, i) =>
      iso(nextRetryAt(now, n, 'high', null, () => [0.1, 0.9, 0.5, 0.3, 0.7][i]!)),
    );
    const b = [1, 2, 3, 4, 5].map((n, i) =>
      iso(nextRetryAt(now, n, 'high', null, () => [0.1, 0.9, 0.5, 0.3, 0.7][i]!)),
    );
    expect(a).toEqual(b);
    expect(a).toEqual([
      '2026-06-16T12:00:00.500Z', // 0.1 × 5 s
      '2026-06-16T12:00:09.000Z', // 0.9 × 10 s
      '2026-06-16T12:00:10.000Z', // 0.5 × 20 s
      '2026-06-16T12:00:12.000Z', // 0.3 × 40 s
      '2026-06-16T12:00:56.000Z', // 0.7 × 80 s
    ]);
  });

  it("a provider's Retry-After is a floor, capped at 6 hours", () => {
    // Floor above the jittered delay: wait what the provider said.
    expect(delay(nextRetryAt(now, 1, 'critical', 90_000, () => 0.5))).toBe(90_000);
    // Floor below it: the jittered delay stands.
    expect(delay(nextRetryAt(now, 6, 'normal', 1_000, () => 0.5))).toBe(160_000);
    // Fractional milliseconds round up, never earlier than asked.
    expect(delay(nextRetryAt(now, 1, 'low', 2_000.2, () => 0))).toBe(2_001);
    // A day is asked: wait 6 hours and try again.
    expect(delay(nextRetryAt(now, 1, 'low', 24 * HOUR, () => 0.5))).toBe(RETRY_AFTER_CAP_MS);
    expect(RETRY_AFTER_CAP_MS).toBe(6 * HOUR);
    // Nonsense Retry-After values are ignored.
    for (const bad of [0, -5_000, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(delay(nextRetryAt(now, 2, 'high', bad, () => 0.5))).toBe(5_000);
    }
  });

  it('exhausted attempts return null (the dead letter), Retry-After or not', () => {
    for (const p of ['critical', 'high', 'normal', 'low'] as const) {
      const { maxAttempts } = RETRY_POLICIES[p];
      expect(nextRetryAt(now, maxAttempts - 1, p, null, () => 0.5)).not.toBeNull();
      expect(nextRetryAt(now, maxAttempts, p, null, () => 0.5)).toBeNull();
      expect(nextRetryAt(now, maxAttempts, p, 5_000, () => 0.5)).toBeNull();
      expect(nextRetryAt(now, maxAttempts + 3, p, null, () => 0.5)).toBeNull();
    }
    expect(RETRY_POLICIES.critical.maxAttempts).toBe(12);
    expect(RETRY_POLICIES.low.maxAttempts).toBe(10);
    expect(() => nextRetryAt(now, 0, 'normal', null, () => 0.5)).toThrow(RangeError);
    expect(() => nextRetryAt(now, 1.5, 'normal', null, () => 0.5)).toThrow(RangeError);
  });
});

describe('due soon scan', () => {
  it('runs once per local day, at or after 08:00 local', () => {
    // Summer New York: 08:00 EDT = 12:00Z.
    expect(dueSoonScanDue(at('2026-06-16T11:59:59Z'), NY, '2026-06-15')).toEqual({
      due: false,
      localDate: '2026-06-16',
    });
    expect(dueSoonScanDue(at('2026-06-16T12:00:00Z'), NY, '2026-06-15')).toEqual({
      due: true,
      localDate: '2026-06-16',
    });
    // Already scanned today: not again, however late.
    expect(dueSoonScanDue(at('2026-06-16T20:00:00Z'), NY, '2026-06-16').due).toBe(false);
    // Never scanned: due from 08:00 on.
    expect(dueSoonScanDue(at('2026-06-16T12:00:00Z'), NY, null).due).toBe(true);
    // The worker was down at 08:00: it scans when back, the same local day (23:59 EDT).
    expect(dueSoonScanDue(at('2026-06-17T03:59:00Z'), NY, '2026-06-14')).toEqual({
      due: true,
      localDate: '2026-06-16',
    });
    // After local midnight, the next day waits for its own 08:00.
    expect(dueSoonScanDue(at('2026-06-17T04:00:00Z'), NY, '2026-06-16')).toEqual({
      due: false,
      localDate: '2026-06-17',
    });
    // A last scan dated after today (time zone moved west across midnight) is not repeated.
    expect(dueSoonScanDue(at('2026-06-16T20:00:00Z'), NY, '2026-06-17').due).toBe(false);
    expect(() => dueSoonScanDue(at('2026-06-16T20:00:00Z'), 'Nowhere/Land', null)).toThrow(RangeError);
    expect(() => dueSoonScanDue(at('2026-06-16T20:00:00Z'), NY, null, '8:00')).toThrow(RangeError);
  });

  it('New York across DST both ways: 08:00 local moves in UTC', () => {
    // 2026-03-07 is EST (08:00 = 13:00Z), 2026-03-08 EDT (08:00 = 12:00Z).
    expect(dueSoonScanDue(at('2026-03-07T12:59:00Z'), NY, '2026-03-06').due).toBe(false);
    expect(dueSoonScanDue(at('2026-03-07T13:00:00Z'), NY, '2026-03-06').due).toBe(true);
    expect(dueSoonScanDue(at('2026-03-08T11:59:00Z'), NY, '2026-03-07').due).toBe(false);
    expect(dueSoonScanDue(at('2026-03-08T12:00:00Z'), NY, '2026-03-07').due).toBe(true);
    // 2026-10-31 EDT (12:00Z), 2026-11-01 EST (13:00Z).
    expect(dueSoonScanDue(at('2026-10-31T12:00:00Z'), NY, '2026-10-30').due).toBe(true);
    expect(dueSoonScanDue(at('2026-11-01T12:00:00Z'), NY, '2026-10-31').due).toBe(false); // 07:00 EST
    expect(dueSoonScanDue(at('2026-11-01T13:00:00Z'), NY, '2026-10-31').due).toBe(true);
  });

  it('a scan time in the gap runs at 03:00; an ambiguous one at its first occurrence, once', () => {
    // 02:30 does not exist on 2026-03-08 in New York: the scan runs at 03:00 EDT = 07:00Z.
    expect(dueSoonScanDue(at('2026-03-08T06:59:59Z'), NY, '2026-03-07', '02:30')).toEqual({
      due: false,
      localDate: '2026-03-08',
    });
    expect(dueSoonScanDue(at('2026-03-08T07:00:00Z'), NY, '2026-03-07', '02:30').due).toBe(true);
    // 01:30 happens twice on 2026-11-01: runs at the first (05:30Z); the second is the same local day.
    expect(dueSoonScanDue(at('2026-11-01T05:29:00Z'), NY, '2026-10-31', '01:30').due).toBe(false);
    expect(dueSoonScanDue(at('2026-11-01T05:30:00Z'), NY, '2026-10-31', '01:30').due).toBe(true);
    expect(dueSoonScanDue(at('2026-11-01T06:30:00Z'), NY, '2026-11-01', '01:30').due).toBe(false);
  });

  it('Berlin across DST both ways', () => {
    // 2026-03-28 CET: 08:00 = 07:00Z; 2026-03-29 CEST: 08:00 = 06:00Z.
    expect(dueSoonScanDue(at('2026-03-28T06:59:00Z'), BERLIN, '2026-03-27').due).toBe(false);
    expect(dueSoonScanDue(at('2026-03-28T07:00:00Z'), BERLIN, '2026-03-27').due).toBe(true);
    expect(dueSoonScanDue(at('2026-03-29T05:59:00Z'), BERLIN, '2026-03-28').due).toBe(false);
    expect(dueSoonScanDue(at('2026-03-29T06:00:00Z'), BERLIN, '2026-03-28').due).toBe(true);
    // 2026-10-25 CET again: 08:00 = 07:00Z.
    expect(dueSoonScanDue(at('2026-10-25T06:00:00Z'), BERLIN, '2026-10-24').due).toBe(false);
    expect(dueSoonScanDue(at('2026-10-25T07:00:00Z'), BERLIN, '2026-10-24').due).toBe(true);
    // Gap and overlap scan times in Berlin.
    expect(dueSoonScanDue(at('2026-03-29T00:59:00Z'), BERLIN, '2026-03-28', '02:30').due).toBe(false);
    expect(dueSoonScanDue(at('2026-03-29T01:00:00Z'), BERLIN, '2026-03-28', '02:30').due).toBe(true); // 03:00 CEST
    expect(dueSoonScanDue(at('2026-10-25T00:30:00Z'), BERLIN, '2026-10-24', '02:30').due).toBe(true); // 02:30 CEST
  });

  it('zones far from UTC scan on their own local date', () => {
    // Kiritimati (+14): 08:00 on 2026-06-16 is 18:00Z on 2026-06-15, UTC's previous day.
    expect(dueSoonScanDue(at('2026-06-15T17:59:00Z'), 'Pacific/Kiritimati', '2026-06-15')).toEqual({
      due: false,
      localDate: '2026-06-16',
    });
    expect(dueSoonScanDue(at('2026-06-15T18:00:00Z'), 'Pacific/Kiritimati', '2026-06-15')).toEqual({
      due: true,
      localDate: '2026-06-16',
    });
    // Pago Pago (−11): at 10:00Z on 2026-06-16 it is still 23:00 on the 15th there.
    expect(dueSoonScanDue(at('2026-06-16T10:00:00Z'), 'Pacific/Pago_Pago', '2026-06-15')).toEqual({
      due: false,
      localDate: '2026-06-15',
    });
    expect(dueSoonScanDue(at('2026-06-16T10:00:00Z'), 'Pacific/Pago_Pago', '2026-06-14')).toEqual({
      due: true,
      localDate: '2026-06-15',
    });
    // Its 08:00 on the 16th is 19:00Z on the 16th.
    expect(dueSoonScanDue(at('2026-06-16T18:59:00Z'), 'Pacific/Pago_Pago', '2026-06-15').due).toBe(false);
    expect(dueSoonScanDue(at('2026-06-16T19:00:00Z'), 'Pacific/Pago_Pago', '2026-06-15')).toEqual({
      due: true,
      localDate: '2026-06-16',
    });
    // Both scan their 2026-06-16 for tasks due on the 17th, Kiritimati 25 real hours before Pago Pago.
    expect(
      dueSoonWindow(dueSoonScanDue(at('2026-06-15T19:00:00Z'), 'Pacific/Kiritimati', null).localDate),
    ).toEqual({
      from: '2026-06-17',
      to: '2026-06-17',
    });
    expect(
      dueSoonWindow(dueSoonScanDue(at('2026-06-16T19:00:00Z'), 'Pacific/Pago_Pago', null).localDate),
    ).toEqual({
      from: '2026-06-17',
      to: '2026-06-17',
    });
  });

  it('the window is the next daysAhead local dates, both ends inclusive, across months and leap days', () => {
    expect(dueSoonWindow('2026-06-16')).toEqual({ from: '2026-06-17', to: '2026-06-17' });
    expect(dueSoonWindow('2026-06-16', 3)).toEqual({ from: '2026-06-17', to: '2026-06-19' });
    expect(dueSoonWindow('2026-02-28', 2)).toEqual({ from: '2026-03-01', to: '2026-03-02' });
    expect(dueSoonWindow('2028-02-28', 2)).toEqual({ from: '2028-02-29', to: '2028-03-01' });
    expect(dueSoonWindow('2026-12-31')).toEqual({ from: '2027-01-01', to: '2027-01-01' });
    // DST days are whole dates like any other.
    expect(dueSoonWindow('2026-03-07', 2)).toEqual({ from: '2026-03-08', to: '2026-03-09' });
    expect(dueSoonWindow('2026-10-31', 2)).toEqual({ from: '2026-11-01', to: '2026-11-02' });
    for (const bad of ['2026-02-30', '2026-6-16', '16/06/2026', '']) {
      expect(() => dueSoonWindow(bad)).toThrow(RangeError);
    }
    for (const bad of [0, -1, 1.5]) expect(() => dueSoonWindow('2026-06-16', bad)).toThrow(RangeError);
  });
});
