// The requests this process answered since the last drain, per organization of the request and
// per route group: count, 5xx count, the sum of response times and every response time (so the
// percentiles of an interval are exact, not read off histogram buckets). Drained as totals per
// organization and per route group platform-wide, not per organization × group: that product
// would multiply the rows stored by the number of groups for every active organization. Fed by the onResponse hook
// (metrics.ts), drained by the monitoring sampler once per sample interval. Memory: 8 bytes per
// request of the interval (10,000 requests/s for 15 s: 1.2 MB), released at each drain.

/** A request's route group: `/api/v1/tasks/:id` → `tasks`, `/ws` → `ws`, else the first segment. */
export function routeGroup(route: string): string {
  const parts = route.split('/').filter(Boolean);
  if (parts[0] === 'api' && /^v\d+$/.test(parts[1] ?? '')) parts.splice(0, 2);
  const first = parts[0] ?? 'root';
  return /^[A-Za-z0-9_.-]{1,40}$/.test(first) ? first : 'other';
}

export interface RequestIntervalStats {
  /** null: every organization (the platform-wide total), or requests of no organization. */
  orgId: string | null;
  /** null: every route group (the total). */
  group: string | null;
  requests: number;
  errors: number;
  totalMs: number;
  p95Ms: number;
  p99Ms: number;
}

interface Bucket {
  errors: number;
  totalMs: number;
  times: number[];
}

/** The nearest-rank percentile of sorted values (the smallest value with at least p of them ≤ it). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export class RequestStats {
  /** orgId ('' for none) → group → bucket. */
  private byOrg = new Map<string, Map<string, Bucket>>();
  /** Off while no sampler drains it (nothing is kept then): the sampler turns it on and off. */
  enabled = false;

  observe(orgId: string | null, group: string, status: number, ms: number): void {
    if (!this.enabled) return;
    const org = orgId ?? '';
    let groups = this.byOrg.get(org);
    if (!groups) {
      groups = new Map();
      this.byOrg.set(org, groups);
    }
    let b = groups.get(group);
    if (!b) {
      b = { errors: 0, totalMs: 0, times: [] };
      groups.set(group, b);
    }
    if (status >= 500) b.errors++;
    b.totalMs += ms;
    b.times.push(ms);
  }

  /**
   * What was observed since the last drain, and starts afresh: the total of each organization
   * (requests made for one), and platform-wide per group and in total.
   */
  drain(): RequestIntervalStats[] {
    const byOrg = this.byOrg;
    this.byOrg = new Map();
    const out: RequestIntervalStats[] = [];
    const platform = new Map<string, Bucket[]>();
    const all: Bucket[] = [];
    for (const [org, groups] of byOrg) {
      const orgBuckets: Bucket[] = [];
      for (const [group, b] of groups) {
        orgBuckets.push(b);
        all.push(b);
        const list = platform.get(group) ?? [];
        list.push(b);
        platform.set(group, list);
      }
      if (org) out.push(summarise(org, null, orgBuckets));
    }
    for (const [group, list] of platform) out.push(summarise(null, group, list));
    if (all.length > 0) out.push(summarise(null, null, all));
    return out;
  }
}

function summarise(orgId: string | null, group: string | null, buckets: Bucket[]): RequestIntervalStats {
  const times = buckets.length === 1 ? (buckets[0] as Bucket).times : buckets.flatMap((b) => b.times);
  const sorted = Float64Array.from(times).sort();
  const list = sorted as unknown as number[];
  let errors = 0;
  let totalMs = 0;
  for (const b of buckets) {
    errors += b.errors;
    totalMs += b.totalMs;
  }
  return {
    orgId,
    group,
    requests: times.length,
    errors,
    totalMs,
    p95Ms: percentile(list, 0.95),
    p99Ms: percentile(list, 0.99),
  };
}
