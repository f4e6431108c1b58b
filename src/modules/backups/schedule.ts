// Cron schedules of backups and drills: five-field expressions read in an IANA time zone (croner),
// and the occurrences that fell in a tick's window (previous tick, this tick], which the schedule
// loop turns into one queued job each (the job key makes a repeat a no-op).
import { Cron } from 'croner';

/** Parses a five-field cron expression in a time zone; throws with croner's reason when it cannot. */
function cronOf(expr: string, timeZone: string): Cron {
  return new Cron(expr, { timezone: timeZone, mode: '5-part', paused: true });
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Why an expression is not a valid five-field cron (null when it is). */
export function cronProblem(expr: string): string | null {
  try {
    cronOf(expr, 'UTC');
    return null;
  } catch (err) {
    return (err as Error).message.replace(/^CronPattern:\s*/, '');
  }
}

/** The occurrences in (from, to], oldest first (at most `limit`). */
export function occurrencesBetween(
  expr: string,
  timeZone: string,
  from: Date,
  to: Date,
  limit = 100,
): Date[] {
  const cron = cronOf(expr, timeZone);
  const out: Date[] = [];
  let at: Date | null = from;
  while (out.length < limit) {
    at = cron.nextRun(at);
    if (!at || at.getTime() > to.getTime()) break;
    out.push(at);
  }
  return out;
}

/** The next occurrence after `after`, or null (an expression that never matches again). */
export function nextOccurrence(expr: string, timeZone: string, after: Date): Date | null {
  try {
    return cronOf(expr, timeZone).nextRun(after);
  } catch {
    return null;
  }
}
