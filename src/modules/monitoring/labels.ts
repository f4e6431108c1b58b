// A sample's labels as stored: the canonical text `k=v,k=v` (keys sorted; '' for none), so one
// set of labels is one key of the primary key whatever order a caller lists them in.
import type { MetricName } from './metric-catalogue.ts';
import { METRICS } from './metric-catalogue.ts';

export const LABEL_VALUE = /^[A-Za-z0-9_.:/-]{1,64}$/;

/** Why a set of labels cannot go with a metric, or null when it can. */
export function labelProblem(metric: MetricName, labels: Record<string, string> | undefined): string | null {
  const allowed: readonly string[] = METRICS[metric].labels ?? [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (!allowed.includes(key))
      return allowed.length
        ? `${metric} has the labels ${allowed.join(', ')}, not ${key}`
        : `${metric} has no labels`;
    if (!LABEL_VALUE.test(value)) return `label ${key}: 1-64 letters, digits or _ . : / -`;
  }
  return null;
}

export function labelKey(labels: Record<string, string> | undefined): string {
  if (!labels) return '';
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/** `group=tasks,core=1` → { group: 'tasks', core: '1' }; null when it is not that shape. */
export function parseLabels(text: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  if (text === '') return out;
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}
