// Wall-clock time in an IANA time zone, computed with the ICU data Node ships (Intl.DateTimeFormat):
// no Temporal in Node 24 and no date library needed. Notification timing (quiet hours, the daily
// "due soon" scan) is stated in local wall-clock terms ("until 07:00", "at 08:00"), while the jobs
// run on instants; these helpers turn one into the other and pin down what happens when the local
// time does not exist (spring-forward gap) or exists twice (fall-back overlap).
//
// The one DST rule, used everywhere in notifications:
// - a local time inside a gap resolves to the first instant after the gap (02:30 on 2026-03-08 in
//   America/New_York → 03:00 EDT). croner 11 picks the same; cron-parser 5 would say 03:30.
// - an ambiguous local time resolves to its first occurrence (01:30 on 2026-11-01 in New York →
//   01:30 EDT, not the hour-later 01:30 EST).

const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** A calendar date and a time of day on the wall clock of some zone. */
export interface LocalDateTime {
  /** YYYY-MM-DD */
  date: string;
  hour: number;
  minute: number;
  second: number;
}

/** 'HH:MM' on a 24-hour clock, 00:00 to 23:59 (no 24:00: a window ending at midnight ends at 00:00). */
export function isValidClock(clock: string): boolean {
  return CLOCK.test(clock);
}

/**
 * An IANA zone name that ICU knows (America/New_York, Asia/Kolkata, UTC). Offset strings such as
 * '+05:30', which V8 also accepts, are refused: a fixed offset knows nothing of DST, and a user who
 * picks one would silently get quiet hours an hour off for half the year.
 */
export function isValidTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(timeZone)) return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Minutes after midnight of an 'HH:MM' clock; throws on anything else (callers validate input first). */
export function clockMinutes(clock: string): number {
  const m = CLOCK.exec(clock);
  if (!m) throw new RangeError(`not an HH:MM clock time: ${clock}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // en-US with h23 gives plain numeric parts; the Gregorian calendar and Latin digits are fixed
    // so that the parts parse the same whatever the process locale.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall clock in `timeZone` at `instant` (seconds precision). */
export function localDateTime(instant: Date, timeZone: string): LocalDateTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) parts[p.type] = p.value;
  return {
    date: `${parts.year!.padStart(4, '0')}-${parts.month}-${parts.day}`,
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

/** The local calendar date (YYYY-MM-DD) in `timeZone` at `instant`. */
export function localDate(instant: Date, timeZone: string): string {
  return localDateTime(instant, timeZone).date;
}

/** The zone's offset from UTC at `instantMs`, in milliseconds (local = UTC + offset). */
function offsetAt(instantMs: number, timeZone: string): number {
  const wholeSecond = Math.floor(instantMs / 1000) * 1000;
  const l = localDateTime(new Date(wholeSecond), timeZone);
  return wallMs(l.date, l.hour * 60 + l.minute) + l.second * 1000 - wholeSecond;
}

/** A local date and minute of the day read as if it were UTC: the "wall" timeline offsets map onto. */
function wallMs(date: string, minuteOfDay: number): number {
  const m = DATE.exec(date);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${date}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + minuteOfDay * MINUTE_MS;
}

/** `date` plus `days` calendar days (negative goes back), as YYYY-MM-DD. */
export function addDays(date: string, days: number): string {
  return new Date(wallMs(date, 0) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Whether `date` is a real YYYY-MM-DD calendar date (2026-02-30 is not). */
export function isValidDate(date: string): boolean {
  if (!DATE.test(date)) return false;
  return addDays(date, 0) === date;
}

/**
 * The instant at which the wall clock in `timeZone` reads `clock` on `date`, under the DST rule at
 * the top of this file. Assumes at most one offset change within a day either side of the time,
 * which holds for every zone in the tz database since 1970 except Pacific/Apia and Pacific/Fakaofo
 * skipping a whole calendar day in 2011 (there the date simply does not exist; we answer the first
 * instant after the jump, as for any gap).
 */
export function zonedInstant(date: string, clock: string, timeZone: string): Date {
  const wall = wallMs(date, clockMinutes(clock));
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  // Each offset in force around that day gives one candidate; a candidate is real if the zone's
  // offset at that instant is the offset that produced it.
  const candidates = [wall - before, wall - after].filter((t) => offsetAt(t, timeZone) === wall - t);
  if (candidates.length > 0) return new Date(Math.min(...candidates));
  // In a gap: the clock jumps from wall-ish times below `wall` to times above it. The transition
  // instant T lies in (wall - after, wall - before]; its local time is the end of the gap.
  let lo = wall - after; // offset here is still `before`
  let hi = wall - before; // offset here is already `after`
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (offsetAt(mid, timeZone) === after) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}
