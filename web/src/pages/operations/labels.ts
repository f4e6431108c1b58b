// Names and values of the operations catalogues in the UI's language: metrics (by their dotted
// name), severities, units. Keys the type checker cannot follow through a template string.
import type { TFunction } from 'i18next';
import type { Format } from '../../format/format.ts';
import { formatBytes } from '../admin/formatBytes.ts';

/** A metric's name ("CPU", "Error rate"), or its dotted name when the catalogue has no translation. */
export const metricName = (t: TFunction, metric: string) =>
  t(`operations.metric.${metric.replaceAll('.', '_')}` as 'operations.metric.system_cpu_percent', {
    defaultValue: metric,
  });

/** A health check's name in the UI language (the server names it in English; TLS checks name their origin). */
export const checkName = (t: TFunction, check: { key: string; name: string }) =>
  t(`operations.health.checkName.${check.key}` as 'operations.health.checkName.disk', {
    defaultValue: check.name,
  });

/** An alert severity (info, warning, error, critical). */
export const severityName = (t: TFunction, severity: string) =>
  t(`operations.severity.${severity}` as 'operations.severity.info', { defaultValue: severity });

export const SEVERITY_COLORS: Record<string, string> = {
  info: 'blue',
  warning: 'yellow',
  error: 'orange',
  critical: 'red',
  low: 'gray',
  medium: 'yellow',
  high: 'orange',
};

export const HEALTH_COLORS: Record<string, string> = {
  ok: 'green',
  degraded: 'yellow',
  down: 'red',
  unknown: 'gray',
};

export type MetricUnit = 'percent' | 'ms' | 'bytes' | 'count' | 'per_second' | 'seconds';

/** A metric's value in its unit, in the UI's language ("42.5 %", "120 ms", "1.5 GB"). */
export function formatValue(f: Format, unit: MetricUnit | string, value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const short = new Intl.NumberFormat(f.locale, { maximumFractionDigits: Math.abs(value) < 10 ? 2 : 1 });
  switch (unit) {
    case 'percent':
      return f.percent(value / 100);
    case 'ms':
      return new Intl.NumberFormat(f.locale, {
        style: 'unit',
        unit: 'millisecond',
        maximumFractionDigits: 0,
      }).format(value);
    case 'seconds':
      return new Intl.NumberFormat(f.locale, {
        style: 'unit',
        unit: 'second',
        maximumFractionDigits: 0,
      }).format(value);
    case 'bytes':
      return formatBytes(value, f.locale);
    case 'per_second':
      return `${short.format(value)}/s`;
    default:
      return short.format(value);
  }
}

/** A share 0–100 as a percentage, or a dash when there is none. */
export const percentOf = (f: Format, value: number | null | undefined) =>
  value === null || value === undefined ? '—' : f.percent(value / 100);
