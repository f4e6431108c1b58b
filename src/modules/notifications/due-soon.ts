// Timing of the daily "due soon" scan, per organization time zone. The worker ticks often (say every
// few minutes, in UTC like any cron) and asks, for each organization, whether that organization's
// scan for its current local day is due; it records the local date it scanned, so each local day is
// scanned once however often the worker ticks, restarts or runs on several nodes (the caller makes
// "record the date" and "scan" one transaction or a compare-and-set on the date).
//
// Days are local: an organization in Pacific/Kiritimati (UTC+14) starts its Monday while UTC is
// still on Sunday morning, and one in Pacific/Pago_Pago (UTC−11) is still on Sunday when UTC is on
// Monday. tasks.due_date is a `date` (a calendar day, no zone), so the window is a range of dates,
// compared with due_date directly: no instants, no DST.
import {
  addDays,
  isValidClock,
  isValidDate,
  isValidTimeZone,
  localDate,
  zonedInstant,
} from './zoned-time.ts';

export interface DueSoonScanCheck {
  /** Whether to scan now. */
  due: boolean;
  /** The organization's local date now (YYYY-MM-DD): record it as the last scanned date after scanning. */
  localDate: string;
}

/**
 * Whether the scan of the organization's current local day is due: at or after `scanAtLocal` local
 * time, and not already done for that local date. A `scanAtLocal` in a spring-forward gap runs at
 * the first instant after the gap (02:30 on 2026-03-08 in New York → 03:00 EDT); an ambiguous one
 * at its first occurrence (see zoned-time.ts). A worker that was down at 08:00 scans when it comes
 * back, the same local day; a local day it was down for entirely is not caught up on the next day
 * (that day's own scan covers the following dates).
 *
 * A `lastScanLocalDate` after the current local date (the organization moved its time zone west
 * across midnight) is not due: the day was scanned already.
 */
export function dueSoonScanDue(
  now: Date,
  timeZone: string,
  lastScanLocalDate: string | null,
  scanAtLocal = '08:00',
): DueSoonScanCheck {
  if (!isValidTimeZone(timeZone)) throw new RangeError(`not an IANA time zone: ${timeZone}`);
  if (!isValidClock(scanAtLocal)) throw new RangeError(`not an HH:MM clock time: ${scanAtLocal}`);
  const today = localDate(now, timeZone);
  // YYYY-MM-DD strings order as dates do.
  if (lastScanLocalDate !== null && lastScanLocalDate >= today) return { due: false, localDate: today };
  const scanAt = zonedInstant(today, scanAtLocal, timeZone);
  return { due: now.getTime() >= scanAt.getTime(), localDate: today };
}

/**
 * The due dates the scan of `localDate` notifies about: the next `daysAhead` local dates, both ends
 * inclusive (`due_date BETWEEN from AND to`). Tasks due today were announced by yesterday's scan.
 */
export function dueSoonWindow(localDate: string, daysAhead = 1): { from: string; to: string } {
  if (!isValidDate(localDate)) throw new RangeError(`not a YYYY-MM-DD date: ${localDate}`);
  if (!Number.isInteger(daysAhead) || daysAhead < 1)
    throw new RangeError(`daysAhead must be ≥ 1: ${daysAhead}`);
  return { from: addDays(localDate, 1), to: addDays(localDate, daysAhead) };
}
