// Quiet hours: a daily window in the recipient's own time zone during which non-critical
// notifications on intrusive channels are held, then sent when the window ends. The window is
// stated on the wall clock ("22:00 to 07:00") because that is how people think of their nights,
// so its length in real hours follows DST: 22:00–07:00 lasts 8 h on spring-forward night in New
// York and 10 h on fall-back night.
//
// DST (see zoned-time.ts): a start or end that does not exist that day (in the spring-forward gap)
// is the first instant after the gap, e.g. an end of 02:30 on 2026-03-08 in America/New_York is
// 03:00 EDT; an ambiguous one (in the fall-back hour) is its first occurrence, e.g. an end of 01:30
// on 2026-11-01 is 01:30 EDT. The window of a night is the interval between those two instants, so
// once it has ended it does not come back when the clock repeats the hour: 01:10 EST on 2026-11-01
// is not quiet for a 22:00–01:30 window, although the wall clock reads a time inside it.
import type { Priority } from './channels/provider.ts';
import {
  addDays,
  clockMinutes,
  isValidClock,
  isValidTimeZone,
  localDate,
  zonedInstant,
} from './zoned-time.ts';

export { isValidClock, isValidTimeZone };

export interface QuietHours {
  /** Local wall-clock time the window opens, 'HH:MM'. */
  start: string;
  /** Local wall-clock time it closes, 'HH:MM'; before `start` when it wraps midnight (22:00–07:00). */
  end: string;
  /** IANA zone of the recipient (America/New_York). */
  timeZone: string;
}

/** Whether quiet hours are well-formed (what a preferences route validates before saving). */
export function isValidQuietHours(q: QuietHours): boolean {
  return isValidClock(q.start) && isValidClock(q.end) && isValidTimeZone(q.timeZone);
}

/**
 * Null when `now` is outside the quiet window, else the instant the window ends: the next local
 * `end` time in the zone (resolved by the DST rule above). `start === end` means no quiet hours.
 * Throws RangeError on malformed quiet hours (validate them when saving).
 */
export function quietUntil(now: Date, q: QuietHours): Date | null {
  if (!isValidQuietHours(q)) throw new RangeError(`invalid quiet hours: ${JSON.stringify(q)}`);
  if (q.start === q.end) return null;
  const wraps = clockMinutes(q.end) < clockMinutes(q.start);
  const today = localDate(now, q.timeZone);
  // The window that opened on the local day before today (when it wraps midnight, that night's
  // window ends today) or the one opening today. Working in instants, not wall-clock readings, is
  // what keeps the repeated fall-back hour and the skipped spring-forward hour right.
  for (const day of [addDays(today, -1), today]) {
    const opens = zonedInstant(day, q.start, q.timeZone);
    const closes = zonedInstant(wraps ? addDays(day, 1) : day, q.end, q.timeZone);
    if (opens.getTime() <= now.getTime() && now.getTime() < closes.getTime()) return closes;
  }
  return null;
}

/**
 * Until when a notification of `priority` is held: null to send now. Critical notifications
 * (security events, fired alerts) ignore quiet hours: being woken is the point.
 */
export function holdUntil(now: Date, priority: Priority, q: QuietHours | null): Date | null {
  if (priority === 'critical' || q === null) return null;
  return quietUntil(now, q);
}
