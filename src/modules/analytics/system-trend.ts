// The executive trends read from monitoring (requests, error rate, response time, failed logins):
// hourly steps (monitoring's hourly roll-ups, kept 400 days) summed into the days of the time zone,
// each hour counted for the day its start falls in. Rates are ratios of the day's sums, never a
// mean of hourly rates.
import type { MetricName, MonitoringService, Point } from '../monitoring/service.ts';
import type { SystemTrendMetric } from './schemas.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The stored sums each trend needs: the day's value is numerator (÷ denominator × factor). */
const PARTS: Record<
  SystemTrendMetric,
  { numerator: MetricName; denominator?: MetricName; factor: number; decimals: number }
> = {
  requests: { numerator: 'http.requests', factor: 1, decimals: 0 },
  error_rate: { numerator: 'http.errors', denominator: 'http.requests', factor: 100, decimals: 2 },
  response_time: {
    numerator: 'http.response_time.total_ms',
    denominator: 'http.requests',
    factor: 1,
    decimals: 1,
  },
  failed_logins: { numerator: 'security.failed_logins', factor: 1, decimals: 0 },
};

/** YYYY-MM-DD of an instant in a time zone. */
function localDay(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

/** The `days` calendar days ending with `last` (YYYY-MM-DD), oldest first. */
function daysEndingWith(last: string, days: number): string[] {
  const end = Date.parse(`${last}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) =>
    new Date(end - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10),
  );
}

export async function systemTrend(
  monitoring: MonitoringService,
  q: { orgId: string | null; metric: SystemTrendMetric; days: number; asOf: Date; timezone: string },
): Promise<{ date: string; value: number | null }[]> {
  const days = daysEndingWith(localDay(q.asOf, q.timezone), q.days);
  const parts = PARTS[q.metric];
  // A day and a half more than asked: local days start up to 14 h either side of UTC midnight.
  const from = new Date(Math.floor(q.asOf.getTime() / HOUR_MS) * HOUR_MS - (q.days + 1) * DAY_MS);
  const window = { from, to: q.asOf, stepSeconds: 3600 };
  const [num, den] = await monitoring.pointsMany(q.orgId, [
    { metric: parts.numerator, ...window },
    ...(parts.denominator ? [{ metric: parts.denominator, ...window }] : []),
  ]);
  const perDay = (points: readonly Point[] | undefined) => {
    const sums = new Map<string, number>();
    for (const p of points ?? []) {
      const day = localDay(p.at, q.timezone);
      sums.set(day, (sums.get(day) ?? 0) + p.value);
    }
    return sums;
  };
  const nums = perDay(num);
  const dens = perDay(den);
  const scale = 10 ** parts.decimals;
  return days.map((date) => {
    const n = nums.get(date) ?? 0;
    if (!parts.denominator) return { date, value: Math.round(n * scale) / scale };
    const d = dens.get(date) ?? 0;
    return { date, value: d > 0 ? Math.round(((parts.factor * n) / d) * scale) / scale : null };
  });
}
